"""Assignment 1: backpropagation through time for an Elman network, in NumPy.

The network, over a batch of sequences (row vectors, as Keras writes it):

    h_t = tanh(x_t U + h_{t-1} W + b),   y_t = h_t V + c,   t = 1..T
    L = 1/2 sum_{n,t,k} (y_{n,t,k} - target_{n,t,k})^2

Students write three functions:

    elman_forward(x, h0, U, W, b, V, c) -> (h, y)      h (B, T, H), y (B, T, K)
    elman_loss(y, targets) -> L                         a float
    elman_bptt(x, h0, U, W, b, V, c, targets) -> dict   dL/dU, dL/dW, dL/db,
                                                        dL/dV, dL/dc, dL/dh0
                                                        under those key names

The reference gradients are central finite differences of the reference
loss in float64, an independent check of any hand-derived BPTT (the tests
compare them with TensorFlow's automatic differentiation).
"""

import numpy as np

from course.gradcheck import central_differences
from course.grading.assignments import Assignment
from course.grading.checks import Check
from course.grading.flags import FlagRules

BATCH, STEPS, FEATURES, HIDDEN, OUTPUTS = 2, 6, 3, 4, 2
PARAMETERS = ("U", "W", "b", "V", "c")
FORWARD_ARGUMENTS = ("x", "h0", *PARAMETERS)

_FORWARD = ("elman_forward",)
CHECKS = (
    Check(
        "shapes",
        1,
        "elman_forward returns h (B, T, H) and y (B, T, K)",
        _FORWARD,
        public=True,
    ),
    Check(
        "one_step",
        1,
        "h and y for a sequence of one step",
        _FORWARD,
        public=True,
        rtol=1e-5,
        atol=1e-8,
    ),
    Check(
        "sequence",
        2,
        "h and y for a whole sequence",
        _FORWARD,
        public=True,
        rtol=1e-5,
        atol=1e-8,
    ),
    Check(
        "loss",
        1,
        "elman_loss: half the summed squared error",
        ("elman_loss",),
        public=True,
        rtol=1e-6,
        atol=1e-8,
    ),
    Check(
        "output_gradients",
        1,
        "elman_bptt: dL/dV and dL/dc",
        ("elman_bptt",),
        rtol=1e-4,
        atol=1e-6,
    ),
    Check(
        "bptt_gradients",
        3,
        "elman_bptt: dL/dU, dL/dW and dL/db (through time)",
        ("elman_bptt",),
        rtol=1e-4,
        atol=1e-6,
    ),
    Check(
        "initial_state_gradient",
        1,
        "elman_bptt: dL/dh0",
        ("elman_bptt",),
        rtol=1e-4,
        atol=1e-6,
    ),
)


def reference_forward(x, h0, U, W, b, V, c):
    """The forward pass, one time step after the other (float64)."""
    h_previous = h0
    hidden = []
    for t in range(x.shape[1]):
        h_previous = np.tanh(x[:, t] @ U + h_previous @ W + b)
        hidden.append(h_previous)
    h = np.stack(hidden, axis=1)
    return h, h @ V + c


def reference_loss(y, targets):
    return 0.5 * np.sum((y - targets) ** 2)


def finite_difference_gradients(x, h0, U, W, b, V, c, targets):
    """dL/d(U, W, b, V, c, h0) by central differences of the float64 loss."""
    values = dict(zip(FORWARD_ARGUMENTS, (x, h0, U, W, b, V, c)))
    values = {name: np.array(value, dtype=np.float64) for name, value in values.items()}

    def loss():
        return reference_loss(reference_forward(**values)[1], targets)

    gradients = {}
    for name in (*PARAMETERS, "h0"):
        gradients[name] = central_differences(loss, values[name])
    return gradients


class ElmanBPTT(Assignment):
    def make_inputs(self, rng):
        def normal(*shape, scale=1.0):
            return scale * rng.standard_normal(shape)

        return {
            "x": normal(BATCH, STEPS, FEATURES),
            "h0": normal(BATCH, HIDDEN, scale=0.5),
            "U": normal(FEATURES, HIDDEN, scale=0.6),
            "W": normal(HIDDEN, HIDDEN, scale=0.5),
            "b": normal(HIDDEN, scale=0.2),
            "V": normal(HIDDEN, OUTPUTS, scale=0.8),
            "c": normal(OUTPUTS, scale=0.2),
            "targets": normal(BATCH, STEPS, OUTPUTS),
            "y_for_loss": normal(BATCH, STEPS, OUTPUTS),
        }

    def reference_answers(self):
        return {
            "elman_forward": reference_forward,
            "elman_loss": reference_loss,
            "elman_bptt": finite_difference_gradients,
        }

    @property
    def probe_spec(self):
        return {"kind": "elman_bptt"}


ASSIGNMENT = ElmanBPTT(
    name="elman_bptt",
    title="Backpropagation through time for an Elman network (NumPy)",
    notebook="01_elman_bptt.ipynb",
    answers=("elman_forward", "elman_loss", "elman_bptt"),
    checks=CHECKS,
    flags=FlagRules(
        forbidden_imports=frozenset(
            {
                "custom_layers",
                "tensorflow",
                "keras",
                "tf_keras",
                "jax",
                "torch",
                "autograd",
            }
        ),
        reason="the assignment asks for BPTT by hand in NumPy",
    ),
    uses_keras=False,
)
