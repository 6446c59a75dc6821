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


def test_wide_beam_decode_finds_the_most_likely_label():
    # with a beam holding every prefix the search is exact: compare it with
    # the label of highest total probability, found by enumerating all paths
    log_probs = _log_softmax(np.random.default_rng(3).normal(size=(4, 3)))
    labels = {tuple(ctc.collapse(p)) for p in np.ndindex(*(3,) * 4)}
    best = max(labels, key=lambda label: ctc.ctc_log_likelihood(log_probs, label))
    assert ctc.beam_decode(log_probs, beam_width=len(labels)) == list(best)


def test_beam_decode_can_beat_greedy_decoding():
    # two frames, each blank 0.4, "1" 0.35, "2" 0.25: the best path is
    # "blank blank" (label [], p = 0.16), but label [1] sums three paths:
    # 0.35 * 0.35 + 2 * 0.35 * 0.4 = 0.4025
    log_probs = np.log(np.array([[0.4, 0.35, 0.25]] * 2))
    assert ctc.greedy_decode(log_probs) == []
    assert ctc.beam_decode(log_probs) == [1]
    np.testing.assert_allclose(np.exp(ctc.ctc_log_likelihood(log_probs, [1])), 0.4025)
