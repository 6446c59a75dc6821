"""Training-step time of our layers against Keras's built-ins (a benchmark,
not a test).

Each pair gets identical shapes, the same model around the recurrent layer
(RNN -> Dense(1), MSE, Adam) and the same compile settings. Steps of the two
models alternate, so both see the same machine load, and the table reports
the median step time of each and their ratio (ours / built-in).

    python benchmarks/cells.py                 # batch 64, T=100, D=32, U=128
    python benchmarks/cells.py --steps 50 --jit

On a GPU with the TensorFlow backend the built-in LSTM/GRU use cuDNN and are
expected to be much faster: that gap is what cuDNN buys, not a defect of the
cells (see SPEC.md §2).
"""

import argparse
import statistics
import time

import keras
import numpy as np

import custom_layers

PAIRS = [
    ("ElmanRNN", custom_layers.ElmanRNN, keras.layers.SimpleRNN, {}),
    ("LSTM", custom_layers.LSTM, keras.layers.LSTM, {}),
    ("GRU", custom_layers.GRU, keras.layers.GRU, {}),
    ("GRU reset_after=False", custom_layers.GRU, keras.layers.GRU, {"reset_after": False}),
]


def training_model(layer, timesteps, features, jit_compile):
    model = keras.Sequential(
        [keras.Input((timesteps, features)), layer, keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=jit_compile)
    return model


def step_times(models, x, y, steps, warmup):
    """Alternates `train_on_batch` between the models; returns their times."""
    times = [[] for _ in models]
    for step in range(warmup + steps):
        for index, model in enumerate(models):
            start = time.perf_counter()
            model.train_on_batch(x, y)
            elapsed = time.perf_counter() - start
            if step >= warmup:
                times[index].append(elapsed)
    return times


def run(batch, timesteps, features, units, steps, warmup, jit_compile, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    y = rng.normal(size=(batch, 1)).astype("float32")
    rows = []
    for name, ours_class, builtin_class, kwargs in PAIRS:
        models = [
            training_model(cls(units, **kwargs), timesteps, features, jit_compile)
            for cls in (ours_class, builtin_class)
        ]
        ours_times, builtin_times = step_times(models, x, y, steps, warmup)
        ours_ms = 1000 * statistics.median(ours_times)
        builtin_ms = 1000 * statistics.median(builtin_times)
        rows.append((name, ours_ms, builtin_ms, ours_ms / builtin_ms))
    return rows


def format_rows(rows):
    lines = [
        "| layer | ours (ms/step) | built-in (ms/step) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name, ours_ms, builtin_ms, ratio in rows:
        lines.append(f"| {name} | {ours_ms:.1f} | {builtin_ms:.1f} | {ratio:.2f}x |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--timesteps", type=int, default=100)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--jit", action="store_true", help="compile the train step with XLA"
    )
    args = parser.parse_args(argv)
    rows = run(
        args.batch, args.timesteps, args.features, args.units,
        args.steps, args.warmup, args.jit,
    )
    print(
        f"Keras {keras.__version__}, backend {keras.backend.backend()}, "
        f"jit_compile={args.jit}; batch {args.batch}, T={args.timesteps}, "
        f"D={args.features}, U={args.units}; median of {args.steps} "
        "training steps each"
    )
    print(format_rows(rows))


if __name__ == "__main__":
    main()
