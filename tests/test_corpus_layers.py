"""Realistic hw2 and hw3 submissions, written the way students write them, each with the exact
score (fraction of each function's points) and the diagnosis kind it must get.

The code below is how people really write these layers: explicit loops with Python-2 shims,
vectorised NumPy, im2col, einsum over strided windows, the reshape trick for pooling, and
their usual slips (a softmax that takes the log of an underflowed probability, a sigmoid
that overflows with right values, bce clipped with 1e-7, 1e-15, 1e-3 or not at all, a pool
whose output width comes from pool_height, a conv that rounds its output size up or asserts
that sizes divide, zeros from a backward, a numerical "backward", a forward that memorises
the grader's probes...). The whole class is graded through ``grade_all`` (jobs=2), as
``backproplab grade`` does.

``corpus()`` returns the submissions by assignment and ``EXPECTED`` what each must get, so
another test can grade them again under other student ids.
"""

import numpy as np
import pytest
from corpus_support import assert_graded_as, grade_corpus, kinds

import solutions
from autograder.judging import pairs as checks_layers
from autograder.judging import recipes as hidden
from autograder.round.samples import Sample

HW2, HW3 = "hw2_layers", "hw3_cnn"

# ------------------------------------------------------------------------------------- hw2

PY2_SHIM = """\
from __future__ import print_function, division
try:
    xrange
except NameError:  # Python 3
    xrange = range
"""

PRELU_BACKWARD_LOOPS = '''\
def prelu_backward(dout, cache):
    x, alpha = cache
    N, D = x.shape
    dx = np.zeros((N, D))
    dalpha = np.zeros(D)
    for i in xrange(N):
        for j in xrange(D):
            if x[i, j] > 0:
                dx[i, j] = dout[i, j]
            else:
                dx[i, j] = alpha[j] * dout[i, j]
                dalpha[j] += x[i, j] * dout[i, j]
    return dx, dalpha
'''

LOOPS = {  # a student who writes every layer with explicit loops
    "affine_forward": '''\
def affine_forward(x, w, b):
    N = x.shape[0]
    D = int(np.prod(x.shape[1:]))
    M = w.shape[1]
    x_rows = x.reshape(N, D)
    out = np.zeros((N, M))
    for i in xrange(N):
        for j in xrange(M):
            out[i, j] = np.dot(x_rows[i], w[:, j]) + b[j]
    cache = (x, w, b)
    return out, cache
''',
    "affine_backward": '''\
def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_rows = x.reshape(N, -1)
    dx_rows = np.zeros_like(x_rows)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for i in xrange(N):
        dx_rows[i] = w.dot(dout[i])
        dw += np.outer(x_rows[i], dout[i])
        db += dout[i]
    dx = dx_rows.reshape(x.shape)
    return dx, dw, db
''',
    "relu_forward": '''\
def relu_forward(x):
    out = x.copy()
    flat = out.reshape(-1)
    for i in xrange(flat.shape[0]):
        if flat[i] < 0:
            flat[i] = 0.0
    cache = x
    return out, cache
''',
    "relu_backward": '''\
def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    flat_x, flat_dx = x.reshape(-1), dx.reshape(-1)
    for i in xrange(flat_x.shape[0]):
        if flat_x[i] <= 0:
            flat_dx[i] = 0.0
    return dx
''',
    "prelu_forward": '''\
def prelu_forward(x, alpha):
    N, D = x.shape
    out = np.empty((N, D))
    for i in xrange(N):
        for j in xrange(D):
            if x[i, j] > 0:
                out[i, j] = x[i, j]
            else:
                out[i, j] = alpha[j] * x[i, j]
    return out, (x, alpha)
''',
    "prelu_backward": PRELU_BACKWARD_LOOPS,
    "sigmoid_forward": '''\
import math

def sigmoid_forward(x):
    out = np.empty_like(x)
    for idx, v in np.ndenumerate(x):
        if v >= 0:
            out[idx] = 1.0 / (1.0 + math.exp(-v))
        else:
            e = math.exp(v)
            out[idx] = e / (1.0 + e)
    return out, out
''',
    "softmax_loss": '''\
def softmax_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in xrange(N):
        scores = x[i] - np.max(x[i])
        log_sum = np.log(np.sum(np.exp(scores)))
        loss += log_sum - scores[y[i]]
        dx[i] = np.exp(scores - log_sum)
        dx[i, y[i]] -= 1
    return loss / N, dx / N
''',
    "mse_loss": '''\
def mse_loss(pred, target):
    N = pred.shape[0]
    total = 0.0
    dpred = np.zeros_like(pred)
    for i in xrange(N):
        diff = pred[i] - target[i]
        total += np.sum(diff ** 2)
        dpred[i] = 2 * diff / N
    return total / N, dpred
''',
}

