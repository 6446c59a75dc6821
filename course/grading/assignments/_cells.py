"""What the three cell assignments share: a Keras layer that must compute
what a reference cell computes once it holds the reference's weights.

The probes put the submitted cell into `keras.layers.RNN` (the cell contract
described in docs/reference.md), copy the check's weights in with `set_weights` (so
the weights must be created in Keras's order and shapes), and record:

- shapes: the weights' shapes after `build`, the output and state shapes;
- one_step: one call of the cell on x_1 and the initial states;
- sequence: the layer's output sequence and final states;
- gradients: with TensorFlow's GradientTape, the gradients of
  sum(outputs * g_sequence) + sum_k sum(final_state_k * g_final_k) with
  respect to the input, the initial states and every weight;
- mixed_precision: the sequence under the `mixed_float16` policy
  (float16 outputs expected, float32 weights).
"""

import dataclasses

import numpy as np

from course.grading.assignments import Assignment
from course.grading.assignments import as_array
from course.grading.checks import Check

BATCH, STEPS, FEATURES = 3, 6, 5


def cell_checks(answer):
    """The five checks of a cell assignment, worth 10 points."""
    needs = (answer,)
    return (
        Check(
            "shapes",
            1,
            "weight shapes after build; output and state shapes",
            needs,
            public=True,
        ),
        Check(
            "one_step",
            2,
            "one call of the cell: output and new states",
            needs,
            public=True,
            rtol=1e-5,
            atol=1e-6,
        ),
        Check(
            "sequence",
            3,
            "keras.layers.RNN over a sequence: outputs and final states",
            needs,
            rtol=1e-5,
            atol=1e-5,
        ),
        Check(
            "gradients",
            2,
            "gradients w.r.t. the input, initial states and weights",
            needs,
            rtol=1e-4,
            atol=1e-5,
        ),
        Check(
            "mixed_precision",
            2,
            "under mixed_float16: float16 outputs that match",
            needs,
            rtol=1e-2,
            atol=1e-2,
            exact_dtype=True,
        ),
    )


