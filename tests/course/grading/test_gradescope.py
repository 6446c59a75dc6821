"""The Gradescope autograder: the zip `course assignments gradescope` writes,
its run_autograder run against a folder laid out like /autograder/, and
results.json checked against Gradescope's documented format."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import jsonschema
import pytest

from course.grading import assignments
from course.grading import gradescope

ROOT = pathlib.Path(__file__).resolve().parents[3]
SUBMISSIONS = pathlib.Path(__file__).parent / "submissions"
SOLUTION = ROOT / "notebooks" / "assignments" / "solutions" / "01_elman_bptt.ipynb"
COURSE = pathlib.Path(sys.executable).parent / "course"
TIMEOUT = 20

# Gradescope's results.json ("Autograder specifications": top-level and per test).
VISIBILITY = {"enum": list(gradescope.VISIBILITIES)}
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "output", "visibility", "stdout_visibility", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "visibility": VISIBILITY,
        "stdout_visibility": VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "output", "visibility"],
                "properties": {
                    "name": {"type": "string"},
                    "number": {"type": "string"},
                    "score": {"type": "number", "minimum": 0},
                    "max_score": {"type": "number", "minimum": 0},
                    "status": {"enum": ["passed", "failed"]},
                    "output": {"type": "string"},
                    "visibility": VISIBILITY,
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zip")
    out = folder / "autograder.zip"
    run = subprocess.run(
        [COURSE, "assignments", "gradescope", "elman_bptt", "--out", out]
        + ["--timeout", str(TIMEOUT), "--hidden-visibility", "after_due_date"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return out


def test_the_zip_holds_the_scripts_and_the_package_but_no_solution(autograder):
    with zipfile.ZipFile(autograder) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        config = json.loads(archive.read(gradescope.CONFIG_FILE))
    assert {"setup.sh", "run_autograder", "source/pyproject.toml"} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "source/course/grading/grader.py" in names
    assert "source/course/grading/probes/child.py" in names
    assert "source/custom_layers/lstm.py" in names
    assert "source/notebooks/assignments/01_elman_bptt.ipynb" in names
    assert not [name for name in names if "solutions" in name]
    assert config == {
        "assignment": "elman_bptt",
        "timeout_seconds": TIMEOUT,
        "memory_mb": 2048,
        "max_processes": 64,
        "disk_mb": 256,
        "hidden_visibility": "after_due_date",
        "weaker_isolation": False,
    }


def _grade_on_gradescope(autograder, tmp_path, submission):
    """Lays tmp_path out as /autograder/ (source unzipped, the submission in
    submission/) and runs the zip's run_autograder there."""
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(tmp_path / "source")
    (tmp_path / "submission").mkdir()
    if submission is not None:
        shutil.copy(submission, tmp_path / "submission")
    environment = dict(
        os.environ, AUTOGRADER_ROOT=str(tmp_path), AUTOGRADER_PYTHON=sys.executable
    )
    run = subprocess.run(
        ["bash", tmp_path / "source" / "run_autograder"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=TIMEOUT + 120,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


@pytest.mark.parametrize(
    "submission, status, score",
    [
        (SOLUTION, "ok", 10),
        (SUBMISSIONS / "elman_off_by_one.py", "ok", 6),
        (SUBMISSIONS / "elman_import_error.py", "error", 0),
        (SUBMISSIONS / "elman_infinite_loop.py", "timeout", 0),
    ],
    ids=["correct", "wrong", "crashing", "hung"],
)
def test_run_autograder_writes_valid_results(
    autograder, tmp_path, submission, status, score
):
    results = _grade_on_gradescope(autograder, tmp_path, submission)
    assert results["score"] == score
    assert results["output"].startswith(f"Status: {status}.")
    assert sum(test["score"] for test in results["tests"]) == score
    assignment = assignments.get("elman_bptt")
    assert [test["max_score"] for test in results["tests"]] == [
        check.points for check in assignment.checks
    ]
    visibility = {
        check.name: "visible" if check.public else "after_due_date"
        for check in assignment.checks
    }
    assert [test["visibility"] for test in results["tests"]] == [
        visibility[check.name] for check in assignment.checks
    ]
    assert "after_due_date" in visibility.values()  # some checks are hidden


def test_an_empty_submission_gets_a_message_not_a_crash(autograder, tmp_path):
    results = _grade_on_gradescope(autograder, tmp_path, None)
    assert results["score"] == 0 and results["tests"] == []
    assert "upload 01_elman_bptt.ipynb" in results["output"]
