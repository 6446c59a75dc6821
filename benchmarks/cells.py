"""Training-step time of our layers against Keras's built-ins (a benchmark,
not a test).

Each pair gets identical shapes, the same model around the recurrent layer
(RNN -> Dense(1), MSE, Adam) and the same compile settings. Steps of the two
models alternate, so both see the same machine load, and the table reports
the median step time of each and their ratio (ours / built-in). Layers
with no Keras counterpart (Jordan, deep transition / output, stacks, the
LSTM variants of Greff et al.) are timed against `keras.layers.LSTM` of the
same width: the ratio shows what peepholes or deep transitions cost.

    python benchmarks/cells.py                 # batch 64, T=100, D=32, U=128
    python benchmarks/cells.py --steps 50 --jit
    python benchmarks/cells.py --only LSTMVariant    # rows whose name matches

On a GPU with the TensorFlow backend the built-in LSTM/GRU use cuDNN and are
expected to be much faster: that gap is what cuDNN buys, not a defect of the
cells (see docs/reference.md, "cuDNN").
"""

import argparse
import statistics
import time

import keras
import numpy as np

import custom_layers
from custom_layers.lstm_variants import VARIANTS


def _layer(layer_class, **kwargs):
    return lambda units: layer_class(units, **kwargs)


def _stacked_lstm(skip_connections):
    return lambda units: custom_layers.StackedRNN(
        [custom_layers.LSTMCell(units), custom_layers.LSTMCell(units)],
        skip_connections=skip_connections,
    )


BUILTIN_LSTM = _layer(keras.layers.LSTM)

# (name, our layer, the built-in it is timed against), each made from `units`.
# The first four compute what their built-in computes; the others have no
# built-in and are timed against the LSTM of the same width, so the ratio
# shows what peepholes, deep transitions or a second layer cost.
PAIRS = [
    ("ElmanRNN", _layer(custom_layers.ElmanRNN), _layer(keras.layers.SimpleRNN)),
    ("LSTM", _layer(custom_layers.LSTM), BUILTIN_LSTM),
    ("GRU", _layer(custom_layers.GRU), _layer(keras.layers.GRU)),
    (
        "GRU reset_after=False",
        _layer(custom_layers.GRU, reset_after=False),
        _layer(keras.layers.GRU, reset_after=False),
    ),
    ("JordanRNN (vs LSTM)", _layer(custom_layers.JordanRNN), BUILTIN_LSTM),
    (
        "DeepTransitionRNN L=2 (vs LSTM)",
        _layer(custom_layers.DeepTransitionRNN, transition_layers=2),
        BUILTIN_LSTM,
    ),
    (
        "DeepTransitionRNN L=2 shortcut (vs LSTM)",
        _layer(custom_layers.DeepTransitionRNN, transition_layers=2, shortcut=True),
        BUILTIN_LSTM,
    ),
    (
        "DeepOutputRNN L=2 (vs LSTM)",
        _layer(custom_layers.DeepOutputRNN, output_layers=2),
        BUILTIN_LSTM,
    ),
    ("StackedRNN 2 x LSTMCell (vs LSTM)", _stacked_lstm(False), BUILTIN_LSTM),
    ("StackedRNN 2 x LSTMCell, skip (vs LSTM)", _stacked_lstm(True), BUILTIN_LSTM),
] + [
    (
        f"LSTMVariant {variant} (vs LSTM)",
        _layer(custom_layers.LSTMVariant, variant=variant),
        BUILTIN_LSTM,
    )
    for variant in VARIANTS
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


def run(
    batch,
    timesteps,
    features,
    units,
    steps,
    warmup,
    jit_compile,
    seed=0,
    pairs=PAIRS,
):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    y = rng.normal(size=(batch, 1)).astype("float32")
    rows = []
    for name, make_ours, make_builtin in pairs:
        models = [
            training_model(make(units), timesteps, features, jit_compile)
            for make in (make_ours, make_builtin)
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
    parser.add_argument(
        "--only", default="", help="run the rows whose name contains this"
    )
    args = parser.parse_args(argv)
    pairs = [pair for pair in PAIRS if args.only in pair[0]]
    rows = run(
        args.batch,
        args.timesteps,
        args.features,
        args.units,
        args.steps,
        args.warmup,
        args.jit,
        pairs=pairs,
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
