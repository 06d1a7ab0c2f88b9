"""First, simple hidden checks run inside a notebook by ``nbgrader autograde``/``validate``.

Each check compares the student's function (looked up in the notebook's namespace) with
the reference solution on random inputs, and the student's backward with central finite
differences of the student's own forward. A failure raises AssertionError with a short
message; nothing here prints hidden inputs. The full judge lives elsewhere (autograder
issue); these keep the source notebooks honest meanwhile.
"""
from functools import partial

import numpy as np

import solutions as ref

from .checks_graphs import is_topological
from .sandbox.probes import graph_nodes, least_squares_grad

RTOL = 1e-6


def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, f"shape {a.shape}, expected {b.shape}"
    # norm-based: elementwise ratios blow up on entries that are nearly zero in both
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def fd_array(f, x, dout, h=1e-5):
    """Central differences of sum(f(x) * dout) with respect to x (x restored)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        plus = np.sum(f(x) * dout)
        x[i] = saved - h
        minus = np.sum(f(x) * dout)
        x[i] = saved
        grad[i] = (plus - minus) / (2 * h)
    return grad


def away_from_zero(rng, shape, margin=0.1):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin + x, x)


PAIR_INPUTS = {
    "affine": lambda rng: ((rng.standard_normal((3, 2, 3)), rng.standard_normal((6, 4)),
                            rng.standard_normal(4)), {}),
    "relu": lambda rng: ((away_from_zero(rng, (4, 5)),), {}),
    "leaky_relu": lambda rng: ((away_from_zero(rng, (4, 5)),), {"alpha": 0.05}),
    "prelu": lambda rng: ((away_from_zero(rng, (4, 5)), rng.permutation(5) * 0.05 + 0.1), {}),
    "sigmoid": lambda rng: ((3 * rng.standard_normal((4, 5)),), {}),
    "tanh": lambda rng: ((2 * rng.standard_normal((4, 5)),), {}),
    "softmax": lambda rng: ((2 * rng.standard_normal((4, 5)),), {}),
    "conv": lambda rng: ((rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3)),
                          rng.standard_normal(2)), {"stride": 2, "pad": 1}),
    "max_pool": lambda rng: ((rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) * 0.1,), {}),
}


def check_pair(stem, which, ns, seed=0):
    """Forward values vs the reference, and backward vs finite differences."""
    rng = np.random.default_rng(seed)
    args, kwargs = PAIR_INPUTS[stem](rng)
    fwd, bwd = ns[f"{stem}_forward"], ns.get(f"{stem}_backward")  # not defined yet when forward is tested
    out, cache = fwd(*[a.copy() for a in args], **kwargs)
    if which == "forward":
        expected, _ = getattr(ref, f"{stem}_forward")(*args, **kwargs)
        err = rel_error(out, expected)
        assert err < RTOL, f"{stem}_forward: output differs from the expected values (rel. error {err:.1e})"
        return
    dout = rng.standard_normal(np.shape(out))
    grads = bwd(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(args), f"{stem}_backward returns {len(grads)} gradients, expected {len(args)}"
    for k, (x, g) in enumerate(zip(args, grads)):
        def f(xk, k=k):
            rest = list(args)
            rest[k] = xk
            return fwd(*rest, **kwargs)[0]
        err = rel_error(g, fd_array(f, x.copy(), dout))
        assert err < RTOL, f"{stem}_backward: gradient {k + 1} differs from finite differences ({err:.1e})"


def check_loss(name, ns, seed=0):
    rng = np.random.default_rng(seed)
    inputs = {
        "softmax_loss": (rng.standard_normal((5, 4)), rng.integers(0, 4, 5)),
        "mse_loss": (rng.standard_normal((5, 3)), rng.standard_normal((5, 3))),
        "bce_loss": (rng.uniform(0.1, 0.9, 6), rng.integers(0, 2, 6).astype(float)),
    }[name]
    student = ns[name]
    loss, dx = student(*[a.copy() for a in inputs])
    ref_loss, _ = getattr(ref, name)(*inputs)
    assert abs(loss - ref_loss) <= RTOL * max(1.0, abs(ref_loss)), f"{name}: loss value differs"
    num = fd_array(lambda s: np.array(student(s, inputs[1])[0]), inputs[0].copy(), np.array(1.0))
    assert rel_error(dx, num) < RTOL, f"{name}: gradient differs from finite differences"


def check_op(name, ns, seed=0):
    rng = np.random.default_rng(seed)
    arity = 2 if name in ("Add", "Multiply", "Divide") else 1
    args = [rng.uniform(0.5, 2.0, 3) for _ in range(arity)]
    op = ns[name]()
    value = op(*args)
    assert rel_error(value, getattr(ref, name)()(*args)) < RTOL, f"{name}: forward value differs"
    grads = op.backward(np.ones(3))
    for k in range(arity):
        num = fd_array(lambda xk: ns[name]()(*[xk if j == k else a for j, a in enumerate(args)]),
                       args[k].copy(), np.ones(3))
        assert rel_error(grads[k], num) < RTOL, f"{name}: gradient {k + 1} differs"


def check_same_as_reference(name, ns, seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((7, 2))
    calls = {
        "l2_penalty": lambda f: f(params, 0.1),
        "sgd_step": lambda f: f(params, grads, 0.1),
        "sgd_momentum_step": lambda f: f(params, grads, [g * 0.5 for g in grads], 0.1),
        "adam_step": lambda f: f(params, grads, None, 0.1),
        "train_epoch": lambda f: f(params, x, y, least_squares_grad, 0.1, 3,
                                   np.random.default_rng(seed)),
        "example_forward_backward": lambda f: f(2.0, 3.0),
        "numerical_gradient": lambda f: f(lambda x: float(np.sum(np.sin(x) * x)), params[0]),
    }
    got, expected = calls[name](ns[name]), calls[name](getattr(ref, name))
    flat = lambda v: np.concatenate([np.ravel(a) for a in flatten(v)])
    assert rel_error(flat(got), flat(expected)) < 1e-5, f"{name}: result differs"


def flatten(value):
    if isinstance(value, dict):
        return [a for k in sorted(value) for a in flatten(value[k])]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in flatten(v)]
    return [np.asarray(value, dtype=float)]


def check_backprop(ns, seed=0):
    """backprop with layers that are not graded functions: a scaled tanh and a linear map."""
    rng = np.random.default_rng(seed)
    lin_f = lambda x, w: (x @ w, (x, w))
    lin_b = lambda d, c: (d @ c[1].T, c[0].T @ d)
    act_f = lambda x: (np.tanh(x) * 2, x)
    act_b = lambda d, x: d * 2 * (1 - np.tanh(x) ** 2)
    w1, w2 = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    x, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    loss_fn = lambda s, t: (float(np.sum((s - t) ** 2)), 2 * (s - t))
    layers = lambda a, b: [(lin_f, lin_b, (a,)), (act_f, act_b, ()), (lin_f, lin_b, (b,))]
    loss, grads = ns["backprop"](layers(w1, w2), x, y, loss_fn)
    assert len(grads) == 3 and len(grads[1]) == 0, "backprop: one tuple of gradients per layer"
    total = lambda a, b: np.array(loss_fn(np.tanh(x @ a) * 2 @ b, y)[0])
    assert rel_error(grads[0][0], fd_array(lambda a: total(a, w2), w1.copy(), np.array(1.0))) < RTOL
    assert rel_error(grads[2][0], fd_array(lambda b: total(w1, b), w2.copy(), np.array(1.0))) < RTOL


def check_dropout(ns, seed=0, backward=False):
    x = np.random.default_rng(seed).standard_normal((50, 40)) + 3.0
    out, cache = ns["dropout_forward"](x.copy(), 0.3, True, np.random.default_rng(1))
    kept = out != 0
    assert np.allclose(out[kept], x[kept] / 0.7), "dropout_forward: kept units must be scaled by 1/(1-p)"
    assert 0.6 < kept.mean() < 0.8, "dropout_forward: drop about a fraction p of units"
    test_out, _ = ns["dropout_forward"](x.copy(), 0.3, False, np.random.default_rng(1))
    assert np.allclose(test_out, x), "dropout_forward: identity at test time"
    if backward:
        dx = ns["dropout_backward"](np.ones_like(x), cache)
        assert np.allclose(dx, kept / 0.7), "dropout_backward: gradient flows only through kept units"


def check_init(ns, seed=0):
    for scheme, std in [("normal", 1.0), ("xavier", np.sqrt(1 / 400)), ("he", np.sqrt(2 / 400))]:
        w = ns["init_weights"](400, 300, scheme, np.random.default_rng(seed))
        assert w.shape == (400, 300), f"init_weights: shape {w.shape}"
        assert abs(w.std() / std - 1) < 0.02 and abs(w.mean()) < 0.02 * std, f"init_weights {scheme}"
    assert not np.any(ns["init_weights"](3, 4, "zeros", np.random.default_rng(0)))


def check_topological_order(ns):
    """hw1: every node once, each after its parents, on a scrambled graph and a long chain."""
    scrambled = {"y": ("s", "x"), "s": ("q", "q"), "q": ("x", "z"), "x": (), "z": ()}
    chain = {f"n{i}": (f"n{i - 1}",) if i else () for i in reversed(range(5000))}
    for parents in (scrambled, chain):
        order = ns["topological_order"](dict(parents))
        assert sorted(order) == sorted(parents), "topological_order: every node exactly once"
        assert is_topological(order, parents), \
            "topological_order: a node comes before one of its parents"


def check_backward_pass(ns, seed=0):
    """hw1: the gradients of the reference engine on a graph of the grader's own ops."""
    rng = np.random.default_rng(seed)
    spec = {"values": {"x": rng.uniform(0.3, 1.0, 3), "w": rng.uniform(0.3, 1.0, 3)},
            "ops": [["a", "times", ["x", "w"]], ["s", "plus", ["a", "x"]],
                    ["b", "sin", ["a"]], ["y", "times", ["s", "b"]], ["u", "exp", ["y"]]],
            "listing": ["u", "y", "b", "s", "a", "w", "x"]}
    got = ns["backward_pass"](graph_nodes(spec), "y")
    nodes = graph_nodes(spec)
    expected = ref.backward_pass(nodes, "y")
    assert set(got) == set(expected), "backward_pass: the nodes that reach the output, only"
    for name, grad in expected.items():
        op = nodes[name][0]
        shape = np.shape(spec["values"][name] if op is None else op.value)
        assert rel_error(np.broadcast_to(got[name], shape), np.broadcast_to(grad, shape)) \
            < RTOL, "backward_pass: a gradient differs"

def checks():
    table = {}
    for stem in PAIR_INPUTS:
        for which in ("forward", "backward"):
            table[f"{stem}_{which}"] = partial(check_pair, stem, which)
    for name in ("softmax_loss", "mse_loss", "bce_loss"):
        table[name] = partial(check_loss, name)
    for name in ("Add", "Multiply", "Divide", "Exp", "Log", "Sin"):
        table[name] = partial(check_op, name)
    for name in ("l2_penalty", "sgd_step", "sgd_momentum_step", "adam_step", "train_epoch",
                 "example_forward_backward", "numerical_gradient"):
        table[name] = partial(check_same_as_reference, name)
    table["backprop"] = check_backprop
    table["dropout_forward"] = check_dropout
    table["dropout_backward"] = partial(check_dropout, backward=True)
    table["init_weights"] = check_init
    table["topological_order"] = check_topological_order
    table["backward_pass"] = check_backward_pass
    return table


CHECKS = checks()


def run_hidden_check(name, namespace):
    """Run the simple hidden check of the graded function ``name`` (raises on failure)."""
    with np.errstate(all="ignore"):
        CHECKS[name](namespace)