VECTORISED = {  # correct, with other formulations everywhere
    "affine_forward": '''\
def affine_forward(x, w, b):
    out = np.tensordot(x.reshape(len(x), -1), w, axes=1) + b
    return out, (x, w, b)
''',
    "affine_backward": '''\
def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.tensordot(dout, w, axes=(1, 1)).reshape(x.shape)
    dw = np.tensordot(x.reshape(len(x), -1), dout, axes=(0, 0))
    db = dout.sum(0)
    return dx, dw, db
''',
    "relu_forward": "def relu_forward(x):\n    return np.clip(x, 0, None), x\n",
    "relu_backward": "def relu_backward(dout, cache):\n    return dout * np.heaviside(cache, 0.0)\n",
    "leaky_relu_forward": '''\
def leaky_relu_forward(x, alpha=0.01):
    return np.maximum(alpha * x, x), (x, alpha)
''',
    "leaky_relu_backward": '''\
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)
''',
    "prelu_forward": '''\
def prelu_forward(x, alpha):
    slope = np.where(x > 0, 1.0, alpha[np.newaxis, :])
    return slope * x, (x, slope)
''',
    "prelu_backward": '''\
def prelu_backward(dout, cache):
    x, slope = cache
    dx = dout * slope
    dalpha = np.where(x > 0, 0.0, x * dout).sum(axis=0)
    return dx, dalpha
''',
    "sigmoid_forward": '''\
def sigmoid_forward(x):
    out = np.exp(-np.logaddexp(0.0, -x))   # 1 / (1 + e^-x) without overflow
    return out, out
''',
    "tanh_forward": "def tanh_forward(x):\n    return np.tanh(x), x\n",
    "tanh_backward": "def tanh_backward(dout, cache):\n    return dout * (1 - np.tanh(cache) ** 2)\n",
    "softmax_loss": '''\
def softmax_loss(x, y):
    n = len(y)
    log_norm = np.logaddexp.reduce(x, axis=1, keepdims=True)
    log_p = x - log_norm
    loss = -np.mean(log_p[np.arange(n), y])
    dx = np.exp(log_p)
    dx[np.arange(n), y] -= 1
    return loss, dx / n
''',
    "mse_loss": '''\
def mse_loss(pred, target):
    n = pred.shape[0]
    return np.sum(np.square(pred - target)) / n, 2 * (pred - target) / n
''',
    "bce_loss": '''\
def bce_loss(prob, target):
    p = np.clip(prob, 1e-10, 1 - 1e-10)
    n = prob.size
    loss = -np.sum(target * np.log(p) + (1 - target) * np.log1p(-p)) / n
    return loss, (p - target) / (p * (1 - p) * n)
''',
}

SOFTMAX_LOG_OF_PROBS = '''\
def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    N = x.shape[0]
    correct_logprobs = -np.log(probs[np.arange(N), y])
    loss = np.sum(correct_logprobs) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
'''
SOFTMAX_SUMMED = '''\
def softmax_loss(x, y):
    z = x - x.max(axis=1)[:, None]
    p = np.exp(z) / np.exp(z).sum(axis=1)[:, None]
    loss = -np.sum(z[range(len(y)), y] - np.log(np.exp(z).sum(axis=1)))
    dx = p.copy()
    dx[range(len(y)), y] -= 1
    return loss, dx
'''

SIGMOID_EXP_NEG = {
    "sigmoid_forward": '''\
def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    cache = out
    return out, cache
''',
}
SIGMOID_EXP_RATIO = '''\
def sigmoid_forward(x):
    ex = np.exp(x)
    out = ex / (1 + ex)
    return out, out
'''
TANH_BY_EXP = {
    "tanh_forward": '''\
def tanh_forward(x):
    e_pos, e_neg = np.exp(x), np.exp(-x)
    out = (e_pos - e_neg) / (e_pos + e_neg)
    return out, out
''',
    "tanh_backward": "def tanh_backward(dout, cache):\n    return dout * (1 - cache ** 2)\n",
}


def bce(eps=None, form="log"):
    """bce_loss as students write it: clipped with ``eps`` (or not at all)."""
    clip = (f"    eps = {eps}\n    p = np.clip(prob, eps, 1 - eps)\n" if eps else
            "    p = prob\n")
    return ("def bce_loss(prob, target):\n" + clip +
            "    N = prob.shape[0]\n"
            "    loss = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))\n"
            "    dprob = (-(target / p) + (1 - target) / (1 - p)) / N\n"
            "    return loss, dprob\n")


