"""Argument and input validation shared by every cell and layer.

Each check raises a `ValueError` that says what was wrong and what is
expected, so a student sees the cause of a mistake instead of a traceback from
deep inside a backend.
"""

from keras import activations


def check_positive_int(name, value):
    """Returns `value` if it is a positive integer, else raises `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
    return value


def check_rate(name, value):
    """Returns `value` as a float if it is a dropout rate in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"`{name}` must be a float in [0, 1) (the fraction of units to "
            f"drop), got {value!r}."
        )
    if not 0.0 <= value < 1.0:
        raise ValueError(
            f"`{name}` must be in [0, 1) (the fraction of units to drop), got {value}."
        )
    return float(value)


def get_activation(name, identifier):
    """Resolves an activation like `keras.activations.get`, with a clear error.

    `None` means the identity, as in Keras.
    """
    try:
        return activations.get(identifier)
    except (ValueError, TypeError):
        raise ValueError(
            f"Unknown activation {identifier!r} for `{name}`. Expected the "
            "name of a Keras activation (e.g. 'tanh', 'sigmoid', 'relu', "
            "'linear'), a callable, or None."
        ) from None


def check_sequence_shape(layer_name, shape):
    """Checks that a sequence layer's input is (batch, timesteps, features)."""
    if len(shape) != 3:
        raise ValueError(
            f"Layer '{layer_name}' expects a 3-D input of shape "
            f"(batch, timesteps, features), got an input of rank {len(shape)} "
            f"with shape {tuple(shape)}. For a single sequence add a batch "
            "axis (x[None]); for one feature per step add a last axis "
            "(x[..., None])."
        )
    if shape[-1] is None:
        raise ValueError(
            f"Layer '{layer_name}' needs a known feature size (the last axis "
            f"of its input), got shape {tuple(shape)}."
        )


def check_step_shape(cell_name, shape):
    """Checks that a cell's input is one time step, (batch, features)."""
    if len(shape) != 2:
        raise ValueError(
            f"Cell '{cell_name}' computes one time step and expects a 2-D "
            f"input of shape (batch, features), got an input of rank "
            f"{len(shape)} with shape {tuple(shape)}. For a whole sequence "
            "(batch, timesteps, features) use the sequence layer (e.g. "
            "custom_layers.LSTM) or keras.layers.RNN(cell); for step t of a "
            "sequence pass x[:, t]."
        )


def check_image_shape(layer_description, shape):
    """Checks an image layer's input is (batch, height, width, channels) with
    known sizes; returns (height, width, channels)."""
    if len(shape) != 4:
        raise ValueError(
            f"{layer_description} expects a 4-D input (batch, height, width, "
            f"channels), got rank {len(shape)} with shape {tuple(shape)}."
        )
    if any(size is None for size in shape[1:]):
        raise ValueError(
            f"{layer_description} needs a known height, width and channel "
            f"count, got shape {tuple(shape)}."
        )
    return tuple(shape[1:])


def check_feature_size(layer_name, built_size, shape):
    """Checks that the feature size still matches the built kernel."""
    if shape[-1] is not None and shape[-1] != built_size:
        raise ValueError(
            f"Layer '{layer_name}' was built for inputs with {built_size} "
            f"features, got an input of shape {tuple(shape)} with "
            f"{shape[-1]} features. A recurrent layer's weights fix the "
            "feature size; use a new layer for the new size."
        )


def check_unit_interval(name, value):
    """Returns `value` as a float if it is a number in [0, 1]."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0.0 <= value <= 1.0
    ):
        raise ValueError(f"`{name}` must be a float in [0, 1], got {value!r}.")
    return float(value)


def check_choice(name, value, choices):
    """Returns the entry of `choices` that `value` names (ignoring case)."""
    if isinstance(value, str):
        for choice in choices:
            if value.lower() == choice.lower():
                return choice
    valid = ", ".join(repr(choice) for choice in choices)
    raise ValueError(f"Unknown `{name}` {value!r}. Expected one of: {valid}.")


def check_implementation(value):
    """Returns Keras's `implementation` hint if it is 0 (legacy), 1 or 2."""
    if isinstance(value, bool) or value not in (0, 1, 2):
        raise ValueError(
            f"`implementation` must be 1 or 2 (Keras's performance hint; 0 "
            f"is read from legacy configs), got {value!r}."
        )
    return value


def check_use_cudnn(value):
    """Returns `use_cudnn` if it is "auto" or False; says why True cannot be."""
    if value is True:
        raise ValueError(
            "`use_cudnn=True` cannot be honoured: these layers run their "
            "hand-written cell, never cuDNN's kernel. Pass use_cudnn='auto' "
            "or False (both run the cell), or use the built-in Keras layer "
            "for cuDNN."
        )
    if isinstance(value, str) and value == "auto" or value is False:
        return value
    raise ValueError(f"`use_cudnn` must be 'auto', True or False, got {value!r}.")
