"""Deep RNNs (Pascanu et al., 2013, "How to construct deep recurrent neural
networks"): a deeper transition (DT-RNN, DT(S)-RNN) and a deeper output
(DO-RNN). Stacked layers with skip connections are in `stacked`.
"""

from keras import activations
from keras import ops
from keras import saving

from custom_layers import _checks
from custom_layers._cell import RecurrentCell
from custom_layers._sequence import RecurrentLayer


@saving.register_keras_serializable(package="custom_layers")
class DeepTransitionCell(RecurrentCell):
    """One step of a deep-transition RNN (DT-RNN, or DT(S)-RNN with
    `shortcut=True`).

    z_1 = φ(U x_t + W h_{t-1} + b)                   first transition layer
    z_l = φ(W_l z_{l-1} + b_l),      l = 2 … L−1     intermediate layers
    h_t = f(W_L z_{L-1} + b_L)                       DT-RNN
    h_t = f(W_L z_{L-1} + b_L + W_s h_{t-1})         DT(S)-RNN (shortcut)

    The state-to-state transition of an Elman network is one layer; here
    it is an MLP of L layers (`transition_layers`), so every step is deep
    as well as every path through time. The longer path makes gradients
    through time harder to propagate; the shortcut W_s gives h_{t-1} a
    one-layer path to h_t again (Pascanu et al.'s DT(S)-RNN). With L = 1
    (z_1 is h_t, with activation f) the cell computes exactly
    `keras.layers.SimpleRNNCell`.

    Weights: `kernel` U (features, n_1), `recurrent_kernel` W (units, n_1)
    and `bias` b (n_1,) for the first layer, where n_1 is
    `transition_units` (or `units` when L = 1); then `transition_{l}_kernel`
    W_l and `transition_{l}_bias` b_l for l = 2 … L (these take the
    `kernel_*`/`bias_*` settings), and with the shortcut
    `shortcut_kernel` W_s (units, units) (the `recurrent_*` settings).
    `gate_weights()` names them U, W, b, W_2, b_2, …, W_s.

    Args:
        units: Positive integer, the size of the state h.
        transition_layers: Positive integer L, the number of layers from
            (x_t, h_{t-1}) to h_t. Default 2.
        transition_units: Size of the intermediate layers z_1 … z_{L-1}.
            Default `None`: the same as `units`.
        activation: The last layer's nonlinearity f. Default `"tanh"`.
        transition_activation: The intermediate layers' φ. Default
            `"tanh"`.
        shortcut: Whether h_{t-1} also feeds the last layer directly
            (DT(S)-RNN). Needs L ≥ 2. Default `False`.
        use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: As for
            `ElmanCell` (dropout acts on x_t and on h_{t-1} where it enters
            the first layer).

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`, the input x_t.
        states: A list with one tensor `(batch, units)`, h_{t-1}.
        training: Whether dropout is applied.

    Example:

    >>> cell = DeepTransitionCell(8, transition_layers=3, shortcut=True)
    >>> keras.layers.RNN(cell)(np.zeros((2, 5, 3))).shape
    (2, 8)
    """

    def __init__(
        self,
        units,
        transition_layers=2,
        transition_units=None,
        activation="tanh",
        transition_activation="tanh",
        *,
        shortcut=False,
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.transition_layers = _checks.check_positive_int(
            "transition_layers", transition_layers
        )
        if transition_units is None:
            transition_units = self.units
        self.transition_units = _checks.check_positive_int(
            "transition_units", transition_units
        )
        self.transition_activation = _checks.get_activation(
            "transition_activation", transition_activation
        )
        self.shortcut = bool(shortcut)
        if self.shortcut and self.transition_layers < 2:
            raise ValueError(
                "`shortcut=True` (DT(S)-RNN) bypasses the intermediate "
                "transition layers, so it needs `transition_layers >= 2`, "
                f"got transition_layers={self.transition_layers}."
            )

    @property
    def fused_units(self):
        if self.transition_layers == 1:
            return self.units
        return self.transition_units

    def build(self, input_shape):
        super().build(input_shape)
        self.transitions = []  # [(W_l, b_l)] for l = 2 … L
        for layer in range(2, self.transition_layers + 1):
            size = (
                self.units
                if layer == self.transition_layers
                else (self.transition_units)
            )
            self.transitions.append(
                self.add_feedforward_weights(
                    f"transition_{layer}", self.transition_units, size
                )
            )
        self.shortcut_kernel = None
        if self.shortcut:
            self.shortcut_kernel = self.add_weight(
                shape=(self.units, self.units),
                name="shortcut_kernel",
                initializer=self.recurrent_initializer,
                regularizer=self.recurrent_regularizer,
                constraint=self.recurrent_constraint,
            )

    def step(self, x, h_previous, training=False):
        x, h_for_w = self.apply_dropout(x, h_previous, training)

        a = self.preactivation(x, h_for_w)  # x_t U + b + h_{t-1} W
        quantities = {}
        if self.transitions:  # L ≥ 2
            z = self.transition_activation(a)  # z_1 = φ(x_t U + b + h_{t-1} W)
            quantities["z_1"] = z
            for layer, (kernel, bias) in enumerate(self.transitions[:-1], start=2):
                # z_l = φ(z_{l-1} W_l + b_l)
                z = self.dense(z, kernel, bias, self.transition_activation)
                quantities[f"z_{layer}"] = z
            kernel, bias = self.transitions[-1]
            a = self.dense(z, kernel, bias, activations.linear)  # z_{L-1} W_L + b_L
            if self.shortcut:
                a = a + ops.matmul(h_for_w, self.shortcut_kernel)  # + h_{t-1} W_s
        h = self.activation(a)  # h_t = f(a)
        return {**quantities, "h": h}

    def gate_weights(self):
        """Returns U, W, b of the first layer, W_l, b_l of the others, W_s."""
        weights = super().gate_weights()
        for layer, (kernel, bias) in enumerate(self.transitions, start=2):
            weights[f"W_{layer}"] = ops.convert_to_numpy(kernel)
            if bias is not None:
                weights[f"b_{layer}"] = ops.convert_to_numpy(bias)
        if self.shortcut:
            weights["W_s"] = ops.convert_to_numpy(self.shortcut_kernel)
        return weights

    def get_config(self):
        return {
            **super().get_config(),
            "transition_layers": self.transition_layers,
            "transition_units": self.transition_units,
            "transition_activation": activations.serialize(self.transition_activation),
            "shortcut": self.shortcut,
        }


@saving.register_keras_serializable(package="custom_layers")
class DeepOutputCell(RecurrentCell):
    """One step of a deep-output RNN (DO-RNN).

    h_t = f(U x_t + W h_{t-1} + b)                   state, as in Elman
    d_1 = ψ(V_1 h_t + c_1)
    d_l = ψ(V_l d_{l-1} + c_l),      l = 2 … L−1     output MLP
    y_t = g(V_L d_{L-1} + c_L)                       output

    The recurrence is the Elman network's; the map from the state to the
    output is an MLP of L layers (`output_layers`) applied at every step.
    The state stays h (what the next step receives); the cell's output is
    y. With L = 1 it is an Elman network with its output layer,
    y_t = g(V h_t + c): `keras.layers.SimpleRNN` followed by a
    `keras.layers.Dense` (same numbers with the same weights).

    Weights: `kernel` U, `recurrent_kernel` W, `bias` b as in
    `SimpleRNNCell`, then `output_{l}_kernel` V_l and `output_{l}_bias`
    c_l for l = 1 … L (the `kernel_*`/`bias_*` settings).
    `gate_weights()` names them U, W, b, V_1, c_1, ….

    Args:
        units: Positive integer, the size of the state h.
        output_units: Size of the output y. Default `None`: `units`.
        output_layers: Positive integer L, the depth of the output MLP.
            Default 2.
        output_hidden_units: Size of d_1 … d_{L-1}. Default `None`:
            `units`.
        activation: The state's nonlinearity f. Default `"tanh"`.
        output_activation: The output's g. Default `None` (linear).
        output_hidden_activation: ψ of the MLP's hidden layers. Default
            `"tanh"`.
        use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: As for
            `ElmanCell`.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`, the input x_t.
        states: A list with one tensor `(batch, units)`, h_{t-1}.
        training: Whether dropout is applied.

    Example:

    >>> cell = DeepOutputCell(8, output_units=2, output_layers=3)
    >>> keras.layers.RNN(cell, return_sequences=True)(np.zeros((2, 5, 3))).shape
    (2, 5, 2)
    """

    output_name = "y"  # the state stays h

    def __init__(
        self,
        units,
        output_units=None,
        output_layers=2,
        output_hidden_units=None,
        activation="tanh",
        output_activation=None,
        output_hidden_activation="tanh",
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.output_units = _checks.check_positive_int(
            "output_units", self.units if output_units is None else output_units
        )
        self.output_layers = _checks.check_positive_int("output_layers", output_layers)
        self.output_hidden_units = _checks.check_positive_int(
            "output_hidden_units",
            self.units if output_hidden_units is None else output_hidden_units,
        )
        self.output_activation = _checks.get_activation(
            "output_activation", output_activation
        )
        self.output_hidden_activation = _checks.get_activation(
            "output_hidden_activation", output_hidden_activation
        )

    @property
    def output_size(self):
        return self.output_units

    def build(self, input_shape):
        super().build(input_shape)
        sizes = (
            [self.units]
            + [self.output_hidden_units] * (self.output_layers - 1)
            + [self.output_units]
        )
        self.output_mlp = [  # [(V_l, c_l)] for l = 1 … L
            self.add_feedforward_weights(f"output_{layer}", size_in, size_out)
            for layer, (size_in, size_out) in enumerate(
                zip(sizes[:-1], sizes[1:]), start=1
            )
        ]

    def step(self, x, h_previous, training=False):
        x, h_for_w = self.apply_dropout(x, h_previous, training)

        # h_t = f(x_t U + b + h_{t-1} W)
        h = self.activation(self.preactivation(x, h_for_w))
        d, quantities = h, {}
        for layer, (kernel, bias) in enumerate(self.output_mlp[:-1], start=1):
            # d_l = ψ(d_{l-1} V_l + c_l)
            d = self.dense(d, kernel, bias, self.output_hidden_activation)
            quantities[f"d_{layer}"] = d
        kernel, bias = self.output_mlp[-1]
        y = self.dense(d, kernel, bias, self.output_activation)  # y_t = g(d V_L + c_L)
        return {"h": h, **quantities, "y": y}

    def gate_weights(self):
        """Returns U, W, b of the state and V_l, c_l of the output MLP."""
        weights = super().gate_weights()
        for layer, (kernel, bias) in enumerate(self.output_mlp, start=1):
            weights[f"V_{layer}"] = ops.convert_to_numpy(kernel)
            if bias is not None:
                weights[f"c_{layer}"] = ops.convert_to_numpy(bias)
        return weights

    def get_config(self):
        return {
            **super().get_config(),
            "output_units": self.output_units,
            "output_layers": self.output_layers,
            "output_hidden_units": self.output_hidden_units,
            "output_activation": activations.serialize(self.output_activation),
            "output_hidden_activation": activations.serialize(
                self.output_hidden_activation
            ),
        }


@saving.register_keras_serializable(package="custom_layers")
class DeepTransitionRNN(RecurrentLayer):
    """A deep-transition RNN (DT-RNN / DT(S)-RNN) over a sequence.

    Takes `DeepTransitionCell`'s arguments (units, transition_layers,
    transition_units, activation, transition_activation, shortcut, ...)
    and `keras.layers.RNN`'s (return_sequences, return_state, go_backwards,
    stateful, unroll). With `transition_layers=1` it is
    `keras.layers.SimpleRNN` (weights copy with `set_weights`).

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list with one `(batch, units)` tensor.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = DeepTransitionRNN(8, transition_layers=2, shortcut=True)
    >>> layer(np.zeros((2, 5, 3))).shape
    (2, 8)
    """

    cell_class = DeepTransitionCell


@saving.register_keras_serializable(package="custom_layers")
class DeepOutputRNN(RecurrentLayer):
    """A deep-output RNN (DO-RNN) over a sequence; outputs the y_t.

    Takes `DeepOutputCell`'s arguments (units, output_units,
    output_layers, output_hidden_units, activation, output_activation,
    output_hidden_activation, ...) and `keras.layers.RNN`'s. With
    `return_state=True` the state returned is h (not y).

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list with one `(batch, units)` tensor.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = DeepOutputRNN(8, output_units=2, return_sequences=True)
    >>> layer(np.zeros((2, 5, 3))).shape
    (2, 5, 2)
    """

    cell_class = DeepOutputCell
