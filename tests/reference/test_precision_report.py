"""Precision report: every backward of the solution library against central finite differences.

Fixed seed, well-conditioned inputs (away from kinks and ties, moderate magnitudes). The relative
error is norm-based, ``max|a - b| / max(max|a| + max|b|, 1e-300)`` (tests/oracles.py), and every
one must be <= 1e-8. The finite differences use h = 1e-5 on the solution's own forward; the
autograd column compares with the independent formulation of tests/oracles.py.

Run ``pytest tests/test_precision_report.py -s`` to print the table.
"""
import functools

import numpy as np
import pytest
from autograd import grad

import oracles as O
from solutions import (
    Add, Divide, Exp, Log, Multiply, Sin, affine_backward, affine_forward, backprop, bce_loss,
    conv_backward, conv_forward, dropout_backward, dropout_forward, example_forward_backward,
    l2_penalty, leaky_relu_backward, leaky_relu_forward, max_pool_backward, max_pool_forward,
    mse_loss, numerical_gradient, relu_backward, relu_forward, sigmoid_backward, sigmoid_forward,
    softmax_loss, tanh_backward, tanh_forward,
)

SEED = 20240601


def _rng(tag):
    return np.random.default_rng([SEED, sum(map(ord, tag))])


def _away(rng, shape, lo=0.1, hi=3.0):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(lo, hi, shape)


def _op_rows(name, cls, ref, args):
    rng = _rng(name)
    dout = rng.normal(size=args[0].shape)
    op = cls()
    op(*args)
    grads = op.backward(dout)
    fwd = lambda *a: cls()(*a)  # noqa: E731
    return [(f"{name}.backward d{k}", f"{args[k].shape}", g, O.fd_vjp_arg(fwd, args, k, dout),
             O.vjp_arg(ref, args, k, dout)) for k, g in enumerate(grads)]


def _graphs():
    rng = _rng("graphs")
    s = (3, 4)
    a, b = rng.normal(size=s), _away(rng, s, 0.5, 2.0)
    rows = []
    rows += _op_rows("Add", Add, lambda a, b: a + b, [a, b])
    rows += _op_rows("Multiply", Multiply, lambda a, b: a * b, [a, b])
    rows += _op_rows("Divide", Divide, lambda a, b: a / b, [a, b])
    rows += _op_rows("Exp", Exp, lambda a: O.anp.exp(a), [rng.uniform(-2, 2, s)])
    rows += _op_rows("Log", Log, lambda a: O.anp.log(a), [rng.uniform(0.3, 3, s)])
    rows += _op_rows("Sin", Sin, lambda a: O.anp.sin(a), [rng.uniform(-3, 3, s)])
    _, dx, dz = example_forward_backward(2, 3)
    fd = O.fd_grad(lambda v: O.lecture_example(v[0], v[1]), np.array([2.0, 3.0]))
    ad = np.array([grad(O.lecture_example, k)(2.0, 3.0) for k in (0, 1)])
    rows.append(("example_forward_backward", "x=2, z=3", np.array([dx, dz]), fd, ad))
    x = rng.uniform(-2, 2, (3, 4))
    f = lambda v: np.sum(np.sin(v) * v**2)  # noqa: E731
    analytic = np.cos(x) * x**2 + 2 * x * np.sin(x)
    # here the function under test is itself a finite difference: both columns compare it with
    # exact derivatives (by hand, and autograd), so both are held to the finite-difference bound
    rows.append(("numerical_gradient", "sum(sin(x) x^2), x (3, 4)", numerical_gradient(f, x),
                 analytic, grad(lambda v: O.anp.sum(O.anp.sin(v) * v**2))(x)))
    return rows


