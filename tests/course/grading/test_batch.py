"""`course grade` end to end on sample submissions: every kind of failure
gets its own status and score, and none of them stops the batch, reaches
the grader's process, its output folder or its secrets.

Each assignment is graded once per module, by the console script in a
subprocess (the four batches in parallel); the tests assert on the rows,
reports and messages. The solution notebooks must earn full marks and the
released student notebooks (stubs) none.
"""

import ast
import contextlib
import csv
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from course.grading import runner

ROOT = pathlib.Path(__file__).resolve().parents[3]
SUBMISSIONS = pathlib.Path(__file__).parent / "submissions"
SOLUTIONS = ROOT / "notebooks" / "assignments" / "solutions"
STUDENT = ROOT / "notebooks" / "assignments"
COURSE = pathlib.Path(sys.executable).parent / "course"
SEED = 271828
SECRET = "hunter2-not-for-students"
ELMAN_TIMEOUT = 20
ELMAN_MEMORY_MB = 256  # the memory hog hits it in a few seconds

# submission -> (status, score); every assignment is worth 10 points.
EXPECTED = {
    "elman_bptt": {
        SOLUTIONS / "01_elman_bptt.ipynb": ("ok", 10),
        STUDENT / "01_elman_bptt.ipynb": ("ok", 0),
        SUBMISSIONS / "elman_off_by_one.py": ("ok", 6),
        SUBMISSIONS / "elman_missing_bptt.py": ("missing", 5),
        SUBMISSIONS / "elman_syntax_error.ipynb": ("error", 0),
        SUBMISSIONS / "elman_import_error.py": ("error", 0),
        SUBMISSIONS / "elman_infinite_loop.py": ("timeout", 0),
        SUBMISSIONS / "elman_memory_hog.py": ("error", 0),
        SUBMISSIONS / "elman_monkeypatch.py": ("flagged", 1),
        SUBMISSIONS / "elman_fake_results.py": ("flagged", 1),
        SUBMISSIONS / "elman_environment_reader.py": ("flagged", 0),
        SUBMISSIONS / "elman_escaping_process.py": ("flagged", 0),
    },
    "lstm_cell": {
        SOLUTIONS / "02_lstm_cell.ipynb": ("ok", 10),
        SUBMISSIONS / "lstm_wrong_gate_order.py": ("ok", 1),
        SUBMISSIONS / "lstm_float32_constants.py": ("ok", 8),
        SUBMISSIONS / "lstm_wraps_builtin.py": ("flagged", 10),
        SUBMISSIONS / "lstm_dodges_the_flag.py": ("flagged", 10),
    },
    "gru_cell": {SOLUTIONS / "03_gru_cell.ipynb": ("ok", 10)},
    "jordan_cell": {SOLUTIONS / "04_jordan_cell.ipynb": ("ok", 10)},
}
ELMAN_CHECKS = [
    "shapes",
    "one_step",
    "sequence",
    "loss",
    "output_gradients",
    "bptt_gradients",
    "initial_state_gradient",
]


class Graded:
    """One batch: the command's result, its output folder and its rows."""

    def __init__(self, process, out):
        self.stdout, self.stderr = process.communicate(timeout=900)
        self.returncode = process.returncode
        self.out = out
        with open(out / "grades.csv", newline="") as file:
            self.rows = {
                pathlib.Path(row["submission"]): row for row in csv.DictReader(file)
            }
        self.batch = json.loads((out / "grading.json").read_text())
        self.folders = {
            pathlib.Path(entry["submission"]): out / entry["folder"]
            for entry in self.batch["submissions"]
        }

    def feedback(self, submission):
        return (self.folders[submission] / "feedback.txt").read_text()

    def results(self, submission):
        return json.loads((self.folders[submission] / "results.json").read_text())


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    assert COURSE.exists(), f"the console script is not installed: {COURSE}"
    environment = {**os.environ, "COURSE_GRADING_SECRET": SECRET, "SEED": str(SEED)}
    started = {}
    for assignment, submissions in EXPECTED.items():
        out = tmp_path_factory.mktemp(assignment) / "grades"
        options = ["--timeout", str(ELMAN_TIMEOUT), "--memory", str(ELMAN_MEMORY_MB)]
        if assignment != "elman_bptt":
            options = ["--timeout", "300"]
        command = [
            str(COURSE),
            "grade",
            assignment,
            *map(str, submissions),
            "--out",
            str(out),
            "--seed",
            str(SEED),
            *options,
        ]
        started[assignment] = (
            subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=environment,
                cwd=ROOT,
            ),
            out,
        )
    return {name: Graded(process, out) for name, (process, out) in started.items()}


CASES = [(a, s) for a, submissions in EXPECTED.items() for s in submissions]


