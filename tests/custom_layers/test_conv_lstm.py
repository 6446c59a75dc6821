"""The hand-written ConvLSTM computes what `keras.layers.ConvLSTM2D` computes.

Weights are copied from the built-in into ours; outputs, final states and the
gradients with respect to the input and every weight must agree (float32, max
abs error <= 1e-5; the forward pass keeps Keras's per-gate convolutions and
order of additions and is bit-identical), with masks, dropout, mixed precision
and saving.
"""

import inspect
import re

import keras
import numpy as np
import pytest

import custom_layers
from course.compare import outputs_and_gradients
from tests.custom_layers.helpers import copy_random_weights
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy

BATCH, TIMESTEPS, SIZE, CHANNELS, FILTERS = 2, 3, 6, 2, 3
SHAPE = (BATCH, TIMESTEPS, SIZE, SIZE, CHANNELS)
ATOL = 1e-5


def make_pair(shape=SHAPE, **kwargs):
    """Returns (ours, builtin) ConvLSTM2D layers, built, same random weights."""
    arguments = {"filters": FILTERS, "kernel_size": 3, **kwargs}
    ours = custom_layers.ConvLSTM2D(**arguments)
    builtin = keras.layers.ConvLSTM2D(**arguments)
    ours.build(shape)
    builtin.build(shape)
    copy_random_weights(builtin, ours)
    return ours, builtin


def assert_all_close(ours, builtin, atol=ATOL):
    assert len(ours) == len(builtin)
    for mine, theirs in zip(ours, builtin):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=atol)


@pytest.mark.parametrize(
    "options",
    [
        {"padding": "valid"},
        {"padding": "same", "go_backwards": True},
        {"padding": "same", "kernel_size": (3, 1), "dilation_rate": 2},
        {"padding": "valid", "use_bias": False, "activation": "relu"},
    ],
    ids=["valid", "same-backwards", "dilated", "no-bias-relu"],
)
def test_outputs_states_and_gradients_match(options):
    ours, builtin = make_pair(return_sequences=True, return_state=True, **options)
    x = random_inputs(SHAPE)
    out_ours, dx_ours, dw_ours = outputs_and_gradients(ours, x)
    out_builtin, dx_builtin, dw_builtin = outputs_and_gradients(builtin, x)

    assert len(out_ours) == 3  # sequence, h, C
    height = SIZE if options["padding"] == "same" else SIZE - 2
    assert out_ours[0].shape == (BATCH, TIMESTEPS, height, height, FILTERS)
    assert out_ours[1].shape == out_ours[2].shape == (BATCH, height, height, FILTERS)
    for mine, theirs in zip(out_ours, out_builtin):
        np.testing.assert_array_equal(mine, theirs)  # bit-identical
    np.testing.assert_allclose(dx_ours, dx_builtin, rtol=0, atol=ATOL)
    assert_all_close(dw_ours, dw_builtin)
    # The gradients are not trivially zero.
    assert all(np.abs(g).max() > 1e-3 for g in [dx_ours, *dw_ours])


def test_last_output_only_and_symbolic_shapes():
    ours, builtin = make_pair(padding="same")
    x = random_inputs(SHAPE)
    assert_all_close([to_numpy(ours(x))], [to_numpy(builtin(x))])
    for return_sequences in (False, True):
        for return_state in (False, True):
            arguments = {
                "return_sequences": return_sequences,
                "return_state": return_state,
            }
            inputs = keras.Input(SHAPE[1:])
            ours_out = custom_layers.ConvLSTM2D(FILTERS, 3, **arguments)(inputs)
            builtin_out = keras.layers.ConvLSTM2D(FILTERS, 3, **arguments)(inputs)
            ours_out = ours_out if return_state else [ours_out]
            builtin_out = builtin_out if return_state else [builtin_out]
            assert [o.shape for o in ours_out] == [o.shape for o in builtin_out]


def test_signature_is_keras_s():
    parameters = inspect.signature(custom_layers.ConvLSTM2D).parameters
    assert list(parameters)[:8] == [
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "data_format",
        "dilation_rate",
        "activation",
        "recurrent_activation",
    ]
    assert "units" not in parameters
    assert {"return_sequences", "return_state", "go_backwards"} <= set(parameters)
    layer = custom_layers.ConvLSTM2D(FILTERS, (3, 1), padding="SAME")
    assert (layer.filters, layer.kernel_size, layer.padding) == (
        FILTERS,
        (3, 1),
        "same",
    )


