"""Convolutional LSTM (Shi et al., 2015, arXiv 1506.04214): an LSTM whose
input and state are images and whose products are convolutions."""

import keras
from keras import config
from keras import layers
from keras import ops
from keras import saving

from custom_layers import _checks
from custom_layers import _signatures
from custom_layers._cell import StepInputCheck
from custom_layers._lstm_base import LSTMBaseCell
from custom_layers._sequence import CheckedRNN
from custom_layers._sequence import RecurrentLayer


def _check_pair(name, value):
    """Returns `value` (an int or a pair of ints, as Keras accepts) as a
    pair of positive ints, else raises `ValueError`."""
    pair = (value, value) if isinstance(value, int) else value
    if (
        not isinstance(pair, (tuple, list))
        or len(pair) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
        or min(pair) <= 0
    ):
        raise ValueError(
            f"`{name}` must be a positive integer or a pair of positive "
            f"integers (height, width), got {value!r}."
        )
    return tuple(pair)


def _check_strides(strides):
    strides = _check_pair("strides", strides)
    if strides != (1, 1):
        raise ValueError(
            f"`strides` must be 1, got {strides!r}: the hand-written ConvLSTM "
            "keeps the input frame and the state the same size; use "
            "keras.layers.ConvLSTM2D for strided input convolutions."
        )
    return strides


def _check_data_format(data_format):
    data_format = config.image_data_format() if data_format is None else data_format
    data_format = _checks.check_choice(
        "data_format", data_format, ("channels_last", "channels_first")
    )
    if data_format == "channels_first":
        raise ValueError(
            "`data_format='channels_first'` is not supported: the hand-written "
            "ConvLSTM takes frames (height, width, channels), channels last. "
            "Transpose the input (ops.transpose(x, (0, 1, 3, 4, 2))) or pass "
            "data_format='channels_last'."
        )
    return data_format


def _check_frames_shape(layer_name, shape):
    """Checks a ConvLSTM2D's input is (batch, timesteps, height, width,
    channels) with known frame size and channels."""
    if len(shape) != 5:
        raise ValueError(
            f"Layer '{layer_name}' expects a 5-D input (batch, timesteps, "
            f"height, width, channels), got rank {len(shape)} with shape "
            f"{tuple(shape)}. For one sequence add a batch axis (x[None]); "
            "for grey frames add a channel axis (x[..., None])."
        )
    _checks.check_image_shape(f"Layer '{layer_name}'", (shape[0], *shape[2:]))


def _signature_without_units(parameters):
    # `filters` is the ConvLSTM's `units`; the LSTM's name is not accepted.
    return _signatures.with_kwargs([p for p in parameters if p.name != "units"])


