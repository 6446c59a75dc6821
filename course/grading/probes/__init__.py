"""Child side of grading: the probes, and the entry point that runs them.

This package is all of the grader that a process running student code can
see. Inside the sandbox it is mounted read-only as a top-level package
(`probes`), beside only the course modules a student notebook may import
(`course.grading.sandbox.ALLOWED_COURSE_MODULES`); so it imports nothing from the
rest of `course` and holds no reference answer. What a probe needs to know
about its assignment (shapes, constructor arguments) arrives as a plain
`spec` dict in the task file.

- `child`: the entry point; loads the answers, runs the probes and streams
  the results to the parent as JSON lines.
- `cells`: probes of a recurrent cell written as a Keras layer.
- `elman`: probes of the NumPy BPTT assignment.
"""

import numpy as np


def as_array(value, what):
    """`value` as a numeric NumPy array, or a TypeError naming `what`."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{what} should be a numeric array; got {type(value).__name__} "
            f"(dtype {array.dtype})"
        )
    return array


def probe(spec, check, answers, inputs):
    """Dict name -> array computed with `answers` for `check`.

    Args:
        spec: The assignment's probe description (`Assignment.probe_spec`):
            `{"kind": "cell", ...}` or `{"kind": "elman_bptt"}`.
        check: The check's name.
        answers: Dict answer name -> the object the submission defined.
        inputs: Dict name -> array, the check inputs.
    """
    if spec["kind"] == "cell":
        from . import cells

        return cells.probe(spec, check, answers, inputs)
    if spec["kind"] == "elman_bptt":
        from . import elman

        return elman.probe(check, answers, inputs)
    raise ValueError(f"unknown probe kind {spec['kind']!r}")
