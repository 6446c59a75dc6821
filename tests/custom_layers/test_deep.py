"""Deep RNNs: DT-RNN and DO-RNN with one layer are Elman networks
(SimpleRNN), a stack without skip connections is Keras's stack, and the
arguments are checked. (Reference, gradients, precision, saving, masking,
dropout and tracing: test_extended_layers.py.)"""

import pathlib

import keras
import numpy as np
import pytest

import custom_layers
from tests.custom_layers.helpers import FEATURES
from tests.custom_layers.helpers import TIMESTEPS
from tests.custom_layers.helpers import UNITS
from tests.custom_layers.helpers import copy_random_weights
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy

SEQUENCE_AND_STATE = dict(return_sequences=True, return_state=True)


def simple_rnn_with_random_weights():
    builtin = keras.layers.SimpleRNN(UNITS, **SEQUENCE_AND_STATE)
    builtin.build((None, None, FEATURES))
    copy_random_weights(builtin)
    return builtin


def test_one_transition_layer_is_simple_rnn():
    builtin = simple_rnn_with_random_weights()
    ours = custom_layers.DeepTransitionRNN(
        UNITS, transition_layers=1, transition_units=7, **SEQUENCE_AND_STATE
    )
    ours.build((None, None, FEATURES))
    ours.set_weights(builtin.get_weights())
    x = random_inputs()
    for mine, theirs in zip(to_numpy(ours(x)), to_numpy(builtin(x))):
        np.testing.assert_array_equal(mine, theirs)


def test_one_output_layer_is_simple_rnn_and_dense():
    builtin = simple_rnn_with_random_weights()
    dense = keras.layers.Dense(2, activation="sigmoid")
    dense.build((None, UNITS))
    copy_random_weights(dense, seed=1)
    ours = custom_layers.DeepOutputRNN(
        UNITS,
        output_units=2,
        output_layers=1,
        output_activation="sigmoid",
        **SEQUENCE_AND_STATE,
    )
    ours.build((None, None, FEATURES))
    ours.set_weights(builtin.get_weights() + dense.get_weights())
    x = random_inputs()
    sequence, h = to_numpy(ours(x))
    builtin_sequence, builtin_h = to_numpy(builtin(x))
    np.testing.assert_array_equal(h, builtin_h)  # the state stays h
    np.testing.assert_allclose(
        sequence, to_numpy(dense(builtin_sequence)), rtol=0, atol=1e-6
    )


def stacks(skip_connections=False):
    cells = [custom_layers.LSTMCell(4), custom_layers.GRUCell(UNITS)]
    ours = custom_layers.StackedRNN(
        cells, skip_connections=skip_connections, **SEQUENCE_AND_STATE
    )
    ours.build((None, None, FEATURES))
    return ours


def test_stack_is_keras_stack_and_a_pile_of_layers():
    ours = stacks()
    weights = copy_random_weights(ours)
    keras_stack = keras.layers.RNN(
        keras.layers.StackedRNNCells(
            [keras.layers.LSTMCell(4), keras.layers.GRUCell(UNITS)]
        ),
        **SEQUENCE_AND_STATE,
    )
    keras_stack.build((None, None, FEATURES))
    keras_stack.set_weights(weights)
    pile = keras.Sequential(
        [
            keras.Input((TIMESTEPS, FEATURES)),
            keras.layers.LSTM(4, return_sequences=True),
            keras.layers.GRU(UNITS, return_sequences=True),
        ]
    )
    pile.set_weights(weights)

    x = random_inputs()
    sequence, (h1, c1), h2 = ours(x)  # states: each cell's, bottom first
    theirs = keras.tree.flatten(keras_stack(x))
    mine = keras.tree.flatten([sequence, h1, c1, h2])
    for value, expected in zip(mine, theirs, strict=True):
        np.testing.assert_array_equal(to_numpy(value), to_numpy(expected))
    np.testing.assert_allclose(to_numpy(sequence), to_numpy(pile(x)), rtol=0, atol=1e-6)


def test_skip_connections_shapes():
    ours = stacks(skip_connections=True)
    lstm, gru = ours.cells
    assert lstm.kernel.shape == (FEATURES, 4 * 4)
    assert gru.kernel.shape == (FEATURES + 4, 3 * UNITS)  # [x_t, h_t^1]
    sequence, *_ = ours(random_inputs())
    assert sequence.shape == (random_inputs().shape[0], TIMESTEPS, 4 + UNITS)
    assert ours.cell.output_size == 4 + UNITS


