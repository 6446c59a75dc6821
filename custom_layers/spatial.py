"""SpatialRNN: the ReNet / ReSeg layer, four directional RNNs over an image."""

from keras import layers
from keras import ops
from keras import saving

from custom_layers._cell import cell_output_size
from custom_layers._checks import check_choice
from custom_layers._checks import check_image_shape
from custom_layers._checks import check_positive_int
from custom_layers.elman import ElmanCell
from custom_layers.gru import GRUCell
from custom_layers.lstm import LSTMCell

CELLS = {"elman": ElmanCell, "lstm": LSTMCell, "gru": GRUCell}
MERGE_MODES = ("concat", "sum", "mul", "ave")
PADDINGS = ("valid", "same")


def _block_shape(value):
    """Accepts an int (a square block) or a pair of positive ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(
            "`block_shape` must be an int or a pair (Hp, Wp) of positive "
            f"ints, got {value!r}."
        )
    return tuple(check_positive_int("block_shape", size) for size in value)


def _sweep_rows(bidirectional, grid, training):
    """Runs `bidirectional` along axis 2 of `grid` (batch, rows, length, F).

    The rows are folded into the batch axis, so every row is read in the
    same recurrent pass: (B, R, L, F) -> (B·R, L, F) -> (B, R, L, F').
    """
    rows, length, features = grid.shape[1], grid.shape[2], grid.shape[3]
    sequences = ops.reshape(grid, (-1, length, features))
    outputs = bidirectional(sequences, training=training)
    return ops.reshape(outputs, (-1, rows, length, outputs.shape[-1]))


def _swap_rows_and_columns(grid):
    return ops.transpose(grid, (0, 2, 1, 3))


@saving.register_keras_serializable(package="custom_layers")
class SpatialRNN(layers.Layer):
    """ReNet / ReSeg layer: a vertical and then a horizontal bidirectional
    sweep of recurrent networks over the patches of an image.

    The input image is cut into non-overlapping Hp×Wp patches, each
    flattened in (hp, wp, channel) order. Two RNNs read every column of
    patches, one top-down and one bottom-up; their outputs are merged
    (concatenated by default). Two more RNNs then read every row of that
    map, left to right and right to left, and are merged again. Each output
    position therefore sees the whole image. The four RNNs have separate
    weights; the same weights serve every column (or row).

    ```
    (B, H, W, C)                    input
        │  patches Hp×Wp            I = H/Hp rows, J = W/Wp columns
    (B, I, J, Hp·Wp·C)
        │  ↓ and ↑ along every column j       (B·J sequences of I steps)
    (B, I, J, 2U)                   `vertical_sweep`
        │  → and ← along every row i          (B·I sequences of J steps)
    (B, I, J, 2U)                   output (U instead of 2U unless concat)
    ```

    Columns and rows are folded into the batch axis, so each direction is
    a single recurrent pass — no Python loop over columns or rows.

    Args:
        units: Positive integer, the units of each directional RNN.
        block_shape: Patch size `(Hp, Wp)`, or an int for a square patch.
            Default `(2, 2)`, which halves the height and the width.
        cell: `"gru"` (default), `"lstm"` or `"elman"` (the tanh RNN of the
            lecture) for this library's cells, or a callable with no
            arguments that returns a fresh cell with `units` outputs (our
            cells or Keras's, e.g. `lambda: keras.layers.LSTMCell(64)`); it
            is called once per direction. A cell instance is also accepted
            and cloned from its config.
        padding: `"valid"` (default) needs H and W divisible by the block;
            `"same"` zero-pads the image to the next multiple first (as
            Keras's convolutions pad: the odd pixel at the bottom / right).
        merge_mode: How two opposite directions are combined: `"concat"`
            (default, 2·units channels), `"sum"`, `"mul"` or `"ave"`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A 4-D tensor `(batch, height, width, channels)`.
        training: Whether dropout (if the cells use it) is applied.

    Example:

    >>> layer = SpatialRNN(8, block_shape=(2, 2), cell="gru")
    >>> layer(np.zeros((3, 16, 12, 5))).shape
    (3, 8, 6, 16)
    """

    def __init__(
        self,
        units,
        block_shape=(2, 2),
        cell="gru",
        padding="valid",
        merge_mode="concat",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.block_shape = _block_shape(block_shape)
        self.padding = check_choice("padding", padding, PADDINGS)
        self.merge_mode = check_choice("merge_mode", merge_mode, MERGE_MODES)
        self._cell_name = cell if isinstance(cell, str) else None
        self._new_cell = self._cell_factory(cell)
        self.vertical = self._bidirectional("vertical")
        self.horizontal = self._bidirectional("horizontal")

    def _cell_factory(self, cell):
        if isinstance(cell, str):
            cell_class = CELLS[check_choice("cell", cell, tuple(CELLS))]
            return lambda: cell_class(self.units, dtype=self.dtype_policy)
        if isinstance(cell, dict):
            cell = saving.deserialize_keras_object(cell)
        if isinstance(cell, layers.Layer):
            prototype = cell
            return lambda: prototype.__class__.from_config(prototype.get_config())
        if callable(cell):
            return cell
        raise ValueError(
            "`cell` must be 'elman', 'lstm', 'gru', a callable returning a "
            f"fresh recurrent cell, or a cell instance; got {cell!r}."
        )

    def _directional_rnn(self, go_backwards):
        cell = self._new_cell()
        output_size = cell_output_size(cell)
        if output_size != self.units:
            raise ValueError(
                f"The cell for SpatialRNN(units={self.units}) has "
                f"{output_size} outputs; the cell callable must return cells "
                "with `units` outputs."
            )
        return layers.RNN(
            cell,
            return_sequences=True,
            go_backwards=go_backwards,
            dtype=self.dtype_policy,
        )

    def _bidirectional(self, name):
        return layers.Bidirectional(
            self._directional_rnn(go_backwards=False),
            backward_layer=self._directional_rnn(go_backwards=True),
            merge_mode=self.merge_mode,
            dtype=self.dtype_policy,
            name=f"{name}_sweep",
        )

    @property
    def sweep_units(self):
        """Channels after one bidirectional sweep: 2·units when concatenating."""
        return 2 * self.units if self.merge_mode == "concat" else self.units

    def _padded_size(self, input_shape):
        """(H, W) after padding, checked against the block shape."""
        height, width, _ = check_image_shape(f"SpatialRNN '{self.name}'", input_shape)
        block_h, block_w = self.block_shape
        if self.padding == "same":
            return -(-height // block_h) * block_h, -(-width // block_w) * block_w
        if height % block_h or width % block_w:
            raise ValueError(
                f"SpatialRNN '{self.name}' with padding='valid' needs the "
                f"image height and width divisible by block_shape="
                f"{self.block_shape}, got a {height}×{width} image. Resize or "
                "crop the image, pick a block that divides it, or use "
                "padding='same' to zero-pad to the next multiple."
            )
        return height, width

    def compute_output_shape(self, input_shape):
        height, width = self._padded_size(input_shape)
        block_h, block_w = self.block_shape
        return (
            input_shape[0],
            height // block_h,
            width // block_w,
            self.sweep_units,
        )

    def build(self, input_shape):
        height, width = self._padded_size(input_shape)
        block_h, block_w = self.block_shape
        rows, columns = height // block_h, width // block_w
        patch_size = block_h * block_w * input_shape[-1]
        self.vertical.build((None, rows, patch_size))
        self.horizontal.build((None, columns, self.sweep_units))
        self.built = True

    def patches(self, images):
        """Cuts `images` (B, H, W, C) into the patch grid (B, I, J, Hp·Wp·C)."""
        height, width = self._padded_size(images.shape)
        block_h, block_w = self.block_shape
        if (height, width) != tuple(images.shape[1:3]):
            extra_h, extra_w = height - images.shape[1], width - images.shape[2]
            images = ops.pad(
                images,
                [
                    [0, 0],
                    [extra_h // 2, extra_h - extra_h // 2],
                    [extra_w // 2, extra_w - extra_w // 2],
                    [0, 0],
                ],
            )
        rows, columns, channels = height // block_h, width // block_w, images.shape[-1]
        grid = ops.reshape(images, (-1, rows, block_h, columns, block_w, channels))
        grid = ops.transpose(grid, (0, 1, 3, 2, 4, 5))  # (B, I, J, Hp, Wp, C)
        return ops.reshape(grid, (-1, rows, columns, block_h * block_w * channels))

    def vertical_sweep(self, inputs, training=None):
        """The map after the top-down / bottom-up sweep, (B, I, J, 2U).

        With `merge_mode="concat"` channels [:units] are the top-down RNN's
        outputs and [units:] the bottom-up RNN's.
        """
        columns_first = _swap_rows_and_columns(self.patches(inputs))
        swept = _sweep_rows(self.vertical, columns_first, training)
        return _swap_rows_and_columns(swept)

    def call(self, inputs, training=None):
        return _sweep_rows(
            self.horizontal, self.vertical_sweep(inputs, training), training
        )

    def get_config(self):
        config = super().get_config()
        cell = self._cell_name or saving.serialize_keras_object(
            self.vertical.forward_layer.cell
        )
        config.update(
            {
                "units": self.units,
                "block_shape": self.block_shape,
                "cell": cell,
                "padding": self.padding,
                "merge_mode": self.merge_mode,
            }
        )
        return config
