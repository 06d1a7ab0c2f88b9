"""Assignment 3: convolution and max pooling with explicit loops.

These naive versions are the reference; ``fast_layers`` (released with hw4) holds the fast
ones students use for training once they have written these.
"""
import numpy as np


def conv_forward(x, w, b, stride=1, pad=0):
    """Convolution (cross-correlation, as in every deep learning library).

    Inputs:
    - x: (N, C, H, W) input; w: (F, C, HH, WW) filters; b: (F,) biases
    - stride: step between windows; pad: zeros added on each side of H and W
    Returns ``(out, cache)``: out (N, F, H', W') with
    H' = 1 + (H + 2 pad - HH) // stride and W' = 1 + (W + 2 pad - WW) // stride;
    cache: whatever ``conv_backward`` needs (no test looks inside it).
    x, w and b are left unchanged.
    """
    ### BEGIN SOLUTION
    n, _, h, wd = x.shape
    f, _, hh, ww = w.shape
    h_out = 1 + (h + 2 * pad - hh) // stride
    w_out = 1 + (wd + 2 * pad - ww) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, h_out, w_out))
    for i in range(n):
        for k in range(f):
            for r in range(h_out):
                for c in range(w_out):
                    window = xp[i, :, r * stride:r * stride + hh, c * stride:c * stride + ww]
                    out[i, k, r, c] = np.sum(window * w[k]) + b[k]
    cache = (x, w, stride, pad)
    ### END SOLUTION
    return out, cache


def conv_backward(dout, cache):
    """Backward pass of ``conv_forward``.

    Inputs: dout (N, F, H', W'), the gradient of the loss with respect to out;
    cache from ``conv_forward``.
    Returns ``(dx, dw, db)``, the gradients with respect to x (N, C, H, W), w (F, C, HH, WW)
    and b (F,).
    """
    ### BEGIN SOLUTION
    x, w, stride, pad = cache
    n, _, h, wd = x.shape
    f, _, hh, ww = w.shape
    _, _, h_out, w_out = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(n):
        for k in range(f):
            for r in range(h_out):
                for c in range(w_out):
                    rows = slice(r * stride, r * stride + hh)
                    cols = slice(c * stride, c * stride + ww)
                    dw[k] += dout[i, k, r, c] * xp[i, :, rows, cols]
                    dxp[i, :, rows, cols] += dout[i, k, r, c] * w[k]
    dx = dxp[:, :, pad:pad + h, pad:pad + wd]
    ### END SOLUTION
    return dx, dw, db


def max_pool_forward(x, pool_height=2, pool_width=2, stride=2):
    """Max pooling over windows of ``pool_height x pool_width`` moved by ``stride``.

    Inputs: x (N, C, H, W). Returns ``(out, cache)``: out (N, C, H', W') with
    H' = 1 + (H - pool_height) // stride, W' = 1 + (W - pool_width) // stride;
    cache: whatever ``max_pool_backward`` needs (no test looks inside it).
    """
    ### BEGIN SOLUTION
    n, ch, h, wd = x.shape
    h_out = 1 + (h - pool_height) // stride
    w_out = 1 + (wd - pool_width) // stride
    out = np.zeros((n, ch, h_out, w_out))
    for r in range(h_out):
        for c in range(w_out):
            window = x[:, :, r * stride:r * stride + pool_height,
                       c * stride:c * stride + pool_width]
            out[:, :, r, c] = window.max(axis=(2, 3))
    cache = (x, pool_height, pool_width, stride)
    ### END SOLUTION
    return out, cache


def max_pool_backward(dout, cache):
    """Backward pass of ``max_pool_forward``.

    Inputs: dout (N, C, H', W'), the gradient of the loss with respect to out;
    cache from ``max_pool_forward``.
    Returns dx (N, C, H, W), the gradient with respect to x. Ties (contract): where several
    entries of a window share its maximum, the first of them in row-major order counts as
    the maximum.
    """
    ### BEGIN SOLUTION
    x, pool_height, pool_width, stride = cache
    n, ch, _, _ = x.shape
    _, _, h_out, w_out = dout.shape
    dx = np.zeros_like(x)
    for i in range(n):
        for j in range(ch):
            for r in range(h_out):
                for c in range(w_out):
                    window = x[i, j, r * stride:r * stride + pool_height,
                               c * stride:c * stride + pool_width]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[i, j, r * stride + a, c * stride + b] += dout[i, j, r, c]
    ### END SOLUTION
    return dx
