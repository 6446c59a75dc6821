"""Stacked recurrent cells and layers, with optional skip connections
(Graves, 2013, "Generating sequences with recurrent neural networks")."""

from keras import layers
from keras import ops
from keras import saving
from keras import tree

from custom_layers._cell import StepInputCheck
from custom_layers._cell import cell_input_size
from custom_layers._cell import cell_output_size
from custom_layers._keras_private import DropoutRNNCell
from custom_layers._sequence import CheckedRNN


def _from_cells_config(cls, config, custom_objects):
    """`cls` from a config whose `cells` are serialized cells."""
    config = dict(config)
    cells = [
        saving.deserialize_keras_object(cell, custom_objects=custom_objects)
        for cell in config.pop("cells")
    ]
    return cls(cells, **config)


def step_stack(cells, inputs, states, step_cell, skip_connections=False):
    """One step of stacked cells, bottom first (the routing of `StackedCells`
    and, without skip connections, of `keras.layers.StackedRNNCells`).

    Args:
        cells: The cells, bottom first.
        inputs: x_t, `(batch, features)`.
        states: Each cell's states (a tensor or a list), bottom first.
        step_cell: `step_cell(index, cell, layer_input, cell_states)` runs
            one cell (index 0 at the bottom) and returns Keras's
            `(output, new_states)`.
        skip_connections: Whether x_t feeds every layer and every layer
            feeds the output.

    Returns:
        `(output, new_states)`, the states nested as in `states`.
    """
    layer_input, outputs, new_states = inputs, [], []
    for index, (cell, cell_states) in enumerate(zip(cells, states)):
        nested = tree.is_nested(cell_states)
        cell_states = list(cell_states) if nested else [cell_states]
        if skip_connections and index > 0:
            layer_input = ops.concatenate([inputs, layer_input], axis=-1)
        output, cell_states = step_cell(index, cell, layer_input, cell_states)
        if not tree.is_nested(cell_states):
            cell_states = [cell_states]
        new_states.append(list(cell_states) if nested else cell_states[0])
        outputs.append(output)
        layer_input = output
    if skip_connections:
        return ops.concatenate(outputs, axis=-1), new_states
    return outputs[-1], new_states


