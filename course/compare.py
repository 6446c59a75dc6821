"""Checks the hand-written cells against Keras's built-in layers.

For each of `ElmanRNN`, `LSTM` and `GRU` (both `reset_after` conventions) the
built-in layer is given random weights, they are copied into ours with
`set_weights`, and both run on the same random sequences. The table shows the
largest absolute difference of the outputs (sequence and final states) and of
the gradients with respect to the inputs and to every weight.

Run it with `python -m course.compare` (or `course compare`).
"""

import argparse
import sys

import numpy as np

# (name, our layer in custom_layers, the built-in in keras.layers, arguments)
PAIRS = [
    ("ElmanRNN / SimpleRNN", "ElmanRNN", "SimpleRNN", {}),
    ("LSTM / LSTM", "LSTM", "LSTM", {}),
    ("GRU / GRU (reset_after=True)", "GRU", "GRU", {}),
    ("GRU / GRU (reset_after=False)", "GRU", "GRU", {"reset_after": False}),
]
TOLERANCE = 1e-5


def outputs_and_gradients(layer, x, probe_seed=99, **call_kwargs):
    """Runs `layer(x)` and differentiates a fixed random projection of all
    of its outputs (so every output element gets its own weight).

    Works on the TensorFlow and JAX backends.

    Args:
        layer: A Keras layer (built or not).
        x: NumPy input.
        probe_seed: Seed of the random projection.
        **call_kwargs: Passed to the layer's call (e.g. `training=True`).

    Returns:
        `(outputs, grad_x, grad_weights)`: a list of NumPy outputs, the
        gradient for `x`, and one gradient per trainable weight.
    """
    import keras

    outputs = layer(x, **call_kwargs)
    flat = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    rng = np.random.default_rng(probe_seed)
    probes = [rng.normal(size=out.shape).astype("float32") for out in flat]

    def probe_loss(result):
        result = result if isinstance(result, (list, tuple)) else [result]
        return sum(
            keras.ops.sum(keras.ops.cast(out, "float32") * probe)
            for out, probe in zip(result, probes)
        )

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x_tensor = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x_tensor)
            loss = probe_loss(layer(x_tensor, **call_kwargs))
        gradients = tape.gradient(loss, [x_tensor] + list(layer.trainable_variables))
    elif backend == "jax":
        import jax

        def loss_of(x_value, trainable_values):
            result, _ = layer.stateless_call(
                trainable_values,
                [v.value for v in layer.non_trainable_variables],
                x_value,
                **call_kwargs,
            )
            return probe_loss(result)

        grad_x, grad_weights = jax.grad(loss_of, argnums=(0, 1))(
            x, [v.value for v in layer.trainable_variables]
        )
        gradients = [grad_x, *grad_weights]
    else:
        raise NotImplementedError(
            f"Gradients are computed for the tensorflow and jax backends, "
            f"not {backend!r}; set KERAS_BACKEND to one of those."
        )
    gradients = [keras.ops.convert_to_numpy(g) for g in gradients]
    outputs = [keras.ops.convert_to_numpy(out) for out in flat]
    return outputs, gradients[0], gradients[1:]


def compare(batch=8, timesteps=20, features=16, units=32, seed=0):
    """Compares every pair in `PAIRS`; returns one result dict per pair."""
    import keras

    import custom_layers

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, timesteps, features)).astype("float32")
    results = []
    for name, ours_name, builtin_name, kwargs in PAIRS:
        ours_class = getattr(custom_layers, ours_name)
        builtin_class = getattr(keras.layers, builtin_name)
        ours = ours_class(units, return_sequences=True, return_state=True, **kwargs)
        builtin = builtin_class(
            units, return_sequences=True, return_state=True, **kwargs
        )
        ours.build(x.shape)
        builtin.build(x.shape)
        weights = [
            (0.5 * rng.normal(size=w.shape)).astype("float32")
            for w in builtin.get_weights()
        ]
        builtin.set_weights(weights)
        ours.set_weights(weights)
        out_ours, dx_ours, dw_ours = outputs_and_gradients(ours, x)
        out_builtin, dx_builtin, dw_builtin = outputs_and_gradients(builtin, x)
        results.append(
            {
                "pair": name,
                "outputs": len(out_ours),
                "weights": len(weights),
                "max_output_error": _max_difference(out_ours, out_builtin),
                "max_gradient_error": _max_difference(
                    [dx_ours, *dw_ours], [dx_builtin, *dw_builtin]
                ),
                "bit_identical_outputs": all(
                    np.array_equal(a, b) for a, b in zip(out_ours, out_builtin)
                ),
            }
        )
    return results


def _max_difference(ours, theirs):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(ours, theirs))


def format_table(results):
    header = (
        f"{'ours / Keras built-in':<32}{'max |Δ output|':>16}"
        f"{'max |Δ gradient|':>18}{'outputs bit-identical':>23}"
    )
    lines = [header, "-" * len(header)]
    for row in results:
        lines.append(
            f"{row['pair']:<32}{row['max_output_error']:>16.2e}"
            f"{row['max_gradient_error']:>18.2e}"
            f"{'yes' if row['bit_identical_outputs'] else 'no':>23}"
        )
    return "\n".join(lines)


def add_arguments(parser):
    """The options of `course compare` (and `python -m course.compare`)."""
    parser.add_argument("--batch", type=int, default=8, help="default 8")
    parser.add_argument("--timesteps", type=int, default=20, help="default 20")
    parser.add_argument("--features", type=int, default=16, help="default 16")
    parser.add_argument("--units", type=int, default=32, help="default 32")
    parser.add_argument("--seed", type=int, default=0, help="default 0")


DESCRIPTION = "Check the hand-written cells against Keras's built-in layers."


def run(args):
    """Prints the table for parsed `args`; returns the exit status."""
    import keras

    print(
        f"Keras {keras.__version__}, backend {keras.backend.backend()}; "
        f"batch {args.batch}, {args.timesteps} steps, {args.features} "
        f"features, {args.units} units; weights copied from the built-in."
    )
    results = compare(args.batch, args.timesteps, args.features, args.units, args.seed)
    print(format_table(results))
    worst = max(
        max(row["max_output_error"], row["max_gradient_error"]) for row in results
    )
    if worst > TOLERANCE:
        print(f"FAILED: a difference of {worst:.2e} exceeds {TOLERANCE:.0e}.")
        return 1
    print(f"OK: every difference is within {TOLERANCE:.0e}.")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m course.compare", description=DESCRIPTION
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
