"""Pairwise similarity of the answers in a batch of submissions.

`course similarity` compares what the grader would run of each submission
(the definitions the assignment's answers need, found by
`course.grading.source`, so demonstration cells and plots do not count)
with copydetect, which implements the winnowing fingerprints of MOSS
(Schleimer, Wilkerson and Aiken, 2003): the code is tokenized with
identifiers and strings replaced by placeholders, so renamed variables and
reordered functions still match. The released student notebook's code is
boilerplate: passages every student was handed are never counted.

A similarity is the fraction of one submission's fingerprinted tokens that
also appear in the other; a pair is reported when either direction reaches
the threshold. This module only reads submissions, never runs them.
"""

import csv
import dataclasses
import hashlib
import pathlib
import re
import tempfile

from course.grading import release
from course.grading.source import read_submission

DEFAULT_THRESHOLD = 0.8
PAIRS_FILE = "similarity.csv"
REPORT_FILE = "similarity.html"
NOISE_TOKENS = 25  # shortest match counted (copydetect's noise threshold)
GUARANTEE_TOKENS = 30  # shortest match always found (winnowing window + noise)


@dataclasses.dataclass(frozen=True)
class Pair:
    """Two submissions whose answers overlap.

    Attributes:
        first, second: The submissions, as given.
        first_similarity: Fraction of `first`'s answer found in `second`.
        second_similarity: Fraction of `second`'s answer found in `first`.
        overlapping_tokens: Number of matching tokens.
    """

    first: str
    second: str
    first_similarity: float
    second_similarity: float
    overlapping_tokens: int

    @property
    def similarity(self):
        return max(self.first_similarity, self.second_similarity)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The outcome of `compare`: the pairs at or above the threshold, most
    similar first, and the submissions that could not be compared (a syntax
    error, an unreadable file) with the reason."""

    pairs: tuple
    skipped: tuple


def _require_copydetect():
    try:
        import copydetect
    except ImportError as error:
        raise RuntimeError(
            "course similarity needs the copydetect package: "
            "pip install 'copydetect>=0.5,<1'"
        ) from error
    return copydetect


def _file_name(index, submission):
    """A file name for the extracted answer: unique (the index), readable
    (the submission's name, reduced to safe characters)."""
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", pathlib.PurePath(submission).stem)[:40]
    digest = hashlib.sha256(submission.encode()).hexdigest()[:8]
    return f"{index:04d}_{stem or 'submission'}_{digest}.py"


def compare(assignment_name, submissions, threshold=DEFAULT_THRESHOLD, report=None):
    """Compares every pair of submissions of one assignment.

    Args:
        assignment_name: The assignment (`course assignments list`).
        submissions: Paths of `.ipynb` or `.py` files.
        threshold: Similarity in [0, 1] from which a pair is reported.
        report: Optional path of an HTML report that shows the matching
            passages side by side.

    Returns:
        A `Comparison`.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"the threshold must lie in [0, 1]; got {threshold:g}")
    copydetect = _require_copydetect()
    from course.grading import assignments  # NumPy, only when comparing

    assignment = assignments.get(assignment_name)
    released = release.STUDENT_DIR / assignment.notebook
    stub = read_submission(released, assignment.flags, assignment.answers)
    if stub.problem:
        raise ValueError(
            f"the released notebook {released} is needed as boilerplate "
            f"(run from the repository root): {stub.problem}"
        )
    with tempfile.TemporaryDirectory(prefix="course-similarity-") as scratch:
        scratch = pathlib.Path(scratch)
        boilerplate = scratch / "released_stub.py"
        boilerplate.write_text(stub.code, encoding="utf-8")
        detector = copydetect.CopyDetector(
            extensions=["py"],
            noise_t=NOISE_TOKENS,
            guarantee_t=GUARANTEE_TOKENS,
            display_t=threshold,
            autoopen=False,
            silent=True,
            out_file=str(report) if report else str(scratch / REPORT_FILE),
        )
        detector.add_file(str(boilerplate), type="boilerplate")
        names, skipped = {}, []
        for index, path in enumerate(map(str, submissions)):
            answer = read_submission(path, assignment.flags, assignment.answers)
            if answer.problem:
                skipped.append((path, answer.problem))
                continue
            extracted = scratch / _file_name(index, path)
            extracted.write_text(answer.code, encoding="utf-8")
            names[str(extracted)] = path
            detector.add_file(str(extracted))
        pairs = ()
        if len(names) >= 2:
            detector.run()
            pairs = _pairs(detector, names, threshold)
            if report:
                _write_report(detector, names)
    return Comparison(pairs, tuple(skipped))


def _pairs(detector, names, threshold):
    files = detector.test_files
    similarity = detector.similarity_matrix  # (files, files, 2); -1 on the diagonal
    found = []
    for i in range(len(files)):
        for j in range(i + 1, len(files)):
            first, second = similarity[i, j]
            if max(first, second) >= threshold:
                found.append(
                    Pair(
                        names[files[i]],
                        names[files[j]],
                        float(first),
                        float(second),
                        int(detector.token_overlap_matrix[i, j]),
                    )
                )
    return tuple(sorted(found, key=lambda pair: -pair.similarity))


def _write_report(detector, names):
    """copydetect's HTML report, with the submissions' own names in place of
    the scratch files' (the report escapes the code it shows)."""
    import matplotlib

    matplotlib.use("Agg")  # copydetect draws the similarity matrix
    html = detector.generate_html_report(output_mode="return")
    for scratch_file, submission in names.items():
        html = html.replace(scratch_file, _escape(submission))
    pathlib.Path(detector.conf.out_file).write_text(html, encoding="utf-8")


def _escape(text):
    import html

    return html.escape(text, quote=True)


def write_pairs(comparison, path):
    """Writes the pairs as CSV: first, second, both similarities, tokens."""
    with pathlib.Path(path).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "first",
                "second",
                "similarity",
                "first_in_second",
                "second_in_first",
                "overlapping_tokens",
            ]
        )
        for pair in comparison.pairs:
            writer.writerow(
                [
                    pair.first,
                    pair.second,
                    f"{pair.similarity:.3f}",
                    f"{pair.first_similarity:.3f}",
                    f"{pair.second_similarity:.3f}",
                    pair.overlapping_tokens,
                ]
            )
