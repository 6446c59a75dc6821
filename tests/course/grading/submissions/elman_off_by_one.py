"""Elman BPTT with the classic off-by-one: the backward loop stops one step
early (it never reaches t = 0), so dL/dU, dL/dW, dL/db miss the first step
and dL/dh0 is taken from the wrong step. Forward pass, loss and output-layer
gradients are right. Expected: ok, 6 of 10."""

import numpy as np


def elman_forward(x, h0, U, W, b, V, c):
    states, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ U + h @ W + b)
        states.append(h)
    h = np.stack(states, axis=1)
    return h, h @ V + c


def elman_loss(y, targets):
    return 0.5 * np.sum((y - targets) ** 2)


def elman_bptt(x, h0, U, W, b, V, c, targets):
    h, y = elman_forward(x, h0, U, W, b, V, c)
    error = y - targets
    grads = {"U": np.zeros_like(U), "W": np.zeros_like(W), "b": np.zeros_like(b)}
    grads["V"] = np.einsum("bth,btk->hk", h, error)
    grads["c"] = error.sum(axis=(0, 1))
    delta_next = np.zeros_like(h0)
    for t in reversed(range(1, x.shape[1])):  # should be range(x.shape[1])
        delta = (error[:, t] @ V.T + delta_next @ W.T) * (1 - h[:, t] ** 2)
        grads["U"] += x[:, t].T @ delta
        grads["W"] += h[:, t - 1].T @ delta
        grads["b"] += delta.sum(axis=0)
        delta_next = delta
    grads["h0"] = delta_next @ W.T
    return grads
