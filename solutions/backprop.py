"""Assignment 2: the backprop loop over a list of layers."""


def backprop(layers, x, y, loss_fn):
    """The loss of a network of layers and the gradient of every parameter.

    Inputs:
    - layers: list of ``(forward, backward, params)``; ``forward(x, *params) -> (out,
      cache)``; ``backward(dout, cache)`` returns ``dx`` alone when ``params`` is empty
      and ``(dx, *dparams)`` otherwise.
    - x: the network's input (N, ...); y: the targets handed to ``loss_fn``.
    - loss_fn: ``loss_fn(scores, y) -> (loss, dscores)``.
    Returns ``(loss, grads)``: grads has one tuple per layer, one gradient per array of
    that layer's params (an empty tuple for a layer without params).
    """
    ### BEGIN SOLUTION
    caches = []
    out = x
    for forward, _, params in layers:
        out, cache = forward(out, *params)
        caches.append(cache)
    loss, dout = loss_fn(out, y)
    grads = [()] * len(layers)
    for i in reversed(range(len(layers))):
        _, backward, params = layers[i]
        if params:
            dout, *dparams = backward(dout, caches[i])
            grads[i] = tuple(dparams)
        else:
            dout = backward(dout, caches[i])
    ### END SOLUTION
    return loss, grads
