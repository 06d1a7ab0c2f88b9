"""hw3_cnn: naive convolution and max pooling.

conv is checked against an explicit sum over kernel offsets (tests/oracles.py) and its autograd
gradients, max pool against reshaped/stacked windows; every backward against central finite
differences; ties in max pool against our own first-maximum rule; shapes by hypothesis (batch of
1, odd sizes, stride 2 with padding, non-square kernels). Shapes stay tiny: the loops are naive.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oracles as O
from solutions import conv_backward, conv_forward, max_pool_backward, max_pool_forward

SEEDS = st.integers(0, 2**32 - 1)

# (x shape, w shape, stride, pad)
CONV_CASES = [
    ((1, 1, 3, 3), (1, 1, 2, 2), 1, 0),      # batch of 1
    ((2, 3, 5, 5), (2, 3, 3, 3), 1, 1),      # odd size, "same" padding
    ((1, 2, 5, 7), (3, 2, 3, 3), 2, 1),      # stride 2 with padding, odd sizes
    ((2, 1, 4, 5), (2, 1, 2, 3), 1, 0),      # non-square kernel
    ((1, 2, 6, 6), (1, 2, 3, 2), 2, 0),      # stride leaves a row and column unread
    ((1, 1, 1, 1), (2, 1, 1, 1), 1, 0),      # 1x1
    ((1, 1, 2, 3), (1, 1, 3, 3), 1, 1),      # kernel bigger than the input, saved by padding
]


def conv_data(x_shape, w_shape, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0]), rng


def check_conv(x, w, b, stride, pad, rng, fd=True):
    out, cache = O.call_unchanged(conv_forward, x, w, b, stride=stride, pad=pad)
    n, _, h, wd = x.shape
    f, _, hh, ww = w.shape
    assert out.shape == (n, f, 1 + (h + 2 * pad - hh) // stride, 1 + (wd + 2 * pad - ww) // stride)
    ref = lambda x, w, b: O.conv(x, w, b, stride, pad)  # noqa: E731
    O.assert_rel(out, ref(x, w, b), O.EXACT_RTOL, "conv forward")
    dout = rng.normal(size=out.shape)
    grads = O.call_unchanged(conv_backward, dout, cache)
    assert len(grads) == 3
    fwd = lambda x, w, b: conv_forward(x, w, b, stride=stride, pad=pad)[0]  # noqa: E731
    for k, (name, g) in enumerate(zip(("dx", "dw", "db"), grads)):
        assert g.shape == (x, w, b)[k].shape, name
        O.assert_rel(g, O.vjp_arg(ref, (x, w, b), k, dout), O.EXACT_RTOL, f"conv {name} autograd")
        if fd:
            O.assert_rel(g, O.fd_vjp_arg(fwd, (x, w, b), k, dout), O.FD_RTOL, f"conv {name} fd")
    return out, grads


@pytest.mark.parametrize("x_shape,w_shape,stride,pad", CONV_CASES)
def test_conv_against_fd_and_autograd(x_shape, w_shape, stride, pad):
    check_conv(*conv_data(x_shape, w_shape, 0)[:3], stride, pad, np.random.default_rng(1))


def test_conv_by_hand():
    """x = 0..8 as 3x3, a 2x2 kernel of ones, bias 1: each output is its window's sum plus 1;
    with dout = 1, dx counts how many windows hold each pixel and dw sums the windows."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 2, 2))
    out, cache = conv_forward(x, w, np.array([1.0]))
    np.testing.assert_array_equal(out, [[[[9.0, 13.0], [21.0, 25.0]]]])
    dx, dw, db = conv_backward(np.ones((1, 1, 2, 2)), cache)
    np.testing.assert_array_equal(dx, [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]])
    np.testing.assert_array_equal(dw, [[[[8.0, 12.0], [20.0, 24.0]]]])
    np.testing.assert_array_equal(db, [4.0])


