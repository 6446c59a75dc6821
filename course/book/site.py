"""The book's pages, written as a Sphinx source folder, and their HTML.

The source folder holds a home page (`index.md`: the syllabus, how to
install, the assignments), one page per executed lecture notebook, one per
released assignment notebook (as handed out, not executed) and, under
`downloads/`, the clean notebooks each page offers for download. Each
notebook page gets a note after its title: where to download the notebook,
how to run it, and which run the page shows. Two toctrees, the lecture in
syllabus order and then the assignments, give the sidebar and the
previous / next links.
"""

import dataclasses
import datetime
import io
import pathlib
import re
import shutil
import sys

import nbformat

CONF_DIR = pathlib.Path(__file__).resolve().parent
HOME = "index"
ASSIGNMENTS = "assignments"
DOWNLOADS = "downloads"
# What TensorFlow's C++ runtime writes to the kernel's stderr as it starts
# (absl log lines: no CUDA driver, oneDNN, CPU instructions), which the
# pages leave out: it is the machine's chatter, not the notebook's output.
NATIVE_LOG = re.compile(
    r"[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.]+:\d+\] .*"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are "
    r"written to STDERR"
    r"|To enable the following instructions: .* rebuild TensorFlow with the "
    r"appropriate compiler flags\."
)
# The README's first shell block: the two set-up commands.
README_SETUP = re.compile(r"```(?:bash|sh)\n(.*?)```", re.S)


@dataclasses.dataclass(frozen=True)
class AssignmentPage:
    """A released assignment, as the book lists it.

    Attributes:
        title: One line.
        notebook: The student notebook (never a solution).
        points: What it is worth.
        public_checks: The checks `course check` runs for students.
    """

    title: str
    notebook: pathlib.Path
    points: float
    public_checks: tuple


@dataclasses.dataclass(frozen=True)
class Course:
    """What the book is built from.

    Attributes:
        root: The repository root (its README.md gives the set-up commands).
        sections: The lecture sections (`course.syllabus.Section`s), in order.
        assignments: `AssignmentPage`s, in order.
    """

    root: pathlib.Path
    sections: tuple
    assignments: tuple

    @property
    def notebooks(self):
        """The source notebooks of the sections, in lecture order."""
        return [self.root / "notebooks" / s.notebook for s in self.sections]

    @classmethod
    def from_repository(cls, root):
        """The course in `root`: the syllabus and the graded assignments."""
        from course.grading import assignments
        from course.syllabus import SYLLABUS

        pages = []
        for name in assignments.names():
            assignment = assignments.get(name)
            pages.append(
                AssignmentPage(
                    assignment.title,
                    root / "notebooks" / "assignments" / assignment.notebook,
                    assignment.max_score,
                    tuple(c.name for c in assignment.checks if c.public),
                )
            )
        return cls(root, SYLLABUS, tuple(pages))


def _is_code_name(name):
    """Whether a name the syllabus lists comes from the code (ElmanCell,
    LSTMCell, course.plots, tiny_shakespeare) rather than being words
    (attention, NumPy BPTT, Keras built-ins)."""
    return bool(
        re.fullmatch(r"[A-Za-z_][\w.]*", name)
        and (re.search(r"[._]", name) or re.search(r"[a-z].*[A-Z]|.[A-Z].*[a-z]", name))
    )


def _uses(names):
    return ", ".join(f"`{n}`" if _is_code_name(n) else n for n in names)


def _syllabus_table(sections):
    rows = [
        "```{list-table}",
        ":header-rows: 1",
        ":class: syllabus",
        ":widths: 5 50 25 20",
        "",
        "* - §",
        "  - Lecture section",
        "  - Notebook",
        "  - Layers and helpers",
    ]
    for section in sections:
        stem = pathlib.PurePath(section.notebook).stem
        rows += [f"* - {section.number}", f"  - {section.title}"]
        if section.title_ru:
            rows += ["", f"    [{section.title_ru}]{{.russian}}"]
        rows += [f"  - [`{stem}`]({stem}.ipynb)", f"  - {_uses(section.uses)}"]
    return "\n".join([*rows, "```"])


