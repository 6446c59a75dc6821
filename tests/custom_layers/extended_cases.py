"""The layers beyond Elman/LSTM/GRU as test cases, each with an independent
float64 NumPy reference (an explicit time loop over the papers' equations:
Jordan 1986, Pascanu et al. 2013 arXiv:1312.6026, Greff et al. 2017
arXiv:1503.04069), read through `gate_weights()` (the lecture's names).

A case builds a layer with `return_sequences=True, return_state=True`; its
reference maps the named weights and an input (and optional mask) to the
output sequence and the final states, in the layer's order.
"""

import dataclasses

import keras
import numpy as np

import custom_layers
from custom_layers.lstm_variants import VARIANTS


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def identity(a):
    return a


ACTIVATIONS = {"tanh": np.tanh, "sigmoid": sigmoid, None: identity}


def run_sequence(step, x, states, mask=None):
    """The explicit time loop: `step(x_t, states) -> (output, states)`.

    A masked step keeps the states and repeats the previous output (zeros
    before the first), as `keras.layers.RNN` does.
    """
    outputs, previous = [], None
    for t in range(x.shape[1]):
        output, new_states = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t][:, None]
            if previous is None:
                previous = np.zeros_like(output)
            output = np.where(keep, output, previous)
            new_states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
        outputs.append(output)
        states, previous = new_states, output
    return np.stack(outputs, axis=1), states


def zeros(x, *sizes):
    return [np.zeros((x.shape[0], size)) for size in sizes]


# --- step functions: one time step of each cell, from its named weights ---


def elman_step(w, f=np.tanh):
    def step(x_t, states):
        (h,) = states
        h = f(x_t @ w["U"] + h @ w["W"] + w["b"])  # h_t = f(U x + W h + b)
        return h, [h]

    return step, [w["W"].shape[0]]


def jordan_step(w, mu=0.0, g=identity):
    def step(x_t, states):
        (s,) = states  # s_t = μ s_{t-1} + y_{t-1}
        h = np.tanh(x_t @ w["U"] + s @ w["W"] + w["b"])  # h_t = f(U x + W s + b)
        y = g(h @ w["V"] + w["c"])  # y_t = g(V h + c)
        return y, [mu * s + y]

    return step, [w["V"].shape[1]]


def deep_transition_step(w, layers, shortcut=False):
    def step(x_t, states):
        (h_previous,) = states
        a = x_t @ w["U"] + h_previous @ w["W"] + w["b"]
        for layer in range(2, layers + 1):
            a = np.tanh(a) @ w[f"W_{layer}"] + w[f"b_{layer}"]
        if shortcut:
            a = a + h_previous @ w["W_s"]
        h = np.tanh(a)
        return h, [h]

    return step, [w["W"].shape[0]]


def deep_output_step(w, layers, g=identity):
    def step(x_t, states):
        (h,) = states
        h = np.tanh(x_t @ w["U"] + h @ w["W"] + w["b"])
        d = h
        for layer in range(1, layers):
            d = np.tanh(d @ w[f"V_{layer}"] + w[f"c_{layer}"])
        y = g(d @ w[f"V_{layers}"] + w[f"c_{layers}"])
        return y, [h]

    return step, [w["W"].shape[0]]


def lstm_step(w):
    """Keras's LSTM (no peepholes), as in test_numpy_reference.py."""

    def step(x_t, states):
        h, c = states
        i = sigmoid(x_t @ w["U_i"] + h @ w["W_i"] + w["b_i"])
        f = sigmoid(x_t @ w["U_f"] + h @ w["W_f"] + w["b_f"])
        c = f * c + i * np.tanh(x_t @ w["U_c"] + h @ w["W_c"] + w["b_c"])
        o = sigmoid(x_t @ w["U_o"] + h @ w["W_o"] + w["b_o"])
        h = o * np.tanh(c)
        return h, [h, c]

    units = w["W_c"].shape[0]
    return step, [units, units]


