"""Long short-term memory (Hochreiter & Schmidhuber, 1997; forget gate by
Gers et al., 2000)."""

import itertools

from keras import initializers
from keras import ops
from keras import saving

from custom_layers._cell import GatedRecurrentCell
from custom_layers._sequence import RecurrentLayer
from custom_layers._sequence import WithoutCuDNN


@saving.register_keras_serializable(package="custom_layers")
class LSTMCell(GatedRecurrentCell):
    """One step of an LSTM (the lecture's "долгая кратковременная память").

    f_t = σ(U_f x_t + W_f h_{t-1} + b_f)       forget gate
    i_t = σ(U_i x_t + W_i h_{t-1} + b_i)       input gate
    C̃_t = tanh(U_c x_t + W_c h_{t-1} + b_c)    candidate
    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t            cell update
    o_t = σ(U_o x_t + W_o h_{t-1} + b_o)       output gate
    h_t = o_t ⊙ tanh(C_t)

    Computes exactly what `keras.layers.LSTMCell` computes: weights are fused
    in Keras's gate order [i, f, c, o] (`kernel` (features, 4·units),
    `recurrent_kernel` (units, 4·units), `bias` (4·units,)), so weights copy
    between the two with `set_weights`. `gate_weights()` splits them.

    Args:
        units: Positive integer, the number of hidden units.
        activation: Activation of the candidate and of the output
            (tanh above). Default `"tanh"`.
        recurrent_activation: Activation of the gates (σ above). Default
            `"sigmoid"`.
        unit_forget_bias: If `True` (default), the forget gate's bias
            starts at exactly 1 (the rest of the bias uses
            `bias_initializer`), so the cell remembers by default
            (Jozefowicz et al., 2015).
        use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: As for
            `keras.layers.LSTMCell`. One dropout mask is shared by the four
            gates and kept for the whole sequence.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`, the input x_t.
        states: A list `[h_{t-1}, C_{t-1}]`, each `(batch, units)`.
        training: Whether dropout is applied.

    Example:

    >>> rnn = keras.layers.RNN(LSTMCell(4), return_state=True)
    >>> h, h_again, c = rnn(np.zeros((2, 5, 3)))
    >>> h.shape, c.shape
    ((2, 4), (2, 4))
    """

    gate_names = ("i", "f", "c", "o")
    state_count = 2

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        *,
        unit_forget_bias=True,
        **kwargs,
    ):
        super().__init__(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            **kwargs,
        )
        self.unit_forget_bias = bool(unit_forget_bias)

    def bias_initializer_for_build(self, shape, dtype=None):
        if not self.unit_forget_bias or "f" not in self.gate_names:
            return self.bias_initializer(shape, dtype=dtype)
        # b_f = 1; the other slices come from `bias_initializer`, one call per
        # run of neighbouring gates, as Keras does: [b_i], 1, [b_c, b_o].
        pieces = []
        for is_forget, run in itertools.groupby(self.gate_names, "f".__eq__):
            size = len(list(run)) * self.units
            if is_forget:
                pieces.append(initializers.Ones()((size,), dtype=dtype))
            else:
                pieces.append(self.bias_initializer((size,), dtype=dtype))
        return ops.concatenate(pieces)

    def call(self, inputs, states, training=False):
        h_previous, c_previous = states
        x, h_for_gates = self.apply_dropout(inputs, h_previous, training)

        z = ops.matmul(x, self.kernel)  # U x_t for all four gates at once
        z = ops.add(z, ops.matmul(h_for_gates, self.recurrent_kernel))  # + W h
        if self.use_bias:
            z = ops.add(z, self.bias)  # + b
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)

        i = self.recurrent_activation(z_i)  # i_t = σ(U_i x + W_i h + b_i)
        f = self.recurrent_activation(z_f)  # f_t = σ(U_f x + W_f h + b_f)
        c_candidate = self.activation(z_c)  # C̃_t = tanh(U_c x + W_c h + b_c)
        c = f * c_previous + i * c_candidate  # C_t = f_t C_{t-1} + i_t C̃_t
        o = self.recurrent_activation(z_o)  # o_t = σ(U_o x + W_o h + b_o)
        h = o * self.activation(c)  # h_t = o_t tanh(C_t)

        self.record(i=i, f=f, g=c_candidate, o=o, c=c, h=h)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


@saving.register_keras_serializable(package="custom_layers")
class LSTM(WithoutCuDNN, RecurrentLayer):
    """An LSTM over a sequence; a drop-in for `keras.layers.LSTM`.

    Takes `LSTMCell`'s arguments and `keras.layers.RNN`'s
    (return_sequences, return_state, go_backwards, stateful, unroll,
    zero_output_for_mask), plus `activity_regularizer`, `use_cudnn` ("auto"
    or False; True is refused, the cell never runs cuDNN) and the usual
    layer arguments. With
    `return_state=True` it returns `[output, h, C]`, like Keras. Weights
    are interchangeable with `keras.layers.LSTM`'s. It always runs the
    hand-written cell (never cuDNN), which is the point of the course.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h_0, C_0]`, each `(batch, units)`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = LSTM(4, return_sequences=True)
    >>> layer(np.zeros((2, 5, 3))).shape
    (2, 5, 4)
    """

    cell_class = LSTMCell
