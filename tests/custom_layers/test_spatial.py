"""SpatialRNN against an explicit per-column / per-row built-in reference,
plus the direction checks that catch the usual re-implementation mistakes."""

import keras
import numpy as np
import pytest

from course.compare import outputs_and_gradients
from custom_layers import GRUCell
from custom_layers import SpatialRNN
from tests.custom_layers.helpers import copy_random_weights
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy
from tests.custom_layers.spatial_reference import BuiltinSpatialReference

UNITS = 3
# (height, width, channels, block_shape), including non-square and 1×1 blocks.
GEOMETRIES = [
    (4, 6, 2, (2, 2)),
    (6, 4, 3, (3, 1)),
    (3, 5, 1, (1, 1)),
    (4, 8, 2, (2, 4)),
]


def make_spatial(shape, cell="gru", **kwargs):
    layer = SpatialRNN(UNITS, cell=cell, **kwargs)
    layer.build((None, *shape))
    copy_random_weights(layer)
    return layer


def reference_for(layer, shape, vectorised=False):
    reference = BuiltinSpatialReference(
        UNITS,
        layer.block_shape,
        layer._cell_name,
        merge_mode=layer.merge_mode,
        vectorised=vectorised,
    )
    reference.build((None, *shape))
    reference.copy_weights_from(layer)
    return reference


@pytest.mark.parametrize("cell", ["elman", "lstm", "gru"])
@pytest.mark.parametrize("height, width, channels, block", GEOMETRIES)
def test_matches_per_column_builtin_reference(cell, height, width, channels, block):
    shape = (height, width, channels)
    x = random_inputs((2, *shape))
    ours = make_spatial(shape, cell=cell, block_shape=block)
    reference = reference_for(ours, shape)

    outputs, grad_x, grad_weights = outputs_and_gradients(ours, x)
    expected, expected_grad_x, expected_grad_weights = outputs_and_gradients(
        reference, x
    )
    assert outputs[0].shape == (2, height // block[0], width // block[1], 2 * UNITS)
    np.testing.assert_allclose(outputs[0], expected[0], rtol=0, atol=1e-5)
    np.testing.assert_allclose(grad_x, expected_grad_x, rtol=0, atol=1e-5)
    assert len(grad_weights) == len(expected_grad_weights) == 12
    for ours_grad, expected_grad in zip(grad_weights, expected_grad_weights):
        np.testing.assert_allclose(ours_grad, expected_grad, rtol=0, atol=1e-5)


@pytest.mark.parametrize("merge_mode", ["sum", "mul", "ave"])
def test_other_merge_modes_match_reference(merge_mode):
    shape = (4, 4, 2)
    x = random_inputs((2, *shape))
    ours = make_spatial(shape, merge_mode=merge_mode)
    expected = reference_for(ours, shape)(x)
    assert ours.compute_output_shape((None, *shape)) == (None, 2, 2, UNITS)
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(expected), atol=1e-5)


def test_vectorised_reference_equals_per_column_reference():
    shape = (4, 6, 2)
    x = random_inputs((2, *shape))
    ours = make_spatial(shape, cell="lstm")
    looped = to_numpy(reference_for(ours, shape)(x))
    folded = to_numpy(reference_for(ours, shape, vectorised=True)(x))
    np.testing.assert_allclose(folded, looped, atol=1e-6)


