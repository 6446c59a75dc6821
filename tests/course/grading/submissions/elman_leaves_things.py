"""Leaves everything behind that a later submission graded by the same
fork server could find: files in its working folder and in /tmp, a process
in a session of its own, a System V shared-memory segment and a key in the
user keyring; signals the fork server (its parent) to die or stop. Then it
looks for what an earlier copy of itself left, and raises an exception
that says what it found of its own leftovers (the positive control) and of
an earlier one's.
Expected: its own leftovers are there, an earlier copy's never are, and
the next submission is graded as usual."""

import ctypes
import os
import signal
import time

def _leave(mark):
    for folder in (os.getcwd(), "/tmp"):
        with open(os.path.join(folder, mark), "w") as file:
            file.write(mark)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1000)
        os._exit(0)
    libc = ctypes.CDLL(None, use_errno=True)
    segment = libc.shmget(0x5EED, 4096, 0o1666)  # IPC_CREAT | 0666
    add_key = {"x86_64": 248, "aarch64": 217}.get(os.uname().machine)
    key = -1
    if add_key is not None:  # the user keyring, which outlives a process
        key = libc.syscall(add_key, b"user", mark.encode(), mark.encode(), len(mark), -4)
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        try:
            os.kill(os.getppid(), sig)
        except OSError:
            pass
    return {"shm": segment >= 0, "key": key >= 0}


def _look():
    files = [
        name
        for folder in (os.getcwd(), "/tmp")
        for name in os.listdir(folder)
        if name.startswith("left-by-")
    ]
    processes = [p for p in os.listdir("/proc") if p.isdigit() and int(p) > 1]
    libc = ctypes.CDLL(None, use_errno=True)
    segment = libc.shmget(0x5EED, 0, 0)
    return files, processes, segment >= 0


def elman_forward(x, h0, U, W, b, V, c):
    mark = f"left-by-{os.getpid()}-{time.time_ns()}"
    earlier_files, earlier_processes, earlier_shm = _look()
    made = _leave(mark)
    own_files, own_processes, _ = _look()
    raise RuntimeError(
        f"own files: {mark in own_files}; "
        f"earlier files: {sorted(f for f in earlier_files if f != mark)}; "
        f"earlier processes: {len(earlier_processes) > 1}; "
        f"own processes: {len(own_processes) > 1}; "
        f"earlier shm: {earlier_shm}; made shm: {made['shm']}; made key: {made['key']}"
    )


elman_loss = elman_bptt = elman_forward