def _layers():
    rng = _rng("layers")
    rows = []
    x, w, b = rng.normal(size=(3, 2, 3)), rng.normal(size=(6, 4)), rng.normal(size=4)
    out, cache = affine_forward(x, w, b)
    dout = rng.normal(size=out.shape)
    fwd = lambda *a: affine_forward(*a)[0]  # noqa: E731
    for k, g in enumerate(affine_backward(dout, cache)):
        rows.append((f"affine_backward d{'xwb'[k]}", "x (3, 2, 3), w (6, 4)", g,
                     O.fd_vjp_arg(fwd, (x, w, b), k, dout), O.vjp_arg(O.affine, (x, w, b), k, dout)))
    leaky = functools.partial(leaky_relu_forward, alpha=0.1)
    for name, fw, bw, ref in [
        ("relu_backward", relu_forward, relu_backward, O.relu),
        ("leaky_relu_backward", leaky, leaky_relu_backward,
         functools.partial(O.leaky_relu, alpha=0.1)),
        ("sigmoid_backward", sigmoid_forward, sigmoid_backward, O.sigmoid),
        ("tanh_backward", tanh_forward, tanh_backward, O.tanh),
    ]:
        x = _away(rng, (4, 5))
        out, cache = fw(x)
        dout = rng.normal(size=x.shape)
        rows.append((name, "x (4, 5), |x| in [0.1, 3]", bw(dout, cache),
                     O.fd_vjp(lambda v: fw(v)[0], x, dout), O.vjp(ref, x, dout)))
    x, y = rng.normal(size=(5, 4)) * 2, rng.integers(0, 4, 5)
    rows.append(("softmax_loss dx", "x (5, 4)", softmax_loss(x, y)[1],
                 O.fd_grad(lambda v: softmax_loss(v, y)[0], x), grad(O.softmax_loss)(x, y)))
    p, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    rows.append(("mse_loss dpred", "pred (4, 3)", mse_loss(p, t)[1],
                 O.fd_grad(lambda v: mse_loss(v, t)[0], p), grad(O.mse)(p, t)))
    p, t = rng.uniform(0.2, 0.8, 6), rng.integers(0, 2, 6).astype(float)
    rows.append(("bce_loss dprob", "p (6,) in [0.2, 0.8]", bce_loss(p, t)[1],
                 O.fd_grad(lambda v: bce_loss(v, t)[0], p), grad(O.bce)(p, t)))
    x, y = rng.normal(size=(4, 5)), rng.integers(0, 3, 4)
    params = [rng.normal(size=(5, 6)) / 2, rng.normal(size=6) * 0.1,
              rng.normal(size=(6, 3)) / 2, rng.normal(size=3) * 0.1]

    def layers(ps):
        return [(affine_forward, affine_backward, (ps[0], ps[1])),
                (relu_forward, relu_backward, ()),
                (affine_forward, affine_backward, (ps[2], ps[3]))]
    _, grads = backprop(layers(params), x, y, softmax_loss)
    ours = [*grads[0], *grads[2]]
    for k, g in enumerate(ours):
        def f(v, k=k):
            ps = list(params)
            ps[k] = v
            return backprop(layers(ps), x, y, softmax_loss)[0]
        rows.append((f"backprop {['dw1', 'db1', 'dw2', 'db2'][k]}", "affine-relu-affine-softmax",
                     g, O.fd_grad(f, params[k]),
                     grad(O.two_layer_net_loss, k)(*params, x, y)))
    return rows


def _conv():
    rng = _rng("conv")
    rows = []
    x, w, b = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    stride, pad = 2, 1
    out, cache = conv_forward(x, w, b, stride, pad)
    dout = rng.normal(size=out.shape)
    fwd = lambda *a: conv_forward(*a, stride, pad)[0]  # noqa: E731
    ref = lambda *a: O.conv(*a, stride, pad)  # noqa: E731
    for k, g in enumerate(conv_backward(dout, cache)):
        rows.append((f"conv_backward d{'xwb'[k]}", "x (2,2,5,5) w (3,2,3,2) s2 p1", g,
                     O.fd_vjp_arg(fwd, (x, w, b), k, dout), O.vjp_arg(ref, (x, w, b), k, dout)))
    shape = (2, 2, 5, 6)
    x = (rng.permutation(120) * 0.01).reshape(shape) - 0.6
    out, cache = max_pool_forward(x, 3, 2, 2)
    dout = rng.normal(size=out.shape)
    rows.append(("max_pool_backward", "x (2,2,5,6) pool 3x2 s2, no ties",
                 max_pool_backward(dout, cache),
                 O.fd_vjp(lambda v: max_pool_forward(v, 3, 2, 2)[0], x, dout),
                 O.vjp(lambda v: O.max_pool(v, 3, 2, 2), x, dout)))
    return rows


