"""SpatialRNN speed on the CPU (a benchmark, not a test).

1. Forward + backward (a training step of SpatialRNN → global average pool →
   Dense, MSE, Adam) of `custom_layers.SpatialRNN` against the reference
   built from Keras's own GRU layers in tests/custom_layers/spatial_reference.py:
   its vectorised form (columns / rows folded into the batch, the best the
   built-ins allow) and its per-column form (one built-in call per column and
   row, what a direct transcription of the paper does). Steps alternate
   between the three models; the table gives medians and ratios.
2. Training images/s of the small lecture classifier
   (`course.models.spatial_rnn_classifier(width=0.125)`) in float32 and in
   mixed_bfloat16.

    python benchmarks/spatial.py                  # both
    python benchmarks/spatial.py --part layer     # 1 only
    python benchmarks/spatial.py --part classifier

For the GPU (JAX backend, float16 too) see benchmarks/gpu.py.
"""

import argparse
import pathlib
import statistics
import sys
import time

import keras
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [
    str(HERE),
    str(HERE.parent),
    str(HERE.parent / "tests" / "custom_layers"),
]

from cells import step_times  # noqa: E402
from spatial_reference import BuiltinSpatialReference  # noqa: E402

from course.models import spatial_rnn_classifier  # noqa: E402
from custom_layers import SpatialRNN  # noqa: E402


def _pooled_model(layer, image_shape, jit_compile):
    model = keras.Sequential(
        [
            keras.Input(image_shape),
            layer,
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=jit_compile)
    return model


def layer_rows(batch, size, channels, units, steps, warmup, jit_compile):
    image_shape = (size, size, channels)
    ours = SpatialRNN(units, cell="gru")
    ours.build((None, *image_shape))
    references = {}
    for name, vectorised in (("vectorised", True), ("per column", False)):
        reference = BuiltinSpatialReference(units, (2, 2), "gru", vectorised=vectorised)
        reference.build((None, *image_shape))
        reference.copy_weights_from(ours)
        references[name] = reference
    models = [
        _pooled_model(layer, image_shape, jit_compile)
        for layer in (ours, *references.values())
    ]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, *image_shape)).astype("float32")
    y = rng.normal(size=(batch, 1)).astype("float32")
    times = step_times(models, x, y, steps, warmup)
    ours_ms, vectorised_ms, per_column_ms = (1000 * statistics.median(t) for t in times)
    return [
        ("SpatialRNN (ours)", ours_ms, 1.0),
        ("built-in GRUs, vectorised", vectorised_ms, ours_ms / vectorised_ms),
        ("built-in GRUs, per column / row", per_column_ms, ours_ms / per_column_ms),
    ]


def images_per_second(build_model, policy, batch, steps, warmup, jit_compile="auto"):
    """Training throughput of `build_model()` under a dtype policy."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = build_model()
        model.compile(
            optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
            loss="sparse_categorical_crossentropy",
            jit_compile=jit_compile,
        )
        rng = np.random.default_rng(0)
        images = rng.uniform(0, 255, (batch, *model.input_shape[1:])).astype("float32")
        labels = rng.integers(0, model.output_shape[-1], batch)
        for _ in range(warmup):
            model.train_on_batch(images, labels)
        start = time.perf_counter()
        for _ in range(steps):
            model.train_on_batch(images, labels)
        return batch * steps / (time.perf_counter() - start)
    finally:
        keras.mixed_precision.set_global_policy(previous)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", choices=["layer", "classifier", "both"], default="both"
    )
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=64, help="image height = width")
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--jit", action="store_true", help="compile with XLA")
    parser.add_argument(
        "--image-size", type=int, default=64, help="classifier input size"
    )
    parser.add_argument(
        "--image-batch", type=int, default=16, help="classifier batch size"
    )
    args = parser.parse_args(argv)
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, CPU")
    if args.part in ("layer", "both"):
        rows = layer_rows(
            args.batch,
            args.size,
            args.channels,
            args.units,
            args.steps,
            args.warmup,
            args.jit,
        )
        print(
            f"\nSpatialRNN(GRU, {args.units} units, block 2x2) on "
            f"{args.batch}x{args.size}x{args.size}x{args.channels}, "
            f"jit_compile={args.jit}; median of {args.steps} training steps\n"
        )
        print("| implementation | ms/step | ours / this |")
        print("|---|---:|---:|")
        for name, milliseconds, ratio in rows:
            print(f"| {name} | {milliseconds:.1f} | {ratio:.2f}x |")
    if args.part in ("classifier", "both"):
        shape = (args.image_size, args.image_size, 3)
        print(
            f"\nspatial_rnn_classifier({shape}, width=0.125), batch {args.image_batch}, "
            "training images/s\n"
        )
        print("| policy | images/s |")
        print("|---|---:|")
        for policy in ("float32", "mixed_bfloat16"):
            rate = images_per_second(
                lambda: spatial_rnn_classifier(shape, width=0.125),
                policy,
                args.image_batch,
                args.steps,
                args.warmup,
            )
            print(f"| {policy} | {rate:.1f} |")


if __name__ == "__main__":
    main()