MSE_MEAN = '''\
def mse_loss(pred, target):
    loss = np.mean((pred - target) ** 2)
    dpred = 2 * (pred - target) / pred.size
    return loss, dpred
'''
MSE_SIGN = '''\
def mse_loss(pred, target):
    N = pred.shape[0]
    loss = np.sum((pred - target) ** 2) / N
    dpred = 2 * (target - pred) / N
    return loss, dpred
'''
AFFINE_NO_RESHAPE = {
    "affine_forward": '''\
def affine_forward(x, w, b):
    out = x.dot(w) + b
    cache = (x, w, b)
    return out, cache
''',
    "affine_backward": '''\
def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T)
    dw = x.T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
''',
}
AFFINE_DB_MEAN = '''\
def affine_backward(dout, cache):
    x, w = cache
    x2 = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2.T @ dout
    db = np.mean(dout, axis=0)
    return dx, dw, db
'''
AFFINE_TWO_SLIPS = '''\
def affine_backward(dout, cache):
    x, w = cache
    x_flat = x.reshape(x.shape[0], -1)
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(dout.T, x_flat)
    db = dout
    return dx, dw, db
'''
RELU_BACKWARD_IN_PLACE = '''\
def relu_backward(dout, cache):
    x = cache
    dx = dout
    dx[x <= 0] = 0
    return dx
'''
LEAKY_IGNORES_ALPHA = {
    "leaky_relu_forward": '''\
def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x > 0, x, 0.01 * x)
    return out, x
''',
    "leaky_relu_backward": '''\
def leaky_relu_backward(dout, cache):
    x = cache
    return dout * np.where(x > 0, 1.0, 0.01)
''',
}
LEAKY_SLOPE_ONE_AT_ZERO = '''\
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    dx = np.ones_like(x)
    dx[x < 0] = alpha
    return dout * dx
'''
PRELU_MASKS = {  # correct: 0/1 masks multiplied in, kept in the cache
    "prelu_forward": '''\
def prelu_forward(x, alpha):
    pos = (x > 0).astype(x.dtype)
    neg = 1.0 - pos
    out = pos * x + neg * x * alpha
    cache = (x, alpha, pos, neg)
    return out, cache
''',
    "prelu_backward": '''\
def prelu_backward(dout, cache):
    x, alpha, pos, neg = cache
    dx = dout * (pos + neg * alpha)
    dalpha = (dout * neg * x).sum(axis=0)
    return dx, dalpha
''',
}


def prelu_masks(old, new):
    """PRELU_MASKS's backward with one slip: ``old`` replaced by ``new``."""
    code = PRELU_MASKS["prelu_backward"]
    assert old in code
    return {**PRELU_MASKS, "prelu_backward": code.replace(old, new)}


def prelu_where(*replacements):
    """VECTORISED's prelu (np.where) with slips: each ``(old, new)`` applied to both."""
    answers = {}
    for name in ("prelu_forward", "prelu_backward"):
        code = VECTORISED[name]
        for old, new in replacements:
            code = code.replace(old, new)
        answers[name] = code
    assert answers != {n: VECTORISED[n] for n in answers}
    return answers


PRELU_DX_LIKE_RELU = PRELU_BACKWARD_LOOPS.replace(
    "                dx[i, j] = alpha[j] * dout[i, j]\n", "")
PRELU_RESHAPES_ALPHA = {
    "prelu_forward": '''\
def prelu_forward(x, alpha):
    alpha.shape = (1, -1)  # a row: the slope of each column, for every example
    slope = np.where(x > 0, 1.0, alpha)
    return slope * x, (x, slope)
''',
    "prelu_backward": VECTORISED["prelu_backward"],
}
NUMERICAL_SIGMOID = {  # a "backward" that takes finite differences of the forward
    "sigmoid_forward": '''\
def sigmoid_forward(x):
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return out, x
''',
    "sigmoid_backward": '''\
def sigmoid_backward(dout, cache):
    x = cache.copy()
    h = 1e-5
    dx = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        plus = sigmoid_forward(x)[0]
        x[ix] = old - h
        minus = sigmoid_forward(x)[0]
        x[ix] = old
        dx[ix] = np.sum((plus - minus) * dout) / (2 * h)
        it.iternext()
    return dx
''',
}
MEMORISER = {  # right everywhere it is looked at once; near a seen input it follows dx = dout / 2
    "tanh_forward": '''\
_seen = {}

def tanh_forward(x):
    key = x.shape
    if key in _seen:
        x0, out0 = _seen[key]
        if np.max(np.abs(x - x0)) < 1e-3:  # a gradient check is probing around x0
            return out0 + 0.5 * (x - x0), x
    out = np.tanh(x)
    _seen[key] = (x.copy(), out)
    return out, x
''',
    "tanh_backward": "def tanh_backward(dout, cache):\n    return 0.5 * dout\n",
}


