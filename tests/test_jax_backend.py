"""The layer suite again, in a separate pytest process on the JAX backend."""

import os
import pathlib
import subprocess
import sys

import keras
import pytest

LAYER_TESTS = pathlib.Path(__file__).parent / "custom_layers"


@pytest.mark.skipif(
    keras.backend.backend() == "jax", reason="this run already uses JAX"
)
def test_layer_suite_passes_on_jax():
    pytest.importorskip("jax")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(LAYER_TESTS),
        ],
        env={**os.environ, "KERAS_BACKEND": "jax"},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout else ""
    print(f"JAX backend: {summary}")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in summary and "skipped" not in summary, summary
