"""Three forked children hold 200 MiB each at once, each under the
per-process limit, together over the whole tree's limit.
Expected: error 0 of 10, ran out of memory (all its processes together)."""

import os
import time


def elman_forward(x, h0, U, W, b, V, c):
    if not _CHILDREN:  # once, not at every check
        for _ in range(3):
            pid = os.fork()
            if pid == 0:
                block = bytearray(200 * 2**20)
                block[::4096] = b"x" * len(block[::4096])  # touch every page
                time.sleep(1000)
                os._exit(0)
            _CHILDREN.append(pid)
        time.sleep(3)
    raise RuntimeError("three children hold 600 MiB")


_CHILDREN = []
elman_loss = elman_bptt = elman_forward