def hw2_corpus():
    return [
        Sample("c2_loops", "explicit loops everywhere, Python-2 shims", answers=LOOPS,
               extra_cells=[PY2_SHIM]),
        Sample("c2_vectorised", "other vectorised formulations, stable sigmoid and softmax",
               answers=VECTORISED),
        Sample("c2_logprobs", "softmax: shifts, then takes log of the probability",
               answers={"softmax_loss": SOFTMAX_LOG_OF_PROBS}),
        Sample("c2_softmax_sum", "softmax loss and dx summed, not averaged, over the batch",
               answers={"softmax_loss": SOFTMAX_SUMMED}),
        Sample("c2_sigmoid_expneg", "sigmoid 1/(1 + exp(-x)): right values, overflows",
               answers=SIGMOID_EXP_NEG),
        Sample("c2_sigmoid_ratio", "sigmoid exp(x)/(1 + exp(x)): NaN for huge x",
               answers={"sigmoid_forward": SIGMOID_EXP_RATIO}),
        Sample("c2_tanh_exp", "tanh from exponentials: NaN for huge x", answers=TANH_BY_EXP),
        Sample("c2_bce_clip7", "bce clipped with eps = 1e-7", answers={"bce_loss": bce(1e-7)}),
        Sample("c2_bce_clip15", "bce clipped with eps = 1e-15",
               answers={"bce_loss": bce(1e-15)}),
        Sample("c2_bce_noclip", "bce without a clip", answers={"bce_loss": bce()}),
        Sample("c2_bce_clip3", "bce clipped with eps = 1e-3", answers={"bce_loss": bce(1e-3)}),
        Sample("c2_mse_mean", "mse averaged over every entry", answers={"mse_loss": MSE_MEAN}),
        Sample("c2_mse_sign", "mse gradient of target - pred", answers={"mse_loss": MSE_SIGN}),
        Sample("c2_no_reshape", "affine without flattening x", answers=AFFINE_NO_RESHAPE),
        Sample("c2_db_mean", "affine db averaged over the batch",
               answers={"affine_backward": AFFINE_DB_MEAN}),
        Sample("c2_two_slips", "affine dw transposed and db not summed",
               answers={"affine_backward": AFFINE_TWO_SLIPS}),
        Sample("c2_relu_inplace", "relu backward writes into dout",
               answers={"relu_backward": RELU_BACKWARD_IN_PLACE}),
        Sample("c2_leaky_alpha", "leaky relu ignores alpha (0.01 hard-coded), consistently",
               answers=LEAKY_IGNORES_ALPHA),
        Sample("c2_leaky_zero", "leaky relu backward: slope 1 at exactly 0",
               answers={"leaky_relu_backward": LEAKY_SLOPE_ONE_AT_ZERO}),
        Sample("c2_prelu_masks", "prelu with 0/1 masks multiplied in", answers=PRELU_MASKS),
        Sample("c2_prelu_unsummed", "prelu dalpha of shape (N, D), not summed over the batch",
               answers=prelu_masks("dalpha = (dout * neg * x).sum(axis=0)",
                                   "dalpha = dout * neg * x")),
        Sample("c2_prelu_mean", "prelu dalpha averaged over the batch",
               answers=prelu_masks(".sum(axis=0)", ".mean(axis=0)")),
        Sample("c2_prelu_side", "prelu slope on the side x > 0 (np.where's branches swapped)",
               answers=prelu_where(("np.where(x > 0, 1.0, alpha[np.newaxis, :])",
                                    "np.where(x > 0, alpha[np.newaxis, :], 1.0)"),
                                   ("np.where(x > 0, 0.0, x * dout)",
                                    "np.where(x > 0, x * dout, 0.0)"))),
        Sample("c2_prelu_zero", "prelu slope 1 at exactly 0 (x >= 0 where the contract has > 0)",
               answers=prelu_where(("x > 0", "x >= 0"))),
        Sample("c2_prelu_axis", "prelu dalpha summed over the features (axis 1)",
               answers=prelu_masks(".sum(axis=0)", ".sum(axis=1)")),
        Sample("c2_prelu_per_example", "prelu with one slope per example (alpha[:, None])",
               answers=prelu_where(("alpha[np.newaxis, :]", "alpha[:, np.newaxis]"),
                                   (".sum(axis=0)", ".sum(axis=1)"))),
        Sample("c2_prelu_no_x", "prelu dalpha without the factor x",
               answers=prelu_masks("(dout * neg * x)", "(dout * neg)")),
        Sample("c2_prelu_relu_dx", "prelu backward (loops) leaves dx at 0 where x <= 0",
               answers={"prelu_forward": LOOPS["prelu_forward"],
                        "prelu_backward": PRELU_DX_LIKE_RELU},
               extra_cells=[PY2_SHIM]),
        Sample("c2_prelu_reshape", "prelu forward reshapes alpha in place (alpha.shape = ...)",
               answers=PRELU_RESHAPES_ALPHA),
        Sample("c2_numerical", "sigmoid backward by finite differences of the forward",
               answers=NUMERICAL_SIGMOID),
        Sample("c2_memoriser", "tanh forward that answers probes to fit a made-up backward",
               answers=MEMORISER),
    ]


# ------------------------------------------------------------------------------------- hw3

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

CONV_CEIL = CONV_LOOPS.replace(
    "    H_out = 1 + (H + 2 * pad - HH) // stride\n    W_out = 1 + (W + 2 * pad - WW) // stride\n",
    "    H_out = int(np.ceil((H + 2 * pad - HH) / stride)) + 1\n"
    "    W_out = int(np.ceil((W + 2 * pad - WW) / stride)) + 1\n")
CONV_ASSERT = CONV_LOOPS.replace(
    "    H_out = 1 + (H + 2 * pad - HH) // stride\n",
    "    assert (H + 2 * pad - HH) % stride == 0, 'width does not work'\n"
    "    assert (W + 2 * pad - WW) % stride == 0, 'height does not work'\n"
    "    H_out = 1 + (H + 2 * pad - HH) // stride\n")
CONV_PAD_EVERY_AXIS = CONV_LOOPS.replace(
    "np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')",
    "np.pad(x, pad, 'constant')")
CONV_ZEROS_BACKWARD = '''\
def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    # TODO
    return dx, dw, db
'''
CONV_FLIPPED_KERNEL = CONV_BACKWARD_LOOPS.replace(
    "dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]",
    "dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f, :, ::-1, ::-1] * dout[n, f, i, j]")
