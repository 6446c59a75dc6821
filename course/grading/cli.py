"""The grading commands of `course`: grade, check and assignments.

`course grade` runs every submission (`.ipynb` or `.py`; a folder stands for
the notebooks and modules in it) in its own sandboxed child process (see
`course.grading`) and writes DIR/grades.csv, DIR/grading.json and, per
submission, DIR/<name>/results.json (Gradescope's format) and
DIR/<name>/feedback.txt. It exits with 0 once the batch is graded, whatever
the submissions' statuses. Without `--seed` the check inputs come from a
fresh random seed, recorded in grading.json. `course check` grades one
notebook on the public checks only and prints the feedback; it exits with 0
when they all pass, else 1.
"""

import os
import pathlib
import sys
import time


def _submission_files(arguments):
    """The submission files named: files as given, folders expanded to the
    notebooks and modules inside them (checkpoints excepted), sorted."""
    files = []
    for argument in map(pathlib.Path, arguments):
        if argument.is_dir():
            files += sorted(
                path
                for path in argument.rglob("*")
                if path.suffix in (".ipynb", ".py")
                and path.is_file()
                and ".ipynb_checkpoints" not in path.parts
            )
        else:
            files.append(argument)
    return files


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def _print_progress(index, total, result):
    print(
        f"[{index + 1}/{total}] {result.submission}: {result.status} "
        f"{result.score:g}/{result.max_score:g} ({result.seconds:.1f} s)",
        flush=True,
    )


def _merge(args):
    from course.grading import merge

    given = [
        option
        for option, value, default in [
            ("--seed", args.seed, None),
            ("--timeout", args.timeout, args.default_timeout),
            ("--memory", args.memory, args.default_memory),
            ("--processes", args.processes, args.default_processes),
            ("--disk", args.disk, args.default_disk),
            ("--weaker-isolation", args.weaker_isolation, False),
            ("--jobs", args.jobs, None),
            ("--fresh-interpreters", args.fresh_interpreters, False),
        ]
        if value != default
    ]
    if given:
        print(
            f"course grade merge: {', '.join(given)} mean nothing when merging "
            "(the graded folders say how they were graded)",
            file=sys.stderr,
        )
        return 2
    try:
        count = merge.merge(args.submissions, args.out)
    except merge.MergeError as error:
        print(f"course grade merge: {error}", file=sys.stderr)
        return 2
    print(
        f"merged {count} submissions from {len(args.submissions)} folders -> {args.out}"
    )
    return 0


def _grade(args):
    import course.grading
    from course.grading import reports

    if args.assignment == "merge":
        return _merge(args)
    out = pathlib.Path(args.out)
    if out.exists() and not out.is_dir():
        print(
            f"course grade: --out {out} is a file, expected a folder", file=sys.stderr
        )
        return 2
    submissions = _submission_files(args.submissions)
    if not submissions:
        print("course grade: no submission (.ipynb or .py) found", file=sys.stderr)
        return 2
    from course.grading.sandbox import SandboxUnavailable

    started = time.monotonic()
    try:
        batch = course.grading.grade(
            args.assignment,
            submissions,
            seed=args.seed,
            timeout=args.timeout,
            memory_mb=args.memory,
            max_processes=args.processes,
            disk_mb=args.disk,
            sandbox=not args.weaker_isolation,
            jobs=args.jobs or (1 if args.weaker_isolation else _cores()),
            fork_server=not (args.fresh_interpreters or args.weaker_isolation),
            progress=_print_progress,
        )
    except SandboxUnavailable as error:
        print(
            f"course grade: {error}. Nothing was graded. To grade without the "
            "sandbox anyway (submissions can then read your files and reach the "
            "network), pass --weaker-isolation.",
            file=sys.stderr,
        )
        return 2
    except (ValueError, FileNotFoundError) as error:
        print(f"course grade: {error}", file=sys.stderr)
        return 2
    except course.grading.GradingError as error:
        print(f"course grade: {error}", file=sys.stderr)
        return 1
    grades = reports.write(batch, out)
    counts = {}
    for result in batch.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    print(
        f"graded {len(batch.results)} submissions of {batch.assignment.name} "
        f"(seed {batch.seed}): {summary}, {time.monotonic() - started:.1f} s wall "
        f"time -> {grades}"
    )
    return 0


