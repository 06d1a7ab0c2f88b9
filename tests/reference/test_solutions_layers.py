"""hw2_layers: affine, activations, losses and the backprop loop.

Every backward is checked against central finite differences of the solution's own forward,
against autograd of an independent formulation (tests/oracles.py), against hand values, and with
hypothesis over shapes and awkward inputs (exact zeros, huge magnitudes); no argument may change.
"""
import functools
import math
import warnings

import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import oracles as O
from solutions import (
    affine_backward, affine_forward, backprop, bce_loss, leaky_relu_backward,
    leaky_relu_forward, mse_loss, prelu_backward, prelu_forward, relu_backward, relu_forward,
    sigmoid_backward, sigmoid_forward, softmax_loss, tanh_backward, tanh_forward,
)

SEEDS = st.integers(0, 2**32 - 1)


def strict_fp():
    """Overflow, invalid and divide-by-zero raise; so does any Python warning.

    Underflow (a result below 1e-308 rounded to 0, e.g. exp(-1e4)) is left at NumPy's default
    (ignored): it is the correctly rounded answer, not an error.
    """
    return np.errstate(over="raise", invalid="raise", divide="raise", under="ignore")


# ================================================================ affine

AFFINE_SHAPES = [((1, 3), 2), ((4, 5), 3), ((3, 2, 3, 2), 4), ((2, 7), 1), ((1, 1, 1), 1)]


def affine_case(x_shape, m, seed):
    rng = np.random.default_rng(seed)
    d = int(np.prod(x_shape[1:]))
    return rng.normal(size=x_shape), rng.normal(size=(d, m)), rng.normal(size=m), rng


def check_affine(x, w, b, rng, fd=True):
    out, cache = O.call_unchanged(affine_forward, x, w, b)
    O.assert_rel(out, O.affine(x, w, b), O.EXACT_RTOL, "affine forward")
    dout = rng.normal(size=out.shape)
    dx, dw, db = O.call_unchanged(affine_backward, dout, cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    fwd = lambda *a: affine_forward(*a)[0]  # noqa: E731
    for k, g in enumerate((dx, dw, db)):
        O.assert_rel(g, O.vjp_arg(O.affine, (x, w, b), k, dout), O.EXACT_RTOL, f"affine d{k} ad")
        if fd:
            O.assert_rel(g, O.fd_vjp_arg(fwd, (x, w, b), k, dout), O.FD_RTOL, f"affine d{k} fd")


@pytest.mark.parametrize("x_shape,m", AFFINE_SHAPES)
def test_affine_against_fd_and_autograd(x_shape, m):
    check_affine(*affine_case(x_shape, m, 3))


def test_affine_by_hand():
    x = np.array([[[1.0, 2.0]], [[3.0, 4.0]]])          # (2, 1, 2): flattened to (2, 2)
    w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
    b = np.array([0.5, -1.0, 0.0])
    out, cache = affine_forward(x, w, b)
    np.testing.assert_array_equal(out, [[5.5, 1.0, 0.0], [11.5, 3.0, -1.0]])
    dx, dw, db = affine_backward(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]), cache)
    np.testing.assert_array_equal(dx, [[[1.0, 2.0]], [[-2.0, 1.0]]])
    np.testing.assert_array_equal(dw, [[1.0, 0.0, 6.0], [2.0, 0.0, 8.0]])
    np.testing.assert_array_equal(db, [1.0, 0.0, 2.0])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), dims=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       m=st.integers(1, 4), seed=SEEDS)
def test_affine_random_shapes(n, dims, m, seed):
    check_affine(*affine_case((n, *dims), m, seed), fd=(np.prod(dims) <= 6))


# ================================================================ activations

ACTIVATIONS = {
    "relu": (relu_forward, relu_backward, O.relu, {}),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward, O.leaky_relu, {}),
    "leaky_relu_0.2": (leaky_relu_forward, leaky_relu_backward,
                       functools.partial(O.leaky_relu, alpha=0.2), {"alpha": 0.2}),
    "sigmoid": (sigmoid_forward, sigmoid_backward, O.sigmoid, {}),
    "tanh": (tanh_forward, tanh_backward, O.tanh, {}),
}


