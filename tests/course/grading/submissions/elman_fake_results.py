"""Prints a fake success, looks for the grader's output folder on its
command line and writes fake grades there, and overwrites its own report
and outputs with claims of success; returns zeros. Expected: flagged,
1 of 10 (the shapes), no trace of the fake results anywhere."""

import json
import os
import pathlib

import numpy as np

FAKE = "ALL CHECKS PASSED, SCORE 10/10"


def _grader_output_folder():
    arguments = pathlib.Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\0")
    for flag, value in zip(arguments, arguments[1:]):
        if flag == b"--out":
            return pathlib.Path(os.fsdecode(value))
    return None


def _plant_fake_results():
    print(FAKE, flush=True)
    folder = _grader_output_folder()
    if folder is not None:
        for target in (folder / "grades.csv", folder / "planted.txt"):
            try:
                target.write_text(f"submission,status,score\nelman_fake_results.py,ok,{FAKE}\n")
            except OSError:
                pass
    report = {"finished": True, "checks": {name: {"done": True} for name in (
        "shapes", "one_step", "sequence", "loss", "output_gradients",
        "bptt_gradients", "initial_state_gradient")}}
    pathlib.Path("report.json").write_text(json.dumps(report))


def elman_forward(x, h0, U, W, b, V, c):
    _plant_fake_results()
    B, T = x.shape[:2]
    return np.zeros((B, T, W.shape[0])), np.zeros((B, T, V.shape[1]))


def elman_loss(y, targets):
    _plant_fake_results()
    return 0.0


def elman_bptt(x, h0, U, W, b, V, c, targets):
    _plant_fake_results()
    return {"U": 0 * U, "W": 0 * W, "b": 0 * b, "V": 0 * V, "c": 0 * c, "h0": 0 * h0}
