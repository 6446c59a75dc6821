"""The `course` command.

    course env [--precision P]       the environment report of course.device.setup
    course list                      the syllabus: section -> notebook -> layers
    course run NOTEBOOK... [--fast] [-p NAME=VALUE] [--out DIR]
    course run --all [--fast]        every notebooks/NN_*.ipynb, in order
    course compare [ARGS...]         our cells against Keras's (course.compare)
    course grade ASSIGNMENT SUBMISSION... --out DIR [--seed S] [--timeout SECONDS]
    course check NOTEBOOK            a student's own notebook, public checks only
    course assignments list          the assignments, their checks and points
    course assignments release       student notebooks from the solution notebooks

`course run` executes notebooks headless with papermill in a Jupyter kernel
running this same Python, from the notebook's own folder. Parameters are
injected after the cell tagged `parameters`; `--fast` is `-p FAST=True`. The
executed notebook goes to `OUT/<name>/<name>.ipynb` and the figures that
`course.plots.save` writes to `OUT/<name>/figures/` (through the
`COURSE_FIGURES_DIR` environment variable). A failing cell is printed with
its error and the command exits with status 1 (2 for a request it cannot
run: no such notebook, no `python3` kernel for this Python, bad arguments).

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

import argparse
import ast
import contextlib
import importlib.util
import os
import pathlib
import re
import sys
import time

NOTEBOOK_PATTERN = "notebooks/[0-9][0-9]_*.ipynb"
KERNEL_NAME = "python3"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def _parameter(text):
    """Parses `NAME=VALUE`; VALUE is a Python literal or else a string."""
    name, separator, value = text.partition("=")
    if not separator or not name.isidentifier():
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE with a Python identifier as NAME; got {text!r}"
        )
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def _env(args):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import course.device

    try:
        print(course.device.setup(precision=args.precision))
    except ValueError as error:
        print(f"course env: {error}", file=sys.stderr)
        return 2
    return 0


def _list(args):
    import course.syllabus

    print(course.syllabus.format_table())
    return 0


def _compare(args):
    import course.compare

    return course.compare.main(args.arguments)


def _kernel_problem():
    """Why the `python3` kernel would not run this interpreter, or None."""
    if importlib.util.find_spec("ipykernel") is None:
        return (
            f"ipykernel is not installed for {sys.executable}, so no Jupyter "
            f"kernel can run this environment: {sys.executable} -m pip install ipykernel"
        )
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.kernelspec import NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return f"No '{KERNEL_NAME}' Jupyter kernel is installed: {sys.executable} -m ipykernel install --sys-prefix"
    # jupyter_client itself replaces these names with sys.executable.
    major, minor = sys.version_info[:2]
    command = spec.argv[0]
    if command not in {
        "python",
        f"python{major}",
        f"python{major}.{minor}",
        sys.executable,
    }:
        return (
            f"The '{KERNEL_NAME}' Jupyter kernel ({spec.resource_dir}) runs {command}, "
            f"not this environment's {sys.executable}; remove or fix that kernel "
            f"spec (`jupyter kernelspec list` shows them)."
        )
    return None


@contextlib.contextmanager
def _environment(**values):
    """Sets environment variables (inherited by the kernel) for a while."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _report_failure(notebook, output, error):
    print(f"FAILED: {notebook}", file=sys.stderr)
    if hasattr(error, "cell_index"):  # a PapermillExecutionError
        print(
            f"--- cell {error.cell_index} (execution count {error.exec_count}) ---\n"
            f"{error.source}\n--- error ---",
            file=sys.stderr,
        )
        # IPython's traceback ends with the "ename: evalue" line.
        traceback = _ANSI.sub("", "\n".join(error.traceback))
        print(traceback or f"{error.ename}: {error.evalue}", file=sys.stderr)
    else:  # the kernel died or a cell timed out
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
    print(f"The executed notebook, with the error, is {output}", file=sys.stderr)


def _execute(notebook, out_root, parameters, timeout):
    """Runs one notebook; returns whether it succeeded."""
    import nbclient.exceptions
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from course.plots import FIGURES_ENV

    folder = (out_root / notebook.stem).resolve()
    figures = folder / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    output = folder / notebook.name
    print(f"running {notebook} ...", flush=True)
    started = time.monotonic()
    try:
        # The kernel draws inline as in Jupyter, whatever MPLBACKEND this
        # shell has (CI sets Agg), so executed notebooks keep their figures.
        with _environment(**{FIGURES_ENV: str(figures), "MPLBACKEND": INLINE_BACKEND}):
            papermill.execute_notebook(
                str(notebook.resolve()),
                str(output),
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                language="python",
                cwd=str(notebook.resolve().parent),
                progress_bar=False,
                execution_timeout=timeout,
            )
    except (
        PapermillExecutionError,
        nbclient.exceptions.DeadKernelError,
        nbclient.exceptions.CellTimeoutError,
    ) as error:
        _report_failure(notebook, output, error)
        return False
    n_figures = len(list(figures.glob("*.png")))
    print(
        f"  ok in {time.monotonic() - started:.1f} s -> {output} "
        f"({n_figures} figure{'s' * (n_figures != 1)} in {figures})",
        flush=True,
    )
    return True


