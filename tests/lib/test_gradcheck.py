"""backproplab.gradcheck against independent oracles: hand-written derivatives and autograd."""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import backproplab
from backproplab import gradcheck as gc
from backproplab.gradcheck import (CLOSE_TOL, PASS_TOL, away_from_kinks, distinct_values,
                                   gradient_check, rel_error, verdict)

H = 1e-5
floats = st.floats(-3, 3, allow_nan=False, width=64)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def arrays(shape=shapes, elements=floats):
    return hnp.arrays(np.float64, shape, elements=elements)


# ------------------------------------------------------------------------------- rel_error

def test_rel_error_is_zero_for_two_zero_arrays_and_never_nan():
    assert rel_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    assert rel_error(np.array(0.0), np.array(-0.0)) == 0.0
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0


def test_rel_error_known_values():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0, 0.0]), np.array([3.0, 0.0])) == pytest.approx(0.5)
    assert rel_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)
    assert rel_error(np.array([0.0]), np.array([1e-300])) == pytest.approx(1.0)


def test_rel_error_names_both_shapes_when_they_differ():
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        rel_error(np.zeros((3, 2)), np.zeros((2, 3)))


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_rel_error_is_symmetric_and_bounded(data):
    a = data.draw(arrays())
    b = data.draw(arrays(shape=st.just(a.shape)))
    e = rel_error(a, b)
    assert e == rel_error(b, a)
    assert 0.0 <= e <= 1.0


def test_tolerance_policy_is_one_place():
    assert verdict(0.0) == "pass" and verdict(PASS_TOL) == "pass"
    assert verdict(PASS_TOL * 10) == "close" and verdict(CLOSE_TOL) == "close"
    assert verdict(CLOSE_TOL * 10) == "fail"
    assert verdict(float("nan")) == "fail"
    assert backproplab.PASS_TOL == 1e-7 and backproplab.CLOSE_TOL == 1e-5


def test_no_function_named_like_the_graded_numerical_gradient():
    assert not hasattr(gc, "numerical_gradient")
    assert not hasattr(backproplab, "numerical_gradient")
    assert not hasattr(gc, "numerical_gradient_array")  # hw1's answer with a dout: not here


def test_every_probe_is_a_random_direction_never_one_coordinate():
    """What the package does is not hw1's numerical_gradient: it never nudges one coordinate
    and never assembles an array of partial derivatives (tests/test_equivalence.py too)."""
    x = np.random.default_rng(0).standard_normal((3, 2))
    result = gradient_check(lambda v: v ** 3, [x], [3 * x ** 2], np.ones((3, 2)), rng=0)
    check = result.inputs[0]
    assert check.n_probes == 8 and len(check.directions) == 8
    assert all(np.count_nonzero(v) == v.size and np.isclose(np.linalg.norm(v), 1)
               for v in check.directions)


def _softmax_ce(scores, y):
    shifted = scores - anp.max(scores, axis=1, keepdims=True)
    logp = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
    return -anp.mean(logp[anp.arange(len(y)), y])


@pytest.mark.parametrize("fn", [
    lambda x, w: anp.tanh(anp.dot(x, w)),
    lambda x, w: anp.log1p(anp.exp(anp.dot(x, w))) * anp.sin(anp.dot(x, w)),
    lambda x, w: 1 / (1 + anp.exp(-anp.dot(x, w))),
])
def test_array_gradients_match_autograd(fn):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    dout = rng.standard_normal((3, 2))
    vjp = autograd.grad(lambda x, w: anp.sum(fn(x, w) * dout), argnum=(0, 1))
    dx, dw = vjp(x, w)
    result = gradient_check(fn, [x, w], [dx, dw], dout, names=["x", "w"])
    assert result.verdict == "pass", str(result)


# ----------------------------------------------------------------------------- gradient_check

def _affine(rng, n=4, d=5, m=3):
    x, w, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
    dout = rng.standard_normal((n, m))
    grads = [dout @ w.T, x.T @ dout, dout.sum(0)]
    return (lambda x, w, b: x @ w + b), [x, w, b], grads, dout


def test_gradient_check_passes_right_and_fails_wrong_gradients():
    f, inputs, grads, dout = _affine(np.random.default_rng(3))
    copies = [a.copy() for a in inputs]
    good = gradient_check(f, inputs, grads, dout, names="xwb", rng=0)
    assert good.verdict == "pass" and good.error < PASS_TOL, str(good)
    bad = gradient_check(f, inputs, [grads[0], grads[1].T.T * 1.01, None], dout,
                         names="xwb", rng=0)
    assert bad["x"].verdict == "pass" and bad["w"].verdict == "fail"
    assert [c.name for c in bad.inputs] == ["x", "w"]
    assert bad.verdict == "fail"
    assert all(np.array_equal(a, c) for a, c in zip(inputs, copies))


