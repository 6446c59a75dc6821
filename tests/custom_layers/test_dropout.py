"""Dropout goes through Keras's dropout-cell mechanism: one mask per sequence,
training only, and behaviour like the built-in's."""

import keras
import numpy as np
import pytest

import custom_layers
from tests.custom_layers.helpers import FAMILIES
from tests.custom_layers.helpers import make_pair
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy

LARGE_BATCH = (3000, 5, 3)
KERAS_VERSION = tuple(int(part) for part in keras.version().split(".")[:2])
# Before Keras 3.8 the built-in GRU multiplied h_{t-1} by its recurrent dropout
# mask before the whole step, the carry z ⊙ h_{t-1} included, so dropped units
# were also wiped from the memory; from 3.8 the mask only reaches the gates'
# and candidate's inputs, as in ours (and as Keras's LSTM always did).
KERAS_GRU_DROPS_THE_CARRY = KERAS_VERSION < (3, 8)


def test_inference_is_unaffected_by_dropout(family):
    with_dropout, _ = make_pair(family, dropout=0.5, recurrent_dropout=0.5)
    without, _ = make_pair(family)
    without.set_weights(with_dropout.get_weights())
    x = random_inputs()
    expected = to_numpy(without(x))
    np.testing.assert_array_equal(to_numpy(with_dropout(x)), expected)
    np.testing.assert_array_equal(to_numpy(with_dropout(x, training=False)), expected)
    assert np.abs(to_numpy(with_dropout(x, training=True)) - expected).max() > 1e-3


def test_input_dropout_equals_builtin_with_the_same_seed(family):
    # Keras's built-ins use one input mask for all gates when there is no
    # recurrent dropout; so do we, drawn from the same seeded generator.
    ours, builtin = make_pair(family, dropout=0.3, seed=5, return_sequences=True)
    x = random_inputs(LARGE_BATCH)
    np.testing.assert_array_equal(
        to_numpy(ours(x, training=True)), to_numpy(builtin(x, training=True))
    )


def test_recurrent_dropout_is_statistically_like_builtin(family):
    if family.startswith("gru") and KERAS_GRU_DROPS_THE_CARRY:
        pytest.skip(
            f"Keras {keras.version()}'s GRU also drops the carried state (fixed "
            "in 3.8); test_recurrent_dropout_and_the_gru_carry states the difference"
        )
    # Keras draws one recurrent mask per gate where we share one, so compare
    # distributions over a large batch rather than values.
    ours, builtin = make_pair(
        family, recurrent_dropout=0.4, seed=5, return_sequences=True
    )
    x = random_inputs(LARGE_BATCH)
    inference = to_numpy(ours(x))
    ours_out = to_numpy(ours(x, training=True))
    builtin_out = to_numpy(builtin(x, training=True))
    assert abs(ours_out.mean() - builtin_out.mean()) < 0.005
    assert abs(ours_out.std() - builtin_out.std()) < 0.005
    ours_shift = np.abs(ours_out - inference).mean()
    builtin_shift = np.abs(builtin_out - inference).mean()
    assert ours_shift > 0.01
    assert abs(ours_shift - builtin_shift) < 0.15 * builtin_shift


@pytest.mark.parametrize("family", ["gru", "gru_cho"])
def test_recurrent_dropout_and_the_gru_carry(family):
    # An update gate held at 1 (U_z = W_z = 0, b_z = 20: σ = 1 in float32) makes a GRU copy
    # its state, h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃_t = h_{t-1}: recurrent dropout
    # that stays out of the carry leaves h_0 unchanged after any number of steps.
    ours, builtin = make_pair(family, recurrent_dropout=0.5, seed=5)
    weights = builtin.get_weights()
    units = weights[1].shape[0]
    weights[0][:, :units] = 0.0  # U_z
    weights[1][:, :units] = 0.0  # W_z
    weights[2][..., :units] = 20.0  # b_z (both bias rows with reset_after)
    for layer in (ours, builtin):
        layer.set_weights(weights)
    x = random_inputs((400, 6, 3))
    h0 = np.random.default_rng(1).uniform(0.5, 1.0, size=(x.shape[0], units))
    h0 = h0.astype("float32")
    for layer in (ours, builtin):
        assert to_numpy(layer.cell.recurrent_activation(np.float32(19.0))) == 1.0
    ours_h = to_numpy(ours(x, initial_state=[h0], training=True))
    builtin_h = to_numpy(builtin(x, initial_state=[h0], training=True))
    np.testing.assert_array_equal(ours_h, h0)
    if KERAS_GRU_DROPS_THE_CARRY:
        # Each dropped unit is wiped, each kept one scaled by 1/(1 − 0.5) per step.
        kept = builtin_h != 0
        assert 0.2 < kept.mean() < 0.8
        np.testing.assert_allclose(builtin_h[kept], (h0 * 2.0 ** x.shape[1])[kept])
    else:
        np.testing.assert_array_equal(builtin_h, h0)


@pytest.mark.parametrize("implementation", ["ours", "builtin"])
def test_masks_are_constant_over_time(implementation):
    """A linear Elman probe exposes the masks: with U = I, W = 0 and all-ones
    inputs, h_t is the input mask itself (scaled by 1 / (1 - rate));
    with U = I, W = I and a single impulse at t = 0, a unit dropped from the
    recurrent connection once stays zero, and a kept one is never dropped."""
    layer_class = {
        "ours": custom_layers.ElmanRNN,
        "builtin": keras.layers.SimpleRNN,
    }[implementation]
    size, rate = 8, 0.3
    batch, steps = 2000, 6

    input_probe = layer_class(
        size,
        activation=None,
        use_bias=False,
        dropout=rate,
        seed=1,
        return_sequences=True,
    )
    input_probe.build((None, steps, size))
    input_probe.set_weights([np.eye(size), np.zeros((size, size))])
    h = to_numpy(input_probe(np.ones((batch, steps, size)), training=True))
    np.testing.assert_allclose(h, np.repeat(h[:, :1], steps, axis=1))
    assert abs((h == 0).mean() - rate) < 0.02
    np.testing.assert_allclose(h[h != 0], 1 / (1 - rate), rtol=1e-6)

    state_probe = layer_class(
        size,
        activation=None,
        use_bias=False,
        recurrent_dropout=rate,
        seed=1,
        return_sequences=True,
    )
    state_probe.build((None, steps, size))
    state_probe.set_weights([np.eye(size), np.eye(size)])
    impulse = np.zeros((batch, steps, size), dtype="float32")
    impulse[:, 0] = 1.0
    h = to_numpy(state_probe(impulse, training=True))
    dropped_at_step_1 = h[:, 1] == 0
    assert abs(dropped_at_step_1.mean() - rate) < 0.02
    for t in range(2, steps):
        np.testing.assert_array_equal(h[:, t] == 0, dropped_at_step_1)
        np.testing.assert_allclose(
            h[:, t][~dropped_at_step_1], (1 / (1 - rate)) ** t, rtol=1e-5
        )


def test_training_with_dropout_runs_in_fit(family):
    layer_class, _, kwargs = FAMILIES[family]
    model = keras.Sequential(
        [
            keras.Input((5, 3)),
            layer_class(4, dropout=0.2, recurrent_dropout=0.2, **kwargs),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(
        random_inputs((32, 5, 3)), np.ones((32, 1)), epochs=2, verbose=0
    )
    assert np.all(np.isfinite(history.history["loss"]))
