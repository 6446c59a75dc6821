"""The fork server: one per grading job, inside that job's bubblewrap
sandbox. It pays the imports (NumPy, and TensorFlow with Keras where the
assignment uses them) once, then forks a fresh child for each submission
and confines it before the child reads a line of the submission's code.

The parent (`course.grading.forkserver`) starts it as it starts a grading
child (`probes.child`): `python -I`, a scrubbed environment, the sandbox,
the job's control groups and the read-only task folder, whose task file
also names `control_fd`, a Unix socket to the parent; but as the sandbox's
PID 1, which the kernel shields from every signal sent from inside the
sandbox that it does not handle (SIGKILL and SIGSTOP included), and which
adopts every orphan. Over that socket:

    server -> parent  {"ready": true} or {"refused": REASON}, once
    parent -> server  one byte with three descriptors (SCM_RIGHTS): the
                      child's channel and output pipes to the parent, and
                      a sealed memfd that holds the submission's code; the
                      child gets the channel as `channel_fd` of the task
                      file, as a fresh child does
    server -> parent  {"status": S, "clean": C} when the child and all it
                      started are gone: S its exit status (negative: the
                      signal), C whether the working folder is empty again

What keeps one submission from reaching the next:

- the server never reads a submission's code (only the forked child reads
  the memfd), so no child finds an earlier one in the memory it inherits;
- it closes every descriptor it inherited but the control socket, and
  refuses to serve where a child could change what the server reads
  again: a writable folder on `sys.path`, a writable shared
  mapping; it then runs from `/`, imports nothing more, ignores SIGINT
  (the one signal Python handles), and is not dumpable, so a child (the
  same user) can neither trace it nor read or write its memory or
  descriptors through /proc;
- each child starts a new session, gets the output pipe as stdout and
  stderr, is dumpable again (only its own descendants can reach it) and
  the OOM killer's first choice (`oom_score_adj` 1000), and
  loads a seccomp filter (`CONFINED_CALLS`): no tracing, no reading or
  writing another process's memory, no System V or POSIX message-queue
  IPC and no kernel keys, the objects that outlive a process;
- when the child has ended, the server kills every other process in the
  sandbox and empties the working folder before it reports; where it
  cannot, it says so and the parent replaces it with a fresh one.

Should a server go anyway (its memory, a kernel bug), the submission it
was grading loses its row only: the parent sees no report, counts the run
as unfinished (or timed out) and starts a fresh server for the next one.
"""

import ctypes
import errno
import json
import os
import pathlib
import signal
import socket
import sys
import time
import traceback

from .child import Channel
from .child import grade
from .child import prepare
from .child import read_inputs
from .child import read_task
from .child import set_limits
from .files import empty_folder

WORK_FOLDER = "/submission"
KEPT_FOLDERS = ("tmp",)
CONFINED_CALLS = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "shmget",
    "msgget",
    "semget",
    "mq_open",
    "add_key",
    "request_key",
    "keyctl",
)
_PR_SET_DUMPABLE = 4
_KILL_ROUNDS = 1000


def _prctl(option, value):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}, {value})")


def _hold_descriptors(control_fd, channel_fd):
    """Closes every descriptor the server inherited but its standard streams
    and the control socket, which it moves off `channel_fd` where the
    parent's numbering put it there, and holds `channel_fd` with /dev/null,
    so that nothing the imports open lands where each child puts its
    channel. Returns the control socket's descriptor."""
    if control_fd == channel_fd:
        control_fd = os.dup(control_fd)
    os.closerange(3, control_fd)
    os.closerange(control_fd + 1, os.sysconf("SC_OPEN_MAX"))
    placeholder = os.open(os.devnull, os.O_RDONLY)
    if placeholder != channel_fd:
        os.dup2(placeholder, channel_fd, inheritable=False)
        os.close(placeholder)
    return control_fd


def refusals():
    """Why this process must not serve (empty where it may): anything a
    child could write that the server would read again."""
    found = [] if os.getpid() == 1 else ["it is not the sandbox's PID 1"]
    found += [
        f"{folder} is on sys.path and writable"
        for folder in sys.path
        if not folder or os.access(folder, os.W_OK)
    ]
    for line in pathlib.Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        if "w" in fields[1] and fields[1].endswith("s"):
            found.append(f"a writable shared mapping: {line}")
    return found


def _confine():
    """Loads the seccomp filter that refuses `CONFINED_CALLS` (EPERM)."""
    import pyseccomp

    rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for call in CONFINED_CALLS:
        rules.add_rule(pyseccomp.ERRNO(errno.EPERM), call)
    rules.load()


def _child(control, task, inputs, channel, printed, code):
    """The forked child: confines itself, then grades the code. Never
    returns."""
    status = 1
    try:
        control.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        os.chdir(WORK_FOLDER)
        stdin = os.open("/dev/null", os.O_RDONLY)
        os.dup2(stdin, 0)
        os.dup2(printed, 1)
        os.dup2(printed, 2)
        os.close(stdin)
        os.close(printed)
        # Dumpable again (only its own descendants can reach it), so that its
        # /proc files are its own and it can raise its OOM score.
        _prctl(_PR_SET_DUMPABLE, 1)
        pathlib.Path("/proc/self/oom_score_adj").write_text("1000")
        _confine()
        with os.fdopen(code, "rb") as file:
            file.seek(0)
            source = file.read().decode("utf-8")
        if channel != task["channel_fd"]:
            os.dup2(channel, task["channel_fd"])
            os.close(channel)
        grade(task, inputs, source, Channel(task["channel_fd"]))
        status = 0
    except BaseException:  # noqa: BLE001 - the child must never return into the loop
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _others():
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) != 1]


def _kill_the_rest():
    """Kills and reaps every process in the sandbox but this one (PID 1);
    False where some would not go."""
    for _ in range(_KILL_ROUNDS):
        others = _others()
        if not others:
            return True
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in others:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:  # not (yet) re-parented to this one
                time.sleep(0.001)
    return not _others()


def _serve_one(control, task, inputs, fds):
    channel, printed, code = fds
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(control, task, inputs, channel, printed, code)
    for descriptor in fds:
        os.close(descriptor)
    _, wait_status = os.waitpid(pid, 0)
    clean = _kill_the_rest() and empty_folder(WORK_FOLDER, KEPT_FOLDERS)
    report = {"status": os.waitstatus_to_exitcode(wait_status), "clean": clean}
    control.sendall(json.dumps(report).encode() + b"\n")
    return clean


def serve(argv):
    """Entry point: `argv` is [TASK_FOLDER]. Returns the exit status."""
    folder = pathlib.Path(argv[0])
    task = read_task(folder)
    control = socket.socket(
        fileno=_hold_descriptors(task["control_fd"], task["channel_fd"])
    )
    set_limits(task)
    inputs = read_inputs(folder, task)
    prepare(task)
    # Everything a child runs is imported now: the server imports nothing
    # once it serves.
    import pyseccomp  # noqa: F401

    from . import cells  # noqa: F401
    from . import elman  # noqa: F401

    os.chdir("/")
    refused = refusals()
    if refused:
        control.sendall(json.dumps({"refused": "; ".join(refused)}).encode() + b"\n")
        return 1
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _prctl(_PR_SET_DUMPABLE, 0)
    control.sendall(b'{"ready": true}\n')
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1, 3)
        if not message or len(fds) != 3:
            for descriptor in fds:
                os.close(descriptor)
            return 0
        if not _serve_one(control, task, inputs, fds):
            return 0


def run(argv):
    """The process's entry point: `serve`, then exit at once."""
    status = serve(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