def test_weights_layout_and_gate_weights():
    ours, builtin = make_pair()
    assert [w.shape for w in ours.get_weights()] == [
        (3, 3, CHANNELS, 4 * FILTERS),
        (3, 3, FILTERS, 4 * FILTERS),
        (4 * FILTERS,),
    ]
    assert [w.shape for w in ours.get_weights()] == [
        w.shape for w in builtin.get_weights()
    ]
    # And back: weights copied from ours into the built-in.
    copy_random_weights(ours, builtin, seed=3)
    x = random_inputs(SHAPE)
    assert_all_close([to_numpy(ours(x))], [to_numpy(builtin(x))])
    gates = ours.cell.gate_weights()
    kernel, recurrent_kernel, bias = ours.get_weights()
    assert list(gates)[:3] == ["U_i", "W_i", "b_i"]
    np.testing.assert_array_equal(gates["U_f"], kernel[..., FILTERS : 2 * FILTERS])
    np.testing.assert_array_equal(gates["W_o"], recurrent_kernel[..., 3 * FILTERS :])
    np.testing.assert_array_equal(gates["b_c"], bias[2 * FILTERS : 3 * FILTERS])


def test_unit_forget_bias_initialises_like_keras():
    ours = custom_layers.ConvLSTM2D(FILTERS, 3, bias_initializer="ones")
    ours.build(SHAPE)
    ours_no = custom_layers.ConvLSTM2D(FILTERS, 3, unit_forget_bias=False)
    ours_no.build(SHAPE)
    builtin = keras.layers.ConvLSTM2D(FILTERS, 3, bias_initializer="ones")
    builtin.build(SHAPE)
    np.testing.assert_array_equal(ours.get_weights()[2], builtin.get_weights()[2])
    assert not ours_no.get_weights()[2].any()
    default = custom_layers.ConvLSTM2D(FILTERS, 3)
    default.build(SHAPE)
    expected = np.r_[np.zeros(FILTERS), np.ones(FILTERS), np.zeros(2 * FILTERS)]
    np.testing.assert_array_equal(default.get_weights()[2], expected)


def test_cell_inside_keras_rnn_matches_builtin():
    ours_cell = custom_layers.ConvLSTM2DCell(FILTERS, 3, padding="same")
    ours = keras.layers.RNN(ours_cell, return_sequences=True)
    _, builtin = make_pair(padding="same", return_sequences=True)
    ours.build(SHAPE)
    ours.set_weights(builtin.get_weights())
    x = random_inputs(SHAPE)
    assert_all_close([to_numpy(ours(x))], [to_numpy(builtin(x))])
    # One step by hand equals the first step of the sequence.
    state = ours_cell.get_initial_state(BATCH)
    h, _ = ours_cell(x[:, 0], state)
    np.testing.assert_allclose(
        to_numpy(h), to_numpy(builtin(x))[:, 0], rtol=0, atol=ATOL
    )


def test_masking_matches():
    ours, builtin = make_pair(padding="same", return_sequences=True, return_state=True)
    if keras.backend.backend() == "jax":
        # keras.layers.ConvLSTM2D cannot mask in JAX's scan loop (it fails to
        # broadcast the step mask against an image); its unrolled loop can.
        builtin = keras.layers.ConvLSTM2D.from_config(
            {**builtin.get_config(), "unroll": True}
        )
        builtin.build(SHAPE)
        builtin.set_weights(ours.get_weights())
    x = random_inputs(SHAPE)
    mask = np.ones((BATCH, TIMESTEPS), dtype=bool)
    mask[0, 2] = False  # right padding
    mask[1, 1] = False  # a hole in the middle
    out_ours = to_numpy(ours(x, mask=mask))
    out_builtin = to_numpy(builtin(x, mask=mask))
    assert_all_close(out_ours, out_builtin)
    sequence = out_ours[0]
    # A masked step repeats the previous output and carries the state over.
    np.testing.assert_array_equal(sequence[0, 2], sequence[0, 1])
    np.testing.assert_array_equal(sequence[1, 1], sequence[1, 0])
    np.testing.assert_array_equal(sequence[0, 1], out_ours[1][0])
    assert np.abs(sequence[1, 2] - sequence[1, 1]).max() > 1e-3