def test_gradient_check_reports_nan_as_failure_and_rejects_wrong_shapes():
    f, inputs, grads, dout = _affine(np.random.default_rng(4))
    grads[2] = np.full(3, np.nan)
    assert gradient_check(f, inputs, grads, dout).verdict == "fail"
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(5, 3\)"):
        gradient_check(f, inputs, [grads[0], grads[1].T, None], dout, names="xwb")


def test_gradient_check_sees_one_wrong_entry():
    f, inputs, grads, dout = _affine(np.random.default_rng(5))
    grads[1] = grads[1].copy()
    grads[1][2, 1] += 1.0
    result = gradient_check(f, inputs, grads, dout, names="xwb")
    assert [c.verdict for c in result.inputs] == ["pass", "fail", "pass"]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_gradient_check_smooth_layers_pass(n, d, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((n, d)), rng.standard_normal((d, 2))
    dout = rng.standard_normal((n, 2))
    fn = lambda x, w: np.tanh(x @ w) ** 2
    dx, dw = autograd.grad(lambda x, w: anp.sum(anp.tanh(anp.dot(x, w)) ** 2 * dout),
                           argnum=(0, 1))(x, w)
    result = gradient_check(fn, [x, w], [dx, dw], dout, rng=seed)
    assert result.verdict == "pass", str(result)


# ------------------------------------------------------------------------------------ kinks

def _relu_grad(x):  # the contract's convention: derivative 0 at exactly 0
    return (x > 0).astype(float)


@settings(max_examples=60, deadline=None)
@given(st.floats(-2, 2), st.lists(st.floats(0.01, 2), min_size=0, max_size=5),
       st.integers(0, 2**32 - 1))
def test_relu_and_abs_with_one_value_within_h_of_zero_never_fail(t, rest, seed):
    # One value within 2h of the kink (0 included), the others away from it: along any
    # direction the one-sided differences then show the kink, and the probe is left out.
    # (With several values at a kink a direction may cross them all at once, along a line on
    # which the function looks smooth: hence away_from_kinks before a check.)
    rng = np.random.default_rng(seed)
    x = np.array([t * H] + [r * rng.choice([-1, 1]) for r in rest])
    dout = rng.standard_normal(x.shape)
    for f, g in [(lambda v: np.maximum(v, 0), _relu_grad(x) * dout),
                 (np.abs, np.sign(x) * dout)]:
        result = gradient_check(f, [x], [g], dout)
        assert result.verdict in ("pass", "inconclusive"), str(result)


def test_exact_relu_zeros_are_excluded_and_counted():
    # every direction crosses the two exact zeros: every probe is left out, none fails
    x = np.array([0.0, 0.0, 1.0, -1.0, 0.3 * H])
    result = gradient_check(lambda v: np.maximum(v, 0), [x], [_relu_grad(x)], np.ones(5))
    assert result.verdict == "inconclusive"
    assert result.n_excluded == 8 and "8 excluded at kinks" in str(result)
    moved = away_from_kinks(x, rng=0)
    result = gradient_check(lambda v: np.maximum(v, 0), [moved], [_relu_grad(moved)], np.ones(5))
    assert result.verdict == "pass" and result.n_excluded == 0


def test_a_wrong_gradient_at_a_kink_point_still_fails_elsewhere():
    x = np.array([0.0, 1.0, -1.0, 2.0])
    wrong = -_relu_grad(x)
    result = gradient_check(lambda v: np.maximum(v, 0), [x], [wrong], np.ones(4))
    assert result.verdict == "fail"


def _max_rows(v):
    return v.max(axis=1)


def _max_rows_grad(v, dout):
    grad = np.zeros_like(v)  # ties: the first maximum in row-major order
    grad[np.arange(len(v)), v.argmax(axis=1)] = dout
    return grad


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.4, 1.0, 1.7]))
def test_max_with_one_tie_or_near_tie_never_fails(seed, gap):
    rng = np.random.default_rng(seed)
    x = distinct_values(np.round(rng.standard_normal((4, 3)), 1), min_gap=0.05, rng=seed)
    row = int(rng.integers(4))
    x[row, 1] = x[row].max() + gap * H  # one exact tie (gap 0) or near tie within 2h
    x[row, 0] = x[row, 1] - gap * H
    dout = rng.standard_normal(4)
    result = gradient_check(_max_rows, [x], [_max_rows_grad(x, dout)], dout)
    assert result.verdict in ("pass", "inconclusive"), str(result)


