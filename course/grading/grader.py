"""Grading a batch of submissions: reference first, then each submission
in its own sandboxed child process, then the comparison here, in the
trusted parent.

Statuses, from the most serious:

- timeout: the child ran past the wall-clock limit and was killed;
- error: the submission could not be graded normally: a syntax error, an
  exception while its definitions were executed, the memory limit, or a
  process that died or quit early (the message says which);
- missing: a name the assignment asks for is not defined (the checks that
  do not need it are still run);
- flagged: graded as usual, but something in the code needs an
  instructor's review (see `course.grading.source`);
- ok.

Checks that finished before a timeout or a crash keep their points.
"""

import contextlib
import dataclasses
import hashlib
import os
import pathlib
import re
import secrets
import shutil
import signal
import tempfile

import numpy as np

from course.grading import DEFAULT_MEMORY_MB
from course.grading import DEFAULT_TIMEOUT
from course.grading import assignments
from course.grading import runner
from course.grading.checks import CheckResult
from course.grading.checks import compare
from course.grading.source import read_submission

REFERENCE_TIMEOUT = 600.0
MAX_SHOWN_MESSAGE = 400
MAX_FOLDER_NAME = 64
STATUSES = ("ok", "flagged", "missing", "error", "timeout")


class GradingError(RuntimeError):
    """The batch cannot be graded (the reference run failed)."""


@dataclasses.dataclass(frozen=True)
class Result:
    """The grade of one submission.

    Attributes:
        submission: The path as given.
        folder: A unique, file-system-safe name for its report folder.
        status: One of `STATUSES`.
        message: What the status is about ("" for ok).
        checks: One `CheckResult` per check, in order.
        flags: Reasons for review.
        seconds: Wall-clock time of its child process.
    """

    submission: str
    folder: str
    status: str
    message: str
    checks: tuple
    flags: tuple
    seconds: float

    @property
    def score(self):
        return float(sum(result.score for result in self.checks))

    @property
    def max_score(self):
        return float(sum(result.check.points for result in self.checks))


@dataclasses.dataclass(frozen=True)
class Batch:
    """A graded batch: the assignment, the checks run, the settings and one
    `Result` per submission."""

    assignment: assignments.Assignment
    checks: tuple
    seed: int
    timeout: float
    memory_mb: int
    threads: int
    sandbox: dict
    reference_seconds: float
    results: tuple


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def clean(text, limit=MAX_SHOWN_MESSAGE):
    """Untrusted text for a report: one line, printable, at most `limit`."""
    text = _ANSI_ESCAPE.sub("", str(text))
    text = re.sub(r"\s+", " ", "".join(ch if ch.isprintable() else " " for ch in text))
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def folder_names(paths):
    """Unique, file-system-safe names for the submissions' report folders.

    A name is the file name without its suffix (or, for files that share
    one, their paths from the folder the namesakes have in common), with
    everything but ASCII letters, digits, `_` and `-` replaced by `_` and no
    leading `-` or `_`. A name that had to change gets a hash of the path as
    suffix, so `a b.py` and `a_b.py` never meet; a name never holds a dot, so
    it cannot be `grades.csv` or `grading.json`.
    """
    paths = [pathlib.Path(p).resolve() for p in paths]
    stems = [p.stem for p in paths]
    for stem in set(stems):
        namesakes = [i for i, s in enumerate(stems) if s == stem]
        if len(namesakes) > 1:
            common = os.path.commonpath([str(paths[i].parent) for i in namesakes])
            for i in namesakes:
                stems[i] = "__".join(paths[i].with_suffix("").relative_to(common).parts)
    names, seen = [], set()
    for path, stem in zip(paths, stems):
        name = re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:MAX_FOLDER_NAME].lstrip("-_")
        if name != stem:
            digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:8]
            name = f"{name or 'submission'}-{digest}"
        unique, number = name, 2
        while unique in seen:  # the same file given twice
            unique, number = f"{name}-{number}", number + 1
        seen.add(unique)
        names.append(unique)
    return names


