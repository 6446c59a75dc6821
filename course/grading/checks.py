"""Checks and how the parent scores them.

A check names a group of quantities the child computes with the student's
code (say, the output sequence and final states of a layer) and the points
they are worth. The same probe runs once with the reference (Keras's
built-in layer, `custom_layers`, an independent NumPy computation) and
once per submission, each in its own child process; here, in the trusted
parent, the two sets of arrays are compared. A check earns its points when
every array has the reference's shape and matches it within the check's
tolerance; otherwise the result says which array differs and by how much.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Check:
    """One graded property of a submission.

    Attributes:
        name: Identifier (a CSV column, a results.json test name).
        points: What passing it earns.
        description: One line shown in the feedback.
        needs: The answer names the probe uses; without one of them the
            check is not run.
        public: Whether `course check` runs it for students.
        rtol, atol: Tolerance |received - expected| <= atol + rtol |expected|.
        exact_dtype: Whether the arrays' dtypes must equal the reference's
            (the mixed-precision check: float16 outputs).
    """

    name: str
    points: float
    description: str
    needs: tuple
    public: bool = False
    rtol: float = 1e-5
    atol: float = 1e-6
    exact_dtype: bool = False


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The outcome of one check for one submission."""

    check: Check
    passed: bool
    message: str

    @property
    def score(self):
        return float(self.check.points) if self.passed else 0.0


def compare(check, expected, received):
    """Compares a submission's arrays with the reference's for one check.

    Args:
        check: The `Check`.
        expected: Dict name -> reference array (the trusted child's).
        received: Dict name -> the submission's array, or a string saying
            why there is none (absent, unreadable, not numeric).

    Returns:
        `(passed, message)`; the message names the first array that fails.
    """
    for name, reference in expected.items():
        value = received.get(name, "not produced")
        if isinstance(value, str):
            return False, f"{name}: {value}"
        if value.dtype.kind not in "biuf":
            return False, f"{name}: not a numeric array ({value.dtype})"
        if value.shape != reference.shape:
            return False, (
                f"{name}: shape {tuple(value.shape)}, expected {tuple(reference.shape)}"
            )
        if check.exact_dtype and value.dtype != reference.dtype:
            return False, f"{name}: dtype {value.dtype}, expected {reference.dtype}"
        if reference.dtype.kind in "biu":
            if not np.array_equal(value, reference):
                return False, f"{name}: {value.tolist()}, expected {reference.tolist()}"
            continue
        value = value.astype(np.float64)
        reference = reference.astype(np.float64)
        if not np.all(np.isfinite(value)):
            return False, f"{name}: contains NaN or infinity"
        error = np.abs(value - reference)
        allowed = check.atol + check.rtol * np.abs(reference)
        if np.any(error > allowed):
            worst = np.unravel_index(np.argmax(error - allowed), error.shape)
            where = f" at index {tuple(int(i) for i in worst)}" if error.ndim else ""
            return False, (
                f"{name}: differs from the expected values by up to "
                f"{error.max():.3g}{where} (allowed {check.atol:g} + "
                f"{check.rtol:g}·|expected|)"
            )
    return True, "as expected"
