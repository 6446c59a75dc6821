"""Connectionist temporal classification in NumPy: the forward (alpha)
recursion, a brute-force check of it, greedy and prefix beam decoding.

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


def _add(beams, prefix, ends_blank, ends_symbol):
    """Accumulate path probabilities (log space) into `beams[prefix]`."""
    old_blank, old_symbol = beams.get(prefix, (-np.inf, -np.inf))
    beams[prefix] = (
        np.logaddexp(old_blank, ends_blank),
        np.logaddexp(old_symbol, ends_symbol),
    )


def beam_decode(log_probs, beam_width=8, blank=0):
    """Prefix beam search: keep the `beam_width` most likely labels so far.

    Each prefix carries two log-probabilities, of the paths ending in a blank
    and of those ending in its last symbol, so that "a a" (two frames) and
    "a _ a" extend it differently. Returns the most likely label found.
    """
    log_probs = np.asarray(log_probs, np.float64)
    beams = {(): (0.0, -np.inf)}  # prefix -> (log p ending blank, log p ending symbol)
    for frame in log_probs:
        grown = {}
        for prefix, (p_blank, p_symbol) in beams.items():
            p_total = np.logaddexp(p_blank, p_symbol)
            _add(grown, prefix, p_total + frame[blank], -np.inf)
            for symbol in range(len(frame)):
                if symbol == blank:
                    continue
                if prefix and prefix[-1] == symbol:
                    _add(
                        grown, prefix, -np.inf, p_symbol + frame[symbol]
                    )  # repeat merges
                    _add(grown, prefix + (symbol,), -np.inf, p_blank + frame[symbol])
                else:
                    _add(grown, prefix + (symbol,), -np.inf, p_total + frame[symbol])
        ranked = sorted(grown.items(), key=lambda item: -np.logaddexp(*item[1]))
        beams = dict(ranked[:beam_width])
    best = max(beams.items(), key=lambda item: np.logaddexp(*item[1]))
    return list(best[0])
