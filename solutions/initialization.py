"""Assignment 4: weight initialization."""
import numpy as np


def init_weights(fan_in, fan_out, scheme, rng):
    """A (fan_in, fan_out) weight matrix drawn by ``scheme``:

    - ``"zeros"``: all zeros
    - ``"normal"``: standard normal, std 1
    - ``"xavier"``: normal with the std that keeps the size of the signal of an activation
      like the identity near 0 (tanh) from layer to layer, from fan_in (section 3.2)
    - ``"he"``: the same for relu networks (section 3.2)
    ``rng`` is a ``numpy.random.Generator``. Raises ValueError for another scheme.
    """
    ### BEGIN SOLUTION
    stds = {"normal": 1.0, "xavier": np.sqrt(1.0 / fan_in), "he": np.sqrt(2.0 / fan_in)}
    if scheme == "zeros":
        return np.zeros((fan_in, fan_out))
    if scheme not in stds:
        raise ValueError(f"unknown scheme {scheme!r}: use 'zeros', 'normal', 'xavier' or 'he'")
    w = stds[scheme] * rng.standard_normal((fan_in, fan_out))
    ### END SOLUTION
    return w
