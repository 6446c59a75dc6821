"""Step-by-step traces of a cell's internal quantities, for gate plots.

Every cell here ends its `call` with `self.record(...)`, naming what it
computed at that step (LSTM: i, f, g, o, c, h; GRU: z, r, h_candidate, h;
Elman: h; Jordan: s, h, y; ...). `trace_states` runs a sequence through the
cell one step at a time, in an eager Python loop, and collects them. The
equations stay in one place (the cell's `call`); nothing is recomputed here.
"""

import numpy as np
from keras import layers
from keras import ops
from keras import tree

from custom_layers import _checks
from custom_layers._cell import RecurrentCell


def trace_states(layer_or_cell, inputs, initial_state=None):
    """Runs `inputs` through a cell step by step and returns what it computed.

    Args:
        layer_or_cell: A cell of this package (`LSTMCell`, `JordanCell`,
            `StackedCells`, ...) or a `keras.layers.RNN` around one (every
            sequence layer here is one: `LSTM`, `JordanRNN`, ...). An
            unbuilt one is built for `inputs`.
        inputs: A 3-D array `(batch, timesteps, features)` (for a
            `ConvLSTM2D`, frames `(batch, timesteps, height, width,
            channels)`).
        initial_state: Optional list of initial state tensors, as the
            layer's `initial_state` call argument; by default zeros (or a
            stateful layer's current states, which are not updated).

    Returns:
        A dict from quantity name to a NumPy array `(batch, timesteps,
        size)` (for a `ConvLSTM2D`, `(batch, timesteps, height', width',
        filters)`), where `[:, t]` is the value at the step that read `x_t`.
        Names are those the cell records; in a stack of cells
        (`StackedCells`, `keras.layers.StackedRNNCells`) they are prefixed
        with the layer, `"layer1/h"`, `"layer2/h"`, ...
        The `h` (or, for cells with an output layer, `y`) of a layer is its
        own `return_sequences=True` output: bit for bit on TensorFlow, to
        float rounding on JAX (XLA compiles the layer's scanned step as a
        whole). For a `go_backwards=True` layer the cell reads the
        sequence last step first, as the layer does, but the trace is
        still indexed by `t` (the layer's output is that reversed:
        `trace["h"][:, ::-1]`).

    Masks are not supported (trace unpadded sequences) and dropout is off
    (`training=False`).

    Example:

    >>> layer = LSTM(3, return_sequences=True)
    >>> trace = trace_states(layer, np.zeros((2, 5, 4)))
    >>> sorted(trace), trace["f"].shape
    (['c', 'f', 'g', 'h', 'i', 'o'], (2, 5, 3))
    """
    if not hasattr(inputs, "shape"):
        inputs = np.asarray(inputs, dtype="float32")
    shape = tuple(inputs.shape)
    if isinstance(layer_or_cell, layers.RNN):
        layer, cell = layer_or_cell, layer_or_cell.cell
        if not layer.built:
            layer.build(shape)
        go_backwards = layer.go_backwards
        if initial_state is None and layer.stateful and layer.states is not None:
            initial_state = tree.map_structure(ops.convert_to_tensor, layer.states)
    elif isinstance(layer_or_cell, layers.Layer) and hasattr(
        layer_or_cell, "state_size"
    ):
        cell, go_backwards = layer_or_cell, False
    else:
        raise ValueError(
            "trace_states expects a recurrent cell of custom_layers or a "
            "keras.layers.RNN around one (e.g. LSTM, JordanRNN), got "
            f"{type(layer_or_cell).__name__}. For a Bidirectional layer "
            "trace its forward_layer and backward_layer separately."
        )

    # (batch, timesteps, features), or frames for a ConvLSTM: the cell knows
    getattr(cell, "check_sequence", _default_sequence_check)("trace_states", shape)
    if cell.built and hasattr(cell, "input_size"):
        _checks.check_feature_size(cell.name, cell.input_size, shape)
    batch, timesteps = shape[0], shape[1]
    if initial_state is None:
        states = cell.get_initial_state(batch_size=batch)
    else:
        states = initial_state
    if not tree.is_nested(states):
        states = [states]
    states = tree.map_structure(
        lambda s: ops.convert_to_tensor(s, dtype=cell.compute_dtype), list(states)
    )

    steps = []  # one dict per step, in the order the cell reads them
    tracers = _install(cell, steps)
    try:
        order = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
        for t in order:
            steps.append({})
            x_t = ops.convert_to_tensor(inputs[:, t], dtype=cell.compute_dtype)
            _, states = cell(x_t, states, training=False)
            if not tree.is_nested(states):
                states = [states]
    finally:
        for traced in tracers:
            vars(traced).pop("_trace_callback", None)
    if go_backwards:
        steps.reverse()
    return {name: np.stack([step[name] for step in steps], axis=1) for name in steps[0]}


def _default_sequence_check(layer_name, shape):
    _checks.check_sequence_shape(layer_name, shape)


def _install(cell, steps, prefix=""):
    """Points the `record` of `cell` (and of the cells in a stack) at the
    current step's dict; returns the cells to restore afterwards."""
    if isinstance(cell, RecurrentCell):

        def callback(quantities):
            for name, value in quantities.items():
                steps[-1][prefix + name] = ops.convert_to_numpy(value)

        # A plain instance attribute: Keras's tracking leaves functions alone,
        # and object.__setattr__ keeps it out of the layer's state entirely.
        object.__setattr__(cell, "_trace_callback", callback)
        return [cell]
    if hasattr(cell, "cells"):
        installed = []
        for index, inner in enumerate(cell.cells, start=1):
            installed += _install(inner, steps, f"{prefix}layer{index}/")
        return installed
    raise ValueError(
        f"Cannot trace cell {type(cell).__name__}: only the cells of "
        "custom_layers record their internal quantities (Keras's built-in "
        "cells do not). Use e.g. custom_layers.LSTMCell, whose weights copy "
        "from keras.layers.LSTMCell with set_weights."
    )