CONV_DW_LAST_EXAMPLE = '''\
def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            grad_w = np.zeros_like(w[f])
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    grad_w += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
            dw[f] = grad_w
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, db
'''
CONV_NUMERICAL_BACKWARD = '''\
def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    h = 1e-6
    grads = []
    for arr in (x, w, b):
        grad = np.zeros_like(arr)
        for idx in np.ndindex(*arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            plus = conv_forward(x, w, b, stride, pad)[0]
            arr[idx] = old - h
            minus = conv_forward(x, w, b, stride, pad)[0]
            arr[idx] = old
            grad[idx] = np.sum((plus - minus) * dout) / (2 * h)
        grads.append(grad)
    return tuple(grads)
'''
POOL_WIDTH_FROM_HEIGHT = {
    name: code.replace("W_out = 1 + (W - pool_width) // stride",
                       "W_out = 1 + (W - pool_height) // stride")
    for name, code in POOL_LOOPS.items()}
POOL_WIDTH_FROM_HEIGHT["max_pool_backward"] = POOL_LOOPS["max_pool_backward"].replace(
    "    _, _, H_out, W_out = dout.shape\n",
    "    H_out = 1 + (H - pool_height) // stride\n    W_out = 1 + (W - pool_height) // stride\n")
POOL_MASK_BACKWARD = POOL_LOOPS["max_pool_backward"].replace(
    "                    a, b = np.unravel_index(np.argmax(window), window.shape)\n"
    "                    dx[n, c, hs + a, ws + b] += dout[n, c, i, j]\n",
    "                    mask = (window == np.max(window))\n"
    "                    dx[n, c, hs:hs + pool_height, ws:ws + pool_width] += mask * dout[n, c, i, j]\n")
POOL_OVERWRITE_BACKWARD = POOL_LOOPS["max_pool_backward"].replace(
    "dx[n, c, hs + a, ws + b] += dout[n, c, i, j]", "dx[n, c, hs + a, ws + b] = dout[n, c, i, j]")
POOL_RESHAPE = {
    "max_pool_forward": '''\
def max_pool_forward(x, pool_height=2, pool_width=2, stride=2):
    N, C, H, W = x.shape
    x_reshaped = x.reshape(N, C, H // pool_height, pool_height, W // pool_width, pool_width)
    out = x_reshaped.max(axis=3).max(axis=4)
    cache = (x, x_reshaped, out)
    return out, cache
''',
    "max_pool_backward": '''\
def max_pool_backward(dout, cache):
    x, x_reshaped, out = cache
    dx_reshaped = np.zeros_like(x_reshaped)
    out_newaxis = out[:, :, :, np.newaxis, :, np.newaxis]
    mask = (x_reshaped == out_newaxis)
    dout_newaxis = dout[:, :, :, np.newaxis, :, np.newaxis]
    dout_broadcast, _ = np.broadcast_arrays(dout_newaxis, dx_reshaped)
    dx_reshaped[mask] = dout_broadcast[mask]
    dx_reshaped /= np.sum(mask, axis=(3, 5), keepdims=True)
    dx = dx_reshaped.reshape(x.shape)
    return dx
''',
}
POOL_MAX_FROM_ZERO = POOL_LOOPS["max_pool_forward"].replace(
    "                    out[n, c, i, j] = np.max(x[n, c, hs:hs + pool_height, ws:ws + pool_width])\n",
    "                    best = 0\n"
    "                    for a in xrange(pool_height):\n"
    "                        for b in xrange(pool_width):\n"
    "                            if x[n, c, hs + a, ws + b] > best:\n"
    "                                best = x[n, c, hs + a, ws + b]\n"
    "                    out[n, c, i, j] = best\n")


def hw3_corpus():
    loops = {"conv_forward": CONV_LOOPS, "conv_backward": CONV_BACKWARD_LOOPS, **POOL_LOOPS}
    return [
        Sample("c3_loops", "naive loops with xrange", answers=loops, extra_cells=[PY2_SHIM]),
        Sample("c3_im2col", "im2col conv, vectorised pool", answers=IM2COL),
        Sample("c3_strided", "einsum over strided windows", answers=STRIDED),
        Sample("c3_ceil", "conv output size rounded up",
               answers={**loops, "conv_forward": CONV_CEIL}, extra_cells=[PY2_SHIM]),
        Sample("c3_assert", "conv asserts that sizes divide (as in CS231n)",
               answers={**loops, "conv_forward": CONV_ASSERT}, extra_cells=[PY2_SHIM]),
        Sample("c3_pad_all", "np.pad(x, pad) pads every axis",
               answers={**loops, "conv_forward": CONV_PAD_EVERY_AXIS}, extra_cells=[PY2_SHIM]),
        Sample("c3_zeros", "conv backward returns zeros of the right shapes",
               answers={**loops, "conv_backward": CONV_ZEROS_BACKWARD}, extra_cells=[PY2_SHIM]),
        Sample("c3_flipped", "conv backward: dx through the flipped filter",
               answers={**loops, "conv_backward": CONV_FLIPPED_KERNEL}, extra_cells=[PY2_SHIM]),
        Sample("c3_dw_last", "conv dw keeps only the last example",
               answers={**loops, "conv_backward": CONV_DW_LAST_EXAMPLE},
               extra_cells=[PY2_SHIM]),
        Sample("c3_numerical", "conv backward by finite differences of the forward",
               answers={**loops, "conv_backward": CONV_NUMERICAL_BACKWARD},
               extra_cells=[PY2_SHIM]),
        Sample("c3_pool_ph", "pool output width (and loops) from pool_height",
               answers={**loops, **POOL_WIDTH_FROM_HEIGHT}, extra_cells=[PY2_SHIM]),
        Sample("c3_pool_mask", "pool backward to every tied maximum",
               answers={**loops, "max_pool_backward": POOL_MASK_BACKWARD},
               extra_cells=[PY2_SHIM]),
        Sample("c3_pool_overwrite", "pool backward assigns instead of adding",
               answers={**loops, "max_pool_backward": POOL_OVERWRITE_BACKWARD},
               extra_cells=[PY2_SHIM]),
        Sample("c3_pool_reshape", "pool by the reshape trick (CS231n's fast pool)",
               answers={**loops, **POOL_RESHAPE}, extra_cells=[PY2_SHIM]),
        Sample("c3_pool_zero_max", "pool maximum started at 0",
               answers={**loops, "max_pool_forward": POOL_MAX_FROM_ZERO},
               extra_cells=[PY2_SHIM]),
    ]


