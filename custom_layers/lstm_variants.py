"""The LSTM variants compared by Greff et al. (2017, "LSTM: A search space
odyssey", arXiv 1503.04069): the vanilla LSTM with peepholes and eight
variants, each removing or changing one part of it."""

from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers
from keras import saving

from custom_layers import _checks
from custom_layers._lstm_base import LSTMBaseCell
from custom_layers._sequence import RecurrentLayer

# variant -> (what it changes, the gates with weights, in Keras's order)
VARIANTS = {
    "vanilla": ("peepholes, full gates (the reference)", ("i", "f", "c", "o")),
    "NIG": ("no input gate: i = 1", ("f", "c", "o")),
    "NFG": ("no forget gate: f = 1", ("i", "c", "o")),
    "NOG": ("no output gate: o = 1", ("i", "f", "c")),
    "NIAF": ("no input activation: c̃ = identity", ("i", "f", "c", "o")),
    "NOAF": ("no output activation: h = identity", ("i", "f", "c", "o")),
    "NP": ("no peepholes (Keras's LSTM)", ("i", "f", "c", "o")),
    "CIFG": ("coupled input and forget gate: f = 1 - i", ("i", "c", "o")),
    "FGR": ("full gate recurrence: i, f, o see t-1's", ("i", "f", "c", "o")),
}
_RECURRENT_GATES = ("i", "f", "o")  # FGR's gate-to-gate connections


