"""The protocol every hand-written cell follows, and the plumbing it shares.

A cell declares what its recurrence carries (`state_names`), what it emits
(`output_name`) and its fused gates (`gate_names`), and writes one `step`: the
lecture's equations, returning every named quantity of the step in a dict.
`RecurrentCell.call` turns that dict into Keras's `(output, new_states)`;
`custom_layers.trace_states` calls the same `step` and stacks the dicts over
time, so each cell's equations exist once. The base also creates the fused
weights in Keras's layout, applies dropout masks and serializes the
constructor arguments.

Notation. The lecture writes column vectors, a_t = U x_t + W h_{t-1} + b;
Keras stores its kernels for row vectors, `kernel` (features, units), so the
code computes `x @ kernel`, that is a_t = x_t U + h_{t-1} W + b with this U
the lecture's transposed. Docstrings use the lecture's form; the comment on a
line of code says what that line computes, in the row-vector form.
"""

import numpy as np
from keras import activations
from keras import constraints
from keras import initializers
from keras import layers
from keras import ops
from keras import random
from keras import regularizers
from keras import tree

from custom_layers import _checks
from custom_layers import _signatures
from custom_layers._keras_private import DropoutRNNCell


class StepInputCheck:
    """Mixin of a cell (before `layers.Layer` in the bases) that checks
    each call's input is one time step and says what was wrong otherwise:
    a sequence given to a cell would fail deep in a matmul, or silently
    broadcast with a batch of 1."""

    def __call__(self, inputs, *args, **kwargs):
        _checks.check_step_shape(self.name, ops.shape(inputs))
        return super().__call__(inputs, *args, **kwargs)

    def check_sequence(self, layer_name, shape):
        """Checks a whole sequence this cell would read (`trace_states`):
        (batch, timesteps, features)."""
        _checks.check_sequence_shape(layer_name, shape)


