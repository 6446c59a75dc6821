"""The CRNN's shapes, and that CTC training on rendered plates lowers its loss."""

import keras
import numpy as np
import tensorflow as tf

from course import data
from course.crnn import build_crnn


def test_crnn_shapes_and_ctc_training_lowers_the_loss():
    keras.utils.set_random_seed(0)
    texts = data.plate_strings(16, seed=0)
    images = data.render_plates(texts, height=16, width=64)
    symbols = {s: i + 1 for i, s in enumerate(data.plates.PLATE_ALPHABET)}
    labels = np.array([[symbols[s] for s in t] for t in texts])
    model = build_crnn(16, 64, len(symbols), units=16)
    assert model.output_shape == (None, 16, len(symbols) + 1)
    assert build_crnn(
        16, 64, len(symbols), units=16, bidirectional=False
    ).count_params() < (model.count_params())
    optimizer = keras.optimizers.Adam(1e-2)

    def loss():
        logits = model(images)
        return keras.ops.mean(
            keras.ops.ctc_loss(
                labels, logits, np.full(16, 6), np.full(16, 16), mask_index=0
            )
        )

    first = float(loss())
    for _ in range(30):
        with tf.GradientTape() as tape:
            value = loss()
        grads = tape.gradient(value, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
    assert float(loss()) < 0.7 * first
