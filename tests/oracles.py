"""Independent oracles for the reference solutions (DESIGN.md, rule 6).

Nothing here imports ``solutions`` or ``backproplab``: every formulation is written again, in a
different way than the solution library, so that a test comparing the two can fail.

- Finite differences: ``fd_grad`` (scalar functions) and ``fd_vjp`` (array functions, the
  gradient of ``sum(f(x) * dout)``), both central and float64.
- Forward formulations in ``autograd.numpy`` (so ``autograd.grad`` gives the backward):
  affine by ``einsum``, relu by ``where``, leaky relu as ``alpha x + (1 - alpha) relu(x)``,
  prelu as ``relu(x)`` plus each feature's slope times ``x - relu(x)`` (an ``einsum``),
  sigmoid as ``(1 + tanh(x / 2)) / 2``, tanh from ``exp``, softmax loss by ``logsumexp`` and a
  one-hot dot product, bce as ``-log(likelihood)``, conv as an explicit sum over kernel offsets,
  max pool by reshaping windows (non-overlapping) or stacking them (any stride).
- ``max_pool_tie_backward``: the tie rule in plain NumPy (first maximum in row-major order).
- ``rel_error`` and the no-mutation helpers shared by the test files.

Relative error convention (norm-based, infinity norm)::

    rel_error(a, b) = max_i |a_i - b_i| / max(max_i |a_i| + max_i |b_i|, 1e-300)

It is 0 for equal arrays and at most 1; unlike the elementwise CS231n form it does not blow up
on entries that are zero by structure (a dead relu unit, a padded pixel) where a finite
difference leaves a 1e-12 residue.
"""
import copy

import autograd.numpy as anp
import numpy as np
from autograd import grad
from autograd.scipy.special import logsumexp

# ----------------------------------------------------------------------------------------------
# Comparisons
# ----------------------------------------------------------------------------------------------

FD_RTOL = 1e-8       # finite differences, well-conditioned inputs (DESIGN rule 6, brief item 5)
EXACT_RTOL = 1e-11   # analytic vs analytic (autograd): only summation order differs


def rel_error(a, b):
    """Norm-based relative error ``max|a-b| / max(max|a| + max|b|, 1e-300)``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    if a.size == 0:
        return 0.0
    num = np.max(np.abs(a - b))
    den = max(np.max(np.abs(a)) + np.max(np.abs(b)), 1e-300)
    return float(num / den)


def assert_rel(actual, expected, tol, what="", atol=0.0):
    """``rel_error(actual, expected) <= tol``, or else every entry within ``atol``."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert np.all(np.isfinite(actual)), f"{what}: non-finite values"
    err = rel_error(actual, expected)
    if err > tol and atol > 0:
        assert np.max(np.abs(actual - expected)) <= atol, (
            f"{what}: relative error {err:.3e} > {tol:.0e} and absolute error "
            f"{np.max(np.abs(actual - expected)):.3e} > {atol:.0e}")
        return err
    assert err <= tol, f"{what}: relative error {err:.3e} > {tol:.0e}"
    return err


# ----------------------------------------------------------------------------------------------
# Central finite differences
# ----------------------------------------------------------------------------------------------

def _steps(x, idx, h):
    """x + h e_idx and x - h e_idx, with the step actually taken (x + h is rounded)."""
    xp = x.copy()
    xm = x.copy()
    xp[idx] = x[idx] + h
    xm[idx] = x[idx] - h
    return xp, xm, (xp[idx] - xm[idx])


def fd_grad(f, x, h=1e-5):
    """Central differences of a scalar function ``f`` at ``x`` (x is never modified)."""
    x = np.array(x, dtype=np.float64)
    g = np.empty_like(x)
    for idx in np.ndindex(*x.shape):
        xp, xm, step = _steps(x, idx, h)
        g[idx] = (float(f(xp)) - float(f(xm))) / step
    return g


