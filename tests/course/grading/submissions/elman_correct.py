"""A correct module submission, written independently of the solution
notebook: BPTT by hand, the errors flowing backwards through time.
Expected: ok, 10 of 10, whatever the submissions graded before it did."""

import numpy as np


def elman_forward(x, h0, U, W, b, V, c):
    h = np.empty((x.shape[0], x.shape[1], W.shape[0]))
    previous = h0
    for t in range(x.shape[1]):
        previous = h[:, t] = np.tanh(x[:, t] @ U + previous @ W + b)
    return h, h @ V + c


def elman_loss(y, targets):
    return 0.5 * float(np.sum((y - targets) ** 2))


def elman_bptt(x, h0, U, W, b, V, c, targets):
    h, y = elman_forward(x, h0, U, W, b, V, c)
    dy = y - targets  # (B, T, K)
    grads = {"V": np.einsum("bth,btk->hk", h, dy), "c": dy.sum(axis=(0, 1))}
    grads.update(U=np.zeros_like(U), W=np.zeros_like(W), b=np.zeros_like(b))
    da_next = np.zeros_like(h0)  # dL/da_{t+1}, a = the pre-activation
    for t in reversed(range(x.shape[1])):
        dh = dy[:, t] @ V.T + da_next @ W.T
        da = dh * (1.0 - h[:, t] ** 2)
        previous = h[:, t - 1] if t > 0 else h0
        grads["U"] += x[:, t].T @ da
        grads["W"] += previous.T @ da
        grads["b"] += da.sum(axis=0)
        da_next = da
    grads["h0"] = da_next @ W.T
    return grads