def _run(args):
    if args.all == bool(args.notebooks):
        print("course run: give notebooks or --all (not both).", file=sys.stderr)
        return 2
    if args.all:
        notebooks = sorted(pathlib.Path().glob(NOTEBOOK_PATTERN))
        if not notebooks:
            print(
                f"course run --all: no notebook matches {NOTEBOOK_PATTERN} in "
                f"{pathlib.Path.cwd()}; run it from the repository root (or name "
                f"notebooks explicitly).",
                file=sys.stderr,
            )
            return 2
    else:
        notebooks = [pathlib.Path(n) for n in args.notebooks]
        missing = [str(n) for n in notebooks if not n.is_file()]
        if missing:
            print(
                f"course run: no such notebook: {', '.join(missing)}", file=sys.stderr
            )
            return 2
    parameters = dict(args.parameters)
    if args.fast:
        if parameters.get("FAST", True) is not True:
            print("course run: --fast contradicts -p FAST=...", file=sys.stderr)
            return 2
        parameters["FAST"] = True
    problem = _kernel_problem()
    if problem:
        print(f"course run: {problem}", file=sys.stderr)
        return 2
    out_root = pathlib.Path(args.out)
    failed = [
        n for n in notebooks if not _execute(n, out_root, parameters, args.timeout)
    ]
    if len(notebooks) > 1:
        print(f"{len(notebooks) - len(failed)} of {len(notebooks)} notebooks ran.")
    if failed:
        print(f"failed: {', '.join(map(str, failed))}", file=sys.stderr)
        return 1
    return 0


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


def _print_progress(index, total, result):
    print(
        f"[{index + 1}/{total}] {result.submission}: {result.status} "
        f"{result.score:g}/{result.max_score:g} ({result.seconds:.1f} s)",
        flush=True,
    )


def _sandbox_warning(sandbox):
    if not sandbox.get("landlock"):
        print(
            "warning: this kernel has no Landlock, so submissions could write files "
            "wherever your user can; grade as a separate user or in a container.",
            file=sys.stderr,
        )


def _grade(args):
    import course.grading
    from course.grading import reports

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
    try:
        batch = course.grading.grade(
            args.assignment,
            submissions,
            seed=args.seed,
            timeout=args.timeout,
            memory_mb=args.memory,
            progress=_print_progress,
        )
    except (ValueError, FileNotFoundError) as error:
        print(f"course grade: {error}", file=sys.stderr)
        return 2
    except course.grading.GradingError as error:
        print(f"course grade: {error}", file=sys.stderr)
        return 1
    _sandbox_warning(batch.sandbox)
    grades = reports.write(batch, out)
    counts = {}
    for result in batch.results:
        counts[result.status] = counts.get(result.status, 0) + 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    print(
        f"graded {len(batch.results)} submissions of {batch.assignment.name} "
        f"(seed {batch.seed}): {summary} -> {grades}"
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
            public_only=True,
        )
    except (ValueError, FileNotFoundError, course.grading.GradingError) as error:
        print(f"course check: {error}", file=sys.stderr)
        return 2
    _sandbox_warning(batch.sandbox)
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


def build_parser():
    """The argument parser of the `course` command."""
    parser = argparse.ArgumentParser(
        prog="course",
        description="Tools for the Keras RNN course: environment, syllabus, "
        "notebook runs, layer comparison, assignments and grading.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    env = commands.add_parser(
        "env", help="report the environment (course.device.setup)"
    )
    env.add_argument(
        "--precision",
        default="auto",
        help="auto, float32, mixed_float16 or mixed_bfloat16 (default: auto)",
    )
    env.set_defaults(handler=_env)

    listing = commands.add_parser("list", help="show the syllabus")
    listing.set_defaults(handler=_list)

    run = commands.add_parser(
        "run",
        help="execute notebooks headless (papermill)",
        description="Execute notebooks headless; the executed copies and their "
        "figures go to OUT/<notebook name>/.",
    )
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK")
    run.add_argument(
        "--all", action="store_true", help=f"run every {NOTEBOOK_PATTERN}, in order"
    )
    run.add_argument("--fast", action="store_true", help="same as -p FAST=True")
    run.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        default=[],
        type=_parameter,
        metavar="NAME=VALUE",
        help="set a parameter (VALUE is a Python literal, else a string); repeatable",
    )
    run.add_argument("--out", default="runs", help="output folder (default: runs)")
    run.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds allowed per cell (default: no limit)",
    )
    run.set_defaults(handler=_run)

    compare = commands.add_parser(
        "compare",
        add_help=False,
        help="check our cells against Keras's (course compare --help for options)",
    )
    compare.set_defaults(handler=_compare)

    from course.grading import DEFAULT_MEMORY_MB
    from course.grading import DEFAULT_TIMEOUT

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
        help="the assignment's name (course assignments list)",
    )
    grade.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION",
        help=".ipynb or .py files, or folders of them",
    )
    grade.add_argument("--out", required=True, help="the output folder")
    grade.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the check inputs (default: a fresh random one)",
    )
    grade.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"wall-clock seconds per submission (default {DEFAULT_TIMEOUT:g})",
    )
    grade.add_argument(
        "--memory",
        type=int,
        default=DEFAULT_MEMORY_MB,
        metavar="MiB",
        help=f"memory limit per submission (default {DEFAULT_MEMORY_MB})",
    )
    grade.set_defaults(handler=_grade)

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
    assignments.set_defaults(handler=_assignments)
    return parser


def main(argv=None):
    """Runs the `course` command; returns the exit status."""
    parser = build_parser()
    # `course compare` hands its arguments, options included, to course.compare.
    args, extra = parser.parse_known_args(argv)
    if args.command == "compare":
        args.arguments = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
