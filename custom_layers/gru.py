"""Gated recurrent unit (Cho et al., 2014)."""

from keras import ops
from keras import saving

from custom_layers._cell import GatedRecurrentCell
from custom_layers._sequence import RecurrentLayer
from custom_layers._sequence import WithoutCuDNN


@saving.register_keras_serializable(package="custom_layers")
class GRUCell(GatedRecurrentCell):
    """One step of a GRU (the lecture's "управляемый рекуррентный нейрон").

    z_t = σ(U_z x_t + W_z h_{t-1} + b_z)               update gate
    r_t = σ(U_r x_t + W_r h_{t-1} + b_r)               reset gate
    h̃_t = tanh(U_h x_t + W_h (r_t ⊙ h_{t-1}) + b_h)    reset_after=False
    h̃_t = tanh(U_h x_t + r_t ⊙ (W_h h_{t-1} + b'_h) + b_h)   reset_after=True
    h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t

    `reset_after=False` is Cho et al.'s original: the reset gate scales the
    state before the matrix product. `reset_after=True` (Keras's default,
    the form cuDNN implements) applies it after, which needs a second,
    recurrent bias b'. Computes exactly what `keras.layers.GRUCell`
    computes for either choice, with Keras's weights: gate order [z, r, h],
    `kernel` (features, 3·units), `recurrent_kernel` (units, 3·units) and
    `bias` (3·units,), or (2, 3·units) with `reset_after=True` (row 0 the
    input bias b, row 1 the recurrent bias b').

    Args:
        units: Positive integer, the number of hidden units.
        activation: Activation of the candidate h̃ (`h_tilde`). Default `"tanh"`.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        reset_after: Where the reset gate is applied (see above). Default
            `True`, as in Keras.
        use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: As for
            `keras.layers.GRUCell`. One dropout mask is shared by the three
            gates and kept for the whole sequence.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`, the input x_t.
        states: A list with one tensor `(batch, units)`, h_{t-1}.
        training: Whether dropout is applied.

    `step` returns z, r, h_tilde (h̃_t) and h (`trace_states` traces them).

    Example:

    >>> rnn = keras.layers.RNN(GRUCell(4, reset_after=False))
    >>> rnn(np.zeros((2, 5, 3))).shape
    (2, 4)
    """

    gate_names = ("z", "r", "h")  # Keras's fused order; h is the candidate h̃

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        *,
        reset_after=True,
        **kwargs,
    ):
        super().__init__(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            **kwargs,
        )
        self.reset_after = bool(reset_after)

    @property
    def bias_shape(self):
        if self.reset_after:
            return (2, 3 * self.units)
        return (3 * self.units,)

    def step(self, x, h_previous, training=False):
        x, h_for_gates = self.apply_dropout(x, h_previous, training)
        units = self.units

        x_projection = ops.matmul(x, self.kernel)  # x_t U: (batch, 3·units) [z | r | h]
        if self.use_bias:
            input_bias = self.bias[0] if self.reset_after else self.bias
            x_projection = ops.add(x_projection, input_bias)  # + b
        x_z, x_r, x_h = ops.split(x_projection, 3, axis=-1)  # each (batch, units)

        if self.reset_after:
            # h_{t-1} W + b': (batch, 3·units) [z | r | h]
            h_projection = ops.matmul(h_for_gates, self.recurrent_kernel)
            if self.use_bias:
                h_projection = h_projection + self.bias[1]
        else:
            # h_{t-1} W for z and r: (batch, 2·units) [z | r]
            h_projection = ops.matmul(
                h_for_gates, self.recurrent_kernel[:, : 2 * units]
            )
        h_z = h_projection[:, :units]  # h_{t-1} W_z
        h_r = h_projection[:, units : 2 * units]  # h_{t-1} W_r

        z = self.recurrent_activation(x_z + h_z)  # z_t = σ(x_t U_z + h_{t-1} W_z + b_z)
        r = self.recurrent_activation(x_r + h_r)  # r_t = σ(x_t U_r + h_{t-1} W_r + b_r)
        if self.reset_after:
            reset_state = r * h_projection[:, 2 * units :]  # r_t ⊙ (h_{t-1} W_h + b'_h)
        else:
            reset_state = ops.matmul(  # (r_t ⊙ h_{t-1}) W_h
                r * h_for_gates, self.recurrent_kernel[:, 2 * units :]
            )
        h_tilde = self.activation(x_h + reset_state)  # h̃_t = tanh(x_t U_h + b_h + …)
        h = z * h_previous + (1 - z) * h_tilde  # h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h̃_t
        return {"z": z, "r": r, "h_tilde": h_tilde, "h": h}

    def gate_weights(self):
        """Returns U_g, W_g, b_g of the gates z, r, h (see
        `RecurrentCell.gate_weights`); with `reset_after=True` also the
        recurrent bias b'_g as `b_g_recurrent`."""
        if not (self.use_bias and self.reset_after):
            return super().gate_weights()
        self.check_built()
        return self.split_gates(
            {
                "U{}": self.kernel,
                "W{}": self.recurrent_kernel,
                "b{}": self.bias[0],
                "b{}_recurrent": self.bias[1],
            }
        )

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


@saving.register_keras_serializable(package="custom_layers")
class GRU(WithoutCuDNN, RecurrentLayer):
    """A GRU over a sequence; a drop-in for `keras.layers.GRU`.

    Takes `GRUCell`'s arguments (including `reset_after`) and
    `keras.layers.RNN`'s (return_sequences, return_state, go_backwards,
    stateful, unroll, zero_output_for_mask), plus `activity_regularizer`,
    `use_cudnn` ("auto" or False; True is refused, the cell never runs
    cuDNN) and the usual layer arguments. Weights are interchangeable with `keras.layers.GRU`'s for
    the same `reset_after`.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list with one `(batch, units)` tensor.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = GRU(4, reset_after=False, return_state=True)
    >>> h, h_again = layer(np.zeros((2, 5, 3)))
    >>> h.shape
    (2, 4)
    """

    cell_class = GRUCell
