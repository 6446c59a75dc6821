"""`course similarity`: copydetect on the answers of a batch.

A copy of the solution with every local name changed and its methods
reordered is found; an independently written correct cell is not; code
every student was handed (the released stub) never counts.
"""

import csv
import pathlib
import shutil
import subprocess
import sys

import pytest

from course.grading import similarity

ROOT = pathlib.Path(__file__).resolve().parents[3]
SOLUTION = ROOT / "notebooks" / "assignments" / "solutions" / "02_lstm_cell.ipynb"
STUB = ROOT / "notebooks" / "assignments" / "02_lstm_cell.ipynb"
RENAMED = pathlib.Path(__file__).parent / "similar" / "lstm_solution_renamed.py"
INDEPENDENT = (
    pathlib.Path(__file__).parent / "submissions" / "lstm_float32_constants.py"
)
COURSE = pathlib.Path(sys.executable).parent / "course"


@pytest.fixture(autouse=True)
def _repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the released notebooks are read from here


def _pair(comparison, first, second):
    for pair in comparison.pairs:
        if {pair.first, pair.second} == {str(first), str(second)}:
            return pair
    return None


def test_a_disguised_copy_is_found_and_an_independent_answer_is_not():
    comparison = similarity.compare(
        "lstm_cell", [SOLUTION, RENAMED, INDEPENDENT], threshold=0.0
    )
    copied = _pair(comparison, SOLUTION, RENAMED)
    independent = _pair(comparison, SOLUTION, INDEPENDENT)
    assert copied.similarity >= similarity.DEFAULT_THRESHOLD
    assert independent.similarity < 0.5
    assert copied.overlapping_tokens > 2 * independent.overlapping_tokens
    flagged = similarity.compare("lstm_cell", [SOLUTION, RENAMED, INDEPENDENT])
    assert [(p.first, p.second) for p in flagged.pairs] == [
        (str(SOLUTION), str(RENAMED))
    ]


def test_the_released_stub_is_boilerplate(tmp_path):
    first, second = tmp_path / "first.ipynb", tmp_path / "second.ipynb"
    shutil.copy(STUB, first)
    shutil.copy(STUB, second)
    comparison = similarity.compare("lstm_cell", [first, second], threshold=0.0)
    assert all(pair.similarity == 0.0 for pair in comparison.pairs)


def test_unreadable_submissions_are_listed_not_compared(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def LSTMCell(:\n")
    comparison = similarity.compare("lstm_cell", [SOLUTION, RENAMED, broken])
    assert [path for path, _ in comparison.skipped] == [str(broken)]
    assert "SyntaxError" in comparison.skipped[0][1]
    assert len(comparison.pairs) == 1


def test_the_command_writes_the_pairs_and_an_escaped_report(tmp_path):
    hostile = tmp_path / "<img src=x onerror=alert(1)>.py"
    shutil.copy(RENAMED, hostile)
    out = tmp_path / "out"
    run = subprocess.run(
        [COURSE, "similarity", "lstm_cell", SOLUTION, hostile, INDEPENDENT]
        + ["--out", out],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    with (out / similarity.PAIRS_FILE).open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(row["first"], row["second"]) for row in rows] == [
        (str(SOLUTION), str(hostile))
    ]
    assert float(rows[0]["similarity"]) >= similarity.DEFAULT_THRESHOLD
    report = (out / similarity.REPORT_FILE).read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;.py" in report
    assert "<img src=x" not in report
    assert "course-similarity-" not in report  # no scratch paths
    assert "highlight-red" in report  # the matching passages


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["no_such_assignment", SOLUTION, RENAMED], "unknown assignment"),
        (["lstm_cell", SOLUTION, RENAMED, "--threshold", "1.5"], "threshold"),
        (["lstm_cell", SOLUTION], "at least two"),
    ],
)
def test_bad_arguments_get_a_clear_error(tmp_path, arguments, message):
    run = subprocess.run(
        [COURSE, "similarity", *arguments, "--out", tmp_path],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
