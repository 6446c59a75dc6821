"""Tries to change the mode and times of the device nodes in /dev, which
are the host's own (a grader running as root maps the sandbox's user to
root, who owns them). To stay harmless if ever run outside the sandbox, it
sets each node's mode and times to the values they already have: a call
that succeeds is the hole, whatever it set. Expected: every call refused:
flagged (os.chmod), 1 of 10 (the shapes)."""

import os
import pathlib

import numpy as np


def _calls_that_worked():
    worked = []
    for node in sorted(pathlib.Path("/dev").iterdir()):
        status = node.stat()
        for name, change in (
            ("chmod", lambda: os.chmod(node, status.st_mode & 0o7777)),
            (
                "utime",
                lambda: os.utime(node, ns=(status.st_atime_ns, status.st_mtime_ns)),
            ),
        ):
            try:
                change()
                worked.append(f"{name} {node}")
            except OSError:
                pass
    return worked


class Devices:
    worked = _calls_that_worked()
    if worked:
        raise RuntimeError("changed " + ", ".join(worked))

    @staticmethod
    def zeros(x, W, V):
        return np.zeros((*x.shape[:2], W.shape[0])), np.zeros(
            (*x.shape[:2], V.shape[1])
        )


def elman_forward(x, h0, U, W, b, V, c):
    return Devices.zeros(x, W, V)  # so the class, and its body, is kept


elman_loss = elman_bptt = elman_forward
