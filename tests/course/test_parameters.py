"""course.parameters: a notebook's parameters cell read, and requests checked against it."""

import pathlib

import nbformat
import pytest

from course import parameters
from course.syllabus import SYLLABUS

NOTEBOOKS = pathlib.Path(__file__).parents[2] / "notebooks"
CELL = """\
FAST = False  # a comment
EPOCHS = None  # None: the mode decides
RATE = 1e-3
SIZES = (
    (250, 500)  # a tuple over lines
)
NAME = "faces"
K1, K2 = 5, 10
COMPUTED = RATE * 2  # not a literal: not a parameter
"""


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "nb.ipynb"
    cells = [
        nbformat.v4.new_markdown_cell("EPOCHS = 'not the parameters cell'"),
        nbformat.v4.new_code_cell(CELL, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("UNRELATED = 1"),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def request(**texts):
    return {name: parameters.parse_value(text) for name, text in texts.items()}


def test_defaults_are_the_literals_of_the_parameters_cell(notebook):
    assert parameters.notebook_defaults(notebook) == {
        "FAST": False,
        "EPOCHS": None,
        "RATE": 1e-3,
        "SIZES": (250, 500),
        "NAME": "faces",
        "K1": 5,
        "K2": 10,
    }


def test_every_course_notebook_has_fast_among_its_parameters():
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert [path.name for path in notebooks] == [s.notebook for s in SYLLABUS]
    for path in notebooks:
        assert parameters.notebook_defaults(path)["FAST"] is False, path


def test_values_of_the_defaults_type_pass_and_are_converted(notebook):
    values = parameters.validate(
        notebook,
        request(FAST="True", EPOCHS="0", RATE="1", SIZES="[8]", NAME="celeba", K2="3"),
    )
    assert values == {
        "FAST": True,
        "EPOCHS": 0,
        "RATE": 1.0,
        "SIZES": (8,),
        "NAME": "celeba",
        "K2": 3,
    }
    assert type(values["RATE"]) is float and type(values["SIZES"]) is tuple


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("EPOCHS", "abc", "EPOCHS=abc: expected a Python literal (a number,"),
        (
            "RATE",
            "fast",
            "RATE=fast: expected float like the default RATE=0.001; got str",
        ),
        ("K1", "True", "K1=True: expected int like the default K1=5; got bool"),
        ("FAST", "0", "FAST=0: expected bool like the default FAST=False; got int"),
        ("NAME", "3", "NAME=3: expected str like the default NAME='faces'; got int"),
        ("SIZES", "8", "expected tuple like the default SIZES=(250, 500); got int"),
        ("COMPUTED", "1", "nb.ipynb has no parameter COMPUTED. Its parameters: FAST,"),
        ("EPOCH", "1", "nb.ipynb has no parameter EPOCH. Did you mean EPOCHS?"),
    ],
)
def test_a_bad_request_names_what_is_expected(notebook, name, text, message):
    with pytest.raises(parameters.ParameterError) as error:
        parameters.validate(notebook, request(**{name: text}))
    assert message in str(error.value)


def test_a_notebook_without_a_parameters_cell_is_reported(tmp_path):
    path = tmp_path / "plain.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), path
    )
    with pytest.raises(
        parameters.ParameterError, match="has no cell tagged 'parameters'"
    ):
        parameters.notebook_defaults(path)
