"""The grader's parts in the parent: the comparison, reading what a child
wrote (defensively), report names and untrusted text."""

import csv
import json
import re

import numpy as np
import pytest

from course.grading import assignments
from course.grading import reports
from course.grading import runner
from course.grading.checks import Check
from course.grading.checks import CheckResult
from course.grading.checks import compare
from course.grading.grader import Batch
from course.grading.grader import Result
from course.grading.grader import clean
from course.grading.grader import folder_names

CHECK = Check("sequence", 3, "outputs", ("Cell",), rtol=1e-5, atol=1e-6)


def test_compare_accepts_values_within_tolerance():
    expected = {"h": np.linspace(-1, 1, 12).reshape(3, 4)}
    received = {"h": expected["h"] + 1e-7}
    assert compare(CHECK, expected, received) == (True, "as expected")
    assert compare(CHECK, expected, {"h": expected["h"].astype(np.float32)})[0]


@pytest.mark.parametrize(
    "received, message",
    [
        ({}, "h: not produced"),
        ({"h": "unreadable output (not a regular file)"}, "h: unreadable output"),
        ({"h": np.zeros((4, 3))}, "h: shape (4, 3), expected (3, 4)"),
        ({"h": np.full((3, 4), np.nan)}, "h: contains NaN or infinity"),
        ({"h": np.zeros((3, 4), dtype=complex)}, "h: not a numeric array (complex128)"),
    ],
)
def test_compare_says_why_it_fails(received, message):
    expected = {"h": np.ones((3, 4))}
    passed, text = compare(CHECK, expected, received)
    assert not passed and text.startswith(message), text


def test_compare_reports_the_worst_entry():
    expected = {"y": np.zeros((2, 3))}
    received = {"y": np.zeros((2, 3))}
    received["y"][1, 2] = 0.5
    assert compare(CHECK, expected, received) == (
        False,
        (
            "y: differs from the expected values by up to 0.5 at index (1, 2) "
            "(allowed 1e-06 + 1e-05·|expected|)"
        ),
    )


def test_compare_integers_exactly_and_dtypes_when_asked():
    shapes = {"kernel_shape": np.array([5, 16])}
    assert compare(CHECK, shapes, {"kernel_shape": np.array([5, 16])})[0]
    assert compare(CHECK, shapes, {"kernel_shape": np.array([5, 12])}) == (
        False,
        "kernel_shape: [5, 12], expected [5, 16]",
    )
    mixed = Check("mixed_precision", 2, "", (), rtol=1e-2, atol=1e-2, exact_dtype=True)
    half = {"y": np.ones(3, dtype=np.float16)}
    assert compare(mixed, half, {"y": np.ones(3, dtype=np.float16)})[0]
    assert compare(mixed, half, {"y": np.ones(3, dtype=np.float32)}) == (
        False,
        "y: dtype float32, expected float16",
    )


def test_folder_names_are_unique_and_safe(tmp_path):
    paths = [
        tmp_path / "alice" / "lstm.ipynb",
        tmp_path / "bob" / "lstm.ipynb",
        tmp_path / "carol" / "my answer!.py",
        tmp_path / ".hidden.py",
        tmp_path / "a b.py",
        tmp_path / "a_b.py",
        tmp_path / "grading.json.py",
        tmp_path / "grades.csv.py",
        tmp_path / "-rf.py",
        tmp_path / "it's $(rm -rf ~).py",
        tmp_path / "Ёлка.py",
        tmp_path / "-.py",
    ]
    names = folder_names(paths)
    assert names[:2] == ["alice__lstm", "bob__lstm"]
    assert names[5] == "a_b"  # an already safe name stays as it is
    for name, prefix in zip(
        names[2:],
        [
            "my_answer_-",
            "hidden-",
            "a_b-",
            "a_b",
            "grading_json-",
            "grades_csv-",
            "rf-",
            "it_s___rm_-rf___-",
            "submission-",
            "submission-",
        ],
    ):
        assert name.startswith(prefix), (name, prefix)
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name) for name in names)
    assert {"grades.csv", "grading.json"}.isdisjoint(names)
    # the same names for the same batch; the same file twice gets two folders
    assert folder_names(paths) == names
    assert len(set(folder_names([paths[0], paths[0]]))) == 2


def test_untrusted_text_becomes_one_short_line():
    assert clean("a\nb\t c \x1b[1mbold\x1b[0m\x00") == "a b c bold"
    assert clean("x" * 1000, limit=10) == "x" * 9 + "…"


def test_the_child_environment_holds_nothing_of_ours(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    environment = runner.child_environment(tmp_path, 2)
    assert "SECRET_TOKEN" not in environment
    assert environment["CUDA_VISIBLE_DEVICES"] == "-1"
    assert environment["HOME"] == str(tmp_path)
    assert environment["TMPDIR"] == str(tmp_path / "tmp")
    assert (
        environment["OMP_NUM_THREADS"] == environment["TF_NUM_INTRAOP_THREADS"] == "2"
    )


def test_the_gradebook_is_written_even_if_a_report_folder_is_not(tmp_path):
    assignment = assignments.get("lstm_cell")
    results = tuple(
        Result(
            submission=f"{name}.py",
            folder=name,
            status="ok",
            message="",
            checks=tuple(CheckResult(check, True, "") for check in assignment.checks),
            flags=(),
            seconds=1.0,
        )
        for name in ("blocked", "fine")
    )
    batch = Batch(
        assignment, assignment.checks, 0, 60.0, 768, 1, "test", {}, 1.0, results
    )
    (tmp_path / "blocked").write_text("a file where the folder should be")
    reports.write(batch, tmp_path)
    with (tmp_path / reports.GRADES_FILE).open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["submission"] for row in rows] == ["blocked.py", "fine.py"]
    assert (tmp_path / "fine" / "feedback.txt").is_file()
    summary = json.loads((tmp_path / reports.BATCH_FILE).read_text())
    blocked, fine = summary["submissions"]
    assert blocked["report_error"].startswith("FileExistsError")
    assert "report_error" not in fine