def test_top_down_output_changes_only_at_and_below_a_changed_patch():
    shape = (10, 6, 2)  # 5×3 patches of 2×2
    layer = make_spatial(shape)
    x = random_inputs((1, *shape))
    changed = x.copy()
    changed[0, 4:6, 2:4] += 1.0  # patch row 2, column 1
    before = to_numpy(layer.vertical_sweep(x))
    after = to_numpy(layer.vertical_sweep(changed))
    top_down = np.abs(after - before)[0, :, :, :UNITS].max(axis=-1)
    bottom_up = np.abs(after - before)[0, :, :, UNITS:].max(axis=-1)

    expected_top_down = np.zeros((5, 3), bool)
    expected_top_down[2:, 1] = True  # at and below, same column only
    expected_bottom_up = np.zeros((5, 3), bool)
    expected_bottom_up[:3, 1] = True  # at and above
    np.testing.assert_array_equal(top_down > 1e-7, expected_top_down)
    np.testing.assert_array_equal(bottom_up > 1e-7, expected_bottom_up)
    # After the horizontal sweep every position of every row may change,
    # but only through the column: rows stay independent of each other.
    output_change = np.abs(to_numpy(layer(changed)) - to_numpy(layer(x)))[0]
    np.testing.assert_array_equal(output_change.max(axis=(1, 2)) > 1e-7, [True] * 5)


def _flip_patch_grid(x, axis, block):
    """Reverses the order of the patch rows (axis 1) or columns (axis 2),
    keeping the pixels inside each patch as they are."""
    shape = list(x.shape)
    split = shape[:axis] + [shape[axis] // block, block] + shape[axis + 1 :]
    return np.flip(x.reshape(split), axis=axis).reshape(shape)


def _swap_halves(kernel):
    half = kernel.shape[0] // 2
    return np.concatenate([kernel[half:], kernel[:half]])


def _mirror(layer, shape, sweep):
    """A copy of `layer` with `sweep`'s two directional RNNs swapped.

    Swapping the vertical RNNs also swaps the halves [↓, ↑] of the map the
    horizontal RNNs read, so their input kernels' rows are swapped to match.
    """
    mirrored = make_spatial(shape, cell="lstm")
    mirrored.set_weights(layer.get_weights())
    source, target = getattr(layer, sweep), getattr(mirrored, sweep)
    target.forward_layer.set_weights(source.backward_layer.get_weights())
    target.backward_layer.set_weights(source.forward_layer.get_weights())
    if sweep == "vertical":
        for rnn in (
            mirrored.horizontal.forward_layer,
            mirrored.horizontal.backward_layer,
        ):
            rnn.cell.kernel.assign(_swap_halves(to_numpy(rnn.cell.kernel)))
    return mirrored


@pytest.mark.parametrize("sweep, axis", [("vertical", 1), ("horizontal", 2)])
def test_flipped_input_with_swapped_directions_gives_flipped_output(sweep, axis):
    shape = (6, 8, 2)
    layer = make_spatial(shape, cell="lstm")
    mirrored = _mirror(layer, shape, sweep)
    x = random_inputs((2, *shape))
    output = to_numpy(layer(x))
    flipped = _flip_patch_grid(x, axis, layer.block_shape[axis - 1])
    mirrored_output = to_numpy(mirrored(flipped))
    if sweep == "horizontal":
        # The last sweep's halves trade places: [→, ←] becomes [←, →].
        mirrored_output = _swap_halves(np.moveaxis(mirrored_output, -1, 0))
        mirrored_output = np.moveaxis(mirrored_output, 0, -1)
    np.testing.assert_allclose(
        np.flip(mirrored_output, axis=axis), output, rtol=0, atol=1e-6
    )


def test_four_directions_have_separate_weights():
    layer = make_spatial((4, 4, 1))
    sublayers = [
        layer.vertical.forward_layer,
        layer.vertical.backward_layer,
        layer.horizontal.forward_layer,
        layer.horizontal.backward_layer,
    ]
    kernels = {id(rnn.cell.kernel) for rnn in sublayers}
    assert len(kernels) == 4
    assert len(layer.trainable_weights) == 4 * 3


def test_padding_same_zero_pads_to_the_next_multiple():
    x = random_inputs((2, 5, 7, 2))
    layer = make_spatial((5, 7, 2), block_shape=(2, 3), padding="same")
    assert layer(x).shape == (2, 3, 3, 2 * UNITS)
    # Keras's convention: the extra zero row / columns go after the image.
    padded = np.pad(x, [(0, 0), (0, 1), (1, 1), (0, 0)])
    valid = make_spatial((6, 9, 2), block_shape=(2, 3))
    valid.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_numpy(layer(x)), to_numpy(valid(padded)), atol=1e-6)


