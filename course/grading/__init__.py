"""The autograder behind `course grade` and `course check`.

Student code is untrusted, so it never runs in the grader's process
(the lessons of otter-grader and nbgrader, whose checks run in the
student's own kernel and can be patched by it):

- `source`: reads a notebook or module without running it: the kept
  definitions (found by name, magics stripped), syntax errors, and the
  flags for an instructor's review (wrapping the built-in layer, patching
  modules, reading the environment ...).
- `runner` / `child` / `sandbox`: each submission runs in a fresh,
  isolated interpreter in its own temporary directory, with a wall-clock
  timeout that kills its process group (and any process that escaped it),
  a memory limit, CPU only, fixed thread counts, a scrubbed environment
  and, where the kernel has Landlock, no file writes outside its
  directory, no TCP and no signals to other processes. It receives only
  the check inputs (.npy) and hands back only numeric .npy arrays and a
  JSON report; nothing is unpickled and no student object reaches the
  grader.
- `assignments`: the four assignments, their checks and points, the
  inputs drawn from the instructor's seed, and the probes.
- `checks`: the comparison with the reference, in the parent.
- `grader`: a batch: reference, then every submission; statuses.
- `reports`: grades.csv, Gradescope results.json, feedback.txt.
- `release`: student notebooks from solution notebooks.
"""

DEFAULT_TIMEOUT = 120.0  # wall-clock seconds per submission, start-up included
DEFAULT_MEMORY_MB = 2048  # data-segment limit of a child process
PUBLIC_SEED = 1234  # the inputs of `course check` (graded batches draw their own)

_GRADER_NAMES = ("Batch", "GradingError", "Result", "grade")


def __getattr__(name):
    # Lazy, so that `course --help` and the child's sandbox set-up do not
    # import NumPy.
    if name in _GRADER_NAMES:
        from course.grading import grader

        return getattr(grader, name)
    raise AttributeError(f"module 'course.grading' has no attribute {name!r}")


__all__ = ["DEFAULT_MEMORY_MB", "DEFAULT_TIMEOUT", "PUBLIC_SEED", *_GRADER_NAMES]
