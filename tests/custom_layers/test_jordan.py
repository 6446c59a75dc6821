"""The Jordan network: its reduction to Elman (SimpleRNN), its weights and
arguments. (Reference, gradients, precision, saving, masking, dropout and
tracing: test_extended_layers.py.)"""

import keras
import numpy as np
import pytest

import custom_layers
from tests.custom_layers.helpers import FEATURES
from tests.custom_layers.helpers import UNITS
from tests.custom_layers.helpers import copy_random_weights
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy


@pytest.mark.parametrize("go_backwards", [False, True])
def test_reduces_to_simple_rnn(go_backwards):
    """V = I, g = identity, c = 0 and output size = hidden size: y_t = h_t,
    so the state y_{t-1} is Elman's h_{t-1}."""
    kwargs = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    builtin = keras.layers.SimpleRNN(UNITS, **kwargs)
    jordan = custom_layers.JordanRNN(UNITS, output_activation=None, **kwargs)
    builtin.build((None, None, FEATURES))
    jordan.build((None, None, FEATURES))
    kernel, recurrent_kernel, bias = copy_random_weights(builtin)
    jordan.set_weights([kernel, recurrent_kernel, bias, np.eye(UNITS), np.zeros(UNITS)])
    x = random_inputs()
    for ours, theirs in zip(to_numpy(jordan(x)), to_numpy(builtin(x))):
        np.testing.assert_array_equal(ours, theirs)


def test_weights_and_their_names():
    cell = custom_layers.JordanCell(5, output_units=2)
    cell.build((None, 3))
    assert [w.path.split("/")[-1] for w in cell.weights] == [
        "kernel",
        "recurrent_kernel",
        "bias",
        "output_kernel",
        "output_bias",
    ]
    shapes = {name: w.shape for name, w in cell.gate_weights().items()}
    assert shapes == {"U": (3, 5), "W": (2, 5), "b": (5,), "V": (5, 2), "c": (2,)}
    assert (cell.state_size, cell.output_size) == (2, 2)
    no_bias = custom_layers.JordanCell(5, output_units=2, use_bias=False)
    no_bias.build((None, 3))
    assert list(no_bias.gate_weights()) == ["U", "W", "V"]


def test_defaults():
    layer = custom_layers.JordanRNN(4)
    assert layer.output_units == 4 and layer.state_decay == 0.0
    assert layer.output_activation is keras.activations.linear
    assert layer(random_inputs()).shape == (random_inputs().shape[0], 4)


def test_state_is_the_decayed_sum_of_outputs():
    layer = custom_layers.JordanRNN(
        4, 2, state_decay=0.5, return_sequences=True, return_state=True
    )
    sequence, state = to_numpy(layer(random_inputs()))
    expected = np.zeros_like(state)
    for t in range(sequence.shape[1]):
        expected = 0.5 * expected + sequence[:, t]  # s_{t+1} = μ s_t + y_t
    np.testing.assert_allclose(state, expected, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"output_units": 0}, r"`output_units` must be a positive integer"),
        ({"output_units": 2.5}, r"`output_units` must be a positive integer"),
        ({"state_decay": 1.5}, r"`state_decay` must be a float in \[0, 1\]"),
        ({"state_decay": -0.1}, r"`state_decay` must be a float in \[0, 1\]"),
        ({"state_decay": "slow"}, r"`state_decay` must be a float in \[0, 1\]"),
        (
            {"output_activation": "sigmod"},
            r"Unknown activation 'sigmod' for `output_activation`",
        ),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        custom_layers.JordanRNN(4, **kwargs)
