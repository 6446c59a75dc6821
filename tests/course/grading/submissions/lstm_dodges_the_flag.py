"""Hands in Keras's own cell, trying to dodge the review: the modules
through aliases, the class looked up from a string built at run time.
Expected: flagged (the lookup by name is found), 10 of 10."""

import keras

L = keras.layers
S = keras.saving
NAME = "LSTM" + "Cell"


class LSTMCell(L.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        config = {"class_name": NAME, "module": "keras.layers", "config": {"units": units}}
        self.inner = S.deserialize_keras_object(config)
        self.state_size = self.inner.state_size
        self.output_size = units

    def build(self, input_shape):
        self.inner.build(input_shape)

    def call(self, inputs, states, training=None):
        return self.inner(inputs, states)
