"""The contract's additions: topological_order and backward_pass (hw1), softmax_forward and
softmax_backward (hw2), train_epoch (hw4).

Gradients are checked against autograd on formulations written here and against central
finite differences; orders and epochs against the laws the contract states, with hypothesis
over random graphs and data.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

import oracles as O
from solutions import (
    Add, Exp, Multiply, Operation, Sin, backward_pass, softmax_backward, softmax_forward,
    topological_order, train_epoch,
)


# ------------------------------------------------------------------------ topological_order

def random_dag(draw_rng, n):
    """{name: parents}: node k picks up to 3 parents among nodes before it (repeats allowed),
    names shuffled so that insertion order says nothing."""
    names = [f"n{i}" for i in draw_rng.permutation(n)]
    parents = {}
    for k, name in enumerate(names):
        count = int(draw_rng.integers(0, min(k, 3) + 1))
        parents[name] = tuple(names[int(j)] for j in draw_rng.integers(0, k, count)) if k else ()
    shuffled = list(parents.items())
    draw_rng.shuffle(shuffled)
    return dict(shuffled)


def is_topological(order, parents):
    position = {name: i for i, name in enumerate(order)}
    return (sorted(order) == sorted(parents)
            and all(position[p] < position[n] for n, ps in parents.items() for p in ps))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**31))
def test_every_node_comes_once_and_after_its_parents(n, seed):
    parents = random_dag(np.random.default_rng(seed), n)
    before = dict(parents)
    assert is_topological(topological_order(parents), parents)
    assert parents == before


def test_a_chain_of_ten_thousand_nodes_needs_no_deep_recursion():
    parents = {"x0": ()} | {f"x{i}": (f"x{i - 1}",) for i in range(1, 10_000)}
    order = topological_order(dict(reversed(list(parents.items()))))
    assert order == [f"x{i}" for i in range(10_000)]


def test_a_parent_used_twice_and_the_lecture_graph():
    assert topological_order({"sq": ("x", "x"), "x": ()}) == ["x", "sq"]
    lecture = {"x": (), "z": (), "a": ("x", "z"), "b": ("x",), "c": ("b",), "d": ("a",),
               "e": ("a", "b"), "f": ("c", "a"), "y1": ("d", "e"), "y": ("y1", "f")}
    assert is_topological(topological_order(lecture), lecture)


# ---------------------------------------------------------------------------- backward_pass

class Twin(Operation):
    """``a + a`` for one input used twice; backward hands the same object to both slots."""

    def forward(self, a, b):
        return a + b

    def backward(self, output_grad):
        return output_grad, output_grad


def build(expression, values):
    """Run ``expression`` (a list of (name, op class, parent names)) on ``values``; returns
    the nodes dict backward_pass takes."""
    nodes = {name: (None, ()) for name in values}
    env = dict(values)
    for name, cls, parents in expression:
        op = cls()
        env[name] = op(*[env[p] for p in parents])
        nodes[name] = (op, tuple(parents))
    return nodes, env


ANP = {Add: lambda a, b: a + b, Multiply: lambda a, b: a * b, Exp: anp.exp, Sin: anp.sin,
       Twin: lambda a, b: a + b}


def autograd_value(expression, output, names):
    """The output as an autograd function of the inputs ``names`` (formulated again here)."""
    def f(*inputs):
        env = dict(zip(names, inputs))
        for name, cls, parents in expression:
            env[name] = ANP[cls](*[env[p] for p in parents])
        return anp.sum(env[output])
    return f


def random_expression(rng, inputs, size):
    names, expression = list(inputs), []
    for k in range(size):
        cls = [Add, Multiply, Exp, Sin, Twin][int(rng.integers(0, 5))]
        arity = 1 if cls in (Exp, Sin) else 2
        parents = [names[int(j)] for j in rng.integers(0, len(names), arity)]
        if cls is Twin:
            parents = [parents[0], parents[0]]
        name = f"v{k}"
        expression.append((name, cls, parents))
        names.append(name)
    return expression


@pytest.mark.filterwarnings("ignore:Output seems independent of input")  # unused inputs
@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(0, 2**31), st.sampled_from([(), (3,)]))
def test_backward_pass_matches_autograd_and_finite_differences(size, seed, shape):
    rng = np.random.default_rng(seed)
    values = {name: rng.uniform(-0.8, 0.8, shape) for name in ("x", "y", "z")}
    expression = random_expression(rng, values, size)
    output = expression[-1][0]
    nodes, env = build(expression, values)
    grads = backward_pass(nodes, output)
    names = list(values)
    f = autograd_value(expression, output, names)
    for i, name in enumerate(names):
        expected = grad(f, i)(*[values[n] for n in names])
        if name in grads:  # the seed 1.0 may reach an input as a scalar that broadcasts
            got = np.broadcast_to(grads[name], np.shape(values[name]))
            assert O.rel_error(got, expected) < O.EXACT_RTOL
            numeric = O.fd_grad(lambda v: f(*[v if n == name else values[n] for n in names]),
                                values[name])
            assert O.rel_error(got, numeric) < 1e-6
        else:  # an input the output does not depend on
            assert np.all(expected == 0)
    assert grads[output] == 1.0


def test_nodes_that_cannot_reach_the_output_are_absent_and_users_add_up():
    values = {"x": 2.0, "y": 3.0, "unused": 5.0}
    expression = [("sq", Twin, ["x", "x"]), ("p", Multiply, ["sq", "y"]),
                  ("side", Exp, ["unused"]), ("out", Add, ["p", "x"])]
    nodes, _ = build(expression, values)
    grads = backward_pass(nodes, "out")
    assert set(grads) == {"x", "y", "sq", "p", "out"}
    assert grads["x"] == pytest.approx(2 * 3.0 + 1.0)  # through sq (twice) and directly
    assert grads["y"] == pytest.approx(4.0)


def test_no_gradient_is_added_in_place():
    x = np.array([1.0, 2.0])
    nodes, _ = build([("t", Twin, ["x", "x"]), ("out", Twin, ["t", "t"])], {"x": x})
    upstream = np.ones(2)

    class Seed(Operation):  # hands one array object to backward_pass's users
        def forward(self, a):
            return a

        def backward(self, output_grad):
            return (upstream,)

    nodes["s"] = (Seed(), ("out",))
    nodes["s"][0](x)
    grads = backward_pass(nodes, "s")
    assert np.all(upstream == 1.0)
    assert np.allclose(grads["x"], 4.0)


# ---------------------------------------------------------------------------- softmax layer

def softmax_oracle(x):
    return anp.exp(x - anp.log(anp.sum(anp.exp(x - anp.max(x, axis=1, keepdims=True)),
                                       axis=1, keepdims=True)) - anp.max(x, axis=1, keepdims=True))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(2, 6), st.integers(0, 2**31), st.sampled_from([1.0, 50.0]))
def test_softmax_layer_matches_autograd_and_finite_differences(n, c, seed, scale):
    rng = np.random.default_rng(seed)
    x, dout = rng.normal(size=(n, c)) * scale, rng.normal(size=(n, c))
    out, cache = O.call_unchanged(softmax_forward, x)
    assert O.rel_error(out, softmax_oracle(x)) < O.EXACT_RTOL
    dx = O.call_unchanged(softmax_backward, dout, cache)
    expected = grad(lambda v: anp.sum(softmax_oracle(v) * dout))(x)
    # saturated rows cancel (dout_k - sum ~ 0): rounding is relative to |dout|, not to |dx|
    assert np.allclose(dx, expected, rtol=1e-9, atol=1e-14 * np.abs(dout).max())
    if scale == 1.0:
        assert O.rel_error(dx, O.fd_vjp(lambda v: softmax_forward(v)[0], x, dout)) < 1e-7


def test_softmax_jacobian_by_hand_and_huge_scores():
    x = np.array([[1.0, 2.0, 3.0]])
    y, cache = softmax_forward(x)
    jacobian = np.diag(y[0]) - np.outer(y[0], y[0])  # y_i (delta_ij - y_j)
    for j in range(3):
        e = np.zeros((1, 3))
        e[0, j] = 1.0
        assert np.allclose(softmax_backward(e, cache)[0], jacobian[j])
    huge, _ = softmax_forward(np.array([[1e3, -1e3, 0.0], [-1e3, -1e3, -1e3]]))
    assert np.all(np.isfinite(huge)) and np.allclose(huge.sum(axis=1), 1.0)


def test_softmax_then_cross_entropy_gives_p_minus_y():
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(4, 5)), np.array([0, 3, 1, 4])
    p, cache = softmax_forward(x)
    onehot = np.eye(5)[labels]
    dp = -onehot / p / len(labels)  # d(mean -log p_y)/dp
    assert np.allclose(softmax_backward(dp, cache), (p - onehot) / len(labels))


# ------------------------------------------------------------------------------ train_epoch

def squared_error_grad(params, xb, yb):
    """Loss and gradients of mean squared error of a linear model, by autograd."""
    def loss(w, b):
        return anp.mean((anp.dot(xb, w) + b - yb) ** 2)
    w, b = params
    return float(loss(w, b)), [grad(loss, 0)(w, b), grad(loss, 1)(w, b)]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 23), st.integers(1, 8), st.integers(0, 2**31))
def test_one_epoch_is_sgd_over_the_permuted_batches(n, batch_size, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, 3)), rng.normal(size=(n,))
    params = [rng.normal(size=3), np.array(0.5)]
    before = [p.copy() for p in params]
    seen = []

    def recording(p, xb, yb):
        seen.append(len(xb))
        return squared_error_grad(p, xb, yb)

    new, losses = train_epoch(params, x, y, recording, 0.1, batch_size,
                              np.random.default_rng(seed))
    assert all(np.array_equal(p, b) for p, b in zip(params, before))
    # the oracle: sample by sample, the batches written as index lists of the same order
    order = np.random.default_rng(seed).permutation(n)
    expected, expected_losses = [p.copy() for p in before], []
    for batch in [order[i:i + batch_size] for i in range(0, n, batch_size)]:
        loss, grads = squared_error_grad(expected, x[batch], y[batch])
        expected = [p - 0.1 * g for p, g in zip(expected, grads)]
        expected_losses.append(loss)
    assert seen == [len(order[i:i + batch_size]) for i in range(0, n, batch_size)]
    assert all(O.rel_error(a, b) < 1e-12 for a, b in zip(new, expected))
    assert losses == pytest.approx(expected_losses, rel=1e-12)
    assert all(type(v) is float for v in losses)
