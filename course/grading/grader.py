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

import concurrent.futures
import dataclasses
import hashlib
import os
import pathlib
import queue
import re
import secrets
import signal
import tempfile

import numpy as np

from course.grading import DEFAULT_MEMORY_MB
from course.grading import DEFAULT_TIMEOUT
from course.grading import assignments
from course.grading import forkserver
from course.grading import limits
from course.grading import runner
from course.grading import sandbox as sandboxes
from course.grading.checks import CheckResult
from course.grading.checks import compare
from course.grading.probes.files import remove_tree
from course.grading.source import read_submission

REFERENCE_TIMEOUT = 600.0
MAX_SHOWN_MESSAGE = 400
MAX_FOLDER_NAME = 64
STATUSES = ("ok", "flagged", "missing", "error", "timeout")
WEAKER_ISOLATION = "WEAKER ISOLATION"


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
    """A graded batch: the assignment, the checks run, the settings, how
    submissions were isolated (`isolation`: a description; it starts with
    WEAKER_ISOLATION where the sandbox was not used), the limits enforced
    (`limits.Limits.as_json()`) and one `Result` per submission."""

    assignment: assignments.Assignment
    checks: tuple
    seed: int
    timeout: float
    memory_mb: int
    threads: int
    isolation: str
    limits: dict
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
    """An error the child reported (a `ChildError`), with its place in the
    notebook."""
    kind = clean(error.type or "Error", 80)
    message = clean(error.message)
    text = f"{kind}: {message}" if message else kind
    where = submission.origin(error.line)
    if where:
        text += f" ({where})"
    undefined = re.fullmatch(r"name '(\w+)' is not defined", error.message)
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


def _process_ended(run):
    if run.returncode < 0:
        try:
            name = signal.Signals(-run.returncode).name
        except ValueError:
            name = f"signal {-run.returncode}"
        return f"the grading process was killed by {name}"
    return f"the grading process ended early (exit status {run.returncode})"


def _memory_text(run, settings):
    failed = next(
        (name for name, check in run.outcome.checks.items() if check.memory), None
    )
    where = f" in check {failed}" if failed else ""
    if run.outcome.import_error is not None:
        where = " while loading the code"
    scope = " for all its processes together" if run.out_of_memory else ""
    return f"ran out of memory (the limit is {settings.memory_mb} MiB{scope}){where}"


def _status(assignment, submission, run, settings, flags):
    """(status, message) of a submission's run; `flags` are its review
    reasons (`_flags`)."""
    outcome = run.outcome
    missing = [n for n in assignment.answers if n not in submission.defined]
    missing += [
        n for n in outcome.missing if n in assignment.answers and n not in missing
    ]
    if run.timed_out:
        return "timeout", (
            f"stopped after the {settings.timeout:g} s time limit; the checks that "
            "finished before it keep their points"
        )
    if outcome.memory_error or run.out_of_memory:
        return "error", _memory_text(run, settings)
    if outcome.import_error:
        return "error", "while running the definitions: " + _error_text(
            outcome.import_error, submission
        )
    if not outcome.finished:
        return "error", _process_ended(run)
    if missing:
        return "missing", _missing_text(missing, submission)
    if flags:
        return "flagged", "marked for review: " + "; ".join(flags)
    return "ok", ""


def _flags(submission, outcome):
    flags = list(submission.flags)
    if outcome.problems:
        flags.append(
            "its grading process sent data the grader rejected: "
            + clean("; ".join(outcome.problems), 200)
        )
    return tuple(flags)


def _check_result(check, reported, reference, submission, status, message):
    if reported is None:
        return CheckResult(
            check, False, f"not run ({status}: {message})" if message else "not run"
        )
    if reported.done:
        return CheckResult(check, *compare(check, reference, reported.arrays))
    if reported.missing:
        needs = ", ".join(clean(n, 80) for n in reported.missing)
        return CheckResult(check, False, f"not run: needs {needs}")
    return CheckResult(check, False, _error_text(reported.error, submission))