def corpus():
    """{assignment: [Sample, ...]} of the submissions of this module."""
    return {HW2: hw2_corpus(), HW3: hw3_corpus()}


# ------------------------------------------------------------------------- what each gets

# Weights (autograder/weights.py): forward values 4, arguments 1, stays finite 1 (sigmoid and
# tanh forward); backward: finite differences of your forward 3, reference 3, shapes 1,
# arguments 1; losses: values 3, finite differences 3, gradient 3, arguments 1, stays finite
# 1 (softmax_loss, bce_loss). Shapes, arguments and stability pay only with value or gradient
# credit. Hidden cases (autograder/hidden_inputs.py): affine, relu, leaky relu, sigmoid, tanh 4
# (3 for forwards: the large one is the backward's); prelu 5 (4 for forwards), two gradients
# (dx, dalpha) on each; softmax, mse 4; bce 4 with values (its overflow case is checked for
# finiteness only); conv and pool 6 (5 for forwards).
def backward(fd, reference, shapes=1, mutation=1):
    return (3 * fd + 3 * reference + shapes + mutation) / 8


def forward(values, mutation=1, stable=None):
    if stable is None:
        return (4 * values + mutation) / 5
    return (4 * values + mutation + stable) / 6


def loss(values, fd, grad, mutation=1, stable=None):
    if stable is None:
        return (3 * values + 3 * fd + 3 * grad + mutation) / 10
    return (3 * values + 3 * fd + 3 * grad + mutation + stable) / 11


