"""A Keras user's view of the layers: every constructor argument, call argument and
public attribute of `keras.layers.SimpleRNN` / `LSTM` / `GRU`, their cells and
`keras.layers.RNN` is accepted with the same meaning, or refused with a clear error."""

import inspect
import pydoc

import keras
import numpy as np
import pytest

import custom_layers
from tests.custom_layers.helpers import CELLS
from tests.custom_layers.helpers import FAMILIES
from tests.custom_layers.helpers import UNITS
from tests.custom_layers.helpers import make_pair
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy

# Arguments ours show that Keras's signature does not: Keras's LSTM/GRU (and
# their cells) take `implementation` through **kwargs, and keras.layers.RNN's
# `zero_output_for_mask` reaches its subclasses through **kwargs as well.
EXTRA_IN_OURS = {"implementation", "zero_output_for_mask"}
GATED_FAMILIES = ("lstm", "gru", "gru_cho")
PAIRS = {
    **{f"layer-{name}": pair[:2] for name, pair in FAMILIES.items()},
    **{f"cell-{name}": pair[:2] for name, pair in CELLS.items()},
}


def _arguments(signature):
    return {
        name: parameter
        for name, parameter in signature.parameters.items()
        if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    }


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_signature_has_every_keras_argument_with_its_default(pair):
    ours_class, keras_class = PAIRS[pair]
    ours = _arguments(inspect.signature(ours_class))
    theirs = _arguments(inspect.signature(keras_class))
    assert set(theirs) <= set(ours), set(theirs) - set(ours)
    assert set(ours) - set(theirs) <= EXTRA_IN_OURS
    for name, parameter in theirs.items():
        assert ours[name].default == parameter.default, name
    # Ours' positional arguments are the first of Keras's, in Keras's order;
    # the others are keyword-only.
    positional = [name for name, p in ours.items() if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional == list(theirs)[: len(positional)]
    assert "units" in positional


def test_help_shows_the_real_arguments():
    text = pydoc.plain(pydoc.render_doc(custom_layers.LSTM))
    assert "LSTM(units, activation='tanh'" in text
    assert "use_cudnn='auto'" in text
    assert "*cell_args" not in text


def test_an_instance_keeps_its_call_signature():
    layer = custom_layers.GRU(3)
    assert "units" not in inspect.signature(layer).parameters


@pytest.mark.parametrize("family_name", GATED_FAMILIES)
@pytest.mark.parametrize("implementation", [1, 2])
def test_implementation_is_a_hint_read_back(family_name, implementation):
    ours, builtin = make_pair(family_name, implementation=implementation)
    assert ours.implementation == ours.cell.implementation == implementation
    assert builtin.cell.implementation == implementation
    x = random_inputs()
    mine, theirs = to_numpy(ours(x)), to_numpy(builtin(x))
    if implementation == 2:
        np.testing.assert_array_equal(mine, theirs)  # the same fused products
    else:
        # Keras's implementation 1 multiplies gate by gate: the same numbers
        # up to float32 rounding; ours always computes the fused form.
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-6)


@pytest.mark.parametrize("family_name", GATED_FAMILIES)
def test_config_with_the_legacy_implementation_key_loads(family_name):
    layer_class, builtin_class, defaults = FAMILIES[family_name]
    config = {**layer_class(UNITS, **defaults).get_config(), "implementation": 0}
    assert builtin_class.from_config(config).cell.implementation == 0
    assert layer_class.from_config(config).implementation == 0
    # Not saved, as in Keras.
    assert "implementation" not in layer_class(UNITS, implementation=1).get_config()


@pytest.mark.parametrize("value", [3, "fast", True])
def test_invalid_implementation(value):
    with pytest.raises(ValueError, match="`implementation` must be 1 or 2"):
        custom_layers.GRUCell(3, implementation=value)


@pytest.mark.parametrize("layer_class", [custom_layers.LSTM, custom_layers.GRU])
def test_use_cudnn_auto_and_false_run_the_cell(layer_class):
    for value in ("auto", False):
        layer = layer_class(3, use_cudnn=value)
        assert layer.use_cudnn == value
        assert layer(random_inputs()).shape == (4, 3)


@pytest.mark.parametrize("layer_class", [custom_layers.LSTM, custom_layers.GRU])
def test_use_cudnn_true_is_refused_with_the_reason(layer_class):
    with pytest.raises(ValueError, match="never cuDNN"):
        layer_class(3, use_cudnn=True)
    with pytest.raises(ValueError, match="must be 'auto', True or False"):
        layer_class(3, use_cudnn="yes")


def test_elman_refuses_use_cudnn_like_simple_rnn():
    for layer_class in (custom_layers.ElmanRNN, keras.layers.SimpleRNN):
        with pytest.raises((TypeError, ValueError), match="use_cudnn"):
            layer_class(3, use_cudnn=False)


def test_zero_output_for_mask_as_in_keras(family):
    ours, builtin = make_pair(family, return_sequences=True, zero_output_for_mask=True)
    assert ours.zero_output_for_mask is builtin.zero_output_for_mask is True
    x = random_inputs()
    mask = np.ones(x.shape[:2], bool)
    mask[:, -2:] = False
    expected = to_numpy(builtin(x, mask=mask))
    assert not expected[:, -2:].any()
    np.testing.assert_array_equal(to_numpy(ours(x, mask=mask)), expected)


def test_call_arguments_match_keras(family):
    ours_class, keras_class, _ = FAMILIES[family]
    assert list(inspect.signature(ours_class.call).parameters) == list(
        inspect.signature(keras_class.call).parameters
    )


def _comparable(value):
    """An attribute's value in a form equal between equivalent objects."""
    if isinstance(value, (bool, int, float, str, type(None))):
        return value
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__  # activations
    return keras.saving.serialize_keras_object(value)


def _public_data_attributes(layer):
    """Public names of `layer` that are not methods (read without evaluating
    properties, some of which raise on a layer that was never called)."""
    return {
        name
        for name in dir(layer)
        if not name.startswith("_")
        and not inspect.isfunction(inspect.getattr_static(layer, name, None))
    }


# Keras's names that differ per object, not per configuration.
_IDENTITY = {"name", "path", "cell", "states", "weights", "variables"}


def test_public_attributes_read_as_in_keras(family):
    ours, builtin = make_pair(family, dropout=0.25, go_backwards=True)
    x = random_inputs()
    ours(x)
    builtin(x)
    plain_layer = _public_data_attributes(keras.layers.Layer())
    names = _public_data_attributes(builtin) - plain_layer
    assert names <= set(dir(ours)), names - set(dir(ours))
    assert {"units", "return_sequences", "go_backwards", "dropout"} <= names
    for name in sorted(names - _IDENTITY):
        assert _comparable(getattr(ours, name)) == _comparable(
            getattr(builtin, name)
        ), name
    for name in ("units", "state_size", "output_size", "dropout", "recurrent_dropout"):
        assert getattr(ours.cell, name) == getattr(builtin.cell, name), name
    assert ours.states is None and builtin.states is None  # not stateful


def test_states_of_a_stateful_layer_as_in_keras(family):
    ours, builtin = make_pair(family, stateful=True, batch_size=4)
    x = random_inputs()
    ours(x)
    builtin(x)
    assert len(ours.states) == len(builtin.states)
    for mine, theirs in zip(ours.states, builtin.states):
        np.testing.assert_array_equal(to_numpy(mine), to_numpy(theirs))
