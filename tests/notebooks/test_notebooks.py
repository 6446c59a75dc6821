"""The course notebooks: every numbered notebook runs end to end in fast mode
(its assert cells are its checks), and every notebook is committed clean,
with a `parameters` cell that papermill and `course run` can override."""

import ast
import os
import pathlib
import signal
import subprocess
import sys

import nbformat
import pytest

from course.book.site import figures_not_shown
from course.parameters import notebook_defaults
from course.syllabus import SYLLABUS

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
COURSE = pathlib.Path(sys.executable).parent / "course"
# The numbered lecture notebooks, as `course run --all` finds them.
NUMBERED = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
# The instructors' solution notebooks run too: their asserts check the
# solutions (the student versions raise NotImplementedError by design).
SOLUTIONS = sorted(NOTEBOOKS.glob("assignments/solutions/*.ipynb"))
# Every notebook under notebooks/, assignments included (not the git-ignored
# run folders and Jupyter checkpoints).
IGNORED_FOLDERS = {"runs", ".ipynb_checkpoints"}
COMMITTED = sorted(
    path
    for path in NOTEBOOKS.rglob("*.ipynb")
    if not IGNORED_FOLDERS.intersection(path.relative_to(NOTEBOOKS).parts)
)
# Fast mode takes about a minute; the limit only stops a hung run.
RUN_TIMEOUT_S = 900
OUTPUT_TAIL = 6000


def _name(path):
    return str(path.relative_to(NOTEBOOKS))


