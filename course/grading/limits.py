"""Total resource limits of one grading child and everything it starts.

- memory: the whole process tree's memory (its tmpfs working folder
  included), in a fresh control group, cgroup v2 (`memory.max`, no swap) or
  v1 (`memory.limit_in_bytes`), where this process may create one (root, or
  a delegated subtree); the kernel's OOM killer ends the tree at the limit.
  Each process also has `RLIMIT_DATA` at the same value, so a single
  process that asks for too much gets a MemoryError it can report. Where
  no control group can be had, that per-process limit is all there is.
- processes: at most `max_processes` tasks (threads count) in a `pids`
  control group; else `RLIMIT_NPROC` for a user other than root (it counts
  all of that user's processes, the grader's included); else none.
- disk: the size of the sandbox's tmpfs working folder, and `RLIMIT_FSIZE`
  for any one file written.
- time: the grader's wall-clock timeout.

`Limits` says exactly which of these hold on this machine; the grader
records it in grading.json.
"""

import contextlib
import dataclasses
import os
import pathlib
import signal
import uuid

DEFAULT_MAX_PROCESSES = 64
DEFAULT_DISK_MB = 256
FILE_SIZE_MB = 64
_CGROUP_ROOT = pathlib.Path("/sys/fs/cgroup")


def _write(path, value):
    path.write_text(f"{value}\n")


def _own_cgroups():
    """controller -> path of this process's cgroup ("" for the v2 tree)."""
    found = {}
    with contextlib.suppress(OSError):
        for line in pathlib.Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                found[controller] = path
    return found


def _memory_settings(size):
    """The memory limit of `size` bytes, no swap, per cgroup version."""
    return {
        2: [("memory.max", size), ("memory.swap.max", 0)],
        1: [("memory.limit_in_bytes", size), ("memory.memsw.limit_in_bytes", size)],
    }


def _pids_settings(count):
    return {2: [("pids.max", count)], 1: [("pids.max", count)]}


