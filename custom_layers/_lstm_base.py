"""What every cell of the LSTM family shares (`LSTMCell`, `LSTMVariantCell`,
`ConvLSTM2DCell`): the state [h, c] and the forget gate's bias of 1."""

import itertools

from keras import initializers
from keras import ops

from custom_layers._cell import GatedRecurrentCell


class LSTMBaseCell(GatedRecurrentCell):
    """Base class of the LSTM-family cells (not used directly).

    The state is [h, c] (the output h_t and the memory cell c_t, Keras's
    order); the output is h. Subclasses set `gate_names` (a subset of
    Keras's [i, f, c, o], where `c` is the gate whose weights make the
    candidate c̃) and implement `step`.

    Args:
        units: Positive integer, the number of hidden units (memory cells).
        activation: Activation of the candidate c̃ and of the output.
            Default `"tanh"`.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        unit_forget_bias: If `True` (default), the forget gate's bias
            starts at exactly 1 (the rest of the bias uses
            `bias_initializer`), so the cell remembers by default
            (Jozefowicz et al., 2015); nothing changes for a cell without
            a forget gate.
        **kwargs: The other arguments of `GatedRecurrentCell`.
    """

    state_names = ("h", "c")
    output_name = "h"

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

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}
