"""A Gradescope autograder for one assignment.

`course assignments gradescope ASSIGNMENT --out autograder.zip` writes the
zip Gradescope's "Configure Autograder" page takes:

    setup.sh          run once when Gradescope builds the image: the OS
                      packages (Python 3.11+, venv, bubblewrap), then this
                      package from source/ into /autograder/venv
    run_autograder    run once per submission: grades the notebook or
                      module in /autograder/submission/ and writes
                      /autograder/results/results.json
    autograder.json   the assignment, its limits and the hidden checks'
                      visibility, read by run_autograder
    source/           this package's source (course, custom_layers, the
                      released student notebooks; never the solutions)

The per-submission step is `python -m course.grading.gradescope`, the same
grader as `course grade`: a fresh seed per run, the sandboxed child, the
checks compared in the trusted parent. results.json follows Gradescope's
documented format (`score`, `output`, `visibility`, `stdout_visibility`,
and `tests` with `name`, `score`, `max_score`, `output`, `visibility`).
Hidden checks get the visibility the instructor chose (default
`after_published`: students see them once grades are published).
"""

import argparse
import json
import os
import pathlib
import stat
import sys
import zipfile

from course.grading.limits import DEFAULT_DISK_MB
from course.grading.limits import DEFAULT_MAX_PROCESSES

CONFIG_FILE = "autograder.json"
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DEFAULT_HIDDEN_VISIBILITY = "after_published"
PACKAGE_FILES = ("pyproject.toml", "README.md")
PACKAGE_FOLDERS = ("course", "custom_layers")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# Choose an Ubuntu 24.04 base image (Python 3.12) in the autograder settings.
set -euo pipefail
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-venv bubblewrap
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "keras-rnn-course needs Python 3.11 or newer; this image has" \\
        "$(python3 --version): choose the Ubuntu 24.04 base image" >&2
    exit 1
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q /autograder/source/source
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this once per submission. AUTOGRADER_ROOT and
# AUTOGRADER_PYTHON exist for testing this file outside Gradescope.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
python="${AUTOGRADER_PYTHON:-$root/venv/bin/python}"
cd "$root/source/source"
exec "$python" -m course.grading.gradescope --root "$root" \\
    --config "$root/source/autograder.json"
"""


def _add_tree(archive, folder, name):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            archive.write(path, f"{name}/{path.relative_to(folder)}")


def _add_script(archive, name, text):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    archive.writestr(info, text)


def build(
    assignment_name,
    out,
    repository,
    timeout,
    memory_mb,
    hidden_visibility,
    max_processes=DEFAULT_MAX_PROCESSES,
    disk_mb=DEFAULT_DISK_MB,
    weaker_isolation=False,
):
    """Writes the autograder zip for `assignment_name` to `out`.

    Args:
        assignment_name: The assignment (`course assignments list`).
        out: The zip to write.
        repository: The checkout whose package is shipped (its root).
        timeout: Wall-clock seconds per submission.
        memory_mb: Memory of a submission's process tree, MiB.
        hidden_visibility: When students see the hidden checks: one of
            `VISIBILITIES`.
        max_processes: Processes and threads per submission.
        disk_mb: Size of a submission's working folder, MiB.
        weaker_isolation: Grade even where bubblewrap cannot make a sandbox
            (some container hosts forbid user namespaces); each result then
            says so. Without it, such a run fails with a message saying why.

    Returns:
        The names in the zip.
    """
    from course.grading import assignments
    from course.grading import release

    assignment = assignments.get(assignment_name)
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(
            f"unknown visibility {hidden_visibility!r}; expected one of "
            f"{', '.join(VISIBILITIES)}"
        )
    repository = pathlib.Path(repository)
    missing = [
        name
        for name in (*PACKAGE_FILES, *PACKAGE_FOLDERS)
        if not (repository / name).exists()
    ]
    if missing:
        raise FileNotFoundError(
            f"{repository} is not a keras-rnn-course checkout (no "
            f"{', '.join(missing)}); run from the repository root"
        )
    config = {
        "assignment": assignment.name,
        "timeout_seconds": timeout,
        "memory_mb": memory_mb,
        "max_processes": max_processes,
        "disk_mb": disk_mb,
        "hidden_visibility": hidden_visibility,
        "weaker_isolation": bool(weaker_isolation),
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_script(archive, "setup.sh", SETUP_SH)
        _add_script(archive, "run_autograder", RUN_AUTOGRADER)
        archive.writestr(CONFIG_FILE, json.dumps(config, indent=2) + "\n")
        for name in PACKAGE_FILES:
            archive.write(repository / name, f"source/{name}")
        for name in PACKAGE_FOLDERS:
            _add_tree(archive, repository / name, f"source/{name}")
        released = release.STUDENT_DIR / assignment.notebook
        archive.write(repository / released, f"source/{released.as_posix()}")
        return archive.namelist()


def _submission_file(folder, assignment):
    """The file to grade in Gradescope's submission folder: the only
    notebook or module, else the one named like the student notebook."""
    candidates = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix in (".ipynb", ".py")
        and ".ipynb_checkpoints" not in path.parts
    )
    if len(candidates) == 1:
        return candidates[0], None
    named = [path for path in candidates if path.name == assignment.notebook]
    if len(named) == 1:
        return named[0], None
    if not candidates:
        return None, (
            f"No notebook (.ipynb) or module (.py) was submitted; upload "
            f"{assignment.notebook}."
        )
    return None, (
        f"{len(candidates)} notebooks or modules were submitted "
        f"({', '.join(p.name for p in candidates[:5])}); upload only "
        f"{assignment.notebook}, or name your answer so."
    )


def _failure(message):
    return {
        "score": 0.0,
        "output": message,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def run(root, config):
    """Grades the submission under `root` (laid out as /autograder/) and
    writes root/results/results.json; returns that dictionary."""
    import course.grading
    from course.grading import assignments
    from course.grading import reports
    from course.grading.sandbox import SandboxUnavailable

    root = pathlib.Path(root)
    assignment = assignments.get(config["assignment"])
    path, problem = _submission_file(root / "submission", assignment)
    if problem:
        results = _failure(problem)
    else:
        try:
            batch = course.grading.grade(
                assignment.name,
                [path],
                timeout=float(config["timeout_seconds"]),
                memory_mb=int(config["memory_mb"]),
                max_processes=int(config["max_processes"]),
                disk_mb=int(config["disk_mb"]),
                sandbox=not config["weaker_isolation"],
            )
        except (course.grading.GradingError, SandboxUnavailable) as error:
            results = _failure(f"The autograder could not grade: {error}")
        else:
            results = reports.gradescope_results(batch, batch.results[0])
            for test in results["tests"]:
                if test["visibility"] != "visible":
                    test["visibility"] = config["hidden_visibility"]
    out = root / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return results


def _read_config(path):
    from course.grading import assignments

    try:
        config = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
        assignments.get(config["assignment"])
        float(config["timeout_seconds"])
        int(config["memory_mb"])
        int(config["max_processes"])
        int(config["disk_mb"])
        bool(config["weaker_isolation"])
        if config["hidden_visibility"] not in VISIBILITIES:
            raise ValueError(f"unknown visibility {config['hidden_visibility']!r}")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(f"course.grading.gradescope: bad {path}: {error}") from error
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m course.grading.gradescope",
        description="Grade the submission of a Gradescope autograder run.",
    )
    parser.add_argument("--root", default="/autograder")
    parser.add_argument("--config", required=True)
    args = parser.parse_args(argv)
    results = run(args.root, _read_config(args.config))
    print(f"score {results['score']:g}: {results['output']}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