def test_conv_padding_and_stride_by_hand():
    """pad 1, stride 2 on a 2x2 input with a 3x3 kernel that picks the centre: the output is the
    input sampled at padded positions (1, 1) -> x[0, 0] only (one window)."""
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    w = np.zeros((1, 1, 3, 3))
    w[0, 0, 1, 1] = 1.0
    w[0, 0, 2, 2] = 10.0                  # reads x[1, 1]
    out, cache = conv_forward(x, w, np.array([0.5]), stride=2, pad=1)
    np.testing.assert_array_equal(out, [[[[1.0 + 40.0 + 0.5]]]])
    dx, dw, db = conv_backward(np.array([[[[2.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[2.0, 0.0], [0.0, 20.0]]]])
    expected_dw = np.zeros((1, 1, 3, 3))
    expected_dw[0, 0, 1:, 1:] = 2.0 * x[0, 0]
    np.testing.assert_array_equal(dw, expected_dw)
    np.testing.assert_array_equal(db, [2.0])


@st.composite
def conv_shapes(draw):
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    hh, ww = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h = draw(st.integers(max(1, hh - 2 * pad), 5))
    wd = draw(st.integers(max(1, ww - 2 * pad), 5))
    return (n, c, h, wd), (f, c, hh, ww), stride, pad


@settings(max_examples=40, deadline=None)
@given(shapes=conv_shapes(), seed=SEEDS)
def test_conv_random_shapes_against_autograd(shapes, seed):
    x_shape, w_shape, stride, pad = shapes
    x, w, b, rng = conv_data(x_shape, w_shape, seed)
    check_conv(x, w, b, stride, pad, rng, fd=False)


@settings(max_examples=8, deadline=None)
@given(shapes=conv_shapes(), seed=SEEDS)
def test_conv_random_shapes_against_fd(shapes, seed):
    x_shape, w_shape, stride, pad = shapes
    x, w, b, rng = conv_data(x_shape, w_shape, seed)
    check_conv(x, w, b, stride, pad, rng, fd=True)


# ================================================================ max pool

def distinct_values(rng, shape, gap=0.01):
    """Values at least ``gap`` apart (no ties, far from the finite-difference step)."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * gap - size * gap / 2).reshape(shape) + gap / 4


def check_pool(x, ph, pw, stride, rng, fd=True, ties=False):
    out, cache = O.call_unchanged(max_pool_forward, x, pool_height=ph, pool_width=pw,
                                  stride=stride)
    n, c, h, w = x.shape
    assert out.shape == (n, c, 1 + (h - ph) // stride, 1 + (w - pw) // stride)
    ref = lambda v: O.max_pool(v, ph, pw, stride)  # noqa: E731
    np.testing.assert_array_equal(out, ref(x))
    if stride == ph == pw:
        np.testing.assert_array_equal(out, O.max_pool_reshape(x, ph, pw))
    dout = rng.normal(size=out.shape)
    dx = O.call_unchanged(max_pool_backward, dout, cache)
    assert dx.shape == x.shape
    O.assert_rel(dx, O.max_pool_tie_backward(x, dout, ph, pw, stride), O.EXACT_RTOL,
                 "max pool dx vs tie rule")
    if not ties:
        O.assert_rel(dx, O.vjp(ref, x, dout), O.EXACT_RTOL, "max pool dx vs autograd")
    if fd:
        fwd = lambda v: max_pool_forward(v, ph, pw, stride)[0]  # noqa: E731
        O.assert_rel(dx, O.fd_vjp(fwd, x, dout), O.FD_RTOL, "max pool dx vs fd")
    return dx


@pytest.mark.parametrize("x_shape,ph,pw,stride", [
    ((1, 1, 4, 4), 2, 2, 2), ((2, 3, 5, 5), 2, 2, 2), ((1, 2, 5, 7), 3, 3, 2),
    ((2, 1, 4, 6), 2, 3, 1), ((1, 1, 3, 3), 3, 3, 1), ((1, 1, 6, 4), 3, 2, 3),
])
def test_max_pool_against_fd_and_autograd(x_shape, ph, pw, stride):
    rng = np.random.default_rng(2)
    check_pool(distinct_values(rng, x_shape), ph, pw, stride, rng)


def test_max_pool_defaults_and_hand_tie():
    """Default 2x2 stride 2. The window [[1, 3], [3, 2]] has its max twice: the gradient goes to
    the first in row-major order, (0, 1)."""
    x = np.array([[[[1.0, 3.0, 0.0, 0.0], [3.0, 2.0, 0.0, 0.0]]]])
    out, cache = max_pool_forward(x)
    np.testing.assert_array_equal(out, [[[[3.0, 0.0]]]])
    dx = max_pool_backward(np.array([[[[5.0, 7.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[0.0, 5.0, 7.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


@st.composite
def pool_shapes(draw):
    ph, pw, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(ph, 6)), draw(st.integers(pw, 6))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 2)), h, w), ph, pw, stride


@settings(max_examples=40, deadline=None)
@given(shapes=pool_shapes(), seed=SEEDS)
def test_max_pool_random_shapes(shapes, seed):
    x_shape, ph, pw, stride = shapes
    rng = np.random.default_rng(seed)
    check_pool(distinct_values(rng, x_shape), ph, pw, stride, rng, fd=(seed % 4 == 0))


@settings(max_examples=40, deadline=None)
@given(shapes=pool_shapes(), seed=SEEDS, levels=st.integers(1, 3))
def test_max_pool_ties_go_to_first_max(shapes, seed, levels):
    """Integer-valued inputs with few levels: many ties, checked against our own tie rule."""
    x_shape, ph, pw, stride = shapes
    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, x_shape).astype(np.float64)
    dx = check_pool(x, ph, pw, stride, rng, fd=False, ties=True)
    if stride >= max(ph, pw):       # windows don't overlap: one nonzero per window at most
        assert np.count_nonzero(dx) <= np.prod(max_pool_forward(x, ph, pw, stride)[0].shape)
