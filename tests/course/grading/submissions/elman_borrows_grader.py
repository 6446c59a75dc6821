"""Tries to borrow what the grader holds: the reference answers of the
assignment, the grader's modules, `course.compare` (which imports the
reference layers) and `custom_layers`, each by a plain import, and checks
that the course modules a student notebook may import are there. It says
which of the forbidden imports worked, in a class body, which runs when the
grader loads the code.
Expected in the sandbox: none works and the allowed ones all do: flagged
(it imports custom_layers), 1 of 10 (the shapes)."""

import importlib

import numpy as np

FORBIDDEN = (
    "course.grading.assignments.elman_bptt",
    "course.grading",
    "course.compare",
    "course.models",
    "custom_layers",
)
ALLOWED = ("course.data", "course.device", "course.plots")


class Borrow:
    borrowed = []
    for name in FORBIDDEN:
        try:
            importlib.import_module(name)
            borrowed.append(name)
        except ImportError:
            pass
    for name in ALLOWED:
        importlib.import_module(name)  # must work: released notebooks use them
    if borrowed:
        raise RuntimeError(f"borrowed {', '.join(borrowed)}")

    @staticmethod
    def zeros(x, W, V):
        return np.zeros((*x.shape[:2], W.shape[0])), np.zeros(
            (*x.shape[:2], V.shape[1])
        )


def elman_forward(x, h0, U, W, b, V, c):
    if False:
        import custom_layers  # noqa: F401 - what the flag is about
    return Borrow.zeros(x, W, V)


elman_loss = elman_bptt = elman_forward