def _notebook_assignment(path):
    """The assignment named in a notebook's metadata, or None."""
    import json

    try:
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        return metadata.get("course", {}).get("assignment")
    except (OSError, ValueError, AttributeError):
        return None


def _check(args):
    import course.grading
    from course.grading import assignments
    from course.grading import reports

    path = pathlib.Path(args.notebook)
    if not path.is_file():
        print(f"course check: no such file: {path}", file=sys.stderr)
        return 2
    name = args.assignment or _notebook_assignment(path)
    if not name:
        print(
            f"course check: {path} does not say which assignment it is; give "
            f"--assignment, one of: {', '.join(assignments.names())}",
            file=sys.stderr,
        )
        return 2
    try:
        batch = course.grading.grade(
            name,
            [path],
            seed=course.grading.PUBLIC_SEED,
            timeout=args.timeout,
            sandbox=False,  # a student's own code, on their own machine
            public_only=True,
        )
    except (ValueError, FileNotFoundError, course.grading.GradingError) as error:
        print(f"course check: {error}", file=sys.stderr)
        return 2
    result = batch.results[0]
    print(reports.feedback_text(batch, result), end="")
    hidden = len(batch.assignment.checks) - len(batch.checks)
    print(
        f"\n(public checks only; {hidden} more are run when the assignment is graded)"
    )
    return 0 if all(r.passed for r in result.checks) else 1


def _assignments(args):
    from course.grading import assignments
    from course.grading import release

    if args.action == "list":
        for name in assignments.names():
            assignment = assignments.get(name)
            print(
                f"{name:<12} {assignment.max_score:g} points  "
                f"notebooks/assignments/{assignment.notebook}  {assignment.title}"
            )
            for check in assignment.checks:
                public = "public" if check.public else "hidden"
                print(
                    f"    {check.name:<24} {check.points:g}  {public}  {check.description}"
                )
        return 0
    if args.action == "gradescope":
        return _gradescope(args)
    try:
        changed = release.release(args.solutions, args.out, check=args.check)
    except (FileNotFoundError, ValueError) as error:
        print(f"course assignments release: {error}", file=sys.stderr)
        return 2
    if args.check:
        if changed:
            print(
                "out of date (run `course assignments release`): "
                + ", ".join(map(str, changed)),
                file=sys.stderr,
            )
            return 1
        print("the student notebooks are up to date")
        return 0
    for path in changed:
        print(f"wrote {path}")
    if not changed:
        print("the student notebooks were already up to date")
    return 0


def _gradescope(args):
    from course.grading import gradescope

    try:
        names = gradescope.build(
            args.assignment,
            args.out,
            repository=pathlib.Path.cwd(),
            timeout=args.timeout,
            memory_mb=args.memory,
            hidden_visibility=args.hidden_visibility,
            max_processes=args.processes,
            disk_mb=args.disk,
            weaker_isolation=args.weaker_isolation,
        )
    except (ValueError, OSError) as error:
        print(f"course assignments gradescope: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.out} ({len(names)} files): upload it on Gradescope's "
        "Configure Autograder page, with the Ubuntu 24.04 base image"
    )
    return 0


def _similarity(args):
    from course.grading import similarity

    out = pathlib.Path(args.out)
    submissions = _submission_files(args.submissions)
    if len(submissions) < 2:
        print("course similarity: need at least two submissions", file=sys.stderr)
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
        comparison = similarity.compare(
            args.assignment,
            submissions,
            threshold=args.threshold,
            report=out / similarity.REPORT_FILE,
        )
    except (ValueError, KeyError, RuntimeError, OSError) as error:
        print(f"course similarity: {error}", file=sys.stderr)
        return 2
    similarity.write_pairs(comparison, out / similarity.PAIRS_FILE)
    for path, problem in comparison.skipped:
        print(f"not compared: {path}: {problem}", file=sys.stderr)
    for pair in comparison.pairs:
        print(f"{pair.similarity:6.1%}  {pair.first}  {pair.second}")
    print(
        f"{len(comparison.pairs)} pairs at or above {args.threshold:.0%} among "
        f"{len(submissions) - len(comparison.skipped)} submissions -> "
        f"{out / similarity.PAIRS_FILE}, {out / similarity.REPORT_FILE}"
    )
    return 0