@saving.register_keras_serializable(package="custom_layers")
class ConvLSTM2DCell(LSTMBaseCell):
    """One step of a convolutional LSTM (Shi et al., 2015).

    The LSTM's equations with every product U x_t, W h_{t-1} replaced by a
    2-D convolution `*`; x_t is a frame (height, width, channels), h_t and
    c_t are images of `filters` channels:

    i_t = σ(U_i * x_t + W_i * h_{t-1} + b_i)       input gate
    f_t = σ(U_f * x_t + W_f * h_{t-1} + b_f)       forget gate
    c̃_t = tanh(U_c * x_t + W_c * h_{t-1} + b_c)    candidate (`c_tilde`)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t                memory cell update
    o_t = σ(U_o * x_t + W_o * h_{t-1} + b_o)       output gate
    h_t = o_t ⊙ tanh(c_t)

    (the paper's peephole terms W_ci ⊙ c_{t-1}, ... are left out, as in Keras). The
    convolution of x_t uses `padding` and `dilation_rate`; that of h_{t-1}
    always `"same"` padding, so the state keeps the size of the output.

    Computes what `keras.layers.ConvLSTM2D`'s cell computes (one
    convolution per gate, additions in Keras's order: bit-identical), with
    the same weights in gate order [i, f, c, o]: `kernel` (kh, kw, channels,
    4·filters), `recurrent_kernel` (kh, kw, filters, 4·filters), `bias`
    (4·filters,); `set_weights` copies them either way and `gate_weights()`
    splits them into `U_g` (kh, kw, channels, filters), `W_g` (kh, kw,
    filters, filters) and `b_g` (filters,).

    Args:
        filters: Positive integer, the channels of h_t and c_t.
        kernel_size: An int or a pair (kh, kw), the convolution window.
        strides: Must be 1 (other strides are refused).
        padding: `"valid"` (default) or `"same"`, for the input convolution.
        data_format: `"channels_last"` (or None, Keras's image data format);
            `"channels_first"` is refused.
        dilation_rate: An int or a pair, the input convolution's dilation.
        activation, recurrent_activation, unit_forget_bias, use_bias,
        kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: As for `LSTMCell`, except that, as in
            Keras's ConvLSTM, each gate has its own dropout mask of the frame
            (and of the state), kept for the whole sequence; with the same
            `seed` the masks are Keras's.

    Call arguments:
        inputs: A 4-D tensor `(batch, height, width, channels)`, the frame x_t.
        states: A list `[h_{t-1}, c_{t-1}]`, each `(batch, height', width',
            filters)` (height' = height with `"same"` padding, height −
            dilation·(kh − 1) with `"valid"`).
        training: Whether dropout is applied.

    Example:

    >>> rnn = keras.layers.RNN(ConvLSTM2DCell(4, 3, padding="same"))
    >>> rnn(np.zeros((2, 5, 6, 6, 1))).shape
    (2, 6, 6, 4)
    """

    gate_names = ("i", "f", "c", "o")  # Keras's fused order; c makes c̃
    __signature__ = _signatures.ClassSignature(
        lambda cls: _signature_without_units(
            _signatures.constructor_parameters(cls, layers.Layer)
        )
    )

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        **kwargs,
    ):
        filters = _checks.check_positive_int("filters", filters)
        super().__init__(filters, activation, recurrent_activation, **kwargs)
        self.filters = filters
        self.kernel_size = _check_pair("kernel_size", kernel_size)
        self.strides = _check_strides(strides)
        self.padding = _checks.check_choice("padding", padding, ("valid", "same"))
        self.data_format = _check_data_format(data_format)
        self.dilation_rate = _check_pair("dilation_rate", dilation_rate)
        self.frame_shape = None  # (height, width, channels), set by build
        # Keras's ConvLSTM draws one dropout mask per gate (DropoutRNNCell
        # then returns a list of four).
        self.dropout_mask_count = 4

    def __call__(self, inputs, *args, **kwargs):
        # A frame, not the (batch, features) step the other cells check for.
        _checks.check_image_shape(f"Cell '{self.name}'", ops.shape(inputs))
        return super(StepInputCheck, self).__call__(inputs, *args, **kwargs)

    def check_sequence(self, layer_name, shape):
        _check_frames_shape(layer_name, shape)

    @property
    def state_sizes(self):
        # Keras's convention for image states: sizes come from the shapes.
        return (-1, -1)

    @property
    def output_size(self):
        # keras.layers.RNN reads this int for its symbolic output shape
        # (batch, output_size), which cannot describe an image.
        raise ValueError(
            f"Cell '{self.name}' outputs images (batch, height', width', "
            "filters), whose shape keras.layers.RNN cannot compute from a "
            "symbolic input such as keras.Input: use custom_layers.ConvLSTM2D "
            "in a functional or Sequential model (keras.layers.RNN(cell) "
            "works on arrays)."
        )

    @property
    def input_size(self):
        return self.kernel.shape[-2]

    def state_shape(self, frame_shape):
        """(height', width', filters) of h_t and c_t for a frame (height,
        width, channels)."""
        height, width = frame_shape[:2]
        if self.padding == "valid":
            height -= self.dilation_rate[0] * (self.kernel_size[0] - 1)
            width -= self.dilation_rate[1] * (self.kernel_size[1] - 1)
        return (height, width, self.filters)

    def build(self, input_shape):
        self.frame_shape = _checks.check_image_shape(f"Cell '{self.name}'", input_shape)
        if min(self.state_shape(self.frame_shape)[:2]) <= 0:
            raise ValueError(
                f"Cell '{self.name}': frames of size {self.frame_shape[:2]} are "
                f"smaller than the {self.kernel_size} window (dilation "
                f"{self.dilation_rate}) with padding='valid'; use larger frames "
                "or padding='same'."
            )
        channels = self.frame_shape[-1]
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, 4 * self.filters),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, 4 * self.filters),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(4 * self.filters,),
                name="bias",
                initializer=self.bias_initializer_for_build,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def step(self, x, h_previous, c_previous, training=False):
        # x_t (B, H, W, C); h_{t-1}, c_{t-1} (B, H', W', F). One view of x_t
        # and of h_{t-1} per gate: dropped by that gate's mask when training,
        # as in Keras (four masks each, one sequence long, drawn only then).
        x_masks = self.get_dropout_mask(x) if training else None
        h_masks = self.get_recurrent_dropout_mask(h_previous) if training else None
        x_gates = self.per_gate(x, x_masks)
        h_gates = self.per_gate(h_previous, h_masks)
        kernels = ops.split(self.kernel, 4, axis=-1)  # U_g (kh, kw, C, F)
        recurrent_kernels = ops.split(self.recurrent_kernel, 4, axis=-1)  # W_g
        biases = ops.split(self.bias, 4) if self.use_bias else [None] * 4
        # a_g = U_g * x_t + b_g + W_g * h_{t-1}, each (B, H', W', F)
        a_i, a_f, a_c, a_o = (
            ops.add(self.input_conv(x_g, U_g, b_g), self.recurrent_conv(h_g, W_g))
            for x_g, h_g, U_g, W_g, b_g in zip(
                x_gates, h_gates, kernels, recurrent_kernels, biases
            )
        )

        i = self.recurrent_activation(a_i)  # i_t = σ(U_i * x + W_i * h + b_i)
        f = self.recurrent_activation(a_f)  # f_t = σ(U_f * x + W_f * h + b_f)
        c_tilde = self.activation(a_c)  # c̃_t = tanh(U_c * x + W_c * h + b_c)
        c = f * c_previous + i * c_tilde  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        o = self.recurrent_activation(a_o)  # o_t = σ(U_o * x + W_o * h + b_o)
        h = o * self.activation(c)  # h_t = o_t ⊙ tanh(c_t)
        return {"i": i, "f": f, "c_tilde": c_tilde, "o": o, "c": c, "h": h}

    @staticmethod
    def per_gate(tensor, masks):
        """`tensor` once per gate, times that gate's dropout mask (`masks`
        is None without dropout or when not training)."""
        if masks is None:
            return [tensor] * 4
        return [tensor * mask for mask in masks]

    def input_conv(self, x, kernel, bias):
        """U_g * x_t + b_g: (B, H, W, C) -> (B, H', W', F)."""
        z = ops.conv(
            x,
            kernel,
            strides=1,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
        )
        return z if bias is None else ops.add(z, bias)

    def recurrent_conv(self, h, kernel):
        """W_g * h_{t-1}, "same" padding: (B, H', W', F) -> (B, H', W', F)."""
        return ops.conv(h, kernel, strides=1, padding="same")

    def compute_output_shape(self, inputs_shape, states_shape=None):
        shape = (inputs_shape[0], *self.state_shape(inputs_shape[1:]))
        return shape, [shape, shape]

    def get_initial_state(self, batch_size=None):
        shape = (batch_size, *self.state_shape(self.frame_shape))
        return [ops.zeros(shape, dtype=self.compute_dtype) for _ in range(2)]

    def get_config(self):
        config = super().get_config()
        del config["units"]
        return {
            **config,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }


