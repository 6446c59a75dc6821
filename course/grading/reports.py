"""What a graded batch leaves in the output folder.

    OUT/grades.csv                  one row per submission: submission,
                                    status, score, max_score, the points of
                                    every check, flags, message, seconds
    OUT/NAME/results.json           Gradescope's autograder format
    OUT/NAME/feedback.txt           the same, readable: check names, points
                                    and messages (never the checks' code)
    OUT/grading.json                the batch: assignment, seed, how the
                                    submissions were isolated, the limits
                                    enforced, per-submission summary

The files are written after every child process has ended, by the parent
alone. Text that came from a submission (exception messages) is reduced
to one printable line before it gets here.
"""

import csv
import datetime
import json
import pathlib
import platform

from course.grading.grader import WEAKER_ISOLATION

GRADES_FILE = "grades.csv"
BATCH_FILE = "grading.json"


def _number(value):
    return f"{value:g}"


def _isolation_warning(batch):
    if batch.isolation.startswith(WEAKER_ISOLATION):
        return ["Graded with weaker isolation: no sandbox (see grading.json)."]
    return []


def feedback_text(batch, result):
    """The readable feedback of one submission."""
    assignment = batch.assignment
    lines = [
        f"{assignment.name}: {assignment.title}",
        f"Submission: {result.submission}",
        f"Status: {result.status}" + (f" ({result.message})" if result.message else ""),
        f"Score: {_number(result.score)} / {_number(result.max_score)}",
        *_isolation_warning(batch),
        "",
    ]
    width = max(len(r.check.name) for r in result.checks)
    for check_result in result.checks:
        check = check_result.check
        mark = "passed" if check_result.passed else "FAILED"
        points = f"{_number(check_result.score)}/{_number(check.points)}"
        lines.append(
            f"  {mark}  {points:>5}  {check.name:<{width}}  {check.description}"
        )
        lines.append(f"  {'':6}  {'':5}  {'':<{width}}  {check_result.message}")
    if result.flags:
        lines += ["", "Marked for an instructor's review:"]
        lines += [f"  - {flag}" for flag in result.flags]
    return "\n".join(lines) + "\n"


def gradescope_results(batch, result):
    """One submission's results in Gradescope's results.json format."""
    tests = []
    for number, check_result in enumerate(result.checks, start=1):
        check = check_result.check
        tests.append(
            {
                "name": f"{check.name}: {check.description}",
                "number": str(number),
                "score": check_result.score,
                "max_score": float(check.points),
                "status": "passed" if check_result.passed else "failed",
                "output": check_result.message,
                "visibility": "visible" if check.public else "after_published",
            }
        )
    summary = " ".join(
        [f"Status: {result.status}.", result.message, *_isolation_warning(batch)]
    ).strip()
    return {
        "score": result.score,
        "execution_time": round(result.seconds),
        "output": summary,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "assignment": batch.assignment.name,
            "status": result.status,
            "flags": list(result.flags),
        },
    }


def _write_folder(batch, result, folder):
    """One submission's results.json and feedback.txt."""
    folder.mkdir(exist_ok=True)
    (folder / "results.json").write_text(
        json.dumps(gradescope_results(batch, result), indent=2, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    (folder / "feedback.txt").write_text(feedback_text(batch, result), encoding="utf-8")


def write(batch, out):
    """Writes the batch's files into `out` (created if needed); returns the
    path of grades.csv."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    check_names = [check.name for check in batch.checks]
    grades = out / GRADES_FILE
    with grades.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "submission",
                "status",
                "score",
                "max_score",
                *check_names,
                "flags",
                "message",
                "seconds",
            ]
        )
        for result in batch.results:
            writer.writerow(
                [
                    result.submission,
                    result.status,
                    _number(result.score),
                    _number(result.max_score),
                    *(_number(r.score) for r in result.checks),
                    " | ".join(result.flags),
                    result.message,
                    _number(result.seconds),
                ]
            )
    unwritten = {}  # submission -> why its folder could not be written
    for result in batch.results:
        try:
            _write_folder(batch, result, out / result.folder)
        except OSError as error:
            unwritten[result.submission] = f"{type(error).__name__}: {error}"
    summary = {
        "assignment": batch.assignment.name,
        "title": batch.assignment.title,
        "assignment_version": batch.assignment.version,
        "seed": batch.seed,
        "timeout_seconds": batch.timeout,
        "memory_mb": batch.memory_mb,
        "threads": batch.threads,
        "isolated": not batch.isolation.startswith(WEAKER_ISOLATION),
        "isolation": batch.isolation,
        "limits": batch.limits,
        "reference_seconds": batch.reference_seconds,
        "python": platform.python_version(),
        "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "checks": [
            {
                "name": c.name,
                "points": c.points,
                "description": c.description,
                "public": c.public,
            }
            for c in batch.checks
        ],
        "submissions": [
            {
                "submission": r.submission,
                "folder": r.folder,
                "status": r.status,
                "score": r.score,
                "max_score": r.max_score,
                "seconds": r.seconds,
                **(
                    {"report_error": unwritten[r.submission]}
                    if r.submission in unwritten
                    else {}
                ),
            }
            for r in batch.results
        ],
    }
    (out / BATCH_FILE).write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return grades
