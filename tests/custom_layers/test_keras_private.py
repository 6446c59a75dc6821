"""The Keras behaviours `custom_layers._keras_private` relies on, checked on the
installed Keras: a release that changes one fails here, by name."""

import inspect

import keras
import numpy as np

from custom_layers._keras_private import AutocastScope
from custom_layers._keras_private import DropoutRNNCell
from custom_layers._keras_private import backend_rnn


class _ProbeCell(keras.layers.Layer, DropoutRNNCell):
    """The smallest dropout cell: h_t = x_t ⊙ mask + h_{t-1} ⊙ recurrent mask,
    logging when `keras.layers.RNN` asks for, uses and resets its masks."""

    def __init__(self, units):
        super().__init__()
        self.units = units
        self.state_size = units
        self.dropout = 0.5
        self.recurrent_dropout = 0.5
        self.seed_generator = keras.random.SeedGenerator(3)
        self.events = []
        self.masks_used = []

    def get_dropout_mask(self, step_input):
        self.events.append("mask")
        return super().get_dropout_mask(step_input)

    def reset_dropout_mask(self):
        self.events.append("reset")
        super().reset_dropout_mask()

    def call(self, inputs, states, training=False):
        self.events.append("step")
        mask = self.get_dropout_mask(inputs)
        recurrent_mask = self.get_recurrent_dropout_mask(states[0])
        self.masks_used.append(keras.ops.convert_to_numpy(mask))
        h = inputs * mask + states[0] * recurrent_mask
        return h, [h]


def test_rnn_makes_a_dropout_cells_masks_before_its_loop_and_resets_them_after():
    cell = _ProbeCell(4)
    x = np.ones((3, 5, 4), "float32")
    outputs = keras.ops.convert_to_numpy(
        keras.layers.RNN(cell, return_sequences=True, unroll=True)(x, training=True)
    )
    assert cell.events[:2] == ["mask", "step"], cell.events
    assert cell.events[-1] == "reset", cell.events
    # One input mask for the whole sequence, the same at every step.
    assert len(cell.masks_used) == x.shape[1]
    first = cell.masks_used[0]
    assert set(np.unique(first)) == {0.0, 2.0}  # dropped, or kept / (1 − 0.5)
    for mask in cell.masks_used[1:]:
        np.testing.assert_array_equal(mask, first)
    np.testing.assert_array_equal(outputs[:, 0], x[:, 0] * first)
    # Reset after the sequence: the next one draws a new mask.
    assert not np.array_equal(
        keras.ops.convert_to_numpy(cell.get_dropout_mask(x[:, 0])), first
    )


def test_backend_rnn_takes_and_returns_what_inner_loop_passes():
    parameters = inspect.signature(backend_rnn).parameters
    for name in (
        "go_backwards",
        "mask",
        "unroll",
        "input_length",
        "zero_output_for_mask",
        "return_all_outputs",
    ):
        assert name in parameters, name

    def step(inputs, states):
        h = inputs + states[0]
        return h, [h]

    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    last, outputs, states = backend_rnn(
        step,
        x,
        [np.zeros((2, 4), "float32")],
        go_backwards=False,
        mask=None,
        unroll=False,
        input_length=3,
        zero_output_for_mask=False,
        return_all_outputs=True,
    )
    expected = np.cumsum(x, axis=1)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(outputs), expected)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(last), expected[:, -1])
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(states[0]), expected[:, -1]
    )


def test_autocast_scope_reads_a_float32_variable_in_the_scopes_dtype():
    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    assert layer.kernel.dtype == "float32"
    with AutocastScope("float16"):
        inside = keras.ops.matmul(np.ones((1, 2), "float16"), layer.kernel)
        assert keras.backend.standardize_dtype(layer.kernel.value.dtype) == "float16"
    assert keras.backend.standardize_dtype(inside.dtype) == "float16"
    with AutocastScope("float32"):  # the variables' own dtype: no change
        assert keras.backend.standardize_dtype(layer.kernel.value.dtype) == "float32"
    assert keras.backend.standardize_dtype(layer.kernel.value.dtype) == "float32"
