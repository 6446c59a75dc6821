"""Student notebooks come from the solution notebooks and are up to date;
they hold stubs where the solutions were and follow the notebook rules."""

import ast
import pathlib
import subprocess
import sys

import nbformat
import pytest

from course.grading import assignments
from course.grading import release
from course.grading.source import read_submission

ROOT = pathlib.Path(__file__).resolve().parents[3]
SOLUTIONS = ROOT / "notebooks" / "assignments" / "solutions"
STUDENT = ROOT / "notebooks" / "assignments"
COURSE = pathlib.Path(sys.executable).parent / "course"


def test_the_student_notebooks_are_up_to_date():
    stale = release.release(SOLUTIONS, STUDENT, check=True)
    assert stale == [], (
        f"run `course assignments release` from the repository root: {stale}"
    )


@pytest.mark.parametrize("name", assignments.names())
def test_each_assignment_has_a_solution_and_a_student_notebook(name):
    assignment = assignments.get(name)
    solution = nbformat.read(SOLUTIONS / assignment.notebook, as_version=4)
    student = nbformat.read(STUDENT / assignment.notebook, as_version=4)
    assert solution.metadata["course"]["assignment"] == name
    assert student.metadata["course"] == {"assignment": name}

    regions = [
        line.strip()
        for cell in solution.cells
        if cell.cell_type == "code"
        for region in cell.source.split(release.BEGIN)[1:]
        for line in region.split(release.END)[0].split("\n")
        if len(line.strip()) > 12
    ]
    assert regions
    student_code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    assert release.BEGIN not in student_code and release.END not in student_code
    student_lines = {line.strip() for line in student_code.split("\n")}
    leaked = [line for line in regions if line in student_lines]
    assert not leaked, f"solution lines in the student notebook: {leaked}"
    assert student_code.count("raise NotImplementedError") == sum(
        c.source.count(release.BEGIN) for c in solution.cells if c.cell_type == "code"
    )

    for notebook in (solution, student):
        code_cells = [c for c in notebook.cells if c.cell_type == "code"]
        assert code_cells[0].metadata.get("tags") == ["parameters"]
        assert "FAST = False" in code_cells[0].source
        assert notebook.metadata["kernelspec"]["name"] == "python3"
        assert all(c.outputs == [] and c.execution_count is None for c in code_cells)


@pytest.mark.parametrize("name", assignments.names())
def test_the_grader_finds_the_answers_in_both_versions(name):
    assignment = assignments.get(name)
    for folder in (SOLUTIONS, STUDENT):
        submission = read_submission(
            folder / assignment.notebook, assignment.flags, assignment.answers
        )
        assert submission.problem is None
        assert set(assignment.answers) <= submission.defined
        assert submission.flags == ()
        ast.parse(submission.code)


def test_regions_become_stubs_at_their_indentation():
    source = (
        "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x + 1\n"
        "    ### END SOLUTION\n\nY = 2"
    )
    assert release.release_source(source) == (
        "def f(x):\n    '''doc'''\n    # YOUR CODE HERE\n    raise NotImplementedError\n\nY = 2"
    )


@pytest.mark.parametrize(
    "source, message",
    [
        (
            "### BEGIN SOLUTION\nx = 1",
            "cell 3, line 1: ### BEGIN SOLUTION is never closed",
        ),
        ("x = 1\n### END SOLUTION", "cell 3, line 2: ### END SOLUTION without"),
        (
            "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
            "cell 3, line 2: ### BEGIN SOLUTION inside another region",
        ),
    ],
)
def test_unbalanced_markers_are_refused(source, message):
    with pytest.raises(ValueError, match=message):
        release.release_source(source, "cell 3")


def test_release_drops_solution_cells_and_outputs():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "FAST = False", metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell(
                "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                execution_count=3,
                outputs=[nbformat.v4.new_output("stream", text="1")],
            ),
            nbformat.v4.new_markdown_cell(
                "the answer is 42", metadata={"tags": ["solution"]}
            ),
        ]
    )
    with pytest.raises(ValueError, match="metadata.course.assignment"):
        release.release_notebook(notebook)
    notebook.metadata["course"] = {"assignment": "x"}
    student = release.release_notebook(notebook)
    assert [c.source for c in student.cells] == [
        "FAST = False",
        "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError",
    ]
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert notebook.cells[1].execution_count == 3  # the solution is left alone
    notebook.cells[1].source = "def f():\n    return 1"
    with pytest.raises(ValueError, match="marks no ### BEGIN SOLUTION region"):
        release.release_notebook(notebook)


def test_the_release_command(tmp_path):
    out = tmp_path / "student"

    def course(*args):
        return subprocess.run(
            [str(COURSE), "assignments", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )

    stale = course("release", "--out", out, "--check")
    assert stale.returncode == 1 and "out of date" in stale.stderr
    assert not out.exists()
    written = course("release", "--out", out)
    assert written.returncode == 0, written.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        assignments.get(n).notebook for n in assignments.names()
    )
    for path in out.iterdir():
        assert path.read_text() == (STUDENT / path.name).read_text()
    assert course("release", "--out", out, "--check").returncode == 0
    missing = course("release", "--solutions", tmp_path / "none", "--out", out)
    assert missing.returncode == 2 and "no solution notebook" in missing.stderr
    listing = course("list")
    assert listing.returncode == 0
    assert (
        "lstm_cell    10 points  notebooks/assignments/02_lstm_cell.ipynb"
        in listing.stdout
    )