class RecurrentCell(StepInputCheck, layers.Layer, DropoutRNNCell):
    """Base class of the hand-written cells (not used directly).

    Weights follow Keras's fused layout so that `set_weights` works in both
    directions between a cell here and its built-in counterpart:
    `kernel` (input_dim, G * units) acts on the input x_t, `recurrent_kernel`
    (units, G * units) on the previous state h_{t-1}, and `bias`
    (`bias_shape`), with the G gates side by side in the order `gate_names`.

    Subclasses set `gate_names`, `state_names` and `output_name`, may
    override `bias_shape` and `bias_initializer_for_build`, and implement
    `step(x, *previous_states, training)`, which returns a dict of every
    quantity of the step under the lecture's names: the new states under
    `state_names` and the output under `output_name` among them. A cell
    whose states are not `units`-sized vectors (Jordan's y_{t-1}) overrides
    `state_sizes`, `recurrent_size` and `output_size`; a cell with weights
    beyond U, W, b creates them in `build` with `add_feedforward_weights`
    (or `add_weight`) and adds them in `gate_weights`.

    Args:
        units: Positive integer, the number of hidden units (the size of h).
        activation: Activation of the state (or candidate). Default `"tanh"`.
        use_bias: Whether the cell has biases. Default `True`.
        kernel_initializer: Initializer for `kernel`. Default
            `"glorot_uniform"`.
        recurrent_initializer: Initializer for `recurrent_kernel`. Default
            `"orthogonal"`.
        bias_initializer: Initializer for `bias`. Default `"zeros"`.
        kernel_regularizer: Regularizer for `kernel`. Default `None`.
        recurrent_regularizer: Regularizer for `recurrent_kernel`.
        bias_regularizer: Regularizer for `bias`.
        kernel_constraint: Constraint for `kernel`.
        recurrent_constraint: Constraint for `recurrent_kernel`.
        bias_constraint: Constraint for `bias`.
        dropout: Float in [0, 1), fraction of the input units to drop. The
            same mask is used at every time step of a sequence.
        recurrent_dropout: Float in [0, 1), fraction of the state units to
            drop in the recurrent connection (same mask at every step).
        seed: Random seed for the dropout masks.
    """

    gate_names = ("",)  # the gates fused side by side in U, W, b
    state_names = ("h",)  # the quantities the recurrence carries, Keras's order
    output_name = "h"  # the quantity the layer emits at each step
    # help() and inspect.signature show every argument up the class chain.
    __signature__ = _signatures.ClassSignature(
        lambda cls: _signatures.with_kwargs(
            _signatures.constructor_parameters(cls, layers.Layer)
        )
    )

    def __init__(
        self,
        units,
        activation="tanh",
        *,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = _checks.check_positive_int("units", units)
        self.activation = _checks.get_activation("activation", activation)
        self.use_bias = bool(use_bias)

        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

        self.dropout = _checks.check_rate("dropout", dropout)
        self.recurrent_dropout = _checks.check_rate(
            "recurrent_dropout", recurrent_dropout
        )
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed=seed)

    @property
    def state_sizes(self):
        """The size of each state tensor, in the order of `state_names`."""
        return (self.units,) * len(self.state_names)

    @property
    def state_size(self):
        # `keras.layers.RNN`'s contract: an int for a single state.
        sizes = self.state_sizes
        return sizes[0] if len(sizes) == 1 else list(sizes)

    @property
    def output_size(self):
        return self.units

    @property
    def recurrent_size(self):
        """Rows of `recurrent_kernel`: the size of the vector fed back."""
        return self.units

    @property
    def fused_units(self):
        """Columns of `kernel` and `recurrent_kernel` (the gates side by side)."""
        return len(self.gate_names) * self.units

    @property
    def input_size(self):
        """The feature size the cell was built for (rows of `kernel`)."""
        return self.kernel.shape[0]

    @property
    def bias_shape(self):
        return (self.fused_units,)

    def bias_initializer_for_build(self, shape, dtype=None):
        """The initializer `build` gives the bias (LSTM adds its forget 1s)."""
        return self.bias_initializer(shape, dtype=dtype)

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(
                f"Cell '{self.name}' needs a known feature size (the last "
                f"axis of its input), got shape {tuple(input_shape)}."
            )
        fused_units = self.fused_units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], fused_units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.recurrent_size, fused_units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape,
                name="bias",
                initializer=self.bias_initializer_for_build,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def add_feedforward_weights(self, name, input_size, output_size):
        """Adds a matrix `{name}_kernel` (input_size, output_size) and, with
        `use_bias`, a vector `{name}_bias`, for a cell's layers beyond U, W, b
        (an output layer, a transition layer). They take the `kernel_*` and
        `bias_*` initializers, regularizers and constraints.

        Returns:
            `(kernel, bias)`, `bias` None without `use_bias`.
        """
        kernel = self.add_weight(
            shape=(input_size, output_size),
            name=f"{name}_kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        bias = None
        if self.use_bias:
            bias = self.add_weight(
                shape=(output_size,),
                name=f"{name}_bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        return kernel, bias

    def step(self, inputs, *previous_states, training=False):
        """One step: the lecture's equations. Returns a dict of every named
        quantity of the step, the new states under `state_names` and the
        output under `output_name` among them."""
        raise NotImplementedError(f"{type(self).__name__} must implement `step`.")

    def call(self, inputs, states, training=False):
        if not tree.is_nested(states):
            states = [states]
        return self.outputs(self.step(inputs, *states, training=training))

    def outputs(self, quantities):
        """Keras's `(output, new_states)` from the dict `step` returned."""
        return quantities[self.output_name], [
            quantities[name] for name in self.state_names
        ]

    def preactivation(self, inputs, previous_state):
        """U x_t + b + W s_{t-1} for all gates at once, added in the order
        `keras.layers.SimpleRNNCell` uses (so results match it bit for bit).
        """
        a = ops.matmul(inputs, self.kernel)  # x_t U
        if self.use_bias:
            a = ops.add(a, self.bias)  # + b
        return a + ops.matmul(previous_state, self.recurrent_kernel)  # + s_{t-1} W

    def dense(self, inputs, kernel, bias, activation):
        """One feed-forward layer: activation(inputs kernel + bias)."""
        a = ops.matmul(inputs, kernel)
        if bias is not None:
            a = ops.add(a, bias)
        return activation(a)

    def apply_dropout(self, inputs, previous_state, training):
        """Multiplies x_t and h_{t-1} by their dropout masks when training.

        The masks are made once per sequence (the same units are dropped at
        every step), as in Keras's built-in cells; inference is unaffected.
        Returns the two tensors, unchanged when not training.
        """
        if training:
            input_mask = self.get_dropout_mask(inputs)
            if input_mask is not None:
                inputs = inputs * input_mask
            state_mask = self.get_recurrent_dropout_mask(previous_state)
            if state_mask is not None:
                previous_state = previous_state * state_mask
        return inputs, previous_state

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in self.state_sizes
        ]

    def check_built(self):
        """Raises a clear error if the cell has no weights yet."""
        if not self.built:
            raise ValueError(
                f"Cell '{self.name}' has no weights yet: call it (or the "
                "layer that holds it) on an input, or call build(), first."
            )

    def gate_weights(self):
        """Returns the per-gate weights under the lecture's names.

        `U_g` acts on the input and `W_g` on the previous state, as in the
        lecture's a_t = U x_t + W h_{t-1} + b (the suffix names the gate;
        the Elman cell has a single unsuffixed U, W, b). Matrices are in
        Keras's row-vector orientation: the code computes `x_t @ U_g`, the
        lecture writes U_g x_t with U_g transposed.

        Returns:
            A dict of NumPy arrays, in gate order.
        """
        self.check_built()
        fused = {"U{}": self.kernel, "W{}": self.recurrent_kernel}
        if self.use_bias:
            fused["b{}"] = self.bias
        return self.split_gates(fused)

    def split_gates(self, fused):
        """Splits fused weights (gates side by side on the last axis) per gate.

        Args:
            fused: A dict from a name template (`"U{}"`, the gate's suffix
                goes in the braces) to a tensor whose last axis holds the
                gates in the order `gate_names`.

        Returns:
            A dict of NumPy arrays, every template for the first gate, then
            for the second, ...
        """
        count = len(self.gate_names)
        parts = {
            template: np.split(ops.convert_to_numpy(tensor), count, axis=-1)
            for template, tensor in fused.items()
        }
        return {
            template.format(f"_{gate}" if gate else ""): pieces[index]
            for index, gate in enumerate(self.gate_names)
            for template, pieces in parts.items()
        }

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


class GatedRecurrentCell(RecurrentCell):
    """A cell with gates squashed by a `recurrent_activation` (LSTM, GRU).

    The first three arguments keep Keras's positional order
    (units, activation, recurrent_activation).

    Args:
        units: Positive integer, the number of hidden units.
        activation: Activation of the candidate and output. Default `"tanh"`.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        implementation: Keras's performance hint (1: one product per gate,
            2: fused products), read back as `cell.implementation`. These
            cells always compute the fused form: bit-identical to Keras's
            implementation 2, equal to its implementation 1 up to float
            rounding (~1e-7). Recorded and not saved, as in Keras; the
            legacy value 0 of old configs loads.
        **kwargs: The other arguments of `RecurrentCell`.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        *,
        implementation=2,
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = _checks.get_activation(
            "recurrent_activation", recurrent_activation
        )
        self.implementation = _checks.check_implementation(implementation)

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
        }


def cell_output_size(cell):
    """The output size of any RNN cell (ours or Keras's): its `output_size`,
    else the size of its first state."""
    size = getattr(cell, "output_size", None)
    if size is None:
        size = tree.flatten(cell.state_size)[0]
    return size


def cell_input_size(cell):
    """The input size of a built RNN cell: its `input_size`, else the rows of
    its `kernel`."""
    size = getattr(cell, "input_size", None)
    return cell.kernel.shape[0] if size is None else size