def away_from_kinks(rng, shape, lo=0.1, hi=3.0):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(lo, hi, shape)


def check_activation(name, x, dout, fd=True):
    fwd, bwd, ref, kw = ACTIVATIONS[name]
    out, cache = O.call_unchanged(fwd, x, **kw)
    O.assert_rel(out, ref(x), O.EXACT_RTOL, f"{name} forward")
    dx = O.call_unchanged(bwd, dout, cache)
    assert dx.shape == x.shape
    O.assert_rel(dx, O.vjp(ref, x, dout), O.EXACT_RTOL, f"{name} backward vs autograd")
    if fd:
        O.assert_rel(dx, O.fd_vjp(lambda v: fwd(v, **kw)[0], x, dout), O.FD_RTOL,
                     f"{name} backward vs fd")
    return out, dx


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(1, 1), (4, 3), (2, 3, 2)])
def test_activation_against_fd_and_autograd(name, shape):
    rng = np.random.default_rng(11)
    check_activation(name, away_from_kinks(rng, shape), rng.normal(size=shape))


def test_relu_and_leaky_relu_by_hand_at_zero():
    x = np.array([[-2.0, 0.0, -0.0, 3.0]])
    dout = np.array([[1.0, 5.0, 7.0, 2.0]])
    out, cache = relu_forward(x)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(relu_backward(dout, cache), [[0.0, 0.0, 0.0, 2.0]])
    out, cache = leaky_relu_forward(x, alpha=0.1)
    np.testing.assert_allclose(out, [[-0.2, 0.0, 0.0, 3.0]], rtol=0, atol=1e-16)
    np.testing.assert_allclose(leaky_relu_backward(dout, cache), [[0.1, 0.5, 0.7, 2.0]],
                               rtol=1e-15)
    _, cache = leaky_relu_forward(x)                       # default alpha = 0.01
    np.testing.assert_allclose(leaky_relu_backward(dout, cache), [[0.01, 0.05, 0.07, 2.0]],
                               rtol=1e-15)


def test_sigmoid_tanh_by_hand():
    out, cache = sigmoid_forward(np.array([0.0, math.log(3.0)]))
    np.testing.assert_allclose(out, [0.5, 0.75], rtol=1e-15)
    np.testing.assert_allclose(sigmoid_backward(np.array([1.0, 2.0]), cache),
                               [0.25, 2 * 0.75 * 0.25], rtol=1e-15)
    out, cache = tanh_forward(np.array([0.0, math.log(2.0)]))   # tanh(ln 2) = 3/5
    np.testing.assert_allclose(out, [0.0, 0.6], rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(tanh_backward(np.array([3.0, 1.0]), cache), [3.0, 0.64],
                               rtol=1e-15)


ELEMENTS_WITH_ZEROS = st.one_of(st.just(0.0), st.just(-0.0), st.floats(-5, 5, allow_subnormal=False))


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(ACTIVATIONS)),
       x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                    elements=ELEMENTS_WITH_ZEROS),
       seed=SEEDS)
def test_activations_random_with_exact_zeros(name, x, seed):
    """Exact zeros: relu's derivative is 0, leaky relu's is alpha (autograd oracle agrees)."""
    dout = np.random.default_rng(seed).normal(size=x.shape)
    _, dx = check_activation(name, x, dout, fd=False)
    zero = x == 0
    if name == "relu":
        assert np.all(dx[zero] == 0.0)
    elif name.startswith("leaky"):
        alpha = ACTIVATIONS[name][3].get("alpha", 0.01)
        np.testing.assert_allclose(dx[zero], alpha * dout[zero], rtol=1e-15)


@settings(max_examples=30, deadline=None)
@given(mag=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(700.0, 1e4)),
       seed=SEEDS)