def fd_vjp(f, x, dout, h=1e-5):
    """Central differences of ``sum(f(x) * dout)`` with respect to ``x``.

    The two outputs are subtracted before the sum: outputs not touched by ``x[idx]`` cancel
    exactly, which keeps round-off at the level of the entries that do change.
    """
    x = np.array(x, dtype=np.float64)
    g = np.empty_like(x)
    for idx in np.ndindex(*x.shape):
        xp, xm, step = _steps(x, idx, h)
        g[idx] = np.sum((np.asarray(f(xp)) - np.asarray(f(xm))) * dout) / step
    return g


def fd_vjp_arg(f, args, k, dout, h=1e-5):
    """``fd_vjp`` with respect to positional argument ``k`` of ``f(*args)``."""
    args = list(args)

    def fk(a):
        return f(*args[:k], a, *args[k + 1:])

    return fd_vjp(fk, args[k], dout, h)


def vjp(f, x, dout):
    """autograd gradient of ``sum(f(x) * dout)``."""
    return grad(lambda z: anp.sum(f(z) * dout))(np.array(x, dtype=np.float64))


def vjp_arg(f, args, k, dout):
    args = list(args)
    return vjp(lambda a: f(*args[:k], a, *args[k + 1:]), args[k], dout)


# ----------------------------------------------------------------------------------------------
# Assignment 1: the lecture example, written in one line
# ----------------------------------------------------------------------------------------------

def lecture_example(x, z):
    return anp.exp(x * z) + x * z / anp.log(x) + anp.sin(anp.log(x)) / (x * z)


# ----------------------------------------------------------------------------------------------
# Assignment 2: layers and losses
# ----------------------------------------------------------------------------------------------

def affine(x, w, b):
    n = x.shape[0]
    return anp.einsum("nd,dm->nm", anp.reshape(x, (n, -1)), w) + anp.reshape(b, (1, -1))


def relu(x):
    return anp.where(x > 0, x, 0.0 * x)          # derivative 0 at exactly 0


def leaky_relu(x, alpha=0.01):
    return alpha * x + (1.0 - alpha) * relu(x)   # derivative alpha at exactly 0


def prelu(x, alpha):
    """One slope per feature (column): relu(x) + (x - relu(x)) alpha_d. The derivative for x
    at exactly 0 is alpha (from x - relu(x)), the one for alpha is min(x, 0)."""
    positive = relu(x)
    return positive + anp.einsum("nd,d->nd", x - positive, alpha)


def sigmoid(x):
    return 0.5 * (1.0 + anp.tanh(0.5 * x))


def tanh(x):
    """tanh from expm1 (accurate near 0), for moderate |x| (< 300) only."""
    e = anp.expm1(2.0 * x)
    return e / (e + 2.0)


def one_hot(y, c):
    out = np.zeros((len(y), c))
    for i, label in enumerate(y):
        out[i, int(label)] = 1.0
    return out


def softmax_loss(x, y):
    n, c = x.shape
    return anp.sum(logsumexp(x, axis=1) - anp.sum(one_hot(y, c) * x, axis=1)) / n


def softmax_probs(x):
    return anp.exp(x - logsumexp(x, axis=1, keepdims=True))


def mse(pred, target):
    n = pred.shape[0]
    d = anp.reshape(pred - target, (-1,))
    return anp.dot(d, d) / n


def bce(prob, target):
    """-mean log likelihood, with likelihood t p + (1 - t)(1 - p) for t in {0, 1}."""
    likelihood = target * prob + (1.0 - target) * (1.0 - prob)
    return -anp.mean(anp.log(likelihood))


def two_layer_net_loss(w1, b1, w2, b2, x, y):
    """affine - relu - affine - softmax loss, in one expression."""
    return softmax_loss(affine(relu(affine(x, w1, b1)), w2, b2), y)


# ----------------------------------------------------------------------------------------------
# Assignment 3: convolution and max pooling
# ----------------------------------------------------------------------------------------------

def zero_pad(x, pad):
    """Zero padding of the last two axes by concatenation (differentiable in autograd)."""
    if pad == 0:
        return x
    n, c, h, w = x.shape
    cols = anp.zeros((n, c, h, pad))
    x = anp.concatenate([cols, x, cols], axis=3)
    rows = anp.zeros((n, c, pad, w + 2 * pad))
    return anp.concatenate([rows, x, rows], axis=2)


def conv_out_size(h, k, stride, pad):
    return 1 + (h + 2 * pad - k) // stride


