"""A CRNN for sequence recognition: convolutions read an image into a
sequence of columns, a (bidirectional) LSTM reads the columns, and each
column emits a distribution over the symbols plus the CTC blank (index 0).
"""

import keras

import custom_layers


def build_crnn(height, width, num_symbols, units=64, bidirectional=True):
    """Image `(height, width, 1)` -> per-column logits `(width // 4, num_symbols + 1)`."""
    images = keras.Input((height, width, 1))
    x = images
    for filters in (32, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)  # (B, H/2, W/2, F) each time
    x = keras.layers.Permute((2, 1, 3))(x)  # (B, W/4, H/4, 64): columns first
    x = keras.layers.Reshape((width // 4, (height // 4) * 64))(x)
    recurrent = custom_layers.LSTM(units, return_sequences=True)
    if bidirectional:
        recurrent = keras.layers.Bidirectional(recurrent)
    x = recurrent(x)  # (B, W/4, units or 2 * units)
    logits = keras.layers.Dense(num_symbols + 1)(x)  # (B, W/4, K + 1), 0 = blank
    return keras.Model(images, logits, name="crnn" if bidirectional else "crnn_forward")
