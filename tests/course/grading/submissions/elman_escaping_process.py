"""Starts a process in a session of its own (out of the grading process
group), which would outlive the grading, and says its pid.
Expected: flagged, 0, and the process is killed all the same."""

import os
import time


def elman_forward(x, h0, U, W, b, V, c):
    reader, writer = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(writer, str(os.getpid()).encode())
            time.sleep(1000)
        os._exit(0)
    pid = os.read(reader, 20).decode()
    raise RuntimeError(f"started the background process {pid}")


elman_loss = elman_forward
elman_bptt = elman_forward
