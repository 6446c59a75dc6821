"""Gradebooks an LMS imports, from graded batches and a class roster.

`course gradebook` reads the `grading.json` of one or more `course grade`
output folders (one assignment each) and a roster CSV that says which
student each submission belongs to, and writes the CSV that the LMS's
gradebook import takes:

- Canvas ("Import" in the Gradebook): the columns of Canvas's own gradebook
  export, `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, then
  one column of points per assignment, and a second row `Points Possible`.
  Canvas matches students by `ID` (or the SIS columns); a column whose
  title is not an existing assignment becomes a new one.
- Moodle ("Import" > "CSV file" in the grader report): one identifier
  column (`Email address`, `ID number` or `Username`: the one the roster
  has, chosen as "Map from" at import) and one column of points per
  assignment, mapped to grade items at import.

The roster is a CSV with a `submission` column, the name students hand in
under (a submission `alice.ipynb` or `alice.py` matches `alice`), and the
LMS's identifier columns. Nothing is dropped silently: submissions with no
roster row and roster rows with no submission are returned (and printed by
the command); a student without a submission gets an empty cell, which
both LMSs import as "no grade" rather than zero.
"""

import csv
import dataclasses
import json
import pathlib

from course.grading.reports import BATCH_FILE

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDENTIFIERS = ("Email address", "ID number", "Username")
LMS_NAMES = ("canvas", "moodle")
MAX_ROSTER_BYTES = 16 * 2**20


class GradebookError(ValueError):
    """A roster or graded folder that cannot make a gradebook; the message
    says what is wrong and what is expected."""


@dataclasses.dataclass(frozen=True)
class GradedAssignment:
    """The scores of one graded batch.

    Attributes:
        name: The assignment's name.
        title: Its one-line title (the LMS column).
        max_score: Points possible.
        scores: Dict submission key -> points.
    """

    name: str
    title: str
    max_score: float
    scores: dict


@dataclasses.dataclass(frozen=True)
class Gradebook:
    """What `build` made: the CSV rows, and what did not match."""

    rows: list
    unmatched_submissions: tuple  # (assignment, submission key)
    students_without_submission: tuple  # (assignment, roster key)


def submission_key(submission):
    """The roster key of a submission path: its file name without extension."""
    return pathlib.PurePath(submission).stem


def read_graded(folder):
    """The `GradedAssignment` of one `course grade` output folder."""
    path = pathlib.Path(folder) / BATCH_FILE
    try:
        batch = json.loads(path.read_text(encoding="utf-8"))
        checks = batch["checks"]
        max_score = float(sum(float(check["points"]) for check in checks))
        scores = {}
        for entry in batch["submissions"]:
            key = submission_key(str(entry["submission"]))
            if key in scores:
                raise GradebookError(
                    f"{path}: two submissions are both called {key!r} once their "
                    "extension is dropped; a roster cannot tell them apart"
                )
            scores[key] = float(entry["score"])
        return GradedAssignment(
            str(batch["assignment"]), str(batch["title"]), max_score, scores
        )
    except FileNotFoundError as error:
        raise GradebookError(
            f"{folder} holds no {BATCH_FILE}: expected an output folder of "
            "`course grade`"
        ) from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        if isinstance(error, GradebookError):
            raise
        raise GradebookError(
            f"{path} is not a grading summary written by `course grade`: {error}"
        ) from error


def read_roster(path, lms):
    """The roster rows (dicts), checked for the columns `lms` needs."""
    path = pathlib.Path(path)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise GradebookError(
                f"the roster {path} is larger than {MAX_ROSTER_BYTES // 2**20} MiB"
            )
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            rows = list(reader)
            columns = tuple(reader.fieldnames or ())
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise GradebookError(f"cannot read the roster {path}: {error}") from error
    if "submission" not in columns:
        raise GradebookError(
            f"the roster {path} has no `submission` column (the name each student "
            f"hands in under); its columns: {', '.join(columns) or 'none'}"
        )
    required = _identifier_columns(lms, columns, path)
    if not rows:
        raise GradebookError(f"the roster {path} lists no students")
    seen = set()
    for number, row in enumerate(rows, start=2):
        key = (row.get("submission") or "").strip()
        if not key:
            raise GradebookError(f"{path}, line {number}: the submission is empty")
        if key in seen:
            raise GradebookError(
                f"{path}, line {number}: submission {key!r} appears twice"
            )
        seen.add(key)
        if not any((row.get(column) or "").strip() for column in required):
            raise GradebookError(
                f"{path}, line {number}: no student identifier (expected "
                f"{' or '.join(required)})"
            )
    return rows


def _identifier_columns(lms, columns, path):
    if lms == "canvas":
        missing = [c for c in CANVAS_COLUMNS if c not in columns]
        if missing:
            raise GradebookError(
                f"a Canvas roster needs the columns of Canvas's gradebook export "
                f"({', '.join(CANVAS_COLUMNS)}); {path} lacks {', '.join(missing)}"
            )
        return ("ID", "SIS User ID", "SIS Login ID")
    if lms == "moodle":
        present = [c for c in MOODLE_IDENTIFIERS if c in columns]
        if len(present) != 1:
            raise GradebookError(
                f"a Moodle roster needs exactly one identifier column, one of "
                f"{', '.join(MOODLE_IDENTIFIERS)}; {path} has "
                f"{', '.join(present) or 'none'}"
            )
        return tuple(present)
    raise GradebookError(f"unknown LMS {lms!r}; expected one of {', '.join(LMS_NAMES)}")


def build(graded, roster, lms):
    """The gradebook of `graded` (a list of `GradedAssignment`) for the
    students of `roster` (rows from `read_roster`), in `lms`'s format."""
    names = [assignment.name for assignment in graded]
    if len(set(names)) != len(names):
        raise GradebookError(
            "two graded folders are of the same assignment: "
            f"{', '.join(sorted({n for n in names if names.count(n) > 1}))}; "
            "merge them into one batch first"
        )
    columns = [f"{a.title} ({a.name})" for a in graded]
    if lms == "canvas":
        identity = list(CANVAS_COLUMNS)
        rows = [identity + columns]
        rows.append(["Points Possible", *[""] * (len(identity) - 1)])
        rows[-1] += [f"{a.max_score:g}" for a in graded]
    else:
        identity = [c for c in MOODLE_IDENTIFIERS if c in roster[0]]
        rows = [identity + columns]
    keys = [row["submission"].strip() for row in roster]
    for row, key in zip(roster, keys, strict=True):
        scores = [f"{a.scores[key]:g}" if key in a.scores else "" for a in graded]
        rows.append([row[column] for column in identity] + scores)
    enrolled = set(keys)
    unmatched = tuple(
        (a.name, key) for a in graded for key in sorted(a.scores) if key not in enrolled
    )
    absent = tuple((a.name, key) for a in graded for key in keys if key not in a.scores)
    return Gradebook(rows, unmatched, absent)


def write(gradebook, path):
    with pathlib.Path(path).open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(gradebook.rows)
