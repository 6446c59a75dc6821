"""Hand-written recurrent cells and layers that match Keras's built-ins.

Written with `keras.ops` only, so they run on the TensorFlow, JAX and
PyTorch backends; registered for `.keras` serialization under the package
name "custom_layers".
"""

from custom_layers.elman import ElmanCell
from custom_layers.elman import ElmanRNN
from custom_layers.gru import GRU
from custom_layers.gru import GRUCell
from custom_layers.lstm import LSTM
from custom_layers.lstm import LSTMCell

__all__ = ["ElmanCell", "ElmanRNN", "GRU", "GRUCell", "LSTM", "LSTMCell"]