@saving.register_keras_serializable(package="custom_layers")
class StackedCells(StepInputCheck, layers.Layer, DropoutRNNCell):
    """Stacked recurrent cells, stepped together, with optional skip
    connections (Graves, 2013).

    h_t^1 = cell_1(x_t, h_{t-1}^1)
    h_t^l = cell_l(h_t^{l-1}, h_{t-1}^l)                 l = 2 … N
    h_t^l = cell_l([x_t, h_t^{l-1}], h_{t-1}^l)          skip_connections
    output: h_t^N, or [h_t^1, …, h_t^N] with skip_connections

    Without skip connections this is `keras.layers.StackedRNNCells` (the
    same numbers with the same weights), and a `keras.layers.RNN` around
    it equals a pile of sequence layers with `return_sequences=True`: the
    stack reads the sequence once, step-major, where the pile runs each
    layer over the whole sequence in turn. With `skip_connections=True`
    every layer above the first also reads x_t (concatenated before the
    lower layer's output: its `kernel` has features + lower-size rows) and
    the output concatenates every layer's output, so a following `Dense`
    computes Graves's y_t = b + Σ_l W_l h_t^l. Both shorten the paths from
    input to output through depth.

    The dropout masks of every cell (input and recurrent) are made once,
    before the time loop, as `keras.layers.RNN` does for
    `StackedRNNCells` (JAX's scan requires it), also with skip
    connections, where the cells above the first read wider inputs.

    Args:
        cells: A list of RNN cells (of this package or Keras's), bottom
            first.
        skip_connections: Whether x_t feeds every layer and every layer
            feeds the output. Default `False`.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`, the input x_t.
        states: A list with each cell's states, bottom first.
        training: Whether dropout is applied.

    Example:

    >>> cells = [ElmanCell(8), LSTMCell(8)]
    >>> rnn = keras.layers.RNN(StackedCells(cells, skip_connections=True))
    >>> rnn(np.zeros((2, 5, 3))).shape
    (2, 16)
    """

    def __init__(self, cells, skip_connections=False, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(
                f"`cells` must be a non-empty list of RNN cells, got {cells!r}."
            )
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(
                    "Every entry of `cells` must be an RNN cell (with `call` "
                    f"and `state_size`), got {cell!r}."
                )
        if kwargs.get("dtype") is None:
            # keras.layers.RNN casts the initial states to the compute dtype
            # of its cell: by default, the cells'.
            kwargs["dtype"] = cells[0].dtype_policy
        super().__init__(**kwargs)
        self.cells = list(cells)
        self.skip_connections = bool(skip_connections)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        sizes = [cell_output_size(cell) for cell in self.cells]
        return sum(sizes) if self.skip_connections else sizes[-1]

    @property
    def input_size(self):
        return cell_input_size(self.cells[0])

    def layer_input_sizes(self, features):
        """The input size of each cell when the stack reads `features`."""
        sizes = [features]
        for cell in self.cells[:-1]:
            size = cell_output_size(cell)
            sizes.append(size + features if self.skip_connections else size)
        return sizes

    def build(self, input_shape):
        batch = input_shape[0]
        for cell, size in zip(self.cells, self.layer_input_sizes(input_shape[-1])):
            if not cell.built:
                cell.build((batch, size))

    def get_initial_state(self, batch_size=None):
        return [
            cell.get_initial_state(batch_size=batch_size)
            if hasattr(cell, "get_initial_state")
            else [
                ops.zeros((batch_size, size), dtype=self.compute_dtype)
                for size in tree.flatten(cell.state_size)
            ]
            for cell in self.cells
        ]

    def call(self, inputs, states, training=False):
        return step_stack(
            self.cells,
            inputs,
            states,
            lambda index, cell, x, cell_states: cell(x, cell_states, training=training),
            self.skip_connections,
        )

    # keras.layers.RNN asks a DropoutRNNCell for its masks once, before the
    # loop, with the first step's input; make every cell's masks there.
    def get_dropout_mask(self, step_input):
        batch = ops.shape(step_input)[0]
        sizes = self.layer_input_sizes(step_input.shape[-1])
        for cell, size in zip(self.cells, sizes):
            if isinstance(cell, DropoutRNNCell):
                cell.get_dropout_mask(ops.zeros((batch, size), dtype=step_input.dtype))
                first_state = tree.flatten(cell.state_size)[0]
                cell.get_recurrent_dropout_mask(
                    ops.zeros((batch, first_state), dtype=step_input.dtype)
                )
        return None

    def get_recurrent_dropout_mask(self, step_input):
        return None  # made in get_dropout_mask, per cell

    def reset_dropout_mask(self):
        for cell in self.cells:
            if isinstance(cell, DropoutRNNCell):
                cell.reset_dropout_mask()

    def reset_recurrent_dropout_mask(self):
        for cell in self.cells:
            if isinstance(cell, DropoutRNNCell):
                cell.reset_recurrent_dropout_mask()

    def get_config(self):
        return {
            **super().get_config(),
            "cells": [saving.serialize_keras_object(cell) for cell in self.cells],
            "skip_connections": self.skip_connections,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return _from_cells_config(cls, config, custom_objects)


@saving.register_keras_serializable(package="custom_layers")
class StackedRNN(CheckedRNN):
    """Stacked recurrent layers as one sequence layer (`StackedCells` in a
    `keras.layers.RNN`), optionally with skip connections.

    Args:
        cells: A list of RNN cells, bottom first (e.g.
            `[LSTMCell(64), LSTMCell(64)]`).
        skip_connections: See `StackedCells`. Default `False`.
        return_sequences, return_state, go_backwards, stateful, unroll:
            As for `keras.layers.RNN`. The states returned are every
            cell's, bottom first.
        **kwargs: Layer arguments (name, dtype, ...).

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list with each cell's initial states.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = StackedRNN([GRUCell(8), GRUCell(8)], return_sequences=True)
    >>> layer(np.zeros((2, 5, 3))).shape
    (2, 5, 8)
    """

    def __init__(self, cells, skip_connections=False, **kwargs):
        cell = StackedCells(cells, skip_connections, dtype=kwargs.get("dtype"))
        super().__init__(cell, **kwargs)

    @property
    def cells(self):
        return self.cell.cells

    @property
    def skip_connections(self):
        return self.cell.skip_connections

    def get_config(self):
        config = super().get_config()
        cell_config = config.pop("cell")["config"]
        config["cells"] = cell_config["cells"]
        config["skip_connections"] = cell_config["skip_connections"]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return _from_cells_config(cls, config, custom_objects)
