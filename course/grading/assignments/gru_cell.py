"""Assignment 3: a GRU cell in Cho et al.'s original form
(`reset_after=False`) as a Keras layer, written with `keras.ops`.

Students write `GRUCell(units)` with `state_size = units`, weights
`kernel` (features, 3·units), `recurrent_kernel` (units, 3·units) and
`bias` (3·units,) in that order, gates in Keras's order [z, r, h], the
reset gate applied to h_{t-1} before the product with W_h, and
h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃_t. It must compute what
`keras.layers.GRUCell(units, reset_after=False)` computes.
"""

import functools

from course.grading.assignments._cells import FEATURES
from course.grading.assignments._cells import CellAssignment
from course.grading.assignments._cells import cell_checks
from course.grading.flags import KERAS_RECURRENT
from course.grading.flags import FlagRules

UNITS = 4


def reference():
    import keras

    return functools.partial(keras.layers.GRUCell, reset_after=False)


ASSIGNMENT = CellAssignment(
    name="gru_cell",
    title="A GRU cell (reset_after=False) as a Keras layer",
    notebook="03_gru_cell.ipynb",
    answers=("GRUCell",),
    checks=cell_checks("GRUCell"),
    flags=FlagRules(
        wrapped=KERAS_RECURRENT,
        reason="the assignment asks for your own GRU cell",
    ),
    uses_keras=True,
    constructor=(UNITS,),
    weights=(
        ("kernel", (FEATURES, 3 * UNITS)),
        ("recurrent_kernel", (UNITS, 3 * UNITS)),
        ("bias", (3 * UNITS,)),
    ),
    states=(("h", UNITS),),
    output_size=UNITS,
    reference=reference,
)