def test_sigmoid_huge_inputs_finite_and_warning_free(mag, seed):
    rng = np.random.default_rng(seed)
    x = np.concatenate([mag * rng.choice([-1.0, 1.0], mag.shape), [-1e4, 1e4, 0.0, 0.5]])
    dout = rng.normal(size=x.shape)
    with warnings.catch_warnings(), strict_fp():
        warnings.simplefilter("error")
        out, cache = sigmoid_forward(x)
        dx = sigmoid_backward(dout, cache)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx))
    assert np.all((out >= 0) & (out <= 1))
    with np.errstate(under="ignore"):
        np.testing.assert_allclose(out, O.sigmoid(x), rtol=1e-15, atol=1e-300)
    assert np.all(np.abs(dx) <= 0.25 * np.abs(dout))
    np.testing.assert_allclose(dx[np.abs(x) >= 750], 0.0, atol=1e-300)


@settings(max_examples=20, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e4, 1e4)), seed=SEEDS)
def test_tanh_relu_large_inputs_finite(x, seed):
    dout = np.random.default_rng(seed).normal(size=x.shape)
    with warnings.catch_warnings(), strict_fp():
        warnings.simplefilter("error")
        for name in ("tanh", "relu", "leaky_relu"):
            fwd, bwd, _, _ = ACTIVATIONS[name]
            out, cache = fwd(x)
            assert np.all(np.isfinite(out)) and np.all(np.isfinite(bwd(dout, cache)))


# ================================================================ prelu

def prelu_case(n, d, seed, zeros=False):
    """x (n, d) away from the kink (or with exact zeros), distinct slopes alpha (d,), dout."""
    rng = np.random.default_rng(seed)
    x = away_from_kinks(rng, (n, d))
    if zeros:
        x[rng.random((n, d)) < 0.3] = 0.0
    alpha = rng.permutation(d) * 0.1 + rng.uniform(0.05, 0.3)
    return x, alpha, rng.normal(size=(n, d))


def check_prelu(x, alpha, dout, fd=True):
    out, cache = O.call_unchanged(prelu_forward, x, alpha)
    O.assert_rel(out, O.prelu(x, alpha), O.EXACT_RTOL, "prelu forward")
    dx, dalpha = O.call_unchanged(prelu_backward, dout, cache)
    assert dx.shape == x.shape and dalpha.shape == alpha.shape
    for k, g in enumerate((dx, dalpha)):
        O.assert_rel(g, O.vjp_arg(O.prelu, (x, alpha), k, dout), O.EXACT_RTOL,
                     f"prelu d{k} vs autograd")
        if fd:
            O.assert_rel(g, O.fd_vjp_arg(lambda *a: prelu_forward(*a)[0], (x, alpha), k, dout),
                         O.FD_RTOL, f"prelu d{k} vs fd")
    return dx, dalpha


@pytest.mark.parametrize("n,d", [(1, 1), (1, 6), (4, 3), (5, 5), (2, 7)])
def test_prelu_against_fd_and_autograd(n, d):
    check_prelu(*prelu_case(n, d, seed=n * 10 + d))


def test_prelu_by_hand():
    """The notebook's small case: N = D = 2, one slope per column; dalpha adds the
    contributions of every example whose x <= 0 in that column."""
    x = np.array([[2.0, -1.0], [-3.0, -0.5]])
    alpha = np.array([0.1, 0.2])
    out, cache = prelu_forward(x, alpha)
    np.testing.assert_allclose(out, [[2.0, -0.2], [-0.3, -0.1]], rtol=1e-15)
    dx, dalpha = prelu_backward(np.array([[1.0, 2.0], [-1.0, 4.0]]), cache)
    np.testing.assert_allclose(dx, [[1.0, 0.4], [-0.1, 0.8]], rtol=1e-15)
    np.testing.assert_allclose(dalpha, [3.0, -4.0], rtol=1e-15)


