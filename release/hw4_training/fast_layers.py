"""Fast convolution and max pooling, in pure NumPy.

These are for *training* CNNs once you have written the naive loop versions yourself; they compute
the same thing as the graded ``conv_forward``/``max_pool_forward`` of Assignment 3, only faster.
Students receive this file with Assignment 4 (``backproplab build`` copies it into
``source/hw4_training/``), after their own loops of Assignment 3 are due; it is not in the
student package, which they install at Assignment 1.

How they are fast:

- **im2col.** ``sliding_window_view`` turns the padded input ``(N, C, Hp, Wp)`` into a view of
  every receptive field, shape ``(N, C, Hp-HH+1, Wp-WW+1, HH, WW)``, without copying; slicing
  ``[:, :, ::stride, ::stride]`` keeps the windows the stride visits. One copy lays them out as
  columns ``(N, C*HH*WW, Ho*Wo)``, and the convolution is one (batched) matrix product of the
  filters ``(F, C*HH*WW)`` with them; the backward pass is two more matrix products.
- **col2im as HH*WW shifted adds.** In the backward pass, the gradient of every window position
  is added back into the input with one vectorized, strided ``+=`` per kernel offset ``(i, j)``:
  only ``HH * WW`` Python iterations, each touching the whole batch at once.
- **max pooling by window offsets.** For each offset (i, j) inside the pool window, the strided
  slice ``x[:, :, i::stride, j::stride]`` (cut to Ho x Wo) holds that entry of every window at
  once, so the max is pool_height * pool_width vectorized ``np.maximum`` calls, whether windows
  tile the input, overlap, or leave a remainder. (This measured faster than reshaping into
  windows and calling ``argmax`` on a short last axis, which numpy loops over window by window.)
  The arg-max kept for the backward pass is the first maximum in row-major order, as in the
  naive version; the backward pass is one strided ``+=`` per offset, so overlaps accumulate.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "conv_forward_fast",
    "conv_backward_fast",
    "max_pool_forward_fast",
    "max_pool_backward_fast",
]


def _out_size(size, window, stride):
    """Number of window positions along one axis: ``1 + (size - window) // stride``."""
    if window > size or stride < 1:
        raise ValueError(f"window {window} with stride {stride} does not fit in size {size}")
    return 1 + (size - window) // stride


def _windows(x, height, width, stride):
    """Read-only view ``(N, C, Ho, Wo, height, width)`` of every window the stride visits."""
    _out_size(x.shape[2], height, stride)
    _out_size(x.shape[3], width, stride)
    return sliding_window_view(x, (height, width), axis=(2, 3))[:, :, ::stride, ::stride]


def _offsets(height, width, stride, out_h, out_w):
    """For every window offset (i, j): the strided slices of the input it reads at all outputs."""
    for i in range(height):
        for j in range(width):
            rows = slice(i, i + stride * (out_h - 1) + 1, stride)
            cols = slice(j, j + stride * (out_w - 1) + 1, stride)
            yield i, j, (Ellipsis, rows, cols)


def _col2im(dx, dcols, stride):
    """Add window gradients ``dcols (N, C, HH, WW, Ho, Wo)`` into ``dx (N, C, H, W)``; return dx.

    One strided, vectorized ``+=`` per kernel offset, so overlapping windows accumulate.
    """
    _, _, height, width, out_h, out_w = dcols.shape
    for i, j, where in _offsets(height, width, stride, out_h, out_w):
        dx[where] += dcols[:, :, i, j]
    return dx


def _im2col(xp, height, width, stride):
    """Copy of every receptive field: shape (N, C * height * width, Ho * Wo).

    Row ``c * height * width + i * width + j`` of sample n holds, for every output position,
    the input value the filter entry ``(c, i, j)`` multiplies there.
    """
    windows = _windows(xp, height, width, stride).transpose(0, 1, 4, 5, 2, 3)
    n, c, _, _, out_h, out_w = windows.shape
    return np.ascontiguousarray(windows).reshape(n, c * height * width, out_h * out_w)