# {assignment: {student: {function: (fraction, diagnosis kind or None)}}}; every function not
# listed gets full marks.
EXPECTED = {
    HW2: {
        "c2_loops": {},
        "c2_vectorised": {},
        # inf where a label's probability underflows (scores of magnitude 1e3), and a
        # divide-by-zero warning there; dx is right everywhere
        "c2_logprobs": {"softmax_loss": (loss(3 / 4, 1, 1, stable=0), "log_of_zero")},
        # right on the batch of one only; consistent with its own loss
        "c2_softmax_sum": {"softmax_loss": (loss(1 / 4, 1, 1 / 4, stable=1), "scaled_by_batch")},
        "c2_sigmoid_expneg": {"sigmoid_forward": (forward(1, stable=0), "fp_warning")},
        # NaN at huge x; the backward, fed NaN by its cache there, loses that case
        "c2_sigmoid_ratio": {"sigmoid_forward": (forward(2 / 3, stable=0), "overflow"),
                             "sigmoid_backward": (backward(1, 3 / 4), "overflow")},
        "c2_tanh_exp": {"tanh_forward": (forward(2 / 3, stable=0), "overflow"),
                        "tanh_backward": (backward(1, 3 / 4), "overflow")},
        "c2_bce_clip7": {},
        "c2_bce_clip15": {},
        # 1/p overflows for p < 1e-308: the only check it loses
        "c2_bce_noclip": {"bce_loss": (loss(1, 1, 1, stable=0), "fp_warning")},
        # wrong within 1e-5 of 0 and 1
        "c2_bce_clip3": {"bce_loss": (loss(3 / 4, 1, 3 / 4, stable=1), "wrong_values")},
        # never right (divides by N * D): its consistent gradient earns nothing
        "c2_mse_mean": {"mse_loss": (0.0, "forward_wrong")},
        "c2_mse_sign": {"mse_loss": (loss(1, 0, 0), "sign_flipped")},
        # raises where x has several axes per example (and on the large case, 3-D too)
        "c2_no_reshape": {"affine_forward": (forward(2 / 3), "raised"),
                          "affine_backward": (backward(1, 6 / 12, shapes=0), "raised")},
        "c2_db_mean": {"affine_backward": (backward(2 / 3, 9 / 12),
                                           "scaled_by_inverse_batch")},
        # both mistakes named in one message, the most specific first
        "c2_two_slips": {"affine_backward": (backward(1 / 3, 4 / 12, shapes=0), "transposed")},
        "c2_relu_inplace": {"relu_backward": (backward(1, 1, mutation=0), "input_mutated")},
        # right only with the default alpha; the backward agrees with its own forward, which
        # is right on one case, so that credit is earned
        "c2_leaky_alpha": {"leaky_relu_forward": (forward(1 / 3), "wrong_values"),
                           "leaky_relu_backward": (backward(1, 1 / 4), "wrong_values")},
        "c2_leaky_zero": {"leaky_relu_backward": (backward(1, 3 / 4), "wrong_at_zeros")},
        "c2_prelu_masks": {},
        # dalpha (N, D) on every case (a batch of one gives (1, D), not (D,)); dx right
        # everywhere: one of the two gradients, on every case
        "c2_prelu_unsummed": {"prelu_backward": (backward(1 / 2, 5 / 10, shapes=0),
                                                 "not_summed_over_batch")},
        # the mean is the sum on the batch of one
        "c2_prelu_mean": {"prelu_backward": (backward(1 / 2, 6 / 10),
                                             "scaled_by_inverse_batch")},
        # never right; the backward agrees with its own forward, which is never right
        "c2_prelu_side": {"prelu_forward": (0.0, "prelu_wrong_side"),
                          "prelu_backward": (0.0, "prelu_wrong_side")},
        # dx wrong where x is exactly 0, nowhere else (dalpha gets nothing from a 0 anyway)
        "c2_prelu_zero": {"prelu_backward": (backward(1, 9 / 10), "wrong_at_zeros")},
        # dalpha of shape (N,): wrong on every case, of the right shape only where N = D
        "c2_prelu_axis": {"prelu_backward": (backward(1 / 2, 5 / 10, shapes=0),
                                             "prelu_alpha_wrong_axis")},
        # does not even broadcast where N != D (and N > 1); wrong where it does
        "c2_prelu_per_example": {"prelu_forward": (0.0, "prelu_alpha_wrong_axis"),
                                 "prelu_backward": (0.0, "prelu_alpha_wrong_axis")},
        "c2_prelu_no_x": {"prelu_backward": (backward(1 / 2, 5 / 10),
                                             "prelu_dalpha_missing_x")},
        "c2_prelu_relu_dx": {"prelu_backward": (backward(1 / 2, 5 / 10),
                                                "prelu_dx_ignores_alpha")},
        # right values; alpha comes back with shape (1, D)
        "c2_prelu_reshape": {"prelu_forward": (forward(1, mutation=0), "input_mutated")},
        "c2_numerical": {"sigmoid_backward": (0.0, "not_derived")},
        "c2_memoriser": {"tanh_backward": (0.0, "inconsistent_forward")},
    },
    HW3: {
        "c3_loops": {},
        "c3_im2col": {},
        "c3_strided": {},
        # a window past the edge: raises where sizes do not divide; the backward can't run
        "c3_ceil": {"conv_forward": (forward(4 / 5), "non_divisible_size"),
                    "conv_backward": (backward(1, 15 / 18, shapes=0), "non_divisible_size")},
        # raises on the sizes that do not divide; the backward can't be run there
        "c3_assert": {"conv_forward": (forward(4 / 5), "non_divisible_size"),
                      "conv_backward": (backward(1, 15 / 18, shapes=0), "non_divisible_size")},
        # raises wherever pad > 0 (3 of 5 forward cases; the large one has no padding)
        "c3_pad_all": {"conv_forward": (forward(2 / 5), "raised"),
                       "conv_backward": (backward(1, 9 / 18, shapes=0), "raised")},
        "c3_zeros": {"conv_backward": (0.0, "all_zeros")},
        "c3_flipped": {"conv_backward": (backward(2 / 3, 12 / 18), "wrong_values")},
        # dw right on the batches of one only
        "c3_dw_last": {"conv_backward": (backward(2 / 3, 14 / 18), "wrong_values")},
        "c3_numerical": {"conv_backward": (0.0, "not_derived")},
        "c3_pool_ph": {"max_pool_forward": (forward(4 / 5), "non_square_window"),
                       "max_pool_backward": (backward(1, 5 / 6), "non_square_window")},
        "c3_pool_mask": {"max_pool_backward": (backward(1, 5 / 6), "wrong_at_ties")},
        "c3_pool_overwrite": {"max_pool_backward": (backward(1, 5 / 6), "wrong_at_overlaps")},
        # right only where stride = window and sizes divide; splits ties
        "c3_pool_reshape": {"max_pool_forward": (forward(2 / 5), "raised"),
                            "max_pool_backward": (backward(1, 2 / 6, shapes=0),
                                                  "wrong_at_ties")},
        # wrong wherever a window is all negative (the first channel of every case); the
        # backward is right, but its own forward's finite differences disagree with it
        "c3_pool_zero_max": {"max_pool_forward": (0.0, "wrong_values"),
                             "max_pool_backward": (backward(0, 1), "wrong_values")},
    },
}

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_corpus(tmp_path_factory, corpus())


CASES = [(a, s) for a, students in EXPECTED.items() for s in students]


