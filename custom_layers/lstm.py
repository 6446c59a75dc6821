"""Long short-term memory (Hochreiter & Schmidhuber, 1997; forget gate by
Gers et al., 2000)."""

from keras import ops
from keras import saving

from custom_layers._lstm_base import LSTMBaseCell
from custom_layers._sequence import RecurrentLayer
from custom_layers._sequence import WithoutCuDNN


@saving.register_keras_serializable(package="custom_layers")
class LSTMCell(LSTMBaseCell):
    """One step of an LSTM (the lecture's "долгая кратковременная память").

    f_t = σ(U_f x_t + W_f h_{t-1} + b_f)       forget gate
    i_t = σ(U_i x_t + W_i h_{t-1} + b_i)       input gate
    c̃_t = tanh(U_c x_t + W_c h_{t-1} + b_c)    candidate (`c_tilde`)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t            memory cell update
    o_t = σ(U_o x_t + W_o h_{t-1} + b_o)       output gate
    h_t = o_t ⊙ tanh(c_t)

    (The lecture writes the memory cell C_t and the candidate C̃_t; the code,
    the states and `trace_states` call them c and c_tilde.)

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
        states: A list `[h_{t-1}, c_{t-1}]`, each `(batch, units)`.
        training: Whether dropout is applied.

    `step` returns i, f, c_tilde (c̃_t), o, c and h (`trace_states` traces
    them).

    Example:

    >>> rnn = keras.layers.RNN(LSTMCell(4), return_state=True)
    >>> h, h_again, c = rnn(np.zeros((2, 5, 3)))
    >>> h.shape, c.shape
    ((2, 4), (2, 4))
    """

    gate_names = ("i", "f", "c", "o")  # Keras's fused order; c makes c̃

    def step(self, x, h_previous, c_previous, training=False):
        x, h_for_gates = self.apply_dropout(x, h_previous, training)

        a = ops.matmul(x, self.kernel)  # x_t U: (batch, 4·units) [i | f | c̃ | o]
        a = ops.add(a, ops.matmul(h_for_gates, self.recurrent_kernel))  # + h_{t-1} W
        if self.use_bias:
            a = ops.add(a, self.bias)  # + b
        a_i, a_f, a_c, a_o = ops.split(a, 4, axis=-1)  # each (batch, units)

        i = self.recurrent_activation(a_i)  # i_t = σ(x_t U_i + h_{t-1} W_i + b_i)
        f = self.recurrent_activation(a_f)  # f_t = σ(x_t U_f + h_{t-1} W_f + b_f)
        c_tilde = self.activation(a_c)  # c̃_t = tanh(x_t U_c + h_{t-1} W_c + b_c)
        c = f * c_previous + i * c_tilde  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        o = self.recurrent_activation(a_o)  # o_t = σ(x_t U_o + h_{t-1} W_o + b_o)
        h = o * self.activation(c)  # h_t = o_t ⊙ tanh(c_t)
        return {"i": i, "f": f, "c_tilde": c_tilde, "o": o, "c": c, "h": h}


@saving.register_keras_serializable(package="custom_layers")
class LSTM(WithoutCuDNN, RecurrentLayer):
    """An LSTM over a sequence; a drop-in for `keras.layers.LSTM`.

    Takes `LSTMCell`'s arguments and `keras.layers.RNN`'s
    (return_sequences, return_state, go_backwards, stateful, unroll,
    zero_output_for_mask), plus `activity_regularizer`, `use_cudnn` ("auto"
    or False; True is refused, the cell never runs cuDNN) and the usual
    layer arguments. With
    `return_state=True` it returns `[output, h, c]`, like Keras. Weights
    are interchangeable with `keras.layers.LSTM`'s. It always runs the
    hand-written cell (never cuDNN), which is the point of the course.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h_0, c_0]`, each `(batch, units)`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = LSTM(4, return_sequences=True)
    >>> layer(np.zeros((2, 5, 3))).shape
    (2, 5, 4)
    """

    cell_class = LSTMCell
