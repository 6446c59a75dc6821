"""The sandbox against a hostile class: every hole a hostile submission
found before bubblewrap, as a sample submission, graded in one batch with
two correct submissions, in three orders at once, two submissions at a time,
with a fresh interpreter per submission and with the default fork server.

Around the batches the test keeps canaries: a 0600 file of the grader's
user and a classmate's file beside the submissions, the modes and times of
every file and folder the submissions could name, the --out folder's mode,
and listeners on 127.0.0.1 for TCP and UDP and on a Unix-domain socket.
After grading: the correct submissions have full marks in every order,
every hostile one has its expected status and score, no canary text is in
any report, no mode or time changed, no listener received a byte and no
process of the batch is left. The same samples graded with
--weaker-isolation do read the secret and reach the listeners, which shows
that the canaries catch what they are meant to catch.

The fork server's own tests grade submissions one after another in one
sandbox: a child finds no earlier submission's code in its memory, and one
that leaves files, processes and IPC objects behind and signals the server
leaves nothing for the next.
"""

import ast
import csv
import json
import os
import pathlib
import random
import re
import shutil
import socket
import subprocess
import sys
import threading

import pytest

from course.grading import sandbox

SUBMISSIONS = pathlib.Path(__file__).parent / "submissions"
ROOT = pathlib.Path(__file__).resolve().parents[3]
SOLUTION = ROOT / "notebooks" / "assignments" / "solutions" / "01_elman_bptt.ipynb"
COURSE = pathlib.Path(sys.executable).parent / "course"
SECRET = "grader-secret-7c1e, not for students"
CLASSMATE = "classmate-answer-52aa"
MEMORY_MB, DISK_MB, TIMEOUT = 256, 64, 10
KERAS_LIMITS = ("--timeout", "180", "--memory", "2048")
MODES = {"fresh": ("--fresh-interpreters",), "fork-server": ()}
CORRECT = ("elman_correct.py", "01_elman_bptt.ipynb")
# sample -> (status, score, a regular expression the message or feedback matches)
HOSTILE = {
    "elman_reads_classmates.py": ("flagged", 1, "uses os.listdir"),
    "elman_changes_metadata.py": ("flagged", 1, "uses os.chmod"),
    "elman_phones_home.py": ("flagged", 1, None),
    "elman_fork_bomb.py": ("flagged", 0, r"forked (\d+) processes"),
    "elman_memory_tree.py": (
        "error",
        0,
        rf"ran out of memory \(the limit is {MEMORY_MB} MiB for all its processes",
    ),
    "elman_disk_filler.py": ("flagged", 0, r"wrote (\d+) MiB"),
    "elman_monkeypatch.py": ("flagged", 1, None),
    "elman_fake_results.py": ("flagged", 1, None),
    "elman_environment_reader.py": ("flagged", 0, None),
    "elman_escaping_process.py": ("flagged", 0, None),
    "elman_memory_hog.py": ("error", 0, "ran out of memory"),
    "elman_infinite_loop.py": ("timeout", 0, None),
    "classmate.py": ("missing", 1, None),
}


class Listeners:
    """TCP, UDP and Unix-socket listeners on this machine that record every
    byte they receive."""

    def __init__(self, folder):
        self.received = []
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(str(folder / "listener.sock"))
        self.unix.listen()
        self.unix_datagram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.unix_datagram.bind(str(folder / "listener.dgram"))
        for server in (self.tcp, self.unix):
            threading.Thread(target=self._accept, args=(server,), daemon=True).start()
        for server in (self.udp, self.unix_datagram):
            threading.Thread(target=self._receive, args=(server,), daemon=True).start()

    def _accept(self, server):
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    self.received.append(connection.recv(4096))
                except OSError:
                    self.received.append(b"(connected)")

    def _receive(self, server):
        while True:
            try:
                self.received.append(server.recv(4096))
            except OSError:
                return

    def close(self):
        for server in (self.tcp, self.udp, self.unix, self.unix_datagram):
            server.close()


def _stat(path):
    status = path.lstat()
    return status.st_mode, status.st_mtime_ns


