"""Course tooling: everything a notebook needs that is not a layer.

The layers themselves live in `custom_layers`; this package holds the rest of
the course machinery, one module per concern:

- `course.data`: seeded synthetic tasks, text and image data (offline
  defaults, plus tensorflow-datasets loaders for the real datasets).
- `course.device`: one call at the top of every notebook that reports the
  environment and sets the Keras dtype policy.
- `course.training`: a resumable `fit` and truncated BPTT.
- `course.plots`: the figures the lecture draws.
- `course.syllabus`: the lecture sections and the notebooks that teach them.
- `course.models`: the lecture's SpatialRNN image classifier and a CNN baseline.
- `course.grading`: the sandboxed autograder behind `course grade` and
  `course check`, and the assignments it grades.
- `course.cli`: the `course` command (`course env`, `course list`,
  `course run`, `course compare`, `course grade`, `course check`,
  `course assignments`).

Importing `course` is cheap: no submodule (and so neither TensorFlow nor
Keras) is imported until it is used, e.g. `import course.data`.
"""

__version__ = "0.1.0"
