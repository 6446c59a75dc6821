"""Seeded synthetic sequence tasks from the RNN literature.

Every generator takes a `seed` and draws from `numpy.random.default_rng(seed)`,
so the same arguments always give the same arrays. Shapes follow Keras:
`(batch, time, features)` for sequences.
"""

import math

import numpy as np
import scipy.linalg

from course.data.text import CharVocabulary

#: MSE of always predicting 1 on the adding problem: Var(u1 + u2) = 2/12.
ADDING_PROBLEM_BASELINE_MSE = 1.0 / 6.0

#: Copy-memory alphabet (Arjovsky et al. 2016): 0 blank, 1..8 symbols, 9 delimiter.
COPY_BLANK = 0
COPY_DELIMITER = 9

#: Elman (1990), Table 1: the six phonetic features of each letter.
ELMAN_FEATURES = ("consonant", "vowel", "interrupted", "high", "back", "voiced")
ELMAN_LETTERS = {
    "b": (1, 0, 1, 0, 0, 1),
    "d": (1, 0, 1, 1, 0, 1),
    "g": (1, 0, 1, 0, 1, 1),
    "a": (0, 1, 0, 0, 1, 1),
    "i": (0, 1, 0, 1, 0, 1),
    "u": (0, 1, 0, 1, 1, 1),
}
#: Each consonant is always followed by its vowel, repeated (Elman 1990).
ELMAN_SYLLABLES = {"b": "ba", "d": "dii", "g": "guuu"}


def _check_positive(**values):
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")