def _error_text(error, submission):
    """An error the child reported, with its place in the notebook."""
    if not isinstance(error, dict):
        return "failed (no details)"
    kind = clean(error.get("type", "Error"), 80)
    message = clean(error.get("message", ""))
    text = f"{kind}: {message}" if message else kind
    where = submission.origin(error.get("line"))
    if where:
        text += f" ({where})"
    undefined = re.fullmatch(r"name '(\w+)' is not defined", message)
    if kind == "NameError" and undefined and undefined.group(1) in submission.left_out:
        text += (
            f"; {undefined.group(1)} is only set by a top-level statement the grader "
            "leaves out (it keeps imports, def, class and assignments that call nothing)"
        )
    return text


def _missing_text(names, submission):
    text = "not defined: " + ", ".join(names)
    hidden = [n for n in names if n in submission.left_out]
    if hidden:
        text += (
            f" ({', '.join(hidden)} only inside a statement the grader leaves out: "
            "define it at the top level of a cell)"
        )
    return text


def _not_run(checks, why):
    return tuple(CheckResult(check, False, why) for check in checks)


def _remove(path):
    def make_writable_and_retry(function, failed_path, _):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed_path), 0o700)
            os.chmod(failed_path, 0o700)
        with contextlib.suppress(OSError):
            function(failed_path)

    shutil.rmtree(path, onerror=make_writable_and_retry)


def _reference(assignment, checks, inputs, scratch, memory_mb, threads):
    workdir = scratch / "reference"
    workdir.mkdir()
    run = runner.run_child(
        workdir,
        assignment=assignment.name,
        checks=[c.name for c in checks],
        inputs=inputs,
        timeout=REFERENCE_TIMEOUT,
        memory_mb=memory_mb,
        threads=threads,
    )
    entries = run.report.get("checks", {})
    for check in checks:
        if not entries.get(check.name, {}).get("done"):
            raise GradingError(
                f"the reference run of {assignment.name} failed in check "
                f"{check.name}: {entries.get(check.name) or run.report or 'no report'}\n"
                f"{runner.output_tail(workdir)}"
            )
    arrays = run.arrays
    _remove(workdir)
    return arrays, run.report.get("sandbox") or {}, run.seconds


def _process_ended(run):
    if run.returncode < 0:
        try:
            name = signal.Signals(-run.returncode).name
        except ValueError:
            name = f"signal {-run.returncode}"
        return f"the grading process was killed by {name}"
    return f"the grading process ended early (exit status {run.returncode})"


def _status(assignment, submission, run, memory_mb, timeout):
    report = run.report
    missing = [n for n in assignment.answers if n not in submission.defined]
    reported_missing = report.get("missing")
    if isinstance(reported_missing, list):
        missing += [
            n for n in reported_missing if n in assignment.answers and n not in missing
        ]
    checks = report.get("checks") if isinstance(report.get("checks"), dict) else {}
    if run.timed_out:
        return "timeout", (
            f"stopped after the {timeout:g} s time limit; the checks that finished "
            "before it keep their points"
        )
    if report.get("memory_error"):
        failed = next(
            (
                name
                for name, entry in checks.items()
                if isinstance(entry, dict)
                and isinstance(entry.get("error"), dict)
                and entry["error"].get("type") == "MemoryError"
            ),
            None,
        )
        where = f" in check {failed}" if failed else " while loading the code"
        return "error", f"ran out of memory (the limit is {memory_mb} MiB){where}"
    if report.get("import_error"):
        return "error", "while running the definitions: " + _error_text(
            report["import_error"], submission
        )
    if not report.get("finished"):
        return "error", _process_ended(run)
    if missing:
        return "missing", _missing_text(missing, submission)
    if submission.flags:
        return "flagged", "marked for review: " + "; ".join(submission.flags)
    return "ok", ""


