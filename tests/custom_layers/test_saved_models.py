"""`.keras` files saved by an earlier version of the package still load and
compute what they computed then (the files and the script that wrote them are
in `fixtures/`)."""

import pathlib

import keras
import numpy as np
import pytest

import custom_layers
from tests.custom_layers.helpers import to_numpy

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
# fixture -> the layer class it holds (written before the `step` protocol)
SAVED = {
    "elman": custom_layers.ElmanRNN,
    "jordan": custom_layers.JordanRNN,
    "lstm": custom_layers.LSTM,
    "gru": custom_layers.GRU,
    "gru_cho": custom_layers.GRU,
    "lstm_variant_fgr": custom_layers.LSTMVariant,
    "lstm_variant_cifg": custom_layers.LSTMVariant,
    "deep_transition": custom_layers.DeepTransitionRNN,
    "deep_output": custom_layers.DeepOutputRNN,
    "stacked": custom_layers.StackedRNN,
    "spatial": custom_layers.SpatialRNN,
    "conv_lstm": custom_layers.ConvLSTM2D,
}


@pytest.mark.parametrize("name", sorted(SAVED))
def test_a_model_saved_by_an_earlier_version_loads_and_computes_the_same(name):
    model = keras.models.load_model(FIXTURES / f"{name}.keras")
    saved = np.load(FIXTURES / f"{name}.npz")
    assert isinstance(model.layers[0], SAVED[name])
    np.testing.assert_allclose(
        to_numpy(model(saved["x"])), saved["y"], rtol=1e-5, atol=1e-6
    )  # saved on TensorFlow; also loaded on JAX
