"""Fixtures of the layer tests (their helpers are in `helpers.py`)."""

import keras
import pytest

from tests.custom_layers.helpers import FAMILIES


@pytest.fixture(params=sorted(FAMILIES))
def family(request):
    return request.param


@pytest.fixture(autouse=True)
def _float32_policy_and_seed():
    keras.utils.set_random_seed(1234)
    yield
    keras.mixed_precision.set_global_policy("float32")