def conv_forward_fast(x, w, b, stride=1, pad=0):
    """Convolution (cross-correlation) of a batch with a bank of filters, zero padded.

    Inputs:
    - x: input, shape (N, C, H, W)
    - w: filters, shape (F, C, HH, WW)
    - b: biases, shape (F,)
    - stride: step between neighbouring windows, in both directions
    - pad: number of zeros added on every side of H and W

    Returns (out, cache):
    - out: shape (N, F, Ho, Wo), Ho = 1 + (H + 2*pad - HH) // stride,
      Wo = 1 + (W + 2*pad - WW) // stride
    - cache: (x_shape, cols, w, stride, pad), where cols, shape (N, C*HH*WW, Ho*Wo), holds the
      receptive fields of the padded input (see ``_im2col``)
    """
    f, _, height, width = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = _im2col(xp, height, width, stride)
    out_h, out_w = _out_size(xp.shape[2], height, stride), _out_size(xp.shape[3], width, stride)
    out = (w.reshape(f, -1) @ cols).reshape(x.shape[0], f, out_h, out_w)
    out += b[None, :, None, None]
    return out, (x.shape, cols, w, stride, pad)


def conv_backward_fast(dout, cache):
    """Backward pass of ``conv_forward_fast``.

    Inputs:
    - dout: upstream gradient, shape (N, F, Ho, Wo)
    - cache: (x_shape, cols, w, stride, pad) from ``conv_forward_fast``

    Returns (dx, dw, db) with the shapes of x (N, C, H, W), w (F, C, HH, WW) and b (F,).
    """
    (n, c, h, wd), cols, w, stride, pad = cache
    f, _, height, width = w.shape
    _, _, out_h, out_w = dout.shape
    dflat = dout.reshape(n, f, out_h * out_w)
    db = dflat.sum(axis=(0, 2))
    dw = (dflat @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    dcols = (w.reshape(f, -1).T @ dflat).reshape(n, c, height, width, out_h, out_w)
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), dtype=dcols.dtype)
    _col2im(dxp, dcols, stride)
    return dxp[:, :, pad:pad + h, pad:pad + wd].copy(), dw, db


def _first_argmax(views, out):
    """Index k of the first view equal to ``out``, position by position (row-major tie-break)."""
    argmax = np.full(out.shape, len(views) - 1, dtype=np.min_scalar_type(len(views) - 1))
    for k in range(len(views) - 2, -1, -1):
        np.copyto(argmax, k, where=views[k] == out)
    return argmax


def max_pool_forward_fast(x, pool_height=2, pool_width=2, stride=2):
    """Max pooling over (pool_height, pool_width) windows, ``stride`` apart, without padding.

    Inputs:
    - x: input, shape (N, C, H, W)

    Returns (out, cache):
    - out: shape (N, C, Ho, Wo), Ho = 1 + (H - pool_height) // stride,
      Wo = 1 + (W - pool_width) // stride
    - cache: (x_shape, argmax, pool_height, pool_width, stride), argmax of shape (N, C, Ho, Wo)
      holding for every window the row-major index ``i * pool_width + j`` within the window of
      its first maximum
    """
    out_h = _out_size(x.shape[2], pool_height, stride)
    out_w = _out_size(x.shape[3], pool_width, stride)
    views = [x[where] for _, _, where in _offsets(pool_height, pool_width, stride, out_h, out_w)]
    out = views[0].copy()
    for view in views[1:]:
        np.maximum(out, view, out=out)
    argmax = _first_argmax(views, out)
    return out, (x.shape, argmax, pool_height, pool_width, stride)


def max_pool_backward_fast(dout, cache):
    """Backward pass of ``max_pool_forward_fast``.

    Inputs:
    - dout: upstream gradient, shape (N, C, Ho, Wo)
    - cache: (x_shape, argmax, pool_height, pool_width, stride) from ``max_pool_forward_fast``

    Returns dx, shape (N, C, H, W): each dout entry goes to the one position its window's max
    came from; where windows overlap, the contributions add up.
    """
    x_shape, argmax, pool_height, pool_width, stride = cache
    dx = np.zeros(x_shape, dtype=dout.dtype)
    zero = np.zeros((), dtype=dout.dtype)
    for i, j, where in _offsets(pool_height, pool_width, stride, *dout.shape[2:]):
        dx[where] += np.where(argmax == i * pool_width + j, dout, zero)
    return dx