def _grade_one(
    assignment,
    checks,
    path,
    submission,
    folder,
    inputs,
    reference,
    scratch,
    timeout,
    memory_mb,
    threads,
):
    given = str(path)
    if submission.problem:
        return Result(
            given,
            folder,
            "error",
            clean(submission.problem),
            _not_run(checks, "not run: " + clean(submission.problem)),
            submission.flags,
            0.0,
        )
    if not any(name in submission.defined for name in assignment.answers):
        message = _missing_text(list(assignment.answers), submission)
        return Result(
            given,
            folder,
            "missing",
            message,
            _not_run(checks, "not run: " + message),
            submission.flags,
            0.0,
        )

    workdir = scratch / folder
    workdir.mkdir()
    run = runner.run_child(
        workdir,
        assignment=assignment.name,
        checks=[c.name for c in checks],
        inputs=inputs,
        timeout=timeout,
        memory_mb=memory_mb,
        threads=threads,
        code=submission.code,
        expected={name: list(a) for name, a in reference.items()},
    )
    _remove(workdir)
    status, message = _status(assignment, submission, run, memory_mb, timeout)
    entries = (
        run.report.get("checks") if isinstance(run.report.get("checks"), dict) else {}
    )
    results = []
    for check in checks:
        entry = entries.get(check.name)
        entry = entry if isinstance(entry, dict) else {}
        if entry.get("done") is True:
            passed, text = compare(check, reference[check.name], run.arrays[check.name])
        elif isinstance(entry.get("missing"), list):
            passed = False
            text = "not run: needs " + ", ".join(clean(n, 80) for n in entry["missing"])
        elif "error" in entry:
            passed, text = False, _error_text(entry["error"], submission)
        else:
            passed, text = (
                False,
                f"not run ({status}: {message})" if message else "not run",
            )
        results.append(CheckResult(check, passed, text))
    return Result(
        given,
        folder,
        status,
        message,
        tuple(results),
        submission.flags,
        round(run.seconds, 2),
    )


def grade(
    assignment,
    submissions,
    *,
    seed=None,
    timeout=DEFAULT_TIMEOUT,
    memory_mb=DEFAULT_MEMORY_MB,
    threads=1,
    public_only=False,
    progress=None,
):
    """Grades submissions of one assignment.

    Args:
        assignment: An assignment name (`course.grading.assignments.names()`).
        submissions: Paths of `.ipynb` / `.py` files.
        seed: Seed of the check inputs; None draws a fresh one (recorded in
            the returned `Batch`), so nobody can know the inputs in advance.
        timeout: Wall-clock seconds allowed per submission (the Python and
            TensorFlow start-up included).
        memory_mb: Data-segment limit of each child, in MiB.
        threads: Threads per child (TensorFlow and BLAS).
        public_only: Run only the checks marked public (`course check`).
        progress: Called with `(index, total, Result)` after each one.

    Returns:
        A `Batch`.

    Raises:
        ValueError: An unknown assignment or a bad setting.
        FileNotFoundError: A submission path that does not exist.
        GradingError: The reference run failed.

    On Linux the calling process adopts the orphans of the children while it
    grades and kills any new child process it finds after each submission,
    so do not start other processes from other threads meanwhile.
    """
    assignment = assignments.get(assignment)
    if timeout <= 0 or memory_mb < 256 or threads < 1:
        raise ValueError(
            f"expected timeout > 0, memory_mb >= 256 and threads >= 1; got "
            f"{timeout}, {memory_mb} and {threads}"
        )
    paths = [pathlib.Path(p) for p in submissions]
    absent = [str(p) for p in paths if not p.is_file()]
    if absent:
        raise FileNotFoundError(f"no such submission file: {', '.join(absent)}")
    checks = tuple(c for c in assignment.checks if c.public or not public_only)
    # Everything is read before any student code runs.
    read = [read_submission(p, assignment.flags, assignment.answers) for p in paths]
    folders = folder_names(paths)
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    inputs = assignment.make_inputs(np.random.default_rng(seed))

    results = []
    with (
        tempfile.TemporaryDirectory(prefix="course-grade-") as scratch,
        runner.subreaper(),
    ):
        scratch = pathlib.Path(scratch)
        reference, sandbox, reference_seconds = _reference(
            assignment, checks, inputs, scratch, memory_mb, threads
        )
        for index, (path, submission, folder) in enumerate(zip(paths, read, folders)):
            result = _grade_one(
                assignment,
                checks,
                path,
                submission,
                folder,
                inputs,
                reference,
                scratch,
                timeout,
                memory_mb,
                threads,
            )
            results.append(result)
            if progress is not None:
                progress(index, len(paths), result)
    return Batch(
        assignment,
        checks,
        seed,
        float(timeout),
        memory_mb,
        threads,
        sandbox,
        round(reference_seconds, 2),
        tuple(results),
    )
