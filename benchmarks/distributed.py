"""Training images/s of the small lecture classifier under
`course.device.distribution()` on 1, 2 and 4 simulated CPU devices (JAX
backend; a benchmark, not a test).

Each device count runs in its own process (XLA fixes the number of host
devices when it starts), in `--rounds` rounds that take the counts in turn,
so that other jobs on a shared machine slow every count alike; the table
gives the median images/s over the rounds and the ratio to 1 device. On a
CPU the simulated devices share the same cores, so the ratio measures the
overhead of splitting the batch, not a speed-up.

    python benchmarks/distributed.py              # 1, 2, 4 devices
    python benchmarks/distributed.py --devices 1 8 --batch 32 --steps 10
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def measure(batch, size, steps):
    """Median images/s of `steps` timed training steps (after one warm-up)."""
    import keras
    import numpy as np

    import course.device
    import course.models

    engine = course.device.distribution()
    course.device.check_global_batch(batch, engine)
    keras.utils.set_random_seed(0)
    model = course.models.spatial_rnn_classifier((size, size, 3), width=0.125)
    model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(batch, size, size, 3)).astype("float32")
    y = rng.integers(0, 2, size=batch)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # compiles
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def child_rate(count, args):
    """images/s on `count` simulated devices, measured in a fresh process."""
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": f"--xla_force_host_platform_device_count={count}",
        "PYTHONPATH": str(ROOT),
    }
    child = [sys.executable, __file__, "--child", "--batch", str(args.batch)]
    child += ["--size", str(args.size), "--steps", str(args.steps)]
    result = subprocess.run(child, capture_output=True, text=True, env=env)
    if result.returncode:
        sys.exit(f"{count} devices failed:\n{result.stderr[-2000:]}")
    return float(result.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--batch", type=int, default=16, help="global batch")
    parser.add_argument("--size", type=int, default=32, help="image side, pixels")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(measure(args.batch, args.size, args.steps))
        return
    samples = {count: [] for count in args.devices}
    for _ in range(args.rounds):
        for count in args.devices:
            samples[count].append(child_rate(count, args))
    rates = {count: statistics.median(found) for count, found in samples.items()}
    print(
        f"classifier width 0.125, {args.size}x{args.size}, global batch "
        f"{args.batch}, median of {args.rounds} rounds"
    )
    print(f"{'devices':>7}  {'images/s':>9}  {'ratio':>5}  {'rounds, min-max':>15}")
    for count, rate in rates.items():
        ratio = rate / rates[args.devices[0]]
        spread = f"{min(samples[count]):.0f}-{max(samples[count]):.0f}"
        print(f"{count:>7}  {rate:>9.1f}  {ratio:>5.2f}  {spread:>15}")


if __name__ == "__main__":
    main()
