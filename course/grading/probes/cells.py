"""Probes of a recurrent cell written as a Keras layer.

The submitted cell goes into `keras.layers.RNN`, the check's weights are
copied in with `set_weights` (so the weights must be created in Keras's
order and shapes), and the probes record:

- shapes: the weights' shapes after `build`, the output and state shapes;
- one_step: one call of the cell on x_1 and the initial states;
- sequence: the layer's output sequence and final states;
- gradients: with TensorFlow's GradientTape, the gradients of
  sum(outputs * g_sequence) + sum_k sum(final_state_k * g_final_k) with
  respect to the input, the initial states and every weight;
- mixed_precision: the sequence under the `mixed_float16` policy
  (float16 outputs expected, float32 weights).

`spec` holds `answer` (the class's name), `constructor` (its positional
arguments), `weights` ([name, shape] in `get_weights` order), `states`
([name, size] in order) and `output_size`.
"""

import numpy as np

from . import as_array


def _layer(spec, cell_class, inputs, weights=True):
    import keras

    cell = cell_class(*spec["constructor"])
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    outputs = layer(inputs["x"], initial_state=_initial_states(spec, inputs))
    if weights:
        layer.set_weights([inputs[name] for name, _ in spec["weights"]])
    return cell, layer, outputs


def _initial_states(spec, inputs):
    return [inputs[f"initial_{name}"] for name, _ in spec["states"]]


def _weight_name(spec, index):
    weights = spec["weights"]
    return weights[index][0] if index < len(weights) else f"weight{index}"


def _sequence_outputs(spec, outputs, what):
    states = spec["states"]
    if not isinstance(outputs, (list, tuple)) or len(outputs) != 1 + len(states):
        raise TypeError(
            f"{what} should give the output sequence and {len(states)} "
            f"final state(s) {[name for name, _ in states]}"
        )
    result = {"sequence": as_array(outputs[0], "the output sequence")}
    for (name, _), value in zip(states, outputs[1:]):
        result[f"final_{name}"] = as_array(value, f"the final state {name}")
    return result


def _shapes(spec, cell_class, inputs):
    _, layer, outputs = _layer(spec, cell_class, inputs, weights=False)
    result = {"number_of_weights": np.array(len(layer.weights))}
    for index, weight in enumerate(layer.weights):
        result[f"{_weight_name(spec, index)}_shape"] = np.array(weight.shape)
    arrays = _sequence_outputs(
        spec, outputs, "keras.layers.RNN(cell, return_state=True)"
    )
    result.update({f"{name}_shape": np.array(a.shape) for name, a in arrays.items()})
    return result


def _one_step(spec, cell, inputs):
    from keras import ops

    states = [ops.convert_to_tensor(s) for s in _initial_states(spec, inputs)]
    result = cell(ops.convert_to_tensor(inputs["x"][:, 0]), states)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError("the cell's call should return (output, new_states)")
    output, new_states = result
    if not isinstance(new_states, (tuple, list)):
        new_states = [new_states]
    if len(new_states) != len(spec["states"]):
        raise TypeError(
            f"the cell returned {len(new_states)} new state(s), expected "
            f"{len(spec['states'])} {[name for name, _ in spec['states']]}"
        )
    arrays = {"output": as_array(output, "the cell's output")}
    for (name, _), value in zip(spec["states"], new_states):
        arrays[f"new_{name}"] = as_array(value, f"the new state {name}")
    return arrays


def _gradients(spec, layer, inputs):
    import tensorflow as tf

    x = tf.constant(inputs["x"])
    states = [tf.constant(s) for s in _initial_states(spec, inputs)]
    weights = list(layer.trainable_weights)
    with tf.GradientTape() as tape:
        tape.watch([x, *states])
        outputs = layer(x, initial_state=states)
        loss = tf.reduce_sum(outputs[0] * inputs["g_sequence"])
        for (name, _), final in zip(spec["states"], outputs[1:]):
            loss += tf.reduce_sum(final * inputs[f"g_final_{name}"])
    gradients = tape.gradient(loss, [x, *states, *weights])
    names = ["x", *(f"initial_{name}" for name, _ in spec["states"])]
    names += [_weight_name(spec, index) for index in range(len(weights))]
    result = {}
    for name, gradient in zip(names, gradients):
        if gradient is None:
            raise ValueError(f"the outputs do not depend on {name}")
        result[f"d_{name}"] = as_array(gradient, f"the gradient for {name}")
    return result


def _mixed_precision(spec, cell_class, inputs):
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        _, layer, _ = _layer(spec, cell_class, inputs)
        outputs = layer(inputs["x"], initial_state=_initial_states(spec, inputs))
        return _sequence_outputs(spec, outputs, "the layer under mixed_float16")
    finally:
        keras.config.set_dtype_policy(previous)


def probe(spec, check, answers, inputs):
    """Dict name -> array for `check`, computed with the cell in `answers`."""
    cell_class = answers[spec["answer"]]
    if check == "mixed_precision":
        return _mixed_precision(spec, cell_class, inputs)
    if check == "shapes":
        return _shapes(spec, cell_class, inputs)
    cell, layer, _ = _layer(spec, cell_class, inputs)
    if check == "one_step":
        return _one_step(spec, cell, inputs)
    if check == "sequence":
        outputs = layer(inputs["x"], initial_state=_initial_states(spec, inputs))
        return _sequence_outputs(
            spec, outputs, "keras.layers.RNN(cell, return_state=True)"
        )
    if check == "gradients":
        return _gradients(spec, layer, inputs)
    raise ValueError(f"no probe for check {check!r}")
