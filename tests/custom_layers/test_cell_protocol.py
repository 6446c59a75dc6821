"""The cell protocol: a cell's `step` returns every named quantity, its
states under `state_names` and its output under `output_name`; `call` is
that dict in Keras's `(output, new_states)`; only `_keras_private` imports
Keras's private API."""

import pathlib
import re

import keras
import numpy as np
import pytest

import custom_layers
from custom_layers._cell import RecurrentCell
from tests.custom_layers.helpers import BATCH
from tests.custom_layers.helpers import FEATURES
from tests.custom_layers.helpers import copy_random_weights
from tests.custom_layers.helpers import random_inputs
from tests.custom_layers.helpers import to_numpy

# every cell class of the package, with arguments that exercise its quirks
CELLS = {
    "elman": lambda: custom_layers.ElmanCell(4),
    "lstm": lambda: custom_layers.LSTMCell(4),
    "gru": lambda: custom_layers.GRUCell(4),
    "gru_cho": lambda: custom_layers.GRUCell(4, reset_after=False),
    "jordan_decay": lambda: custom_layers.JordanCell(
        4, output_units=2, state_decay=0.5
    ),
    "deep_transition": lambda: custom_layers.DeepTransitionCell(
        4, transition_layers=3, shortcut=True
    ),
    "deep_output": lambda: custom_layers.DeepOutputCell(4, output_units=2),
    **{
        f"variant_{variant}": lambda variant=variant: custom_layers.LSTMVariantCell(
            4, variant=variant
        )
        for variant in ("vanilla", "NIG", "CIFG", "FGR")
    },
}


def test_every_cell_class_of_the_package_is_covered():
    exported = {
        value
        for value in vars(custom_layers).values()
        if isinstance(value, type) and issubclass(value, RecurrentCell)
    }
    covered = {type(make()) for make in CELLS.values()}
    assert exported - covered == {custom_layers.ConvLSTM2DCell}  # frames: below


@pytest.mark.parametrize("name", sorted(CELLS))
def test_call_is_the_steps_named_states_and_output(name):
    cell = CELLS[name]()
    cell.build((None, FEATURES))
    copy_random_weights(cell)
    x = random_inputs((BATCH, FEATURES))
    rng = np.random.default_rng(1)
    states = [
        rng.normal(size=(BATCH, size)).astype("float32") for size in cell.state_sizes
    ]
    step = cell.step(x, *states)
    assert set(cell.state_names) | {cell.output_name} <= set(step)
    output, new_states = cell(x, states)
    np.testing.assert_array_equal(to_numpy(output), to_numpy(step[cell.output_name]))
    assert len(new_states) == len(cell.state_names) == len(cell.state_sizes)
    for name_, state in zip(cell.state_names, new_states):
        np.testing.assert_array_equal(to_numpy(state), to_numpy(step[name_]))


def test_the_conv_lstm_cell_follows_the_same_protocol():
    cell = custom_layers.ConvLSTM2DCell(2, 3, padding="same")
    frame = random_inputs((BATCH, 5, 5, 1))
    cell.build(frame.shape)
    copy_random_weights(cell)
    states = [np.full((BATCH, 5, 5, 2), 0.1, "float32")] * 2
    step = cell.step(frame, *states)
    assert cell.state_names == ("h", "c") and cell.output_name == "h"
    output, (h, c) = cell(frame, states)
    np.testing.assert_array_equal(to_numpy(output), to_numpy(step["h"]))
    np.testing.assert_array_equal(to_numpy(c), to_numpy(step["c"]))


def test_the_lstm_variants_do_not_derive_from_lstm_cell():
    assert not issubclass(custom_layers.LSTMVariantCell, custom_layers.LSTMCell)
    assert not issubclass(custom_layers.ConvLSTM2DCell, custom_layers.LSTMCell)


def test_only_keras_private_imports_keras_private_api():
    package = pathlib.Path(custom_layers.__file__).parent
    private = re.compile(r"^\s*(from|import)\s+keras\.src\b", re.MULTILINE)
    importing = sorted(
        path.name for path in package.glob("*.py") if private.search(path.read_text())
    )
    assert importing == ["_keras_private.py"]


def test_a_cell_without_step_says_so():
    class Unfinished(RecurrentCell):
        pass

    cell = Unfinished(3)
    cell.build((None, FEATURES))
    with pytest.raises(NotImplementedError, match="must implement `step`"):
        keras.layers.RNN(cell)(random_inputs())
