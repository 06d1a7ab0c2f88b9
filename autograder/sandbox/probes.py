"""Functions the grader hands to student code: test functions for ``numerical_gradient`` and
layers and a loss that are not graded functions, for checking ``backprop``.

Loaded by path in the child (which resolves ``{"p": name}`` to them) and imported by the
judge, which computes what the student's code should return from the same definitions.
Nothing here is secret or a solution: they are the judge's test fixtures.
"""
import numpy as np


class Probe:
    """A reference to a probe function, sent to the child by name."""

    def __init__(self, name):
        self.wire_probe = name

    def __repr__(self):
        return f"Probe({self.wire_probe!r})"


class Rng:
    """A ``numpy.random.default_rng(seed)`` to be made in the child."""

    def __init__(self, seed):
        self.wire_rng = seed


def item(container, index):
    """``container[index]``: lets the judge pick a part of a result kept in the child."""
    return container[index]


def attribute(obj, name):
    """``getattr(obj, name)``: lets the judge read an attribute of an object kept in the child."""
    return getattr(obj, name)


def cube_sum(x):
    return float(np.sum(x**3))


def sin_times_x(x):
    return float(np.sum(np.sin(x) * x))


def quartic_coupled(x):
    flat = np.ravel(x)
    return float(np.sum(flat**4) / 4 + np.sum(flat[:-1] * flat[1:]))


def log_sum_exp(x):
    m = np.max(x)
    return float(m + np.log(np.sum(np.exp(x - m))))


def linear_forward(x, w):
    return x @ w, (x, w)


def linear_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout


def shift_forward(x, c):
    return x + c, None


def shift_backward(dout, cache):
    return dout, dout.sum(axis=0)


def linear_bias_forward(x, w, b):
    return x @ w + b, (x, w)


def linear_bias_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def scaled_tanh_forward(x):
    return 2.0 * np.tanh(x), x


def scaled_tanh_backward(dout, x):
    return dout * 2.0 / np.cosh(x) ** 2


def half_sse_loss(scores, y):
    n = scores.shape[0]
    diff = scores - y
    return float(0.5 * np.sum(diff * diff) / n), diff / n


def least_squares_grad(params, x, y):
    """A ``grad_fn`` for ``train_epoch``: half the mean squared residual of the linear model
    ``x @ w`` (``+ b`` when params is ``[w, b]``), x (n, D), y (n, K); returns (loss as a 0-d
    array, [dw] or [dw, db])."""
    residual = x @ params[0] - y
    if len(params) > 1:
        residual = residual + params[1]
    n = x.shape[0]
    grads = [x.T @ residual / n] + ([residual.sum(axis=0) / n] if len(params) > 1 else [])
    return np.asarray(0.5 * np.sum(residual * residual) / n), grads


class GraphOp:
    """An operation of the graphs hw1's ``backward_pass`` is checked on (duck-typed like the
    notebook's ``Operation``): ``op(*args)`` keeps ``inputs`` and ``value``; ``backward(g)``
    returns one gradient per argument."""

    def __call__(self, *args):
        self.inputs = args
        self.value = self.forward(*args)
        return self.value


class GraphPlus(GraphOp):
    """``a + b``; backward hands the very object it receives to both inputs."""

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class GraphTimes(GraphOp):
    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        return g * b, g * a


class GraphExp(GraphOp):
    def forward(self, a):
        return np.exp(a)

    def backward(self, g):
        return (g * self.value,)


class GraphSin(GraphOp):
    def forward(self, a):
        return np.sin(a)

    def backward(self, g):
        return (g * np.cos(self.inputs[0]),)


GRAPH_OPS = {"plus": GraphPlus, "times": GraphTimes, "exp": GraphExp, "sin": GraphSin}


def graph_nodes(spec):
    """The ``nodes`` dict of ``backward_pass`` from plain data: ``spec["values"]`` {input:
    value}, ``spec["ops"]`` [[name, op kind, [parents]]] in an order that computes parents
    first, ``spec["listing"]`` every name in the order the dict lists them."""
    values, made = dict(spec["values"]), {name: (None, ()) for name in spec["values"]}
    for name, kind, parents in spec["ops"]:
        op = GRAPH_OPS[kind]()
        values[name] = op(*[values[p] for p in parents])
        made[name] = (op, tuple(parents))
    return {name: made[name] for name in spec["listing"]}

PROBES = {f.__name__: f for f in (
    item, cube_sum, sin_times_x, quartic_coupled, log_sum_exp, linear_forward, linear_backward,
    shift_forward, shift_backward, scaled_tanh_forward, scaled_tanh_backward, half_sse_loss,
    attribute, linear_bias_forward, linear_bias_backward, least_squares_grad)}
PROBES[graph_nodes.__name__] = graph_nodes  # hw1's backward_pass
