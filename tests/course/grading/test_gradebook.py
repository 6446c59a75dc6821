"""`course gradebook`: Canvas and Moodle import files from graded batches.

The graded folder is made by `course grade` itself (the Elman assignment,
two students and one stranger); the tests check the columns each LMS's
gradebook import documents, the points, and that nobody is dropped.
"""

import csv
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from course.grading import assignments
from course.grading import gradebook

ROOT = pathlib.Path(__file__).resolve().parents[3]
SUBMISSIONS = pathlib.Path(__file__).parent / "submissions"
SOLUTION = ROOT / "notebooks" / "assignments" / "solutions" / "01_elman_bptt.ipynb"
COURSE = pathlib.Path(sys.executable).parent / "course"
TITLE = f"{assignments.get('elman_bptt').title} (elman_bptt)"


def _course(*arguments, cwd=ROOT):
    return subprocess.run(
        [COURSE, *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A real `course grade` folder: alice (full marks), bob (6 of 10) and
    carol, whom the roster does not know."""
    handed_in = tmp_path_factory.mktemp("handed_in")
    shutil.copy(SOLUTION, handed_in / "alice.ipynb")
    shutil.copy(SUBMISSIONS / "elman_off_by_one.py", handed_in / "bob.py")
    shutil.copy(SUBMISSIONS / "elman_missing_bptt.py", handed_in / "carol.py")
    out = tmp_path_factory.mktemp("graded")
    run = _course("grade", "elman_bptt", handed_in, "--out", out, "--seed", 7)
    assert run.returncode == 0, run.stderr
    return out


def _write_roster(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([header, *rows])
    return path


def _read(path):
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def test_canvas_gradebook_has_canvas_columns_and_points_possible(graded, tmp_path):
    roster = _write_roster(
        tmp_path / "roster.csv",
        ["submission", *gradebook.CANVAS_COLUMNS],
        [
            ["alice", "Liddell, Alice", "101", "s101", "alice", "Section 1"],
            ["bob", "Builder, Bob", "102", "s102", "bob", "Section 1"],
            ["dave", "Bowman, Dave", "104", "s104", "dave", "Section 2"],
        ],
    )
    out = tmp_path / "canvas.csv"
    run = _course("gradebook", graded, "--roster", roster, "--lms", "canvas")
    assert run.returncode == 2 and "--out" in run.stderr  # required
    run = _course(
        "gradebook", graded, "--roster", roster, "--lms", "canvas", "--out", out
    )
    assert run.returncode == 0, run.stderr
    rows = _read(out)
    assert rows[0] == [*gradebook.CANVAS_COLUMNS, TITLE]
    assert rows[1] == ["Points Possible", "", "", "", "", "10"]
    assert rows[2:] == [
        ["Liddell, Alice", "101", "s101", "alice", "Section 1", "10"],
        ["Builder, Bob", "102", "s102", "bob", "Section 1", "6"],
        ["Bowman, Dave", "104", "s104", "dave", "Section 2", ""],
    ]
    assert "elman_bptt: submission 'carol' has no roster row" in run.stderr
    assert "elman_bptt: no submission from 'dave'" in run.stderr


def test_moodle_gradebook_has_one_identifier_and_one_column_per_assignment(
    graded, tmp_path
):
    roster = _write_roster(
        tmp_path / "roster.csv",
        ["Email address", "submission"],
        [["alice@example.org", "alice"], ["bob@example.org", "bob"]],
    )
    out = tmp_path / "moodle.csv"
    run = _course(
        "gradebook", graded, "--roster", roster, "--lms", "moodle", "--out", out
    )
    assert run.returncode == 0, run.stderr
    assert _read(out) == [
        ["Email address", TITLE],
        ["alice@example.org", "10"],
        ["bob@example.org", "6"],
    ]
    assert "'carol' has no roster row" in run.stderr


@pytest.mark.parametrize(
    "lms, header, rows, message",
    [
        ("moodle", ["Email address"], [["a@x"]], "no `submission` column"),
        ("canvas", ["submission", "Student", "ID"], [["a", "A", "1"]], "lacks"),
        (
            "moodle",
            ["submission", "Email address", "Username"],
            [["a", "a@x", "a"]],
            "exactly one identifier column",
        ),
        (
            "moodle",
            ["submission", "Email address"],
            [["a", "a@x"], ["a", "b@x"]],
            "appears twice",
        ),
        ("moodle", ["submission", "Email address"], [["a", ""]], "no student id"),
        ("moodle", ["submission", "Email address"], [], "lists no students"),
    ],
)
def test_bad_rosters_get_a_clear_error(graded, tmp_path, lms, header, rows, message):
    roster = _write_roster(tmp_path / "roster.csv", header, rows)
    run = _course(
        "gradebook", graded, "--roster", roster, "--lms", lms, "--out", tmp_path / "o"
    )
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "o").exists()


def test_bad_graded_folders_get_a_clear_error(graded, tmp_path):
    roster = _write_roster(
        tmp_path / "roster.csv", ["submission", "Username"], [["alice", "alice"]]
    )
    not_graded = tmp_path / "empty"
    not_graded.mkdir()
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "grading.json").write_text(json.dumps({"assignment": 1}))
    for folders, message in [
        ([not_graded], "holds no grading.json"),
        ([corrupt], "not a grading summary"),
        ([graded, graded], "of the same assignment"),
    ]:
        run = _course(
            "gradebook",
            *folders,
            "--roster",
            roster,
            "--lms",
            "moodle",
            "--out",
            tmp_path / "o",
        )
        assert run.returncode == 2, folders
        assert message in run.stderr
        assert "Traceback" not in run.stderr
