"""Every name this package takes from Keras's private API (`keras.src`), and why.

Keras 3 does not export these three; each is used for one behaviour of
`keras.layers.RNN` or `keras.layers.Layer`, and
`tests/custom_layers/test_keras_private.py` checks that behaviour on the
installed Keras, so a release that changes it fails there, by name, instead of
somewhere inside a layer.

`DropoutRNNCell`
    The dropout mixin of Keras's own cells. `keras.layers.RNN.call` asks a cell
    that is an instance of it for its masks (`get_dropout_mask(x_0)`,
    `get_recurrent_dropout_mask(h_0)`) once, before its time loop, and resets
    them (`reset_dropout_mask()`, `reset_recurrent_dropout_mask()`) after; so
    the same units are dropped at every step and the loop draws no random
    numbers (which JAX's `lax.scan` requires). The mixin draws each mask from
    the cell's `seed_generator` with `dropout` / `recurrent_dropout`.

`backend_rnn`
    The backend's time loop, `keras.src.backend.rnn`, that
    `keras.layers.RNN.inner_loop` runs: `backend_rnn(step, inputs,
    initial_states, go_backwards=, mask=, unroll=, input_length=,
    zero_output_for_mask=, return_all_outputs=)` returns
    `(last_output, outputs, new_states)`. `CheckedRNN.inner_loop` calls it
    with the output carried as an extra state, for masking on JAX.

`AutocastScope`
    `keras.src.backend.AutocastScope(dtype)`, the context that
    `keras.layers.Layer.__call__` opens around a layer's `call` under a mixed
    precision policy: inside it a float32 variable reads as `dtype` (float16,
    bfloat16). `custom_layers.trace_states` calls a cell's `step` directly,
    not through `__call__`, so it opens the scope itself; with `dtype` equal to
    the variables' dtype the scope changes nothing.
"""

from keras.src.backend import AutocastScope
from keras.src.backend import rnn as backend_rnn
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

__all__ = ["AutocastScope", "DropoutRNNCell", "backend_rnn"]
