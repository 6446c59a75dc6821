"""Fixtures of the book's tests (their helpers are in `helpers.py`)."""

import os
import shutil

import pytest

import course.book


def require(problem):
    """Skips the test for a missing optional tool; in CI (CI=true), where
    `.ci/run` installs them all, fails it instead."""
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture(scope="module")
def book_extra():
    require(course.book.missing_extra())


@pytest.fixture(scope="module")
def chromium():
    """The paths of Debian's chromium and chromedriver (`.ci/run` installs
    them); skips, or fails in CI, without them or selenium."""
    require(course.book.missing_extra())
    paths = {name: shutil.which(name) for name in ("chromium", "chromedriver")}
    missing = [name for name, path in paths.items() if path is None]
    require(
        missing
        and f"the browser test needs {' and '.join(missing)}: "
        f"apt-get install -y chromium chromium-driver (as .ci/run does)"
    )
    try:
        import selenium  # noqa: F401
    except ImportError:
        require('the browser test needs selenium: pip install -e ".[book]"')
    return paths
