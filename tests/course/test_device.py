"""course.device.setup on this (CPU) machine, for every precision value,
the `auto` rule for GPUs, distribution() on one device, and the JAX backend
in a subprocess."""

import os
import subprocess
import sys

import keras
import pytest

import course.device
from course.device import Device

pytestmark = pytest.mark.usefixtures("restore_dtype_policy")


@pytest.mark.parametrize(
    "precision, policy",
    [
        ("auto", "float32"),  # CPU only
        ("float32", "float32"),
        ("mixed_float16", "mixed_float16"),
        ("mixed_bfloat16", "mixed_bfloat16"),
    ],
)
def test_setup_sets_the_policy_on_cpu(precision, policy):
    keras.config.set_dtype_policy("float64")  # something setup must replace
    env = course.device.setup(precision)
    assert env.precision == policy
    assert keras.config.dtype_policy().name == policy
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    assert layer.kernel.dtype == "float32"  # variables stay float32
    assert layer.compute_dtype == {
        "mixed_float16": "float16",
        "mixed_bfloat16": "bfloat16",
    }.get(policy, "float32")
    assert env.precision_reason == (
        "auto: no GPU" if precision == "auto" else "explicit"
    )


def test_setup_reports_the_environment():
    env = course.device.setup()
    assert env.keras == keras.__version__
    assert env.python == ".".join(map(str, sys.version_info[:3]))
    assert env.backend.startswith(keras.backend.backend())
    assert [d.kind for d in env.devices] == ["CPU"]
    assert env.memory_growth == "no GPU"
    assert env.hardware.endswith(f"{os.cpu_count()} logical cores (CPU only)")
    text = repr(env)
    for label in ("Python", "TensorFlow", "Keras", "Backend", "Devices", "Precision"):
        assert label in text
    assert f"Keras       {keras.__version__}" in text
    markdown = env._repr_markdown_()
    assert (
        markdown.startswith("| | |\n|---|---|")
        and "| **Precision** | float32" in markdown
    )


@pytest.mark.parametrize("precision", ["float16", "bfloat16", "fp16", "", None])
def test_invalid_precision_is_rejected(precision):
    policy = keras.config.dtype_policy().name
    with pytest.raises(ValueError, match="precision must be one of") as caught:
        course.device.setup(precision)
    assert keras.config.dtype_policy().name == policy  # nothing changed
    if precision in ("float16", "bfloat16"):
        assert f"Did you mean 'mixed_{precision}'" in str(caught.value)


@pytest.mark.parametrize(
    "capabilities, policy",
    [
        ([(7, 0)], "mixed_float16"),
        ([(7, 5)], "mixed_float16"),
        ([(8, 0)], "mixed_bfloat16"),
        ([(9, 0)], "mixed_bfloat16"),
        ([(6, 1)], "float32"),
        ([(9, 0), (7, 5)], "mixed_float16"),  # the weakest GPU decides
        ([None], "float32"),
    ],
)
def test_auto_precision_follows_the_gpu_compute_capability(
    monkeypatch, capabilities, policy
):
    gpus = tuple(
        Device(f"/physical_device:GPU:{i}", "GPU", "test GPU", c)
        for i, c in enumerate(capabilities)
    )
    monkeypatch.setattr(
        course.device,
        "_tensorflow_devices",
        lambda: ((Device("/physical_device:CPU:0", "CPU"),) + gpus, "grows on demand"),
    )
    env = course.device.setup("auto")
    assert env.precision == policy == keras.config.dtype_policy().name
    assert env.precision_reason.startswith("auto: GPU compute capability")
    assert "compute capability" in repr(env) or capabilities == [None]
    assert env.hardware == ", ".join(["test GPU"] * len(capabilities))


def test_distribution_is_one_mirrored_replica_per_gpu_else_on_the_cpu():
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    engine = course.device.distribution()
    assert isinstance(engine, tf.distribute.MirroredStrategy)
    assert course.device.replicas(engine) == max(1, len(gpus))
    if not gpus:
        assert engine.extended.worker_devices[0].endswith("device:CPU:0")


def test_setup_and_distribution_on_the_jax_backend_import_no_tensorflow():
    pytest.importorskip("jax")
    script = (
        "import sys, course.device\n"
        "env = course.device.setup()\n"
        "print(env)\n"
        "engine = course.device.distribution()\n"
        "print('engine:', type(engine).__name__, course.device.replicas(engine))\n"
        "print('tensorflow imported:', 'tensorflow' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Backend     jax" in result.stdout
    assert "cpu:0" in result.stdout
    assert "Precision   float32 (auto: no GPU)" in result.stdout
    assert "tensorflow imported: False" in result.stdout
    assert "engine: DataParallel 1" in result.stdout
