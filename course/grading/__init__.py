"""The autograder behind `course grade` and `course check`.

Student code is untrusted, so it never runs in the grader's process
(the lessons of otter-grader and nbgrader, whose checks run in the
student's own kernel and can be patched by it):

- `source`: reads a notebook or module without running it: the kept
  definitions (found by name, magics stripped), syntax errors, and the
  flags for an instructor's review (wrapping the built-in layer, patching
  modules, reading the environment ...).
- `runner`, `sandbox`, `limits`: each submission runs in its own child
  process inside a bubblewrap sandbox (read-only Python installation, a
  private size-limited working folder, its own PID and network
  namespaces: no other file, process or host socket in view) and control
  groups (memory and processes of the whole tree), with a wall-clock
  timeout, CPU only, fixed thread counts and a scrubbed environment.
  Without a sandbox the grader refuses, unless weaker isolation is asked
  for explicitly.
- `forkserver`: by default, one fork server per job, in that job's
  sandbox, imports NumPy and Keras once and forks each submission's child
  from there, confined before it reads the code (`probes.server`); with
  `--fresh-interpreters` (and always without the sandbox) each child is a
  fresh interpreter instead.
- `probes`: the child side, the only part of the grader the sandbox sees:
  it runs the answers through the assignment's probes and sends numeric
  arrays and a JSON line per event over a pipe; nothing is unpickled and
  no student object reaches the grader.
- `outcome`: what a child sent, validated into typed values, in one place.
- `assignments`: the four assignments, their checks and points, the
  inputs drawn from the instructor's seed, and the reference answers.
- `checks`: the comparison with the reference, in the parent.
- `grader`: a batch: reference, then every submission; statuses.
- `reports`: grades.csv, Gradescope results.json, feedback.txt.
- `release`: student notebooks from solution notebooks.
"""

# Wall-clock seconds per submission (a fresh interpreter's start-up included).
DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_MB = 2048  # memory of a child's whole process tree
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
