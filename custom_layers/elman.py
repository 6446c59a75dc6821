"""The Elman network (Elman, 1990): a hidden layer fed back to itself."""

from keras import saving

from custom_layers._cell import RecurrentCell
from custom_layers._sequence import RecurrentLayer


@saving.register_keras_serializable(package="custom_layers")
class ElmanCell(RecurrentCell):
    """One step of the Elman network (the lecture's "сеть Элмана").

    h_t = f(U x_t + W h_{t-1} + b)

    The output layer y_t = g(V h_t + c) of the lecture is left to a
    following `Dense` layer, as in Keras. Computes exactly what
    `keras.layers.SimpleRNNCell` computes, with the same weights
    (`kernel` = U, `recurrent_kernel` = W, `bias` = b).

    Args:
        units: Positive integer, the number of hidden units.
        activation: The nonlinearity f. Default `"tanh"`; `None` is linear.
        use_bias: Whether to add b. Default `True`.
        kernel_initializer: Initializer for U. Default `"glorot_uniform"`.
        recurrent_initializer: Initializer for W. Default `"orthogonal"`.
        bias_initializer: Initializer for b. Default `"zeros"`.
        kernel_regularizer: Regularizer for U.
        recurrent_regularizer: Regularizer for W.
        bias_regularizer: Regularizer for b.
        kernel_constraint: Constraint for U.
        recurrent_constraint: Constraint for W.
        bias_constraint: Constraint for b.
        dropout: Float in [0, 1), fraction of input units dropped.
        recurrent_dropout: Float in [0, 1), fraction of state units dropped.
        seed: Random seed for dropout.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`, the input x_t.
        states: A list with one tensor `(batch, units)`, h_{t-1}.
        training: Whether dropout is applied.

    Example:

    >>> cell = ElmanCell(4)
    >>> rnn = keras.layers.RNN(cell, return_sequences=True)
    >>> rnn(np.zeros((2, 5, 3))).shape
    (2, 5, 4)
    """

    def step(self, x, h_previous, training=False):
        x, h_previous = self.apply_dropout(x, h_previous, training)
        a = self.preactivation(x, h_previous)  # a_t = x_t U + b + h_{t-1} W
        h = self.activation(a)  # h_t = f(a_t)
        return {"h": h}


@saving.register_keras_serializable(package="custom_layers")
class ElmanRNN(RecurrentLayer):
    """An Elman network over a sequence; a drop-in for `keras.layers.SimpleRNN`.

    Takes `ElmanCell`'s arguments (units, activation, use_bias,
    initializers, regularizers, constraints, dropout, recurrent_dropout,
    seed) and `keras.layers.RNN`'s (return_sequences, return_state,
    go_backwards, stateful, unroll, zero_output_for_mask), plus
    `activity_regularizer` and the usual layer arguments (not `use_cudnn`,
    which `SimpleRNN` does not take either). Weights are interchangeable with `SimpleRNN`'s:
    `ours.set_weights(builtin.get_weights())`.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list with one `(batch, units)` tensor.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = ElmanRNN(4, return_sequences=True, return_state=True)
    >>> sequence, h = layer(np.zeros((2, 5, 3)))
    >>> sequence.shape, h.shape
    ((2, 5, 4), (2, 4))
    """

    cell_class = ElmanCell
