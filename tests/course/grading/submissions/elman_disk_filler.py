"""Writes files of 60 MiB into its working folder until a write fails, and
says how much it wrote.
Expected: no more than the working folder's size: ok, 0 of 10."""

import os


def elman_forward(x, h0, U, W, b, V, c):
    written = 0
    block = os.urandom(2**20)
    try:
        for number in range(24):
            with open(f"filler{number}.bin", "wb") as file:
                for _ in range(60):
                    file.write(block)
                    written += 1
    except OSError as error:
        raise RuntimeError(f"wrote {written} MiB, then {error.strerror}") from None
    raise RuntimeError(f"wrote {written} MiB")


elman_loss = elman_bptt = elman_forward
