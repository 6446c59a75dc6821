"""An independent float64 NumPy reference of the lecture's equations.

It reads the weights through `gate_weights()` (the lecture's names), so it
also checks that those names and splits are right.
"""

import numpy as np
import pytest

import custom_layers
from tests.custom_layers.helpers import make_pair
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def elman_reference(w, x):
    h = np.zeros((x.shape[0], w["W"].shape[0]))
    outputs = []
    for x_t in x.transpose(1, 0, 2):
        h = np.tanh(x_t @ w["U"] + h @ w["W"] + w["b"])
        outputs.append(h)
    return np.stack(outputs, axis=1), [h]


def lstm_reference(w, x):
    h = np.zeros((x.shape[0], w["W_f"].shape[0]))
    c = np.zeros_like(h)
    outputs = []
    for x_t in x.transpose(1, 0, 2):
        f = sigmoid(x_t @ w["U_f"] + h @ w["W_f"] + w["b_f"])
        i = sigmoid(x_t @ w["U_i"] + h @ w["W_i"] + w["b_i"])
        c_tilde = np.tanh(x_t @ w["U_c"] + h @ w["W_c"] + w["b_c"])
        c = f * c + i * c_tilde
        o = sigmoid(x_t @ w["U_o"] + h @ w["W_o"] + w["b_o"])
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), [h, c]


def gru_reference(w, x, reset_after):
    h = np.zeros((x.shape[0], w["W_z"].shape[0]))
    zeros = np.zeros(h.shape[1])
    outputs = []
    for x_t in x.transpose(1, 0, 2):
        z = sigmoid(
            x_t @ w["U_z"] + w["b_z"] + h @ w["W_z"] + w.get("b_z_recurrent", zeros)
        )
        r = sigmoid(
            x_t @ w["U_r"] + w["b_r"] + h @ w["W_r"] + w.get("b_r_recurrent", zeros)
        )
        if reset_after:
            recurrent = r * (h @ w["W_h"] + w["b_h_recurrent"])
        else:
            recurrent = (r * h) @ w["W_h"]
        h_tilde = np.tanh(x_t @ w["U_h"] + w["b_h"] + recurrent)
        h = z * h + (1 - z) * h_tilde
        outputs.append(h)
    return np.stack(outputs, axis=1), [h]


REFERENCES = {
    "elman": elman_reference,
    "lstm": lstm_reference,
    "gru": lambda w, x: gru_reference(w, x, reset_after=True),
    "gru_cho": lambda w, x: gru_reference(w, x, reset_after=False),
}


def test_layer_matches_numpy_reference(family):
    ours, _ = make_pair(family, return_sequences=True, return_state=True)
    x = random_inputs()
    weights = {
        name: value.astype("float64")
        for name, value in ours.cell.gate_weights().items()
    }
    expected_sequence, expected_states = REFERENCES[family](
        weights, x.astype("float64")
    )
    sequence, *states = to_numpy(ours(x))
    np.testing.assert_allclose(sequence, expected_sequence, rtol=0, atol=1e-5)
    for state, expected in zip(states, expected_states):
        np.testing.assert_allclose(state, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "cell, names",
    [
        (custom_layers.ElmanCell(5), ["U", "W", "b"]),
        (
            custom_layers.LSTMCell(5),
            [f"{m}_{g}" for g in "ifco" for m in ("U", "W", "b")],
        ),
        (
            custom_layers.GRUCell(5, reset_after=False),
            [f"{m}_{g}" for g in "zrh" for m in ("U", "W", "b")],
        ),
        (
            custom_layers.GRUCell(5),
            [
                name
                for g in "zrh"
                for name in (f"U_{g}", f"W_{g}", f"b_{g}", f"b_{g}_recurrent")
            ],
        ),
    ],
)
def test_gate_weight_names_and_shapes(cell, names):
    cell.build((None, 3))
    weights = cell.gate_weights()
    assert list(weights) == names
    for name, value in weights.items():
        expected = {"U": (3, 5), "W": (5, 5), "b": (5,)}[name[0]]
        assert value.shape == expected, name


def test_gate_weights_without_bias():
    cell = custom_layers.GRUCell(2, use_bias=False)
    cell.build((None, 3))
    assert list(cell.gate_weights()) == ["U_z", "W_z", "U_r", "W_r", "U_h", "W_h"]


@pytest.mark.parametrize(
    "unit_forget_bias, expected_forget", [(True, 1.0), (False, 0.0)]
)
def test_unit_forget_bias(unit_forget_bias, expected_forget):
    cell = custom_layers.LSTMCell(4, unit_forget_bias=unit_forget_bias)
    cell.build((None, 3))
    weights = cell.gate_weights()
    np.testing.assert_array_equal(weights["b_f"], np.full(4, expected_forget))
    for gate in "ico":
        np.testing.assert_array_equal(weights[f"b_{gate}"], np.zeros(4))


def test_layer_exposes_cell_hyperparameters():
    layer = custom_layers.GRU(6, dropout=0.25, reset_after=False, seed=9)
    assert (layer.units, layer.dropout, layer.reset_after, layer.seed) == (
        6,
        0.25,
        False,
        9,
    )
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = layer.nonsense
