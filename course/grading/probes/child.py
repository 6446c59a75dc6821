"""The grading child: limits itself, runs a set of answers (a student's or
the reference's) through an assignment's probes, and streams plain data
back to the parent.

The parent starts it as a fresh interpreter in isolated mode (`python -I`:
no PYTHON* variables, no user site, not even the working directory on
`sys.path`) with a scrubbed environment, in its own session; for a
submission, inside the bubblewrap sandbox (`course.grading.sandbox`).
Its one argument is a read-only task folder holding:

    task.json        the assignment's probe spec, the checks to run and the
                     answer names each needs, the resource limits, the
                     thread count, the channel's file descriptor and
                     whether this is the reference run
    inputs/*.npy     the check inputs (weights, sequences, states)
    submission.py    the kept code of the submission (not for the reference)

(A fork server, `probes.server`, runs the same steps in a child it forks
for each submission: `read_task`, `set_limits`, `read_inputs` and
`prepare` once, `grade` in each child.)

Before it reads the submission it sets its resource limits and fixes the
thread counts. It writes one JSON object per line to the channel, a pipe
the parent reads (`course.grading.outcome` parses it):

    {"event": "import_error", "error": E, "memory": bool}
    {"event": "loaded", "missing": [names]}
    {"event": "check", "name": C, "missing": [names]}
    {"event": "check", "name": C, "error": E, "memory": bool, "seconds": s}
    {"event": "check", "name": C, "arrays": {NAME: A}, "seconds": s}
    {"event": "finished"}

where E is `{"type", "message", "line"}` (the line of submission.py) and A
is `{"dtype", "shape", "data"}` (raw bytes, base64). Nothing it sends is
trusted: the parent accepts only the arrays it expects, as numeric arrays
of bounded size, and compares them with the reference itself.
"""

import base64
import json
import os
import pathlib
import re
import resource
import signal
import sys
import time
import traceback
import types

SUBMISSION_FILE = "submission.py"
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


class Channel:
    """The pipe to the parent: one JSON object per line, flushed at once."""

    def __init__(self, descriptor):
        self.file = os.fdopen(descriptor, "w", encoding="utf-8")

    def send(self, event, **fields):
        self.file.write(json.dumps({"event": event, **fields}) + "\n")
        self.file.flush()


def set_limits(task):
    """Resource limits of this process and everything it starts (soft and
    hard alike, so student code cannot raise them again)."""

    def limit(kind, value):
        resource.setrlimit(kind, (value, value))

    limit(resource.RLIMIT_DATA, task["memory_mb"] * 2**20)
    limit(resource.RLIMIT_FSIZE, task["file_size_mb"] * 2**20)
    limit(resource.RLIMIT_CORE, 0)
    if task["max_processes"] is not None:
        limit(resource.RLIMIT_NPROC, task["max_processes"])
    # A write past RLIMIT_FSIZE then fails with an OSError instead of
    # killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _prepare_keras(threads):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"the grader's probes need the TensorFlow backend, not {keras.backend.backend()}"
        )


def _load_submission(code, names):
    """Executes the submission's code as a module named `submission`;
    returns the answers it defines."""
    module = types.ModuleType("submission")
    module.__file__ = SUBMISSION_FILE
    sys.modules["submission"] = module
    exec(compile(code, SUBMISSION_FILE, "exec"), module.__dict__)
    return {name: module.__dict__[name] for name in names if name in module.__dict__}


def _reference_answers(name):
    # Only the trusted reference run gets here: the sandbox holds no
    # `course.grading`.
    from course.grading import assignments

    return assignments.get(name).reference_answers()


def _encode(arrays):
    import numpy as np

    encoded = {}
    for name, array in arrays.items():
        if not SAFE_NAME.match(name):
            raise ValueError(f"bad output name {name!r}")
        array = np.ascontiguousarray(array)
        encoded[name] = {
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii"),
        }
    return encoded


def _run_checks(task, answers, inputs, channel):
    from . import probe

    for name in task["checks"]:
        missing = [n for n in task["needs"][name] if n not in answers]
        if missing:
            channel.send("check", name=name, missing=missing)
            continue
        started = time.monotonic()
        try:
            if task["uses_keras"]:
                import keras

                keras.config.set_dtype_policy("float32")
            fields = {"arrays": _encode(probe(task["spec"], name, answers, inputs))}
        except MemoryError as error:
            channel.send("check", name=name, error=describe(error), memory=True)
            return  # the process is in no state to go on
        except BaseException as error:  # noqa: BLE001 - SystemExit etc. from student code
            fields = {"error": describe(error), "memory": False}
        fields["seconds"] = round(time.monotonic() - started, 3)
        channel.send("check", name=name, **fields)


def read_task(folder):
    """The task file of the task folder `folder`."""
    return json.loads((folder / "task.json").read_text())


def read_inputs(folder, task):
    """Dict name -> array: the check inputs in the task folder `folder`."""
    import numpy as np

    return {
        name: np.load(folder / "inputs" / f"{name}.npy", allow_pickle=False)
        for name in task["inputs"]
    }


def prepare(task):
    """What every run of `task` needs before it reads any code: Keras with
    the fixed thread counts, where the assignment uses it."""
    if task["uses_keras"]:
        _prepare_keras(task["threads"])


def grade(task, inputs, code, channel):
    """Runs `code` (a submission's, or None for the reference answers)
    through the task's checks and reports to `channel`."""
    if code is None:
        answers = _reference_answers(task["assignment"])
    else:
        try:
            answers = _load_submission(code, task["answers"])
        except BaseException as error:  # noqa: BLE001 - anything the code raises
            channel.send(
                "import_error",
                error=describe(error),
                memory=isinstance(error, MemoryError),
            )
            channel.send("finished")
            return
        channel.send("loaded", missing=[n for n in task["answers"] if n not in answers])
    _run_checks(task, answers, inputs, channel)
    channel.send("finished")


def main(argv):
    """Entry point: `argv` is [TASK_FOLDER]. Returns the exit status."""
    folder = pathlib.Path(argv[0])
    task = read_task(folder)
    channel = Channel(task["channel_fd"])
    set_limits(task)
    inputs = read_inputs(folder, task)
    prepare(task)
    code = None
    if not task["reference"]:
        code = (folder / SUBMISSION_FILE).read_text(encoding="utf-8")
    grade(task, inputs, code, channel)
    return 0


def run(argv):
    """The process's entry point: `main`, then exit at once, without
    waiting for threads or running exit handlers the submission left."""
    status = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