@dataclasses.dataclass(frozen=True)
class CellAssignment(Assignment):
    """A cell assignment.

    Attributes (besides `Assignment`'s):
        constructor: Positional arguments the cell class is called with.
        weights: `(name, shape)` pairs in `get_weights` order.
        states: `(name, size)` pairs, the cell's states in order.
        output_size: Features of the cell's output.
        reference: Child side: a function returning the reference's
            constructor (called with `constructor`).
    """

    constructor: tuple = ()
    weights: tuple = ()
    states: tuple = ()
    output_size: int = 0
    reference: object = None

    @property
    def answer(self):
        return self.answers[0]

    def make_inputs(self, rng):
        def normal(*shape, scale):
            return (scale * rng.standard_normal(shape)).astype(np.float32)

        inputs = {"x": normal(BATCH, STEPS, FEATURES, scale=1.0)}
        for name, size in self.states:
            inputs[f"initial_{name}"] = normal(BATCH, size, scale=0.5)
        for name, shape in self.weights:
            inputs[name] = normal(*shape, scale=0.4)
        inputs["g_sequence"] = normal(BATCH, STEPS, self.output_size, scale=1.0)
        for name, size in self.states:
            inputs[f"g_final_{name}"] = normal(BATCH, size, scale=1.0)
        return inputs

    def reference_answers(self):
        return {self.answer: self.reference()}

    def _layer(self, cell_class, inputs, weights=True):
        import keras

        cell = cell_class(*self.constructor)
        layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
        outputs = layer(inputs["x"], initial_state=self._initial_states(inputs))
        if weights:
            layer.set_weights([inputs[name] for name, _ in self.weights])
        return cell, layer, outputs

    def _initial_states(self, inputs):
        return [inputs[f"initial_{name}"] for name, _ in self.states]

    def _sequence_outputs(self, outputs, what):
        if not isinstance(outputs, (list, tuple)) or len(outputs) != 1 + len(
            self.states
        ):
            raise TypeError(
                f"{what} should give the output sequence and {len(self.states)} "
                f"final state(s) {[name for name, _ in self.states]}"
            )
        result = {"sequence": as_array(outputs[0], "the output sequence")}
        for (name, _), value in zip(self.states, outputs[1:]):
            result[f"final_{name}"] = as_array(value, f"the final state {name}")
        return result

    def probe(self, check, answers, inputs):
        cell_class = answers[self.answer]
        if check == "mixed_precision":
            return self._mixed_precision(cell_class, inputs)
        if check == "shapes":
            _, layer, outputs = self._layer(cell_class, inputs, weights=False)
            result = {"number_of_weights": np.array(len(layer.weights))}
            for index, weight in enumerate(layer.weights):
                name = (
                    self.weights[index][0]
                    if index < len(self.weights)
                    else f"weight{index}"
                )
                result[f"{name}_shape"] = np.array(weight.shape)
            arrays = self._sequence_outputs(
                outputs, "keras.layers.RNN(cell, return_state=True)"
            )
            result.update(
                {f"{name}_shape": np.array(a.shape) for name, a in arrays.items()}
            )
            return result
        cell, layer, _ = self._layer(cell_class, inputs)
        if check == "one_step":
            return self._one_step(cell, inputs)
        if check == "sequence":
            outputs = layer(inputs["x"], initial_state=self._initial_states(inputs))
            return self._sequence_outputs(
                outputs, "keras.layers.RNN(cell, return_state=True)"
            )
        if check == "gradients":
            return self._gradients(layer, inputs)
        raise ValueError(f"no probe for check {check!r}")

    def _one_step(self, cell, inputs):
        from keras import ops

        states = [ops.convert_to_tensor(s) for s in self._initial_states(inputs)]
        result = cell(ops.convert_to_tensor(inputs["x"][:, 0]), states)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError("the cell's call should return (output, new_states)")
        output, new_states = result
        if not isinstance(new_states, (tuple, list)):
            new_states = [new_states]
        if len(new_states) != len(self.states):
            raise TypeError(
                f"the cell returned {len(new_states)} new state(s), expected "
                f"{len(self.states)} {[name for name, _ in self.states]}"
            )
        arrays = {"output": as_array(output, "the cell's output")}
        for (name, _), value in zip(self.states, new_states):
            arrays[f"new_{name}"] = as_array(value, f"the new state {name}")
        return arrays

    def _gradients(self, layer, inputs):
        import tensorflow as tf

        x = tf.constant(inputs["x"])
        states = [tf.constant(s) for s in self._initial_states(inputs)]
        weights = list(layer.trainable_weights)
        with tf.GradientTape() as tape:
            tape.watch([x, *states])
            outputs = layer(x, initial_state=states)
            loss = tf.reduce_sum(outputs[0] * inputs["g_sequence"])
            for (name, _), final in zip(self.states, outputs[1:]):
                loss += tf.reduce_sum(final * inputs[f"g_final_{name}"])
        gradients = tape.gradient(loss, [x, *states, *weights])
        names = ["x", *(f"initial_{name}" for name, _ in self.states)]
        names += [
            self.weights[index][0] if index < len(self.weights) else f"weight{index}"
            for index in range(len(weights))
        ]
        result = {}
        for name, gradient in zip(names, gradients):
            if gradient is None:
                raise ValueError(f"the outputs do not depend on {name}")
            result[f"d_{name}"] = as_array(gradient, f"the gradient for {name}")
        return result

    def _mixed_precision(self, cell_class, inputs):
        import keras

        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_float16")
        try:
            _, layer, _ = self._layer(cell_class, inputs)
            outputs = layer(inputs["x"], initial_state=self._initial_states(inputs))
            return self._sequence_outputs(outputs, "the layer under mixed_float16")
        finally:
            keras.config.set_dtype_policy(previous)
