"""`trace_states`: the quantities of each cell's `step`, step by step.

(Every layer of extended_cases.py is traced in test_extended_layers.py.)
"""

import keras
import numpy as np
import pytest

import custom_layers
from custom_layers import trace_states
from tests.custom_layers.helpers import BATCH
from tests.custom_layers.helpers import FEATURES
from tests.custom_layers.helpers import TIMESTEPS
from tests.custom_layers.helpers import UNITS
from tests.custom_layers.helpers import make_pair
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy

ON_JAX = keras.backend.backend() == "jax"
NAMES = {
    "elman": ["h"],
    "lstm": ["i", "f", "c_tilde", "o", "c", "h"],
    "gru": ["z", "r", "h_tilde", "h"],
    "gru_cho": ["z", "r", "h_tilde", "h"],
}


def assert_same(traced, computed):
    if ON_JAX:  # XLA fuses the scanned step: rounding may differ by an ulp
        np.testing.assert_allclose(traced, computed, rtol=0, atol=1e-6)
    else:
        np.testing.assert_array_equal(traced, computed)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_h_is_the_layers_output_sequence(family, go_backwards):
    layer, _ = make_pair(
        family, return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    x = random_inputs()
    sequence, *states = to_numpy(layer(x))
    trace = trace_states(layer, x)
    assert list(trace) == NAMES[family]
    for value in trace.values():
        assert value.shape == (BATCH, TIMESTEPS, UNITS)
    h = trace["h"][:, ::-1] if go_backwards else trace["h"]
    assert_same(h, sequence)
    last = 0 if go_backwards else -1  # the step read last
    assert_same(trace["h"][:, last], states[0])
    if family == "lstm":
        assert_same(trace["c"][:, last], states[1])


def previous_steps(values):
    """values[:, t - 1] at every step t, with the zero initial state at t = 0."""
    return np.concatenate([np.zeros_like(values[:, :1]), values[:, :-1]], axis=1)


def test_lstm_quantities_follow_the_equations():
    layer, _ = make_pair("lstm", return_sequences=True)
    trace = trace_states(layer, random_inputs())
    c_previous = previous_steps(trace["c"])
    np.testing.assert_allclose(
        trace["c"], trace["f"] * c_previous + trace["i"] * trace["c_tilde"], atol=1e-6
    )
    np.testing.assert_allclose(trace["h"], trace["o"] * np.tanh(trace["c"]), atol=1e-6)
    for gate in "ifo":
        assert 0 < trace[gate].min() and trace[gate].max() < 1


def test_gru_quantities_follow_the_equations():
    layer, _ = make_pair("gru", return_sequences=True)
    trace = trace_states(layer, random_inputs())
    h_previous = previous_steps(trace["h"])
    np.testing.assert_allclose(
        trace["h"],
        trace["z"] * h_previous + (1 - trace["z"]) * trace["h_tilde"],
        atol=1e-6,
    )


def test_a_cell_and_an_initial_state():
    cell = custom_layers.LSTMCell(UNITS)  # not built yet: built by the trace
    x = random_inputs()
    rng = np.random.default_rng(1)
    initial = [rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in "hc"]
    trace = trace_states(cell, x, initial_state=initial)
    layer = keras.layers.RNN(cell, return_sequences=True)
    assert_same(trace["h"], to_numpy(layer(x, initial_state=initial)))


def test_stateful_layer_starts_from_its_states():
    layer, _ = make_pair("gru", batch_size=BATCH, stateful=True, return_sequences=True)
    first, second = random_inputs(seed=1), random_inputs(seed=2)
    layer(first)
    trace = trace_states(layer, second)  # does not advance the states
    assert_same(trace["h"], to_numpy(layer(second)))


def test_stack_names_each_layer():
    layer = keras.layers.RNN(
        keras.layers.StackedRNNCells(
            [custom_layers.ElmanCell(4), custom_layers.GRUCell(UNITS)]
        ),
        return_sequences=True,
    )
    x = random_inputs()
    trace = trace_states(layer, x)
    assert list(trace) == [
        "layer1/h",
        "layer2/z",
        "layer2/r",
        "layer2/h_tilde",
        "layer2/h",
    ]
    assert trace["layer1/h"].shape == (BATCH, TIMESTEPS, 4)
    assert_same(trace["layer2/h"], to_numpy(layer(x)))


def test_the_trace_is_the_cells_step_and_leaves_the_layer_as_it_was():
    # One step by hand through `step`, the method `call` also runs.
    layer, _ = make_pair("lstm")
    x = random_inputs()
    weights = [w.copy() for w in layer.get_weights()]
    trace = trace_states(layer, x)
    zeros = np.zeros((BATCH, UNITS), "float32")
    step = layer.cell.step(x[:, 0], zeros, zeros)
    assert list(step) == list(trace)
    for name, value in step.items():
        assert_same(trace[name][:, 0], to_numpy(value))
    for before, after in zip(weights, layer.get_weights()):
        np.testing.assert_array_equal(before, after)
    model = keras.Sequential([keras.Input((TIMESTEPS, FEATURES)), layer])
    model.compile(loss="mse", optimizer="sgd")
    model.fit(x, np.zeros((BATCH, UNITS)), verbose=0)


def test_a_trace_under_mixed_precision_computes_in_the_compute_dtype():
    keras.mixed_precision.set_global_policy("mixed_float16")
    layer = custom_layers.GRU(UNITS, return_sequences=True)
    x = random_inputs()
    trace = trace_states(layer, x)
    assert trace["h"].dtype == np.float16
    np.testing.assert_allclose(trace["h"], to_numpy(layer(x)), atol=2e-3)


def test_feature_size_is_checked():
    layer, _ = make_pair("elman")
    with pytest.raises(ValueError, match="built for inputs with 3 features"):
        trace_states(layer, random_inputs(shape=(BATCH, TIMESTEPS, 7)))


@pytest.mark.parametrize(
    "target, message",
    [
        (keras.layers.LSTM(3), "only the cells of custom_layers name"),
        (keras.layers.Dense(3), "expects a recurrent cell of custom_layers"),
        (
            keras.layers.Bidirectional(custom_layers.LSTM(3)),
            "trace its forward_layer and backward_layer",
        ),
    ],
)
def test_what_cannot_be_traced(target, message):
    with pytest.raises(ValueError, match=message):
        trace_states(target, random_inputs())


def test_input_must_be_3d():
    with pytest.raises(ValueError, match=r"3-D input"):
        trace_states(custom_layers.ElmanRNN(3), np.zeros((4, 3), "float32"))