def gru_step(w):
    """Keras's GRU with reset_after=True."""

    def step(x_t, states):
        (h,) = states
        z = sigmoid(x_t @ w["U_z"] + w["b_z"] + h @ w["W_z"] + w["b_z_recurrent"])
        r = sigmoid(x_t @ w["U_r"] + w["b_r"] + h @ w["W_r"] + w["b_r_recurrent"])
        h_tilde = np.tanh(
            x_t @ w["U_h"] + w["b_h"] + r * (h @ w["W_h"] + w["b_h_recurrent"])
        )
        h = z * h + (1 - z) * h_tilde
        return h, [h]

    return step, [w["W_h"].shape[0]]


def lstm_variant_step(w, variant):
    """Greff et al.'s equations (arXiv:1503.04069, section 2), per variant."""
    units = w["W_c"].shape[0]

    def pre(gate, x_t, y):  # W_g x + R_g y + b_g
        return x_t @ w[f"U_{gate}"] + y @ w[f"W_{gate}"] + w[f"b_{gate}"]

    def peep(gate, c):
        return w[f"p_{gate}"] * c if variant != "NP" else 0.0

    def step(x_t, states):
        y, c_previous = states[:2]
        extra = {gate: 0.0 for gate in "ifo"}
        if variant == "FGR":
            previous = dict(zip("ifo", states[2:]))
            for target in "ifo":
                extra[target] = sum(
                    previous[source] @ w[f"R_{source}{target}"] for source in "ifo"
                )
        z = pre("c", x_t, y)
        z = z if variant == "NIAF" else np.tanh(z)
        if variant == "NIG":
            i = np.ones_like(c_previous)
        else:
            i = sigmoid(pre("i", x_t, y) + peep("i", c_previous) + extra["i"])
        if variant == "NFG":
            f = np.ones_like(c_previous)
        elif variant == "CIFG":
            f = 1 - i
        else:
            f = sigmoid(pre("f", x_t, y) + peep("f", c_previous) + extra["f"])
        c = z * i + c_previous * f
        if variant == "NOG":
            o = np.ones_like(c)
        else:
            o = sigmoid(pre("o", x_t, y) + peep("o", c) + extra["o"])
        y = c * o if variant == "NOAF" else np.tanh(c) * o
        states = [y, c, i, f, o] if variant == "FGR" else [y, c]
        return y, states

    return step, [units] * (5 if variant == "FGR" else 2)


def stacked_step(steps_and_sizes, skip=False):
    """Composes the cells' steps within one time step (skip: x_t feeds every
    layer, before the lower layer's output; the output concatenates all)."""
    counts = [len(sizes) for _, sizes in steps_and_sizes]

    def step(x_t, states):
        outputs, new_states, start, layer_input = [], [], 0, x_t
        for (cell_step, _), count in zip(steps_and_sizes, counts):
            if skip and outputs:
                layer_input = np.concatenate([x_t, layer_input], axis=-1)
            output, cell_states = cell_step(layer_input, states[start : start + count])
            start += count
            outputs.append(output)
            new_states += cell_states
            layer_input = output
        return (np.concatenate(outputs, -1) if skip else outputs[-1]), new_states

    return step, [size for _, sizes in steps_and_sizes for size in sizes]


def sub_weights(w, index):
    prefix = f"layer{index}/"
    return {k[len(prefix) :]: v for k, v in w.items() if k.startswith(prefix)}


# --- the cases ---


@dataclasses.dataclass
class Case:
    make: object  # (**layer_kwargs) -> layer
    step: object  # (named weights) -> (step function, state sizes)
    output: tuple = ("h",)  # the traced quantities the layer outputs

    def layer(self, **kwargs):
        return self.make(return_sequences=True, return_state=True, **kwargs)

    def reference(self, weights, x, mask=None, initial_states=None):
        step, sizes = self.step(weights)
        states = zeros(x, *sizes) if initial_states is None else initial_states
        return run_sequence(step, x, states, mask)


