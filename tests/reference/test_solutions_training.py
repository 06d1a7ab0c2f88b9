"""hw4_training: dropout, l2 penalty, SGD, momentum, Adam, weight initialization.

Gradients (dropout, l2) against central finite differences and autograd; update rules against
the contract's formulas written out by hand and against loops written independently here;
statistical properties on large draws with bounds of several standard errors (fixed seeds).
"""
import math

import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

import oracles as O
from solutions import (
    adam_step, dropout_backward, dropout_forward, init_weights, l2_penalty, sgd_momentum_step,
    sgd_step,
)

SEEDS = st.integers(0, 2**32 - 1)


# ================================================================ dropout

def inferred_keep(x, out, p):
    """The keep mask read off the output: each entry is either 0 or x / (1 - p)."""
    keep = out != 0
    np.testing.assert_allclose(out[keep], x[keep] / (1 - p), rtol=1e-15)
    return keep.astype(np.float64)


@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 0.9])
@pytest.mark.parametrize("shape", [(1, 1), (4, 5), (2, 3, 2)])
def test_dropout_against_fd_and_autograd(p, shape):
    rng = np.random.default_rng(3)
    x = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)   # no zeros in x
    dout = rng.normal(size=shape)
    out, cache = O.call_unchanged(dropout_forward, x, p, True, np.random.default_rng(42))
    keep = inferred_keep(x, out, p)
    dx = O.call_unchanged(dropout_backward, dout, cache)
    assert dx.shape == x.shape
    O.assert_rel(dx, O.vjp(lambda v: O.dropout_with_mask(v, keep, p), x, dout), O.EXACT_RTOL,
                 "dropout vs autograd with the mask fixed")
    # finite differences of the forward itself: the same seed gives the same mask each call
    fwd = lambda v: dropout_forward(v, p, True, np.random.default_rng(42))[0]  # noqa: E731
    O.assert_rel(dx, O.fd_vjp(fwd, x, dout), O.FD_RTOL, "dropout vs fd")


def test_dropout_train_statistics():
    """Inverted dropout keeps the mean: out = x * Bernoulli(1 - p) / (1 - p)."""
    n, p = 400_000, 0.3
    x = np.ones(n)
    out, _ = dropout_forward(x, p, True, np.random.default_rng(0))
    dropped = np.mean(out == 0)
    assert abs(dropped - p) <= 6 * math.sqrt(p * (1 - p) / n)
    se_mean = math.sqrt(p / (1 - p) / n)          # std of one entry is sqrt(p / (1 - p))
    assert abs(out.mean() - 1.0) <= 6 * se_mean
    assert set(np.unique(out)) <= {0.0, 1.0 / (1 - p)}


def test_dropout_different_rng_gives_different_masks_and_same_seed_same_mask():
    x = np.ones((50, 50))
    a, _ = dropout_forward(x, 0.5, True, np.random.default_rng(1))
    b, _ = dropout_forward(x, 0.5, True, np.random.default_rng(1))
    c, _ = dropout_forward(x, 0.5, True, np.random.default_rng(2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("p", [0.0, 0.5, 0.99])
def test_dropout_test_time_is_identity(p):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 4))
    out, cache = O.call_unchanged(dropout_forward, x, p, False, rng)
    np.testing.assert_array_equal(out, x)
    dout = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(O.call_unchanged(dropout_backward, dout, cache), dout)


def test_dropout_p0_train_is_identity():
    x = np.random.default_rng(5).normal(size=(6, 7))
    out, cache = dropout_forward(x, 0.0, True, np.random.default_rng(6))
    np.testing.assert_array_equal(out, x)
    dout = np.arange(42.0).reshape(6, 7)
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)


