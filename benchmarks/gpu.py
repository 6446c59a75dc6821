"""GPU benchmark with the JAX backend (machines with an NVIDIA GPU often have
JAX and PyTorch but no TensorFlow; nothing here imports TensorFlow).

1. Training images/s of the full-size lecture classifier
   (`course.models.spatial_rnn_classifier()`, 128×128×3, batch 128 as in the
   lecture) under float32, mixed_float16 and mixed_bfloat16.
2. Training-step time of our LSTM / GRU against Keras's built-ins, which
   use cuDNN on a GPU where the backend supports it (Keras's JAX backend
   does, for the default activations).

    KERAS_BACKEND=jax python benchmarks/gpu.py
    KERAS_BACKEND=jax python benchmarks/gpu.py --small   # a quick CPU dry run

Prints Markdown tables headed by the device's name, ready for the README.
"""

import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
from cells import PAIRS  # noqa: E402
from cells import format_rows  # noqa: E402
from cells import run as time_cell_pairs  # noqa: E402
from spatial import images_per_second  # noqa: E402

from course.models import spatial_rnn_classifier  # noqa: E402

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def device_name():
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return f"{device.device_kind} ({device.platform}), JAX {jax.__version__}"
    return f"{backend} backend (device not queried)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--small", action="store_true", help="tiny sizes, for a CPU check"
    )
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    if args.small:
        image_shape, width, batch = (32, 32, 3), 0.125, 8
        timesteps, features, units, cell_batch = 20, 8, 16, 16
    else:
        image_shape, width, batch = (128, 128, 3), 1.0, 128
        timesteps, features, units, cell_batch = 100, 32, 128, 64

    print(
        f"Device: {device_name()}; Keras {keras.__version__}, backend {keras.backend.backend()}"
    )
    print(
        f"\nspatial_rnn_classifier({image_shape}, width={width}), batch {batch}, "
        f"training images/s (mean over {args.steps} steps after {args.warmup})\n"
    )
    print("| policy | images/s | vs float32 |")
    print("|---|---:|---:|")
    baseline = None
    for policy in POLICIES:
        rate = images_per_second(
            lambda: spatial_rnn_classifier(image_shape, width=width),
            policy,
            batch,
            args.steps,
            args.warmup,
        )
        baseline = baseline or rate
        print(f"| {policy} | {rate:.1f} | {rate / baseline:.2f}x |", flush=True)

    pairs = [pair for pair in PAIRS if pair[0] in ("LSTM", "GRU")]
    rows = time_cell_pairs(
        cell_batch,
        timesteps,
        features,
        units,
        args.steps,
        args.warmup,
        jit_compile=True,
        pairs=pairs,
    )
    print(
        f"\nOur cells vs the built-in (cuDNN where used); batch {cell_batch}, "
        f"T={timesteps}, D={features}, U={units}, float32, median train step\n"
    )
    print(format_rows(rows))


if __name__ == "__main__":
    main()
