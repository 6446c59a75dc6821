"""Forward pass and loss, but no elman_bptt. Expected: missing, 5 of 10
(the forward and loss checks still count)."""

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