def test_dropout_only_in_training():
    ours, _ = make_pair(padding="same", dropout=0.5, recurrent_dropout=0.5)
    without, _ = make_pair(padding="same")
    without.set_weights(ours.get_weights())
    x = random_inputs(SHAPE)
    expected = to_numpy(without(x))
    np.testing.assert_array_equal(to_numpy(ours(x)), expected)
    np.testing.assert_array_equal(to_numpy(ours(x, training=False)), expected)
    assert np.abs(to_numpy(ours(x, training=True)) - expected).max() > 1e-3


def test_dropout_equals_builtin_with_the_same_seed():
    # Like Keras's ConvLSTM, one mask per gate for the frame and for the
    # state, drawn from the same seeded generator in the same order: training
    # outputs and gradients agree.
    ours, builtin = make_pair(
        padding="same",
        dropout=0.3,
        recurrent_dropout=0.3,
        seed=5,
        return_sequences=True,
    )
    x = random_inputs(SHAPE)
    out_ours, dx_ours, dw_ours = outputs_and_gradients(ours, x, training=True)
    out_builtin, dx_builtin, dw_builtin = outputs_and_gradients(
        builtin, x, training=True
    )
    assert_all_close(out_ours, out_builtin)
    np.testing.assert_allclose(dx_ours, dx_builtin, rtol=0, atol=ATOL)
    assert_all_close(dw_ours, dw_builtin)
    inference = to_numpy(ours(x))
    assert np.abs(out_ours[0] - inference).mean() > 0.01


def test_initial_state_and_stateful_batches():
    ours, builtin = make_pair(padding="same", return_state=True)
    x = random_inputs(SHAPE)
    state_shape = (BATCH, SIZE, SIZE, FILTERS)
    initial_state = [random_inputs(state_shape, seed=s) for s in (1, 2)]
    out_ours = to_numpy(ours(x, initial_state=initial_state))
    assert_all_close(out_ours, to_numpy(builtin(x, initial_state=initial_state)))
    assert np.abs(out_ours[0] - to_numpy(ours(x))[0]).max() > 1e-3

    ours, builtin = make_pair(padding="same", stateful=True)  # batch size known
    for seed in (3, 4):
        x = random_inputs(SHAPE, seed=seed)
        assert_all_close([to_numpy(ours(x))], [to_numpy(builtin(x))])
    ours.reset_state()
    fresh, _ = make_pair(padding="same")
    fresh.set_weights(ours.get_weights())
    assert_all_close([to_numpy(ours(x))], [to_numpy(fresh(x))])


def test_mixed_float16_dtypes_and_accuracy():
    x = random_inputs(SHAPE)
    ours_float32, _ = make_pair(
        padding="same", return_sequences=True, return_state=True
    )
    reference = to_numpy(ours_float32(x))

    keras.mixed_precision.set_global_policy("mixed_float16")
    ours, builtin = make_pair(padding="same", return_sequences=True, return_state=True)
    ours.set_weights(ours_float32.get_weights())
    builtin.set_weights(ours_float32.get_weights())
    outputs = ours(x)

    assert ours.compute_dtype == "float16"
    assert all(v.dtype == "float32" for v in ours.weights)
    for output, expected, theirs in zip(outputs, reference, builtin(x)):
        assert keras.backend.standardize_dtype(output.dtype) == "float16"
        # About 3x the error measured on TensorFlow and JAX (<= 1.9e-3).
        output = to_numpy(output)
        np.testing.assert_allclose(output.astype("float32"), expected, atol=6e-3)
        # Under the same policy, ours and the built-in agree exactly.
        np.testing.assert_array_equal(output, to_numpy(theirs))