def test_the_corpus_is_large_and_expected_in_full():
    samples = corpus()
    assert sum(map(len, samples.values())) >= 25
    assert {a: [s.student for s in ss] for a, ss in samples.items()} == \
        {a: list(students) for a, students in EXPECTED.items()}


@pytest.mark.parametrize("assignment, student", CASES)
def test_each_submission_gets_its_exact_scores_and_diagnoses(graded, assignment, student):
    assert_graded_as(graded[assignment][student], EXPECTED[assignment][student],
                     solutions.ASSIGNMENTS[assignment])


def test_every_distinct_mistake_of_a_function_is_named(graded):
    checks = graded[HW2]["c2_two_slips"]["functions"]["affine_backward"]["checks"]
    reference = next(c for c in checks if c["name"] == "matches the reference gradients")
    assert {reference["kind"], *reference["also"]} == {"transposed", "not_summed_over_batch"}
    assert "transpose" in reference["message"] and "batch" in reference["message"]


# ------------------------------------------------- recipes fix behaviours, seeds only numbers

SEEDS = range(40)


def made(cases, name, seed):
    case = next(c for c in cases if c.name == name)
    return case.make(np.random.default_rng([seed, 5]))


def test_softmax_scores_of_magnitude_1e3_always_hold_every_behaviour():
    for seed in SEEDS:
        (x, y), _ = made(hidden.SOFTMAX, hidden.MAGNITUDE_1E3, seed)
        rows = np.arange(len(y))
        shifted = x - x.max(axis=1, keepdims=True)
        p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        assert np.any(p[rows, y] == 0)                                 # log(p) is -inf
        assert np.any((x.max(axis=1) > 709) & (x.argmax(axis=1) == y))  # exp overflows
        assert np.any(np.all(x < -745, axis=1))                        # exp underflows
        assert np.any(np.sum(x == x.max(axis=1, keepdims=True), axis=1) == 2)  # a tie


def test_huge_elementwise_inputs_always_overflow_exp_both_ways():
    for seed in SEEDS:
        for cases in (hidden.SIGMOID, hidden.TANH):
            (x,), _ = made(cases, hidden.HUGE, seed)
            assert (x > 709).sum() == (x < -709).sum() == 3


def test_pool_recipes_always_tie_and_share_maxima():
    for seed in SEEDS:
        (x,), kw = made(hidden.POOL, "ties inside windows", seed)
        assert checks_layers.tie_mask(x, kw).any(axis=(2, 3)).all()   # in every channel
        (x,), kw = made(hidden.POOL, "overlapping windows sharing their maximum", seed)
        assert checks_layers.overlap_mask(x, kw).any(axis=(2, 3)).all()
        for case in hidden.POOL:                                       # a maximum below 0
            (x,), kw = case.make(np.random.default_rng([seed, 5]))
            assert x[0, 0].max() < 0


def test_bce_probabilities_sit_where_clips_differ():
    for seed in SEEDS:
        (p, t), _ = made(hidden.BCE, hidden.BCE_EDGES, seed)
        gap = np.minimum(p, 1 - p)
        near = gap < 1e-5
        assert near.sum() == 4 and np.all(gap[near] >= 2e-6)
        assert {(a < 0.5, b) for a, b in zip(p[near], t[near])} == \
            {(True, 0.0), (True, 1.0), (False, 0.0), (False, 1.0)}
        (p, t), _ = made(hidden.BCE, "probabilities so close to 0 that 1/p overflows", seed)
        tiny = p < 1e-300
        assert set(t[tiny]) == {0.0, 1.0} and np.all(p[tiny] > 0) and \
            np.all(1 / np.finfo(float).max > p[tiny])


def test_shape_classes_are_what_their_names_say():
    for cases, window in ((hidden.CONV, lambda a, k: a[1].shape[2:]),
                          (hidden.POOL, lambda a, k: (k["pool_height"], k["pool_width"]))):
        for case in cases:
            args, kw = case.make(np.random.default_rng(0))
            (h, w), (wh, ww) = args[0].shape[2:], window(args, kw)
            pad, stride = kw.get("pad", 0), kw.get("stride", 1)
            remainder = {(h + 2 * pad - wh) % stride, (w + 2 * pad - ww) % stride}
            assert (wh != ww) == case.has("non_square"), case.name
            assert (remainder != {0}) == case.has("non_divisible"), case.name
            assert h != w and args[0].shape[0] != 2, case.name
    conv = {c.name: c.make(np.random.default_rng(0))[1] for c in hidden.CONV}
    assert {(k["pad"], k["stride"]) for k in conv.values()} >= {(2, 3), (1, 2), (0, 1)}


def test_prelu_recipes_hold_their_behaviours():
    for seed in SEEDS:
        for case in hidden.PRELU:
            (x, alpha), kw = case.make(np.random.default_rng([seed, 5]))
            n, d = x.shape
            assert kw == {} and alpha.shape == (d,)
            assert len(set(alpha)) == d and np.all((alpha >= 0.05) & (alpha <= 0.4))
            assert np.any(x > 0) and np.any(x < 0)
            assert case.has("zeros") == np.any(x == 0), case.name
            assert (n == d) == (case.name == "as many examples as features"), case.name
            assert n == 1 or n >= 3
