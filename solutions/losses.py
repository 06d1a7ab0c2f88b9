"""Assignment 2: losses. Each is averaged over the batch and returns
``(loss, dscores)`` with loss a Python float and dscores shaped like the scores."""
import numpy as np


def softmax_loss(x, y):
    """Mean softmax cross-entropy.

    Inputs: x (N, C) scores; y (N,) integer labels in [0, C).
    Returns ``(loss, dx)``: loss = -(1/N) sum_i log softmax(x_i)[y_i], a float; dx (N, C)
    the gradient of the loss with respect to x. Finite and exact for scores of magnitude 1e3.
    """
    ### BEGIN SOLUTION
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1.0
    dx /= n
    ### END SOLUTION
    return float(loss), dx


def mse_loss(pred, target):
    """Mean squared error summed over features: ``loss = sum((pred - target)**2) / N``.

    Inputs: pred and target of the same shape (N, ...). Returns ``(loss, dpred)``: loss a
    float, dpred (the gradient of the loss with respect to pred) shaped like pred.
    """
    ### BEGIN SOLUTION
    n = pred.shape[0]
    diff = pred - target
    loss = np.sum(diff * diff) / n
    dpred = 2.0 * diff / n
    ### END SOLUTION
    return float(loss), dpred


def bce_loss(prob, target):
    """Binary cross-entropy ``-(1/N) sum(t log p + (1 - t) log(1 - p))``.

    Inputs: prob (N,) in (0, 1); target (N,) in {0, 1}. Returns ``(loss, dprob)``: loss a
    float, dprob (N,) the gradient of the loss with respect to prob. Safe near 0 and 1: the
    loss and gradient stay finite.
    """
    ### BEGIN SOLUTION
    n = prob.shape[0]
    p = np.clip(prob, 1e-12, 1.0 - 1e-12)
    loss = -np.sum(target * np.log(p) + (1.0 - target) * np.log1p(-p)) / n
    dprob = (p - target) / (p * (1.0 - p)) / n
    ### END SOLUTION
    return float(loss), dprob