def test_stack_dropout_masks_are_made_for_every_cell():
    cells = [
        custom_layers.ElmanCell(4, dropout=0.5, recurrent_dropout=0.5, seed=1),
        custom_layers.ElmanCell(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=2),
    ]
    layer = custom_layers.StackedRNN(cells, skip_connections=True)
    model = keras.Sequential([keras.Input((TIMESTEPS, FEATURES)), layer])
    model.compile(loss="mse", optimizer="sgd")  # compiled: JAX scans the loop
    history = model.fit(random_inputs(), np.zeros((4, 4 + UNITS)), verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for cell in cells:  # reset after the sequence, as keras.layers.RNN does
        assert cell._dropout_mask is None and cell._recurrent_dropout_mask is None


def test_weight_names():
    cell = custom_layers.DeepTransitionCell(
        4, transition_layers=3, transition_units=6, shortcut=True
    )
    cell.build((None, 2))
    shapes = {name: w.shape for name, w in cell.gate_weights().items()}
    assert shapes == {
        "U": (2, 6),
        "W": (4, 6),
        "b": (6,),
        "W_2": (6, 6),
        "b_2": (6,),
        "W_3": (6, 4),
        "b_3": (4,),
        "W_s": (4, 4),
    }
    cell = custom_layers.DeepOutputCell(4, output_units=1, output_layers=2)
    cell.build((None, 2))
    shapes = {name: w.shape for name, w in cell.gate_weights().items()}
    assert shapes == {
        "U": (2, 4),
        "W": (4, 4),
        "b": (4,),
        "V_1": (4, 4),
        "c_1": (4,),
        "V_2": (4, 1),
        "c_2": (1,),
    }


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: custom_layers.DeepTransitionRNN(
                4, transition_layers=1, shortcut=True
            ),
            r"`shortcut=True` \(DT\(S\)-RNN\).*needs `transition_layers >= 2`",
        ),
        (
            lambda: custom_layers.DeepTransitionRNN(4, transition_layers=0),
            r"`transition_layers` must be a positive integer",
        ),
        (
            lambda: custom_layers.DeepTransitionRNN(4, transition_units=-1),
            r"`transition_units` must be a positive integer",
        ),
        (
            lambda: custom_layers.DeepTransitionRNN(4, transition_activation="tanhh"),
            r"Unknown activation 'tanhh' for `transition_activation`",
        ),
        (
            lambda: custom_layers.DeepOutputRNN(4, output_layers=0),
            r"`output_layers` must be a positive integer",
        ),
        (
            lambda: custom_layers.DeepOutputRNN(4, output_units="2"),
            r"`output_units` must be a positive integer",
        ),
        (
            lambda: custom_layers.DeepOutputRNN(4, output_hidden_activation="x"),
            r"Unknown activation 'x' for `output_hidden_activation`",
        ),
        (lambda: custom_layers.StackedRNN([]), r"`cells` must be a non-empty list"),
        (
            lambda: custom_layers.StackedRNN([custom_layers.ElmanCell(2), "lstm"]),
            r"Every entry of `cells` must be an RNN cell",
        ),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_stack_checks_its_input():
    layer = stacks()
    with pytest.raises(ValueError, match=r"3-D input"):
        layer(np.zeros((4, FEATURES), "float32"))
    with pytest.raises(ValueError, match=r"built for inputs with 3 features"):
        layer(np.zeros((4, TIMESTEPS, 5), "float32"))


def test_a_stack_saved_before_the_stacking_had_its_own_module_loads():
    # Saved with custom_layers.deep.StackedRNN (the class now lives in
    # custom_layers.stacked): registered names, not modules, find classes.
    folder = pathlib.Path(__file__).parent / "fixtures"
    model = keras.models.load_model(folder / "stacked_before_split.keras")
    saved = np.load(folder / "stacked_before_split.npz")
    assert isinstance(model.layers[0], custom_layers.StackedRNN)
    assert model.layers[0].skip_connections
    np.testing.assert_allclose(
        to_numpy(model(saved["x"])), saved["y"], rtol=1e-5, atol=1e-6
    )  # saved on TensorFlow; also loaded on JAX
