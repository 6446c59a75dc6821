"""Probes of the NumPy BPTT assignment (`elman_forward`, `elman_loss`,
`elman_bptt`); see `course.grading.assignments.elman_bptt`."""

import numpy as np

from . import as_array

FORWARD_ARGUMENTS = ("x", "h0", "U", "W", "b", "V", "c")
GRADIENT_KEYS = {
    "output_gradients": ("V", "c"),
    "bptt_gradients": ("U", "W", "b"),
    "initial_state_gradient": ("h0",),
}


def _forward(check, answers, arguments):
    if check == "one_step":
        arguments[0] = arguments[0][:, :1].copy()
    result = answers["elman_forward"](*arguments)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(
            f"elman_forward should return a pair (h, y); got {type(result).__name__}"
        )
    h, y = (as_array(value, name) for value, name in zip(result, "hy"))
    if check == "shapes":
        return {"h_shape": np.array(h.shape), "y_shape": np.array(y.shape)}
    return {"h": h, "y": y}


def _loss(answers, inputs):
    loss = answers["elman_loss"](inputs["y_for_loss"].copy(), inputs["targets"].copy())
    loss = as_array(loss, "the loss")
    if loss.size != 1:
        raise TypeError(f"elman_loss should return one number; got shape {loss.shape}")
    return {"loss": loss.reshape(())}


def _gradients(check, answers, arguments, inputs):
    gradients = answers["elman_bptt"](*arguments, inputs["targets"].copy())
    if not isinstance(gradients, dict):
        raise TypeError(
            "elman_bptt should return a dict of gradients; got "
            f"{type(gradients).__name__}"
        )
    result = {}
    for key in GRADIENT_KEYS[check]:
        if key not in gradients:
            raise KeyError(
                f"elman_bptt's result has no {key!r} (keys: {sorted(map(str, gradients))})"
            )
        result[f"d_{key}"] = as_array(gradients[key], f"the gradient {key!r}")
    return result


def probe(check, answers, inputs):
    """Dict name -> array for `check`, computed with the answers."""
    # Copies: a submission that changes its arguments in place must not
    # change what the next check sees.
    arguments = [inputs[name].copy() for name in FORWARD_ARGUMENTS]
    if check in ("shapes", "one_step", "sequence"):
        return _forward(check, answers, arguments)
    if check == "loss":
        return _loss(answers, inputs)
    if check in GRADIENT_KEYS:
        return _gradients(check, answers, arguments, inputs)
    raise ValueError(f"no probe for check {check!r}")
