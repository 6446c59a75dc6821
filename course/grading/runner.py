"""Parent side of a grading child process: start it, time it out, kill it
and everything it started, and collect what it sent, as plain data.

`run_child` writes the task, the inputs and the code into a fresh task
folder, starts `course.grading.probes.child` as a fresh isolated
interpreter with a scrubbed environment (no variable of the grader's own
environment reaches it: the seed and the output folder are never passed),
CPU only, fixed thread counts, in a new session, inside the bubblewrap
sandbox (`course.grading.sandbox`) and its own control groups
(`course.grading.limits`) where it grades a submission. It waits at most
the timeout, kills the process group and the control groups' processes
(in the sandbox, its PID namespace ends with it; without the sandbox, on
Linux, also any process that escaped: the grader makes itself a "child
subreaper", so orphans are re-parented to it and can be found), and hands
the bytes the child sent over its channel to `course.grading.outcome`.
"""

import contextlib
import ctypes
import ctypes.util
import dataclasses
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import numpy as np

from course.grading import limits
from course.grading import outcome
from course.grading import sandbox as sandboxes
from course.grading.probes.child import SUBMISSION_FILE

MAX_CHANNEL_BYTES = 64 * 2**20
MAX_OUTPUT_BYTES = 64 * 2**10  # the tail of what a child printed
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[2]
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, {root!r}); "
    "from {package}.{entry} import run; run(sys.argv[1:])"
)


@dataclasses.dataclass(frozen=True)
class Settings:
    """How children run.

    Attributes:
        timeout: Wall-clock seconds before the process group is killed.
        memory_mb: Memory of a child's whole process tree (see `limits`).
        threads: Thread count for TensorFlow and the BLAS libraries.
        max_processes: Tasks (processes and threads) a child may have.
        disk_mb: Size of a sandboxed child's working folder.
        sandbox: The `sandbox.Bubblewrap` submissions run in, or None to
            run them without (weaker isolation, chosen explicitly).
    """

    timeout: float
    memory_mb: int
    threads: int = 1
    max_processes: int = limits.DEFAULT_MAX_PROCESSES
    disk_mb: int = limits.DEFAULT_DISK_MB
    sandbox: sandboxes.Bubblewrap | None = None


@dataclasses.dataclass(frozen=True)
class ChildRun:
    """What one child process did.

    Attributes:
        returncode: Its exit status (negative: killed by that signal).
        timed_out: Whether the parent killed it at the timeout.
        out_of_memory: Whether the kernel killed its tree at the memory limit.
        seconds: Wall-clock time from start to exit.
        outcome: The `outcome.ChildOutcome` parsed from what it sent.
        limits: The `limits.Limits` it ran under.
        printed: The end of what it printed (for an instructor's debugging).
    """

    returncode: int
    timed_out: bool
    out_of_memory: bool
    seconds: float
    outcome: outcome.ChildOutcome
    limits: limits.Limits
    printed: str


def child_environment(home, threads):
    """The child's whole environment: nothing of the parent's but PATH."""
    threads = str(threads)
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "LANG": "C.UTF-8",
        "KERAS_HOME": str(home / ".keras"),
        "KERAS_BACKEND": "tensorflow",
        "MPLCONFIGDIR": str(home / ".matplotlib"),
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


def kill_group(pid):
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


class PipeReader(threading.Thread):
    """Reads a pipe from the child to its end, keeping at most `limit`
    bytes: the first ones (`keep="head"`, the channel) or the last ones
    (`keep="tail"`, what it printed). So a child can neither block on a
    full pipe nor fill the grader's memory."""

    def __init__(self, descriptor, limit, keep):
        super().__init__(daemon=True)
        self.descriptor, self.limit, self.keep = descriptor, limit, keep
        self.data, self.overflow = bytearray(), False

    def run(self):
        with os.fdopen(self.descriptor, "rb", buffering=0) as pipe:
            while chunk := pipe.read(2**16):
                if len(self.data) + len(chunk) <= self.limit:
                    self.data += chunk
                    continue
                self.overflow = True
                if self.keep == "tail":
                    self.data = (self.data + chunk)[-self.limit :]


def command(launch, task_folder, entry="child"):
    """The command line of the probes' module `entry` (`child`, or the fork
    `server`), under `launch` (a `sandbox.Launch`) or without a sandbox
    (None)."""
    if launch is not None:
        root, package = sandboxes.GRADER_FOLDER, "probes"
        prefix, argument = launch.arguments, sandboxes.TASK_FOLDER
    else:
        root, package = str(_PACKAGE_ROOT), "course.grading.probes"
        prefix, argument = [], str(task_folder)
    bootstrap = _BOOTSTRAP.format(root=root, package=package, entry=entry)
    return [*prefix, sys.executable, "-I", "-B", "-c", bootstrap, argument]


