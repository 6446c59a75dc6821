"""Assignment 4: a Jordan network cell as a Keras layer, written with
`keras.ops`.

Students write `JordanCell(units, output_units)`: the state is the
previous output y_{t-1} (`state_size = output_units`),
h_t = tanh(x_t U + y_{t-1} W + b) and y_t = h_t V + c (a linear output),
with weights `kernel` U (features, units), `recurrent_kernel` W
(output_units, units), `bias` b (units,), `output_kernel` V
(units, output_units) and `output_bias` c (output_units,) created in that
order; `call(inputs, states)` returns `(y, [y])`. The reference is
`custom_layers.JordanCell(units, output_units=output_units)`.
"""

from course.grading.assignments._cells import FEATURES
from course.grading.assignments._cells import CellAssignment
from course.grading.assignments._cells import cell_checks
from course.grading.flags import KERAS_RECURRENT
from course.grading.flags import FlagRules

UNITS = 5
OUTPUT_UNITS = 3


def reference():
    import custom_layers

    def jordan_cell(units, output_units):
        return custom_layers.JordanCell(units, output_units=output_units)

    return jordan_cell


ASSIGNMENT = CellAssignment(
    name="jordan_cell",
    title="A Jordan network cell as a Keras layer",
    notebook="04_jordan_cell.ipynb",
    answers=("JordanCell",),
    checks=cell_checks("JordanCell"),
    flags=FlagRules(
        wrapped=KERAS_RECURRENT,
        reason="the assignment asks for your own Jordan cell",
    ),
    uses_keras=True,
    constructor=(UNITS, OUTPUT_UNITS),
    weights=(
        ("kernel", (FEATURES, UNITS)),
        ("recurrent_kernel", (OUTPUT_UNITS, UNITS)),
        ("bias", (UNITS,)),
        ("output_kernel", (UNITS, OUTPUT_UNITS)),
        ("output_bias", (OUTPUT_UNITS,)),
    ),
    states=(("y", OUTPUT_UNITS),),
    output_size=OUTPUT_UNITS,
    reference=reference,
)