def test_away_from_kinks_moves_only_values_near_a_kink():
    x = np.array([0.0, 1e-5, -2e-4, 0.5, -3.0, 1e-3])
    y = away_from_kinks(x, margin=1e-3, rng=0)
    assert np.all(np.abs(y) >= 1e-3)
    assert np.array_equal(y[3:], x[3:])
    assert y[1] > 0 and y[2] < 0
    assert x[0] == 0.0  # input untouched
    z = away_from_kinks(np.array([0.999, 1.0]), margin=0.01, kinks=(1.0,), rng=0)
    assert np.all(np.abs(z - 1.0) >= 0.01)


@settings(max_examples=40, deadline=None)
@given(arrays(elements=st.sampled_from([0.0, 1.0, -1.0, 0.5])), st.integers(0, 100))
def test_distinct_values_breaks_every_tie_and_keeps_order(x, seed):
    x0 = x.copy()
    y = distinct_values(x, min_gap=1e-3, rng=seed)
    assert y.shape == x.shape and np.array_equal(x, x0)
    assert np.all(np.diff(np.sort(y.ravel())) >= 1e-3 * (1 - 1e-9))
    order = np.argsort(y.ravel())
    assert np.all(np.diff(x.ravel()[order]) >= 0)  # never reorders distinct values


def test_inputs_drawn_away_from_kinks_leave_nothing_to_exclude():
    rng = np.random.default_rng(6)
    x = distinct_values(away_from_kinks(np.round(rng.standard_normal((6, 4)), 1), rng=1))
    dout = rng.standard_normal(6)
    relu_max = lambda v: np.maximum(v, 0).max(axis=1)
    grad = _max_rows_grad(np.maximum(x, 0), dout) * _relu_grad(x)
    result = gradient_check(relu_max, [x], [grad], dout)
    assert result.verdict == "pass" and result.n_excluded == 0


# ----------------------------------------------------------------- cost and reproducibility

class Counting:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, *args):
        self.calls += 1
        return self.f(*args)


@pytest.mark.parametrize("size", [10, 1000, 100_000])
def test_the_cost_does_not_grow_with_size(size):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(size)
    dout = rng.standard_normal(size)
    f = Counting(lambda v: v**2)
    out = f(x)
    f.calls = 0
    result = gradient_check(f, [x], [2 * x * dout], dout, num_directions=3, rng=0, out=out)
    assert f.calls == 2 * 3 == result.n_forward_calls
    assert result.verdict == "pass", str(result)
    f.calls = 0
    assert gradient_check(f, [x], [2 * x * dout], dout, num_directions=3,
                          rng=0).n_forward_calls == f.calls == 2 * 3 + 1


def test_gradient_check_on_a_large_affine_layer_finds_each_bug():
    f, inputs, grads, dout = _affine(np.random.default_rng(8), n=20, d=60, m=50)
    copies = [a.copy() for a in inputs]
    assert gradient_check(f, inputs, grads, dout, rng=1).verdict == "pass"
    for k, bug in [(0, lambda g: -g), (1, lambda g: g / 20), (2, lambda g: g * 2)]:
        wrong = list(grads)
        wrong[k] = bug(grads[k])
        result = gradient_check(f, inputs, wrong, dout, rng=1, names="xwb")
        assert [c.verdict for c in result.inputs].count("fail") == 1
        assert result.inputs[k].verdict == "fail"
    bad = grads[1].copy()
    bad[3, 7] += 5.0  # one wrong entry out of 3000: seen by the random directions
    result = gradient_check(f, inputs, [None, bad, None], dout, rng=2)
    assert result.verdict == "fail"
    assert all(np.array_equal(a, c) for a, c in zip(inputs, copies))


def test_gradient_check_is_reproducible_with_a_seed():
    f, inputs, grads, dout = _affine(np.random.default_rng(9))
    a = gradient_check(f, inputs, grads, dout, rng=3)
    b = gradient_check(f, inputs, grads, dout, rng=3)
    assert all(np.array_equal(p.numeric, q.numeric) for p, q in zip(a.inputs, b.inputs))


def test_gradient_check_works_for_a_scalar_loss():
    rng = np.random.default_rng(10)
    scores, y = rng.standard_normal((30, 10)), rng.integers(0, 10, 30)
    dscores = autograd.grad(_softmax_ce)(scores, y)
    result = gradient_check(lambda s: _softmax_ce(s, y), [scores], [dscores], 1.0, rng=0)
    assert result.verdict == "pass", str(result)
    assert gradient_check(lambda s: _softmax_ce(s, y), [scores], [dscores * 30], 1.0,
                             rng=0).verdict == "fail"
