"""Bad input gets a clear ValueError that says what is wrong and what is expected."""

import numpy as np
import pytest

import custom_layers
from tests.custom_layers.helpers import FAMILIES


@pytest.fixture
def layer_class(family):
    layer_class, _, kwargs = FAMILIES[family]
    return lambda *args, **more: layer_class(*args, **kwargs, **more)


@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 4, 5, 3)])
def test_input_that_is_not_3d(layer_class, shape):
    with pytest.raises(
        ValueError, match=r"3-D input of shape \(batch, timesteps, features\)"
    ):
        layer_class(4)(np.zeros(shape, dtype="float32"))


def test_rank_is_checked_after_build_too(layer_class):
    layer = layer_class(4)
    layer(np.zeros((2, 5, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"got an input of rank 2"):
        layer(np.zeros((2, 3), dtype="float32"))


def test_feature_size_that_changes_after_build(layer_class):
    layer = layer_class(4)
    layer(np.zeros((2, 5, 3), dtype="float32"))
    with pytest.raises(
        ValueError, match=r"built for inputs with 3 features.*with 7 features"
    ):
        layer(np.zeros((2, 5, 7), dtype="float32"))


@pytest.mark.parametrize("units", [0, -3, 2.5, "4", None, True])
def test_units_must_be_positive_integer(layer_class, units):
    with pytest.raises(ValueError, match=r"`units` must be a positive integer"):
        layer_class(units)


@pytest.mark.parametrize(
    "family_name, argument",
    [(name, "activation") for name in sorted(FAMILIES)]
    + [(name, "recurrent_activation") for name in sorted(FAMILIES) if name != "elman"],
)
def test_unknown_activation(family_name, argument):
    layer_class, _, kwargs = FAMILIES[family_name]
    with pytest.raises(
        ValueError, match=rf"Unknown activation 'tanhh' for `{argument}`"
    ):
        layer_class(4, **{argument: "tanhh"}, **kwargs)


@pytest.mark.parametrize("argument", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "half"])
def test_invalid_dropout_rates(layer_class, argument, rate):
    with pytest.raises(ValueError, match=rf"`{argument}` must be"):
        layer_class(4, **{argument: rate})


def test_unknown_keyword_is_rejected(layer_class):
    with pytest.raises((TypeError, ValueError), match="unit"):
        layer_class(4, unitz=3)


def test_gate_weights_before_build():
    with pytest.raises(ValueError, match="has no weights yet"):
        custom_layers.LSTMCell(3).gate_weights()


EVERY_CELL = {
    "elman": lambda: custom_layers.ElmanCell(4),
    "jordan": lambda: custom_layers.JordanCell(4, output_units=2),
    "lstm": lambda: custom_layers.LSTMCell(4),
    "gru": lambda: custom_layers.GRUCell(4),
    "lstm_variant": lambda: custom_layers.LSTMVariantCell(4, variant="vanilla"),
    "deep_transition": lambda: custom_layers.DeepTransitionCell(4),
    "deep_output": lambda: custom_layers.DeepOutputCell(4),
    "stacked": lambda: custom_layers.StackedCells(
        [custom_layers.LSTMCell(4), custom_layers.GRUCell(3)]
    ),
}


@pytest.mark.parametrize("make_cell", EVERY_CELL.values(), ids=EVERY_CELL.keys())
@pytest.mark.parametrize("batch", [1, 2])
def test_cell_called_with_a_sequence(make_cell, batch):
    # A batch of 1 would broadcast silently in x U + h W instead of failing.
    cell = make_cell()
    states = cell.get_initial_state(batch_size=batch)
    message = r"one time step and expects a 2-D input of shape \(batch, features\)"
    with pytest.raises(ValueError, match=message + r".*rank 3"):
        cell(np.zeros((batch, 5, 3), dtype="float32"), states)
    cell(np.zeros((batch, 3), dtype="float32"), states)  # one step: fine
    with pytest.raises(ValueError, match=message):
        cell(np.zeros((batch, 5, 3), dtype="float32"), states)