def test_prelu_with_equal_slopes_is_leaky_relu():
    x, _, dout = prelu_case(4, 3, seed=7, zeros=True)
    out, cache = prelu_forward(x, np.full(3, 0.2))
    leaky_out, leaky_cache = leaky_relu_forward(x, alpha=0.2)
    np.testing.assert_array_equal(out, leaky_out)
    np.testing.assert_array_equal(prelu_backward(dout, cache)[0],
                                  leaky_relu_backward(dout, leaky_cache))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 4), d=st.integers(1, 4), seed=SEEDS, data=st.data())
def test_prelu_random_with_exact_zeros(n, d, seed, data):
    """Exact zeros: the slope for x is alpha there (x <= 0), and they add nothing to dalpha."""
    x = data.draw(hnp.arrays(np.float64, (n, d), elements=ELEMENTS_WITH_ZEROS))
    _, alpha, dout = prelu_case(n, d, seed)
    dx, dalpha = check_prelu(x, alpha, dout, fd=False)
    zero = x == 0
    np.testing.assert_allclose(dx[zero], (alpha * dout)[zero], rtol=1e-15)
    np.testing.assert_allclose(dalpha, np.sum(dout * np.minimum(x, 0.0), axis=0), rtol=1e-12,
                               atol=1e-300)


def test_backprop_with_a_prelu_layer_learns_alpha():
    """prelu plugs into backprop as a layer with one parameter: grads holds (dalpha,)."""
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, 5)
    w1, b1 = rng.normal(size=(3, 4)), rng.normal(size=4)
    alpha = np.array([0.1, 0.25, -0.2, 0.4])
    w2, b2 = rng.normal(size=(4, 2)), rng.normal(size=2)
    layers = [(affine_forward, affine_backward, (w1, b1)),
              (prelu_forward, prelu_backward, (alpha,)),
              (affine_forward, affine_backward, (w2, b2))]
    loss, grads = O.call_unchanged(backprop, layers, x, y, softmax_loss)

    def whole(w1, b1, alpha, w2, b2):
        return O.softmax_loss(O.affine(O.prelu(O.affine(x, w1, b1), alpha), w2, b2), y)
    params = (w1, b1, alpha, w2, b2)
    assert loss == pytest.approx(whole(*params), rel=1e-13)
    assert [len(g) for g in grads] == [2, 1, 2]
    for k, g in enumerate([*grads[0], *grads[1], *grads[2]]):
        O.assert_rel(g, grad(whole, argnum=k)(*params), O.EXACT_RTOL, f"param {k}")


# ================================================================ losses

def check_softmax(x, y, fd=True):
    loss, dx = O.call_unchanged(softmax_loss, x, y)
    assert type(loss) is float and dx.shape == x.shape
    assert math.isfinite(loss) and np.all(np.isfinite(dx))
    ref = O.softmax_loss(x, y)
    assert abs(loss - ref) <= 1e-12 * max(1.0, abs(ref))
    # dx = (p - onehot) / N: where p is within 1e-16 of 1, p - 1 is pure rounding; and scores
    # of size |x| are themselves only known to |x| * eps. Hence the absolute floor.
    atol = 1e-14 * max(1.0, np.max(np.abs(x))) / x.shape[0]
    O.assert_rel(dx, grad(O.softmax_loss)(x, y), O.EXACT_RTOL, "softmax dx vs autograd", atol)
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-15)
    if fd:
        O.assert_rel(dx, O.fd_grad(lambda v: softmax_loss(v, y)[0], x), O.FD_RTOL, "softmax fd")
    return loss, dx


@pytest.mark.parametrize("n,c", [(1, 2), (4, 3), (5, 10)])
def test_softmax_loss_against_fd_and_autograd(n, c):
    rng = np.random.default_rng(n * c)
    check_softmax(rng.normal(size=(n, c)), rng.integers(0, c, n))


@pytest.mark.parametrize("c", [2, 3, 10])
def test_softmax_loss_equal_scores_by_hand(c):
    """Equal scores: every probability is 1/C, the loss is log C, dx = (1/C - onehot) / N."""
    x = np.full((2, c), 7.5)
    y = np.array([0, c - 1])
    loss, dx = softmax_loss(x, y)
    assert loss == pytest.approx(math.log(c), rel=1e-14)
    expected = np.full((2, c), 1.0 / c)
    expected[0, 0] -= 1.0
    expected[1, c - 1] -= 1.0
    np.testing.assert_allclose(dx, expected / 2, rtol=1e-14)