@saving.register_keras_serializable(package="custom_layers")
class ConvLSTM2D(RecurrentLayer):
    """A ConvLSTM over a sequence of frames; a drop-in for
    `keras.layers.ConvLSTM2D` (channels last, strides 1).

    Takes `ConvLSTM2DCell`'s arguments and `keras.layers.RNN`'s
    (return_sequences, return_state, go_backwards, stateful), plus
    `activity_regularizer` and the usual layer arguments. With
    `return_state=True` it returns `[output, h, c]`, like Keras. Weights
    are interchangeable with `keras.layers.ConvLSTM2D`'s.

    Call arguments:
        sequences: A 5-D tensor `(batch, timesteps, height, width, channels)`.
        initial_state: Optional list `[h_0, c_0]`, each `(batch, height',
            width', filters)`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is applied.

    Example:

    >>> layer = ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(np.zeros((2, 5, 6, 6, 1))).shape
    (2, 5, 6, 6, 4)
    """

    cell_class = ConvLSTM2DCell
    __signature__ = _signatures.ClassSignature(
        lambda cls: _signature_without_units(
            [
                *_signatures.constructor_parameters(cls.cell_class, layers.Layer),
                *_signatures.constructor_parameters(cls, CheckedRNN),
            ]
        )
    )

    def __init__(self, filters, kernel_size, *cell_args, **kwargs):
        super().__init__(filters, kernel_size, *cell_args, **kwargs)

    # CheckedRNN's checks are for (batch, timesteps, features); these are
    # for frames, then keras.layers.RNN's build and call run as usual.
    def build(self, sequences_shape, initial_state_shape=None):
        _check_frames_shape(self.name, sequences_shape)
        super(CheckedRNN, self).build(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        _check_frames_shape(self.name, sequences.shape)
        _checks.check_feature_size(self.name, self.cell.input_size, sequences.shape)
        return super(CheckedRNN, self).call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        # Keras's JAX loop (lax.scan) broadcasts a step's (batch, 1) mask
        # against its output, which fails for images (keras.layers.ConvLSTM2D
        # raises there): a (batch, timesteps, 1, 1, 1) mask broadcasts.
        if mask is not None and keras.backend.backend() == "jax":
            mask = ops.reshape(mask, (*ops.shape(mask)[:2], 1, 1, 1))
        return super().inner_loop(sequences, initial_state, mask, training=training)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch_size, timesteps = sequences_shape[:2]
        state_shape = self.cell.state_shape(sequences_shape[2:])
        state = (batch_size, *state_shape)
        output = (
            (batch_size, timesteps, *state_shape) if self.return_sequences else state
        )
        return (output, state, state) if self.return_state else output
