"""The grading child: confines itself, runs a set of answers (a student's
or the reference's) through an assignment's probes, and writes plain data.

The parent starts it as a fresh interpreter in isolated mode (`python -I`:
no PYTHON* variables, no user site, not even the working directory on
`sys.path`), with a scrubbed environment, in its own session and process
group, in a private working directory WORKDIR holding:

    task.json        assignment, checks to run, memory limit, thread count,
                     whether this is the reference run
    inputs/*.npy     the check inputs (weights, sequences, states)
    submission.py    the kept code of the submission (not for the reference)

Before it reads the submission it applies `course.grading.sandbox.confine`
and fixes the thread counts. It writes only plain data back:

    outputs/CHECK/NAME.npy   numeric arrays (saved with allow_pickle=False)
    report.json              rewritten after every step: the sandbox it got,
                             an import error, missing names, and per check
                             "done", "missing" or an error {type, message, line}

Nothing it writes is trusted: the parent reads only the files it expects,
as numeric arrays, and compares them with the reference itself.
"""

import json
import os
import pathlib
import re
import sys
import time
import traceback
import types

SUBMISSION_FILE = "submission.py"
REPORT_FILE = "report.json"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_]{1,100}$")
MAX_MESSAGE = 2000


def describe(error):
    """An exception as plain data: type, message and the line of
    submission.py where it happened (the deepest such frame), if any."""
    line = None
    if isinstance(error, SyntaxError) and error.filename == SUBMISSION_FILE:
        line = error.lineno
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == SUBMISSION_FILE:
            line = frame.lineno
    try:
        message = str(error)
    except Exception:  # a student's exception class with a broken __str__
        message = ""
    return {
        "type": type(error).__name__,
        "message": message[:MAX_MESSAGE],
        "line": line,
    }


class Report:
    """report.json, replaced atomically at every `write`."""

    def __init__(self, workdir):
        self.path = workdir / REPORT_FILE
        self.data = {
            "sandbox": None,
            "import_error": None,
            "memory_error": False,
            "missing": [],
            "checks": {},
            "finished": False,
        }

    def write(self):
        temporary = self.path.with_name(REPORT_FILE + ".part")
        temporary.write_text(json.dumps(self.data))
        os.replace(temporary, self.path)


def _prepare_keras(threads):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"the grader's probes need the TensorFlow backend, not {keras.backend.backend()}"
        )


def _load_submission(path, names):
    """Executes submission.py as a module named `submission`; returns it."""
    module = types.ModuleType("submission")
    module.__file__ = SUBMISSION_FILE
    sys.modules["submission"] = module
    code = compile(path.read_text(encoding="utf-8"), SUBMISSION_FILE, "exec")
    exec(code, module.__dict__)
    return {name: module.__dict__[name] for name in names if name in module.__dict__}


def _save(workdir, check, arrays):
    import numpy as np

    folder = workdir / "outputs" / check
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        if not SAFE_NAME.match(name):
            raise ValueError(f"bad output name {name!r}")
        np.save(folder / f"{name}.npy", np.asarray(array), allow_pickle=False)


def _run_checks(workdir, task, assignment, answers, inputs, report):
    for name in task["checks"]:
        check = assignment.check(name)
        missing = [n for n in check.needs if n not in answers]
        if missing:
            report.data["checks"][name] = {"missing": missing}
            report.write()
            continue
        started = time.monotonic()
        try:
            if assignment.uses_keras:
                import keras

                keras.config.set_dtype_policy("float32")
            arrays = assignment.probe(name, answers, inputs)
            _save(workdir, name, arrays)
            outcome = {"done": True}
        except MemoryError as error:
            report.data["memory_error"] = True
            report.data["checks"][name] = {"error": describe(error)}
            report.write()
            return  # the process is in no state to go on
        except BaseException as error:  # noqa: BLE001 - SystemExit etc. from student code
            outcome = {"error": describe(error)}
        outcome["seconds"] = round(time.monotonic() - started, 3)
        report.data["checks"][name] = outcome
        report.write()


def main(argv):
    """Entry point: `argv` is [WORKDIR]. Returns the exit status."""
    workdir = pathlib.Path(argv[0]).resolve()
    task = json.loads((workdir / "task.json").read_text())
    report = Report(workdir)

    from course.grading import sandbox

    report.data["sandbox"] = sandbox.confine(workdir, task["memory_mb"])
    report.write()

    import numpy as np

    from course.grading import assignments

    assignment = assignments.get(task["assignment"])
    inputs = {
        name: np.load(workdir / "inputs" / f"{name}.npy", allow_pickle=False)
        for name in task["inputs"]
    }
    if assignment.uses_keras:
        _prepare_keras(task["threads"])

    if task["reference"]:
        answers = assignment.reference_answers()
    else:
        try:
            answers = _load_submission(workdir / SUBMISSION_FILE, assignment.answers)
        except MemoryError as error:
            report.data["memory_error"] = True
            report.data["import_error"] = describe(error)
            answers = None
        except BaseException as error:  # noqa: BLE001 - anything the code raises
            report.data["import_error"] = describe(error)
            answers = None
        if answers is None:
            report.data["finished"] = True
            report.write()
            return 0
        report.data["missing"] = [n for n in assignment.answers if n not in answers]
        report.write()

    _run_checks(workdir, task, assignment, answers, inputs, report)
    report.data["finished"] = True
    report.write()
    return 0


def run(argv):
    """The process's entry point: `main`, then exit at once, without
    waiting for threads or running exit handlers the submission left."""
    status = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