UNITS = 3


def _stacked(skip):
    def make(**kwargs):
        cell_kwargs = {
            k: kwargs[k]
            for k in ("dropout", "recurrent_dropout", "dtype")
            if k in kwargs
        }
        kwargs = {
            k: v for k, v in kwargs.items() if k not in ("dropout", "recurrent_dropout")
        }
        cells = [
            custom_layers.GRUCell(UNITS, **cell_kwargs),
            custom_layers.LSTMCell(2, **cell_kwargs),
            custom_layers.JordanCell(UNITS, 2, **cell_kwargs),
        ]
        return custom_layers.StackedRNN(cells, skip_connections=skip, **kwargs)

    def step(w):
        return stacked_step(
            [
                gru_step(sub_weights(w, 1)),
                lstm_step(sub_weights(w, 2)),
                jordan_step(sub_weights(w, 3)),
            ],
            skip=skip,
        )

    output = ("layer1/h", "layer2/h", "layer3/y") if skip else ("layer3/y",)
    return Case(make, step, output=output)


CASES = {
    "jordan": Case(
        lambda **kw: custom_layers.JordanRNN(
            UNITS, output_units=2, output_activation="sigmoid", **kw
        ),
        lambda w: jordan_step(w, g=sigmoid),
        output=("y",),
    ),
    "jordan_decay": Case(
        lambda **kw: custom_layers.JordanRNN(UNITS, 2, state_decay=0.6, **kw),
        lambda w: jordan_step(w, mu=0.6),
        output=("y",),
    ),
    "deep_transition": Case(
        lambda **kw: custom_layers.DeepTransitionRNN(
            UNITS, transition_layers=3, transition_units=4, **kw
        ),
        lambda w: deep_transition_step(w, 3),
    ),
    "deep_transition_shortcut": Case(
        lambda **kw: custom_layers.DeepTransitionRNN(
            UNITS, transition_layers=2, shortcut=True, **kw
        ),
        lambda w: deep_transition_step(w, 2, shortcut=True),
    ),
    "deep_output": Case(
        lambda **kw: custom_layers.DeepOutputRNN(
            UNITS, output_units=2, output_layers=3, output_hidden_units=4, **kw
        ),
        lambda w: deep_output_step(w, 3),
        output=("y",),
    ),
    "stacked": _stacked(skip=False),
    "stacked_skip": _stacked(skip=True),
}
for _variant in VARIANTS:
    CASES[f"lstm_{_variant}"] = Case(
        lambda _v=_variant, **kw: custom_layers.LSTMVariant(UNITS, variant=_v, **kw),
        lambda w, _v=_variant: lstm_variant_step(w, _v),
    )


def named_weights(layer):
    """The layer's weights under the lecture's names (`gate_weights()`; for a
    stack, each cell's prefixed with "layer1/", "layer2/", ...), float64."""
    cells = getattr(layer.cell, "cells", None)
    if cells is None:
        named = layer.cell.gate_weights()
    else:
        named = {
            f"layer{index}/{name}": value
            for index, cell in enumerate(cells, start=1)
            for name, value in cell.gate_weights().items()
        }
    return {name: np.asarray(value, dtype="float64") for name, value in named.items()}


def traced_output(case, trace):
    """The traced quantities that make up the layer's output sequence."""
    return np.concatenate([trace[name] for name in case.output], axis=-1)


def random_weights(layer, seed=0, scale=0.5):
    rng = np.random.default_rng(seed)
    weights = [scale * rng.normal(size=w.shape) for w in layer.get_weights()]
    layer.set_weights([w.astype(layer.variable_dtype) for w in weights])
    return layer.get_weights()


def to_numpy(structure):
    return [keras.ops.convert_to_numpy(s) for s in keras.tree.flatten(structure)]
