"""course.device.distribution: data-parallel training on simulated devices
equals single-device training, in mixed precision too, and across two
jax.distributed processes; a data-parallel course.training.fit killed
mid-epoch resumes from its checkpoint to the same model; bad set-ups get
clear errors.

Each case runs tests/course/distributed_training.py in a fresh process, since
the number of simulated devices is fixed when JAX or TensorFlow starts.
Tolerances (largest weight difference): float32 rounding differs with the
order of the reductions over the split batch. After 8 SGD steps, 1e-6 for
each cell family of custom_layers and a SpatialRNN model on 4 JAX devices,
and for the LSTM on 2 TensorFlow devices and across two processes
(measured: 3e-8 to 6e-8, one or two float32 ulps of the weights); 1e-3 for
the batch-normalised classifier after 4 steps (measured: 5.5e-5).
Computing in 16 bits, the machine epsilon of the compute dtype: 2^-10 for
mixed_float16 (measured: LSTM 1.2e-5) and 2^-7 for mixed_bfloat16
(measured: LSTM 9.8e-5, SpatialRNN 3.5e-4); 16-bit rounding alone (mixed
against float32 training on one device) moves these weights as far.
"""

import os
import pathlib
import re
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

from course.training import read_history
from tests.course.test_training import SCRIPT as RESUMABLE
from tests.course.test_training import final_weights

SCRIPT = pathlib.Path(__file__).with_name("distributed_training.py")
ROOT = SCRIPT.parents[2]


def run(*args, backend, devices=None, timeout=300, script=SCRIPT):
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)}
    if devices:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ), timeout


def finish(started, returncode=0):
    process, timeout = started
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == returncode, stderr[-3000:]
    return stdout


def differences(stdout):
    return {
        name: float(value)
        for name, value in re.findall(r"^(\w+) difference (\S+)$", stdout, re.M)
    }


@pytest.fixture(scope="module")
def jax_run():
    """Every model of distributed_training.MODELS, and those of its
    MIXED_PRECISION under their policies, trained on 1 and on 4 simulated
    JAX devices in one process: its output and name -> largest difference."""
    pytest.importorskip("jax")
    stdout = finish(run("jax", backend="jax", devices=4))
    assert "replicas 4" in stdout
    return stdout, differences(stdout)


MIXED_PRECISION_TOLERANCE = {  # the compute dtype's machine epsilon
    "mixed_float16": 2.0**-10,
    "mixed_bfloat16": 2.0**-7,
}


@pytest.mark.parametrize(
    "model, tolerance",
    [
        ("elman", 1e-6),
        ("jordan", 1e-6),
        ("gru", 1e-6),
        ("lstm", 1e-6),
        ("spatial_rnn", 1e-6),
        ("classifier", 1e-3),
    ],
)
def test_jax_data_parallel_on_4_devices_equals_one_device(jax_run, model, tolerance):
    assert jax_run[1][model] < tolerance


@pytest.mark.parametrize(
    "model, precision",
    [
        ("lstm", "mixed_float16"),
        ("lstm", "mixed_bfloat16"),
        ("spatial_rnn", "mixed_bfloat16"),
    ],
)
def test_jax_data_parallel_in_mixed_precision_equals_one_device(
    jax_run, model, precision
):
    stdout, found = jax_run
    assert found[f"{model}_{precision}"] < MIXED_PRECISION_TOLERANCE[precision]
    # both runs, single-device and data-parallel, keep float32 weights
    assert stdout.count(f"{model} {precision} weights float32\n") == 2
    if precision == "mixed_float16":  # both skipped the same overflowing steps
        pattern = rf"^{model} {precision} loss scale (\S+) applied (\d+)$"
        runs = re.findall(pattern, stdout, re.M)
        assert len(runs) == 2 and runs[0] == runs[1]
        scale, applied = float(runs[0][0]), int(runs[0][1])
        assert 0 < applied < 8  # of 8 steps, some were skipped, not all
        assert scale == 0.5 ** (8 - applied)  # halved once per skipped step


