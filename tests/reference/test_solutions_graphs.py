"""hw1_graphs: Operation subclasses, the lecture example, numerical_gradient.

Each graded function is checked against central finite differences (tests/oracles.py), against
autograd applied to an independent formulation, against values worked out by hand, and with
hypothesis over random inputs, including that no argument is modified.
"""
import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

import oracles as O
from solutions import (
    Add, Divide, Exp, Log, Multiply, Sin, example_forward_backward, numerical_gradient,
)

# op class, autograd formulation, sampler for valid inputs (rng, shape) -> args
UNARY = {
    "Exp": (Exp, lambda a: anp.exp(a), lambda r, s: (r.uniform(-2, 2, s),)),
    "Log": (Log, lambda a: anp.log(a), lambda r, s: (r.uniform(0.3, 3, s),)),
    "Sin": (Sin, lambda a: anp.sin(a), lambda r, s: (r.uniform(-3, 3, s),)),
}
BINARY = {
    "Add": (Add, lambda a, b: a + b, lambda r, s: (r.normal(size=s), r.normal(size=s))),
    "Multiply": (Multiply, lambda a, b: a * b, lambda r, s: (r.normal(size=s), r.normal(size=s))),
    "Divide": (Divide, lambda a, b: a / b,
               lambda r, s: (r.normal(size=s), r.choice([-1, 1], s) * r.uniform(0.5, 2, s))),
}
OPS = {**UNARY, **BINARY}


def run_op(cls, args, dout):
    op = cls()
    out = O.call_unchanged(op, *args)
    grads = O.call_unchanged(op.backward, dout)
    return op, out, grads


# ---------------------------------------------------------------- Operation subclasses

@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_operation_against_fd_and_autograd(name, shape):
    cls, ref, sample = OPS[name]
    rng = np.random.default_rng(len(name) + len(shape))
    args = [np.asarray(a, dtype=np.float64) for a in sample(rng, shape)]
    dout = np.asarray(rng.normal(size=shape))
    op, out, grads = run_op(cls, args, dout)
    O.assert_rel(out, ref(*args), O.EXACT_RTOL, f"{name} forward")
    assert op.value is out or np.array_equal(op.value, out)
    assert isinstance(grads, tuple) and len(grads) == len(args)
    for k, g in enumerate(grads):
        g = np.broadcast_to(g, np.shape(args[k]))
        O.assert_rel(g, O.fd_vjp_arg(ref, args, k, dout), O.FD_RTOL, f"{name} d{k} vs fd")
        O.assert_rel(g, O.vjp_arg(ref, args, k, dout), O.EXACT_RTOL, f"{name} d{k} vs autograd")


@pytest.mark.parametrize("name", sorted(OPS))
def test_operation_on_python_floats(name):
    cls, ref, sample = OPS[name]
    args = [float(a) for a in sample(np.random.default_rng(7), ())]
    op = cls()
    out = op(*args)
    assert op.inputs == tuple(args)
    grads = op.backward(1.0)
    assert len(grads) == len(args)
    expected = [grad(ref, argnum=k)(*args) for k in range(len(args))]
    for g, e in zip(grads, expected):
        assert abs(float(g) - e) <= 1e-12 * max(1.0, abs(e))
    assert abs(float(out) - ref(*args)) <= 1e-12 * max(1.0, abs(ref(*args)))


def test_hand_example_add_multiply_chain():
    """f = (x + y) z at (-2, 5, -4): q = 3, f = -12, df/dx = df/dy = z = -4, df/dz = q = 3."""
    x, y, z = -2.0, 5.0, -4.0
    add, mul = Add(), Multiply()
    q = add(x, y)
    f = mul(q, z)
    assert q == 3.0 and f == -12.0
    dq, dz = mul.backward(1.0)
    dx, dy = add.backward(dq)
    assert (dx, dy, dz) == (-4.0, -4.0, 3.0)