@dataclasses.dataclass(frozen=True)
class _Grading:
    """What every submission of a batch is graded with."""

    assignment: assignments.Assignment
    checks: tuple
    inputs: dict
    reference: dict
    scratch: pathlib.Path
    settings: runner.Settings
    servers: queue.Queue | None  # idle `forkserver.ForkServer`s, or None

    def _run(self, folder, code, expected):
        if self.servers is None:
            workdir = self.scratch / folder
            workdir.mkdir()
            run = runner.run_child(
                workdir,
                self.assignment,
                self.checks,
                self.inputs,
                self.settings,
                code=code,
                expected=expected,
            )
            remove_tree(workdir)
            return run
        server = self.servers.get()
        try:
            return server.run(code, expected)
        finally:
            self.servers.put(server)

    def grade(self, path, submission, folder):
        """The `Result` of one submission (read by `read_submission`)."""
        if submission.problem:
            why = clean(submission.problem)
            return self._not_graded(path, folder, submission, "error", why)
        if not any(name in submission.defined for name in self.assignment.answers):
            why = _missing_text(list(self.assignment.answers), submission)
            return self._not_graded(path, folder, submission, "missing", why)
        run = self._run(
            folder,
            submission.code,
            {name: list(arrays) for name, arrays in self.reference.items()},
        )
        flags = _flags(submission, run.outcome)
        status, message = _status(
            self.assignment, submission, run, self.settings, flags
        )
        results = tuple(
            _check_result(
                check,
                run.outcome.checks.get(check.name),
                self.reference[check.name],
                submission,
                status,
                message,
            )
            for check in self.checks
        )
        return Result(
            str(path),
            folder,
            status,
            message,
            results,
            flags,
            round(run.seconds, 2),
        )

    def _not_graded(self, path, folder, submission, status, why):
        checks = _not_run(self.checks, "not run: " + why)
        return Result(str(path), folder, status, why, checks, submission.flags, 0.0)


def _reference(assignment, checks, inputs, scratch, settings):
    workdir = scratch / "reference"
    workdir.mkdir()
    trusted = dataclasses.replace(settings, timeout=REFERENCE_TIMEOUT)
    run = runner.run_child(workdir, assignment, checks, inputs, trusted)
    for check in checks:
        reported = run.outcome.checks.get(check.name)
        if reported is None or not reported.done:
            raise GradingError(
                f"the reference run of {assignment.name} failed in check "
                f"{check.name}: {reported or run.outcome}\n"
                f"{run.printed[-3000:]}"
            )
    remove_tree(workdir)
    return {
        name: reported.arrays for name, reported in run.outcome.checks.items()
    }, run.seconds


def _isolation(sandbox, fork_server):
    if sandbox is not None:
        how = (
            "a fork server per job, which imported the libraries once, forked "
            "each submission's child and confined it (seccomp) before its code ran"
            if fork_server
            else "a fresh interpreter per submission"
        )
        return f"bubblewrap sandbox ({sandbox.describe()}); {how}"
    return (
        f"{WEAKER_ISOLATION}: submissions ran without the bubblewrap sandbox "
        "(chosen with --weaker-isolation): they could read every file the grader's "
        "user can read and reach the network; only the resource limits applied"
    )