def _course_run(notebook, out):
    """`course run NOTEBOOK --fast --out OUT` from the repository root, in
    its own process group (killed whole, kernel included, on a timeout).
    Returns the exit status and the combined output."""
    assert COURSE.exists(), f"the console script is not installed: {COURSE}"
    process = subprocess.Popen(
        [
            str(COURSE),
            "run",
            str(notebook.relative_to(ROOT)),
            "--fast",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(
            f"{notebook.name} did not finish in {RUN_TIMEOUT_S} s:\n{output[-OUTPUT_TAIL:]}"
        )
    return process.returncode, output


def _assigned_literals(source):
    """The names that top-level statements of `source` set to a literal."""
    literals = {}
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.Assign) and isinstance(
            statement.value, ast.Constant
        ):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    literals[target.id] = statement.value.value
    return literals


def test_there_are_notebooks():
    assert NUMBERED, f"no notebook matches {NOTEBOOKS}/[0-9][0-9]_*.ipynb"


def test_the_numbered_notebooks_are_the_syllabus():
    on_disk = [p.name for p in NUMBERED]
    in_syllabus = [s.notebook for s in SYLLABUS]
    missing = [n for n in in_syllabus if n not in on_disk]
    unlisted = [n for n in on_disk if n not in in_syllabus]
    assert not missing and not unlisted, (
        f"course.syllabus names notebooks missing from notebooks/: {missing}; "
        f"notebooks/ has numbered notebooks the syllabus does not list: {unlisted}"
    )


@pytest.mark.parametrize("notebook", NUMBERED + SOLUTIONS, ids=_name)
def test_notebook_runs_in_fast_mode(notebook, fast_runs):
    # The runs stay in fast_runs (tests/conftest.py): the book is built from them.
    returncode, output = _course_run(notebook, fast_runs)
    assert returncode == 0, (
        f"`course run {notebook.name} --fast` exited with {returncode}; "
        f"the end of its output:\n{output[-OUTPUT_TAIL:]}"
    )
    executed = nbformat.read(fast_runs / notebook.stem / notebook.name, as_version=4)
    injected = [
        c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
    ]
    assert len(injected) == 1 and "FAST = True" in injected[0].source
    assert (
        figures_not_shown(fast_runs / notebook.stem / notebook.name, executed) is None
    )


@pytest.mark.parametrize("notebook", COMMITTED, ids=_name)
def test_notebook_shows_its_figures_as_figure_objects(notebook):
    # One way to show a figure: a `matplotlib.figure.Figure` as a cell's last
    # value or passed to `display` (course.plots registers the formatter).
    # pyplot and `%matplotlib` would add a second, backend-dependent one.
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        assert "%matplotlib" not in cell.source, f"cell {index} sets a backend"
        for node in ast.walk(ast.parse(_without_magics(cell.source))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [f"{node.module}.{alias.name}" for alias in node.names]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(name.startswith("matplotlib.pyplot") for name in names), (
                f"cell {index} imports pyplot; build a matplotlib.figure.Figure instead"
            )


@pytest.mark.parametrize("notebook", COMMITTED, ids=_name)
def test_notebook_is_committed_clean_with_a_parameters_cell(notebook):
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        "the kernel must be python3"
    )
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code_cells, "the notebook has no code cell"
    for index, cell in enumerate(code_cells):
        assert cell.outputs == [], (
            f"code cell {index} has outputs: clear them before committing"
        )
        assert cell.execution_count is None, f"code cell {index} has an execution count"
    tagged = [
        i
        for i, cell in enumerate(code_cells)
        if "parameters" in cell.metadata.get("tags", [])
    ]
    assert tagged == [0], (
        f"exactly one code cell, the first, must be tagged 'parameters'; tagged: code cells {tagged}"
    )
    literals = _assigned_literals(code_cells[0].source)
    assert literals.get("FAST", None) is False, (
        "the parameters cell must set FAST = False (full mode by default)"
    )


def _without_magics(source):
    """Cell source with IPython's `%magic` and `!shell` lines blanked, so ast parses it."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    )


def _is_none_test(test, name):
    """Whether `test` is the expression `name is None`."""
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == name
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def _fills_only_none(assignment, name, guards):
    """`NAME = DEFAULT if NAME is None else NAME`, or any assignment under `if NAME is None:`."""
    value = assignment.value
    filled_inline = (
        isinstance(value, ast.IfExp)
        and _is_none_test(value.test, name)
        and isinstance(value.orelse, ast.Name)
        and value.orelse.id == name
    )
    return filled_inline or any(_is_none_test(test, name) for test in guards)


def _overrides(statements, parameters, guards=()):
    """Assignments among top-level `statements` (and their if-blocks) that
    rebind a parameter whatever its given value."""
    found = []
    for statement in statements:
        if isinstance(statement, ast.If):
            found += _overrides(statement.body, parameters, (*guards, statement.test))
            found += _overrides(statement.orelse, parameters, guards)
        elif isinstance(statement, ast.Assign):
            names = [
                n.id
                for target in statement.targets
                for n in ast.walk(target)
                if isinstance(n, ast.Name) and n.id in parameters
            ]
            if not all(_fills_only_none(statement, name, guards) for name in names):
                found.append(f"line {statement.lineno}: {ast.unparse(statement)}")
    return found


@pytest.mark.parametrize("notebook", NUMBERED, ids=_name)
def test_a_given_parameter_wins_over_the_mode_defaults(notebook):
    # `if FAST: EPOCHS = 8` would discard `-p EPOCHS=2`, and `EPOCHS = EPOCHS
    # or 8` turns `-p EPOCHS=0` into 8: a mode fills only the parameters left None.
    code_cells = [
        c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"
    ]
    parameters = notebook_defaults(notebook)
    overrides = [
        f"code cell {index}, {override}"
        for index, cell in enumerate(code_cells[1:], start=1)
        for override in _overrides(
            ast.parse(_without_magics(cell.source)).body, parameters
        )
    ]
    assert not overrides, "parameters rebound after the parameters cell:\n" + "\n".join(
        overrides
    )


def _run_up_to_the_mode_defaults(notebook, given):
    """The parameters after the first two code cells of `notebook` ran with
    `given` injected after its parameters cell, as papermill injects them."""
    parameters_cell, setup_cell = [
        c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"
    ][:2]
    namespace = {}
    exec(parameters_cell.source, namespace)
    namespace.update(given)
    exec(_without_magics(setup_cell.source), namespace)
    return namespace


@pytest.mark.parametrize(
    "notebook, given, expected",
    [
        # -p EPOCHS=0 stays 0 (`EPOCHS or 5` made it 5); None takes the mode's 5
        ("00_setup.ipynb", {"FAST": True, "EPOCHS": 0}, {"EPOCHS": 0}),
        ("00_setup.ipynb", {"FAST": True}, {"EPOCHS": 5}),
        # FAST used to overwrite all three (`if FAST: IMAGE_SIZE, ... = 32, 0.125, 8`)
        (
            "12_spatial_rnn.ipynb",
            {"FAST": True, "EPOCHS": 2, "IMAGE_SIZE": 48},
            {"EPOCHS": 2, "IMAGE_SIZE": 48, "WIDTH": 0.125},
        ),
    ],
)
def test_a_given_parameter_takes_effect(notebook, given, expected):
    import keras

    policy = keras.config.dtype_policy()  # course.device.setup() sets it
    try:
        namespace = _run_up_to_the_mode_defaults(NOTEBOOKS / notebook, given)
    finally:
        keras.config.set_dtype_policy(policy)
    assert {name: namespace[name] for name in expected} == expected


@pytest.mark.parametrize("notebook", NUMBERED, ids=_name)
def test_papermill_parses_every_line_of_the_parameters_cell(notebook, caplog):
    # A line it cannot parse (e.g. an `=` inside a comment) is warned about on
    # every run and hidden from papermill's parameter check.
    from papermill.translators import PythonTranslator

    cell = next(
        c
        for c in nbformat.read(notebook, as_version=4).cells
        if "parameters" in c.metadata.get("tags", [])
    )
    parsed = PythonTranslator.inspect(cell)
    assert "Unable to parse" not in caplog.text
    assert {p.name for p in parsed} == set(notebook_defaults(notebook))
