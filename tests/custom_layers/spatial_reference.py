"""An independent SpatialRNN built from Keras's own recurrent layers.

Written the plain way, from ReNet (Visin et al., arXiv:1505.00393, section 2)
and not from `custom_layers.spatial`:
patches cut by explicit slicing, one built-in RNN call per column (then per
row) and per direction, the backward directions run on reversed sequences,
results put together by hand. `vectorised=True` is the same computation with
the columns (rows) folded into the batch axis — the fastest form the
built-ins allow, used by `benchmarks/spatial.py`.
"""

import keras
from keras import ops

BUILTINS = {
    "elman": keras.layers.SimpleRNN,
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
}
MERGES = {
    "concat": lambda a, b: ops.concatenate([a, b], axis=-1),
    "sum": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "ave": lambda a, b: (a + b) / 2,
}
DIRECTIONS = ("down", "up", "right", "left")


class BuiltinSpatialReference(keras.layers.Layer):
    def __init__(self, units, block_shape, cell, merge_mode="concat", vectorised=False):
        super().__init__()
        self.block_shape = block_shape
        self.merge = MERGES[merge_mode]
        self.vectorised = vectorised
        # Created in the order of SpatialRNN's weights: ↓, ↑, →, ←.
        self.rnns = {
            direction: BUILTINS[cell](units, return_sequences=True)
            for direction in DIRECTIONS
        }
        self.down, self.up, self.right, self.left = self.rnns.values()

    def copy_weights_from(self, spatial):
        sources = (
            spatial.vertical.forward_layer,
            spatial.vertical.backward_layer,
            spatial.horizontal.forward_layer,
            spatial.horizontal.backward_layer,
        )
        for rnn, source in zip(self.rnns.values(), sources):
            rnn.set_weights(source.get_weights())

    def build(self, input_shape):
        _, height, width, channels = input_shape
        block_h, block_w = self.block_shape
        patch = block_h * block_w * channels
        self.down.build((None, height // block_h, patch))
        self.up.build((None, height // block_h, patch))
        merged = self.merge(
            ops.zeros((1, self.down.units)), ops.zeros((1, self.down.units))
        ).shape[-1]
        self.right.build((None, width // block_w, merged))
        self.left.build((None, width // block_w, merged))

    def bidirectional(self, forward, backward, sequences):
        reversed_output = backward(ops.flip(sequences, axis=1))
        return self.merge(forward(sequences), ops.flip(reversed_output, axis=1))

    def patch_grid(self, images):
        """[[patch (B, Hp·Wp·C) for every column j] for every row i]."""
        block_h, block_w = self.block_shape
        rows = images.shape[1] // block_h
        columns = images.shape[2] // block_w
        return [
            [
                ops.reshape(
                    images[
                        :,
                        i * block_h : (i + 1) * block_h,
                        j * block_w : (j + 1) * block_w,
                        :,
                    ],
                    (-1, block_h * block_w * images.shape[3]),
                )
                for j in range(columns)
            ]
            for i in range(rows)
        ]

    def vertical_sweep(self, images):
        grid = self.patch_grid(images)
        rows, columns = len(grid), len(grid[0])
        if self.vectorised:
            patches = ops.stack([ops.stack(row, axis=1) for row in grid], axis=1)
            columns_first = ops.reshape(
                ops.transpose(patches, (0, 2, 1, 3)), (-1, rows, patches.shape[-1])
            )
            swept = self.bidirectional(self.down, self.up, columns_first)
            swept = ops.reshape(swept, (-1, columns, rows, swept.shape[-1]))
            return ops.transpose(swept, (0, 2, 1, 3))
        column_maps = []
        for j in range(columns):
            column = ops.stack([grid[i][j] for i in range(rows)], axis=1)
            column_maps.append(self.bidirectional(self.down, self.up, column))
        return ops.stack(column_maps, axis=2)  # (B, I, J, 2U)

    def call(self, images):
        vertical = self.vertical_sweep(images)
        rows, columns = vertical.shape[1], vertical.shape[2]
        if self.vectorised:
            swept = self.bidirectional(
                self.right,
                self.left,
                ops.reshape(vertical, (-1, columns, vertical.shape[-1])),
            )
            return ops.reshape(swept, (-1, rows, columns, swept.shape[-1]))
        row_maps = [
            self.bidirectional(self.right, self.left, vertical[:, i])
            for i in range(rows)
        ]
        return ops.stack(row_maps, axis=1)
