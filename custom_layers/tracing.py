"""Step-by-step traces of a cell's internal quantities, for gate plots.

Every cell here computes a step with its `step` method, which returns every
named quantity of the step (LSTM: i, f, c_tilde, o, c, h; GRU: z, r,
h_tilde, h; Elman: h; Jordan: s, h, y, s_next; ...); its `call` is that
dict turned into Keras's `(output, new_states)`. `trace_states` runs a
sequence through the same `step`, one step at a time in an eager Python
loop, and stacks the dicts over time. The equations stay in one place (the
cell's `step`); nothing is recomputed here.
"""

import numpy as np
from keras import layers
from keras import ops
from keras import tree

from custom_layers import _checks
from custom_layers._cell import RecurrentCell
from custom_layers._keras_private import AutocastScope
from custom_layers.stacked import step_stack


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
        Names are those of the cell's `step`; in a stack of cells
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
    (['c', 'c_tilde', 'f', 'h', 'i', 'o'], (2, 5, 3))
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
    _check_traceable(cell)
    if not cell.built:
        cell.build((batch, *shape[2:]))
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
    order = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    # Read the variables in the compute dtype, as the cell's __call__ would.
    with AutocastScope(cell.compute_dtype):
        for t in order:
            steps.append({})
            x_t = ops.convert_to_tensor(inputs[:, t], dtype=cell.compute_dtype)
            _, states = _step(cell, x_t, states, steps[-1])
    if go_backwards:
        steps.reverse()
    return {name: np.stack([step[name] for step in steps], axis=1) for name in steps[0]}


def _default_sequence_check(layer_name, shape):
    _checks.check_sequence_shape(layer_name, shape)


def _check_traceable(cell):
    """Raises a clear error unless every cell (of a stack) has a `step`."""
    if isinstance(cell, RecurrentCell):
        return
    if hasattr(cell, "cells"):
        for inner in cell.cells:
            _check_traceable(inner)
        return
    raise ValueError(
        f"Cannot trace cell {type(cell).__name__}: only the cells of "
        "custom_layers name their internal quantities (Keras's built-in "
        "cells do not). Use e.g. custom_layers.LSTMCell, whose weights copy "
        "from keras.layers.LSTMCell with set_weights."
    )


def _step(cell, x_t, states, quantities, prefix=""):
    """One step of `cell` through its `step` (a stack: through each cell's);
    adds the step's named quantities to `quantities`, as NumPy arrays, and
    returns Keras's `(output, new_states)`."""
    if isinstance(cell, RecurrentCell):
        step = cell.step(x_t, *states, training=False)
        for name, value in step.items():
            quantities[prefix + name] = ops.convert_to_numpy(value)
        return cell.outputs(step)
    # StackedCells, or keras.layers.StackedRNNCells (no skip connections)
    return step_stack(
        cell.cells,
        x_t,
        states,
        lambda index, inner, x, inner_states: _step(
            inner, x, inner_states, quantities, f"{prefix}layer{index + 1}/"
        ),
        getattr(cell, "skip_connections", False),
    )
