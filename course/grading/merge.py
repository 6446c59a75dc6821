"""One gradebook from many `course grade` folders.

A cluster grades a class as a job array: each task runs `course grade` on
one submission (or a slice) into its own folder, which is self-contained
(grades.csv with its rows, grading.json with the seed, the limits, the
sandbox and the assignment's version, and the per-submission reports).
`course grade merge OUT_DIR... --out DIR` combines them into the folder one
batch would have written: the rows in the order the folders are given, the
report folders beside them, and grading.json with every submission. It
refuses folders graded with different seeds, assignments or assignment
versions (the checks, their points and the code that draws the inputs), or
with different check columns, since their scores would not be comparable.
"""

import csv
import json
import pathlib
import shutil

from course.grading.reports import BATCH_FILE
from course.grading.reports import GRADES_FILE

MUST_AGREE = (
    "assignment",
    "assignment_version",
    "seed",
    "timeout_seconds",
    "memory_mb",
    "isolated",
)


class MergeError(ValueError):
    """Folders that cannot be merged; the message says which and why."""


def _read(folder):
    folder = pathlib.Path(folder)
    try:
        summary = json.loads((folder / BATCH_FILE).read_text(encoding="utf-8"))
        with (folder / GRADES_FILE).open(newline="", encoding="utf-8") as file:
            header, *rows = list(csv.reader(file))
        missing = [key for key in (*MUST_AGREE, "submissions") if key not in summary]
        if missing:
            raise MergeError(f"{folder / BATCH_FILE} lacks {', '.join(missing)}")
    except FileNotFoundError as error:
        raise MergeError(
            f"{folder} is not a `course grade` output folder (no {error.filename})"
        ) from error
    except (OSError, ValueError) as error:
        if isinstance(error, MergeError):
            raise
        raise MergeError(f"cannot read the graded folder {folder}: {error}") from error
    return folder, summary, header, rows


def merge(folders, out):
    """Merges graded `folders` into `out` (created; must not hold a
    gradebook yet); returns the number of submissions."""
    if len(folders) < 1:
        raise MergeError("give at least one graded folder")
    graded = [_read(folder) for folder in folders]
    first_folder, first, header, _ = graded[0]
    for folder, summary, other_header, _ in graded[1:]:
        for key in MUST_AGREE:
            if summary[key] != first[key]:
                raise MergeError(
                    f"{folder} was graded with {key} {summary[key]!r}, {first_folder} "
                    f"with {first[key]!r}: grade every part with the same "
                    f"assignment, version and --seed"
                )
        if other_header != header:
            raise MergeError(f"{folder} has other check columns than {first_folder}")
    out = pathlib.Path(out)
    if (out / GRADES_FILE).exists() or (out / BATCH_FILE).exists():
        raise MergeError(f"{out} already holds a gradebook; choose an empty folder")
    out.mkdir(parents=True, exist_ok=True)
    rows, submissions, taken = [], [], set()
    for folder, summary, _, folder_rows in graded:
        if len(folder_rows) != len(summary["submissions"]):
            raise MergeError(f"{folder}: grades.csv and grading.json disagree")
        for row, entry in zip(folder_rows, summary["submissions"], strict=True):
            name, number = entry["folder"], 2
            while name in taken:
                name, number = f"{entry['folder']}_{number}", number + 1
            taken.add(name)
            source = folder / entry["folder"]
            if source.is_dir():
                shutil.copytree(source, out / name)
            rows.append(row)
            submissions.append(dict(entry, folder=name))
    with (out / GRADES_FILE).open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([header, *rows])
    merged = dict(first, submissions=submissions)
    merged["merged_from"] = [str(folder) for folder, *_ in graded]
    (out / BATCH_FILE).write_text(
        json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return len(rows)
