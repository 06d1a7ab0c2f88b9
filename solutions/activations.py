"""Assignment 2: activation layers: elementwise (relu, leaky relu, sigmoid, tanh), whose
arrays all have the shape of the input x (any shape), PReLU (leaky relu with one learned slope
per feature) and the row-wise softmax.
"""
import numpy as np


def relu_forward(x):
    """ReLU ``out = max(0, x)``, x of any shape. Returns ``(out, cache)``, out shaped like x."""
    ### BEGIN SOLUTION
    out = np.maximum(x, 0.0)
    cache = x
    ### END SOLUTION
    return out, cache


def relu_backward(dout, cache):
    """ReLU backward: dx from dout and the cache of relu_forward.

    dout and dx have the shape of x; by contract the derivative at exactly 0 is 0.
    """
    ### BEGIN SOLUTION
    x = cache
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU: ``x`` where ``x > 0``, ``alpha * x`` where ``x <= 0``, x of any shape.

    Returns ``(out, cache)``, out shaped like x.
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    ### END SOLUTION
    return out, cache


def leaky_relu_backward(dout, cache):
    """Leaky ReLU backward: dx from dout and the cache of leaky_relu_forward.

    dout and dx have the shape of x; by contract the slope at exactly 0 is alpha.
    """
    ### BEGIN SOLUTION
    x, alpha = cache
    dx = dout * np.where(x > 0, 1.0, alpha)
    ### END SOLUTION
    return dx


def prelu_forward(x, alpha):
    """PReLU: ``x`` where ``x > 0``, ``alpha[d] * x`` where ``x <= 0``: leaky relu whose slope
    is a parameter, one learned slope per feature.

    Inputs: x (N, D); alpha (D,), the slope of each feature (column of x). Neither is
    modified. Returns ``(out, cache)``: out (N, D); the cache holds x and alpha.
    """
    ### BEGIN SOLUTION
    negative = x <= 0
    out = np.where(negative, alpha * x, x)
    cache = (x, alpha)
    ### END SOLUTION
    return out, cache


def prelu_backward(dout, cache):
    """PReLU backward: the gradients for x and for alpha from dout and the cache of
    prelu_forward.

    Inputs: dout (N, D). Returns ``(dx, dalpha)``: dx (N, D); dalpha (D,), summed over the
    batch. By contract the slope at exactly 0 is alpha.
    """
    ### BEGIN SOLUTION
    x, alpha = cache
    negative = x <= 0
    dx = dout * np.where(negative, alpha, 1.0)
    dalpha = np.sum(dout * x * negative, axis=0)
    ### END SOLUTION
    return dx, dalpha


def sigmoid_forward(x):
    """Logistic sigmoid ``out = 1 / (1 + exp(-x))``, finite and warning-free for any x.

    x of any shape. Returns ``(out, cache)``, out shaped like x.
    """
    ### BEGIN SOLUTION
    # exp of a non-positive number never overflows: use exp(-|x|) on both sides.
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    cache = out
    ### END SOLUTION
    return out, cache


def sigmoid_backward(dout, cache):
    """Sigmoid backward: dx from dout and the cache of sigmoid_forward.

    dout and dx have the shape of x.
    """
    ### BEGIN SOLUTION
    s = cache
    dx = dout * s * (1.0 - s)
    ### END SOLUTION
    return dx


def tanh_forward(x):
    """Hyperbolic tangent, x of any shape. Returns ``(out, cache)``, out shaped like x."""
    ### BEGIN SOLUTION
    out = np.tanh(x)
    cache = out
    ### END SOLUTION
    return out, cache


def tanh_backward(dout, cache):
    """Tanh backward: dx from dout and the cache of tanh_forward.

    dout and dx have the shape of x.
    """
    ### BEGIN SOLUTION
    t = cache
    dx = dout * (1.0 - t * t)
    ### END SOLUTION
    return dx


def softmax_forward(x):
    """Row-wise softmax of scores.

    Inputs: x (N, C) scores. Returns ``(out, cache)``: out (N, C), each row positive and
    summing to 1; finite for scores of magnitude 1e3.
    """
    ### BEGIN SOLUTION
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    out = shifted / shifted.sum(axis=1, keepdims=True)
    cache = out
    ### END SOLUTION
    return out, cache


def softmax_backward(dout, cache):
    """Softmax backward: dx from dout and the cache of softmax_forward.

    Inputs: dout (N, C) upstream gradient. Returns dx (N, C): each row's softmax Jacobian
    applied to that row of dout; a layer, not a loss, so no batch averaging.
    """
    ### BEGIN SOLUTION
    y = cache
    dx = y * (dout - (dout * y).sum(axis=1, keepdims=True))
    ### END SOLUTION
    return dx