class _Group:
    """One fresh cgroup folder for one controller ("memory" or "pids")."""

    def __init__(self, folder, version):
        self.folder = folder
        self.version = version

    @classmethod
    def create(cls, controller, settings):
        """A new cgroup, or None where none can be made. `settings` maps the
        cgroup version to (file, value) pairs to write: the first is the
        limit itself, the others are written where the kernel has them."""
        own = _own_cgroups()
        if "" in own and (_CGROUP_ROOT / "cgroup.controllers").exists():
            base, version = _CGROUP_ROOT / own[""].lstrip("/"), 2
            with contextlib.suppress(OSError):
                enabled = (base / "cgroup.subtree_control").read_text().split()
                if controller not in enabled:
                    _write(base / "cgroup.subtree_control", f"+{controller}")
        elif controller in own:
            base, version = _CGROUP_ROOT / controller / own[controller].lstrip("/"), 1
        else:
            return None
        folder = base / f"course-grade-{uuid.uuid4().hex[:12]}"
        try:
            folder.mkdir()
        except OSError:
            return None
        group = cls(folder, version)
        (name, value), *optional = settings[version]
        try:
            _write(folder / name, value)
        except OSError:  # the controller is not enabled here
            group.remove()
            return None
        for name, value in optional:  # e.g. no swap accounting
            with contextlib.suppress(OSError):
                _write(folder / name, value)
        return group

    @property
    def procs(self):
        return self.folder / "cgroup.procs"

    def read(self, name):
        try:
            return (self.folder / name).read_text()
        except OSError:
            return ""

    def kill(self):
        for _ in range(100):
            pids = [int(p) for p in self.read("cgroup.procs").split()]
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    def remove(self):
        self.kill()
        for _ in range(100):
            try:
                self.folder.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # busy until the last killed process is reaped
                self.kill()


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits a child runs under and how each is enforced.

    Attributes:
        timeout: Wall-clock seconds.
        memory_mb: Memory in MiB.
        memory_scope: What `memory_mb` bounds.
        max_processes: The task limit, or None where none is enforced.
        processes_scope: How it is enforced (or why not).
        disk_mb: The working folder's size (None without the sandbox).
        file_size_mb: The largest file a child may write.
    """

    timeout: float
    memory_mb: int
    memory_scope: str
    max_processes: int | None
    processes_scope: str
    disk_mb: int | None
    file_size_mb: int = FILE_SIZE_MB

    def as_json(self):
        return dataclasses.asdict(self)


class ChildLimits:
    """The control groups of one child (a context manager): `wrap` puts a
    command into them before it starts, `oom_killed` says what happened
    after it ended; leaving kills whatever is left in them and removes
    them."""

    def __init__(self, memory_mb, max_processes):
        self.memory_mb = memory_mb
        self.max_processes = max_processes
        self.memory = None
        self.pids = None

    def __enter__(self):
        self.memory = _Group.create("memory", _memory_settings(self.memory_mb * 2**20))
        self.pids = _Group.create("pids", _pids_settings(self.max_processes))
        return self

    def reserve(self):
        """Raises each limit by what the groups hold now (a fork server's
        own share, charged once), so that each child it forks still gets
        the whole limit for itself."""
        if self.memory is not None:
            used = self.memory.read(
                "memory.current"
                if self.memory.version == 2
                else "memory.usage_in_bytes"
            )
            size = self.memory_mb * 2**20 + int(used or 0)
            settings = _memory_settings(size)[self.memory.version]
            # cgroup v1 wants memory+swap >= memory at every step: raise it first.
            for name, value in settings[::-1] if self.memory.version == 1 else settings:
                with contextlib.suppress(OSError):
                    _write(self.memory.folder / name, value)
        if self.pids is not None:
            used = self.pids.read("pids.current")
            (name, value), *_ = _pids_settings(self.max_processes + int(used or 0))[
                self.pids.version
            ]
            _write(self.pids.folder / name, value)

    def __exit__(self, *_):
        for group in (self.memory, self.pids):
            if group is not None:
                group.remove()

    @property
    def rlimit_processes(self):
        """The RLIMIT_NPROC the child should set itself, or None."""
        if self.pids is None and os.geteuid() != 0:
            return self.max_processes
        return None

    def wrap(self, command):
        """`command`, started inside the groups: a shell writes its own PID
        into each group's cgroup.procs, then becomes the command (no
        `preexec_fn`, which is unsafe when the grader runs children from
        several threads)."""
        procs = [str(g.procs) for g in (self.memory, self.pids) if g is not None]
        if not procs:
            return list(command)
        script = (
            'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; '
            'shift; exec "$@"'
        )
        return ["/bin/sh", "-c", script, "course-grade-limits", *procs, "--", *command]

    def kill(self):
        for group in (self.memory, self.pids):
            if group is not None:
                group.kill()

    def oom_kills(self):
        """How many processes the kernel killed at the memory limit so far."""
        if self.memory is None:
            return 0
        text = self.memory.read(
            "memory.events" if self.memory.version == 2 else "memory.oom_control"
        )
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
        return 0

    def oom_killed(self):
        return self.oom_kills() > 0

    def describe(self, timeout, disk_mb):
        """The `Limits` these groups (or their absence) give."""
        if self.memory is not None:
            memory = f"the whole process tree, its working folder included (cgroup v{self.memory.version})"
        else:
            memory = "each process on its own (RLIMIT_DATA; no control group could be created)"
        if self.pids is not None:
            processes, scope = (
                self.max_processes,
                f"processes and threads of the tree (cgroup v{self.pids.version} pids)",
            )
        elif self.rlimit_processes is not None:
            processes, scope = (
                self.max_processes,
                "RLIMIT_NPROC: all processes of the grader's user",
            )
        else:
            processes, scope = (
                None,
                "not limited (no pids control group, and RLIMIT_NPROC does not bind root)",
            )
        return Limits(float(timeout), self.memory_mb, memory, processes, scope, disk_mb)
