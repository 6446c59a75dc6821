"""Parent side of a fork server (`course.grading.probes.server`): one per
grading job, started on first use, replaced when it goes or cannot clean
up after a child.

A `ForkServer` runs in the same bubblewrap sandbox and the same kind of
control groups as a fresh grading child (`course.grading.runner`), as the
sandbox's PID 1. Once it has imported what the assignment needs, the
groups' limits are raised by what it holds (`limits.ChildLimits.reserve`),
so each child it forks gets the whole memory and process limits. Each
submission's code travels as a sealed memfd that only the forked child
reads. The parent times each child out itself: past the timeout it kills
the whole sandbox, and the next submission gets a fresh server.
"""

import contextlib
import fcntl
import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import uuid

from course.grading import limits
from course.grading import runner
from course.grading import sandbox as sandboxes
from course.grading.probes.files import remove_tree

STARTUP_TIMEOUT = 300.0
CHANNEL_FD = 10  # where each forked child finds its channel
MAX_REPORT_BYTES = 4096
_SEALS = (
    fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
)


class ForkServerError(RuntimeError):
    """A fork server could not start (the message says why)."""


def sealed_code(code):
    """A memfd holding `code` (UTF-8) that nobody can change any more."""
    descriptor = os.memfd_create("course-grade-code", os.MFD_ALLOW_SEALING)
    with os.fdopen(os.dup(descriptor), "wb") as file:
        file.write(code.encode("utf-8"))
    fcntl.fcntl(descriptor, fcntl.F_ADD_SEALS, _SEALS)
    os.lseek(descriptor, 0, os.SEEK_SET)
    return descriptor


class ForkServer:
    """One job's fork server: `run` grades one submission's code, `close`
    ends the server.

    Args:
        scratch: A private folder of the grader's for its task folder.
        assignment, checks, inputs, settings: As for `runner.run_child`;
            `settings.sandbox` must be set.
    """

    def __init__(self, scratch, assignment, checks, inputs, settings):
        if settings.sandbox is None:
            raise ValueError("the fork server needs the sandbox")
        self.scratch = pathlib.Path(scratch)
        self.assignment, self.checks = assignment, checks
        self.inputs, self.settings = inputs, settings
        self.process = None

    def _start(self):
        settings = self.settings
        self.folder = self.scratch / f"server-{uuid.uuid4().hex[:12]}"
        self.limits = limits.ChildLimits(settings.memory_mb, settings.max_processes)
        self.limits.__enter__()
        self.control, server_end = socket.socketpair()
        runner.write_task(
            self.folder / "task",
            self.assignment,
            self.checks,
            self.inputs,
            {
                "control_fd": server_end.fileno(),
                "channel_fd": CHANNEL_FD,
                "memory_mb": settings.memory_mb,
                "max_processes": self.limits.rlimit_processes,
                "threads": settings.threads,
                "reference": False,
            },
        )
        printed, printed_end = os.pipe()
        try:
            with settings.sandbox.launch(
                self.folder / "task", settings.disk_mb, as_pid_1=True
            ) as launch:
                self.process = subprocess.Popen(
                    self.limits.wrap(runner.command(launch, None, entry="server")),
                    cwd="/",
                    env=runner.child_environment(
                        pathlib.Path(sandboxes.WORK_FOLDER), settings.threads
                    ),
                    stdin=subprocess.DEVNULL,
                    stdout=printed_end,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    pass_fds=(server_end.fileno(), *launch.descriptors),
                )
        finally:
            os.close(printed_end)
            server_end.close()
        self.printed = runner.PipeReader(printed, runner.MAX_OUTPUT_BYTES, keep="tail")
        self.printed.start()
        report = self._report(STARTUP_TIMEOUT)
        if not report or not report.get("ready"):
            out_of_memory = self.limits.oom_killed()
            silent = self.process.poll() is None
            self.close()
            self.printed.join(10)
            raise ForkServerError(
                f"the fork server of {self.assignment.name} did not start: "
                + self._why_not(report, out_of_memory, silent)
            )
        self.limits.reserve()

    def _why_not(self, report, out_of_memory, silent):
        printed = bytes(self.printed.data).decode("utf-8", "replace").strip()
        last = printed.splitlines()[-1] if printed else "no output"
        if isinstance(report, dict) and report.get("refused"):
            return f"it refused to serve: {report['refused']}"
        if silent and not out_of_memory:
            return (
                f"it was not ready within {STARTUP_TIMEOUT:g} s (a machine this "
                "busy may grade faster with fewer --jobs)"
            )
        if out_of_memory or "MemoryError" in last:
            return (
                f"it ran out of memory importing the libraries (the limit is "
                f"{self.settings.memory_mb} MiB): raise --memory"
            )
        return f"it ended ({last})"

    def _report(self, timeout):
        """The server's next report (a dict), or None where it went or
        sent none within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        line = bytearray()
        while not line.endswith(b"\n") and len(line) < MAX_REPORT_BYTES:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.control.settimeout(left)
            try:
                chunk = self.control.recv(MAX_REPORT_BYTES)
            except (TimeoutError, OSError):
                return None
            if not chunk:
                return None
            line += chunk
        try:
            report = json.loads(line)
        except ValueError:
            return None
        return report if isinstance(report, dict) else None

    def run(self, code, expected):
        """The `runner.ChildRun` of grading `code` (a submission's kept
        code) in a fresh child; `expected` as for `runner.run_child`."""
        if self.process is None:
            self._start()
        channel, channel_end = os.pipe()
        output, output_end = os.pipe()
        task = sealed_code(code)
        readers = runner.read_pipes(channel, output)
        kills = self.limits.oom_kills()
        started = time.monotonic()
        try:
            socket.send_fds(self.control, [b"T"], [channel_end, output_end, task])
            report = self._report(self.settings.timeout)
        except OSError:
            report = None
        finally:
            for descriptor in (channel_end, output_end, task):
                os.close(descriptor)
        seconds = time.monotonic() - started
        timed_out = report is None and seconds >= self.settings.timeout
        out_of_memory = self.limits.oom_kills() > kills
        described = self.limits.describe(self.settings.timeout, self.settings.disk_mb)
        if report is None or report.get("clean") is not True:
            self.close()
        parsed, printed = runner.collect(
            readers, self.checks, expected, lost=report is None
        )
        status = report.get("status") if report else None
        return runner.ChildRun(
            status if isinstance(status, int) else -signal.SIGKILL,
            timed_out,
            out_of_memory,
            seconds,
            parsed,
            described,
            printed,
        )

    def close(self):
        """Ends the server and everything in its sandbox; the next `run`
        starts a fresh one."""
        if self.process is None:
            return
        runner.kill_group(self.process.pid)
        self.limits.kill()
        self.process.wait()
        self.limits.__exit__(None, None, None)
        self.control.close()
        with contextlib.suppress(FileNotFoundError):
            remove_tree(self.folder)
        self.process = None
