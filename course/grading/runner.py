"""Parent side of a grading child process: start it, time it out, kill it
and everything it started, and read back what it wrote, as plain data.

`run_child` writes the task and inputs into a fresh private working
directory, starts `course.grading.child` there as a fresh isolated
interpreter with a scrubbed environment (no variable of the grader's own
environment reaches it: the seed and the output folder are never passed),
CPU only, fixed thread counts, in a new session (so its process group can
be killed as a whole), waits at most `timeout` seconds of wall-clock time,
kills the process group, and on Linux also kills any process that escaped
the group (the grader makes itself a "child subreaper", so orphans of the
child are re-parented to it and can be found). Then it reads the child's
report and the arrays it was asked for, refusing links, special files,
oversized files and anything that is not a numeric .npy.
"""

import contextlib
import ctypes
import ctypes.util
import dataclasses
import io
import json
import os
import pathlib
import signal
import stat
import subprocess
import sys
import time

import numpy as np

from course.grading.child import REPORT_FILE
from course.grading.child import SAFE_NAME
from course.grading.child import SUBMISSION_FILE

MAX_REPORT_BYTES = 2**20
MAX_ARRAY_BYTES = 16 * 2**20
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[2]
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, {root!r}); "
    "from course.grading.child import run; run(sys.argv[1:])"
)


@dataclasses.dataclass
class ChildRun:
    """What one child process did.

    Attributes:
        returncode: Its exit status (negative: killed by that signal).
        timed_out: Whether the parent killed it at the timeout.
        seconds: Wall-clock time from start to exit.
        report: The report.json it wrote (a dict; {} if none was readable).
        arrays: check -> name -> array, or a string saying why there is none.
    """

    returncode: int
    timed_out: bool
    seconds: float
    report: dict
    arrays: dict


def child_command(workdir):
    """The command line of a child working in `workdir`."""
    bootstrap = _BOOTSTRAP.format(root=str(_PACKAGE_ROOT))
    return [sys.executable, "-I", "-B", "-c", bootstrap, str(workdir)]


def child_environment(workdir, threads):
    """The child's whole environment: nothing of the parent's but PATH."""
    threads = str(threads)
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "KERAS_HOME": str(workdir / ".keras"),
        "KERAS_BACKEND": "tensorflow",
        "MPLCONFIGDIR": str(workdir / ".matplotlib"),
        "MPLBACKEND": "Agg",
        "CUDA_VISIBLE_DEVICES": "-1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
    }


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


@contextlib.contextmanager
def subreaper():
    """Makes this process adopt orphaned descendants (Linux) for a while."""
    if not sys.platform.startswith("linux"):
        yield False
        return
    libc = _libc()
    previous = ctypes.c_int(0)
    libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(previous), 0, 0, 0)
    enabled = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    try:
        yield enabled
    finally:
        if enabled and not previous.value:
            libc.prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def _children():
    """PIDs whose parent is this process (Linux /proc); empty elsewhere."""
    me = os.getpid()
    found = set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                fields = file.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == me:
            found.add(int(entry))
    return found


def _kill_group(pid):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _kill_strays(known):
    """Kills children of this process not in `known` (orphans the child
    left behind and that were re-parented here), until none is left."""
    for _ in range(1000):
        strays = _children() - known
        if not strays:
            return
        for pid in strays:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for pid in strays:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _read_file(workdir, parts, limit):
    """Bytes of workdir/parts..., refusing links, special files and files
    over `limit` bytes; raises OSError/ValueError saying why."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptor = os.open(workdir, flags | os.O_DIRECTORY)
    try:
        for part in parts[:-1]:
            inner = os.open(part, flags | os.O_DIRECTORY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
        inner = os.open(parts[-1], flags | os.O_NONBLOCK, dir_fd=descriptor)
        os.close(descriptor)
        descriptor = inner
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise ValueError("not a regular file")
        if status.st_size > limit:
            raise ValueError(f"larger than {limit // 2**20} MiB")
        with os.fdopen(descriptor, "rb") as file:
            descriptor = None
            return file.read(limit + 1)[:limit]
    finally:
        if descriptor is not None:
            os.close(descriptor)


def read_report(workdir):
    """The child's report.json as a dict ({} if absent or malformed)."""
    try:
        report = json.loads(_read_file(workdir, [REPORT_FILE], MAX_REPORT_BYTES))
    except (OSError, ValueError, RecursionError):  # e.g. [[[[...]]]] nested too deep
        return {}
    return report if isinstance(report, dict) else {}


