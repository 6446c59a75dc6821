"""The lecture's image classifiers: the ReSeg-style SpatialRNN network of the
gender-from-photo example, and a CNN baseline to set beside it.

The lecture's network (Intel neon, 3×128×128 input) in Keras terms:

```
x / 128 → BatchNorm
→ [Conv 3×3 dil 2, 32, ReLU → BatchNorm → MaxPool 3×3 /2]       1/2
→ [Conv 3×3 dil 2, 64, ReLU → BatchNorm → MaxPool 3×3 /2]       1/4
→ [Conv 3×3 dil 2, 128, ReLU → BatchNorm → MaxPool 3×3 /2]      1/8
→ Conv 3×3 dil 2, 256, ReLU → BatchNorm
→ SpatialRNN(256, block 2×2, tanh) → BatchNorm                   1/16, 512 ch
→ SpatialRNN(512, block 2×2, tanh) → BatchNorm                   1/32, 1024 ch
→ Conv 1×1 to the classes, ReLU → global average pool → softmax
```

trained with SGD (lr 0.01, momentum 0.9, weight decay 5e-4), batch 128,
90 epochs: 81.9 % accuracy in 29 571 s on a Tesla K40 (the lecture's results
table, `LECTURE_RESULTS` below).
"""

import keras
from keras import layers

from custom_layers import SpatialRNN
from custom_layers._checks import check_positive_int

# The lecture's results table (neon, Tesla K40): accuracy %, training time s.
LECTURE_RESULTS = {
    "FCNN-1": (71.2, 932),
    "FCNN-2": (73.5, 977),
    "FCNN-3": (77.7, 1013),
    "CNN-1": (79.3, 1582),
    "CNN-2": (83.5, 2030),
    "ResNet-18 (90 epochs)": (81.3, 15127),
    "ResNet-50 (30 epochs)": (80.9, 11849),
    "TL-1": (85.6, 119975),
    "TL-2": (85.3, 119989),
    "TL-3": (86.3, 39282),
    "RNN (SpatialRNN)": (81.9, 29571),
}
ENCODER_FILTERS = (32, 64, 128, 256)
SPATIAL_UNITS = (256, 512)


def _scaled(width, size):
    return max(1, round(width * size))


def _batch_norm(name):
    # neon's BatchNorm keeps its running statistics with rho = 0.9 (Keras's
    # default momentum is 0.99, too slow for a short run on a small set).
    return layers.BatchNormalization(momentum=0.9, name=name)


def _check_arguments(input_shape, num_classes, width):
    if len(input_shape) != 3 or any(
        not isinstance(size, int) or size <= 0 for size in input_shape
    ):
        raise ValueError(
            "`input_shape` must be (height, width, channels) with positive "
            f"integers, got {input_shape!r}."
        )
    check_positive_int("num_classes", num_classes)
    if isinstance(width, bool) or not isinstance(width, (int, float)) or width <= 0:
        raise ValueError(
            f"`width` (the width multiplier) must be a positive number, got {width!r}."
        )


def _inputs_and_encoder(input_shape, width):
    """The lecture's convolutional encoder, to 1/8 of the input resolution."""
    inputs = keras.Input(input_shape, name="image")
    x = layers.Rescaling(1 / 128, name="normalise")(inputs)
    x = _batch_norm(name="input_norm")(x)
    for level, filters in enumerate(ENCODER_FILTERS, start=1):
        x = layers.Conv2D(
            _scaled(width, filters),
            3,
            padding="same",
            dilation_rate=2,
            activation="relu",
            kernel_initializer="he_normal",
            name=f"conv{level}",
        )(x)
        x = _batch_norm(name=f"conv{level}_norm")(x)
        if level < len(ENCODER_FILTERS):
            x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{level}")(
                x
            )
    return inputs, x


def _head(x, num_classes):
    x = layers.Conv2D(
        num_classes,
        1,
        activation="relu",
        kernel_initializer="he_normal",
        name="classes",
    )(x)
    x = layers.GlobalAveragePooling2D(name="average")(x)
    # Softmax in float32 whatever the policy, so probabilities sum to 1.
    return layers.Activation("softmax", dtype="float32", name="probabilities")(x)


def spatial_rnn_classifier(
    input_shape=(128, 128, 3), num_classes=2, width=1.0, cell="elman"
):
    """The lecture's gender-from-photo network: a dilated-convolution encoder
    and two SpatialRNN (ReSeg) blocks.

    Args:
        input_shape: `(height, width, channels)` of the images, pixel values
            in [0, 255]. Default `(128, 128, 3)`, the lecture's.
        num_classes: Number of classes. Default 2.
        width: Width multiplier for every convolution and SpatialRNN, e.g.
            `0.125` for a version that trains on a CPU. Default 1.0.
        cell: The SpatialRNN cell: `"elman"` (the lecture's tanh BiRNN,
            default), `"gru"`, `"lstm"` or a cell callable.

    Returns:
        An uncompiled `keras.Model` from images to class probabilities.

    Example:

    >>> model = spatial_rnn_classifier((64, 64, 3), width=0.125)
    >>> model.output_shape
    (None, 2)
    """
    _check_arguments(input_shape, num_classes, width)
    inputs, x = _inputs_and_encoder(input_shape, width)
    for block, units in enumerate(SPATIAL_UNITS, start=1):
        x = SpatialRNN(
            _scaled(width, units),
            block_shape=(2, 2),
            cell=cell,
            padding="same",
            name=f"spatial_rnn{block}",
        )(x)
        x = _batch_norm(name=f"spatial_rnn{block}_norm")(x)
    return keras.Model(inputs, _head(x, num_classes), name="spatial_rnn_classifier")


def cnn_classifier(input_shape=(128, 128, 3), num_classes=2, width=1.0):
    """The same network with the two SpatialRNN blocks replaced by
    convolution blocks of the same output width and resolution (3×3 conv,
    ReLU, 2×2 max pooling), so a comparison isolates the recurrent part.

    Args:
        input_shape, num_classes, width: As for `spatial_rnn_classifier`.

    Returns:
        An uncompiled `keras.Model`.
    """
    _check_arguments(input_shape, num_classes, width)
    inputs, x = _inputs_and_encoder(input_shape, width)
    for block, units in enumerate(SPATIAL_UNITS, start=1):
        x = layers.Conv2D(
            2 * _scaled(width, units),
            3,
            padding="same",
            activation="relu",
            kernel_initializer="he_normal",
            name=f"conv_block{block}",
        )(x)
        x = layers.MaxPooling2D(2, padding="same", name=f"conv_block{block}_pool")(x)
        x = _batch_norm(name=f"conv_block{block}_norm")(x)
    return keras.Model(inputs, _head(x, num_classes), name="cnn_classifier")


def lecture_optimizer(learning_rate=0.01):
    """SGD as in the lecture: momentum 0.9, weight decay 5e-4."""
    return keras.optimizers.SGD(learning_rate, momentum=0.9, weight_decay=5e-4)
