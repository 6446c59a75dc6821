import socket

import keras
import pytest
import requests


@pytest.fixture
def restore_dtype_policy():
    """Puts the global Keras dtype policy back after a test changes it."""
    policy = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(policy)


@pytest.fixture
def offline(monkeypatch):
    """No network: sockets refuse, and requests (tfds's downloader) fails
    at once with a connection error instead of retrying for minutes."""

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    def fail(*args, **kwargs):
        raise requests.exceptions.ConnectionError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(requests.Session, "get", fail)
