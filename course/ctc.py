"""Connectionist temporal classification in NumPy: the forward (alpha)
recursion, a brute-force check of it, and greedy decoding.

A network emits, at each of T frames, a distribution over K symbols, one of
them the blank. A path is one symbol per frame; collapsing it (merge repeats,
drop blanks) gives a label. CTC's likelihood of a label is the sum over all
paths that collapse to it; the alpha recursion computes it in O(T * L).
"""

import itertools

import numpy as np


def collapse(path, blank=0):
    """Merge repeated symbols of `path`, then drop blanks."""
    merged = [s for i, s in enumerate(path) if i == 0 or s != path[i - 1]]
    return [int(s) for s in merged if s != blank]


def ctc_log_likelihood(log_probs, label, blank=0):
    """log p(label | frames) by the alpha recursion, in log space.

    Args:
        log_probs: `(T, K)` per-frame log-probabilities.
        label: sequence of symbol ids (no blanks), length L.
        blank: id of the blank symbol.
    """
    log_probs = np.asarray(log_probs, np.float64)
    num_frames = log_probs.shape[0]
    extended = [blank]  # blank, l1, blank, l2, ..., blank: length 2L + 1
    for symbol in label:
        extended += [int(symbol), blank]
    # a skip over a blank is allowed only between two different symbols
    can_skip = np.array(
        [s != blank and i >= 2 and extended[i - 2] != s for i, s in enumerate(extended)]
    )
    alpha = np.full(len(extended), -np.inf)
    alpha[0] = log_probs[0, blank]
    if len(extended) > 1:
        alpha[1] = log_probs[0, extended[1]]
    for t in range(1, num_frames):
        stay = alpha
        step = np.concatenate([[-np.inf], alpha])[: len(extended)]  # from s - 1
        skip = np.concatenate([[-np.inf, -np.inf], alpha])[: len(extended)]  # s - 2
        skip = np.where(can_skip, skip, -np.inf)
        alpha = np.logaddexp(np.logaddexp(stay, step), skip) + log_probs[t, extended]
    return np.logaddexp(alpha[-1], alpha[-2]) if len(extended) > 1 else alpha[-1]


def ctc_brute_force_log_likelihood(log_probs, label, blank=0):
    """The same likelihood by enumerating all K**T paths (tiny cases only)."""
    log_probs = np.asarray(log_probs, np.float64)
    num_frames, num_symbols = log_probs.shape
    total = -np.inf
    for path in itertools.product(range(num_symbols), repeat=num_frames):
        if collapse(path, blank) == list(label):
            total = np.logaddexp(total, log_probs[np.arange(num_frames), path].sum())
    return total


def greedy_decode(log_probs, blank=0):
    """Best path decoding: the most likely symbol per frame, collapsed."""
    return collapse(np.argmax(log_probs, axis=-1), blank)