@pytest.mark.parametrize(
    "assignment, submission", CASES, ids=[f"{a}-{s.name}" for a, s in CASES]
)
def test_each_submission_gets_its_status_and_score(graded, assignment, submission):
    batch = graded[assignment]
    assert batch.returncode == 0, batch.stderr[-3000:]
    row = batch.rows[submission]
    status, score = EXPECTED[assignment][submission]
    assert (row["status"], float(row["score"])) == (status, score), row
    assert float(row["max_score"]) == 10
    assert batch.results(submission)["score"] == score


def test_every_submission_has_a_row_in_order(graded):
    for assignment, batch in graded.items():
        assert list(batch.rows) == list(EXPECTED[assignment])
        assert (
            f"graded {len(EXPECTED[assignment])} submissions of {assignment} "
            f"(seed {SEED})" in batch.stdout
        )


def test_partial_credit_is_per_check(graded):
    rows = graded["elman_bptt"].rows
    off_by_one = rows[SUBMISSIONS / "elman_off_by_one.py"]
    assert [off_by_one[c] for c in ELMAN_CHECKS] == ["1", "1", "2", "1", "1", "0", "0"]
    missing = rows[SUBMISSIONS / "elman_missing_bptt.py"]
    assert [missing[c] for c in ELMAN_CHECKS] == ["1", "1", "2", "1", "0", "0", "0"]
    assert missing["message"] == "not defined: elman_bptt"
    mixed = graded["lstm_cell"].rows[SUBMISSIONS / "lstm_float32_constants.py"]
    assert (mixed["sequence"], mixed["gradients"], mixed["mixed_precision"]) == (
        "3",
        "2",
        "0",
    )
    feedback = graded["lstm_cell"].feedback(SUBMISSIONS / "lstm_float32_constants.py")
    assert "InvalidArgumentError" in feedback and "(line 11)" in feedback
    gates = graded["lstm_cell"].feedback(SUBMISSIONS / "lstm_wrong_gate_order.py")
    assert re.search(
        r"FAILED +0/2 +one_step .*\n.*new_c: differs from the expected "
        r"values by up to [0-9.e-]+ at index",
        gates,
    )


def test_errors_say_what_went_wrong_and_where(graded):
    rows = graded["elman_bptt"].rows
    assert rows[SUBMISSIONS / "elman_syntax_error.ipynb"]["message"] == (
        "SyntaxError in code cell 2, line 1: expected ':'"
    )
    assert rows[SUBMISSIONS / "elman_syntax_error.ipynb"]["seconds"] == "0"  # never ran
    message = rows[SUBMISSIONS / "elman_import_error.py"]["message"]
    assert message.startswith(
        "while running the definitions: ImportError: cannot import "
        "name 'no_such_function' from 'numpy'"
    )
    assert message.endswith("(line 4)")
    assert rows[SUBMISSIONS / "elman_memory_hog.py"]["message"] == (
        f"ran out of memory (the limit is {ELMAN_MEMORY_MB} MiB) in check shapes"
    )
    stub = graded["elman_bptt"].feedback(STUDENT / "01_elman_bptt.ipynb")
    assert stub.count("NotImplementedError") == len(ELMAN_CHECKS)


def test_an_infinite_loop_times_out_and_the_batch_goes_on(graded):
    batch = graded["elman_bptt"]
    row = batch.rows[SUBMISSIONS / "elman_infinite_loop.py"]
    assert ELMAN_TIMEOUT <= float(row["seconds"]) < ELMAN_TIMEOUT + 10
    assert row["message"].startswith(f"stopped after the {ELMAN_TIMEOUT} s time limit")
    after = list(batch.rows)[
        list(batch.rows).index(SUBMISSIONS / "elman_infinite_loop.py") + 1 :
    ]
    assert after and all(batch.rows[s]["status"] != "timeout" for s in after)


def test_patching_numpy_changes_nothing_but_is_flagged(graded):
    row = graded["elman_bptt"].rows[SUBMISSIONS / "elman_monkeypatch.py"]
    assert [row[c] for c in ELMAN_CHECKS] == ["1", "0", "0", "0", "0", "0", "0"]
    assert "changes numpy.allclose (patching a module)" in row["flags"]


def test_fake_results_leave_no_trace(graded):
    batch = graded["elman_bptt"]
    fake = "ALL CHECKS PASSED"
    submission = SUBMISSIONS / "elman_fake_results.py"
    assert fake not in batch.stdout + batch.stderr
    assert fake not in (batch.out / "grades.csv").read_text()
    assert fake not in batch.feedback(submission)
    assert fake not in json.dumps(batch.results(submission))
    assert [batch.rows[submission][c] for c in ELMAN_CHECKS] == ["1"] + ["0"] * 6
    assert not (batch.out / "planted.txt").exists()
    assert (
        "its grading process sent data the grader rejected"
        in (batch.rows[submission]["flags"])
    )