def grade(
    assignment,
    submissions,
    *,
    seed=None,
    timeout=DEFAULT_TIMEOUT,
    memory_mb=DEFAULT_MEMORY_MB,
    threads=1,
    max_processes=limits.DEFAULT_MAX_PROCESSES,
    disk_mb=limits.DEFAULT_DISK_MB,
    sandbox=True,
    jobs=1,
    fork_server=None,
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
        memory_mb: Memory of each submission's whole process tree, MiB.
        threads: Threads per child (TensorFlow and BLAS).
        max_processes: Processes and threads each submission may have.
        disk_mb: Size of each submission's working folder, MiB.
        sandbox: True runs every submission in the bubblewrap sandbox (and
            raises `sandbox.SandboxUnavailable` where it cannot be had);
            False accepts weaker isolation, and the batch says so
            (`course check`, where students run their own code).
        jobs: Submissions graded at the same time, each in its own sandbox
            and control groups (1 without the sandbox, where the grader
            must hunt escaped processes among its own children).
        fork_server: True grades each job's submissions in children forked
            by one fork server per job, which imports NumPy and Keras once
            (`course.grading.forkserver`); False starts a fresh interpreter
            per submission; None (the default) means True with the sandbox,
            which the fork server needs.
        public_only: Run only the checks marked public (`course check`).
        progress: Called with `(index, total, Result)` after each one, in
            the order they finish.

    Returns:
        A `Batch`.

    Raises:
        ValueError: An unknown assignment or a bad setting.
        FileNotFoundError: A submission path that does not exist.
        SandboxUnavailable: `sandbox` is True and there is no sandbox.
        GradingError: The reference run failed, or a fork server did not
            start (the message says why).

    On Linux the calling process adopts the orphans of the children while it
    grades and, without the sandbox, kills any new child process it finds
    after each submission, so do not start other processes from other
    threads meanwhile.
    """
    assignment = assignments.get(assignment)
    fork_server = sandbox if fork_server is None else fork_server
    if fork_server and not sandbox:
        raise ValueError(
            "the fork server needs the sandbox: without it, pass --fresh-interpreters"
        )
    if not sandbox and jobs != 1:
        raise ValueError(
            f"--jobs {jobs} needs the sandbox: without it, submissions are graded "
            "one at a time"
        )
    if (
        timeout <= 0
        or memory_mb < 256
        or threads < 1
        or max_processes < 8
        or disk_mb < 16
        or jobs < 1
    ):
        raise ValueError(
            "expected timeout > 0, memory_mb >= 256, threads >= 1, max_processes >= 8, "
            f"disk_mb >= 16 and jobs >= 1; got {timeout}, {memory_mb}, {threads}, "
            f"{max_processes}, {disk_mb} and {jobs}"
        )
    paths = [pathlib.Path(p) for p in submissions]
    absent = [str(p) for p in paths if not p.is_file()]
    if absent:
        raise FileNotFoundError(f"no such submission file: {', '.join(absent)}")
    settings = runner.Settings(
        float(timeout),
        memory_mb,
        threads,
        max_processes,
        disk_mb,
        sandboxes.find() if sandbox else None,
    )
    checks = tuple(c for c in assignment.checks if c.public or not public_only)
    # Everything is read before any student code runs.
    read = [read_submission(p, assignment.flags, assignment.answers) for p in paths]
    folders = folder_names(paths)
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    inputs = assignment.make_inputs(np.random.default_rng(seed))
    with limits.ChildLimits(memory_mb, max_processes) as probe:
        enforced = probe.describe(timeout, disk_mb if settings.sandbox else None)

    with (
        tempfile.TemporaryDirectory(prefix="course-grade-") as scratch,
        runner.subreaper(),
    ):
        scratch = pathlib.Path(scratch)
        reference, reference_seconds = _reference(
            assignment, checks, inputs, scratch, settings
        )
        servers = None
        if fork_server:
            servers = queue.Queue()
            for _ in range(jobs):
                servers.put(
                    forkserver.ForkServer(scratch, assignment, checks, inputs, settings)
                )
        grading = _Grading(
            assignment, checks, inputs, reference, scratch, settings, servers
        )
        try:
            with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
                futures = [
                    pool.submit(grading.grade, *job)
                    for job in zip(paths, read, folders)
                ]
                for index, future in enumerate(
                    concurrent.futures.as_completed(futures)
                ):
                    if progress is not None:
                        progress(index, len(paths), future.result())
                results = [future.result() for future in futures]
        except forkserver.ForkServerError as error:
            raise GradingError(
                f"{error}; to grade anyway, pass --fresh-interpreters"
            ) from error
        finally:
            while servers is not None and not servers.empty():
                servers.get().close()
    return Batch(
        assignment,
        checks,
        seed,
        float(timeout),
        memory_mb,
        threads,
        _isolation(settings.sandbox, fork_server),
        enforced.as_json(),
        round(reference_seconds, 2),
        tuple(results),
    )
