"""Truncated BPTT: k1 = k2 = T is full BPTT; overlapping windows match a
hand computation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from course.training import truncated_bptt

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="truncated_bptt uses tf.GradientTape (TensorFlow backend only)",
)


def lstm_model(batch, features, stateful):
    keras.utils.set_random_seed(1)
    inputs = keras.Input(batch_shape=(batch, None, features))
    hidden = keras.layers.LSTM(5, stateful=stateful, return_sequences=True)(inputs)
    outputs = keras.layers.Dense(2)(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="mse")
    return model


def test_k1_equal_k2_equal_length_gives_the_full_bptt_gradient():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 12, 4)).astype("float32")
    y = rng.normal(size=(3, 12, 2)).astype("float32")
    model = lstm_model(3, 4, stateful=True)
    reference = lstm_model(3, 4, stateful=False)
    reference.set_weights(model.get_weights())
    before = [w.copy() for w in model.get_weights()]

    with tf.GradientTape() as tape:
        loss = keras.losses.mean_squared_error(y, reference(x))
        loss = tf.reduce_mean(loss)
    full_bptt = tape.gradient(loss, reference.trainable_variables)

    history = truncated_bptt(model, x, y, k1=12, k2=12, epochs=1, verbose=0)

    # SGD with learning rate 1: the update is minus the gradient.
    updates = [b - a for b, a in zip(before, model.get_weights())]
    for update, gradient in zip(updates, full_bptt):
        np.testing.assert_allclose(update, gradient.numpy(), rtol=1e-5, atol=2e-7)
    assert history["loss"] == pytest.approx([float(loss)], rel=1e-6)


def hand_tbptt(x, y, params, k1, k2, lr, epochs):
    """TBPTT(k1, k2) for the scalar linear RNN h_t = a x_t + w h_{t-1} + b
    with output h_t and squared error, written out step by step."""
    a, w, b = params
    steps = len(x)
    for _ in range(epochs):
        carried = 0.0  # state before the window (reset every epoch)
        for start in range(0, steps, k1):
            stop = min(start + k1, steps)
            window_start = max(0, start - (k2 - k1))
            # forward over the window from the carried state
            hs, h = [], carried
            for t in range(window_start, stop):
                h = a * x[t] + w * h + b
                hs.append(h)
            # state before the next window, from this (pre-update) forward pass
            next_start = max(0, stop - (k2 - k1))
            following = (
                hs[next_start - window_start - 1]
                if next_start > window_start
                else carried
            )
            # backward: loss = mean over counted steps of (h_t - y_t)^2
            ga = gw = gb = 0.0
            dh = 0.0
            for i in reversed(range(len(hs))):
                t = window_start + i
                if t >= start:
                    dh += 2.0 * (hs[i] - y[t]) / (stop - start)
                previous = hs[i - 1] if i > 0 else carried
                ga += dh * x[t]
                gw += dh * previous
                gb += dh
                dh *= w
            a, w, b = a - lr * ga, w - lr * gw, b - lr * gb
            carried = following
    return np.array([a, w, b])


@pytest.mark.parametrize("k1, k2", [(11, 11), (2, 2), (2, 3), (3, 7), (1, 4)])
def test_windows_and_carried_state_match_a_hand_computation(k1, k2):
    rng = np.random.default_rng(k1 * 10 + k2)
    steps = 11  # not a multiple of k1: the last update is a partial chunk
    x = rng.normal(size=steps)
    y = rng.normal(size=steps)
    inputs = keras.Input(batch_shape=(1, None, 1))
    rnn = keras.layers.SimpleRNN(
        1, activation="linear", stateful=True, return_sequences=True
    )
    model = keras.Model(inputs, rnn(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    a, w, b = 0.7, 0.5, 0.1
    rnn.set_weights([np.array([[a]]), np.array([[w]]), np.array([b])])

    truncated_bptt(
        model,
        x.reshape(1, steps, 1).astype("float32"),
        y.reshape(1, steps, 1).astype("float32"),
        k1=k1,
        k2=k2,
        epochs=2,
        verbose=0,
    )

    expected = hand_tbptt(x, y, (a, w, b), k1, k2, lr=0.05, epochs=2)
    got = np.array([float(v.reshape(-1)[0]) for v in rnn.get_weights()])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_truncation_changes_the_result():
    """The hand computation distinguishes the variants (guards the test above)."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=11), rng.normal(size=11)
    results = [
        hand_tbptt(x, y, (0.7, 0.5, 0.1), k1, k2, 0.05, 2)
        for k1, k2 in [(2, 2), (2, 3), (3, 7), (11, 11)]
    ]
    for i in range(len(results)):
        for j in range(i):
            assert not np.allclose(results[i], results[j], atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"k1": 0}, "1 <= k1 <= k2"),
        ({"k1": 4, "k2": 2}, "1 <= k1 <= k2"),
        ({"k1": 2.5}, "1 <= k1 <= k2"),
    ],
)
def test_bad_window_sizes_are_rejected(kwargs, message):
    model = lstm_model(3, 4, stateful=True)
    x = np.zeros((3, 8, 4), "float32")
    with pytest.raises(ValueError, match=message):
        truncated_bptt(model, x, np.zeros((3, 8, 2), "float32"), **kwargs)


def test_a_model_without_stateful_layers_is_rejected():
    model = lstm_model(3, 4, stateful=False)
    x = np.zeros((3, 8, 4), "float32")
    with pytest.raises(ValueError, match="stateful=True"):
        truncated_bptt(model, x, np.zeros((3, 8, 2), "float32"), k1=4)


def test_a_model_with_one_output_per_sequence_is_rejected():
    inputs = keras.Input(batch_shape=(2, None, 3))
    outputs = keras.layers.GRU(4, stateful=True)(inputs)  # 4 units, 4 steps
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="return_sequences=True"):
        truncated_bptt(
            model, np.zeros((2, 8, 3), "float32"), np.zeros((2, 8, 4), "float32"), k1=4
        )


def test_state_is_reset_between_epochs():
    """With a learning rate of 0 every epoch must see the same losses."""
    model = lstm_model(3, 4, stateful=True)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 9, 4)).astype("float32")
    y = rng.normal(size=(3, 9, 2)).astype("float32")
    history = truncated_bptt(model, x, y, k1=3, epochs=3, verbose=0)
    assert history["loss"][0] == pytest.approx(history["loss"][2], rel=1e-6)