def test_callable_cells_plug_in():
    shape = (4, 4, 2)
    x = random_inputs((2, *shape))
    keras_cells = make_spatial(shape, cell=lambda: keras.layers.GRUCell(UNITS))
    ours = make_spatial(shape, cell=lambda: GRUCell(UNITS))
    ours.set_weights(keras_cells.get_weights())
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(keras_cells(x)), atol=1e-6)


@pytest.mark.parametrize(
    "cell",
    [
        "lstm",
        lambda: GRUCell(UNITS, reset_after=False),
        keras.layers.SimpleRNNCell(UNITS),
    ],
    ids=["name", "callable", "instance"],
)
def test_keras_file_round_trip(tmp_path, cell):
    shape = (4, 6, 2)
    inputs = keras.Input(shape)
    model = keras.Model(
        inputs, SpatialRNN(UNITS, cell=cell, block_shape=(2, 3))(inputs)
    )
    copy_random_weights(model)
    x = random_inputs((2, *shape))
    path = tmp_path / "spatial.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_array_equal(to_numpy(restored(x)), to_numpy(model(x)))
    assert restored.layers[-1].get_config() == model.layers[-1].get_config()


@pytest.mark.parametrize(
    "policy, compute_dtype, atol",
    [("mixed_float16", "float16", 5e-3), ("mixed_bfloat16", "bfloat16", 5e-2)],
)
def test_mixed_precision(policy, compute_dtype, atol):
    shape = (4, 4, 3)
    x = random_inputs((2, *shape))
    reference = make_spatial(shape)
    expected = to_numpy(reference(x))
    keras.mixed_precision.set_global_policy(policy)
    layer = make_spatial(shape)
    layer.set_weights(reference.get_weights())
    output = layer(x)
    assert keras.backend.standardize_dtype(output.dtype) == compute_dtype
    assert all(v.dtype == "float32" for v in layer.weights)
    np.testing.assert_allclose(to_numpy(output).astype("float32"), expected, atol=atol)


def test_unknown_batch_size_and_jit_compiled_training():
    shape = (8, 8, 1)
    model = keras.Sequential(
        [
            keras.Input(shape),  # batch size unknown when the graph is built
            SpatialRNN(4, cell="gru"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    x = random_inputs((12, *shape))
    y = x.mean(axis=(1, 2, 3))[:, None]
    history = model.fit(x, y, batch_size=5, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert model.predict(x[:3], verbose=0).shape == (3, 1)


@pytest.mark.parametrize(
    "kwargs, shape, message",
    [
        ({}, (1, 5, 4, 1), "divisible by block_shape=(2, 2), got a 5×4 image"),
        ({"block_shape": (3, 2)}, (1, 6, 5, 1), "got a 6×5 image"),
        ({}, (1, 4, 4), "expects a 4-D input"),
    ],
)
def test_bad_inputs(kwargs, shape, message):
    with pytest.raises(
        ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        SpatialRNN(2, **kwargs)(np.zeros(shape, "float32"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cell": "transformer"}, "Unknown `cell` 'transformer'"),
        ({"cell": 3}, "`cell` must be 'elman', 'lstm', 'gru', a callable"),
        ({"cell": lambda: GRUCell(5)}, "has 5 outputs"),
        ({"padding": "full"}, "Unknown `padding` 'full'"),
        ({"merge_mode": "max"}, "Unknown `merge_mode` 'max'"),
        ({"block_shape": (2, 0)}, "`block_shape` must be a positive integer"),
        ({"block_shape": (2, 2, 2)}, "pair"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        SpatialRNN(2, **kwargs)
