"""`course grade merge`: graded parts (as a job array's tasks write them)
combine into the gradebook one batch with the same seed would have written."""

import csv
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from course.grading import assignments

ROOT = pathlib.Path(__file__).resolve().parents[3]
SUBMISSIONS = pathlib.Path(__file__).parent / "submissions"
SOLUTION = ROOT / "notebooks" / "assignments" / "solutions" / "01_elman_bptt.ipynb"
COURSE = pathlib.Path(sys.executable).parent / "course"
SEED = 11
STUDENTS = {
    "alice.ipynb": SOLUTION,
    "bob.py": SUBMISSIONS / "elman_off_by_one.py",
    "carol.py": SUBMISSIONS / "elman_missing_bptt.py",
}


def _course(*arguments):
    return subprocess.run(
        [COURSE, *map(str, arguments)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once as a batch and once as three parallel tasks."""
    handed_in = tmp_path_factory.mktemp("handed_in")
    for name, source in STUDENTS.items():
        shutil.copy(source, handed_in / name)
    work = tmp_path_factory.mktemp("graded")
    tasks = [
        subprocess.Popen(
            [COURSE, "grade", "elman_bptt", handed_in / name]
            + ["--out", work / "parts" / name, "--seed", str(SEED)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in STUDENTS
    ]
    single = _course("grade", "elman_bptt", handed_in, "--out", work / "single")
    single_seeded = _course(
        "grade", "elman_bptt", handed_in, "--out", work / "batch", "--seed", SEED
    )
    for task in tasks:
        _, stderr = task.communicate(timeout=300)
        assert task.returncode == 0, stderr
    assert single.returncode == 0 and single_seeded.returncode == 0
    parts = [work / "parts" / name for name in STUDENTS]
    merged = _course("grade", "merge", *parts, "--out", work / "merged")
    assert merged.returncode == 0, merged.stderr
    return work


def _rows(folder):
    with (folder / "grades.csv").open(newline="") as file:
        header, *rows = list(csv.reader(file))
    seconds = header.index("seconds")
    return header, [row[:seconds] + row[seconds + 1 :] for row in rows]


def test_the_merged_gradebook_equals_one_batch_with_the_same_seed(graded):
    header, merged = _rows(graded / "merged")
    assert (header, merged) == _rows(graded / "batch")
    assert [row[1:3] for row in merged] == [["ok", "10"], ["ok", "6"], ["missing", "5"]]
    summary = json.loads((graded / "merged" / "grading.json").read_text())
    batch = json.loads((graded / "batch" / "grading.json").read_text())
    assert summary["seed"] == SEED
    assert summary["assignment_version"] == assignments.get("elman_bptt").version
    assert len(summary["merged_from"]) == 3
    keep = ("submission", "status", "score", "folder")
    assert [{k: s[k] for k in keep} for s in summary["submissions"]] == [
        {k: s[k] for k in keep} for s in batch["submissions"]
    ]
    for entry in summary["submissions"]:
        merged_result = json.loads(
            (graded / "merged" / entry["folder"] / "results.json").read_text()
        )
        batch_result = json.loads(
            (graded / "batch" / entry["folder"] / "results.json").read_text()
        )
        merged_result.pop("execution_time"), batch_result.pop("execution_time")
        assert merged_result == batch_result


def test_folders_graded_differently_are_refused(graded, tmp_path):
    parts = sorted((graded / "parts").iterdir())
    run = _course(
        "grade", "merge", graded / "single", parts[0], "--out", tmp_path / "o"
    )
    assert run.returncode == 2 and "with seed" in run.stderr
    changed = tmp_path / "changed"
    shutil.copytree(parts[1], changed)
    summary = json.loads((changed / "grading.json").read_text())
    summary["assignment_version"] = "0" * 16
    (changed / "grading.json").write_text(json.dumps(summary))
    run = _course("grade", "merge", parts[0], changed, "--out", tmp_path / "o")
    assert run.returncode == 2 and "assignment_version" in run.stderr
    run = _course("grade", "merge", parts[0], tmp_path, "--out", tmp_path / "o")
    assert run.returncode == 2 and "not a `course grade` output folder" in run.stderr
    run = _course("grade", "merge", *parts, "--out", graded / "merged")
    assert run.returncode == 2 and "already holds a gradebook" in run.stderr
    run = _course("grade", "merge", *parts, "--out", tmp_path / "o", "--seed", "3")
    assert run.returncode == 2 and "--seed" in run.stderr
    assert "Traceback" not in run.stderr


def test_no_assignment_is_called_merge():
    assert "merge" not in assignments.names()
