"""An LSTM cell that reads the fused gates in the order [f, i, c, o]
instead of Keras's [i, f, c, o]: the right shapes, wrong numbers.
Expected: ok, 1 of 10 (the shapes)."""

import keras
from keras import ops


class LSTMCell(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 4 * self.units))
        self.recurrent_kernel = self.add_weight(shape=(self.units, 4 * self.units))
        self.bias = self.add_weight(shape=(4 * self.units,), initializer="zeros")

    def call(self, inputs, states, training=None):
        h, c = states
        z = (
            ops.matmul(inputs, self.kernel)
            + ops.matmul(h, self.recurrent_kernel)
            + self.bias
        )
        f, i, g, o = ops.split(z, 4, axis=-1)
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        h = ops.sigmoid(o) * ops.tanh(c)
        return h, [h, c]