def test_the_child_sees_none_of_the_graders_environment(graded):
    batch = graded["elman_bptt"]
    feedback = batch.feedback(SUBMISSIONS / "elman_environment_reader.py")
    listed = re.search(r"RuntimeError: environment (\[.*?\]);", feedback).group(1)
    workdir = pathlib.Path("/nonexistent")
    # and PWD, which bwrap sets to the working folder it changes into
    expected = {*runner.child_environment(workdir, 1), "PWD"}
    assert set(ast.literal_eval(listed)) == expected
    assert SECRET not in feedback and str(SEED) not in feedback
    assert str(batch.out) not in feedback


def test_escaped_processes_are_killed(graded):
    feedback = graded["elman_bptt"].feedback(SUBMISSIONS / "elman_escaping_process.py")
    assert re.search(r"started the background process \d+", feedback)
    for pid in os.listdir("/proc"):  # none of the batch's children is left
        with contextlib.suppress(OSError):
            command = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
            assert b".child import run" not in command, command


def test_the_reports(graded):
    batch = graded["elman_bptt"]
    assert batch.batch["seed"] == SEED and batch.batch["memory_mb"] == ELMAN_MEMORY_MB
    assert [c["name"] for c in batch.batch["checks"]] == ELMAN_CHECKS
    solution = SOLUTIONS / "01_elman_bptt.ipynb"
    results = batch.results(solution)
    assert results["output"] == "Status: ok."
    assert [
        (t["name"].split(":")[0], t["score"], t["max_score"], t["status"])
        for t in results["tests"]
    ][:2] == [("shapes", 1, 1, "passed"), ("one_step", 1, 1, "passed")]
    visibility = {t["name"].split(":")[0]: t["visibility"] for t in results["tests"]}
    assert visibility["loss"] == "visible"
    assert visibility["bptt_gradients"] == "after_published"
    feedback = batch.feedback(solution)
    assert "Status: ok\nScore: 10 / 10\n" in feedback
    assert feedback.count("passed") == len(ELMAN_CHECKS)
    # the feedback names checks, never shows the grader's code
    for forbidden in ("def ", "import ", "np.", "probe", "inputs["):
        assert forbidden not in feedback
    # two submissions called 01_elman_bptt get separate folders
    assert batch.folders[solution] != batch.folders[STUDENT / "01_elman_bptt.ipynb"]
    flagged = graded["lstm_cell"].results(SUBMISSIONS / "lstm_wraps_builtin.py")
    assert flagged["extra_data"]["status"] == "flagged"
    assert flagged["extra_data"]["flags"] == [
        "uses keras.layers.LSTMCell (the assignment asks for your own LSTM cell) (line 10)"
    ]
    dodged = graded["lstm_cell"].results(SUBMISSIONS / "lstm_dodges_the_flag.py")
    assert dodged["extra_data"]["flags"] == [
        "uses keras.saving.deserialize_keras_object (looks up a Keras class by name) (line 16)"
    ]


def test_course_check_runs_the_public_checks(tmp_path):
    solution = subprocess.run(
        [str(COURSE), "check", str(SOLUTIONS / "01_elman_bptt.ipynb")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert solution.returncode == 0, solution.stdout + solution.stderr
    assert solution.stdout.count("passed") == 4
    assert (
        "(public checks only; 3 more are run when the assignment is graded)"
        in solution.stdout
    )
    assert "bptt_gradients" not in solution.stdout
    stub = subprocess.run(
        [str(COURSE), "check", str(STUDENT / "01_elman_bptt.ipynb")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert stub.returncode == 1
    assert stub.stdout.count("NotImplementedError") == 4


def test_bad_requests_are_refused(tmp_path):
    def course(*args):
        return subprocess.run(
            [str(COURSE), *map(str, args)], capture_output=True, text=True, timeout=120
        )

    unknown = course(
        "grade", "lstm", SUBMISSIONS / "lstm_wraps_builtin.py", "--out", tmp_path
    )
    assert unknown.returncode == 2
    assert (
        "unknown assignment 'lstm'; expected one of: elman_bptt, lstm_cell"
        in unknown.stderr
    )
    absent = course("grade", "lstm_cell", tmp_path / "nope.py", "--out", tmp_path)
    assert absent.returncode == 2 and "no such submission file" in absent.stderr
    plain = tmp_path / "plain.py"
    plain.write_text("x = 1\n")
    unnamed = course("check", plain)
    assert unnamed.returncode == 2 and "give --assignment" in unnamed.stderr
