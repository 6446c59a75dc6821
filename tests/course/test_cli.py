"""The `course` command, end to end through its console script (notebook
runs use the fixture notebooks), plus its argument handling in-process."""

import os
import pathlib
import shutil
import subprocess
import sys
import types

import nbformat
import pytest

from course import cli
from course import execution

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
COURSE = pathlib.Path(sys.executable).parent / "course"


def course(*args, cwd=None):
    assert COURSE.exists(), f"the console script is not installed: {COURSE}"
    return subprocess.run(
        [str(COURSE), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def outputs(notebook):
    """The text printed by each code cell of an executed notebook."""
    cells = nbformat.read(notebook, as_version=4).cells
    return [
        "".join(o.get("text", "") for o in cell.outputs)
        for cell in cells
        if cell.cell_type == "code"
    ]


def test_list_prints_the_syllabus():
    result = course("list")
    assert result.returncode == 0, result.stderr
    assert "05_vanishing_gradients.ipynb" in result.stdout
    assert "Нейронные сети долгой кратковременной памяти" in result.stdout


def test_env_prints_the_report():
    result = course("env")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Precision   float32 (auto: no GPU)" in result.stdout
    assert "Keras" in result.stdout and "Devices" in result.stdout


def test_env_rejects_an_invalid_precision(capsys, restore_dtype_policy):
    assert cli.main(["env", "--precision", "float16"]) == 2
    assert "Did you mean 'mixed_float16'" in capsys.readouterr().err


def test_run_executes_a_notebook_with_parameters(tmp_path):
    result = course(
        "run",
        FIXTURES / "example.ipynb",
        "--fast",
        "-p",
        "STEPS=7",
        "--out",
        tmp_path / "runs",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    executed = tmp_path / "runs" / "example" / "example.ipynb"
    printed = outputs(executed)[-1]
    assert "FAST True" in printed and "STEPS 7 steps 3" in printed
    # the kernel ran this interpreter's environment, in the notebook's folder
    assert f"prefix {sys.prefix}\n" in printed
    assert f"cwd {FIXTURES.resolve()}\n" in printed
    figure = tmp_path / "runs" / "example" / "figures" / "example.png"
    assert f"figure {figure.resolve()}\n" in printed and figure.stat().st_size > 1000
    # and the figure the cell returns is shown in the notebook
    cells = nbformat.read(executed, as_version=4).cells
    shown = [
        o
        for c in cells
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(shown) == 1
    assert "1 figure in" in result.stdout
    # the run's folder, where course.training.work_folder puts checkpoints
    run_folder = (tmp_path / "runs" / "example").resolve()
    assert f"run folder {run_folder}\n" in printed
    # the local kernel's "running over TCP without encryption" is not shown
    assert "WARNING" not in result.stdout + result.stderr
    # the fixture itself stays without outputs
    assert outputs(FIXTURES / "example.ipynb") == ["", ""]


def test_run_reports_a_failing_cell(tmp_path):
    result = course("run", FIXTURES / "failing.ipynb", "--out", tmp_path)
    assert result.returncode == 1
    assert "FAILED: " in result.stderr
    assert "ratio = total / 0  # the failing cell" in result.stderr
    assert "ZeroDivisionError: division by zero" in result.stderr
    assert "\x1b[" not in result.stderr  # colour codes stripped
    executed = tmp_path / "failing" / "failing.ipynb"
    assert "never reached" not in "".join(outputs(executed))


def test_run_all_runs_the_numbered_notebooks(tmp_path):
    notebooks = tmp_path / "notebooks"
    (notebooks / "assignments").mkdir(parents=True)
    shutil.copy(FIXTURES / "example.ipynb", notebooks / "00_example.ipynb")
    # neither of these matches notebooks/NN_*.ipynb; running them would fail
    shutil.copy(FIXTURES / "failing.ipynb", notebooks / "scratch.ipynb")
    shutil.copy(FIXTURES / "failing.ipynb", notebooks / "assignments" / "01_task.ipynb")
    result = course("run", "--all", "--fast", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["00_example"]
    printed = outputs(tmp_path / "runs" / "00_example" / "00_example.ipynb")[-1]
    assert "FAST True" in printed
    assert (tmp_path / "runs" / "00_example" / "figures" / "example.png").exists()


def test_run_all_without_notebooks_says_so(tmp_path, capsys):
    result = course("run", "--all", cwd=tmp_path)
    assert result.returncode == 2
    assert "no notebook matches notebooks/[0-9][0-9]_*.ipynb" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["run"], "give notebooks or --all"),
        (["run", "--all", "x.ipynb"], "give notebooks or --all"),
        (["run", "missing.ipynb"], "no such notebook: missing.ipynb"),
        (
            ["run", str(FIXTURES / "example.ipynb"), "--fast", "-p", "FAST=False"],
            "--fast contradicts",
        ),
    ],
)
def test_run_rejects_bad_requests(capsys, args, message):
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


EXAMPLE = str(FIXTURES / "example.ipynb")


@pytest.mark.parametrize(
    "parameter, message",
    [
        ("STPES=7", "example.ipynb has no parameter STPES. Did you mean STEPS? "),
        ("SEDE=1", "Its parameters: FAST, STEPS"),
        ("STEPS=abc", "STEPS=abc: expected int like the default STEPS=5; got str"),
        ("STEPS=7.5", "expected int like the default STEPS=5; got float"),
        ("FAST=1", "FAST=1: expected bool like the default FAST=False; got int"),
    ],
)
def test_run_checks_parameters_before_running(tmp_path, capsys, parameter, message):
    out = tmp_path / "runs"
    assert cli.main(["run", EXAMPLE, "-p", parameter, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()  # stopped before any kernel started


def test_run_without_notebooks_prints_the_usage(capsys):
    assert cli.main(["run"]) == 2
    assert "usage: course run" in capsys.readouterr().err


def test_run_finds_a_notebook_by_its_name_or_suggests_one(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "notebooks").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "notebooks" / "07_lstm.ipynb")
    monkeypatch.chdir(tmp_path)
    for name in ["07_lstm", "07_lstm.ipynb", "notebooks/07_lstm"]:
        assert cli._find_notebook(name) == pathlib.Path("notebooks/07_lstm.ipynb")
    assert cli.main(["run", "07_lsmt"]) == 2
    err = capsys.readouterr().err
    assert "no such notebook: 07_lsmt (did you mean notebooks/07_lstm.ipynb?)" in err


def test_parameters_are_python_literals_or_strings():
    def parsed(text):
        name, requested = cli._parameter(text)
        return name, requested.value

    assert parsed("N=3") == ("N", 3)
    assert parsed("RATE=1e-3") == ("RATE", 0.001)
    assert parsed("FAST=False") == ("FAST", False)
    assert parsed("CELL=lstm") == ("CELL", "lstm")
    assert parsed("SIZES=[1, 2]") == ("SIZES", [1, 2])
    with pytest.raises(SystemExit):
        cli.main(["run", "-p", "3N=1", "x.ipynb"])


def test_the_kernel_runs_this_interpreter():
    assert execution.kernel_problem() is None


def test_a_kernel_of_another_interpreter_is_reported(monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    foreign = types.SimpleNamespace(
        argv=["/opt/other/bin/python", "-m", "ipykernel_launcher"],
        resource_dir="/somewhere/kernels/python3",
    )
    monkeypatch.setattr(
        KernelSpecManager, "get_kernel_spec", lambda self, name: foreign
    )
    problem = execution.kernel_problem()
    assert "/opt/other/bin/python" in problem and sys.executable in problem


def test_compare_has_its_own_options(monkeypatch):
    import course.compare

    received = []
    monkeypatch.setattr(course.compare, "run", lambda args: received.append(args) or 3)
    assert cli.main(["compare", "--units", "4", "--seed", "7"]) == 3
    assert (received[0].units, received[0].seed, received[0].batch) == (4, 7, 8)
    with pytest.raises(SystemExit):
        cli.main(["compare", "--unknown"])


def test_compare_help_reaches_course_compare():
    result = course("compare", "--help")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "usage: course compare" in result.stdout


def test_saved_outputs_lose_tensorflows_start_up_chatter_but_keep_real_errors():
    chatter = (
        "WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR\n"
        "I0000 00:00:1796224451.423760   11835 port.cc:153] oneDNN custom operations "
        "are on. You may see slightly different numerical results.\n"
        "I0000 00:00:1796222409.903881    5259 cpu_feature_guard.cc:227] This "
        "TensorFlow binary is optimized to use available CPU instructions.\n"
        "To enable the following instructions: AVX2 FMA, in other operations, "
        "rebuild TensorFlow with the appropriate compiler flags.\n"
        "W0000 00:00:1796223268.522645   23511 util.cc:163] Not handling type "
        "DT_DOUBLE\n"
        "E0000 00:00:1796223217.759495   22415 cuda_platform.cc:52] failed call to "
        "cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n"
        "E0000 00:00:1796223513.514129   30393 util.cc:131] oneDNN supports DT_INT32 "
        "only on platforms with AVX-512. Falling back to the default Eigen-based "
        "implementation if present.\n"
    )
    real = "E0000 00:00:1.0   1 gpu_device.cc:1] out of memory\nValueError: bad\n"
    cells = [
        {
            "cell_type": "code",
            "outputs": [{"output_type": "stream", "name": "stderr", "text": chatter}],
        },
        {
            "cell_type": "code",
            "outputs": [
                {"output_type": "stream", "name": "stderr", "text": chatter + real},
                {"output_type": "stream", "name": "stdout", "text": chatter},
            ],
        },
        {"cell_type": "markdown", "source": "text"},
    ]
    assert execution.without_native_chatter(cells)
    assert cells[0]["outputs"] == []
    assert [o["text"] for o in cells[1]["outputs"]] == [real, chatter]
    assert not execution.without_native_chatter(cells)


def test_run_keeps_the_kernels_native_output_off_the_terminal(tmp_path):
    # ipykernel forwards its file descriptors to the notebook except under
    # pytest (it looks for PYTEST_CURRENT_TEST): run as a student would.
    environment = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    result = subprocess.run(
        [
            str(COURSE),
            "run",
            str(FIXTURES / "native_output.ipynb"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "native line" not in result.stdout + result.stderr
    executed = tmp_path / "native_output" / "native_output.ipynb"
    assert "native line on fd 2" in "".join(outputs(executed))  # the cell keeps it
    assert (
        "native line on fd 2" in (tmp_path / "native_output" / "kernel.log").read_text()
    )


def test_run_shows_why_the_kernel_died(tmp_path):
    result = course(
        "run", FIXTURES / "native_output.ipynb", "-p", "DIE=True", "--out", tmp_path
    )
    assert result.returncode == 1
    assert "DeadKernelError" in result.stderr
    assert "--- the kernel's log ---" in result.stderr
    assert "E1234 fatal: the reason the kernel died" in result.stderr


def test_env_prints_no_native_chatter():
    result = course("env")
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # TensorFlow's C++ start-up lines
