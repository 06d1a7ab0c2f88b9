"""The demo class of hw3_cnn: convolution and max pooling."""
from ..samples import Sample, with_bug
from .cast import cheat, perfect, unreadable, untouched

OTHER_STYLE = {  # a loop over the offsets inside a window, everything else vectorised
    "conv_forward": '''\
def conv_forward(x, w, b, stride=1, pad=0):
    F, C, HH, WW = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    Ho = (xp.shape[2] - HH) // stride + 1
    Wo = (xp.shape[3] - WW) // stride + 1
    out = np.zeros((x.shape[0], F, Ho, Wo)) + b[:, None, None]
    for i in range(HH):
        for j in range(WW):
            seen = xp[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride]
            out += np.einsum("nchw,fc->nfhw", seen, w[:, :, i, j])
    return out, {"xp": xp, "w": w, "stride": stride, "pad": pad, "shape": x.shape}
''',
    "conv_backward": '''\
def conv_backward(dout, cache):
    xp, w, stride, pad = cache["xp"], cache["w"], cache["stride"], cache["pad"]
    F, C, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(HH):
        for j in range(WW):
            rows = slice(i, i + stride * Ho, stride)
            cols = slice(j, j + stride * Wo, stride)
            dw[:, :, i, j] = np.einsum("nfhw,nchw->fc", dout, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    H, W = cache["shape"][2:]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))
''',
    "max_pool_forward": '''\
def max_pool_forward(x, pool_height=2, pool_width=2, stride=2):
    Ho = (x.shape[2] - pool_height) // stride + 1
    Wo = (x.shape[3] - pool_width) // stride + 1
    # the entries of every window along the last axis, in row-major order
    windows = np.stack([x[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride]
                        for i in range(pool_height) for j in range(pool_width)], axis=-1)
    first_max = windows.argmax(axis=-1)
    return windows.max(axis=-1), (x.shape, first_max, pool_width, stride)
''',
    "max_pool_backward": '''\
def max_pool_backward(dout, cache):
    shape, first_max, pool_width, stride = cache
    n, c, r, s = np.indices(dout.shape)
    rows = r * stride + first_max // pool_width
    cols = s * stride + first_max % pool_width
    dx = np.zeros(shape)
    np.add.at(dx, (n, c, rows, cols), dout)
    return dx
''',
}
CONV_OUTPUT_ROUNDED_UP = with_bug(
    "conv_forward",
    "    h_out = 1 + (h + 2 * pad - hh) // stride\n    w_out = 1 + (wd + 2 * pad - ww) // stride\n",
    "    h_out = int(np.ceil((h + 2 * pad - hh) / stride)) + 1\n"
    "    w_out = int(np.ceil((wd + 2 * pad - ww) / stride)) + 1\n")
CONV_FLIPPED_FILTER = with_bug("conv_backward", "dxp[i, :, rows, cols] += dout[i, k, r, c] * w[k]",
                               "dxp[i, :, rows, cols] += dout[i, k, r, c] * w[k, :, ::-1, ::-1]")
POOL_TO_EVERY_TIED_MAXIMUM = with_bug(
    "max_pool_backward",
    "                    a, b = np.unravel_index(np.argmax(window), window.shape)\n"
    "                    dx[i, j, r * stride + a, c * stride + b] += dout[i, j, r, c]\n",
    "                    dx[i, j, r * stride:r * stride + pool_height, "
    "c * stride:c * stride + pool_width] += \\\n"
    "                        (window == window.max()) * dout[i, j, r, c]\n")
POOL_WIDTH_FROM_HEIGHT = with_bug("max_pool_forward", "w_out = 1 + (wd - pool_width) // stride",
                                  "w_out = 1 + (wd - pool_height) // stride")
POOL_BACKWARD_ASSIGNS = with_bug("max_pool_backward",
                                 "dx[i, j, r * stride + a, c * stride + b] += dout[i, j, r, c]",
                                 "dx[i, j, r * stride + a, c * stride + b] = dout[i, j, r, c]")
CONV_BACKWARD_STUB = '''\
def conv_backward(dout, cache):
    x, w, stride, pad = cache
    dx, dw, db = np.zeros_like(x), np.zeros_like(w), np.zeros(w.shape[0])
    # TODO
    return dx, dw, db
'''


def students():
    """Eight students of hw3_cnn: right, blank, realistic bugs, a cheat, a broken file."""
    return [
        perfect(),
        Sample("ben", "correct, written differently (a loop over the window's offsets with "
               "einsum, np.add.at for the pool)", answers=OTHER_STYLE),
        untouched(),
        Sample("dev", "conv backward sends dx through the flipped filter, pool backward sends "
               "the gradient to every tied maximum",
               answers={"conv_backward": CONV_FLIPPED_FILTER,
                        "max_pool_backward": POOL_TO_EVERY_TIED_MAXIMUM},
               bugs={"conv_backward": ("wrong_values",),
                     "max_pool_backward": ("wrong_at_ties",)}),
        Sample("eve", "conv output size rounded up, so forward and backward fail where the "
               "sizes do not divide", answers={"conv_forward": CONV_OUTPUT_ROUNDED_UP},
               bugs={"conv_forward": ("non_divisible_size",),
                     "conv_backward": ("non_divisible_size",)}),
        Sample("finn", "pool output width from pool_height, pool backward assigns where it "
               "should add", answers={"max_pool_forward": POOL_WIDTH_FROM_HEIGHT,
                                      "max_pool_backward": POOL_BACKWARD_ASSIGNS},
               bugs={"max_pool_forward": ("non_square_window",),
                     "max_pool_backward": ("wrong_at_overlaps",)}),
        cheat("hw3_cnn", "conv_backward", CONV_BACKWARD_STUB, "conv backward left returning "
              "zeros", "all_zeros"),
        unreadable(),
    ]