def _gradebook(args):
    from course.grading import gradebook

    try:
        roster = gradebook.read_roster(args.roster, args.lms)
        graded = [gradebook.read_graded(folder) for folder in args.graded]
        book = gradebook.build(graded, roster, args.lms)
        gradebook.write(book, args.out)
    except (gradebook.GradebookError, OSError) as error:
        print(f"course gradebook: {error}", file=sys.stderr)
        return 2
    for assignment, key in book.unmatched_submissions:
        print(f"{assignment}: submission {key!r} has no roster row", file=sys.stderr)
    for assignment, key in book.students_without_submission:
        print(f"{assignment}: no submission from {key!r}", file=sys.stderr)
    students = len(book.rows) - (2 if args.lms == "canvas" else 1)
    print(f"wrote the {args.lms} gradebook of {students} students -> {args.out}")
    return 0


def _add_limits(parser):
    """The per-submission limits of `course grade` and of the Gradescope zip."""
    from course.grading import DEFAULT_MEMORY_MB
    from course.grading import DEFAULT_TIMEOUT
    from course.grading.limits import DEFAULT_DISK_MB
    from course.grading.limits import DEFAULT_MAX_PROCESSES

    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"wall-clock seconds per submission (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=DEFAULT_MEMORY_MB,
        metavar="MiB",
        help="memory of a submission's whole process tree "
        f"(default {DEFAULT_MEMORY_MB})",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=DEFAULT_MAX_PROCESSES,
        metavar="N",
        help=f"processes and threads per submission (default {DEFAULT_MAX_PROCESSES})",
    )
    parser.add_argument(
        "--disk",
        type=int,
        default=DEFAULT_DISK_MB,
        metavar="MiB",
        help=f"size of a submission's working folder (default {DEFAULT_DISK_MB})",
    )
    parser.add_argument(
        "--weaker-isolation",
        action="store_true",
        help="grade even where the bubblewrap sandbox cannot be had: submissions "
        "then run with the resource limits only, and every report says so",
    )


