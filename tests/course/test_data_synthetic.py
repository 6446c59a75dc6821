"""Synthetic tasks: shapes, dtypes, determinism and the statistical facts
the notebooks rely on (10 000 samples each)."""

import math

import numpy as np
import pytest

from course import data
from course.data import synthetic

N = 10_000


def assert_deterministic(make):
    """`make(seed)` returns a tuple of arrays: equal for equal seeds, not
    for different ones."""
    first, again, other = make(0), make(0), make(1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert any(
        not np.array_equal(np.asarray(a), np.asarray(c)) for a, c in zip(first, other)
    )


def test_adding_problem_shapes_and_markers():
    x, y = data.adding_problem(N, length=100, seed=0)
    assert x.shape == (N, 100, 2) and x.dtype == np.float32
    assert y.shape == (N, 1) and y.dtype == np.float32
    markers = x[..., 1]
    assert np.all(markers[:, :50].sum(axis=1) == 1)  # one marker per half
    assert np.all(markers[:, 50:].sum(axis=1) == 1)
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * markers).sum(axis=1), rtol=1e-6)
    assert x[..., 0].min() >= 0 and x[..., 0].max() <= 1
    assert_deterministic(lambda seed: data.adding_problem(50, 20, seed))


def test_adding_problem_constant_predictor_mse_is_one_sixth():
    _, y = data.adding_problem(N, length=100, seed=0)
    mse = float(np.mean((y - 1.0) ** 2))
    assert mse == pytest.approx(1 / 6, abs=0.005)
    assert data.ADDING_PROBLEM_BASELINE_MSE == pytest.approx(1 / 6)
    # marker positions are uniform within each half
    x, _ = data.adding_problem(N, length=10, seed=1)
    counts = x[..., 1].sum(axis=0) / N
    np.testing.assert_allclose(counts, 1 / 5, atol=0.015)


def test_copy_memory_layout():
    delay = 30
    x, y = data.copy_memory(N, delay=delay, seed=0)
    length = delay + 20
    assert x.shape == y.shape == (N, length) and x.dtype == y.dtype == np.int32
    assert set(np.unique(x[:, :10])) == set(range(1, 9))
    assert np.all(x[:, 10 : 10 + delay - 1] == 0)
    assert np.all(x[:, 10 + delay - 1] == synthetic.COPY_DELIMITER)
    assert np.all(x[:, 10 + delay :] == 0)
    assert np.all(y[:, : delay + 10] == synthetic.COPY_BLANK)
    np.testing.assert_array_equal(y[:, -10:], x[:, :10])
    assert_deterministic(lambda seed: data.copy_memory(20, 5, seed))


@pytest.mark.parametrize("delay", [10, 100])
def test_copy_memory_memoryless_baseline(delay):
    """The best prediction without memory (each step's marginal distribution
    of the target) has the published cross-entropy 10 ln 8 / (T + 20)."""
    _, y = data.copy_memory(N, delay=delay, seed=0)
    cross_entropy = 0.0
    for t in range(y.shape[1]):
        p = np.bincount(y[:, t], minlength=10) / N
        cross_entropy -= np.mean(np.log(p[y[:, t]]))
    cross_entropy /= y.shape[1]
    expected = 10 * math.log(8) / (delay + 20)
    assert cross_entropy == pytest.approx(expected, abs=2e-3)
    assert data.copy_memory_baseline(delay) == pytest.approx(expected)
    assert data.copy_memory_baseline(100) == pytest.approx(0.1733, abs=1e-4)


def test_temporal_xor():
    x, y = data.temporal_xor(3000, seed=0)
    assert x.shape == y.shape == (1, 2999, 1) and x.dtype == y.dtype == np.float32
    bits = np.concatenate([x[0, :, 0], y[0, -1:, 0]])
    np.testing.assert_array_equal(x[0, 1:, 0], y[0, :-1, 0])  # y is x shifted
    t = np.arange(2999)
    predictable = t % 3 == 1
    # the target at t % 3 == 1 is the XOR of the two bits before it
    np.testing.assert_array_equal(
        y[0, predictable, 0],
        np.logical_xor(bits[t[predictable] - 1], bits[t[predictable]]),
    )
    # the others are coin flips: no rule predicts them better than chance
    assert y[0, ~predictable, 0].mean() == pytest.approx(0.5, abs=0.03)
    assert data.temporal_xor(10, seed=0)[0].shape == (1, 9, 1)  # partial triple
    assert_deterministic(lambda seed: data.temporal_xor(60, seed))


