"""Never returns. Expected: timeout, 0, and the next submission is graded."""


def elman_forward(x, h0, U, W, b, V, c):
    while True:
        pass


def elman_loss(y, targets):
    while True:
        pass


def elman_bptt(x, h0, U, W, b, V, c, targets):
    while True:
        pass