def _training():
    rng = _rng("training")
    rows = []
    x, p = _away(rng, (4, 5), 0.5, 2.0), 0.4
    out, cache = dropout_forward(x, p, True, np.random.default_rng(1))
    dout = rng.normal(size=x.shape)
    keep = (out != 0).astype(float)
    rows.append(("dropout_backward", "x (4, 5), p 0.4", dropout_backward(dout, cache),
                 O.fd_vjp(lambda v: dropout_forward(v, p, True, np.random.default_rng(1))[0],
                          x, dout),
                 O.vjp(lambda v: O.dropout_with_mask(v, keep, p), x, dout)))
    params, reg = [rng.normal(size=(3, 2)), rng.normal(size=4)], 0.3
    _, grads = l2_penalty(params, reg)
    for k, g in enumerate(grads):
        def f(v, k=k, sol=True):
            ps = list(params)
            ps[k] = v
            return l2_penalty(ps, reg)[0] if sol else O.l2(ps, reg)
        rows.append((f"l2_penalty grad {k}", f"param {params[k].shape}, reg 0.3", g,
                     O.fd_grad(f, params[k]), grad(functools.partial(f, sol=False))(params[k])))
    return rows


@pytest.fixture(scope="module")
def report():
    rows = []
    for section in (_graphs, _layers, _conv, _training):
        for name, inp, analytic, fd, ad in section():
            rows.append((name, inp, O.rel_error(analytic, fd), O.rel_error(analytic, ad)))
    return rows


NAMES = [
    *[f"{op}.backward d{k}" for op in ("Add", "Multiply", "Divide") for k in (0, 1)],
    "Exp.backward d0", "Log.backward d0", "Sin.backward d0",
    "example_forward_backward", "numerical_gradient",
    "affine_backward dx", "affine_backward dw", "affine_backward db",
    "relu_backward", "leaky_relu_backward", "sigmoid_backward", "tanh_backward",
    "softmax_loss dx", "mse_loss dpred", "bce_loss dprob",
    "backprop dw1", "backprop db1", "backprop dw2", "backprop db2",
    "conv_backward dx", "conv_backward dw", "conv_backward db", "max_pool_backward",
    "dropout_backward", "l2_penalty grad 0", "l2_penalty grad 1",
]


def test_report_covers_every_backward(report):
    assert sorted(r[0] for r in report) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_relative_error_vs_fd(report, name):
    (row,) = [r for r in report if r[0] == name]
    assert row[2] <= O.FD_RTOL, f"{name}: {row[2]:.2e} vs finite differences"
    tol_ad = O.FD_RTOL if name == "numerical_gradient" else O.EXACT_RTOL
    assert row[3] <= tol_ad, f"{name}: {row[3]:.2e} vs autograd"


def test_print_table(report):
    width = max(len(r[0]) for r in report)
    iw = max(len(r[1]) for r in report)
    print(f"\n{'function':<{width}}  {'input':<{iw}}  {'rel err vs fd':>13}  {'vs autograd':>11}")
    for name, inp, e_fd, e_ad in report:
        print(f"{name:<{width}}  {inp:<{iw}}  {e_fd:13.2e}  {e_ad:11.2e}")
    worst = max(report, key=lambda r: r[2])
    print(f"worst vs fd: {worst[0]} ({worst[1]}): {worst[2]:.2e}   "
          f"[norm-based: max|a-b| / (max|a| + max|b|)]")
