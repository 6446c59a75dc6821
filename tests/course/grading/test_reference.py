"""The references the grader compares with are right, checked in-process
(trusted code only): the Elman reference against custom_layers.ElmanRNN and
TensorFlow's automatic differentiation; each cell assignment's reference
(Keras's built-in cells, custom_layers.JordanCell) against an independent
implementation under every probe."""

import functools
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

import custom_layers
from course.grading import assignments
from course.grading.assignments import elman_bptt
from course.grading.source import read_submission

ROOT = pathlib.Path(__file__).resolve().parents[3]
SOLUTIONS = ROOT / "notebooks" / "assignments" / "solutions"


@pytest.fixture
def elman_inputs():
    return assignments.get("elman_bptt").make_inputs(np.random.default_rng(7))


def test_the_elman_forward_reference_is_keras_simple_rnn(elman_inputs):
    x, h0 = elman_inputs["x"], elman_inputs["h0"]
    h, y = elman_bptt.reference_forward(
        *(elman_inputs[n] for n in elman_bptt.FORWARD_ARGUMENTS)
    )
    layer = custom_layers.ElmanRNN(
        elman_bptt.HIDDEN, return_sequences=True, dtype="float64"
    )
    layer(x, initial_state=[h0])
    layer.set_weights([elman_inputs[n] for n in ("U", "W", "b")])
    np.testing.assert_allclose(h, layer(x, initial_state=[h0]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, h @ elman_inputs["V"] + elman_inputs["c"], rtol=1e-12)


def test_the_elman_gradient_reference_is_automatic_differentiation(elman_inputs):
    names = ("U", "W", "b", "V", "c", "h0")
    variables = {n: tf.Variable(elman_inputs[n]) for n in names}
    layer = custom_layers.ElmanRNN(
        elman_bptt.HIDDEN, return_sequences=True, dtype="float64"
    )
    layer(elman_inputs["x"], initial_state=[elman_inputs["h0"]])
    with tf.GradientTape() as tape:
        layer.set_weights([elman_inputs[n] for n in ("U", "W", "b")])
        weights = dict(zip(("U", "W", "b"), layer.trainable_weights))
        h = layer(elman_inputs["x"], initial_state=[variables["h0"]])
        y = tf.matmul(h, variables["V"]) + variables["c"]
        loss = 0.5 * tf.reduce_sum((y - elman_inputs["targets"]) ** 2)
    sources = [
        weights["U"],
        weights["W"],
        weights["b"],
        variables["V"],
        variables["c"],
        variables["h0"],
    ]
    automatic = dict(zip(names, tape.gradient(loss, sources)))
    finite = elman_bptt.finite_difference_gradients(
        *(elman_inputs[n] for n in elman_bptt.FORWARD_ARGUMENTS),
        elman_inputs["targets"],
    )
    for name in names:
        np.testing.assert_allclose(
            finite[name], automatic[name], rtol=1e-6, atol=1e-8, err_msg=name
        )
    reference_loss = elman_bptt.reference_loss(y.numpy(), elman_inputs["targets"])
    np.testing.assert_allclose(reference_loss, loss.numpy(), rtol=1e-12)


def solution_cell(name):
    """The cell class of a solution notebook (our own, trusted code)."""
    assignment = assignments.get(name)
    submission = read_submission(SOLUTIONS / assignment.notebook, assignment.flags)
    namespace = {}
    exec(compile(submission.code, assignment.notebook, "exec"), namespace)  # noqa: S102
    return namespace[assignment.answer]


INDEPENDENT = {
    "lstm_cell": lambda: custom_layers.LSTMCell,
    "gru_cell": lambda: functools.partial(custom_layers.GRUCell, reset_after=False),
    "jordan_cell": lambda: solution_cell("jordan_cell"),
}
CHECKS = ("shapes", "one_step", "sequence", "gradients", "mixed_precision")


@pytest.mark.parametrize("name", INDEPENDENT)
def test_cell_references_agree_with_an_independent_cell(name, restore_dtype_policy):
    assignment = assignments.get(name)
    inputs = assignment.make_inputs(np.random.default_rng(11))
    independent = {assignment.answer: INDEPENDENT[name]()}
    for check_name in CHECKS:
        check = assignment.check(check_name)
        expected = assignment.probe(check_name, assignment.reference_answers(), inputs)
        received = assignment.probe(check_name, independent, inputs)
        assert keras.config.dtype_policy().name == "float32"  # restored by the probe
        assert sorted(received) == sorted(expected), check_name
        for key, value in expected.items():
            assert received[key].dtype == value.dtype, (check_name, key)
            np.testing.assert_allclose(
                received[key].astype(np.float64),
                value.astype(np.float64),
                rtol=check.rtol,
                atol=check.atol,
                err_msg=f"{check_name}: {key}",
            )
        if check_name == "mixed_precision":
            assert expected["sequence"].dtype == np.float16


def test_inputs_depend_on_the_seed_only():
    assignment = assignments.get("lstm_cell")
    first = assignment.make_inputs(np.random.default_rng(1))
    again = assignment.make_inputs(np.random.default_rng(1))
    other = assignment.make_inputs(np.random.default_rng(2))
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["kernel"], other["kernel"])
    assert first["kernel"].dtype == np.float32
