"""The graded assignments, by name.

Each assignment says which names a submission must define, which checks
it is graded on and how many points each is worth (parent side), how to
draw the check inputs from a seed (parent side), and how to compute the
checked quantities with a set of answers (child side: `probe`, run once
with `reference_answers()` and once per submission, each in a sandboxed
child process; the probes' code is in `course.grading.probes`, the only
part of the grader the sandbox sees, and `probe_spec` is what they need to
know of the assignment). Importing this package imports only NumPy; Keras
is imported by the child, when a probe needs it.
"""

import dataclasses
import hashlib
import importlib
import inspect
import json

from course.grading import probes
from course.grading.checks import Check
from course.grading.flags import FlagRules

_PROBES = ("cells", "child", "elman")


@dataclasses.dataclass(frozen=True)
class Assignment:
    """Base of the assignments (see the module docstring).

    Attributes:
        name: The name `course grade` takes.
        title: One line for reports.
        notebook: The student notebook's file name in notebooks/assignments/.
        answers: Names the submission must define.
        checks: The `Check`s, in order.
        flags: The `FlagRules` for this assignment.
        uses_keras: Whether the child needs Keras (TensorFlow backend).
    """

    name: str
    title: str
    notebook: str
    answers: tuple
    checks: tuple
    flags: FlagRules
    uses_keras: bool

    @property
    def max_score(self):
        return sum(check.points for check in self.checks)

    @property
    def version(self):
        """A digest of what makes two gradings comparable: the checks and
        their points, the code of the assignment's classes (inputs,
        reference), of the probes and the package's version."""
        import course

        parts = [
            course.__version__,
            json.dumps([(c.name, c.points, c.public) for c in self.checks]),
        ]
        modules = {f"{__name__}.{self.name}"}  # where the assignment is declared
        modules |= {c.__module__ for c in type(self).__mro__}
        modules = sorted(m for m in modules if m.startswith(__name__))
        modules += [probes.__name__, *(f"{probes.__name__}.{m}" for m in _PROBES)]
        for module in modules:
            parts.append(inspect.getsource(importlib.import_module(module)))
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    def check(self, name):
        """The `Check` called `name`."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def make_inputs(self, rng):
        """Dict name -> array: everything the probes read, drawn from `rng`."""
        raise NotImplementedError

    def reference_answers(self):
        """Child side: the trusted answers (name -> object)."""
        raise NotImplementedError

    @property
    def probe_spec(self):
        """What the child's probes need to know (JSON data; see
        `course.grading.probes.probe`)."""
        raise NotImplementedError

    def probe(self, check, answers, inputs):
        """Dict name -> array computed with `answers` for `check` (what the
        grading child runs; here for tests)."""
        return probes.probe(self.probe_spec, check, answers, inputs)


def _registry():
    from course.grading.assignments import elman_bptt
    from course.grading.assignments import gru_cell
    from course.grading.assignments import jordan_cell
    from course.grading.assignments import lstm_cell

    return {
        a.name: a
        for a in (
            elman_bptt.ASSIGNMENT,
            lstm_cell.ASSIGNMENT,
            gru_cell.ASSIGNMENT,
            jordan_cell.ASSIGNMENT,
        )
    }


def names():
    """The assignment names, in course order."""
    return tuple(_registry())


def get(name):
    """The `Assignment` called `name`; a ValueError lists the known ones."""
    registry = _registry()
    if name not in registry:
        raise ValueError(
            f"unknown assignment {name!r}; expected one of: {', '.join(registry)}"
        )
    return registry[name]


__all__ = ["Assignment", "Check", "FlagRules", "get", "names"]
