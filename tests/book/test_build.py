"""The site `course book` writes, from a tiny course whose runs are made by
hand (no kernel) and built with the network cut off: its pages, their
order, notes and downloads, MathJax from the site itself, the figures and
log lines it reports or leaves out, and the folders it will not overwrite."""

import base64
import html
import html.parser
import io
import pathlib
import re
import socket
import subprocess
import sys

import nbformat
import pytest
from matplotlib.figure import Figure

from course import cli
from course.book import build
from course.book import freeze
from course.book.site import Course
from course.book.site import figures_not_shown
from course.book.site import without_native_logs
from tests.book.helpers import ROOT
from tests.book.helpers import notebook
from tests.book.helpers import tiny_course
from tests.book.helpers import touch

pytestmark = [
    pytest.mark.usefixtures("book_extra"),
    # sphinx-book-theme and myst-parser still use Sphinx APIs that Sphinx 11
    # will remove (RemovedInSphinx11Warning).
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
]


def png():
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def fake_run(course, source, fast=True):
    """The run papermill would write for `source`: its code cells print
    and draw."""
    executed = nbformat.read(source, as_version=4)
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                nbformat.v4.new_output("stream", name="stdout", text="printed\n"),
                nbformat.v4.new_output("display_data", data={"image/png": png()}),
            ]
    executed.metadata["papermill"] = {
        "parameters": {"FAST": True} if fast else {},
        "exception": None,
        "end_time": "2026-03-14T10:00:00+00:00",
    }
    run = freeze.run_path(source, course.root / "runs")
    run.parent.mkdir(parents=True)
    nbformat.write(executed, run)
    touch(run)


def write_tiny_course(root):
    course = tiny_course(
        root,
        {
            "00_first.ipynb": notebook("0 · First", "x = 1"),
            "01_second.ipynb": notebook(
                "1 · Second", "y = 2", markdown="$$c_t = f_t \\odot c_{t-1}$$"
            ),
        },
        assignment=notebook("Assignment 1 · A tiny cell", "raise NotImplementedError"),
    )
    for source in course.notebooks:
        fake_run(course, source)
    return course


@pytest.fixture
def tiny(tmp_path):
    return write_tiny_course(tmp_path)


@pytest.fixture(scope="module")
def site(tmp_path_factory, book_extra):
    """The tiny course's fast book, built once for the tests that read it,
    with the network cut off: ROOT/site beside ROOT/notebooks."""
    tiny = write_tiny_course(tmp_path_factory.mktemp("course"))
    site = tiny.root / "site"

    def refuse(*args, **kwargs):
        raise OSError("no network while the book is built")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        assert build(tiny, site, tiny.root / "runs", fast=True) == 0  # no warning
    return site


def page_html(site, page):
    return (site / f"{page}.html").read_text()


