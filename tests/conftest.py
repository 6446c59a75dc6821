"""Shared by the test folders: the fast-mode runs of the notebooks, which the
notebook tests make and the book's tests build the book from, and the order
that puts the book's tests after the notebook tests."""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Under the git-ignored runs/, kept between sessions: the book reuses a run
# only while it is newer than its notebook.
FAST_RUNS = ROOT / "runs" / "pytest" / "notebooks"
BOOK_TESTS = ROOT / "tests" / "book"


@pytest.fixture(scope="session")
def fast_runs():
    """The run folder (`course run --fast --out`) of the notebook tests."""
    FAST_RUNS.mkdir(parents=True, exist_ok=True)
    return FAST_RUNS


def pytest_collection_modifyitems(items):
    """The book's tests run last, so that in a whole-suite run they find
    every notebook's fast run made and execute none."""
    items.sort(key=lambda item: BOOK_TESTS in pathlib.Path(item.path).parents)
