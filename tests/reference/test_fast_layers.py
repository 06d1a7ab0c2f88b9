"""The fast conv and max pool (released with hw4) against the naive reference loops.

Every comparison is normwise relative: max |fast - naive| <= 1e-10 * max(|naive|) (plus a tiny
floor for all-zero arrays), since the two sum in different orders.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from solutions import conv_backward, conv_forward, max_pool_backward, max_pool_forward

RTOL = 1e-10


def assert_close(actual, expected):
    assert actual.shape == expected.shape
    assert actual.dtype == np.float64
    scale = max(np.abs(expected).max(initial=0.0), 1e-300)
    assert np.abs(actual - expected).max(initial=0.0) <= RTOL * scale


def check_conv(x, w, b, stride, pad, seed=0):
    """Fast conv against naive conv, forward and all gradients; no argument is modified."""
    args = [a.copy() for a in (x, w, b)]
    out, cache = conv_forward_fast(x, w, b, stride=stride, pad=pad)
    ref_out, ref_cache = conv_forward(*args, stride=stride, pad=pad)
    assert_close(out, ref_out)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dout_copy = dout.copy()
    grads = conv_backward_fast(dout, cache)
    for grad, ref in zip(grads, conv_backward(dout_copy, ref_cache)):
        assert_close(grad, ref)
    for original, kept in zip((x, w, b, dout), (*args, dout_copy)):
        np.testing.assert_array_equal(original, kept)


def check_pool(x, pool_height, pool_width, stride, seed=0):
    """Fast max pool against naive max pool, forward and gradient; nothing is modified."""
    x_copy = x.copy()
    out, cache = max_pool_forward_fast(x, pool_height, pool_width, stride)
    ref_out, ref_cache = max_pool_forward(x_copy, pool_height, pool_width, stride)
    assert_close(out, ref_out)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    dout_copy = dout.copy()
    assert_close(max_pool_backward_fast(dout, cache), max_pool_backward(dout_copy, ref_cache))
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, dout_copy)


@st.composite
def conv_cases(draw):
    n, c, f = (draw(st.integers(1, 3)) for _ in range(3))
    hh, ww = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, pad = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, hh - 2 * pad), hh - 2 * pad + 6))
    w = draw(st.integers(max(1, ww - 2 * pad), ww - 2 * pad + 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, hh, ww)),
            rng.standard_normal(f), stride, pad)


@st.composite
def pool_cases(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw, stride = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    h, w = draw(st.integers(ph, ph + 7)), draw(st.integers(pw, pw + 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):  # small integers: many ties inside a window
        x = rng.integers(0, 3, size=(n, c, h, w)).astype(np.float64)
    else:
        x = rng.standard_normal((n, c, h, w))
    return x, ph, pw, stride


@settings(max_examples=150, deadline=None)
@given(conv_cases())
def test_conv_matches_naive(case):
    check_conv(*case)


@settings(max_examples=200, deadline=None)
@given(pool_cases())
def test_max_pool_matches_naive(case):
    check_pool(*case)


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, pad",
    [
        ((1, 3, 7, 9), (2, 3, 3, 3), 1, 1),  # batch 1, odd sizes
        ((2, 2, 9, 7), (3, 2, 3, 3), 2, 1),  # stride 2 with padding
        ((2, 3, 8, 6), (4, 3, 2, 5), 1, 0),  # non-square kernel
        ((2, 1, 5, 5), (2, 1, 5, 5), 1, 0),  # kernel covers the whole input: 1x1 output
        ((1, 2, 6, 7), (2, 2, 3, 1), 3, 2),  # stride 3, padding wider than half the kernel
    ],
)
def test_conv_named_cases(x_shape, w_shape, stride, pad):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    check_conv(x, w, rng.standard_normal(w_shape[0]), stride, pad)


@pytest.mark.parametrize(
    "x_shape, ph, pw, stride",
    [
        ((2, 3, 8, 8), 2, 2, 2),  # exact tiling (reshape path)
        ((1, 2, 9, 7), 2, 2, 2),  # odd sizes: last row/column dropped
        ((2, 2, 7, 7), 3, 3, 2),  # overlapping windows
        ((2, 2, 6, 8), 3, 2, 1),  # non-square, heavily overlapping
        ((1, 1, 9, 9), 3, 3, 3),  # exact tiling with 3x3
    ],
)
def test_pool_named_cases(x_shape, ph, pw, stride):
    rng = np.random.default_rng(2)
    check_pool(rng.standard_normal(x_shape), ph, pw, stride)
    check_pool(rng.integers(0, 2, size=x_shape).astype(np.float64), ph, pw, stride)


@pytest.mark.parametrize("ph, pw, stride", [(2, 2, 2), (3, 3, 1), (2, 3, 2)])
def test_pool_ties_go_to_first_maximum(ph, pw, stride):
    x = np.zeros((1, 1, 6, 6))
    _, cache = max_pool_forward_fast(x, ph, pw, stride)
    dout = np.ones((1, 1, 1 + (6 - ph) // stride, 1 + (6 - pw) // stride))
    dx = max_pool_backward_fast(dout, cache)
    expected = np.zeros_like(x)
    np.add.at(expected[0, 0], (np.arange(dout.shape[2])[:, None] * stride,
                               np.arange(dout.shape[3])[None, :] * stride), 1.0)
    np.testing.assert_array_equal(dx, expected)


def numerical_grad(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        plus = f()
        x[index] = old - h
        minus = f()
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad


def test_conv_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2))
    b = rng.standard_normal(3)
    dout = rng.standard_normal((2, 3, 3, 3))

    def loss():
        return np.sum(conv_forward_fast(x, w, b, stride=2, pad=1)[0] * dout)

    grads = conv_backward_fast(dout, conv_forward_fast(x, w, b, stride=2, pad=1)[1])
    for grad, param in zip(grads, (x, w, b)):
        np.testing.assert_allclose(grad, numerical_grad(loss, param), rtol=1e-6, atol=1e-8)


def test_max_pool_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    x = rng.permutation(2 * 3 * 7 * 7).reshape(2, 3, 7, 7) / 10.0  # distinct: no ties
    dout = rng.standard_normal((2, 3, 3, 3))

    def loss():
        return np.sum(max_pool_forward_fast(x, 3, 3, 2)[0] * dout)

    dx = max_pool_backward_fast(dout, max_pool_forward_fast(x, 3, 3, 2)[1])
    np.testing.assert_allclose(dx, numerical_grad(loss, x), rtol=1e-6, atol=1e-8)


def test_window_larger_than_input_is_an_error():
    with pytest.raises(ValueError):
        conv_forward_fast(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)), np.zeros(1))
    with pytest.raises(ValueError):
        max_pool_forward_fast(np.zeros((1, 1, 2, 2)), 3, 3, 1)
