"""A correct LSTM cell written with raw TensorFlow ops and a float32
constant: fine in float32, but under mixed precision (float16 compute)
TensorFlow refuses to mix the dtypes. Expected: ok, 8 of 10."""

import keras
import tensorflow as tf


def sigmoid(z):
    one = tf.constant(1.0)
    return one / (one + tf.exp(-z))


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
            tf.matmul(inputs, self.kernel)
            + tf.matmul(h, self.recurrent_kernel)
            + self.bias
        )
        i, f, g, o = tf.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * tf.tanh(g)
        h = sigmoid(o) * tf.tanh(c)
        return h, [h, c]
