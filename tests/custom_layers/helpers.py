"""What the layer tests share: our layer next to its Keras built-in, with the same weights,
and gradients on whichever backend the tests run (TensorFlow or JAX)."""

import keras
import numpy as np

import custom_layers

# family -> (our layer, the built-in it must match, constructor arguments)
FAMILIES = {
    "elman": (custom_layers.ElmanRNN, keras.layers.SimpleRNN, {}),
    "lstm": (custom_layers.LSTM, keras.layers.LSTM, {}),
    "gru": (custom_layers.GRU, keras.layers.GRU, {"reset_after": True}),
    "gru_cho": (custom_layers.GRU, keras.layers.GRU, {"reset_after": False}),
}
CELLS = {
    "elman": (custom_layers.ElmanCell, keras.layers.SimpleRNNCell, {}),
    "lstm": (custom_layers.LSTMCell, keras.layers.LSTMCell, {}),
    "gru": (custom_layers.GRUCell, keras.layers.GRUCell, {"reset_after": True}),
    "gru_cho": (
        custom_layers.GRUCell,
        keras.layers.GRUCell,
        {"reset_after": False},
    ),
}
BATCH, TIMESTEPS, FEATURES, UNITS = 4, 6, 3, 5


def random_inputs(shape=(BATCH, TIMESTEPS, FEATURES), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def copy_random_weights(source, *targets, seed=0, scale=0.5):
    """Gives `source` random non-trivial weights (biases included) and copies
    them into every target with `set_weights`."""
    rng = np.random.default_rng(seed)
    weights = [
        (scale * rng.normal(size=w.shape)).astype("float32")
        for w in source.get_weights()
    ]
    source.set_weights(weights)
    for target in targets:
        target.set_weights(weights)
    return weights


def make_pair(family, units=UNITS, features=FEATURES, batch_size=None, **kwargs):
    """Returns (ours, builtin) layers, built, with identical random weights."""
    ours_class, builtin_class, defaults = FAMILIES[family]
    arguments = {**defaults, **kwargs}
    ours = ours_class(units, **arguments)
    builtin = builtin_class(units, **arguments)
    shape = (batch_size, None, features)
    ours.build(shape)
    builtin.build(shape)
    copy_random_weights(builtin, ours)
    return ours, builtin


def to_numpy(structure):
    if isinstance(structure, (list, tuple)):
        return [to_numpy(item) for item in structure]
    return keras.ops.convert_to_numpy(structure)
