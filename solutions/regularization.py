"""Assignment 4: inverted dropout and the L2 penalty."""
import numpy as np


def dropout_forward(x, p, train, rng):
    """Inverted dropout: each unit is dropped with probability ``p`` and the expected output
    equals x; at test time (``train=False``) the identity.

    Inputs: x any shape; p in [0, 1); train bool; rng a ``numpy.random.Generator`` (the only
    source of randomness). Returns ``(out, cache)``: out shaped like x; cache whatever your
    ``dropout_backward`` needs.
    """
    ### BEGIN SOLUTION
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p) / (1.0 - p)
    out = x * mask
    cache = mask
    ### END SOLUTION
    return out, cache


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout: dout (shape of x) and the forward's cache -> dx,
    shaped like x."""
    ### BEGIN SOLUTION
    mask = cache
    if mask is None:
        return dout.copy()
    dx = dout * mask
    ### END SOLUTION
    return dx


def l2_penalty(params, reg):
    """L2 regularization ``loss = reg * sum over params of sum(p**2)``.

    Inputs: params, a list of arrays; reg, a float. Returns ``(loss, grads)`` with loss a
    float and grads one array per param, shaped like it: the gradient of loss with respect
    to that param.
    """
    ### BEGIN SOLUTION
    loss = reg * sum(float(np.sum(p * p)) for p in params)
    grads = [2.0 * reg * p for p in params]
    ### END SOLUTION
    return loss, grads
