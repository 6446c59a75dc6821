"""Gradients by central finite differences, the check every hand-derived
or automatic gradient in the course is held to.

    ∂L/∂θ_k ≈ (L(θ + ε e_k) − L(θ − ε e_k)) / 2ε

with an error of order ε² for a smooth L (plus rounding of order
machine-ε / ε), so in float64 with ε = 1e-6 the estimate is good to about
1e-9 relative: far below any real mistake in a gradient, far above float64
rounding.
"""

import numpy as np

STEP = 1e-6


def central_differences(loss, array, step=STEP):
    """∂loss/∂array by central differences, one element at a time.

    Args:
        loss: A callable of no arguments returning a scalar; it reads
            `array`, which is perturbed in place while it runs.
        array: A float64 NumPy array (a weight, an input). Every element is
            restored afterwards.
        step: ε, the half-width of the difference.

    Returns:
        An array of `array`'s shape.

    Example:

    >>> w = np.array([1.0, 2.0])
    >>> central_differences(lambda: float(np.sum(w**2)), w)  # 2 w
    array([2., 4.])
    """
    if not isinstance(array, np.ndarray) or array.dtype != np.float64:
        raise ValueError(
            "central_differences perturbs `array` in place and needs a float64 "
            f"NumPy array; got {type(array).__name__} "
            f"{getattr(array, 'dtype', '')}"
        )
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + step
        above = loss()
        array[index] = saved - step
        below = loss()
        array[index] = saved
        gradient[index] = (above - below) / (2 * step)
    return gradient
