"""Throughput of `course grade lstm_cell`: submissions per minute with a
fresh interpreter per submission, one at a time (`--fresh-interpreters
--jobs 1`, how the grader went before), against the default (a fork server
per job) and each with one job per core, all in the bubblewrap sandbox, on
the same set in one run (a benchmark, not a test). The ratio is against
the first row.

The set is half correct submissions (the solution notebook) and half wrong
ones (the gate-order mistake), copied under distinct names. Peak memory is
the largest resident size of any one process the grader started
(getrusage: a child, or a fork server).

    python benchmarks/grading.py                    # 40 submissions
    python benchmarks/grading.py --submissions 8 --jobs 1 2 4
"""

import argparse
import csv
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORRECT = ROOT / "notebooks" / "assignments" / "solutions" / "02_lstm_cell.ipynb"
WRONG = (
    ROOT / "tests" / "course" / "grading" / "submissions" / "lstm_wrong_gate_order.py"
)
COURSE = pathlib.Path(sys.executable).parent / "course"


def make_class(folder, count):
    """`count` submissions in `folder`, alternately correct and wrong."""
    for index in range(count):
        source = CORRECT if index % 2 == 0 else WRONG
        shutil.copy(source, folder / f"student{index:03d}{source.suffix}")


MODES = {"fresh": ("--fresh-interpreters",), "fork server": ()}


def grade(folder, out, jobs, options):
    """(wall seconds, statuses, peak child MiB) of one `course grade`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    subprocess.run(
        [str(COURSE), "grade", "lstm_cell", str(folder), "--out", str(out)]
        + ["--seed", "1", "--jobs", str(jobs), *options],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - started
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    with open(out / "grades.csv", newline="") as file:
        statuses = sorted({(r["status"], r["score"]) for r in csv.DictReader(file)})
    return seconds, statuses, peak / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    cores = len(os.sched_getaffinity(0))
    parser.add_argument("--jobs", type=int, nargs="+", default=sorted({1, cores}))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        folder = scratch / "class"
        folder.mkdir()
        make_class(folder, args.submissions)
        rows = []
        for mode, options in MODES.items():
            for jobs in args.jobs:
                out = scratch / f"out-{len(rows)}"
                rows.append((mode, jobs, *grade(folder, out, jobs, options)))
    baseline = args.submissions / rows[0][2] * 60
    print(
        f"course grade lstm_cell, {args.submissions} submissions, {cores} cores "
        "(bubblewrap sandbox)"
    )
    print(
        f"{'mode':<11}  {'--jobs':>6}  {'wall s':>7}  {'per minute':>10}  "
        f"{'ratio':>5}  peak MiB"
    )
    for mode, jobs, seconds, statuses, peak in rows:
        rate = args.submissions / seconds * 60
        print(
            f"{mode:<11}  {jobs:>6}  {seconds:>7.1f}  {rate:>10.1f}  "
            f"{rate / baseline:>5.2f}  {peak:>8.0f}   {statuses}"
        )


if __name__ == "__main__":
    main()
