"""The book's freeze cache: executed notebooks are reused from the run folder
that `course run` writes (`RUNS/<name>/<name>.ipynb`), and only the missing
or stale ones are executed, into that same folder.

A run is reused when it finished without an error, is newer than its
source notebook, and was run with the notebook's own parameters: a full
run (no parameter, or `FAST=False`) serves both books; a fast run
(`FAST=True` alone) serves only the fast book, and the full book replaces
it. A run made with other parameters (`-p EPOCHS=5`) is an experiment of
its owner's, so the book neither shows it nor overwrites it: it stops and
says so.

Freshness is judged by modification times, as `make` does: editing or
touching a notebook makes its run stale. Changes to the `course` package
are not tracked; after one, rerun the notebooks it affects (`course run`).
"""

import dataclasses
import pathlib

from course import execution

FAST = {"FAST": True}
FULL = {}


class BookError(Exception):
    """A request the book cannot carry out; the message says why and what
    to do instead. `status` is the command's exit status."""

    status = 2


class NotebookFailed(BookError):
    """A notebook failed while the book was being built."""

    status = 1


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the book does about one notebook.

    Attributes:
        notebook: The source notebook.
        run: Where its executed copy is (or will be): RUNS/<name>/<name>.ipynb.
        reuse: Whether the run there is used as it is.
        reason: Why, in a few words, for the build log.
    """

    notebook: pathlib.Path
    run: pathlib.Path
    reuse: bool
    reason: str


def run_path(notebook, runs):
    """Where `course run --out RUNS` writes the executed `notebook`."""
    return runs / notebook.stem / notebook.name


def run_parameters(metadata):
    """The parameters papermill recorded for a run (FAST=False counts as
    none: it is the notebooks' default)."""
    parameters = dict(metadata.get("parameters") or {})
    if parameters.get("FAST") is False:
        del parameters["FAST"]
    return parameters


def _failed(run_notebook):
    papermill = run_notebook.metadata.get("papermill", {})
    return (
        bool(papermill.get("exception"))
        or not papermill.get("end_time")
        or any(
            output.get("output_type") == "error"
            for cell in run_notebook.cells
            for output in cell.get("outputs", ())
        )
    )


def decide(notebook, runs, fast):
    """The `Decision` for one source notebook, for the fast or the full book.

    Raises:
        BookError: The run there was made with parameters of its own.
    """
    import nbformat

    run = run_path(notebook, runs)
    if not run.is_file():
        return Decision(notebook, run, False, "no run yet")
    if run.stat().st_mtime < notebook.stat().st_mtime:
        return Decision(notebook, run, False, "the notebook changed since its run")
    try:
        executed = nbformat.read(run, as_version=4)
    except (OSError, ValueError) as error:  # nbformat's errors are ValueErrors
        return Decision(notebook, run, False, f"the run is unreadable ({error})")
    if _failed(executed):
        return Decision(notebook, run, False, "the run failed or did not finish")
    parameters = run_parameters(executed.metadata.get("papermill", {}))
    if parameters == FULL:
        return Decision(notebook, run, True, "full-mode run")
    if parameters == FAST:
        if fast:
            return Decision(notebook, run, True, "fast-mode run")
        return Decision(notebook, run, False, "the run is in fast mode")
    given = " ".join(f"-p {name}={value!r}" for name, value in parameters.items())
    raise BookError(
        f"{run} was run with {given}; the book shows runs made with the "
        f"notebook's own parameters, and leaves yours alone. Rerun it without "
        f"them (course run {notebook}{' --fast' * fast}), move it away, or "
        f"build from another run folder (--runs DIR)."
    )


def refresh(notebooks, runs, fast, timeout=None):
    """Brings the runs of `notebooks` up to date, executing the ones that
    are missing or stale (in fast mode for the fast book), in order.

    Args:
        notebooks: Source notebook paths.
        runs: The run folder (`course run --out`).
        fast: Whether this is the fast book.
        timeout: Seconds allowed per cell (None: no limit).

    Returns:
        The executed notebooks' paths, in order.

    Raises:
        BookError: A run has parameters of its own (before anything runs)
            or no kernel can run this environment.
        NotebookFailed: A notebook failed (`course.execution` has printed
            its cell and error); the runs made before it are kept.
    """
    decisions = [decide(notebook, runs, fast) for notebook in notebooks]
    stale = [d for d in decisions if not d.reuse]
    for decision in decisions:
        action = "reuse" if decision.reuse else "execute"
        print(f"{action:8} {decision.notebook.name}: {decision.reason}", flush=True)
    if stale:
        problem = execution.kernel_problem()
        if problem:
            raise BookError(problem)
    for decision in stale:
        if not execution.execute(
            decision.notebook, runs, FAST if fast else FULL, timeout
        ):
            raise NotebookFailed(
                f"{decision.notebook} failed (its cell and error are above), so the "
                f"book was not built. Fix it and build again: the notebooks that "
                f"ran are kept and will be reused."
            )
    return [decision.run for decision in decisions]