def _assignment_table(assignments):
    rows = [
        "```{list-table}",
        ":header-rows: 1",
        "",
        "* - Assignment",
        "  - Points",
        "  - Public checks (`course check`)",
    ]
    for a in assignments:
        rows += [
            f"* - [{a.title}]({ASSIGNMENTS}/{a.notebook.stem}.ipynb)",
            f"  - {a.points:g}",
            f"  - {', '.join(a.public_checks) or '—'}",
        ]
    return "\n".join([*rows, "```"])


def _toctree(caption, documents):
    return "\n".join(
        ["```{toctree}", ":hidden:", f":caption: {caption}", *documents, "```"]
    )


def _setup_commands(root):
    readme = root / "README.md"
    found = README_SETUP.search(readme.read_text()) if readme.is_file() else None
    if not found:
        return f"(The set-up commands are in the README, which is not in {root}.)"
    return f"```bash\n{found.group(1)}```"


def home_page(course, fast):
    """The home page's MyST source."""
    mode = "fast" if fast else "full"
    parts = [
        "# Recurrent neural networks with Keras",
        "The companion to the lecture *Recurrent neural networks* (Рекуррентные "
        "нейронные сети), one page per section: the prose, the equations, the "
        "code and what it printed and drew. Each page is a notebook that "
        "`course run` executed, and every claim on it is an assert that held "
        "while it ran.",
        f"This is the **{mode}** book (`course book{' --fast' * fast}`). "
        + (
            "Its pages come from fast-mode runs where no full-mode run was at "
            "hand: smaller data and shorter training, so some numbers are rougher "
            "than the full-mode results the text quotes. Each page says which run "
            "it shows."
            if fast
            else "Its pages are full-mode runs, the mode whose results the text quotes."
        ),
        "## The syllabus",
        _syllabus_table(course.sections),
        "## Install and run it yourself",
        "From the repository root, with Python 3.11 to 3.13:",
        _setup_commands(course.root),
        "Then `course run NOTEBOOK` executes any notebook headless "
        "(`--fast` for the quick version) and `course book --fast` builds this "
        "book into `runs/book/`.",
        "## Assignments",
        "Each assignment is a notebook with stubs to fill in and public checks; "
        "download it from its page. The solutions are not part of the book.",
        _assignment_table(course.assignments),
        _toctree(
            "Lecture", [pathlib.PurePath(s.notebook).stem for s in course.sections]
        ),
        _toctree(
            "Assignments",
            [f"{ASSIGNMENTS}/{a.notebook.stem}" for a in course.assignments],
        ),
    ]
    return "\n\n".join(parts) + "\n"


def _run_date(executed):
    end = executed.metadata.get("papermill", {}).get("end_time")
    if not end:
        return "an unknown date"
    when = datetime.datetime.fromisoformat(end)
    return f"{when.day} {when:%B %Y}"


def lecture_note(source, download, executed):
    """The note after a lecture page's title: download, run, which run."""
    from course.book.freeze import run_parameters

    fast = run_parameters(executed.metadata.get("papermill", {})).get("FAST", False)
    run = (
        f"This page is its fast-mode run of {_run_date(executed)} (`FAST = True`): "
        "smaller data and shorter training than the full mode, whose results the "
        "text quotes, so some numbers here are rougher."
        if fast
        else f"This page is its full-mode run of {_run_date(executed)}, the mode "
        "whose results the text quotes."
    )
    return (
        "```{admonition} Run it yourself\n:class: tip\n"
        f"{{download}}`Download {source.name} <{download}>` (without outputs) and "
        f"open it in Jupyter, or execute it headless with "
        f"`course run notebooks/{source.name}` (`--fast` for the quick version). "
        f"{run}\n```"
    )


def assignment_note(assignment, download):
    """The note after an assignment page's title."""
    checks = ", ".join(assignment.public_checks) or "none"
    return (
        "```{admonition} Your assignment\n:class: tip\n"
        f"{{download}}`Download {assignment.notebook.name} <{download}>`, replace "
        f"every `raise NotImplementedError` with your code and run it; "
        f"`course check {assignment.notebook.name}` then runs the public checks "
        f"({checks}) in the grader's sandbox. {assignment.points:g} points. "
        f"This page shows the notebook as it is handed out, not executed.\n```"
    )


