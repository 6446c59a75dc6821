"""The solution notebook's LSTM cell, copied with every local name changed and
the methods in reverse order: what a student who copies and disguises does."""

import keras
from keras import ops


class LSTMCell(keras.layers.Layer):
    def call(self, x_t, previous, training=None):
        hidden, memory = previous
        pre = ops.matmul(x_t, self.kernel)
        pre = pre + ops.matmul(hidden, self.recurrent_kernel)
        pre = pre + self.bias
        a, b, cand, d = ops.split(pre, 4, axis=-1)
        new_memory = ops.sigmoid(b) * memory + ops.sigmoid(a) * ops.tanh(cand)
        new_hidden = ops.sigmoid(d) * ops.tanh(new_memory)
        return new_hidden, [new_hidden, new_memory]

    def build(self, shape):
        n_in = shape[-1]
        self.kernel = self.add_weight(
            shape=(n_in, 4 * self.units),
            name="kernel",
            initializer="glorot_uniform",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, 4 * self.units),
            name="recurrent_kernel",
            initializer="orthogonal",
        )
        self.bias = self.add_weight(
            shape=(4 * self.units,), name="bias", initializer="zeros"
        )

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.units = n
        self.state_size = [n, n]
        self.output_size = n
