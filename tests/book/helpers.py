"""A tiny course for the book's tests: notebooks that run in a second, a
syllabus of them and a README with a set-up block."""

import os
import pathlib

import nbformat

from course.book.site import AssignmentPage
from course.book.site import Course
from course.syllabus import Section

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = """# tiny course

```bash
# 1. install
python3 -m venv .venv && .venv/bin/pip install -e .
```
"""


def notebook(title, *code, markdown="The state is $h_t = \\tanh(W h_{t-1})$."):
    """A notebook: its title, a paragraph, the `parameters` cell
    (FAST = False) and `code` cells."""
    cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\n{markdown}"),
        nbformat.v4.new_code_cell("FAST = False", metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_code_cell(source) for source in code),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def tiny_course(root, notebooks, assignment=None):
    """Writes `notebooks` (name -> notebook) under root/notebooks/, each a
    lecture section in that order, and `assignment` (a notebook) as
    notebooks/assignments/01_tiny_cell.ipynb; returns the `Course`."""
    (root / "notebooks" / "assignments").mkdir(parents=True)
    (root / "README.md").write_text(README)
    sections = []
    for number, (name, nb) in enumerate(notebooks.items()):
        nbformat.write(nb, root / "notebooks" / name)
        sections.append(
            Section(number, f"Section {number}", "Раздел", name, ("ElmanCell",))
        )
    assignments = ()
    if assignment is not None:
        path = root / "notebooks" / "assignments" / "01_tiny_cell.ipynb"
        nbformat.write(assignment, path)
        assignments = (AssignmentPage("A tiny cell", path, 10, ("shapes",)),)
    return Course(root, tuple(sections), assignments)


def touch(path, seconds_later=2):
    """Makes `path` newer than it was by `seconds_later` seconds."""
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + seconds_later))