def test_hand_values_of_each_op():
    div = Divide()
    assert div(6.0, 4.0) == 1.5
    assert div.backward(2.0) == pytest.approx((0.5, -0.75))      # (1/b, -a/b^2) * 2
    ex = Exp()
    assert ex(0.0) == 1.0 and ex.backward(3.0) == pytest.approx((3.0,))
    lg = Log()
    assert lg(math.e) == pytest.approx(1.0) and lg.backward(1.0) == pytest.approx((1 / math.e,))
    sn = Sin()
    assert sn(0.0) == 0.0 and sn.backward(2.0) == pytest.approx((2.0,))   # cos 0 = 1


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(OPS)), seed=st.integers(0, 2**32 - 1),
       shape=st.sampled_from([(), (1,), (4,), (2, 1, 3)]))
def test_operations_random(name, seed, shape):
    cls, ref, sample = OPS[name]
    rng = np.random.default_rng(seed)
    args = [np.asarray(a, dtype=np.float64) for a in sample(rng, shape)]
    dout = np.asarray(rng.normal(size=shape))
    _, out, grads = run_op(cls, args, dout)
    O.assert_rel(out, ref(*args), O.EXACT_RTOL, "forward")
    for k, g in enumerate(grads):
        g = np.broadcast_to(g, np.shape(args[k]))
        O.assert_rel(g, O.vjp_arg(ref, args, k, dout), O.EXACT_RTOL, f"d{k}")


# ---------------------------------------------------------------- example_forward_backward

def closed_form(x, z):
    """y and its partial derivatives, differentiated by hand:
    y     = e^{xz} + xz / ln x + sin(ln x) / (xz)
    dy/dx = z e^{xz} + z (ln x - 1) / (ln x)^2 + (cos(ln x) - sin(ln x)) / (x^2 z)
    dy/dz = x e^{xz} + x / ln x - sin(ln x) / (x z^2)
    """
    L = math.log(x)
    y = math.exp(x * z) + x * z / L + math.sin(L) / (x * z)
    dx = z * math.exp(x * z) + z * (L - 1) / L**2 + (math.cos(L) - math.sin(L)) / (x * x * z)
    dz = x * math.exp(x * z) + x / L - math.sin(L) / (x * z * z)
    return y, dx, dz


def test_example_at_2_3_by_hand():
    y, dx, dz = example_forward_backward(2, 3)
    assert all(type(v) is float for v in (y, dx, dz))
    ey, edx, edz = closed_form(2.0, 3.0)
    # the same terms at x=2, z=3 written out as numbers (ln 2 = 0.6931471805599453):
    # y     = e^6 + 6/ln2 + sin(ln2)/6
    # dy/dx = 3e^6 + 3(ln2 - 1)/ln2^2 + (cos(ln2) - sin(ln2))/12
    # dy/dz = 2e^6 + 2/ln2 - sin(ln2)/18
    by_hand = (403.4287934927351 + 8.656170245333781 + 0.10649354605227246,
               1210.2863804782053 - 1.9160218203499335 + 0.010856468754194779,
               806.8575869854702 + 2.8853900817779268 - 0.03549784868409082)
    assert (ey, edx, edz) == pytest.approx(by_hand, rel=1e-14)
    assert y == pytest.approx(ey, rel=1e-13)
    assert dx == pytest.approx(edx, rel=1e-13)
    assert dz == pytest.approx(edz, rel=1e-13)


def test_example_at_2_3_against_fd_and_autograd():
    y, dx, dz = example_forward_backward(2, 3)
    g_fd = O.fd_grad(lambda v: O.lecture_example(v[0], v[1]), np.array([2.0, 3.0]))
    g_ad = [grad(O.lecture_example, argnum=k)(2.0, 3.0) for k in (0, 1)]
    assert O.rel_error([dx, dz], g_fd) <= O.FD_RTOL
    assert O.rel_error([dx, dz], g_ad) <= O.EXACT_RTOL
    assert y == pytest.approx(O.lecture_example(2.0, 3.0), rel=1e-14)