def add_commands(commands):
    """Adds grade, check and assignments to the `course` sub-parsers."""
    from course.grading import DEFAULT_MEMORY_MB
    from course.grading import DEFAULT_TIMEOUT
    from course.grading.limits import DEFAULT_DISK_MB
    from course.grading.limits import DEFAULT_MAX_PROCESSES

    grade = commands.add_parser(
        "grade",
        help="grade submissions in sandboxed child processes",
        description="Grade notebooks or modules of one assignment, each in its own "
        "sandboxed child process; writes OUT/grades.csv, OUT/grading.json and "
        "OUT/<name>/results.json + feedback.txt.",
    )
    grade.add_argument(
        "assignment",
        metavar="ASSIGNMENT",
        help="the assignment's name (course assignments list), or `merge` to "
        "combine graded folders (course grade merge OUT_DIR... --out DIR)",
    )
    grade.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help=".ipynb or .py files, or folders of them (for merge: graded folders)",
    )
    grade.add_argument("--out", required=True, help="the output folder")
    grade.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the check inputs (default: a fresh random one)",
    )
    _add_limits(grade)
    grade.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="submissions graded at the same time, each in its own sandbox "
        f"(default {_cores()}, this machine's cores; 1 with --weaker-isolation)",
    )
    grade.add_argument(
        "--fresh-interpreters",
        action="store_true",
        help="start a fresh Python interpreter for each submission instead of "
        "forking it from a fork server per job that imported NumPy and Keras "
        "once (the default with the sandbox: about 10 times faster on 2 cores)",
    )
    grade.set_defaults(
        handler=_grade,
        default_timeout=DEFAULT_TIMEOUT,
        default_memory=DEFAULT_MEMORY_MB,
        default_processes=DEFAULT_MAX_PROCESSES,
        default_disk=DEFAULT_DISK_MB,
    )

    check = commands.add_parser(
        "check",
        help="run the public checks on your assignment notebook",
        description="Grade one notebook on the public checks only and print the "
        "feedback (exit status 0 when they all pass).",
    )
    check.add_argument("notebook", metavar="NOTEBOOK")
    check.add_argument(
        "--assignment",
        default=None,
        help="the assignment (default: the one in the notebook's metadata)",
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"wall-clock seconds (default {DEFAULT_TIMEOUT:g})",
    )
    check.set_defaults(handler=_check)

    from course.grading import release

    assignments = commands.add_parser(
        "assignments",
        help="list the assignments; release student notebooks",
    )
    actions = assignments.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="the assignments, their checks and points")
    release_parser = actions.add_parser(
        "release",
        help="student notebooks from the solution notebooks",
        description="Replace every ### BEGIN SOLUTION ... ### END SOLUTION region "
        "of the solution notebooks by a stub and write the student notebooks.",
    )
    release_parser.add_argument(
        "--solutions",
        default=str(release.SOLUTIONS_DIR),
        help=f"solution notebooks (default {release.SOLUTIONS_DIR})",
    )
    release_parser.add_argument(
        "--out",
        default=str(release.STUDENT_DIR),
        help=f"student notebooks (default {release.STUDENT_DIR})",
    )
    release_parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a student notebook is out of date",
    )
    from course.grading import gradescope

    gradescope_parser = actions.add_parser(
        "gradescope",
        help="a Gradescope autograder zip for one assignment",
        description="Write autograder.zip (setup.sh, run_autograder, this package's "
        "source and the released notebook; never the solutions) for Gradescope. "
        "Run from the repository root.",
    )
    gradescope_parser.add_argument("assignment", metavar="ASSIGNMENT")
    gradescope_parser.add_argument("--out", required=True, help="the zip to write")
    _add_limits(gradescope_parser)
    gradescope_parser.add_argument(
        "--hidden-visibility",
        choices=gradescope.VISIBILITIES,
        default=gradescope.DEFAULT_HIDDEN_VISIBILITY,
        help="when students see the hidden checks "
        f"(default {gradescope.DEFAULT_HIDDEN_VISIBILITY})",
    )
    assignments.set_defaults(handler=_assignments)

    from course.grading import gradebook
    from course.grading import similarity

    similar = commands.add_parser(
        "similarity",
        help="pairwise similarity of the submissions' answers (copydetect)",
        description="Compare the answer code of every pair of submissions of one "
        "assignment with copydetect (winnowing, as MOSS), the released stub "
        "discounted; writes OUT/similarity.csv (pairs at or above the threshold) "
        "and OUT/similarity.html (the matching passages side by side).",
    )
    similar.add_argument("assignment", metavar="ASSIGNMENT")
    similar.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    similar.add_argument("--out", required=True, help="the output folder")
    similar.add_argument(
        "--threshold",
        type=float,
        default=similarity.DEFAULT_THRESHOLD,
        help="similarity in [0, 1] from which a pair is listed "
        f"(default {similarity.DEFAULT_THRESHOLD:g})",
    )
    similar.set_defaults(handler=_similarity)

    book = commands.add_parser(
        "gradebook",
        help="the CSV a Canvas or Moodle gradebook imports",
        description="Combine graded folders (one per assignment) into the CSV "
        "that the LMS's gradebook import takes, students from a roster CSV with a "
        "`submission` column and the LMS's identifier columns.",
    )
    book.add_argument(
        "graded", nargs="+", metavar="GRADED", help="output folders of course grade"
    )
    book.add_argument("--roster", required=True, help="the roster CSV")
    book.add_argument("--lms", required=True, choices=gradebook.LMS_NAMES)
    book.add_argument("--out", required=True, help="the gradebook CSV to write")
    book.set_defaults(handler=_gradebook)
