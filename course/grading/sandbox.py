"""Confinement of a grading child process, applied by the child itself
before it reads a line of student code.

`confine(workdir, memory_mb)` does, in this order:

- resource limits: the data segment (`RLIMIT_DATA`: heap and anonymous
  memory; TensorFlow's large but unused virtual address space is not
  counted, unlike `RLIMIT_AS`), the size of any file written
  (`RLIMIT_FSIZE`) and no core files; soft and hard limits alike;
- Linux only, where the kernel has Landlock (5.13+): file-system writes
  anywhere but beneath `workdir` (and to /dev/null) are refused, and so
  are TCP connections, binding TCP ports and, from Landlock ABI 6, signals
  to processes outside the sandbox (the grader) and abstract Unix sockets;
  a sandboxed process also cannot ptrace (or read the environment of)
  processes outside it;
- when running as root: every capability is dropped, so the limits above
  cannot be raised again and no file permission is bypassed.

Everything is irreversible for the process and its descendants. What the
child can still do: read files its user can read (including the grader's
command line in /proc, so `--seed` is no secret *during* grading; it need
not be, the child receives every input the checks use anyway: what matters
is that the seed is unknown when a student submits), use CPU until the
parent's wall-clock timeout, and write inside its own working directory.

`confine` returns a dict describing what it could apply; the parent
records it in `grading.json`.
"""

import ctypes
import ctypes.util
import os
import resource
import signal
import sys

FILE_SIZE_LIMIT_MB = 64

# Landlock (linux/landlock.h). The three system calls have the same numbers
# on every architecture.
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_FS_WRITE_FILE = 1 << 1
_FS_WRITE_RIGHTS_V1 = (
    _FS_WRITE_FILE
    | (1 << 4)  # REMOVE_DIR
    | (1 << 5)  # REMOVE_FILE
    | (1 << 6)  # MAKE_CHAR
    | (1 << 7)  # MAKE_DIR
    | (1 << 8)  # MAKE_REG
    | (1 << 9)  # MAKE_SOCK
    | (1 << 10)  # MAKE_FIFO
    | (1 << 11)  # MAKE_BLOCK
    | (1 << 12)  # MAKE_SYM
)
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_NET_BIND_TCP = 1 << 0  # ABI 4
_NET_CONNECT_TCP = 1 << 1  # ABI 4
_SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1  # ABI 6

_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _limit(kind, value):
    resource.setrlimit(kind, (value, value))


def _set_limits(memory_mb):
    _limit(resource.RLIMIT_DATA, memory_mb * 2**20)
    _limit(resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT_MB * 2**20)
    _limit(resource.RLIMIT_CORE, 0)
    # A write past RLIMIT_FSIZE then fails with an OSError instead of
    # killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def landlock_abi():
    """The kernel's Landlock ABI version, or 0 where there is none."""
    if not sys.platform.startswith("linux"):
        return 0
    version = _libc().syscall(
        _SYS_LANDLOCK_CREATE_RULESET,
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(_CREATE_RULESET_VERSION),
    )
    return max(version, 0)


def _add_rule(libc, ruleset, path, rights, flags=os.O_PATH):
    descriptor = os.open(path, flags | os.O_CLOEXEC)
    try:
        attr = _PathBeneathAttr(rights, descriptor)
        if (
            libc.syscall(
                _SYS_LANDLOCK_ADD_RULE,
                ruleset,
                _RULE_PATH_BENEATH,
                ctypes.byref(attr),
                ctypes.c_uint32(0),
            )
            != 0
        ):
            raise OSError(ctypes.get_errno(), f"landlock_add_rule({path})")
    finally:
        os.close(descriptor)


def _landlock(workdir):
    """Restricts writes to `workdir`; returns a description or None."""
    abi = landlock_abi()
    if abi < 1:
        return None
    libc = _libc()
    write_rights = _FS_WRITE_RIGHTS_V1
    if abi >= 2:
        write_rights |= _FS_REFER
    if abi >= 3:
        write_rights |= _FS_TRUNCATE
    network = _NET_BIND_TCP | _NET_CONNECT_TCP if abi >= 4 else 0
    scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if abi >= 6 else 0
    # Older kernels reject the fields they do not know: pass only theirs.
    attr = _RulesetAttr(write_rights, network, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc.syscall(
        _SYS_LANDLOCK_CREATE_RULESET,
        ctypes.byref(attr),
        ctypes.c_size_t(size),
        ctypes.c_uint32(0),
    )
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        _add_rule(libc, ruleset, workdir, write_rights, os.O_PATH | os.O_DIRECTORY)
        file_rights = _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)
        _add_rule(libc, ruleset, "/dev/null", file_rights)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    confined = ["file writes outside the working directory"]
    if network:
        confined.append("TCP")
    if scoped:
        confined.append("signals to other processes")
    return f"Landlock ABI {abi}: no " + ", no ".join(confined)


def _drop_capabilities():
    """Drops every capability of a root process; returns whether it did."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return False
    libc = _libc()
    for capability in range(64):
        libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0)  # fails past the last one
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    return True


def confine(workdir, memory_mb):
    """Applies the limits to this process (see the module docstring).

    Args:
        workdir: The only directory the process may write to.
        memory_mb: The data-segment limit in MiB.

    Returns:
        A dict: `memory_mb`, `file_size_mb`, `landlock` (a description, or
        None where the kernel has no Landlock), `capabilities_dropped`.
    """
    _set_limits(memory_mb)
    landlock = _landlock(os.fspath(workdir))
    return {
        "memory_mb": memory_mb,
        "file_size_mb": FILE_SIZE_LIMIT_MB,
        "landlock": landlock,
        "capabilities_dropped": _drop_capabilities(),
    }