@saving.register_keras_serializable(package="custom_layers")
class LSTMVariantCell(LSTMBaseCell):
    """One step of Greff et al.'s vanilla LSTM or one of its eight variants.

    Vanilla LSTM (peepholes p are diagonal, ⊙ is elementwise), in the
    lecture's names (those of `LSTMCell`):

    c̃_t = tanh(U_c x_t + W_c h_{t-1} + b_c)                     candidate
    i_t = σ(U_i x_t + W_i h_{t-1} + p_i ⊙ c_{t-1} + b_i)        input gate
    f_t = σ(U_f x_t + W_f h_{t-1} + p_f ⊙ c_{t-1} + b_f)        forget gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t                             memory cell
    o_t = σ(U_o x_t + W_o h_{t-1} + p_o ⊙ c_t + b_o)            output gate
    h_t = o_t ⊙ tanh(c_t)                                       output

    (Greff et al. write W_g for U_g, R_g for W_g, z_t for the block input
    c̃_t and y_t for h_t.)

    Variants (`variant=`):

    - `"NIG"`: no input gate, i_t = 1.
    - `"NFG"`: no forget gate, f_t = 1.
    - `"NOG"`: no output gate, o_t = 1.
    - `"NIAF"`: no input activation function, c̃_t = U_c x_t + W_c h_{t-1}
      + b_c.
    - `"NOAF"`: no output activation function, h_t = o_t ⊙ c_t.
    - `"NP"`: no peepholes: exactly `keras.layers.LSTMCell` (weights copy
      with `set_weights`).
    - `"CIFG"`: coupled input and forget gate, f_t = 1 − i_t (as in the
      GRU's update gate).
    - `"FGR"`: full gate recurrence: each of i, f, o also receives the
      previous step's i, f and o through 9 more matrices R_{gh}, e.g.
      i_t = σ(… + R_ii i_{t-1} + R_fi f_{t-1} + R_oi o_{t-1}). The cell's
      state is then [h, c, i, f, o].

    `step` returns i, f, c_tilde, o, c and h (`trace_states` traces them);
    a removed gate is exactly 1.

    A removed gate has no weights, so parameter counts follow the paper:
    with M inputs and N units, vanilla, NIAF and NOAF have
    4(NM + N² + N) + 3N; NP 4(NM + N² + N); NIG, NFG, NOG and CIFG
    3(NM + N² + N) + 2N; FGR vanilla's + 9N².

    Weights: `kernel`, `recurrent_kernel` and `bias` fused as in
    `keras.layers.LSTMCell`, with the variant's gates in the order
    [i, f, c, o] (NIG drops i, NFG and CIFG f, NOG o); then one vector
    `peephole_{g}` (units,) per gate with a peephole; then, for FGR,
    `gate_recurrent_kernel` (3·units, 3·units), rows [i, f, o] of t−1 and
    columns [i, f, o] of t (the `recurrent_*` settings).

    Args:
        units: Positive integer, the number of memory cells.
        variant: One of `"vanilla"`, `"NIG"`, `"NFG"`, `"NOG"`, `"NIAF"`,
            `"NOAF"`, `"NP"`, `"CIFG"`, `"FGR"` (any case). Default
            `"vanilla"`.
        activation: The tanh of c̃ and of h above (where the variant keeps
            them). Default `"tanh"`.
        recurrent_activation: σ, the gates' activation. Default
            `"sigmoid"`.
        unit_forget_bias: If `True` (default), b_f starts at 1 (when the
            variant has a forget gate).
        peephole_initializer: Initializer of each peephole vector. Default
            `"glorot_uniform"` (per vector, as the peephole LSTMs of
            TensorFlow 1 did).
        peephole_regularizer: Regularizer of the peepholes.
        peephole_constraint: Constraint of the peepholes.
        use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint, dropout, recurrent_dropout, seed: As for
            `LSTMCell`.

    Call arguments:
        inputs: A 2-D tensor `(batch, features)`, the input x_t.
        states: A list `[h_{t-1}, c_{t-1}]` (FGR: `[h, c, i, f, o]` of
            t−1), each `(batch, units)`.
        training: Whether dropout is applied.

    Example:

    >>> cell = LSTMVariantCell(4, variant="CIFG")
    >>> cell.build((None, 3))
    >>> cell.count_params()  # 3 (4·3 + 4·4 + 4) + 2·4
    104
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        *,
        variant="vanilla",
        peephole_initializer="glorot_uniform",
        peephole_regularizer=None,
        peephole_constraint=None,
        **kwargs,
    ):
        super().__init__(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            **kwargs,
        )
        self.variant = _checks.check_choice("variant", variant, tuple(VARIANTS))
        self.peephole_initializer = initializers.get(peephole_initializer)
        self.peephole_regularizer = regularizers.get(peephole_regularizer)
        self.peephole_constraint = constraints.get(peephole_constraint)

    @property
    def gate_names(self):
        return VARIANTS[self.variant][1]

    @property
    def peephole_gates(self):
        """The gates with a peephole p_g ⊙ c (none for NP)."""
        if self.variant == "NP":
            return ()
        return tuple(gate for gate in self.gate_names if gate != "c")

    @property
    def state_names(self):
        if self.variant == "FGR":  # the gates of t−1 feed those of t
            return ("h", "c", *_RECURRENT_GATES)
        return ("h", "c")

    def build(self, input_shape):
        super().build(input_shape)
        self.peepholes = {
            gate: self.add_weight(
                shape=(self.units,),
                name=f"peephole_{gate}",
                initializer=self.peephole_initializer,
                regularizer=self.peephole_regularizer,
                constraint=self.peephole_constraint,
            )
            for gate in self.peephole_gates
        }
        self.gate_recurrent_kernel = None
        if self.variant == "FGR":
            size = len(_RECURRENT_GATES) * self.units
            self.gate_recurrent_kernel = self.add_weight(
                shape=(size, size),
                name="gate_recurrent_kernel",
                initializer=self.recurrent_initializer,
                regularizer=self.recurrent_regularizer,
                constraint=self.recurrent_constraint,
            )

    def gate(self, name, a, c):
        """σ(a_g + p_g ⊙ c), or exactly 1 for a gate the variant removed."""
        if name not in a:
            return ops.ones_like(c)
        if name in self.peepholes:
            return self.recurrent_activation(a[name] + self.peepholes[name] * c)
        return self.recurrent_activation(a[name])

    def step(self, x, h_previous, c_previous, *gates_previous, training=False):
        x, h_for_gates = self.apply_dropout(x, h_previous, training)

        # x_t U + h_{t-1} W + b: (batch, G·units), the variant's G gates
        # of [i | f | c̃ | o]
        a = ops.matmul(x, self.kernel)
        a = ops.add(a, ops.matmul(h_for_gates, self.recurrent_kernel))
        if self.use_bias:
            a = ops.add(a, self.bias)
        a = dict(zip(self.gate_names, ops.split(a, len(self.gate_names), -1)))
        if self.variant == "FGR":
            previous_gates = ops.concatenate(
                gates_previous, axis=-1
            )  # (batch, 3·units)
            extra = ops.split(
                ops.matmul(previous_gates, self.gate_recurrent_kernel), 3, -1
            )
            for gate, term in zip(_RECURRENT_GATES, extra):
                # a_g += i_{t-1} R_ig + f_{t-1} R_fg + o_{t-1} R_og
                a[gate] = a[gate] + term

        if self.variant == "NIAF":
            c_tilde = a["c"]  # c̃_t = x_t U_c + h_{t-1} W_c + b_c
        else:
            c_tilde = self.activation(a["c"])  # c̃_t = tanh(x_t U_c + h_{t-1} W_c + …)
        i = self.gate("i", a, c_previous)  # i_t = σ(… + p_i ⊙ c_{t-1}); NIG 1
        if self.variant == "CIFG":
            f = 1 - i  # f_t = 1 − i_t
        else:
            f = self.gate("f", a, c_previous)  # f_t = σ(… + p_f ⊙ c_{t-1}); NFG 1
        c = f * c_previous + i * c_tilde  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        o = self.gate("o", a, c)  # o_t = σ(… + p_o ⊙ c_t); NOG 1
        if self.variant == "NOAF":
            h = o * c  # h_t = o_t ⊙ c_t
        else:
            h = o * self.activation(c)  # h_t = o_t ⊙ tanh(c_t)
        return {"i": i, "f": f, "c_tilde": c_tilde, "o": o, "c": c, "h": h}

    def gate_weights(self):
        """Returns U_g, W_g, b_g of the variant's gates (see `LSTMCell`),
        the peepholes p_g and, for FGR, R_{gh} (gate g of t−1 to gate h of
        t, e.g. `R_fi`)."""
        weights = super().gate_weights()
        for gate, peephole in self.peepholes.items():
            weights[f"p_{gate}"] = ops.convert_to_numpy(peephole)
        if self.variant == "FGR":
            matrix = ops.convert_to_numpy(self.gate_recurrent_kernel)
            units = self.units
            for row, source in enumerate(_RECURRENT_GATES):
                for column, target in enumerate(_RECURRENT_GATES):
                    weights[f"R_{source}{target}"] = matrix[
                        row * units : (row + 1) * units,
                        column * units : (column + 1) * units,
                    ]
        return weights

    def get_config(self):
        return {
            **super().get_config(),
            "variant": self.variant,
            "peephole_initializer": initializers.serialize(self.peephole_initializer),
            "peephole_regularizer": regularizers.serialize(self.peephole_regularizer),
            "peephole_constraint": constraints.serialize(self.peephole_constraint),
        }


@saving.register_keras_serializable(package="custom_layers")
class LSTMVariant(RecurrentLayer):
    """An LSTM variant of Greff et al. over a sequence.

    Takes `LSTMVariantCell`'s arguments (units, variant, activation,
    recurrent_activation, unit_forget_bias, peephole_*, ...) and
    `keras.layers.RNN`'s (return_sequences, return_state, go_backwards,
    stateful, unroll). With `return_state=True` it returns
    `[output, h, c]` (FGR: `[output, h, c, i, f, o]`).
    `LSTMVariant(units, variant="NP")` is `keras.layers.LSTM(units)`.

    Call arguments:
        sequences: A 3-D tensor `(batch, timesteps, features)`.
        initial_state: Optional list of the cell's initial states, each
            `(batch, units)`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = LSTMVariant(4, variant="FGR", return_state=True)
    >>> outputs = layer(np.zeros((2, 5, 3)))
    >>> len(outputs)  # output, h, c, i, f, o
    6
    """

    cell_class = LSTMVariantCell
