"""The file-system, process and network isolation of a grading child:
bubblewrap.

Each submission's child runs under `bwrap` (bubblewrap, the sandbox behind
Flatpak: a small setuid-free tool that builds a fresh mount namespace from
the command line and is packaged by every Linux distribution), chosen over
Docker or nsjail because it needs no daemon, no root and no image, and over
hand-written namespace calls because it is maintained and audited. What the
child sees:

- read-only: the operating system's /usr (with /bin, /lib ... links), the
  dynamic loader's configuration, the Python installation (base prefix,
  virtual environment, site-packages), the probes (`course.grading.probes`,
  as the top-level package `probes`) and the course modules a student
  notebook may import (`ALLOWED_COURSE_MODULES`), and its own task folder
  (`/task`: the task file, the check inputs and its own code);
- read-write: `/submission`, a fresh tmpfs of `disk_mb` MiB (also HOME and,
  through a link, /tmp), gone when the child ends; everything else but the
  device nodes (/dev/null, /dev/urandom ...) is mounted read-only, and the
  child's standard streams and channel are pipes, never host files;
- where the grader runs as root, the sandbox's user is root outside
  (without capabilities) and owns the host's device nodes: then a seccomp
  filter (compiled by libseccomp, as Flatpak does) refuses every call that
  changes a file's mode, owner, times or extended attributes;
- nothing else: no other submission, no instructor file, no project
  checkout, no solutions, no home directory; where the Python installation
  holds the `course` or `custom_layers` packages, an empty folder hides
  them;
- its own user (nobody), PID (a private /proc), network (only an isolated
  loopback: no TCP, UDP or Unix socket reaches the host), IPC, UTS and
  cgroup namespaces, no capabilities, no new user namespaces, a new
  session (no terminal injection), and death with the grader.

Resource limits are `course.grading.limits`'s. Where bubblewrap cannot be
had, `find` raises `SandboxUnavailable` with a message saying what is
missing and how to install it; the grader never falls back silently.
"""

import dataclasses
import errno
import functools
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys

