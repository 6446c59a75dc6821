"""Tries to make every comparison succeed: patches NumPy's comparison
functions and the grader's own `compare` (at the top level, which the
grader never runs, and again inside elman_forward, which it does), then
returns zeros of the right shapes. None of it reaches the grader's
process. Expected: flagged, 1 of 10 (the shapes)."""

import numpy as np
import course.grading.checks as grader_checks

np.allclose = lambda *args, **kwargs: True
grader_checks.compare = lambda *args, **kwargs: (True, "as expected")


def _patch():
    np.allclose = np.isclose = np.array_equal = lambda *args, **kwargs: True
    np.testing.assert_allclose = lambda *args, **kwargs: None
    grader_checks.compare = lambda *args, **kwargs: (True, "as expected")


def elman_forward(x, h0, U, W, b, V, c):
    _patch()
    B, T = x.shape[:2]
    return np.zeros((B, T, W.shape[0])), np.zeros((B, T, V.shape[1]))


def elman_loss(y, targets):
    _patch()
    return 0.0


def elman_bptt(x, h0, U, W, b, V, c, targets):
    _patch()
    return {"U": 0 * U, "W": 0 * W, "b": 0 * b, "V": 0 * V, "c": 0 * c, "h0": 0 * h0}
