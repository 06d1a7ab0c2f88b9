"""The simple hidden checks run inside a notebook by ``nbgrader autograde``/``validate``.

Each graded function's module declares its check (``NOTEBOOK_CHECKS``) with its own inputs,
made from these helpers: the student's function (looked up in the notebook's namespace)
against the reference solution on random inputs, and the student's backward against central
finite differences of the student's own forward (``every_coordinate``). A failure raises
AssertionError with a short message; nothing here prints hidden inputs. The full judge
(``backproplab grade``) does not use them; they keep the source notebooks honest, and nbgrader's
own autograding meaningful.
"""
from functools import partial
from types import SimpleNamespace

import numpy as np

import solutions as ref

from .described import count_against, error_words, shape_against
from .finite_differences import every_coordinate

RTOL = 1e-6


def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, f"{shape_against(a.shape, b.shape)}; expected shape {b.shape}"
    # norm-based: elementwise ratios blow up on entries that are nearly zero in both
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def check_pair(stem, inputs, which, ns, seed=0):
    """Forward values vs the reference, and backward vs finite differences; ``inputs(rng)``
    gives (args, kwargs)."""
    rng = np.random.default_rng(seed)
    args, kwargs = inputs(rng)
    fwd = ns[f"{stem}_forward"]
    bwd = ns.get(f"{stem}_backward")  # not defined yet when forward is tested
    out, cache = fwd(*[a.copy() for a in args], **kwargs)
    if which == "forward":
        expected, _ = getattr(ref, f"{stem}_forward")(*args, **kwargs)
        err = rel_error(out, expected)
        assert err < RTOL, f"{stem}_forward: output differs from the expected values " \
            f"(rel. error {error_words(err)})"
        return
    dout = rng.standard_normal(np.shape(out))
    grads = bwd(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(args), \
        f"{stem}_backward returns {count_against(len(grads), len(args), 'gradient')}"
    for k, (x, g) in enumerate(zip(args, grads, strict=False)):
        def f(xk, k=k):
            rest = list(args)
            rest[k] = xk
            return fwd(*rest, **kwargs)[0]
        err = rel_error(g, every_coordinate(f, x.copy(), dout))
        assert err < RTOL, \
            f"{stem}_backward: gradient {k + 1} differs from finite differences " \
            f"({error_words(err)})"


def pair_checks(stem, inputs):
    """{forward name: check, backward name: check} of a pair whose inputs ``inputs`` makes."""
    return {f"{stem}_{which}": partial(check_pair, stem, inputs, which)
            for which in ("forward", "backward")}


def check_loss(name, inputs, ns, seed=0):
    """A loss's value vs the reference and its gradient vs finite differences of itself."""
    student = ns[name]
    given = inputs(np.random.default_rng(seed))
    loss, dx = student(*[a.copy() for a in given])
    ref_loss, _ = getattr(ref, name)(*given)
    assert abs(loss - ref_loss) <= RTOL * max(1.0, abs(ref_loss)), f"{name}: loss value differs"
    num = every_coordinate(lambda s: np.array(student(s, given[1])[0]), given[0].copy(),
                           np.array(1.0))
    assert rel_error(dx, num) < RTOL, f"{name}: gradient differs from finite differences"


def check_op(name, arity, ns, seed=0):
    """An Operation's forward vs the reference and its backward vs finite differences."""
    rng = np.random.default_rng(seed)
    args = [rng.uniform(0.5, 2.0, 3) for _ in range(arity)]
    op = ns[name]()
    value = op(*args)
    assert rel_error(value, getattr(ref, name)()(*args)) < RTOL, f"{name}: forward value differs"
    grads = op.backward(np.ones(3))
    for k in range(arity):
        num = every_coordinate(
            lambda xk, k=k: ns[name]()(*[xk if j == k else a for j, a in enumerate(args)]),
            args[k].copy(), np.ones(3))
        assert rel_error(grads[k], num) < RTOL, f"{name}: gradient {k + 1} differs"


def usual_inputs(rng):
    """The inputs every same-as-reference check draws (each uses what it needs): params and
    grads ([(3, 2), (2,)]), x (7, 3) and y (7, 2)."""
    params = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((7, 2))
    return SimpleNamespace(params=params, grads=grads, x=x, y=y)


def check_same_as_reference(name, call, ns, seed=0):
    """``call(function, usual_inputs, seed)`` of the student's and the reference's function
    agree (every array they return, in order). Each is handed inputs of its own: a function
    that changes its arguments in place must not change what the reference is given."""
    got = call(ns[name], usual_inputs(np.random.default_rng(seed)), seed)
    expected = call(getattr(ref, name), usual_inputs(np.random.default_rng(seed)), seed)
    assert rel_error(flat(got), flat(expected)) < 1e-5, f"{name}: result differs"


def same_as_reference(name, call):
    return {name: partial(check_same_as_reference, name, call)}


def flat(value):
    return np.concatenate([np.ravel(a) for a in flatten(value)])


def flatten(value):
    if isinstance(value, dict):
        return [a for k in sorted(value) for a in flatten(value[k])]
    if isinstance(value, (list, tuple)):
        return [a for v in value for a in flatten(v)]
    return [np.asarray(value, dtype=float)]


def loss_check(name, inputs):
    """{name: check} of a loss whose inputs ``inputs(rng)`` makes."""
    return {name: partial(check_loss, name, inputs)}