def test_softmax_loss_by_hand_two_classes():
    """Scores (0, ln 3): p = (1/4, 3/4); label 0 -> loss ln 4, dx = (1/4 - 1, 3/4)."""
    loss, dx = softmax_loss(np.array([[0.0, math.log(3.0)]]), np.array([0]))
    assert loss == pytest.approx(math.log(4.0), rel=1e-14)
    np.testing.assert_allclose(dx, [[-0.75, 0.75]], rtol=1e-14)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(2, 5), seed=SEEDS,
       kind=st.sampled_from(["1e3", "-1e3", "mixed", "normal"]))
def test_softmax_loss_huge_scores(n, c, seed, kind):
    rng = np.random.default_rng(seed)
    base = {"1e3": 1e3, "-1e3": -1e3, "normal": 0.0,
            "mixed": rng.choice([-1e3, 1e3], (n, c))}[kind]
    x = base + rng.normal(size=(n, c)) * (1.0 if kind == "normal" else 50.0)
    y = rng.integers(0, c, n)
    with warnings.catch_warnings(), strict_fp():
        warnings.simplefilter("error")
        loss, dx = softmax_loss(x, y)
    assert math.isfinite(loss) and np.all(np.isfinite(dx))
    check_softmax(x, y, fd=(kind == "normal"))


def test_mse_loss_by_hand():
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[0.0, 0.0], [1.0, 1.0]])
    loss, dpred = mse_loss(pred, target)
    assert type(loss) is float and loss == (1 + 4 + 4 + 9) / 2
    np.testing.assert_array_equal(dpred, [[1.0, 2.0], [2.0, 3.0]])   # 2 (pred - target) / N


@pytest.mark.parametrize("shape", [(1,), (3,), (4, 2), (2, 3, 2)])
def test_mse_loss_against_fd_and_autograd(shape):
    rng = np.random.default_rng(len(shape))
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, dpred = O.call_unchanged(mse_loss, pred, target)
    assert loss == pytest.approx(O.mse(pred, target), rel=1e-13)
    O.assert_rel(dpred, grad(O.mse)(pred, target), O.EXACT_RTOL, "mse vs autograd")
    O.assert_rel(dpred, O.fd_grad(lambda v: mse_loss(v, target)[0], pred), O.FD_RTOL, "mse fd")


def test_bce_loss_by_hand():
    """p = (0.5, 0.8), t = (1, 0): loss = -(ln 0.5 + ln 0.2) / 2; dp = (-1/0.5, 1/0.2) / 2."""
    loss, dprob = bce_loss(np.array([0.5, 0.8]), np.array([1.0, 0.0]))
    assert type(loss) is float
    assert loss == pytest.approx(-(math.log(0.5) + math.log(0.2)) / 2, rel=1e-14)
    np.testing.assert_allclose(dprob, [-1.0, 2.5], rtol=1e-14)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_bce_loss_against_fd_and_autograd(n):
    rng = np.random.default_rng(n)
    p, t = rng.uniform(0.2, 0.8, n), rng.integers(0, 2, n).astype(float)
    loss, dprob = O.call_unchanged(bce_loss, p, t)
    assert loss == pytest.approx(O.bce(p, t), rel=1e-13)
    O.assert_rel(dprob, grad(O.bce)(p, t), O.EXACT_RTOL, "bce vs autograd")
    O.assert_rel(dprob, O.fd_grad(lambda v: bce_loss(v, t)[0], p), O.FD_RTOL, "bce fd")


@settings(max_examples=40, deadline=None)
@given(p=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(1e-10, 1 - 1e-10)),
       seed=SEEDS)
