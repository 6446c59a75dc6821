"""The Jordan network (Jordan, 1986): the output, not the hidden layer, is fed
back."""

from keras import activations
from keras import ops
from keras import saving

from custom_layers import _checks
from custom_layers._cell import RecurrentCell
from custom_layers._sequence import RecurrentLayer


@saving.register_keras_serializable(package="custom_layers")
class JordanCell(RecurrentCell):
    """One step of the Jordan network (the lecture's "сеть Джордана").

    s_t = μ s_{t-1} + y_{t-1}        state ("context") units, s_1 = 0
    h_t = f(U x_t + W s_t + b)       hidden layer
    y_t = g(V h_t + c)               output layer

    Unlike the Elman network, whose state is its hidden layer h_{t-1}, the
    Jordan network remembers its previous output y_{t-1}. With the default
    `state_decay=0` the state is exactly y_{t-1} (the lecture's simplified
    form); Jordan's original state units also keep a decaying trace of
    older outputs, with 0 < μ < 1. With V = I, g = identity, c = 0 and
    `output_units == units` the cell computes exactly
    `keras.layers.SimpleRNNCell`.

    Weights, in `get_weights` order: `kernel` U (features, units),
    `recurrent_kernel` W (output_units, units), `bias` b (units,) (the
    three of `SimpleRNNCell`, W with `output_units` rows), then
    `output_kernel` V (units, output_units) and `output_bias` c
    (output_units,). V and c take the `kernel_*` and `bias_*` initializers,
    regularizers and constraints. The state, the cell's output and the
    recurrent dropout have `output_units` units.

    Args:
        units: Positive integer, the size of the hidden layer h.
        output_units: Positive integer, the size of the output y (and of
            the state). Default `None`: the same as `units`.
        activation: The hidden nonlinearity f. Default `"tanh"`.
        output_activation: The output nonlinearity g. Default `None`
            (linear); e.g. `"sigmoid"` for binary targets.
        state_decay: Jordan's μ in [0, 1], how much of the previous state
            the state units keep. Default `0.0` (the state is y_{t-1}).
        use_bias: Whether to add b and c. Default `True`.
        kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: As for `ElmanCell`; the `kernel_*` and
            `bias_*` ones also apply to V and c.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`, the input x_t.
        states: A list with one tensor `(batch, output_units)`, s_t.
        training: Whether dropout is applied.

    `step` returns s (the s_t it read), h, y and s_next (s_{t+1}, the
    state it passes on); `trace_states` traces them.

    Example:

    >>> cell = JordanCell(8, output_units=2, output_activation="sigmoid")
    >>> rnn = keras.layers.RNN(cell, return_sequences=True)
    >>> rnn(np.zeros((4, 10, 3))).shape
    (4, 10, 2)
    """

    state_names = ("s_next",)  # the state units the next step reads
    output_name = "y"

    def __init__(
        self,
        units,
        output_units=None,
        activation="tanh",
        output_activation=None,
        *,
        state_decay=0.0,
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        if output_units is None:
            output_units = self.units
        self.output_units = _checks.check_positive_int("output_units", output_units)
        self.output_activation = _checks.get_activation(
            "output_activation", output_activation
        )
        self.state_decay = _checks.check_unit_interval("state_decay", state_decay)

    @property
    def state_sizes(self):
        return (self.output_units,)

    @property
    def output_size(self):
        return self.output_units

    @property
    def recurrent_size(self):
        return self.output_units

    def build(self, input_shape):
        super().build(input_shape)
        self.output_kernel, self.output_bias = self.add_feedforward_weights(
            "output", self.units, self.output_units
        )

    def step(self, x, s, training=False):
        x, s_for_w = self.apply_dropout(x, s, training)

        # h_t = f(x_t U + b + s_t W)
        h = self.activation(self.preactivation(x, s_for_w))
        y = self.dense(  # y_t = g(h_t V + c)
            h, self.output_kernel, self.output_bias, self.output_activation
        )
        if self.state_decay:
            s_next = self.state_decay * s + y  # s_{t+1} = μ s_t + y_t
        else:
            s_next = y  # s_{t+1} = y_t
        return {"s": s, "h": h, "y": y, "s_next": s_next}

    def gate_weights(self):
        """Returns U, W, b (as `ElmanCell`) and the output layer's V, c."""
        weights = super().gate_weights()
        weights["V"] = ops.convert_to_numpy(self.output_kernel)
        if self.use_bias:
            weights["c"] = ops.convert_to_numpy(self.output_bias)
        return weights

    def get_config(self):
        return {
            **super().get_config(),
            "output_units": self.output_units,
            "output_activation": activations.serialize(self.output_activation),
            "state_decay": self.state_decay,
        }


@saving.register_keras_serializable(package="custom_layers")
class JordanRNN(RecurrentLayer):
    """A Jordan network over a sequence.

    Takes `JordanCell`'s arguments (units, output_units, activation,
    output_activation, state_decay, use_bias, initializers, regularizers,
    constraints, dropout, recurrent_dropout, seed) and
    `keras.layers.RNN`'s (return_sequences, return_state, go_backwards,
    stateful, unroll), plus `activity_regularizer` and the usual layer
    arguments. Its outputs are the y_t (`output_units` wide); with
    `return_state=True` it also returns the state s (the next step's
    context units), which is the last y when `state_decay=0`.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list with one `(batch, output_units)`
            tensor, the first step's state s_1.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = JordanRNN(8, output_units=1, state_decay=0.5,
    ...                   return_sequences=True)
    >>> layer(np.zeros((4, 10, 3))).shape
    (4, 10, 1)
    """

    cell_class = JordanCell
