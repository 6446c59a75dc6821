"""Imports a name NumPy does not have: the definitions cannot even be run.
Expected: error, 0."""

from numpy import no_such_function


def elman_forward(x, h0, U, W, b, V, c):
    return no_such_function(x)


def elman_loss(y, targets):
    return no_such_function(y)


def elman_bptt(x, h0, U, W, b, V, c, targets):
    return no_such_function(x)