def without_native_logs(notebook):
    """The notebook without TensorFlow's C++ log lines in its stderr
    outputs (an output left empty goes)."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                lines = output.text.splitlines(keepends=True)
                output.text = "".join(
                    line
                    for line in lines
                    if not NATIVE_LOG.fullmatch(line.rstrip("\n"))
                )
                if not output.text:
                    continue
            kept.append(output)
        cell.outputs = kept
    return notebook


def _with_note(notebook, note):
    """The notebook with a markdown cell `note` after its title cell."""
    after = next(
        (
            i + 1
            for i, cell in enumerate(notebook.cells)
            if cell.cell_type == "markdown" and re.search(r"^# ", cell.source, re.M)
        ),
        0,
    )
    notebook.cells.insert(after, nbformat.v4.new_markdown_cell(note))
    return notebook


def _write_notebook_page(folder, page, source, notebook, note):
    """Writes the page `folder/page` (an .ipynb path inside the source
    folder) and, at `folder/downloads/page`, the clean `source` it offers
    for download; `note(download)` is its note, given the download's path."""
    download = pathlib.PurePosixPath("/", DOWNLOADS, page)
    for path in (folder / page, folder / DOWNLOADS / page):
        path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / DOWNLOADS / page)
    nbformat.write(_with_note(notebook, note(download)), folder / page)


def figures_not_shown(run, executed):
    """A warning when the run's figures folder (what `course.plots.save`
    wrote) holds more PNGs than the executed notebook displays, or None.

    A saved figure that is not displayed (neither its cell's last value nor
    passed to `display`) is missing from the page.
    """
    saved = sorted((run.parent / "figures").glob("*.png"))
    shown = sum(
        "image/png" in output.get("data", {})
        for cell in executed.cells
        for output in cell.get("outputs", ())
    )
    if shown >= len(saved):
        return None
    return (
        f"{run.name} saved {len(saved)} figures ({', '.join(f.name for f in saved)}) "
        f"but displays {shown}: a saved figure that is not displayed (not the last "
        f"value of its cell nor passed to display()) is missing from its page"
    )


def write_sources(course, runs, fast, folder):
    """Writes the book's Sphinx source folder.

    Args:
        course: The `Course`.
        runs: The executed notebooks, one per section, in order.
        fast: Whether this is the fast book.
        folder: The (empty) source folder.

    Returns:
        Warnings about the pages (see `figures_not_shown`).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{HOME}.md").write_text(home_page(course, fast))
    warnings = []
    for source, run in zip(course.notebooks, runs, strict=True):
        executed = without_native_logs(nbformat.read(run, as_version=4))
        warnings.append(figures_not_shown(run, executed))
        _write_notebook_page(
            folder,
            source.name,
            source,
            executed,
            lambda download, s=source, e=executed: lecture_note(s, download, e),
        )
    for assignment in course.assignments:
        _write_notebook_page(
            folder,
            f"{ASSIGNMENTS}/{assignment.notebook.name}",
            assignment.notebook,
            nbformat.read(assignment.notebook, as_version=4),
            lambda download, a=assignment: assignment_note(a, download),
        )
    return [warning for warning in warnings if warning]


class _Tee(io.StringIO):
    """A text stream that also writes through to another one."""

    def __init__(self, through):
        super().__init__()
        self.through = through

    def write(self, text):
        self.through.write(text)
        return super().write(text)


def render(source, out, doctrees):
    """Runs Sphinx's HTML builder on the source folder; its warnings go to
    stderr.

    Returns:
        The number of warnings.
    """
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace

    warnings = _Tee(sys.stderr)
    with docutils_namespace():
        Sphinx(
            str(source),
            str(CONF_DIR),
            str(out),
            str(doctrees),
            "html",
            status=None,
            warning=warnings,
            freshenv=True,
        ).build()
    return warnings.getvalue().count("WARNING:")
