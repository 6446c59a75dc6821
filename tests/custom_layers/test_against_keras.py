"""Our Elman / LSTM / GRU layers compute what Keras's built-in layers compute.

Weights are copied from the built-in into ours; outputs, every final state and
the gradients with respect to the inputs and every weight must agree (float32,
max abs error <= 1e-5; the forward pass keeps Keras's order of additions and
is expected to be bit-identical).
"""

import keras
import numpy as np
import pytest

from course.compare import outputs_and_gradients
from tests.custom_layers.helpers import BATCH
from tests.custom_layers.helpers import CELLS
from tests.custom_layers.helpers import FAMILIES
from tests.custom_layers.helpers import FEATURES
from tests.custom_layers.helpers import TIMESTEPS
from tests.custom_layers.helpers import UNITS
from tests.custom_layers.helpers import copy_random_weights
from tests.custom_layers.helpers import make_pair
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy

ATOL = 1e-5


def assert_all_close(ours, builtin, atol=ATOL):
    assert len(ours) == len(builtin)
    for mine, theirs in zip(ours, builtin):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=atol)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_outputs_states_and_gradients_match(family, go_backwards):
    ours, builtin = make_pair(
        family,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
    )
    x = random_inputs()
    out_ours, dx_ours, dw_ours = outputs_and_gradients(ours, x)
    out_builtin, dx_builtin, dw_builtin = outputs_and_gradients(builtin, x)

    expected_outputs = 3 if family == "lstm" else 2  # sequence + states
    assert len(out_ours) == expected_outputs
    assert out_ours[0].shape == (BATCH, TIMESTEPS, UNITS)
    for mine, theirs in zip(out_ours, out_builtin):
        np.testing.assert_array_equal(mine, theirs)  # bit-identical
    np.testing.assert_allclose(dx_ours, dx_builtin, rtol=0, atol=ATOL)
    assert [w.shape for w in dw_ours] == [w.shape for w in dw_builtin]
    assert_all_close(dw_ours, dw_builtin)
    # The gradients are not trivially zero.
    assert all(np.abs(g).max() > 1e-3 for g in dw_ours)


def test_weights_copy_both_ways(family):
    ours, builtin = make_pair(family)
    assert [w.shape for w in ours.get_weights()] == [
        w.shape for w in builtin.get_weights()
    ]
    copy_random_weights(ours, builtin, seed=7)
    x = random_inputs()
    np.testing.assert_array_equal(to_numpy(ours(x)), to_numpy(builtin(x)))


def test_cell_inside_keras_rnn_matches_builtin_cell(family):
    ours_class, builtin_class, kwargs = CELLS[family]
    ours = keras.layers.RNN(ours_class(UNITS, **kwargs), return_sequences=True)
    builtin = keras.layers.RNN(builtin_class(UNITS, **kwargs), return_sequences=True)
    x = random_inputs()
    ours(x), builtin(x)
    copy_random_weights(builtin, ours)
    np.testing.assert_array_equal(to_numpy(ours(x)), to_numpy(builtin(x)))


@pytest.mark.parametrize("how", ["masking_layer", "mask_argument"])
def test_masking_matches(family, how):
    ours, builtin = make_pair(family, return_sequences=True, return_state=True)
    x = random_inputs()
    mask = np.ones((BATCH, TIMESTEPS), dtype=bool)
    mask[0, 4:] = False  # right padding
    mask[1, 2] = False  # a hole in the middle
    mask[2, :2] = False  # left padding
    x[~mask] = 0.0
    if how == "masking_layer":
        masking = keras.layers.Masking(mask_value=0.0)
        out_ours = ours(masking(x))
        out_builtin = builtin(masking(x))
    else:
        out_ours = ours(x, mask=mask)
        out_builtin = builtin(x, mask=mask)
    out_ours, out_builtin = to_numpy(out_ours), to_numpy(out_builtin)
    assert_all_close(out_ours, out_builtin)
    sequence = out_ours[0]
    # A masked step repeats the previous output and carries the state over.
    np.testing.assert_array_equal(sequence[0, 4], sequence[0, 3])
    np.testing.assert_array_equal(sequence[1, 2], sequence[1, 1])
    np.testing.assert_array_equal(sequence[0, 3], out_ours[1][0])


def test_stateful_across_batches_and_reset(family):
    ours, builtin = make_pair(
        family, batch_size=BATCH, stateful=True, return_sequences=True
    )
    models = [
        keras.Sequential([keras.Input(batch_shape=(BATCH, TIMESTEPS, FEATURES)), layer])
        for layer in (ours, builtin)
    ]
    first, second = random_inputs(seed=1), random_inputs(seed=2)
    for batch in (first, second):
        np.testing.assert_allclose(
            to_numpy(models[0](batch)), to_numpy(models[1](batch)), atol=ATOL
        )
    # The state was carried: the second batch's output depends on the first.
    carried = to_numpy(models[0](second))
    ours.reset_state()
    fresh = to_numpy(models[0](second))
    assert np.abs(carried - fresh).max() > 1e-3
    builtin.reset_state()
    np.testing.assert_allclose(fresh, to_numpy(models[1](second)), atol=ATOL)


def test_inside_bidirectional(family):
    ours_layer, builtin_layer = make_pair(family, return_sequences=True)
    ours = keras.layers.Bidirectional(ours_layer)
    builtin = keras.layers.Bidirectional(builtin_layer)
    x = random_inputs()
    ours(x), builtin(x)
    copy_random_weights(builtin, ours)
    out = to_numpy(ours(x))
    assert out.shape == (BATCH, TIMESTEPS, 2 * UNITS)
    np.testing.assert_allclose(out, to_numpy(builtin(x)), atol=ATOL)


def test_stacked_in_sequential(family):
    ours_class, builtin_class, kwargs = FAMILIES[family]

    def stack(layer_class):
        return keras.Sequential(
            [
                keras.Input((TIMESTEPS, FEATURES)),
                layer_class(UNITS, return_sequences=True, **kwargs),
                layer_class(UNITS, **kwargs),
            ]
        )

    ours, builtin = stack(ours_class), stack(builtin_class)
    copy_random_weights(builtin, ours)
    x = random_inputs()
    np.testing.assert_allclose(
        to_numpy(ours(x)), to_numpy(builtin(x)), rtol=0, atol=ATOL
    )


def test_unroll_matches(family):
    ours, builtin = make_pair(family, unroll=True, return_sequences=True)
    x = random_inputs()
    np.testing.assert_allclose(
        to_numpy(ours(x)), to_numpy(builtin(x)), rtol=0, atol=ATOL
    )


def test_initial_state_argument(family):
    ours, builtin = make_pair(family, return_state=True)
    x = random_inputs()
    state_count = 2 if family == "lstm" else 1
    rng = np.random.default_rng(3)
    initial = [
        rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(state_count)
    ]
    assert_all_close(
        to_numpy(ours(x, initial_state=initial)),
        to_numpy(builtin(x, initial_state=initial)),
    )