def write_task(folder, assignment, checks, inputs, fields):
    """The task folder `folder` (see `probes.child`) without the code:
    the check inputs and task.json, with `fields` (the limits, the
    descriptors, whether it is the reference run) added."""
    (folder / "inputs").mkdir(parents=True)
    for name, array in inputs.items():
        np.save(folder / "inputs" / f"{name}.npy", array, allow_pickle=False)
    task = {
        "assignment": assignment.name,
        "spec": assignment.probe_spec,
        "answers": list(assignment.answers),
        "checks": [check.name for check in checks],
        "needs": {check.name: list(check.needs) for check in checks},
        "uses_keras": assignment.uses_keras,
        "inputs": sorted(inputs),
        "file_size_mb": limits.FILE_SIZE_MB,
        **fields,
    }
    (folder / "task.json").write_text(json.dumps(task))


def collect(readers, checks, expected, lost=False):
    """(outcome, printed) from the `PipeReader`s of a child's channel and
    output once it has ended; `lost`: the child's end was not seen (its
    fork server went away), so it never counts as finished."""
    for reader in readers.values():
        reader.join(10)
    parsed = outcome.parse(
        bytes(readers["channel"].data),
        checks=[check.name for check in checks],
        expected=expected,
        overflow=readers["channel"].overflow,
    )
    if lost:
        parsed = dataclasses.replace(parsed, finished=False)
    printed = bytes(readers["printed"].data).decode("utf-8", "replace")
    return parsed, printed


def read_pipes(channel, printed):
    """Started `PipeReader`s of a child's channel and output pipes."""
    readers = {
        "channel": PipeReader(channel, MAX_CHANNEL_BYTES, keep="head"),
        "printed": PipeReader(printed, MAX_OUTPUT_BYTES, keep="tail"),
    }
    for reader in readers.values():
        reader.start()
    return readers


def run_child(workdir, assignment, checks, inputs, settings, code=None, expected=None):
    """Runs one child with `workdir` (an empty private folder) as scratch.

    Args:
        workdir: A fresh folder of the grader's for this child.
        assignment: The `Assignment`.
        checks: The `Check`s to run.
        inputs: Dict name -> array, the check inputs.
        settings: The `Settings`.
        code: The submission's kept code, run in the sandbox (unless
            `settings.sandbox` is None); None runs the trusted reference
            answers, outside it.
        expected: Dict check -> the array names to accept (a submission's
            run); None accepts whatever the trusted reference sends.

    Returns:
        A `ChildRun`.
    """
    workdir = pathlib.Path(workdir)
    sandboxed = code is not None and settings.sandbox is not None
    home = pathlib.Path(sandboxes.WORK_FOLDER) if sandboxed else workdir / "home"
    if not sandboxed:
        (home / "tmp").mkdir(parents=True)
    known = _children()
    with limits.ChildLimits(settings.memory_mb, settings.max_processes) as child_limits:
        # Pipes only: no host file is ever one of the child's descriptors.
        channel, channel_end = os.pipe()
        printed, printed_end = os.pipe()
        stdin, stdin_end = os.pipe()
        os.close(stdin_end)  # an empty standard input
        write_task(
            workdir / "task",
            assignment,
            checks,
            inputs,
            {
                "channel_fd": channel_end,
                "memory_mb": settings.memory_mb,
                "max_processes": child_limits.rlimit_processes,
                "threads": settings.threads,
                "reference": code is None,
            },
        )
        if code is not None:
            (workdir / "task" / SUBMISSION_FILE).write_text(code, encoding="utf-8")
        launch = (
            settings.sandbox.launch(workdir / "task", settings.disk_mb)
            if sandboxed
            else contextlib.nullcontext()
        )

        started = time.monotonic()
        try:
            with launch:
                process = subprocess.Popen(
                    child_limits.wrap(
                        command(launch if sandboxed else None, workdir / "task")
                    ),
                    cwd=home if not sandboxed else "/",
                    env=child_environment(home, settings.threads),
                    stdin=stdin,
                    stdout=printed_end,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    pass_fds=(channel_end, *getattr(launch, "descriptors", ())),
                )
        finally:
            for descriptor in (stdin, printed_end, channel_end):
                os.close(descriptor)
        readers = read_pipes(channel, printed)
        try:
            process.wait(settings.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            kill_group(process.pid)
            child_limits.kill()
            process.wait()
            if not sandboxed:  # in the sandbox, its PID namespace went with it
                _kill_strays(known)
        seconds = time.monotonic() - started
        parsed, printed = collect(readers, checks, expected)
        out_of_memory = child_limits.oom_killed()
        described = child_limits.describe(
            settings.timeout, settings.disk_mb if sandboxed else None
        )
    return ChildRun(
        process.returncode,
        timed_out,
        out_of_memory,
        seconds,
        parsed,
        described,
        printed,
    )