@settings(max_examples=30, deadline=None)
@given(shape=st.sampled_from([(1,), (3, 4), (2, 2, 3)]), p=st.floats(0.0, 0.95), seed=SEEDS)
def test_dropout_random(shape, p, seed):
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 10.0, shape)
    out, cache = O.call_unchanged(dropout_forward, x, p, True, np.random.default_rng(seed))
    keep = inferred_keep(x, out, p)
    dout = rng.normal(size=shape)
    dx = O.call_unchanged(dropout_backward, dout, cache)
    np.testing.assert_allclose(dx, dout * keep / (1 - p), rtol=1e-15)


# ================================================================ l2 penalty

def test_l2_penalty_by_hand():
    params = [np.array([1.0, -2.0]), np.array([[3.0]])]
    loss, grads = l2_penalty(params, 0.5)
    assert loss == pytest.approx(0.5 * (1 + 4 + 9), rel=1e-15)
    assert isinstance(loss, float)
    assert len(grads) == 2
    np.testing.assert_array_equal(grads[0], [1.0, -2.0])          # 2 * 0.5 * p
    np.testing.assert_array_equal(grads[1], [[3.0]])


def test_l2_penalty_against_fd_and_autograd():
    rng = np.random.default_rng(7)
    params = [rng.normal(size=(3, 2)), rng.normal(size=4), rng.normal(size=(2, 1, 2))]
    reg = 0.37
    loss, grads = O.call_unchanged(l2_penalty, params, reg)
    assert loss == pytest.approx(O.l2(params, reg), rel=1e-14)
    for k, g in enumerate(grads):
        assert g.shape == params[k].shape

        def f(v, k=k):
            ps = list(params)
            ps[k] = v
            return O.l2(ps, reg)

        def f_sol(v, k=k):
            ps = list(params)
            ps[k] = v
            return l2_penalty(ps, reg)[0]
        O.assert_rel(g, grad(f)(params[k]), O.EXACT_RTOL, f"l2 grad {k} vs autograd")
        O.assert_rel(g, O.fd_grad(f_sol, params[k]), O.FD_RTOL, f"l2 grad {k} vs fd")


def test_l2_penalty_zero_reg_and_empty():
    loss, grads = l2_penalty([np.ones(3)], 0.0)
    assert loss == 0.0
    np.testing.assert_array_equal(grads[0], np.zeros(3))
    loss, grads = l2_penalty([], 1.0)
    assert loss == 0.0 and list(grads) == []


# ================================================================ update rules

def assert_new_arrays(new, old):
    for a, b in zip(new, old):
        assert not np.shares_memory(a, b), "returned an input array instead of a new one"


def test_sgd_step_by_hand():
    params = [np.array([1.0, 2.0]), np.array([[0.5]])]
    grads = [np.array([0.5, -1.0]), np.array([[2.0]])]
    new = O.call_unchanged(sgd_step, params, grads, 0.1)
    np.testing.assert_allclose(new[0], [0.95, 2.1], rtol=1e-15)
    np.testing.assert_allclose(new[1], [[0.3]], rtol=1e-15)
    assert_new_arrays(new, params)


def test_sgd_momentum_by_hand():
    """v = 0.9 v - lr g; p = p + v, with p = (1, 2), g = (0.5, -1), v = (0.1, 0.2), lr = 0.1:
    v = (0.09 - 0.05, 0.18 + 0.1) = (0.04, 0.28), p = (1.04, 2.28)."""
    params, grads, vel = [np.array([1.0, 2.0])], [np.array([0.5, -1.0])], [np.array([0.1, 0.2])]
    new_p, new_v = O.call_unchanged(sgd_momentum_step, params, grads, vel, 0.1)   # default 0.9
    np.testing.assert_allclose(new_v[0], [0.04, 0.28], rtol=1e-14)
    np.testing.assert_allclose(new_p[0], [1.04, 2.28], rtol=1e-14)
    assert_new_arrays(new_p, params)
    assert_new_arrays(new_v, vel)
    new_p, new_v = sgd_momentum_step(params, grads, vel, 0.1, momentum=0.5)
    np.testing.assert_allclose(new_v[0], [0.0, 0.2], atol=1e-16)
    np.testing.assert_allclose(new_p[0], [1.0, 2.2], rtol=1e-15)


