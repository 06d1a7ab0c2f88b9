"""Assignment 4: update rules. Each returns new arrays and leaves its inputs unchanged.

``params``, ``grads`` and ``velocities`` are lists of arrays in the same order.
"""
import numpy as np


def sgd_step(params, grads, lr):
    """Plain SGD: ``p_new = p - lr * g`` for every param. Returns the list of new params."""
    ### BEGIN SOLUTION
    new_params = [p - lr * g for p, g in zip(params, grads, strict=True)]
    ### END SOLUTION
    return new_params


def sgd_momentum_step(params, grads, velocities, lr, momentum=0.9):
    """SGD with momentum: ``v = momentum * v - lr * g; p = p + v``.

    Returns ``(new_params, new_velocities)``, two lists shaped like ``params``.
    """
    ### BEGIN SOLUTION
    new_velocities = [momentum * v - lr * g for v, g in zip(velocities, grads, strict=True)]
    new_params = [p + v for p, v in zip(params, new_velocities, strict=True)]
    ### END SOLUTION
    return new_params, new_velocities


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam with bias correction: one step.

    params and grads are lists of arrays in the same order; ``state`` is None on the first
    call, then the state the previous call returned (its contents are your choice, and it is
    not modified). Returns ``(new_params, new_state)``, new_params a list of new arrays.
    """
    ### BEGIN SOLUTION
    if state is None:
        state = {"t": 0, "m": [np.zeros_like(p) for p in params],
                 "v": [np.zeros_like(p) for p in params]}
    t = state["t"] + 1
    m = [beta1 * m + (1 - beta1) * g for m, g in zip(state["m"], grads, strict=True)]
    v = [beta2 * v + (1 - beta2) * g * g for v, g in zip(state["v"], grads, strict=True)]
    new_params = [
        p - lr * (mi / (1 - beta1**t)) / (np.sqrt(vi / (1 - beta2**t)) + eps)
        for p, mi, vi in zip(params, m, v, strict=True)
    ]
    new_state = {"t": t, "m": m, "v": v}
    ### END SOLUTION
    return new_params, new_state


def train_epoch(params, x, y, grad_fn, lr, batch_size, rng):
    """One epoch of minibatch SGD.

    Inputs: params, a list of arrays; x (N, ...) and y (N, ...) the data; grad_fn(params,
    x_batch, y_batch) -> (loss, grads), grads one array per param; lr the step size;
    batch_size; rng a numpy Generator, used once: ``rng.permutation(N)`` is the order in
    which the epoch visits the examples. The batches are consecutive pieces of that order,
    ``batch_size`` examples each (the last may be shorter); each takes one plain SGD step.
    Returns ``(new_params, losses)``: new arrays, and the list of the batch losses as floats,
    in order. The arrays passed in are left unchanged.
    """
    ### BEGIN SOLUTION
    order = rng.permutation(x.shape[0])
    losses = []
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss, grads = grad_fn(params, x[batch], y[batch])
        params = [p - lr * g for p, g in zip(params, grads, strict=True)]
        losses.append(float(loss))
    ### END SOLUTION
    return params, losses
