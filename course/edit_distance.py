"""Levenshtein distance and the character error rate of a recogniser."""

import numpy as np


def edit_distance(predicted, target):
    """Fewest insertions, deletions and substitutions turning `predicted` into `target`."""
    previous = np.arange(len(target) + 1)
    for i, p in enumerate(predicted, start=1):
        current = np.empty_like(previous)
        current[0] = i
        for j, t in enumerate(target, start=1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (p != t)
            )
        previous = current
    return int(previous[-1])


def character_error_rate(predictions, targets):
    """Total edit distance over total target length (CER), and the share of exact matches."""
    predictions, targets = list(predictions), list(targets)
    if len(predictions) != len(targets) or not targets:
        raise ValueError(
            f"need as many predictions as targets, at least one; got "
            f"{len(predictions)} and {len(targets)}."
        )
    errors = sum(edit_distance(p, t) for p, t in zip(predictions, targets))
    length = sum(len(t) for t in targets)
    exact = np.mean([list(p) == list(t) for p, t in zip(predictions, targets)])
    return errors / max(length, 1), float(exact)