def page_text(site, page):
    """The page's text, tags removed and white space collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", "", page_html(site, page)))
    return " ".join(text.split())


class _Links(html.parser.HTMLParser):
    """The href of every link, by class."""

    def __init__(self, page_html):
        super().__init__()
        self.hrefs = {}
        self.feed(page_html)

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "a":
            for name in (attributes.get("class") or "").split():
                self.hrefs.setdefault(name, attributes.get("href"))


def neighbours(page_html):
    """The hrefs of the previous and next links (None where there is none)."""
    hrefs = _Links(page_html).hrefs
    return hrefs.get("left-prev"), hrefs.get("right-next")


def test_the_site_has_every_page_in_lecture_order(site):
    pages = ["index", "00_first", "01_second", "assignments/01_tiny_cell"]
    for page in pages:
        assert (site / f"{page}.html").is_file(), page
    links = {page: neighbours(page_html(site, page)) for page in pages}
    assert links["index"] == (None, "00_first.html")
    assert links["00_first"] == ("index.html", "01_second.html")
    assert links["01_second"] == ("00_first.html", "assignments/01_tiny_cell.html")
    assert links["assignments/01_tiny_cell"] == ("../01_second.html", None)


def test_pages_show_outputs_and_offer_the_clean_notebook(site):
    page = page_html(site, "01_second")
    assert "printed" in page and page.count('src="_images/') == 2
    assert "fast-mode run of 14 March 2026" in page
    download = re.search(r'href="(_downloads/[^"]*01_second\.ipynb)"', page).group(1)
    assert (site / download).read_bytes() == (
        site.parent / "notebooks" / "01_second.ipynb"
    ).read_bytes()
    assert "course run notebooks/01_second.ipynb" in page_text(site, "01_second")
    assignment = page_html(site, "assignments/01_tiny_cell")
    text = page_text(site, "assignments/01_tiny_cell")
    assert "course check 01_tiny_cell.ipynb" in text and "10 points" in text
    download = re.search(
        r'href="(\.\./_downloads/[^"]*01_tiny_cell\.ipynb)"', assignment
    )
    assert (site / "assignments" / download.group(1)).resolve().read_bytes() == (
        (site.parent / "notebooks" / "assignments" / "01_tiny_cell.ipynb").read_bytes()
    )


def test_the_home_page_has_the_syllabus_and_the_setup_commands(site):
    home = page_html(site, "index")
    assert home.count('class="russian"') == 2
    assert '<span class="pre">ElmanCell</span>' in home
    text = page_text(site, "index")
    assert "Section 1 Раздел" in text
    assert "pip install -e ." in text  # the README's set-up block
    assert "A tiny cell 10 shapes" in text


def test_math_is_typeset_by_the_mathjax_in_the_site(site):
    page = page_html(site, "01_second")
    assert r"\[c_t = f_t \odot c_{t-1}\]" in page
    scripts = re.findall(r'<script[^>]*src="([^"]*)"', page)
    assert "_static/mathjax/tex-chtml.js" in [s.split("?")[0] for s in scripts]
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for link in scripts + re.findall(r'<link[^>]*href="([^"]*)"', page):
        assert "//" not in link, link  # nothing from another host


def test_a_rebuild_replaces_its_site_but_never_another_folder(tiny, tmp_path):
    site = tmp_path / "site"
    build(tiny, site, tiny.root / "runs", fast=True)
    (site / "stale.html").write_text("from the last build")
    build(tiny, site, tiny.root / "runs", fast=True)
    assert not (site / "stale.html").exists() and (site / "index.html").is_file()

    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    with pytest.raises(freeze.BookError, match="not a book built by `course book`"):
        build(tiny, other, tiny.root / "runs", fast=True)
    assert (other / "mine.txt").read_text() == "keep me"


def test_without_the_book_extra_the_command_names_the_install_command(tmp_path):
    hide_sphinx = (
        "import sys; sys.modules['sphinx'] = None; "
        "from course.cli import main; sys.exit(main(['book', '--fast']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_sphinx], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 2
    assert 'pip install -e ".[book]"' in result.stderr and "sphinx" in result.stderr


def test_the_course_lists_the_released_assignments_not_their_solutions():
    course = Course.from_repository(ROOT)
    assert len(course.assignments) == 4
    for assignment in course.assignments:
        assert assignment.notebook.is_file()
        assert assignment.notebook.parent == ROOT / "notebooks" / "assignments"
        assert "### BEGIN SOLUTION" not in assignment.notebook.read_text()


def test_the_syllabus_notebooks_are_the_pages():
    course = Course.from_repository(ROOT)
    assert [p.name for p in course.notebooks] == [
        pathlib.Path(s.notebook).name for s in course.sections
    ]


def test_pages_leave_out_tensorflows_native_log_lines_only():
    nb = notebook("A", "import tensorflow")
    nb.cells[-1].outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text=(
                "WARNING: All log messages before absl::InitializeLog() is called "
                "are written to STDERR\n"
                "I0000 00:00:1796185209.059998   27019 port.cc:153] oneDNN custom "
                "operations are on.\n"
                "/x/model.py:3: UserWarning: the loss is not finite\n"
            ),
        ),
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text="E0000 00:00:1796185217.532208   27019 cuda_platform.cc:52] failed "
            "call to cuInit\n",
        ),
        nbformat.v4.new_output("stream", name="stdout", text="I0000 printed\n"),
    ]
    (warning, printed) = without_native_logs(nb).cells[-1].outputs
    assert warning.text == "/x/model.py:3: UserWarning: the loss is not finite\n"
    assert printed.text == "I0000 printed\n"


def test_a_saved_figure_the_page_does_not_show_is_reported(tiny):
    run = freeze.run_path(tiny.notebooks[0], tiny.root / "runs")
    executed = nbformat.read(run, as_version=4)  # each code cell drew one
    shown = sum(cell.cell_type == "code" for cell in executed.cells)
    figures = run.parent / "figures"
    figures.mkdir()
    names = [f"figure_{i}.png" for i in range(shown + 1)]
    for name in names[:-1]:
        (figures / name).write_bytes(base64.b64decode(png()))
    assert figures_not_shown(run, executed) is None
    (figures / names[-1]).write_bytes(base64.b64decode(png()))
    warning = figures_not_shown(run, executed)
    assert f"00_first.ipynb saved {shown + 1} figures ({', '.join(names)})" in warning
    assert f"displays {shown}:" in warning


def test_outside_the_repository_the_command_says_where_to_run_it(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["book", "--fast"]) == 2
    error = capsys.readouterr().err
    assert "notebooks/00_setup.ipynb" in error and "repository root" in error
    assert not (tmp_path / "runs").exists()
