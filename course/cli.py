"""The `course` command.

    course env [--precision P]       the environment report of course.device.setup
    course list                      the syllabus: section -> notebook -> layers
    course run NOTEBOOK... [--fast] [-p NAME=VALUE] [--out DIR]
    course run --all [--fast]        every notebooks/NN_*.ipynb, in order
    course compare [--units N ...]   our cells against Keras's (course.compare)
    course book [--fast] [--out DIR] the course as a static site (course.book)
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
Each `-p NAME=VALUE` is checked against the notebook's parameters cell before
it runs (course.parameters): an unknown name or a value whose type differs
from the default's is such a request. A notebook is a path or a name under
notebooks/ with or without `.ipynb` (`course run 07_lstm`).

The grading commands (grade, check, assignments) are defined in
`course.grading.cli`.
"""

import argparse
import difflib
import os
import pathlib
import sys

import course.parameters

NOTEBOOK_PATTERN = "notebooks/[0-9][0-9]_*.ipynb"


def _parameter(text):
    """Parses `NAME=VALUE`; VALUE is a Python literal or else a string."""
    name, separator, value = text.partition("=")
    if not separator or not name.isidentifier():
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE with a Python identifier as NAME; got {text!r}"
        )
    return name, course.parameters.parse_value(value)


def _find_notebook(name):
    """The notebook `name` means (a path, or a stem under notebooks/), or None."""
    path = pathlib.Path(name)
    for candidate in (path, path.with_name(path.name + ".ipynb")):
        for place in (candidate, pathlib.Path("notebooks") / candidate):
            if place.is_file():
                return place
    return None


def _suggestion(name):
    """' Did you mean notebooks/NN_x.ipynb?' for a mistyped notebook, or ''."""
    known = {p.stem: p for p in pathlib.Path().glob(NOTEBOOK_PATTERN)}
    close = difflib.get_close_matches(pathlib.Path(name).stem, known, n=1, cutoff=0.5)
    return f" (did you mean {known[close[0]]}?)" if close else ""


def _env(args):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from course import execution

    try:
        with execution.native_chatter_dropped():
            import course.device

            report = course.device.setup(precision=args.precision)
        print(report)
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

    return course.compare.run(args)


def _book(args):
    import course.book

    return course.book.run(args)


def _run(args):
    if args.all == bool(args.notebooks):
        args.usage(sys.stderr)
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
        found = {n: _find_notebook(n) for n in args.notebooks}
        missing = [n + _suggestion(n) for n, path in found.items() if path is None]
        if missing:
            print(
                f"course run: no such notebook: {', '.join(missing)}", file=sys.stderr
            )
            return 2
        notebooks = list(found.values())
    requested = dict(args.parameters)
    if args.fast:
        if "FAST" in requested and requested["FAST"].value is not True:
            print("course run: --fast contradicts -p FAST=...", file=sys.stderr)
            return 2
        requested["FAST"] = course.parameters.parse_value("True")
    try:
        parameters = {n: course.parameters.validate(n, requested) for n in notebooks}
    except course.parameters.ParameterError as error:
        print(f"course run: {error}", file=sys.stderr)
        return 2
    from course import execution

    problem = execution.kernel_problem()
    if problem:
        print(f"course run: {problem}", file=sys.stderr)
        return 2
    out_root = pathlib.Path(args.out)
    failed = [
        n
        for n in notebooks
        if not execution.execute(n, out_root, parameters[n], args.timeout)
    ]
    if len(notebooks) > 1:
        print(f"{len(notebooks) - len(failed)} of {len(notebooks)} notebooks ran.")
    if failed:
        print(f"failed: {', '.join(map(str, failed))}", file=sys.stderr)
        return 1
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
    run.set_defaults(handler=_run, usage=run.print_usage)

    import course.compare

    compare = commands.add_parser(
        "compare",
        help="check our cells against Keras's built-in layers",
        description=course.compare.DESCRIPTION,
    )
    course.compare.add_arguments(compare)
    compare.set_defaults(handler=_compare)

    import course.book

    book = commands.add_parser(
        "book",
        help="build the course as a static HTML site",
        description=course.book.DESCRIPTION,
    )
    course.book.add_arguments(book)
    book.set_defaults(handler=_book)

    import course.grading.cli

    course.grading.cli.add_commands(commands)
    return parser


def main(argv=None):
    """Runs the `course` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
