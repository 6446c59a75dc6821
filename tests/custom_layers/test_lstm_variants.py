"""Greff et al.'s LSTM variants: parameter counts, NP == Keras's LSTM, the
gates each variant removes or couples, names and errors. (Reference,
gradients, precision, saving, masking, dropout and tracing of all nine:
test_extended_layers.py.)"""

import keras
import numpy as np
import pytest

from course.compare import outputs_and_gradients
from custom_layers import LSTMVariant
from custom_layers import LSTMVariantCell
from custom_layers import trace_states
from custom_layers.lstm_variants import VARIANTS
from tests.custom_layers.helpers import FEATURES
from tests.custom_layers.helpers import UNITS
from tests.custom_layers.helpers import copy_random_weights
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy


def paper_parameter_count(variant, inputs, units):
    """Greff et al.'s counts: per gate (and the block input) N·M input
    weights, N² recurrent ones and N biases; N per peephole; FGR 9 N²."""
    gate = units * inputs + units * units + units
    if variant in ("NIG", "NFG", "NOG", "CIFG"):
        return 3 * gate + 2 * units
    if variant == "NP":
        return 4 * gate
    if variant == "FGR":
        return 4 * gate + 3 * units + 9 * units * units
    return 4 * gate + 3 * units  # vanilla, NIAF, NOAF


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parameter_count_follows_the_paper(variant):
    cell = LSTMVariantCell(UNITS, variant=variant)
    cell.build((None, FEATURES))
    assert cell.count_params() == paper_parameter_count(variant, FEATURES, UNITS)


def test_np_is_keras_lstm():
    keras_lstm = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)
    ours = LSTMVariant(UNITS, variant="NP", return_sequences=True, return_state=True)
    keras_lstm.build((None, None, FEATURES))
    ours.build((None, None, FEATURES))
    copy_random_weights(keras_lstm, ours)
    x = random_inputs()
    out_ours, dx_ours, dw_ours = outputs_and_gradients(ours, x)
    out_keras, dx_keras, dw_keras = outputs_and_gradients(keras_lstm, x)
    for mine, theirs in zip(out_ours, out_keras, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    for mine, theirs in zip([dx_ours, *dw_ours], [dx_keras, *dw_keras], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-5)


def traced(variant, **kwargs):
    layer = LSTMVariant(UNITS, variant=variant, **kwargs)
    layer.build((None, None, FEATURES))
    copy_random_weights(layer)
    return trace_states(layer, random_inputs())


def test_cifg_forget_gate_is_one_minus_input_gate():
    trace = traced("CIFG")
    np.testing.assert_array_equal(trace["f"], 1 - trace["i"])
    assert 0.05 < trace["i"].std()  # the gate moves


@pytest.mark.parametrize("variant, gate", [("NIG", "i"), ("NFG", "f"), ("NOG", "o")])
def test_removed_gate_is_exactly_one(variant, gate):
    trace = traced(variant)
    np.testing.assert_array_equal(trace[gate], np.ones_like(trace[gate]))
    for other in set("ifo") - {gate}:
        assert np.all(trace[other] < 1)


def test_activations_each_variant_removes():
    niaf = traced("NIAF")
    assert np.abs(niaf["c_tilde"]).max() > 1  # c̃ is linear, not squashed to (-1, 1)
    noaf = traced("NOAF")
    np.testing.assert_allclose(noaf["h"], noaf["o"] * noaf["c"], rtol=1e-6)


def test_fgr_state_carries_the_gates():
    layer = LSTMVariant(UNITS, variant="FGR", return_sequences=True, return_state=True)
    outputs = to_numpy(layer(random_inputs()))
    assert len(outputs) == 6  # sequence, h, c, i, f, o
    trace = trace_states(layer, random_inputs())
    for name, state in zip("hcifo", outputs[1:]):
        np.testing.assert_allclose(trace[name][:, -1], state, rtol=0, atol=1e-6)


def test_gate_weight_names():
    cell = LSTMVariantCell(2, variant="CIFG")
    cell.build((None, 3))
    assert list(cell.gate_weights()) == [
        "U_i",
        "W_i",
        "b_i",
        "U_c",
        "W_c",
        "b_c",
        "U_o",
        "W_o",
        "b_o",
        "p_i",
        "p_o",
    ]
    cell = LSTMVariantCell(2, variant="FGR")
    cell.build((None, 3))
    names = list(cell.gate_weights())
    assert names[-12:] == ["p_i", "p_f", "p_o"] + [
        f"R_{a}{b}" for a in "ifo" for b in "ifo"
    ]
    assert cell.gate_weights()["R_fo"].shape == (2, 2)


@pytest.mark.parametrize("variant", ["vanilla", "NIG", "CIFG"])
def test_unit_forget_bias(variant):
    cell = LSTMVariantCell(2, variant=variant)
    cell.build((None, 3))
    biases = {k: v for k, v in cell.gate_weights().items() if k.startswith("b_")}
    for name, value in biases.items():
        np.testing.assert_array_equal(value, np.full(2, 1.0 if name == "b_f" else 0.0))


def test_variant_names_ignore_case():
    assert LSTMVariantCell(2, variant="cifg").variant == "CIFG"
    assert LSTMVariant(2, variant="Vanilla").cell.variant == "vanilla"


@pytest.mark.parametrize("variant", ["GRU", "peephole", "", None, 3])
def test_unknown_variant_lists_the_valid_ones(variant):
    with pytest.raises(ValueError) as error:
        LSTMVariant(2, variant=variant)
    message = str(error.value)
    assert message.startswith(f"Unknown `variant` {variant!r}. Expected one of:")
    for name in VARIANTS:
        assert repr(name) in message


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": 0}, r"`units` must be a positive integer"),
        ({"recurrent_activation": "sigmod"}, r"Unknown activation 'sigmod'"),
        ({"dropout": 1.0}, r"`dropout` must be in \[0, 1\)"),
    ],
)
def test_bad_arguments(kwargs, message):
    kwargs = {"units": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        LSTMVariant(**kwargs, variant="FGR")