def test_short_fit_under_mixed_float16_is_finite():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = keras.Sequential(
        [
            keras.Input(SHAPE[1:]),
            custom_layers.ConvLSTM2D(FILTERS, 3),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, dtype="float32"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    x = random_inputs((16, *SHAPE[1:]))
    y = x.mean(axis=(1, 2, 3, 4))[:, None]
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_keras_file_round_trip(tmp_path):
    model = keras.Sequential(
        [
            keras.Input(SHAPE[1:]),
            custom_layers.ConvLSTM2D(
                FILTERS, (3, 2), padding="same", dropout=0.1, unit_forget_bias=False
            ),
        ]
    )
    copy_random_weights(model.layers[0])
    x = random_inputs(SHAPE)
    path = tmp_path / "conv_lstm.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    layer = loaded.layers[0]
    assert isinstance(layer, custom_layers.ConvLSTM2D)
    assert (layer.filters, layer.kernel_size, layer.padding) == (
        FILTERS,
        (3, 2),
        "same",
    )
    assert (layer.dropout, layer.unit_forget_bias) == (0.1, False)
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))
    cell = custom_layers.ConvLSTM2DCell.from_config(layer.cell.get_config())
    assert cell.get_config() == layer.cell.get_config()


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"padding": "full"}, "Unknown `padding` 'full'"),
        ({"strides": 2}, "`strides` must be 1"),
        ({"data_format": "channels_first"}, "channels_first"),
        ({"kernel_size": 0}, "`kernel_size` must be a positive integer"),
        ({"kernel_size": (3, 3, 3)}, "pair of positive integers"),
        ({"filters": 0}, "`filters` must be a positive integer"),
        ({"dropout": 1.5}, "`dropout` must be in [0, 1)"),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    arguments = {"filters": FILTERS, "kernel_size": 3, **arguments}
    with pytest.raises(ValueError, match=re.escape(message)):
        custom_layers.ConvLSTM2D(**arguments)


def test_bad_inputs_are_refused():
    layer = custom_layers.ConvLSTM2D(FILTERS, 3)
    with pytest.raises(ValueError, match="expects a 5-D input"):
        layer(random_inputs((BATCH, TIMESTEPS, SIZE, SIZE)))
    with pytest.raises(ValueError, match="smaller than the"):
        layer(random_inputs((BATCH, TIMESTEPS, 2, 2, CHANNELS)))
    layer = custom_layers.ConvLSTM2D(FILTERS, 3)
    layer(random_inputs(SHAPE))
    with pytest.raises(ValueError, match="was built for inputs with 2 features"):
        layer(random_inputs((BATCH, TIMESTEPS, SIZE, SIZE, 5)))
    cell = custom_layers.ConvLSTM2DCell(FILTERS, 3)
    with pytest.raises(ValueError, match="expects a 4-D input"):
        cell(random_inputs((BATCH, SIZE * SIZE)), [None, None])
    # A plain keras.layers.RNN has no symbolic shape for image states.
    with pytest.raises(ValueError, match="use custom_layers.ConvLSTM2D"):
        keras.layers.RNN(cell)(keras.Input(SHAPE[1:]))


def test_trace_states_follows_the_frames():
    layer = custom_layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)
    frames = np.random.default_rng(0).standard_normal((2, 4, 6, 6, 2)).astype("float32")
    sequence = to_numpy(layer(frames))
    trace = custom_layers.trace_states(layer, frames)
    assert sorted(trace) == ["c", "c_tilde", "f", "h", "i", "o"]
    assert trace["f"].shape == (2, 4, 6, 6, 3)
    np.testing.assert_allclose(trace["h"], sequence, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="expects a 5-D input"):
        custom_layers.trace_states(layer, frames[:, :, 0, 0])


def test_a_trace_leaves_no_dropout_mask_behind():
    # trace_states steps without training, so it draws no mask: the next
    # training call, here with another batch size, draws its own.
    layer = custom_layers.ConvLSTM2D(
        3, 3, padding="same", dropout=0.5, recurrent_dropout=0.5, seed=1
    )
    rng = np.random.default_rng(0)
    custom_layers.trace_states(layer, rng.standard_normal((2, 4, 6, 6, 2)))
    assert layer(rng.standard_normal((3, 4, 6, 6, 2)), training=True).shape == (
        3,
        6,
        6,
        3,
    )
