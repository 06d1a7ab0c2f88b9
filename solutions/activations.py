"""Assignment 2: elementwise activation layers (relu, leaky relu, sigmoid, tanh).

Each backward is a Hadamard product of the upstream gradient with the local
derivative, so every array below has the shape of the input x (any shape).
"""
import numpy as np


def relu_forward(x):
    """ReLU ``out = max(0, x)``. Returns ``(out, cache)``; cache = x."""
    ### BEGIN SOLUTION
    out = np.maximum(x, 0.0)
    cache = x
    ### END SOLUTION
    return out, cache


def relu_backward(dout, cache):
    """ReLU backward. dout and dx have the shape of x; the derivative at exactly 0 is 0."""
    ### BEGIN SOLUTION
    x = cache
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU: ``x`` where ``x > 0``, ``alpha * x`` where ``x <= 0``.

    Returns ``(out, cache)``; cache = (x, alpha).
    """
    ### BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    ### END SOLUTION
    return out, cache


def leaky_relu_backward(dout, cache):
    """Leaky ReLU backward. dout and dx have the shape of x."""
    ### BEGIN SOLUTION
    x, alpha = cache
    dx = dout * np.where(x > 0, 1.0, alpha)
    ### END SOLUTION
    return dx


def sigmoid_forward(x):
    """Logistic sigmoid ``out = 1 / (1 + exp(-x))``, finite and warning-free for any x.

    Returns ``(out, cache)``; cache = out.
    """
    ### BEGIN SOLUTION
    # exp of a non-positive number never overflows: use exp(-|x|) on both sides.
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    cache = out
    ### END SOLUTION
    return out, cache


def sigmoid_backward(dout, cache):
    """Sigmoid backward. dout and dx have the shape of x; cache is the forward output."""
    ### BEGIN SOLUTION
    s = cache
    dx = dout * s * (1.0 - s)
    ### END SOLUTION
    return dx


def tanh_forward(x):
    """Hyperbolic tangent. Returns ``(out, cache)``; cache = out."""
    ### BEGIN SOLUTION
    out = np.tanh(x)
    cache = out
    ### END SOLUTION
    return out, cache


def tanh_backward(dout, cache):
    """Tanh backward. dout and dx have the shape of x; cache is the forward output."""
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
    """Each row's softmax Jacobian applied to the upstream gradient (no batch averaging).

    Inputs: dout (N, C) upstream gradient; cache from softmax_forward. Returns dx (N, C).
    """
    ### BEGIN SOLUTION
    y = cache
    dx = y * (dout - (dout * y).sum(axis=1, keepdims=True))
    ### END SOLUTION
    return dx
