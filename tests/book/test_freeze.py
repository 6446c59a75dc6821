"""The freeze cache: which runs the book reuses and which it executes, on
hand-made runs, and then on real executions of tiny notebooks."""

import nbformat
import pytest

from course.book import freeze
from tests.book.helpers import notebook
from tests.book.helpers import tiny_course
from tests.book.helpers import touch


def write_run(course, name, parameters, exception=None, end_time="2026-01-02T03:04:05"):
    """A run of notebooks/NAME in RUNS as papermill records it."""
    source = course.root / "notebooks" / name
    run = freeze.run_path(source, course.root / "runs")
    run.parent.mkdir(parents=True, exist_ok=True)
    executed = nbformat.read(source, as_version=4)
    executed.metadata["papermill"] = {
        "parameters": parameters,
        "exception": exception,
        "end_time": end_time,
    }
    nbformat.write(executed, run)
    touch(run)
    return run


@pytest.fixture
def course(tmp_path):
    return tiny_course(tmp_path, {"00_a.ipynb": notebook("A", "print(1)")})


def decide(course, fast):
    return freeze.decide(course.notebooks[0], course.root / "runs", fast)


@pytest.mark.parametrize(
    ("parameters", "fast", "reuse"),
    [
        ({"FAST": True}, True, True),
        ({"FAST": True}, False, False),  # the full book replaces a fast run
        ({}, True, True),  # a full run serves the fast book too
        ({}, False, True),
        ({"FAST": False}, False, True),
    ],
)
def test_a_fresh_run_is_reused_by_the_books_of_its_mode(
    course, parameters, fast, reuse
):
    write_run(course, "00_a.ipynb", parameters)
    assert decide(course, fast).reuse is reuse


def test_a_missing_stale_failed_or_unfinished_run_is_executed(course):
    assert decide(course, True).reason == "no run yet"
    write_run(course, "00_a.ipynb", {"FAST": True}, exception=True)
    assert decide(course, True).reason == "the run failed or did not finish"
    write_run(course, "00_a.ipynb", {"FAST": True}, end_time=None)
    assert not decide(course, True).reuse
    run = write_run(course, "00_a.ipynb", {"FAST": True})
    executed = nbformat.read(run, as_version=4)
    executed.cells[-1].outputs = [
        nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[])
    ]
    nbformat.write(executed, run)
    assert not decide(course, True).reuse
    write_run(course, "00_a.ipynb", {"FAST": True})
    assert decide(course, True).reuse
    touch(course.notebooks[0], seconds_later=10)
    assert decide(course, True).reason == "the notebook changed since its run"


def test_a_run_with_its_own_parameters_stops_the_book_and_is_kept(course):
    run = write_run(course, "00_a.ipynb", {"FAST": True, "EPOCHS": 5})
    before = run.read_bytes()
    with pytest.raises(freeze.BookError, match="-p EPOCHS=5") as raised:
        freeze.refresh(course.notebooks, course.root / "runs", fast=True)
    assert str(run) in str(raised.value) and "--runs DIR" in str(raised.value)
    assert run.read_bytes() == before


def test_the_book_executes_only_missing_and_touched_notebooks(tmp_path, capsys):
    course = tiny_course(
        tmp_path,
        {
            "00_a.ipynb": notebook("A", "print('mode', 'fast' if FAST else 'full')"),
            "01_b.ipynb": notebook("B", "print('b')"),
        },
    )
    runs = tmp_path / "runs"
    executed = freeze.refresh(course.notebooks, runs, fast=True)
    assert executed == [runs / "00_a" / "00_a.ipynb", runs / "01_b" / "01_b.ipynb"]
    printed = nbformat.read(executed[0], as_version=4).cells[-1].outputs[0].text
    assert printed == "mode fast\n"
    log = capsys.readouterr().out
    assert log.count("execute ") == 2 and "no run yet" in log

    modified = [run.stat().st_mtime_ns for run in executed]
    freeze.refresh(course.notebooks, runs, fast=True)
    assert "execute " not in capsys.readouterr().out
    assert [run.stat().st_mtime_ns for run in executed] == modified

    touch(course.notebooks[1], seconds_later=10)
    freeze.refresh(course.notebooks, runs, fast=True)
    log = capsys.readouterr().out
    assert "reuse    00_a.ipynb" in log and "execute  01_b.ipynb" in log
    assert executed[0].stat().st_mtime_ns == modified[0]
    assert executed[1].stat().st_mtime_ns != modified[1]


def test_a_failing_notebook_stops_the_book_with_its_cell_and_error(tmp_path, capsys):
    course = tiny_course(
        tmp_path,
        {
            "00_a.ipynb": notebook("A", "print('a')"),
            "01_b.ipynb": notebook("B", "assert 1 + 1 == 3, 'the claim does not hold'"),
            "02_c.ipynb": notebook("C", "print('c')"),
        },
    )
    runs = tmp_path / "runs"
    with pytest.raises(freeze.NotebookFailed, match="01_b.ipynb failed") as raised:
        freeze.refresh(course.notebooks, runs, fast=True)
    assert raised.value.status == 1
    error = capsys.readouterr().err
    assert "assert 1 + 1 == 3, 'the claim does not hold'" in error
    assert "AssertionError: the claim does not hold" in error
    assert (runs / "00_a" / "00_a.ipynb").is_file()  # kept for the next build
    assert not (runs / "02_c").exists()  # nothing runs after the failure
