"""The lecture's classifier and its CNN baseline: structure, precision, saving."""

import keras
import numpy as np
import pytest

from course.models import cnn_classifier
from course.models import lecture_optimizer
from course.models import spatial_rnn_classifier
from custom_layers import SpatialRNN


@pytest.fixture(autouse=True)
def _float32_policy():
    keras.utils.set_random_seed(0)
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_full_size_model_follows_the_lecture():
    model = spatial_rnn_classifier()
    assert model.input_shape == (None, 128, 128, 3)
    assert model.output_shape == (None, 2)
    convolutions = [model.get_layer(f"conv{level}") for level in range(1, 5)]
    assert [conv.filters for conv in convolutions] == [32, 64, 128, 256]
    assert all(conv.dilation_rate == (2, 2) for conv in convolutions)
    assert all(conv.kernel_size == (3, 3) for conv in convolutions)
    pools = [model.get_layer(f"pool{level}") for level in range(1, 4)]
    assert all(p.pool_size == (3, 3) and p.strides == (2, 2) for p in pools)
    assert model.get_layer("normalise").scale == pytest.approx(1 / 128)
    # Resolutions: 128 → 16 after the encoder, 8 and 4 after the SpatialRNNs.
    assert model.get_layer("conv4").output.shape[1:3] == (16, 16)
    first, second = model.get_layer("spatial_rnn1"), model.get_layer("spatial_rnn2")
    assert isinstance(first, SpatialRNN) and first.units == 256
    assert first.block_shape == (2, 2) and first.output.shape[1:] == (8, 8, 512)
    assert second.units == 512 and second.output.shape[1:] == (4, 4, 1024)
    assert second.vertical.forward_layer.cell.activation is keras.activations.tanh
    norms = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert len(norms) == 7  # input, 4 convolutions, 2 SpatialRNNs
    assert model.get_layer("classes").kernel_size == (1, 1)
    assert model.get_layer("probabilities").dtype_policy.name == "float32"


def test_width_multiplier_scales_every_block():
    model = spatial_rnn_classifier((64, 64, 1), num_classes=3, width=0.25)
    assert [model.get_layer(f"conv{i}").filters for i in range(1, 5)] == [8, 16, 32, 64]
    assert model.get_layer("spatial_rnn1").units == 64
    assert model.get_layer("spatial_rnn2").units == 128
    assert model.output_shape == (None, 3)
    full = spatial_rnn_classifier((64, 64, 1), num_classes=3).count_params()
    assert model.count_params() < full / 10


def test_odd_image_sizes_are_padded_not_rejected():
    model = spatial_rnn_classifier((25, 25, 1), width=0.125)
    assert model.get_layer("spatial_rnn2").output.shape[1:3] == (1, 1)


def test_cnn_baseline_matches_the_spatial_model_resolution():
    spatial = spatial_rnn_classifier((64, 64, 3), width=0.125)
    cnn = cnn_classifier((64, 64, 3), width=0.125)
    for block in (1, 2):
        assert (
            cnn.get_layer(f"conv_block{block}_norm").output.shape
            == spatial.get_layer(f"spatial_rnn{block}_norm").output.shape
        )
    assert not any(isinstance(layer, SpatialRNN) for layer in cnn.layers)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input_shape": (64, 64)}, "`input_shape` must be"),
        ({"input_shape": (64, 0, 3)}, "`input_shape` must be"),
        ({"num_classes": 0}, "`num_classes` must be a positive integer"),
        ({"width": 0}, "width multiplier"),
    ],
)
def test_bad_arguments(kwargs, message):
    for builder in (spatial_rnn_classifier, cnn_classifier):
        with pytest.raises(ValueError, match=message):
            builder(**kwargs)


def _images_and_labels(n=32, size=32):
    """Bright-left vs bright-right images: learnable in a few steps."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    images = rng.uniform(0, 100, (n, size, size, 3)).astype("float32")
    half = size // 2
    for image, label in zip(images, labels):
        image[:, half:] += 150 * label
        image[:, :half] += 150 * (1 - label)
    return images, labels


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_trains_under_mixed_precision_without_nan(policy):
    keras.mixed_precision.set_global_policy(policy)
    model = spatial_rnn_classifier((32, 32, 3), width=0.125, cell="gru")
    assert model.get_layer("spatial_rnn1").compute_dtype == policy.split("_")[1]
    model.compile(
        optimizer=lecture_optimizer(0.05),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    images, labels = _images_and_labels()
    history = model.fit(images, labels, batch_size=8, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)), losses
    probabilities = model.predict(images, verbose=0)
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert losses[-1] < losses[0]


def test_keras_file_round_trip(tmp_path):
    model = spatial_rnn_classifier((32, 32, 3), width=0.125)
    images, _ = _images_and_labels(4)
    path = tmp_path / "classifier.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(
        restored.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6
    )