PACKAGE = "bubblewrap"
INSTALL_HINT = (
    "install the package `bubblewrap` (Debian/Ubuntu: sudo apt-get install "
    "bubblewrap; Fedora: sudo dnf install bubblewrap; Arch: sudo pacman -S "
    "bubblewrap)"
)
# What a student notebook may import from `course` inside the sandbox.
ALLOWED_COURSE_MODULES = ("course.data", "course.device", "course.plots")
# Packages that hold reference code: never in the sandbox's view.
HIDDEN_PACKAGES = ("course", "custom_layers")
TASK_FOLDER = "/task"
WORK_FOLDER = "/submission"
GRADER_FOLDER = "/grader"
_SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d")
# The device nodes `bwrap --dev` binds from the host: bound again read-only,
# so that their modes and times cannot be changed (a grader running as root
# maps the sandbox's user to root, who owns them); reading and writing them
# still works.
_DEVICES = (
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
)
NOBODY = 65534
METADATA_CALLS = (
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "utime",
    "utimes",
    "futimesat",
    "utimensat",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
)
_PROBES = pathlib.Path(__file__).resolve().parent / "probes"


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up on this machine (the message says why
    and what to install)."""


def _python_folders():
    import site

    folders = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    folders |= set(site.getsitepackages())
    folders.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(os.path.realpath(f) for f in folders if os.path.isdir(f))


def _outermost(paths):
    """`paths` without those inside another one."""
    kept = []
    for path in sorted(paths, key=len):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _inside(path, folders):
    return any(path.startswith(f.rstrip("/") + "/") for f in folders)


def _package_folder(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def _allowed_module_binds():
    """(host path, sandbox path) of `course/__init__.py` and every allowed
    module or package."""
    course = pathlib.Path(_package_folder("course"))
    binds = [(course / "__init__.py", "course/__init__.py")]
    for module in ALLOWED_COURSE_MODULES:
        relative = pathlib.Path(*module.split("."))
        package = course.parent / relative
        host = package if package.is_dir() else package.with_suffix(".py")
        binds.append((host, relative if host.is_dir() else relative.with_suffix(".py")))
    return [(str(host), f"{GRADER_FOLDER}/{inner}") for host, inner in binds]


class Launch:
    """The bwrap command line for one child and the descriptors it needs
    (a context manager: leaving closes them)."""

    def __init__(self, executable):
        self.arguments = [executable]
        self.descriptors = []

    def bind(self, host, inner):
        self.arguments += ["--ro-bind", str(host), str(inner)]

    def seccomp(self):
        """Refuses, in the sandbox, every system call that changes a file's
        mode, owner, times or extended attributes (`METADATA_CALLS`), with
        a filter libseccomp compiles (as Flatpak does for bwrap)."""
        import pyseccomp

        rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        for call in METADATA_CALLS:
            rules.add_rule(pyseccomp.ERRNO(errno.EPERM), call)
        descriptor = os.memfd_create("course-grade-seccomp")
        with os.fdopen(os.dup(descriptor), "wb") as file:
            rules.export_bpf(file)
        os.lseek(descriptor, 0, os.SEEK_SET)
        self.descriptors.append(descriptor)
        self.arguments += ["--seccomp", str(descriptor)]

    def __enter__(self):
        return self

    def __exit__(self, *_):
        for descriptor in self.descriptors:
            os.close(descriptor)


@dataclasses.dataclass(frozen=True)
class Bubblewrap:
    """A working `bwrap` and how to run a child under it."""

    executable: str
    version: str

    def describe(self):
        user = (
            "nobody (the grader runs as root)" if os.geteuid() == 0 else "the grader's"
        )
        return (
            f"{self.version}: read-only Python installation and probes, a private "
            "size-limited working folder, own user, PID, network, IPC and UTS "
            f"namespaces, no capabilities; outside, the sandbox's user is {user}"
        )

    def launch(self, task_folder, disk_mb, as_pid_1=False):
        """The `Launch` of a child whose task folder is `task_folder`;
        `as_pid_1`: the command is the sandbox's PID 1 (a fork server, which
        its children can then neither kill nor stop), with no bwrap init
        process beside it."""
        launch = Launch(self.executable)
        launch.arguments += ["--as-pid-1"] if as_pid_1 else []
        launch.arguments += [
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--uid",
            str(NOBODY),
            "--gid",
            str(NOBODY),
            "--cap-drop",
            "ALL",
            "--die-with-parent",
            "--new-session",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(disk_mb * 2**20),
            "--tmpfs",
            WORK_FOLDER,
            "--dir",
            f"{WORK_FOLDER}/tmp",
            "--symlink",
            f"{WORK_FOLDER}/tmp",
            "/tmp",
        ]
        for folder in _SYSTEM_FOLDERS:
            if os.path.islink(folder):
                launch.arguments += ["--symlink", os.readlink(folder), folder]
            elif os.path.isdir(folder):
                launch.bind(folder, folder)
        for file in _SYSTEM_FILES:
            if os.path.exists(file):
                launch.bind(file, file)
        python = _outermost(
            f for f in _python_folders() if not _inside(f, _SYSTEM_FOLDERS)
        )
        for folder in python:
            launch.bind(folder, folder)
        visible = [*python, *_SYSTEM_FOLDERS]
        for name in HIDDEN_PACKAGES:
            folder = _package_folder(name)
            if folder and _inside(folder, visible):
                launch.arguments += ["--tmpfs", folder]
        launch.bind(_PROBES, f"{GRADER_FOLDER}/probes")
        for host, inner in _allowed_module_binds():
            launch.bind(host, inner)
        launch.bind(task_folder, TASK_FOLDER)
        # The sandbox's own root and /dev are tmpfs folders bwrap made:
        # read-only too, so the working folder is the only place to write.
        launch.arguments += ["--remount-ro", "/dev", "--remount-ro", "/"]
        if os.geteuid() == 0:
            launch.seccomp()
        launch.arguments += ["--chdir", WORK_FOLDER, "--"]
        return launch


@functools.cache
def find():
    """The machine's working bubblewrap; raises `SandboxUnavailable`."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(
            f"the grading sandbox needs Linux (bubblewrap); this is {sys.platform}"
        )
    executable = shutil.which("bwrap")
    if executable is None:
        raise SandboxUnavailable(
            f"the grading sandbox needs bubblewrap (bwrap), which is not on PATH: "
            f"{INSTALL_HINT}"
        )
    version = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    sandbox = Bubblewrap(executable, version or "bubblewrap")
    with sandbox.launch("/", 16) as launch:
        trial = subprocess.run(
            [*launch.arguments, sys.executable, "-I", "-c", "pass"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            pass_fds=launch.descriptors,
        )
    if trial.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap is installed but cannot create a sandbox here "
            f"({trial.stderr.strip() or f'exit status {trial.returncode}'}); it "
            "needs unprivileged user namespaces (sysctl "
            "kernel.unprivileged_userns_clone=1, and on Ubuntu 24.04+ "
            "kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile "
            "for bwrap)"
        )
    return sandbox
