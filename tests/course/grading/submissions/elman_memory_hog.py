"""Allocates (and touches) memory until something stops it: 100 MiB blocks,
at most 8 GiB, so a machine survives even if the limit failed.
Expected: error (out of memory), 0."""

import numpy as np


def elman_forward(x, h0, U, W, b, V, c):
    blocks = []
    for _ in range(80):
        blocks.append(np.ones(100 * 2**20 // 8))
    return blocks, blocks


elman_loss = elman_forward
elman_bptt = elman_forward
