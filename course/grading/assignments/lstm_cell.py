"""Assignment 2: an LSTM cell as a Keras layer, written with `keras.ops`.

Students write `LSTMCell(units)`, a `keras.layers.Layer` with
`state_size = [units, units]`, weights `kernel` (features, 4·units),
`recurrent_kernel` (units, 4·units) and `bias` (4·units,) created in that
order in `build`, gates side by side in Keras's order [i, f, c, o], and
`call(inputs, states)` returning `(h, [h, c])`. It must compute what
`keras.layers.LSTMCell` computes when it holds the same weights.
"""

from course.grading.assignments._cells import FEATURES
from course.grading.assignments._cells import CellAssignment
from course.grading.assignments._cells import cell_checks
from course.grading.flags import KERAS_RECURRENT
from course.grading.flags import FlagRules

UNITS = 4


def reference():
    import keras

    return keras.layers.LSTMCell


ASSIGNMENT = CellAssignment(
    name="lstm_cell",
    title="An LSTM cell as a Keras layer",
    notebook="02_lstm_cell.ipynb",
    answers=("LSTMCell",),
    checks=cell_checks("LSTMCell"),
    flags=FlagRules(
        wrapped=KERAS_RECURRENT,
        reason="the assignment asks for your own LSTM cell",
    ),
    uses_keras=True,
    constructor=(UNITS,),
    weights=(
        ("kernel", (FEATURES, 4 * UNITS)),
        ("recurrent_kernel", (UNITS, 4 * UNITS)),
        ("bias", (4 * UNITS,)),
    ),
    states=(("h", UNITS), ("c", UNITS)),
    output_size=UNITS,
    reference=reference,
)