@settings(max_examples=50, deadline=None)
@given(x=st.one_of(st.floats(0.2, 0.9), st.floats(1.1, 3.0)),
       z=st.one_of(st.floats(-2.0, -0.2), st.floats(0.2, 2.0)))
def test_example_random_points(x, z):
    y, dx, dz = example_forward_backward(x, z)
    ey, edx, edz = closed_form(x, z)
    assert O.rel_error([y, dx, dz], [ey, edx, edz]) <= 1e-12
    g_ad = [grad(O.lecture_example, argnum=k)(x, z) for k in (0, 1)]
    assert O.rel_error([dx, dz], g_ad) <= 1e-12


# ---------------------------------------------------------------- numerical_gradient

def test_numerical_gradient_vs_analytic():
    x = np.random.default_rng(0).uniform(-2, 2, (3, 4))
    g = O.call_unchanged(numerical_gradient, lambda v: np.sum(np.sin(v) * v**2), x)
    analytic = np.cos(x) * x**2 + 2 * x * np.sin(x)
    assert g.shape == x.shape
    O.assert_rel(g, analytic, O.FD_RTOL, "numerical_gradient")


def test_numerical_gradient_quadratic_form_3d():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(12, 12))
    x = rng.normal(size=(2, 3, 2))
    g = O.call_unchanged(numerical_gradient, lambda v: v.ravel() @ a @ v.ravel(), x)
    O.assert_rel(g, ((a + a.T) @ x.ravel()).reshape(x.shape), O.FD_RTOL, "quadratic form")


def test_numerical_gradient_is_central_and_uses_h():
    """For sum(x^3), ((x+h)^3 - (x-h)^3) / 2h = 3x^2 + h^2 exactly: a forward difference would
    give 3x^2 + 3xh + h^2, and ignoring h would give about 3x^2."""
    x = np.array([-1.5, 0.25, 2.0])
    g = numerical_gradient(lambda v: np.sum(v**3), x, h=0.1)
    np.testing.assert_allclose(g, 3 * x**2 + 0.01, rtol=1e-10, atol=1e-12)


def test_numerical_gradient_leaves_x_unchanged_and_f_sees_x_shape():
    x = np.arange(6.0).reshape(2, 3)
    shapes = []
    before = x.copy()

    def f(v):
        shapes.append(v.shape)
        return float(np.sum(v))

    g = numerical_gradient(f, x)
    assert np.array_equal(x, before)
    assert set(shapes) == {(2, 3)}
    np.testing.assert_allclose(g, np.ones((2, 3)), rtol=1e-9)


def test_numerical_gradient_never_perturbs_the_callers_x():
    """x stays unchanged even while f runs: f(v) = <v, x> reads the caller's x, so its gradient
    is x only if the perturbations happen on a copy (perturbing x itself would give 2x)."""
    x = np.random.default_rng(2).normal(size=(2, 3))
    g = numerical_gradient(lambda v: float(np.sum(v * x)), x)
    O.assert_rel(g, x, O.FD_RTOL, "gradient of <v, x>")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       shape=st.sampled_from([(1,), (5,), (2, 3), (1, 2, 2)]))
def test_numerical_gradient_random(seed, shape):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, shape)
    c = rng.normal(size=shape)
    f = lambda v: float(anp.sum(c * anp.exp(v) + anp.tanh(v) ** 2))  # noqa: E731
    g = O.call_unchanged(numerical_gradient, f, x)
    exact = grad(lambda v: anp.sum(c * anp.exp(v) + anp.tanh(v) ** 2))(x)
    # Central differences err by about h^2 |third derivative| / 6 + eps |f| / h, near 1e-10
    # here whatever the size of the gradient: a gradient that happens to be near 0 is judged
    # on that absolute error (relative to it alone, seed 933017 with shape (1,) gave 4e-8).
    np.testing.assert_allclose(g, exact, rtol=O.FD_RTOL, atol=1e-9)
