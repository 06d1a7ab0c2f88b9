"""Fast convolution and max pooling, in pure NumPy.

These are for *training* CNNs once you have written the naive loop versions yourself; they compute
the same thing as the graded ``conv_forward``/``max_pool_forward`` of Assignment 3, only faster.

How they are fast:

- **im2col as a view.** ``sliding_window_view`` turns the padded input ``(N, C, Hp, Wp)`` into a
  view of every receptive field, shape ``(N, C, Hp-HH+1, Wp-WW+1, HH, WW)``, without copying;
  slicing ``[:, :, ::stride, ::stride]`` keeps the windows the stride visits. The convolution is
  then a single ``tensordot`` (one matrix product) of that view with the filters.
- **col2im as HH*WW shifted adds.** In the backward pass, the gradient of every window position
  is added back into the input with one vectorized, strided ``+=`` per kernel offset ``(i, j)``:
  only ``HH * WW`` Python iterations, each touching the whole batch at once.
- **max pooling by reshaping** when the windows tile the input exactly (stride equal to the pool
  size and the size divisible), and through the same strided window view otherwise. The backward
  pass routes each upstream gradient to the single arg-max of its window (the first maximum in
  row-major order, as the naive version does), accumulating where windows overlap.
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


def _add_windows(dx, dwin, stride):
    """col2im: add window gradients ``dwin (N, C, Ho, Wo, HH, WW)`` into ``dx (N, C, H, W)``.

    One strided, vectorized ``+=`` per kernel offset, so overlapping windows accumulate.
    """
    _, _, out_h, out_w, height, width = dwin.shape
    for i in range(height):
        for j in range(width):
            rows = slice(i, i + stride * (out_h - 1) + 1, stride)
            cols = slice(j, j + stride * (out_w - 1) + 1, stride)
            dx[:, :, rows, cols] += dwin[:, :, :, :, i, j]
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
    return out + b[None, :, None, None], (x.shape, cols, w, stride, pad)


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
    _add_windows(dxp, dcols.transpose(0, 1, 4, 5, 2, 3), stride)
    return dxp[:, :, pad:pad + h, pad:pad + wd].copy(), dw, db


def _tiles(shape, pool_height, pool_width, stride):
    """True when the pooling windows tile an input of ``shape`` exactly (no overlap, no gap)."""
    _, _, height, width = shape
    return (
        pool_height == pool_width == stride
        and height % pool_height == 0
        and width % pool_width == 0
    )


def _flat_windows(x, pool_height, pool_width, stride):
    """Copy of the pooling windows, shape (N, C, Ho, Wo, pool_height * pool_width)."""
    if _tiles(x.shape, pool_height, pool_width, stride):
        n, c, height, width = x.shape
        blocks = x.reshape(n, c, height // pool_height, pool_height, width // pool_width, pool_width)
        windows = blocks.transpose(0, 1, 2, 4, 3, 5)
    else:
        windows = _windows(x, pool_height, pool_width, stride)
    return windows.reshape(windows.shape[:4] + (pool_height * pool_width,))


def max_pool_forward_fast(x, pool_height=2, pool_width=2, stride=2):
    """Max pooling over (pool_height, pool_width) windows, ``stride`` apart, without padding.

    Inputs:
    - x: input, shape (N, C, H, W)

    Returns (out, cache):
    - out: shape (N, C, Ho, Wo), Ho = 1 + (H - pool_height) // stride,
      Wo = 1 + (W - pool_width) // stride
    - cache: (x_shape, argmax, pool_height, pool_width, stride), argmax of shape (N, C, Ho, Wo)
      holding for every window the row-major index (within the window) of its first maximum
    """
    flat = _flat_windows(x, pool_height, pool_width, stride)
    argmax = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
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
    n, c, out_h, out_w = dout.shape
    dflat = np.zeros(dout.shape + (pool_height * pool_width,), dtype=dout.dtype)
    np.put_along_axis(dflat, argmax[..., None], dout[..., None], axis=-1)
    dwin = dflat.reshape(n, c, out_h, out_w, pool_height, pool_width)
    if _tiles(x_shape, pool_height, pool_width, stride):
        dx = dwin.transpose(0, 1, 2, 4, 3, 5)
        return dx.reshape(x_shape)
    return _add_windows(np.zeros(x_shape, dtype=dout.dtype), dwin, stride)
