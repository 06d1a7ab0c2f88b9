"""Assignment 2: the affine (fully connected) layer."""


def affine_forward(x, w, b):
    """Affine layer ``out = x_flat @ w + b``.

    Inputs:
    - x: (N, d1, ..., dk), each example flattened to D = d1 * ... * dk values
    - w: (D, M) weights
    - b: (M,) biases
    Returns ``(out, cache)``: out (N, M).
    """
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ w + b
    cache = (x, w)
    ### END SOLUTION
    return out, cache


def affine_backward(dout, cache):
    """Backward pass of the affine layer.

    Inputs: dout (N, M) upstream gradient; cache from ``affine_forward``.
    Returns ``(dx, dw, db)``: dx with the shape of the original x (N, d1, ..., dk),
    dw (D, M) and db (M,).
    """
    ### BEGIN SOLUTION
    x, w = cache
    x_flat = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_flat.T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db
