"""The NumPy CTC recursion against brute force and Keras's ctc_loss / ctc_decode."""

import keras
import numpy as np
import pytest

from course import ctc


def _log_softmax(logits):
    return logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)


@pytest.mark.parametrize("label", [[1], [1, 2], [1, 1], [2, 1, 2], []])
def test_alpha_recursion_matches_brute_force(label):
    log_probs = _log_softmax(np.random.default_rng(0).normal(size=(5, 3)))
    expected = ctc.ctc_brute_force_log_likelihood(log_probs, label)
    np.testing.assert_allclose(ctc.ctc_log_likelihood(log_probs, label), expected)


def test_alpha_recursion_matches_keras_ctc_loss():
    rng = np.random.default_rng(1)
    log_probs = _log_softmax(rng.normal(size=(2, 12, 6)))
    labels = np.array([[1, 2, 2, 5], [3, 4, 0, 0]])
    lengths = np.array([4, 2])
    loss = keras.ops.convert_to_numpy(
        keras.ops.ctc_loss(
            labels,
            log_probs.astype("float32"),
            lengths,
            np.array([12, 12]),
            mask_index=0,
        )
    )
    ours = [
        -ctc.ctc_log_likelihood(lp, lab[:n])
        for lp, lab, n in zip(log_probs, labels, lengths)
    ]
    np.testing.assert_allclose(loss, ours, rtol=1e-4)


def test_greedy_decode_matches_keras_ctc_decode():
    rng = np.random.default_rng(2)
    log_probs = _log_softmax(3 * rng.normal(size=(4, 10, 5))).astype("float32")
    decoded, _ = keras.ops.ctc_decode(
        log_probs, np.full(4, 10), strategy="greedy", mask_index=0
    )
    decoded = keras.ops.convert_to_numpy(decoded)[0]  # (batch, T), padded with -1
    for row, lp in zip(decoded, log_probs):
        assert [int(s) for s in row if s >= 0] == ctc.greedy_decode(lp)