def conv(x, w, b, stride=1, pad=0):
    """Cross-correlation as a sum over kernel offsets (i, j): each offset is a strided slice of
    the padded input contracted with ``w[:, :, i, j]`` over channels."""
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    ho = conv_out_size(h, hh, stride, pad)
    wo = conv_out_size(wd, ww, stride, pad)
    xp = zero_pad(x, pad)
    out = anp.reshape(b, (1, f, 1, 1)) * anp.ones((n, f, ho, wo))
    for i in range(hh):
        for j in range(ww):
            patch = xp[:, :, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride]
            out = out + anp.einsum("nchw,fc->nfhw", patch, w[:, :, i, j])
    return out


def pool_windows(x, ph, pw, stride):
    """Stack the window entries on a last axis, in row-major order of the offset (i, j)."""
    _, _, h, w = x.shape
    ho = 1 + (h - ph) // stride
    wo = 1 + (w - pw) // stride
    parts = [x[:, :, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride]
             for i in range(ph) for j in range(pw)]
    return anp.stack(parts, axis=-1)


def max_pool(x, ph=2, pw=2, stride=2):
    return anp.max(pool_windows(x, ph, pw, stride), axis=-1)


def max_pool_reshape(x, ph=2, pw=2):
    """Non-overlapping max pool (stride = window) by reshaping; crops the leftover edge."""
    n, c, h, w = x.shape
    ho, wo = h // ph, w // pw
    x = x[:, :, :ho * ph, :wo * pw]
    return anp.max(anp.reshape(x, (n, c, ho, ph, wo, pw)), axis=(3, 5))


def max_pool_tie_backward(x, dout, ph, pw, stride):
    """Our own tie rule: scan each window's offsets in row-major order and keep the first entry
    strictly greater than everything before it; that entry receives the window's gradient."""
    x = np.asarray(x, dtype=np.float64)
    n, c, h, w = x.shape
    ho = 1 + (h - ph) // stride
    wo = 1 + (w - pw) // stride
    best = np.full((n, c, ho, wo), -np.inf)
    best_i = np.zeros((n, c, ho, wo), dtype=int)
    best_j = np.zeros((n, c, ho, wo), dtype=int)
    for i in range(ph):
        for j in range(pw):
            v = x[:, :, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride]
            better = v > best
            best = np.where(better, v, best)
            best_i = np.where(better, i, best_i)
            best_j = np.where(better, j, best_j)
    dx = np.zeros_like(x)
    for nn in range(n):
        for cc in range(c):
            for r in range(ho):
                for q in range(wo):
                    dx[nn, cc, r * stride + best_i[nn, cc, r, q],
                       q * stride + best_j[nn, cc, r, q]] += dout[nn, cc, r, q]
    return dx


# ----------------------------------------------------------------------------------------------
# Assignment 4: regularization
# ----------------------------------------------------------------------------------------------

def dropout_with_mask(x, keep, p):
    """Inverted dropout with a given 0/1 keep mask."""
    return x * keep / (1.0 - p)


def l2(params, reg):
    total = 0.0
    for p in params:
        flat = anp.reshape(p, (-1,))
        total = total + anp.dot(flat, flat)
    return reg * total


# ----------------------------------------------------------------------------------------------
# No function changes its arguments
# ----------------------------------------------------------------------------------------------

def _same(a, b):
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (int, float, complex, str, bytes, bool, type(None), np.generic)):
        return a == b or (a != a and b != b)
    return True   # callables, generators (consumed by design), operations: not data


def call_unchanged(fn, *args, **kwargs):
    """Call ``fn`` and assert that no argument (arrays, nested lists/tuples/dicts) changed."""
    before_args = copy.deepcopy(args)
    before_kwargs = copy.deepcopy(kwargs)
    result = fn(*args, **kwargs)
    for k, (now, then) in enumerate(zip(args, before_args)):
        assert _same(now, then), f"{getattr(fn, '__name__', fn)} modified argument {k}"
    for k in kwargs:
        assert _same(kwargs[k], before_kwargs[k]), f"{fn.__name__} modified argument {k!r}"
    return result
