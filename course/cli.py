"""The `course` command.

    course env [--precision P]       the environment report of course.device.setup
    course list                      the syllabus: section -> notebook -> layers
    course run NOTEBOOK... [--fast] [-p NAME=VALUE] [--out DIR]
    course run --all [--fast]        every notebooks/NN_*.ipynb, in order
    course compare [ARGS...]         our cells against Keras's (course.compare)

`course run` executes notebooks headless with papermill in a Jupyter kernel
running this same Python, from the notebook's own folder. Parameters are
injected after the cell tagged `parameters`; `--fast` is `-p FAST=True`. The
executed notebook goes to `OUT/<name>/<name>.ipynb` and the figures that
`course.plots.save` writes to `OUT/<name>/figures/` (through the
`COURSE_FIGURES_DIR` environment variable). A failing cell is printed with
its error and the command exits with status 1 (2 for a request it cannot
run: no such notebook, no `python3` kernel for this Python, bad arguments).
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
    if command not in {"python", f"python{major}", f"python{major}.{minor}", sys.executable}:
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
        with _environment(**{FIGURES_ENV: str(figures)}):
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
            print(f"course run: no such notebook: {', '.join(missing)}", file=sys.stderr)
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


def build_parser():
    """The argument parser of the `course` command."""
    parser = argparse.ArgumentParser(
        prog="course",
        description="Tools for the Keras RNN course: environment, syllabus, "
        "notebook runs, layer comparison.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    env = commands.add_parser("env", help="report the environment (course.device.setup)")
    env.add_argument(
        "--precision", default="auto",
        help="auto, float32, mixed_float16 or mixed_bfloat16 (default: auto)",
    )
    env.set_defaults(handler=_env)

    listing = commands.add_parser("list", help="show the syllabus")
    listing.set_defaults(handler=_list)

    run = commands.add_parser(
        "run", help="execute notebooks headless (papermill)",
        description="Execute notebooks headless; the executed copies and their "
        "figures go to OUT/<notebook name>/.",
    )
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK")
    run.add_argument("--all", action="store_true",
                     help=f"run every {NOTEBOOK_PATTERN}, in order")
    run.add_argument("--fast", action="store_true", help="same as -p FAST=True")
    run.add_argument(
        "-p", "--parameter", dest="parameters", action="append", default=[],
        type=_parameter, metavar="NAME=VALUE",
        help="set a parameter (VALUE is a Python literal, else a string); repeatable",
    )
    run.add_argument("--out", default="runs", help="output folder (default: runs)")
    run.add_argument("--timeout", type=float, default=None,
                     help="seconds allowed per cell (default: no limit)")
    run.set_defaults(handler=_run)

    compare = commands.add_parser(
        "compare", add_help=False,
        help="check our cells against Keras's (course compare --help for options)",
    )
    compare.set_defaults(handler=_compare)
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