@pytest.fixture(scope="module")
def tensorflow_run():
    """distributed_training.TENSORFLOW_MODELS trained on one device and under
    MirroredStrategy over 2 logical CPUs: name -> largest difference."""
    stdout = finish(run("tensorflow", backend="tensorflow"))
    assert "replicas 2" in stdout
    return differences(stdout)


@pytest.mark.parametrize("model", ["elman", "jordan", "gru", "lstm", "spatial_rnn"])
def test_tensorflow_mirrored_on_2_logical_cpus_equals_one_device(tensorflow_run, model):
    assert tensorflow_run[model] < 1e-6


def test_two_jax_processes_end_with_the_same_weights():
    pytest.importorskip("jax")
    with socket.socket() as probe:  # a free port for the coordinator
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    hosts = [run("host", str(i), port, backend="jax", devices=2) for i in (0, 1)]
    outputs = [finish(host) for host in hosts]
    for stdout in outputs:
        assert "replicas 4" in stdout  # 2 processes x 2 devices
        assert "devices 4 precision float32" in stdout  # setup() sees both hosts
        assert differences(stdout)["lstm"] < 1e-6
    checksums = [re.search(r"^checksum (\S+)$", s, re.M).group(1) for s in outputs]
    assert checksums[0] == checksums[1]


def test_a_killed_data_parallel_run_resumes_as_if_never_interrupted(tmp_path):
    pytest.importorskip("jax")
    interrupted, reference = tmp_path / "interrupted", tmp_path / "reference"

    def fit(workdir, *args, returncode=0):
        started = run(str(workdir), *args, backend="jax", devices=4, script=RESUMABLE)
        return finish(started, returncode)

    fit(interrupted, "3", "--distributed", returncode=-9)  # SIGKILL in epoch 3
    assert read_history(interrupted)["epoch"] == [0, 1, 2]
    resumed = fit(interrupted, "--distributed")
    assert "replicas 4" in resumed
    assert "epochs run: [3, 4, 5]" in resumed
    assert not (interrupted / "backup").exists()
    # the reference: one device, never interrupted
    assert "epochs run: [0, 1, 2, 3, 4, 5]" in fit(reference)
    weights = final_weights(interrupted)
    for got, want in zip(weights, final_weights(reference)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        read_history(interrupted)["loss"], read_history(reference)["loss"], rtol=1e-5
    )
    # the loss fell every epoch, so the best checkpoint is the final model
    checkpoint = keras.saving.load_model(interrupted / "checkpoint.keras")
    for got, want in zip(checkpoint.get_weights(), weights):
        np.testing.assert_array_equal(got, want)


ERRORS = """
import keras, course.device
def error(call):
    try:
        call()
    except Exception as caught:
        return f"{type(caught).__name__}: {caught}"
host = dict(coordinator_address="127.0.0.1:9", num_processes=2, timeout_s=1)
print("partial", error(lambda: course.device.distribution(num_processes=2)))
print("unreachable", error(lambda: course.device.distribution(**host, process_id=1)))
course.device.setup()  # starts JAX: too late for several hosts
print("late", error(lambda: course.device.distribution(**host, process_id=0)))
engine = course.device.distribution()
print("batch", error(lambda: course.device.check_global_batch(6, engine)))
print("mirrored", error(lambda: course.device.distribution("mirrored")))
print("multi", error(lambda: course.device.distribution("multi_worker_mirrored")))
"""


def test_bad_set_ups_get_clear_errors():
    pytest.importorskip("jax")
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", ERRORS],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "batch ValueError: the global batch size 6 does not split over 4" in out
    assert "mirrored RuntimeError: 'mirrored' needs the TensorFlow backend" in out
    assert "multi RuntimeError: MultiWorkerMirroredStrategy is not supported" in out
    assert "partial ValueError: a multi-host run needs" in out
    assert "JAX_COORDINATOR_ADDRESS" in out
    assert "unreachable ConnectionError: the jax.distributed coordinator" in out
    assert "did not answer within 1 s" in out
    assert "late RuntimeError: a multi-host distribution() must come before" in out