@settings(max_examples=20, deadline=None)
@given(seed=SEEDS, steps=st.integers(1, 6), mom=st.floats(0.0, 0.99), lr=st.floats(1e-3, 1.0))
def test_sgd_momentum_several_steps_vs_scalar_loop(seed, steps, mom, lr):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(2, 3)), rng.normal(size=2)]
    vel = [np.zeros((2, 3)), np.zeros(2)]
    g_seq = [[rng.normal(size=(2, 3)), rng.normal(size=2)] for _ in range(steps)]
    # our loop, one float at a time
    flat_p = [list(p.ravel()) for p in params]
    flat_v = [[0.0] * p.size for p in params]
    for gs in g_seq:
        for k, g in enumerate(gs):
            for i, gi in enumerate(g.ravel()):
                flat_v[k][i] = mom * flat_v[k][i] - lr * gi
                flat_p[k][i] = flat_p[k][i] + flat_v[k][i]
        params, vel = O.call_unchanged(sgd_momentum_step, params, gs, vel, lr, momentum=mom)
    for k in range(2):
        np.testing.assert_allclose(params[k].ravel(), flat_p[k], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(vel[k].ravel(), flat_v[k], rtol=1e-13, atol=1e-15)


def adam_loop(p0, g_seq, lr, b1, b2, eps):
    """Adam for one list of floats, written from the paper (Kingma & Ba, Algorithm 1)."""
    p = list(p0)
    m = [0.0] * len(p)
    v = [0.0] * len(p)
    for t, g in enumerate(g_seq, start=1):
        for i, gi in enumerate(g):
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            m_hat = m[i] / (1 - b1 ** t)
            v_hat = v[i] / (1 - b2 ** t)
            p[i] = p[i] - lr * m_hat / (math.sqrt(v_hat) + eps)
    return p


def test_adam_first_step_moves_by_lr_sign_g():
    """At t = 1, m_hat = g and v_hat = g^2, so the step is lr g / (|g| + eps) ~ lr sign(g)."""
    rng = np.random.default_rng(8)
    g = rng.choice([-1.0, 1.0], 10) * rng.uniform(0.1, 100.0, 10)
    p = rng.normal(size=10)
    lr = 0.01
    new, state = O.call_unchanged(adam_step, [p], [g], None, lr)
    assert state is not None
    step = new[0] - p
    np.testing.assert_allclose(step, -lr * np.sign(g), rtol=1e-6)
    np.testing.assert_allclose(step, -lr * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert_new_arrays(new, [p])


def test_adam_several_steps_vs_hand_rolled_loop():
    rng = np.random.default_rng(9)
    params = [rng.normal(size=(2, 2)), rng.normal(size=3)]
    g_seq = [[rng.normal(size=(2, 2)), rng.normal(size=3)] for _ in range(7)]
    lr, b1, b2, eps = 0.05, 0.8, 0.99, 1e-6
    state, current = None, params
    for gs in g_seq:
        current, state = O.call_unchanged(adam_step, current, gs, state, lr, beta1=b1,
                                          beta2=b2, eps=eps)
    for k in range(2):
        expected = adam_loop(params[k].ravel(), [gs[k].ravel() for gs in g_seq], lr, b1, b2, eps)
        np.testing.assert_allclose(current[k].ravel(), expected, rtol=1e-13)


@settings(max_examples=20, deadline=None)
@given(seed=SEEDS, steps=st.integers(1, 8), lr=st.floats(1e-4, 0.1))
def test_adam_defaults_random_vs_hand_rolled_loop(seed, steps, lr):
    rng = np.random.default_rng(seed)
    p0 = rng.normal(size=4)
    g_seq = [rng.normal(size=4) * 10 ** rng.uniform(-3, 3) for _ in range(steps)]
    state, cur = None, [p0]
    for g in g_seq:
        cur, state = O.call_unchanged(adam_step, cur, [g], state, lr)
    np.testing.assert_allclose(cur[0], adam_loop(p0, g_seq, lr, 0.9, 0.999, 1e-8), rtol=1e-12)


def test_adam_state_is_not_shared_between_runs():
    """Two runs from state None must not see each other's moments."""
    p, g = [np.array([1.0])], [np.array([2.0])]
    a1, s1 = adam_step(p, g, None, 0.1)
    a2, s2 = adam_step(p, [np.array([-2.0])], None, 0.1)
    b1, _ = adam_step(a1, g, s1, 0.1)
    c1, _ = adam_step(a1, g, s1, 0.1)       # reusing s1 gives the same answer: s1 unchanged
    np.testing.assert_array_equal(b1[0], c1[0])
    np.testing.assert_allclose(a2[0], [1.1], rtol=1e-9)


# ================================================================ init_weights

@pytest.mark.parametrize("scheme,std", [
    ("normal", lambda fi: 1.0), ("xavier", lambda fi: math.sqrt(1 / fi)),
    ("he", lambda fi: math.sqrt(2 / fi)),
])
@pytest.mark.parametrize("fan_in,fan_out", [(400, 500), (50, 4000)])
def test_init_weights_std(scheme, std, fan_in, fan_out):
    w = init_weights(fan_in, fan_out, scheme, np.random.default_rng(10))
    assert w.shape == (fan_in, fan_out) and w.dtype == np.float64
    n, s = w.size, std(fan_in)
    assert abs(w.mean()) <= 6 * s / math.sqrt(n)
    assert abs(w.std() - s) <= 6 * s / math.sqrt(2 * n)          # se of a normal sample std
    kurt = np.mean((w - w.mean()) ** 4) / w.var() ** 2           # normal: 3 (not uniform: 1.8)
    assert abs(kurt - 3.0) <= 6 * math.sqrt(24 / n)


def test_init_weights_zeros():
    w = init_weights(3, 5, "zeros", np.random.default_rng(0))
    assert w.shape == (3, 5)
    np.testing.assert_array_equal(w, np.zeros((3, 5)))


@pytest.mark.parametrize("scheme", ["normal", "xavier", "he"])
def test_init_weights_reproducible_and_uses_rng(scheme):
    np.random.seed(0)
    a = init_weights(7, 3, scheme, np.random.default_rng(123))
    np.random.seed(1)                       # the global generator must not matter
    b = init_weights(7, 3, scheme, np.random.default_rng(123))
    c = init_weights(7, 3, scheme, np.random.default_rng(124))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("scheme", ["uniform", "glorot", "", "kaiming"])
def test_init_weights_unknown_scheme(scheme):
    with pytest.raises(ValueError):
        init_weights(3, 4, scheme, np.random.default_rng(0))


# ================================================================ no argument is modified

@settings(max_examples=20, deadline=None)
@given(seed=SEEDS)
def test_no_hw4_function_modifies_its_arguments(seed):
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    grads = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    vel = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    x = rng.normal(size=(3, 4))
    for train in (True, False):
        out, cache = O.call_unchanged(dropout_forward, x, 0.5, train, rng)
        O.call_unchanged(dropout_backward, rng.normal(size=x.shape), cache)
    O.call_unchanged(l2_penalty, params, 0.1)
    O.call_unchanged(sgd_step, params, grads, 0.1)
    O.call_unchanged(sgd_momentum_step, params, grads, vel, 0.1, momentum=0.9)
    new, state = O.call_unchanged(adam_step, params, grads, None, 0.1)
    O.call_unchanged(adam_step, new, grads, state, 0.1)
    O.call_unchanged(init_weights, 3, 2, "he", rng)
