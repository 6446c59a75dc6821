"""The set-up files agree with each other: pyproject.toml, environment.yml,
the README's two commands and the CI script."""

import pathlib
import re
import subprocess
import sys
import tomllib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def environment_pip_section():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    for entry in environment["dependencies"]:
        if isinstance(entry, dict) and "pip" in entry:
            return environment, entry["pip"]
    raise AssertionError("environment.yml has no pip section")


def normalise(requirement):
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_lists_the_same_dependencies_as_pyproject():
    _, pip_section = environment_pip_section()
    listed = {normalise(r) for r in pip_section if not r.startswith("-e")}
    declared = {normalise(r) for r in pyproject()["project"]["dependencies"]}
    assert listed == declared


def test_environment_installs_this_package_with_its_extras():
    environment, pip_section = environment_pip_section()
    editable = [r for r in pip_section if r.startswith("-e")]
    assert editable == ["-e .[test,jax,book]"]
    extras = pyproject()["project"]["optional-dependencies"]
    assert {"test", "jax", "gpu", "book"} <= set(extras)
    assert "conda-forge" in environment["channels"]


def as_tuple(version):
    return tuple(int(part) for part in version.split("."))


def test_environment_python_is_supported():
    environment, _ = environment_pip_section()
    pins = [d for d in environment["dependencies"] if str(d).startswith("python=")]
    assert len(pins) == 1
    minor = as_tuple(pins[0].split("=")[1])
    low, high = re.match(
        r">=(\d+\.\d+),<(\d+\.\d+)", pyproject()["project"]["requires-python"]
    ).groups()
    assert as_tuple(low) <= minor < as_tuple(high)
    assert as_tuple(low) <= sys.version_info[:2] < as_tuple(high)


def readme_commands():
    """The shell commands of the README's first code block."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)\n(.*?)```", readme, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_starts_with_the_two_setup_commands():
    main_job, tests = readme_commands()
    assert main_job.startswith("python3 -m venv .venv && ")
    assert tests.startswith("python3 -m venv .venv && ")
    assert "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command():
    _, tests = readme_commands()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci_lines


def test_readme_tour_runs():
    """The README's Python example executes as written."""
    readme = (ROOT / "README.md").read_text()
    tour = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    exec(compile(tour, "README.md", "exec"), {})


def test_code_is_formatted_and_linted():
    """ruff, configured in pyproject.toml, is the law: `ruff format` leaves
    every file (notebooks included) as it is and `ruff check` finds nothing."""
    ruff = [sys.executable, "-m", "ruff"]
    formatted = subprocess.run(
        [*ruff, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    linted = subprocess.run(
        [*ruff, "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