def adding_problem(n, length=100, seed=0):
    """The adding problem (Hochreiter & Schmidhuber 1997; the form of Le et
    al. 2015 and Arjovsky et al. 2016).

    Each sequence has two channels of `length` steps: channel 0 holds values
    drawn from U[0, 1], channel 1 is a marker, 1 at exactly two steps (one
    drawn uniformly in the first half, one in the second half) and 0
    elsewhere. The target is the sum of the two marked values, so predicting
    the constant 1 gives an MSE of 1/6 (`ADDING_PROBLEM_BASELINE_MSE`); a
    model only beats that by remembering the first marked value across at
    least `length / 2` steps.

    Args:
        n: Number of sequences.
        length: Steps per sequence (at least 2).
        seed: Random seed.

    Returns:
        `(x, y)`: `x` float32 of shape `(n, length, 2)`, `y` float32 of shape
        `(n, 1)`.

    Example:

    >>> x, y = adding_problem(4, length=10, seed=0)
    >>> x.shape, y.shape
    ((4, 10, 2), (4, 1))
    """
    _check_positive(n=n, length=length)
    if length < 2:
        raise ValueError(
            f"length must be at least 2 (one marker per half); got {length}."
        )
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length))
    half = length // 2
    rows = np.arange(n)
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    markers = np.zeros((n, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (x[rows, first, 0] + x[rows, second, 0])[:, None]
    return x, y.astype("float32")


def copy_memory(n, delay=100, seed=0, n_symbols=10, n_categories=8):
    """The copy-memory task of Arjovsky, Shah & Bengio (2016).

    Input: `n_symbols` symbols drawn uniformly from categories
    `1..n_categories`, then `delay - 1` blanks (0), the delimiter
    (`n_categories + 1`), and `n_symbols` more blanks. Target: blanks for the
    first `delay + n_symbols` steps, then the input symbols in order. Both
    are `delay + 2 * n_symbols` steps long. A model without memory can at
    best predict blanks and then guess uniformly, a cross-entropy of
    `copy_memory_baseline(delay)` nats per step.

    Args:
        n: Number of sequences.
        delay: T, the steps between the end of the symbols and the
            delimiter, plus one.
        seed: Random seed.
        n_symbols: Symbols to remember (10 in the paper).
        n_categories: Symbol categories (8 in the paper); the vocabulary has
            `n_categories + 2` ids (blank and delimiter added).

    Returns:
        `(x, y)`, both int32 of shape `(n, delay + 2 * n_symbols)`.
    """
    _check_positive(n=n, delay=delay, n_symbols=n_symbols, n_categories=n_categories)
    rng = np.random.default_rng(seed)
    length = delay + 2 * n_symbols
    symbols = rng.integers(1, n_categories + 1, size=(n, n_symbols))
    x = np.zeros((n, length), dtype="int32")
    y = np.zeros((n, length), dtype="int32")
    x[:, :n_symbols] = symbols
    x[:, n_symbols + delay - 1] = n_categories + 1
    y[:, -n_symbols:] = symbols
    return x, y


def copy_memory_baseline(delay, n_symbols=10, n_categories=8):
    """Cross-entropy (nats per step) of the memoryless copy-memory strategy.

    `n_symbols * ln(n_categories) / (delay + 2 * n_symbols)`: blanks are
    predicted exactly, each of the `n_symbols` copied symbols is a uniform
    guess (Arjovsky et al. 2016). For the paper's 10 symbols of 8
    categories: `10 ln 8 / (T + 20)`, 0.1733 at T = 100.
    """
    _check_positive(delay=delay, n_symbols=n_symbols, n_categories=n_categories)
    return n_symbols * math.log(n_categories) / (delay + 2 * n_symbols)


def temporal_xor(n_bits, seed=0):
    """Elman's (1990) temporal XOR as one long next-bit prediction sequence.

    The bit stream is made of triples `(a, b, a XOR b)` with `a`, `b` random;
    the network reads one bit per step and predicts the next. Only every
    third bit, the XOR, is predictable: the target `y[0, t]` is the XOR of
    the two bits before it exactly when `t % 3 == 1`; elsewhere it is a coin
    flip (Elman's error curve dips at those steps).

    Args:
        n_bits: Length of the bit stream (at least 3); inputs and targets
            have `n_bits - 1` steps.
        seed: Random seed.

    Returns:
        `(x, y)`, both float32 of shape `(1, n_bits - 1, 1)`: one sequence,
        `x[0, t]` the bit at step t and `y[0, t]` the bit at step t + 1.
    """
    _check_positive(n_bits=n_bits)
    if n_bits < 3:
        raise ValueError(f"n_bits must be at least 3 (one triple); got {n_bits}.")
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, 2, size=(-(-n_bits // 3), 2))
    triples = np.concatenate([pairs, pairs[:, :1] ^ pairs[:, 1:]], axis=1)
    bits = triples.reshape(-1)[:n_bits].astype("float32")
    return bits[None, :-1, None], bits[None, 1:, None]


def elman_letters(n_consonants, seed=0):
    """Elman's (1990) letter sequences with their 6-bit feature vectors.

    Consonants b, d, g are drawn uniformly at random and each is replaced by
    its syllable (b -> "ba", d -> "dii", g -> "guuu"); each letter is coded
    by the six phonetic features of `ELMAN_FEATURES` (Elman's Table 1). The
    consonants are unpredictable, the vowels that follow are not: a network
    predicting the next letter shows low error inside a syllable.

    Args:
        n_consonants: Number of syllables (Elman used 1 000, ~3 000 letters).
        seed: Random seed.

    Returns:
        `(text, features)`: the letters as a string of length L, and a
        float32 array of shape `(L, 6)`. For next-letter prediction use
        `features[None, :-1]` as inputs and `features[None, 1:]` as targets.
    """
    _check_positive(n_consonants=n_consonants)
    rng = np.random.default_rng(seed)
    consonants = rng.choice(sorted(ELMAN_SYLLABLES), size=n_consonants)
    text = "".join(ELMAN_SYLLABLES[c] for c in consonants)
    features = np.array([ELMAN_LETTERS[c] for c in text], dtype="float32")
    return text, features


def simulate_oscillator(u, dt=0.1, omega=1.0, zeta=0.1, initial_state=(0.0, 0.0)):
    """Simulates a damped harmonic oscillator driven by an input signal.

    The system `x'' + 2 zeta omega x' + omega^2 x = u(t)`, discretized
    exactly for inputs held constant over each step (zero-order hold): with
    state `s = (x, x')`, `s[t+1] = A s[t] + B u[t]` where `A = expm(M dt)`,
    `B = M^-1 (A - I) (0, 1)^T` and `M = [[0, 1], [-omega^2, -2 zeta omega]]`.

    Args:
        u: Input of shape `(n, steps)` (or `(steps,)`).
        dt: Step length.
        omega: Natural angular frequency (> 0).
        zeta: Damping ratio (>= 0; < 1 oscillates).
        initial_state: `(x0, v0)`, position and velocity before the first step.

    Returns:
        `(position, velocity)`, float64 arrays of the shape of `u`; entry t is
        the state after applying `u[..., t]` for one step.
    """
    if dt <= 0 or omega <= 0 or zeta < 0:
        raise ValueError(
            f"Need dt > 0, omega > 0, zeta >= 0; got dt={dt}, omega={omega}, zeta={zeta}."
        )
    u = np.asarray(u, dtype="float64")
    m = np.array([[0.0, 1.0], [-(omega**2), -2.0 * zeta * omega]])
    a = scipy.linalg.expm(m * dt)
    b = np.linalg.solve(m, (a - np.eye(2)) @ np.array([0.0, 1.0]))
    state = np.broadcast_to(
        np.asarray(initial_state, dtype="float64"), u.shape[:-1] + (2,)
    )
    states = np.empty(u.shape + (2,))
    for t in range(u.shape[-1]):
        state = state @ a.T + u[..., t, None] * b
        states[..., t, :] = state
    return states[..., 0], states[..., 1]


def driven_oscillator(n, length=200, seed=0, dt=0.1, omega=1.0, zeta=0.1, mean_hold=20):
    """Trajectories of a damped oscillator driven by a random input signal.

    A small dynamical system to identify with an RNN (the lecture's "an RNN
    approximates any dynamical system", h(t) = f(h(t-1), x(t); theta)). The
    input is piecewise constant: a level drawn from N(0, 1) held for a
    geometric number of steps with mean `mean_hold`; the target is the
    oscillator's position (see `simulate_oscillator`), starting at rest.

    Args:
        n: Number of sequences.
        length: Steps per sequence.
        seed: Random seed.
        dt, omega, zeta: Passed to `simulate_oscillator`.
        mean_hold: Mean number of steps an input level is held.

    Returns:
        `(u, x)`: input and position, both float32 of shape `(n, length, 1)`.
    """
    _check_positive(n=n, length=length, mean_hold=mean_hold)
    rng = np.random.default_rng(seed)
    switches = rng.random((n, length)) < 1.0 / mean_hold
    switches[:, 0] = True
    segment = np.cumsum(switches, axis=1) - 1
    levels = rng.normal(size=(n, length))
    u = np.take_along_axis(levels, segment, axis=1)
    position, _ = simulate_oscillator(u, dt=dt, omega=omega, zeta=zeta)
    return u[..., None].astype("float32"), position[..., None].astype("float32")


def hello_example():
    """Karpathy's "hello" example: learn to spell "hello" one letter at a time.

    Vocabulary {h, e, l, o} in that order; the inputs are "hell" one-hot and
    the targets the next letters "ello" (the lecture's example network has 4
    inputs, 3 hidden units and 4 outputs).

    Returns:
        `(x, y, vocab)`: `x` float32 of shape `(1, 4, 4)`, `y` int32 of shape
        `(1, 4)` (ids of e, l, l, o), and the `CharVocabulary`.
    """
    vocab = CharVocabulary("helo")
    ids = vocab.encode("hello")
    return vocab.one_hot(ids[None, :-1]), ids[None, 1:], vocab
