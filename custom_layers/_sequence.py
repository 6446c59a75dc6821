"""The sequence layer every hand-written cell is wrapped in.

`keras.layers.SimpleRNN`, `LSTM` and `GRU` are `keras.layers.RNN` around one
cell, with the cell's hyper-parameters flattened into the layer's arguments
and config. `RecurrentLayer` does the same for any cell class here, so
`ElmanRNN`, `LSTM` and `GRU` only name their cell.
"""

import inspect

import keras
from keras import layers
from keras import ops
from keras import regularizers
from keras import tree

from custom_layers import _checks
from custom_layers import _signatures
from custom_layers._keras_private import backend_rnn

# Layer arguments that also configure the cell (Keras passes them down too).
_SHARED_WITH_CELL = ("dtype", "trainable")
# Keys of a cell's config that belong to the layer, not to the cell.
_LAYER_ONLY_KEYS = ("name",) + _SHARED_WITH_CELL


class CheckedRNN(layers.RNN):
    """A `keras.layers.RNN` that checks its input's rank and feature size
    and says what was wrong (base of every sequence layer here). The cell
    tells its built feature size through an `input_size` property."""

    def build(self, sequences_shape, initial_state_shape=None):
        _checks.check_sequence_shape(self.name, sequences_shape)
        super().build(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        _checks.check_sequence_shape(self.name, sequences.shape)
        _checks.check_feature_size(self.name, self.cell.input_size, sequences.shape)
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        # At a masked step, Keras's JAX loop (lax.scan) outputs the cell's
        # first state (in a stack, the top cell's), taking it for the previous
        # output. That holds for Elman, LSTM and GRU but not for a cell whose
        # output is not its first state (Jordan, DO-RNN, stacks with skip
        # connections): for those, carry the output as an extra first state.
        if (
            mask is None
            or self.unroll
            or keras.backend.backend() != "jax"
            or _output_is_first_state(self.cell)
        ):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        cell_kwargs = {}
        if self.cell._call_has_training_arg:
            cell_kwargs["training"] = training

        def step(inputs, states):
            _, *cell_states = states  # drop the previous output
            output, new_states = self.cell(inputs, cell_states, **cell_kwargs)
            if not tree.is_nested(new_states):
                new_states = [new_states]
            return output, [output, *new_states]

        if not tree.is_nested(initial_state):
            initial_state = [initial_state]
        no_output = ops.zeros(
            (ops.shape(sequences)[0], self.cell.output_size),
            dtype=self.cell.compute_dtype,
        )
        last_output, outputs, states = backend_rnn(
            step,
            sequences,
            [no_output, *initial_state],
            go_backwards=self.go_backwards,
            mask=mask,
            unroll=False,
            input_length=sequences.shape[1],
            zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences,
        )
        return last_output, outputs, states[1:]


def _output_is_first_state(cell):
    """Whether a step's output is its first new state: by the names a cell of
    this package declares, for a stack by its top cell (Keras's cells: yes)."""
    if getattr(cell, "skip_connections", False):
        return False  # the output concatenates every layer's
    cells = getattr(cell, "cells", None)
    if cells:
        return _output_is_first_state(cells[-1])
    state_names = getattr(cell, "state_names", None)
    return state_names is None or cell.output_name == state_names[0]


class RecurrentLayer(CheckedRNN):
    """Base class: a `keras.layers.RNN` around a cell of `cell_class`.

    Positional arguments after `units` and keyword arguments the cell
    accepts (activation, initializers, dropout, seed, ...) build the cell;
    the rest configure the RNN (return_sequences, return_state,
    go_backwards, stateful, unroll, zero_output_for_mask) or the layer
    (name, dtype, ...); `help()` lists them all. The cell's hyper-parameters are readable on the layer (`layer.units`,
    `layer.dropout`, ...) as on Keras's layers.

    Call arguments:
        sequences: A 3-D tensor of shape `(batch, timesteps, features)`.
        initial_state: Optional list of initial state tensors, each
            `(batch, units)`; zeros when omitted.
        mask: Optional boolean tensor `(batch, timesteps)`; a masked step
            carries the state over and repeats the previous output.
        training: Whether dropout is applied.
    """

    cell_class = None

    def __init__(
        self,
        units,
        *cell_args,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        activity_regularizer=None,
        **kwargs,
    ):
        cell_parameters = self.cell_parameters()
        cell_kwargs = {
            key: kwargs.pop(key) for key in list(kwargs) if key in cell_parameters
        }
        for key in _SHARED_WITH_CELL:
            if key in kwargs:
                cell_kwargs[key] = kwargs[key]
        cell = self.cell_class(units, *cell_args, **cell_kwargs)
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )

    @classmethod
    def cell_parameters(cls):
        """Names of the arguments the cell class accepts, up to `Layer`'s."""
        return frozenset(inspect.signature(cls.cell_class).parameters) - {"kwargs"}

    # help() and inspect.signature show the cell's arguments (in the cell's
    # order, its positional ones positional), then the layer's.
    __signature__ = _signatures.ClassSignature(
        lambda cls: _signatures.with_kwargs(
            _signatures.constructor_parameters(cls.cell_class, layers.Layer),
            _signatures.constructor_parameters(cls, CheckedRNN),
        )
    )

    def __getattr__(self, name):
        # Only reached when normal lookup fails: forward the cell's
        # hyper-parameters, as keras.layers.LSTM does with properties.
        if name != "cell" and name in type(self).cell_parameters():
            return getattr(self.cell, name)
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}'"
        )

    def __dir__(self):
        # The forwarded hyper-parameters, for dir() and tab completion.
        return sorted({*super().__dir__(), *type(self).cell_parameters()})

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in _LAYER_ONLY_KEYS:
            cell_config.pop(key, None)
        config["activity_regularizer"] = regularizers.serialize(
            self.activity_regularizer
        )
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class WithoutCuDNN:
    """Mixin of the layers whose Keras counterpart takes `use_cudnn` (LSTM,
    GRU): accepts "auto" and False, which is what the hand-written cell
    always does, and refuses True with the reason."""

    def __init__(self, *args, use_cudnn="auto", **kwargs):
        use_cudnn = _checks.check_use_cudnn(use_cudnn)
        super().__init__(*args, **kwargs)
        self.use_cudnn = use_cudnn
