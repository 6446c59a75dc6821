"""Mixed precision, `.keras` serialization and config round trips."""

import keras
import numpy as np
import pytest

import custom_layers
from tests.custom_layers.helpers import FAMILIES
from tests.custom_layers.helpers import FEATURES
from tests.custom_layers.helpers import TIMESTEPS
from tests.custom_layers.helpers import UNITS
from tests.custom_layers.helpers import copy_random_weights
from tests.custom_layers.helpers import make_pair
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy

# Largest deviation from float32 allowed over the test's 6 steps with weights
# of scale 0.5: about 3x what was measured (<= 9e-4 for float16, <= 8.1e-3
# for bfloat16, on TensorFlow 2.21 / Keras 3.15, CPU).
PRECISIONS = [
    ("mixed_float16", "float16", 3e-3),
    ("mixed_bfloat16", "bfloat16", 3e-2),
]


@pytest.mark.parametrize("policy, compute_dtype, atol", PRECISIONS)
def test_mixed_precision_dtypes_and_accuracy(family, policy, compute_dtype, atol):
    x = random_inputs()
    ours_float32, _ = make_pair(family, return_sequences=True, return_state=True)
    reference = to_numpy(ours_float32(x))

    keras.mixed_precision.set_global_policy(policy)
    ours, builtin = make_pair(family, return_sequences=True, return_state=True)
    ours.set_weights(ours_float32.get_weights())
    builtin.set_weights(ours_float32.get_weights())
    outputs = ours(x)

    assert ours.compute_dtype == compute_dtype
    assert all(v.dtype == "float32" for v in ours.weights)
    for output, expected, theirs in zip(outputs, reference, builtin(x)):
        assert keras.backend.standardize_dtype(output.dtype) == compute_dtype
        output = to_numpy(output).astype("float32")
        np.testing.assert_allclose(output, expected, rtol=0, atol=atol)
        # Under the same policy, ours and the built-in agree exactly.
        np.testing.assert_array_equal(output, to_numpy(theirs).astype("float32"))


def test_short_fit_under_mixed_float16_is_finite(family):
    keras.mixed_precision.set_global_policy("mixed_float16")
    layer_class, _, kwargs = FAMILIES[family]
    model = keras.Sequential(
        [
            keras.Input((TIMESTEPS, FEATURES)),
            layer_class(UNITS, **kwargs),
            keras.layers.Dense(1, dtype="float32"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    x = random_inputs((64, TIMESTEPS, FEATURES))
    y = x.sum(axis=(1, 2))[:, None] / 10
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]


def test_keras_file_round_trip(family, tmp_path):
    layer_class, _, kwargs = FAMILIES[family]
    model = keras.Sequential(
        [
            keras.Input((TIMESTEPS, FEATURES)),
            keras.layers.Masking(),
            layer_class(
                UNITS,
                return_sequences=True,
                dropout=0.1,
                recurrent_dropout=0.2,
                kernel_regularizer="l2",
                seed=3,
                **kwargs,
            ),
            keras.layers.Bidirectional(layer_class(UNITS, **kwargs)),
            keras.layers.Dense(2),
        ]
    )
    copy_random_weights(model, seed=5)
    path = tmp_path / f"{family}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: registered

    x = random_inputs()
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))
    restored = loaded.layers[1]
    assert type(restored) is layer_class
    assert restored.get_config() == model.layers[1].get_config()
    assert restored.dropout == 0.1 and restored.recurrent_dropout == 0.2


def test_config_round_trip_keeps_every_argument(family):
    layer_class, _, kwargs = FAMILIES[family]
    layer = layer_class(
        7,
        activation="relu",
        use_bias=False,
        kernel_initializer="he_normal",
        recurrent_initializer="glorot_uniform",
        bias_initializer="ones",
        kernel_regularizer="l2",
        recurrent_regularizer="l1",
        bias_regularizer="l2",
        activity_regularizer="l2",
        kernel_constraint="non_neg",
        recurrent_constraint="unit_norm",
        bias_constraint="max_norm",
        dropout=0.25,
        recurrent_dropout=0.5,
        seed=11,
        return_sequences=True,
        return_state=True,
        go_backwards=True,
        unroll=True,
        name="configured",
        **kwargs,
    )
    config = layer.get_config()
    clone = layer_class.from_config(config)
    assert clone.get_config() == config
    assert clone.units == 7 and clone.seed == 11 and clone.go_backwards
    assert clone.activation is keras.activations.relu
    assert set(config) >= {
        "units",
        "activation",
        "use_bias",
        "kernel_initializer",
        "kernel_constraint",
        "dropout",
        "recurrent_dropout",
        "seed",
        "return_sequences",
        "return_state",
        "go_backwards",
        "stateful",
        "unroll",
        "activity_regularizer",
    }


@pytest.mark.parametrize(
    "cell_class, kwargs",
    [
        (custom_layers.ElmanCell, {}),
        (custom_layers.LSTMCell, {"unit_forget_bias": False}),
        (custom_layers.GRUCell, {"reset_after": False}),
    ],
)
def test_cell_serializes_on_its_own(cell_class, kwargs):
    cell = cell_class(3, dropout=0.5, **kwargs)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(cell)
    )
    assert type(restored) is cell_class
    assert restored.get_config() == cell.get_config()
