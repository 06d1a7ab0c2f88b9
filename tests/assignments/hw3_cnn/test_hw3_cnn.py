"""hw3_cnn as a class: students who write all of its layers their own way (naive loops, im2col,
einsum over strided windows), right, graded once in the class of the assignment (the ``graded``
fixture, see support.py) beside the slips of each function (test_conv.py, test_max_pool.py),
each with the exact score and the diagnosis it must get; their loops are the base of most of
those slips."""

from support import corpus_test

from autograder.round.samples import Sample

A = "hw3_cnn"

PY2_SHIM = """\
from __future__ import print_function, division
try:
    xrange
except NameError:  # Python 3
    xrange = range
"""


CONV_LOOPS = '''\
def conv_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    out = np.zeros((N, F, H_out, W_out))
    for n in xrange(N):
        for f in xrange(F):
            for i in xrange(H_out):
                for j in xrange(W_out):
                    hs = i * stride
                    ws = j * stride
                    out[n, f, i, j] = np.sum(x_pad[n, :, hs:hs + HH, ws:ws + WW] * w[f]) + b[f]
    cache = (x, w, b, stride, pad)
    return out, cache
'''


CONV_BACKWARD_LOOPS = '''\
def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in xrange(N):
        for f in xrange(F):
            db[f] += np.sum(dout[n, f])
            for i in xrange(H_out):
                for j in xrange(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
'''


POOL_LOOPS = {
    "max_pool_forward": '''\
def max_pool_forward(x, pool_height=2, pool_width=2, stride=2):
    N, C, H, W = x.shape
    H_out = 1 + (H - pool_height) // stride
    W_out = 1 + (W - pool_width) // stride
    out = np.zeros((N, C, H_out, W_out))
    for n in xrange(N):
        for c in xrange(C):
            for i in xrange(H_out):
                for j in xrange(W_out):
                    hs, ws = i * stride, j * stride
                    out[n, c, i, j] = np.max(x[n, c, hs:hs + pool_height, ws:ws + pool_width])
    return out, (x, pool_height, pool_width, stride)
''',
    "max_pool_backward": '''\
def max_pool_backward(dout, cache):
    x, pool_height, pool_width, stride = cache
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in xrange(N):
        for c in xrange(C):
            for i in xrange(H_out):
                for j in xrange(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + pool_height, ws:ws + pool_width]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, hs + a, ws + b] += dout[n, c, i, j]
    return dx
''',
}


IM2COL = {
    "conv_forward": '''\
def im2col(x_pad, HH, WW, stride, H_out, W_out):
    N = x_pad.shape[0]
    cols = np.empty((N, H_out, W_out, x_pad.shape[1] * HH * WW))
    for i in range(H_out):
        for j in range(W_out):
            patch = x_pad[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            cols[:, i, j, :] = patch.reshape(N, -1)
    return cols


def conv_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = (H + 2 * pad - HH) // stride + 1
    W_out = (W + 2 * pad - WW) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    cols = im2col(x_pad, HH, WW, stride, H_out, W_out)
    out = (cols @ w.reshape(F, -1).T + b).transpose(0, 3, 1, 2)
    return out, (x, w, stride, pad, cols)
''',
    "conv_backward": '''\
def conv_backward(dout, cache):
    x, w, stride, pad, cols = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    d = dout.transpose(0, 2, 3, 1)
    db = d.sum(axis=(0, 1, 2))
    dw = (d.reshape(-1, F).T @ cols.reshape(-1, cols.shape[-1])).reshape(w.shape)
    dcols = d @ w.reshape(F, -1)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(H_out):
        for j in range(W_out):
            dx_pad[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += \\
                dcols[:, i, j, :].reshape(N, C, HH, WW)
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, db
''',
    "max_pool_forward": '''\
def max_pool_forward(x, pool_height=2, pool_width=2, stride=2):
    N, C, H, W = x.shape
    H_out = (H - pool_height) // stride + 1
    W_out = (W - pool_width) // stride + 1
    out = np.empty((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + pool_height,
                                j * stride:j * stride + pool_width].max(axis=(2, 3))
    return out, (x, pool_height, pool_width, stride)
''',
    "max_pool_backward": '''\
def max_pool_backward(dout, cache):
    x, ph, pw, s = cache
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing='ij')
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            r, c = np.unravel_index(np.argmax(window, axis=2), (ph, pw))
            np.add.at(dx, (n_idx, c_idx, i * s + r, j * s + c), dout[:, :, i, j])
    return dx
''',
}


STRIDED = {
    "conv_forward": '''\
from numpy.lib.stride_tricks import as_strided


def windows_of(a, HH, WW, stride, H_out, W_out):
    N, C = a.shape[:2]
    sN, sC, sH, sW = a.strides
    return as_strided(a, shape=(N, C, H_out, W_out, HH, WW),
                      strides=(sN, sC, sH * stride, sW * stride, sH, sW), writeable=False)


def conv_forward(x, w, b, stride=1, pad=0):
    F, C, HH, WW = w.shape
    H_out = 1 + (x.shape[2] + 2 * pad - HH) // stride
    W_out = 1 + (x.shape[3] + 2 * pad - WW) // stride
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    win = windows_of(xp, HH, WW, stride, H_out, W_out)
    out = np.einsum('nchwij,fcij->nfhw', win, w) + b[None, :, None, None]
    return out, (x, w, stride, pad)
''',
    "conv_backward": '''\
def conv_backward(dout, cache):
    x, w, stride, pad = cache
    F, C, HH, WW = w.shape
    N, _, H_out, W_out = dout.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    win = windows_of(xp, HH, WW, stride, H_out, W_out)
    dw = np.einsum('nchwij,nfhw->fcij', win, dout)
    db = np.einsum('nfhw->f', dout)
    contrib = np.einsum('nfhw,fcij->nchwij', dout, w)
    dxp = np.zeros_like(xp)
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride] += \\
                contrib[:, :, :, :, i, j]
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, db
''',
    "max_pool_forward": '''\
def max_pool_forward(x, pool_height=2, pool_width=2, stride=2):
    N, C, H, W = x.shape
    H_out = (H - pool_height) // stride + 1
    W_out = (W - pool_width) // stride + 1
    sN, sC, sH, sW = x.strides
    win = as_strided(x, (N, C, H_out, W_out, pool_height, pool_width),
                     (sN, sC, sH * stride, sW * stride, sH, sW), writeable=False)
    return win.max(axis=(4, 5)), (x, pool_height, pool_width, stride)
''',
}


loops = {"conv_forward": CONV_LOOPS, "conv_backward": CONV_BACKWARD_LOOPS, **POOL_LOOPS}


CORPUS = [
    Sample("c3_loops", "naive loops with xrange", answers=loops, extra_cells=[PY2_SHIM]),
    Sample("c3_im2col", "im2col conv, vectorised pool", answers=IM2COL),
    Sample("c3_strided", "einsum over strided windows", answers=STRIDED),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "c3_loops": {},
    "c3_im2col": {},
    "c3_strided": {},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)
