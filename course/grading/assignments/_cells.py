"""What the three cell assignments share: a Keras layer that must compute
what a reference cell computes once it holds the reference's weights.

The probes (`course.grading.probes.cells`) put the submitted cell into
`keras.layers.RNN` (the cell contract described in docs/reference.md), copy
the check's weights in with `set_weights` and record its shapes, one step,
a sequence, gradients and the sequence under mixed precision.
"""

import dataclasses

import numpy as np

from course.grading.assignments import Assignment
from course.grading.checks import Check

BATCH, STEPS, FEATURES = 3, 6, 5


def cell_checks(answer):
    """The five checks of a cell assignment, worth 10 points."""
    needs = (answer,)
    return (
        Check(
            "shapes",
            1,
            "weight shapes after build; output and state shapes",
            needs,
            public=True,
        ),
        Check(
            "one_step",
            2,
            "one call of the cell: output and new states",
            needs,
            public=True,
            rtol=1e-5,
            atol=1e-6,
        ),
        Check(
            "sequence",
            3,
            "keras.layers.RNN over a sequence: outputs and final states",
            needs,
            rtol=1e-5,
            atol=1e-5,
        ),
        Check(
            "gradients",
            2,
            "gradients w.r.t. the input, initial states and weights",
            needs,
            rtol=1e-4,
            atol=1e-5,
        ),
        Check(
            "mixed_precision",
            2,
            "under mixed_float16: float16 outputs that match",
            needs,
            rtol=1e-2,
            atol=1e-2,
            exact_dtype=True,
        ),
    )


@dataclasses.dataclass(frozen=True)
class CellAssignment(Assignment):
    """A cell assignment.

    Attributes (besides `Assignment`'s):
        constructor: Positional arguments the cell class is called with.
        weights: `(name, shape)` pairs in `get_weights` order.
        states: `(name, size)` pairs, the cell's states in order.
        output_size: Features of the cell's output.
        reference: Child side: a function returning the reference's
            constructor (called with `constructor`).
    """

    constructor: tuple = ()
    weights: tuple = ()
    states: tuple = ()
    output_size: int = 0
    reference: object = None

    @property
    def answer(self):
        return self.answers[0]

    def make_inputs(self, rng):
        def normal(*shape, scale):
            return (scale * rng.standard_normal(shape)).astype(np.float32)

        inputs = {"x": normal(BATCH, STEPS, FEATURES, scale=1.0)}
        for name, size in self.states:
            inputs[f"initial_{name}"] = normal(BATCH, size, scale=0.5)
        for name, shape in self.weights:
            inputs[name] = normal(*shape, scale=0.4)
        inputs["g_sequence"] = normal(BATCH, STEPS, self.output_size, scale=1.0)
        for name, size in self.states:
            inputs[f"g_final_{name}"] = normal(BATCH, size, scale=1.0)
        return inputs

    def reference_answers(self):
        return {self.answer: self.reference()}

    @property
    def probe_spec(self):
        return {
            "kind": "cell",
            "answer": self.answer,
            "constructor": list(self.constructor),
            "weights": [[name, list(shape)] for name, shape in self.weights],
            "states": [[name, size] for name, size in self.states],
            "output_size": self.output_size,
        }