def read_array(workdir, check, name):
    """One output array, or a string saying why it cannot be used."""
    if not (SAFE_NAME.match(check) and SAFE_NAME.match(name)):
        raise ValueError(f"bad output name {check}/{name}")
    try:
        data = _read_file(workdir, ["outputs", check, f"{name}.npy"], MAX_ARRAY_BYTES)
    except FileNotFoundError:
        return "not produced"
    except (OSError, ValueError) as error:
        return f"unreadable output ({error})"
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as error:  # noqa: BLE001 - any malformed file
        return f"unreadable output ({type(error).__name__})"
    if not isinstance(array, np.ndarray):
        return "unreadable output (not a .npy array)"
    if array.dtype.kind not in "biuf":
        return f"not a numeric array ({array.dtype})"
    return array


def _trusted_names(workdir, check):
    folder = workdir / "outputs" / check
    if not folder.is_dir():
        return []
    return sorted(
        path.stem for path in folder.glob("*.npy") if SAFE_NAME.match(path.stem)
    )


def run_child(
    workdir,
    *,
    assignment,
    checks,
    inputs,
    timeout,
    memory_mb,
    threads=1,
    code=None,
    expected=None,
):
    """Runs one child in `workdir` (an empty private directory).

    Args:
        workdir: The child's working directory (created by the caller).
        assignment: The assignment's name.
        checks: Names of the checks to run.
        inputs: Dict name -> array, written as inputs/NAME.npy.
        timeout: Wall-clock seconds before the process group is killed.
        memory_mb: The child's data-segment limit.
        threads: Thread count for TensorFlow and the BLAS libraries.
        code: The submission's kept code; None runs the reference answers.
        expected: Dict check -> output names to read back (a submission's
            run); None reads whatever the (trusted reference) child wrote.

    Returns:
        A `ChildRun`.
    """
    workdir = pathlib.Path(workdir)
    (workdir / "inputs").mkdir()
    for name, array in inputs.items():
        np.save(workdir / "inputs" / f"{name}.npy", array, allow_pickle=False)
    if code is not None:
        (workdir / SUBMISSION_FILE).write_text(code, encoding="utf-8")
    task = {
        "assignment": assignment,
        "checks": list(checks),
        "inputs": sorted(inputs),
        "memory_mb": memory_mb,
        "threads": threads,
        "reference": code is None,
    }
    (workdir / "task.json").write_text(json.dumps(task))

    known = _children()
    started = time.monotonic()
    with open(workdir / "output.txt", "wb") as output:
        process = subprocess.Popen(
            child_command(workdir),
            cwd=workdir,
            env=child_environment(workdir, threads),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        process.wait(timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        _kill_group(process.pid)
        process.wait()
        _kill_strays(known)
    seconds = time.monotonic() - started

    arrays = {}
    for check in checks:
        names = (
            _trusted_names(workdir, check)
            if expected is None
            else expected.get(check, ())
        )
        arrays[check] = {name: read_array(workdir, check, name) for name in names}
    return ChildRun(
        process.returncode, timed_out, seconds, read_report(workdir), arrays
    )


def output_tail(workdir, characters=3000):
    """The end of what the child printed (for the instructor's debugging)."""
    try:
        data = _read_file(pathlib.Path(workdir), ["output.txt"], 64 * 2**20)
    except (OSError, ValueError):
        return ""
    return data[-characters:].decode("utf-8", "replace")
