"""Forks up to 300 processes that sleep, and says how many it got.
Expected: at most the process limit (64 tasks, its own threads counted),
no process left once it is graded: ok, 0 of 10 (every check raises)."""

import os
import time


def elman_forward(x, h0, U, W, b, V, c):
    forked = 0
    for _ in range(300):
        try:
            if os.fork() == 0:
                time.sleep(1000)
                os._exit(0)
        except OSError:
            break
        forked += 1
    raise RuntimeError(f"forked {forked} processes")


elman_loss = elman_bptt = elman_forward
