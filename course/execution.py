"""Executes notebooks headless: the engine behind `course run` (and the
tests and the book builder, which call it too).

A notebook runs with papermill in a Jupyter kernel of this same Python, from
the notebook's own folder. Parameters are injected after the cell tagged
`parameters`. The executed notebook goes to `OUT/<name>/<name>.ipynb` and the
figures that `course.plots.save` writes to `OUT/<name>/figures/` (through the
`COURSE_FIGURES_DIR` environment variable); checkpoints and histories go
to `OUT/<name>/work/` (`COURSE_RUN_DIR`, read by
`course.training.work_folder`). A failing cell is printed with
its error. The kernel's own warnings are silenced, and TensorFlow's C++
start-up chatter (INFO and WARNING lines, the harmless ERROR lines of a
CPU-only machine) is cut from the saved notebook; other errors still show.
"""

import contextlib
import importlib.util
import os
import re
import sys
import tempfile
import time

KERNEL_NAME = "python3"
#: Tells the notebook the folder of its run (`OUT/<name>/`), for
#: `course.training.work_folder`.
RUN_DIR_ENV = "COURSE_RUN_DIR"
# The kernel's own warnings ("running over TCP without encryption", always
# true of a local kernel) are not for students; its errors still show.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# TensorFlow's C++ runtime logs to the kernel's stderr, which the notebook
# keeps. Asked for errors only (TF_CPP_MIN_LOG_LEVEL, unless the caller sets
# another level), it still writes its INFO lines from before its logging
# starts (oneDNN, no CUDA driver, CPU instructions); those, any WARNING, and
# two ERROR lines that are start-up chatter of a CPU-only machine are cut from
# the saved outputs. Any other error still shows.
NATIVE_LOG_LEVEL = "2"
HARMLESS_NATIVE_LOG = re.compile(
    r"[IW]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] .*"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are "
    r"written to STDERR"
    r"|To enable the following instructions: .* rebuild TensorFlow with the "
    r"appropriate compiler flags\."
    r"|E\d{4} [\d:.]+ +\d+ cuda_platform\.cc:\d+\] failed call to cuInit: .*"
    r"|E\d{4} [\d:.]+ +\d+ util\.cc:\d+\] oneDNN supports DT_INT32 only on "
    r"platforms with AVX-512\..*"
)


def kernel_problem():
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
def environment(**values):
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


def without_native_chatter(cells):
    """Drops the `HARMLESS_NATIVE_LOG` lines from the cells' stderr outputs
    (and outputs left empty); returns whether anything was dropped."""
    dropped = False
    for cell in cells:
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = output["text"].splitlines(keepends=True)
                wanted = [
                    line
                    for line in lines
                    if not HARMLESS_NATIVE_LOG.fullmatch(line.rstrip("\n"))
                ]
                dropped |= len(wanted) != len(lines)
                if not wanted:
                    continue
                output["text"] = "".join(wanted)
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    return dropped


def _clean_saved_outputs(path):
    import nbformat

    if not path.exists():
        return
    notebook = nbformat.read(path, as_version=4)
    if without_native_chatter(notebook.cells):
        nbformat.write(notebook, path)


KERNEL_LOG = "kernel.log"


def _quiet_kernel_manager(log_path):
    """A kernel manager whose kernel writes its own stdout and stderr (not
    the cells': those go to the notebook) to `log_path`. ipykernel copies
    everything written to its file descriptors 1 and 2, such as
    TensorFlow's C++ logs, to the terminal it was started from; started
    this way, that copy lands in the log instead."""
    from jupyter_client import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            with open(log_path, "ab") as log:
                kw.update(stdout=log, stderr=log)
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


@contextlib.contextmanager
def native_chatter_dropped():
    """Runs a block (say, the first import of TensorFlow) with this
    process's file descriptor 2 going to a temporary file, then writes the
    lines that are not `HARMLESS_NATIVE_LOG` chatter to stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines()
            kept = [
                line
                for line in lines
                if line and not HARMLESS_NATIVE_LOG.fullmatch(line)
            ]
            if kept:
                print(*kept, sep="\n", file=sys.stderr)


def _kernel_log_problems(folder):
    """The lines of the kernel's log that are not harmless chatter."""
    try:
        lines = (folder / KERNEL_LOG).read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [
        line
        for line in lines
        if line.strip() and not HARMLESS_NATIVE_LOG.fullmatch(_ANSI.sub("", line))
    ]


def report_failure(notebook, output, error):
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
        problems = _kernel_log_problems(output.parent)
        if problems:
            print(
                "--- the kernel's log ---", *problems[-20:], sep="\n", file=sys.stderr
            )
    print(f"The executed notebook, with the error, is {output}", file=sys.stderr)


def execute(notebook, out_root, parameters, timeout):
    """Runs one notebook; returns whether it succeeded."""
    import nbclient.exceptions
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from course.plots import FIGURES_ENV

    folder = (out_root / notebook.stem).resolve()
    figures = folder / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    output = folder / notebook.name
    (folder / KERNEL_LOG).unlink(missing_ok=True)
    print(f"running {notebook} ...", flush=True)
    started = time.monotonic()
    try:
        with environment(
            **{
                FIGURES_ENV: str(figures),
                RUN_DIR_ENV: str(folder),
                "TF_CPP_MIN_LOG_LEVEL": os.environ.get(
                    "TF_CPP_MIN_LOG_LEVEL", NATIVE_LOG_LEVEL
                ),
            }
        ):
            papermill.execute_notebook(
                str(notebook.resolve()),
                str(output),
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                language="python",
                cwd=str(notebook.resolve().parent),
                progress_bar=False,
                execution_timeout=timeout,
                extra_arguments=KERNEL_ARGUMENTS,
                kernel_manager_class=_quiet_kernel_manager(folder / KERNEL_LOG),
            )
    except (
        PapermillExecutionError,
        nbclient.exceptions.DeadKernelError,
        nbclient.exceptions.CellTimeoutError,
    ) as error:
        _clean_saved_outputs(output)
        report_failure(notebook, output, error)
        return False
    _clean_saved_outputs(output)
    n_figures = len(list(figures.glob("*.png")))
    print(
        f"  ok in {time.monotonic() - started:.1f} s -> {output} "
        f"({n_figures} figure{'s' * (n_figures != 1)} in {figures})",
        flush=True,
    )
    return True
