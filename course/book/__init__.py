"""`course book`: the course as a static HTML site, built offline.

    course book [--fast] [--out DIR] [--runs DIR] [--timeout SECONDS]

The site (default `runs/book/`) has a home page with the syllabus, how to
install and the assignments, then one page per numbered notebook in lecture
order (`course.syllabus`) with its prose, equations, code, outputs and
figures, then the released assignment notebooks (never their solutions).
Pages link to the previous and next one, a search box searches them all and
each offers its notebook for download.

The pages are the executed notebooks of the run folder that `course run`
writes (`--runs`, default `runs/`): `course.book.freeze` reuses the runs that
are up to date and executes only the missing or stale ones (in fast mode for
`--fast`), with `course.execution`, as `course run` does. A failing
notebook stops the build with its cell and error. The HTML comes from
Sphinx, myst-nb and sphinx-book-theme, with MathJax served from the site
(sphinx-mathjax-offline): the `book` extra, all pip packages, and nothing
is fetched from the network while building or reading the book.
"""

import importlib.util
import pathlib
import sys
import tempfile
import time

DESCRIPTION = (
    "Build the course as a static HTML site from the executed notebooks, in "
    "lecture order. Up-to-date runs in the run folder are reused; missing or "
    "stale ones are executed first."
)
# The `book` extra, by import name.
EXTRA_MODULES = ("sphinx", "myst_nb", "sphinx_book_theme", "sphinx-mathjax-offline")
# Left in every site it builds, so `course book` replaces only its own sites.
MARKER = ".course-book"


def missing_extra():
    """What to install when the `book` extra is missing, or None."""
    missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"the book needs the `book` extra ({', '.join(missing)} not installed); "
        f'from the repository root: {sys.executable} -m pip install -e ".[book]"'
    )


def add_arguments(parser):
    """The arguments of `course book`."""
    parser.add_argument(
        "--fast",
        action="store_true",
        help="execute missing notebooks in fast mode (FAST=True) and accept fast "
        "runs; full runs are used where they are up to date",
    )
    parser.add_argument(
        "--out", default="runs/book", help="the site's folder (default: runs/book)"
    )
    parser.add_argument(
        "--runs",
        default="runs",
        help="the run folder of `course run` to reuse and add to (default: runs)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds allowed per cell when a notebook is executed (default: no limit)",
    )


def _check_out(out):
    """Refuses an --out that is a file or a folder with other things in it."""
    from course.book.freeze import BookError

    if out.exists() and not out.is_dir():
        raise BookError(f"--out {out} is a file; expected a folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise BookError(
            f"--out {out} holds files that are not a book built by `course book`; "
            f"give an empty or new folder (the build replaces the folder whole)"
        )


def build(course, out, runs, fast, timeout=None):
    """Builds the site of `course` into `out`.

    Args:
        course: A `course.book.site.Course`.
        out: The site's folder: new, empty, or a site built before (which
            is replaced only once the new one is complete).
        runs: The run folder to reuse and execute into.
        fast: Whether to build the fast book.
        timeout: Seconds allowed per cell for the notebooks executed.

    Returns:
        The number of Sphinx warnings.

    Raises:
        course.book.freeze.BookError: see `freeze.refresh`, or a bad `out`.
    """
    from course.book import freeze
    from course.book import site

    _check_out(out)
    executed = freeze.refresh(course.notebooks, runs, fast, timeout)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}-", dir=out.parent) as tmp:
        work = pathlib.Path(tmp)
        for warning in site.write_sources(course, executed, fast, work / "source"):
            print(f"warning: {warning}", file=sys.stderr)
        pages = len(executed) + len(course.assignments) + 1
        print(f"rendering {pages} pages with Sphinx ...", flush=True)
        warnings = site.render(work / "source", work / "html", work / "doctrees")
        (work / "html" / MARKER).write_text(
            f"built by `course book{' --fast' * fast}`\n"
        )
        if out.exists():
            out.rename(work / "previous")
        (work / "html").rename(out)
    return warnings


def run(args):
    """The `course book` command; returns the exit status."""
    from course.book import freeze
    from course.book import site

    problem = missing_extra()
    if problem:
        print(f"course book: {problem}", file=sys.stderr)
        return 2
    root = pathlib.Path.cwd()
    course = site.Course.from_repository(root)
    missing = [str(n) for n in course.notebooks if not n.is_file()]
    if missing:
        print(
            f"course book: the syllabus names notebooks that are not here: "
            f"{', '.join(missing)}; run it from the repository root.",
            file=sys.stderr,
        )
        return 2
    out = pathlib.Path(args.out)
    started = time.monotonic()
    try:
        warnings = build(course, out, pathlib.Path(args.runs), args.fast, args.timeout)
    except freeze.BookError as error:
        print(f"course book: {error}", file=sys.stderr)
        return error.status
    print(
        f"The book is in {out}/, built in {time.monotonic() - started:.0f} s"
        + (
            f" with {warnings} Sphinx warning{'s' * (warnings != 1)}"
            if warnings
            else ""
        )
        + f". Read it with `python -m http.server -d {out}` and "
        f"http://127.0.0.1:8000 (the search needs a server)."
    )
    return 0
