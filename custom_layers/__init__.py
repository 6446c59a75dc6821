"""Hand-written recurrent cells and layers that match Keras's built-ins
(Elman, LSTM, GRU), and the lecture's cells Keras does not have (Jordan,
deep transition / output and stacked RNNs, Greff et al.'s LSTM variants),
the ReNet / ReSeg `SpatialRNN` for images, a ConvLSTM for videos,
with `trace_states` to look inside any of them step by step.

Written with `keras.ops` only, so they run on the TensorFlow, JAX and
PyTorch backends; registered for `.keras` serialization under the package
name "custom_layers".
"""

from custom_layers.conv_lstm import ConvLSTM2D
from custom_layers.conv_lstm import ConvLSTM2DCell
from custom_layers.deep import DeepOutputCell
from custom_layers.deep import DeepOutputRNN
from custom_layers.deep import DeepTransitionCell
from custom_layers.deep import DeepTransitionRNN
from custom_layers.elman import ElmanCell
from custom_layers.elman import ElmanRNN
from custom_layers.gru import GRU
from custom_layers.gru import GRUCell
from custom_layers.jordan import JordanCell
from custom_layers.jordan import JordanRNN
from custom_layers.lstm import LSTM
from custom_layers.lstm import LSTMCell
from custom_layers.lstm_variants import LSTMVariant
from custom_layers.lstm_variants import LSTMVariantCell
from custom_layers.spatial import SpatialRNN
from custom_layers.stacked import StackedCells
from custom_layers.stacked import StackedRNN
from custom_layers.tracing import trace_states

__all__ = [
    "ConvLSTM2D",
    "ConvLSTM2DCell",
    "DeepOutputCell",
    "DeepOutputRNN",
    "DeepTransitionCell",
    "DeepTransitionRNN",
    "ElmanCell",
    "ElmanRNN",
    "GRU",
    "GRUCell",
    "JordanCell",
    "JordanRNN",
    "LSTM",
    "LSTMCell",
    "LSTMVariant",
    "LSTMVariantCell",
    "SpatialRNN",
    "StackedCells",
    "StackedRNN",
    "trace_states",
]
