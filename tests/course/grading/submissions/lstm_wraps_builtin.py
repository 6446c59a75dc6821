"""Hands in Keras's own cell under the asked-for name: right answers, not
the student's work. Expected: flagged, 10 of 10."""

from keras import layers


class LSTMCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.LSTMCell(units)
        self.state_size = self.inner.state_size
        self.output_size = units

    def build(self, input_shape):
        self.inner.build(input_shape)

    def call(self, inputs, states, training=None):
        return self.inner(inputs, states)