def test_elman_letters():
    text, features = data.elman_letters(N, seed=0)
    assert features.shape == (len(text), 6) and features.dtype == np.float32
    syllables = {"b": "ba", "d": "dii", "g": "guuu"}
    consonants = [c for c in text if c in syllables]
    assert len(consonants) == N
    assert "".join(syllables[c] for c in consonants) == text
    counts = np.array([consonants.count(c) for c in "bdg"]) / N
    np.testing.assert_allclose(counts, 1 / 3, atol=0.02)
    # mean length 3 letters per syllable: about 3 letters per consonant
    assert len(text) / N == pytest.approx(3.0, abs=0.05)
    for i, letter in enumerate(text[:50]):
        np.testing.assert_array_equal(features[i], synthetic.ELMAN_LETTERS[letter])
    # consonant and vowel features are complementary
    np.testing.assert_array_equal(features[:, 0] + features[:, 1], 1)
    assert_deterministic(lambda seed: data.elman_letters(30, seed))


def test_oscillator_steady_state_and_decay():
    omega, zeta = 2.0, 0.05
    # a constant force c settles at x = c / omega^2
    position, velocity = data.simulate_oscillator(
        np.full((1, 4000), 3.0), dt=0.05, omega=omega, zeta=zeta
    )
    assert position[0, -1] == pytest.approx(3.0 / omega**2, rel=1e-4)
    assert abs(velocity[0, -1]) < 1e-4
    # free decay: after one damped period the amplitude is exp(-zeta omega P)
    period = 2 * math.pi / (omega * math.sqrt(1 - zeta**2))
    position, _ = data.simulate_oscillator(
        np.zeros(100), dt=period / 100, omega=omega, zeta=zeta, initial_state=(1.0, 0.0)
    )
    assert position[-1] == pytest.approx(math.exp(-zeta * omega * period), rel=1e-6)
    assert position[49] == pytest.approx(
        -math.exp(-zeta * omega * period / 2), rel=1e-2
    )


def test_driven_oscillator():
    u, x = data.driven_oscillator(200, length=300, seed=0)
    assert u.shape == x.shape == (200, 300, 1) and u.dtype == x.dtype == np.float32
    # the input is piecewise constant with the requested mean hold
    changes = np.count_nonzero(np.diff(u[..., 0], axis=1))
    assert 200 * 299 / changes == pytest.approx(20, rel=0.1)
    assert u.std() == pytest.approx(1.0, abs=0.1)
    position, _ = data.simulate_oscillator(u[..., 0])
    np.testing.assert_allclose(x[..., 0], position, rtol=1e-5, atol=1e-6)
    assert_deterministic(lambda seed: data.driven_oscillator(3, 40, seed))


def test_hello_example():
    x, y, vocab = data.hello_example()
    assert vocab.chars == "helo"
    assert x.shape == (1, 4, 4) and x.dtype == np.float32
    assert y.shape == (1, 4) and y.dtype == np.int32
    assert vocab.decode(x[0].argmax(axis=-1)) == "hell"
    assert vocab.decode(y[0]) == "ello"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.adding_problem(0), "n must be a positive integer"),
        (lambda: data.adding_problem(3, length=1), "length must be at least 2"),
        (lambda: data.copy_memory(3, delay=0), "delay must be a positive integer"),
        (lambda: data.temporal_xor(2), "n_bits must be at least 3"),
        (lambda: data.elman_letters(2.5), "n_consonants must be a positive integer"),
        (lambda: data.simulate_oscillator(np.zeros(3), omega=0), "omega > 0"),
        (lambda: data.copy_memory_baseline(-1), "delay must be a positive integer"),
    ],
)
def test_bad_arguments_are_rejected_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()