def test_bce_loss_random_matches_oracle(p, seed):
    t = np.random.default_rng(seed).integers(0, 2, p.shape).astype(float)
    loss, dprob = O.call_unchanged(bce_loss, p, t)
    assert loss == pytest.approx(O.bce(p, t), rel=1e-12)
    O.assert_rel(dprob, grad(O.bce)(p, t), 1e-12, "bce vs autograd")


@settings(max_examples=30, deadline=None)
@given(p=hnp.arrays(np.float64, st.integers(1, 6),
                    elements=st.sampled_from([0.0, 1e-300, 1e-16, 1e-13, 1 - 1e-13,
                                              1 - 1e-16, 1.0 - 2**-53, 1.0])),
       seed=SEEDS)
def test_bce_loss_near_0_and_1_finite(p, seed):
    t = np.random.default_rng(seed).integers(0, 2, p.shape).astype(float)
    with warnings.catch_warnings(), strict_fp():
        warnings.simplefilter("error")
        loss, dprob = bce_loss(p, t)
    assert math.isfinite(loss) and loss >= 0 and np.all(np.isfinite(dprob))
    # the gradient points the right way: down when t = 1, up when t = 0 (where p is not exact)
    right = (t == 1) & (p < 1) | (t == 0) & (p > 0)
    assert np.all(np.sign(dprob[right]) == np.where(t[right] == 1, -1.0, 1.0))


# ================================================================ backprop

def net_case(n, d_shape, h, c, seed):
    rng = np.random.default_rng(seed)
    d = int(np.prod(d_shape))
    x = rng.normal(size=(n, *d_shape))
    params = [rng.normal(size=(d, h)) / math.sqrt(d), rng.normal(size=h) * 0.1,
              rng.normal(size=(h, c)) / math.sqrt(h), rng.normal(size=c) * 0.1]
    return x, rng.integers(0, c, n), params


def two_layer(params):
    w1, b1, w2, b2 = params
    return [(affine_forward, affine_backward, (w1, b1)),
            (relu_forward, relu_backward, ()),
            (affine_forward, affine_backward, (w2, b2))]


def check_two_layer(x, y, params, fd):
    layers = two_layer(params)
    loss, grads = O.call_unchanged(backprop, layers, x, y, softmax_loss)
    assert len(grads) == 3 and grads[1] == ()
    assert all(isinstance(g, tuple) for g in grads)
    ours = [*grads[0], *grads[2]]
    assert loss == pytest.approx(O.two_layer_net_loss(*params, x, y), rel=1e-13)
    for k, g in enumerate(ours):
        assert g.shape == params[k].shape
        O.assert_rel(g, grad(O.two_layer_net_loss, argnum=k)(*params, x, y), O.EXACT_RTOL,
                     f"backprop param {k} vs autograd")
        if fd:
            def f(v, k=k):
                ps = list(params)
                ps[k] = v
                return backprop(two_layer(ps), x, y, softmax_loss)[0]
            O.assert_rel(g, O.fd_grad(f, params[k]), O.FD_RTOL, f"backprop param {k} vs fd")


def test_backprop_two_layer_net_against_autograd_and_fd():
    x, y, params = net_case(4, (5,), 6, 3, seed=0)
    check_two_layer(x, y, params, fd=True)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 4), d_shape=st.sampled_from([(3,), (2, 2), (1, 3, 2)]),
       h=st.integers(1, 5), c=st.integers(2, 4), seed=SEEDS)
def test_backprop_two_layer_random(n, d_shape, h, c, seed):
    check_two_layer(*net_case(n, d_shape, h, c, seed), fd=False)