def _class_folder(tmp_path):
    """The batch folder: the samples, two correct submissions, a
    classmate's file and a 0600 secret of the grader's user."""
    folder = tmp_path / "class"
    folder.mkdir()
    for name in (*HOSTILE, *CORRECT):
        if name == "classmate.py":
            (folder / name).write_text(
                f'"""{CLASSMATE}"""\n\nimport numpy as np\n\n\n'
                "def elman_forward(x, h0, U, W, b, V, c):\n"
                "    return np.zeros((*x.shape[:2], W.shape[0])), "
                "np.zeros((*x.shape[:2], V.shape[1]))\n"
            )
        else:
            source = SOLUTION if name == CORRECT[1] else SUBMISSIONS / name
            shutil.copy(source, folder / name)
    secret = folder / "00_grader_secret.txt"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    return folder


def _arguments(folder, out, names, *options):
    """The arguments of `course grade` for these submissions."""
    return [
        "grade",
        "elman_bptt",
        *(str(folder / name) for name in names),
        "--out",
        str(out),
        "--seed",
        "7",
        "--timeout",
        str(TIMEOUT),
        "--memory",
        str(MEMORY_MB),
        "--disk",
        str(DISK_MB),
        *options,
    ]


def _grade(folder, out, names, *options, env=None):
    return subprocess.Popen(
        [str(COURSE), *_arguments(folder, out, names, *options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def _reports(out):
    """Every file the batch wrote, as one text."""
    return "\n".join(
        path.read_text(errors="replace")
        for path in sorted(out.rglob("*"))
        if path.is_file()
    )


def _rows(out):
    with open(out / "grades.csv", newline="") as file:
        return {
            pathlib.Path(row["submission"]).name: row for row in csv.DictReader(file)
        }


def _feedback(out, name):
    summary = json.loads((out / "grading.json").read_text())
    folder = next(
        e["folder"] for e in summary["submissions"] if e["submission"].endswith(name)
    )
    return (out / folder / "feedback.txt").read_text()


def _batch_processes():
    """Processes of this machine that look like a grading child."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            arguments = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"probes" in arguments and re.search(
            rb"\.(child|server) import run", arguments
        ):
            found.append(pid)
    return found


@pytest.fixture(scope="module", params=MODES)
def hostile(tmp_path_factory, request):
    tmp_path = tmp_path_factory.mktemp(f"hostile-{request.param}")
    folder = _class_folder(tmp_path)
    listeners = Listeners(tmp_path)
    names = [*HOSTILE, *CORRECT]
    orders = [names, names[::-1], random.Random(3).sample(names, len(names))]
    outs = [tmp_path / f"out{i}" for i in range(len(orders))]
    for out in outs:
        out.mkdir(mode=0o755)
    watched = [folder, *folder.iterdir(), tmp_path]
    before = {path: _stat(path) for path in watched}
    # two at a time in each batch: neighbours in the sandbox, not only in order
    processes = [
        _grade(folder, out, order, "--jobs", "2", *MODES[request.param])
        for out, order in zip(outs, orders)
    ]
    results = [process.communicate(timeout=900) for process in processes]
    listeners.close()
    return {
        "mode": request.param,
        "outs": outs,
        "orders": orders,
        "results": results,
        "codes": [process.returncode for process in processes],
        "changed": {p: (before[p], _stat(p)) for p in watched if _stat(p) != before[p]},
        "out_modes": [out.stat().st_mode & 0o7777 for out in outs],
        "received": listeners.received,
        "left": _batch_processes(),
    }


def test_every_order_is_graded(hostile):
    for code, (_, stderr) in zip(hostile["codes"], hostile["results"]):
        assert code == 0, stderr[-3000:]
    for out, order in zip(hostile["outs"], hostile["orders"]):
        assert list(_rows(out)) == order


def test_correct_submissions_keep_full_marks_in_every_order(hostile):
    for out in hostile["outs"]:
        rows = _rows(out)
        for name in CORRECT:
            assert (rows[name]["status"], float(rows[name]["score"])) == ("ok", 10), (
                rows[name]
            )


@pytest.mark.parametrize("name", HOSTILE)
def test_each_hostile_sample_gets_its_status_and_score(hostile, name):
    for out in hostile["outs"]:
        status, score, pattern = HOSTILE[name]
        limits = json.loads((out / "grading.json").read_text())["limits"]
        if name == "elman_memory_tree.py" and "cgroup" not in limits["memory_scope"]:
            # No memory control group on this machine: each process stays
            # under its own limit, as grading.json says.
            status, score, pattern = "flagged", 0, "three children hold 600 MiB"
        row = _rows(out)[name]
        assert (row["status"], float(row["score"])) == (status, score), row
        if pattern:
            assert re.search(pattern, _feedback(out, name)), _feedback(out, name)


def test_total_limits_hold(hostile):
    for out in hostile["outs"]:
        limits = json.loads((out / "grading.json").read_text())["limits"]
        assert limits["disk_mb"] == DISK_MB and limits["memory_mb"] == MEMORY_MB
        forked = int(
            re.search(r"forked (\d+)", _feedback(out, "elman_fork_bomb.py"))[1]
        )
        if limits["max_processes"] is not None:
            assert forked < limits["max_processes"]
        else:  # no limit could be had here: the record must say so
            assert "not limited" in limits["processes_scope"]
        written = int(
            re.search(r"wrote (\d+) MiB", _feedback(out, "elman_disk_filler.py"))[1]
        )
        assert written <= DISK_MB


def test_nothing_secret_reaches_a_report(hostile):
    for out in hostile["outs"]:
        reports = _reports(out)
        for text in (
            SECRET,
            CLASSMATE,
            "BEGIN SOLUTION",
            "course-grading-exfiltration",
        ):
            assert text not in reports
        assert str(out.parent / "class") not in reports.replace(
            str(out.parent / "class") + "/", ""
        )


def test_no_mode_or_time_changed_outside_the_sandbox(hostile):
    assert hostile["changed"] == {}
    assert hostile["out_modes"] == [0o755] * len(hostile["outs"])


def test_no_listener_received_anything(hostile):
    assert hostile["received"] == []


def test_no_process_is_left(hostile):
    assert hostile["left"] == []


def test_the_batch_records_the_sandbox(hostile):
    summary = json.loads((hostile["outs"][0] / "grading.json").read_text())
    assert summary["isolated"] is True
    assert summary["isolation"].startswith("bubblewrap sandbox")
    how = {"fresh": "a fresh interpreter per submission", "fork-server": "fork server"}
    assert how[hostile["mode"]] in summary["isolation"]
    assert "Graded with weaker isolation" not in _reports(hostile["outs"][0])


CARRIER = """import numpy as np

TOKEN = "{token}"


def elman_forward(x, h0, U, W, b, V, c):
    assert TOKEN  # kept: the grader keeps what the answers use
    return np.zeros((*x.shape[:2], W.shape[0])), np.zeros((*x.shape[:2], V.shape[1]))


elman_loss = elman_bptt = elman_forward
"""
TOKEN = re.compile(r"canary-of-[0-9a-f]{16}")


@pytest.mark.parametrize("mode", MODES)
def test_a_child_cannot_find_an_earlier_submission_in_its_memory(tmp_path, mode):
    folder = tmp_path / "class"
    folder.mkdir()
    names = []
    for index in range(4):
        names.append(f"carrier{index}.py")
        token = f"canary-of-{0xC0FFEE00 + index:016x}"
        (folder / names[-1]).write_text(CARRIER.format(token=token))
    shutil.copy(SUBMISSIONS / "elman_reads_memory.py", folder)
    names.insert(3, "elman_reads_memory.py")  # after three carriers, before one
    out = tmp_path / "out"
    process = _grade(folder, out, names, "--jobs", "1", *MODES[mode])
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    for name in names[:3] + names[4:]:
        assert (_rows(out)[name]["status"], _rows(out)[name]["score"]) == ("ok", "1")
    found = set(TOKEN.findall(_feedback(out, "elman_reads_memory.py")))
    # its own token is the positive control: the search does find code
    assert found == {"canary-of-00000000feedface"}, _feedback(
        out, "elman_reads_memory.py"
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_child_leaves_nothing_for_the_next(tmp_path, mode):
    folder = tmp_path / "class"
    folder.mkdir()
    names = ["elman_leaves_things.py", "leaves_again.py", "elman_correct.py"]
    shutil.copy(SUBMISSIONS / names[0], folder / names[0])
    shutil.copy(SUBMISSIONS / names[0], folder / names[1])
    shutil.copy(SUBMISSIONS / names[2], folder / names[2])
    out = tmp_path / "out"
    process = _grade(folder, out, names, "--jobs", "1", *MODES[mode])
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    for name in names[:2]:  # both see their own leftovers and none of another's
        feedback = _feedback(out, name)
        for seen in (
            "own files: True",
            "earlier files: []",
            "earlier processes: False",
            "own processes: True",
            "earlier shm: False",
        ):
            assert seen in feedback, feedback
        if mode == "fork-server":  # refused by the child's seccomp filter
            assert "made shm: False; made key: False" in feedback, feedback
    row = _rows(out)["elman_correct.py"]
    assert (row["status"], row["score"]) == ("ok", "10"), row
    assert _batch_processes() == []


CHANGED_GRADER = """
import os, socket, sys

from course import cli
from course.grading import forkserver

{change}

sys.exit(cli.main(sys.argv[1:]))
"""
BUSY_CHANNEL = """
pair = socket.socketpair


def socketpair():  # the server's end numbered as the children's channel
    parent_end, server_end = pair()
    os.dup2(server_end.fileno(), forkserver.CHANNEL_FD)
    server_end.close()
    return parent_end, socket.socket(fileno=forkserver.CHANNEL_FD)


socket.socketpair = socketpair
"""


def _grade_changed(change, tmp_path):
    """`course grade` of one correct submission, by a grader with `change`
    made to it."""
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(SUBMISSIONS / "elman_correct.py", folder)
    arguments = _arguments(
        folder, tmp_path / "out", ["elman_correct.py"], "--jobs", "1"
    )
    return subprocess.run(
        [sys.executable, "-c", CHANGED_GRADER.format(change=change), *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_the_fork_server_serves_whatever_numbers_its_descriptors_get(tmp_path):
    # a busy grader may hand the server its socket as the children's channel
    done = _grade_changed(BUSY_CHANNEL, tmp_path)
    assert done.returncode == 0, done.stderr
    row = _rows(tmp_path / "out")["elman_correct.py"]
    assert (row["status"], row["score"]) == ("ok", "10"), row


def test_a_fork_server_that_does_not_start_stops_the_batch_with_a_hint(tmp_path):
    done = _grade_changed("forkserver.STARTUP_TIMEOUT = 0.001", tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert (
        "the fork server of elman_bptt did not start: it was not ready within "
        "0.001 s" in done.stderr
    ), done.stderr
    assert "pass --fresh-interpreters" in done.stderr, done.stderr


def test_without_the_sandbox_the_canaries_do_catch_the_holes(tmp_path):
    folder = _class_folder(tmp_path)
    listeners = Listeners(tmp_path)
    out = tmp_path / "out"
    names = [
        "elman_reads_classmates.py",
        "elman_phones_home.py",
        "elman_changes_metadata.py",
        "elman_correct.py",
    ]
    before = _stat(folder)
    process = _grade(folder, out, names, "--weaker-isolation")
    _, stderr = process.communicate(timeout=300)
    listeners.close()
    assert process.returncode == 0, stderr
    rows = _rows(out)
    assert _stat(folder) != before
    assert (
        "modes or times outside its folder"
        in rows["elman_changes_metadata.py"]["message"]
    )
    assert rows["elman_reads_classmates.py"]["status"] == "error"
    assert SECRET in rows["elman_reads_classmates.py"]["message"]
    assert rows["elman_phones_home.py"]["score"] == "0"  # errors in every check
    assert "delivered the inputs" in _feedback(out, "elman_phones_home.py")
    assert any(b"course-grading-exfiltration" in data for data in listeners.received)
    assert (rows["elman_correct.py"]["status"], rows["elman_correct.py"]["score"]) == (
        "ok",
        "10",
    )
    summary = json.loads((out / "grading.json").read_text())
    assert summary["isolated"] is False
    assert summary["isolation"].startswith("WEAKER ISOLATION")
    assert "Graded with weaker isolation" in _feedback(out, "elman_correct.py")
    results = json.loads(next(out.glob("elman_correct*/results.json")).read_text())
    assert "weaker isolation" in results["output"]


def test_several_at_once_needs_the_sandbox(tmp_path):
    process = _grade(
        SUBMISSIONS,
        tmp_path / "out",
        ["elman_correct.py"],
        "--weaker-isolation",
        "--jobs",
        "2",
    )
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    assert "--jobs 2 needs the sandbox" in stderr


def test_without_bubblewrap_grading_refuses_with_the_package_name(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "out"
    process = _grade(
        SUBMISSIONS,
        out,
        ["elman_off_by_one.py"],
        env={**os.environ, "PATH": str(empty)},
    )
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    assert "bubblewrap" in stderr and "apt-get install bubblewrap" in stderr
    assert "--weaker-isolation" in stderr
    assert not (out / "grades.csv").exists()
    assert len(stderr.strip().splitlines()) == 1


def test_the_sandbox_holds_only_the_allowed_course_modules(tmp_path):
    name = "elman_borrows_grader.py"
    sandboxed, weaker = (
        # course.device imports Keras: more time and memory than NumPy needs
        _grade(SUBMISSIONS, tmp_path / out, [name], *options, *KERAS_LIMITS)
        for out, options in (("sandboxed", ()), ("weaker", ("--weaker-isolation",)))
    )
    for process in (sandboxed, weaker):
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
    row = _rows(tmp_path / "sandboxed")[name]
    assert (row["status"], row["score"]) == ("flagged", "1"), row
    row = _rows(tmp_path / "weaker")[name]  # the same imports, outside the sandbox
    assert row["status"] == "error"
    assert (
        "borrowed course.grading.assignments.elman_bptt, course.grading"
        in row["message"]
    )


def _course_imports(notebook):
    """The `course.*` modules a notebook's code cells import."""
    cells = json.loads(notebook.read_text())["cells"]
    found = set()
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        lines = [
            line
            for line in source.splitlines()
            if not line.lstrip().startswith(("%", "!"))
        ]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return {name for name in found if name.split(".")[0] == "course"}


def test_released_notebooks_import_only_the_allowed_course_modules():
    allowed = set(sandbox.ALLOWED_COURSE_MODULES) | {"course"}
    notebooks = sorted((ROOT / "notebooks" / "assignments").glob("*.ipynb"))
    assert len(notebooks) == 4
    used = set()
    for notebook in notebooks:
        imports = _course_imports(notebook)
        outside = {
            name
            for name in imports
            if not any(name == m or name.startswith(m + ".") for m in allowed)
        }
        assert not outside, (notebook.name, outside)
        used |= imports
    assert used, (
        "the released notebooks import course modules; the list is tested on them"
    )


def test_awkward_names_each_get_their_own_row_and_folder(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    names = [
        "grading.json.py",
        "grades.csv.py",
        "a b.py",
        "a_b.py",
        "-rf.py",
        "it's $(touch pwned).py",
        "Ёлка.py",
    ]
    for name in names:
        shutil.copy(SUBMISSIONS / "elman_correct.py", folder / name)
    out = tmp_path / "out"
    process = _grade(folder, out, names)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    rows = _rows(out)
    assert sorted(rows) == sorted(names)
    assert {(r["status"], r["score"]) for r in rows.values()} == {("ok", "10")}
    summary = json.loads((out / "grading.json").read_text())
    folders = [entry["folder"] for entry in summary["submissions"]]
    assert len(set(folders)) == len(names)
    assert all((out / f / "feedback.txt").is_file() for f in folders)
    assert not any("report_error" in entry for entry in summary["submissions"])
    assert not (tmp_path / "pwned").exists() and not (ROOT / "pwned").exists()