def test_backprop_loop_with_our_own_layers():
    """The loop alone, with layers whose backward is written here: order of caches, unpacking of
    params, a parameter-free layer, and gradients flowing through three layers."""
    def scale_fwd(x, s):
        return x * s, ("scale", x, s)

    def scale_bwd(dout, cache):
        tag, x, s = cache
        assert tag == "scale"
        return dout * s, np.sum(dout * x, keepdims=False).reshape(s.shape)

    def square_fwd(x):
        return x * x, ("square", x)

    def square_bwd(dout, cache):
        tag, x = cache
        assert tag == "square"
        return 2 * x * dout

    def half_sq_loss(scores, y):
        return float(0.5 * np.sum((scores - y) ** 2)), scores - y

    s1, s2 = np.array([1.5]), np.array([-0.5])
    x, y = np.array([[1.0, -2.0]]), np.array([[0.5, 0.25]])
    layers = [(scale_fwd, scale_bwd, [s1]), (square_fwd, square_bwd, []),
              (scale_fwd, scale_bwd, (s2,))]
    loss, grads = backprop(layers, x, y, half_sq_loss)

    def whole(a, b):
        return 0.5 * ((((x * a) ** 2) * b - y) ** 2).sum()
    assert loss == pytest.approx(whole(s1, s2), rel=1e-14)
    assert grads[1] == () and len(grads[0]) == 1 and len(grads[2]) == 1
    np.testing.assert_allclose(grads[0][0], grad(whole, 0)(s1, s2), rtol=1e-14)
    np.testing.assert_allclose(grads[2][0], grad(whole, 1)(s1, s2), rtol=1e-14)


def test_backprop_partial_leaky_relu_sigmoid_mse():
    """functools.partial for a keyword argument; a sigmoid/mse head; multi-dim input."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 2, 2))
    w1, b1 = rng.normal(size=(4, 3)), rng.normal(size=3)
    w2, b2 = rng.normal(size=(3, 2)), rng.normal(size=2)
    target = rng.uniform(0, 1, (3, 2))
    layers = [(affine_forward, affine_backward, (w1, b1)),
              (functools.partial(leaky_relu_forward, alpha=0.3), leaky_relu_backward, ()),
              (affine_forward, affine_backward, (w2, b2)),
              (sigmoid_forward, sigmoid_backward, ())]
    loss, grads = O.call_unchanged(backprop, layers, x, target, mse_loss)

    def whole(w1, b1, w2, b2):
        s = O.sigmoid(O.affine(O.leaky_relu(O.affine(x, w1, b1), 0.3), w2, b2))
        return O.mse(s, target)
    assert loss == pytest.approx(whole(w1, b1, w2, b2), rel=1e-13)
    ours = [*grads[0], *grads[2]]
    assert grads[1] == () and grads[3] == ()
    for k, g in enumerate(ours):
        O.assert_rel(g, grad(whole, argnum=k)(w1, b1, w2, b2), O.EXACT_RTOL, f"param {k}")


# ================================================================ no argument is modified

@settings(max_examples=25, deadline=None)
@given(seed=SEEDS, shape=st.sampled_from([(1, 1), (2, 3), (3, 2, 2)]))
def test_no_hw2_function_modifies_its_arguments(seed, shape):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * rng.choice([0.0, 1.0, 1e3], shape)
    n, d = shape[0], int(np.prod(shape[1:]))
    w, b = rng.normal(size=(d, 3)), rng.normal(size=3)
    out, cache = O.call_unchanged(affine_forward, x, w, b)
    O.call_unchanged(affine_backward, rng.normal(size=out.shape), cache)
    for fwd, bwd, _, kw in ACTIVATIONS.values():
        out, cache = O.call_unchanged(fwd, x, **kw)
        O.call_unchanged(bwd, rng.normal(size=shape), cache)
    out, cache = O.call_unchanged(prelu_forward, x.reshape(n, d), rng.normal(size=d))
    O.call_unchanged(prelu_backward, rng.normal(size=(n, d)), cache)
    scores = rng.normal(size=(n, 3)) * 100
    O.call_unchanged(softmax_loss, scores, rng.integers(0, 3, n))
    O.call_unchanged(mse_loss, x, rng.normal(size=shape))
    O.call_unchanged(bce_loss, rng.uniform(0, 1, n), rng.integers(0, 2, n).astype(float))
    xx, yy, params = net_case(n, shape[1:], 3, 3, seed % 1000)
    O.call_unchanged(backprop, two_layer(params), xx, yy, softmax_loss)
