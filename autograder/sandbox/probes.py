"""Functions the grader hands to student code: test functions for ``numerical_gradient``,
layers and a loss for checking ``backprop``, and the operations of the graphs
``backward_pass`` is checked on.

Loaded by path in the child (which resolves ``{"p": name}`` to them) and imported by the
judge, which computes what the student's code should return from the same definitions.
Nothing here is secret or a solution, and nothing computes a graded function: student code
can reach this module in the child (through ``sys.modules`` or a frame), so a graded function
that calls one of these gets a wrong answer, never the right one for free
(tests/sandbox/test_reachable.py calls everything a student cell can reach on every graded
function's inputs).
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


# The layers and the loss of ``backprop``'s hidden networks. None is a graded function, nor
# one up to its arguments' order: the linear maps are halved, the shift doubled, the
# activation is softsign (no graded layer) and the loss quartic, so nothing here returns what
# ``affine_*``, ``tanh_*``, ``mse_loss`` or any other graded function returns.

def half_linear_forward(x, w):
    """``x @ w / 2``: x (N, D), w (D, M) -> out (N, M); the cache is (x, w)."""
    return 0.5 * (x @ w), (x, w)


def half_linear_backward(dout, cache):
    """dout (N, M) -> (dx (N, D), dw (D, M)) of ``half_linear_forward``."""
    x, w = cache
    return 0.5 * (dout @ w.T), 0.5 * (x.T @ dout)


def double_shift_forward(x, c):
    """``x + 2 c``: x (N, M), c (M,) -> out (N, M); no cache."""
    return x + 2.0 * c, None


def double_shift_backward(dout, cache):
    """dout (N, M) -> (dx (N, M), dc (M,)) of ``double_shift_forward``."""
    return dout, 2.0 * dout.sum(axis=0)


def half_linear_bias_forward(x, w, b):
    """``(x @ w + b) / 2``: x (N, D), w (D, M), b (M,) -> out (N, M); the cache is (x, w)."""
    return 0.5 * (x @ w + b), (x, w)


def half_linear_bias_backward(dout, cache):
    """dout (N, M) -> (dx (N, D), dw (D, M), db (M,)) of ``half_linear_bias_forward``."""
    x, w = cache
    return 0.5 * (dout @ w.T), 0.5 * (x.T @ dout), 0.5 * dout.sum(axis=0)


def softsign_forward(x):
    """``x / (1 + |x|)`` elementwise, any shape; the cache is x."""
    return x / (1.0 + np.abs(x)), x


def softsign_backward(dout, x):
    """dout (shape of x) -> dx of ``softsign_forward``."""
    return dout / (1.0 + np.abs(x)) ** 2


def quartic_loss(scores, y):
    """``sum((scores - y) ** 4) / (4 N)`` for scores, y (N, M): (loss as a float, dscores)."""
    n = scores.shape[0]
    diff = scores - y
    return float(np.sum(diff**4) / (4 * n)), diff**3 / n


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
    """An operation of the graphs hw1's ``backward_pass`` and ``topological_order``-based
    engines are checked on (duck-typed like the notebook's ``Operation``): ``op(*args)`` keeps
    ``inputs`` and ``value``; ``backward(g)`` returns one gradient per argument. None of them
    is a graded operation (Add, Multiply, Divide, Exp, Log, Sin), so a student's op can't
    borrow its gradient from one of these."""

    def __call__(self, *args):
        self.inputs = args
        self.value = self.forward(*args)
        return self.value


class GraphMean(GraphOp):
    """``(a + b) / 2``; backward hands one and the same object to both inputs."""

    def forward(self, a, b):
        return (a + b) / 2

    def backward(self, g):
        half = g * 0.5
        return half, half


class GraphTwiceProduct(GraphOp):
    """``2 a b``."""

    def forward(self, a, b):
        return 2.0 * a * b

    def backward(self, g):
        a, b = self.inputs
        return 2.0 * g * b, 2.0 * g * a


class GraphCube(GraphOp):
    """``a ** 3``."""

    def forward(self, a):
        return a**3

    def backward(self, g):
        return (3.0 * g * self.inputs[0] ** 2,)


class GraphSoftsign(GraphOp):
    """``a / (1 + |a|)``."""

    def forward(self, a):
        return a / (1.0 + np.abs(a))

    def backward(self, g):
        return (g / (1.0 + np.abs(self.inputs[0])) ** 2,)


GRAPH_OPS = {"mean": GraphMean, "twice": GraphTwiceProduct, "cube": GraphCube,
             "softsign": GraphSoftsign}


def graph_op(line):
    """(name, op kind, parents) of one line of a spec's ``ops``: ``"name kind parent ..."``
    (one string a node: a 10,000-node graph stays within the wire's bounds)."""
    name, kind, *parents = line.split()
    return name, kind, parents


def chain_ops(length, kind, first, other):
    """The ops of a chain of ``length`` nodes n1 .. n<length>: n1 is ``kind`` of ``first``
    and ``other``, each next node ``kind`` of the one before and ``other``."""
    return [f"n{i} {kind} {f'n{i - 1}' if i > 1 else first} {other}"
            for i in range(1, length + 1)]


def chain_listing(length, first, other):
    """The names of ``chain_ops``'s graph, listed from the chain's end back to its inputs."""
    return [f"n{i}" for i in range(length, 0, -1)] + [other, first]


def chain_parents(size):
    """``topological_order``'s chain n0 -> n1 -> ... -> n<size - 1> as {name: parents},
    listed from its end back to its start (built where it is used: the child gets 1 number,
    not 10,000 entries)."""
    return {f"n{i}": (f"n{i - 1}",) if i else () for i in reversed(range(size))}


def graph_nodes(spec):
    """The ``nodes`` dict of ``backward_pass`` from plain data: ``spec["values"]`` {input:
    value}, ``spec["ops"]`` ["name kind parent ..."] (``graph_op``) in an order that computes
    parents first, ``spec["listing"]`` every name in the order the dict lists them; or, for
    a chain, ``spec["chain"]`` [length, kind, first, other] in their place (``chain_ops``)."""
    if "ops" not in spec:
        length, kind, first, other = spec["chain"]
        spec = {"values": spec["values"], "ops": chain_ops(length, kind, first, other),
                "listing": chain_listing(length, first, other)}
    values, made = dict(spec["values"]), {name: (None, ()) for name in spec["values"]}
    for name, kind, parents in map(graph_op, spec["ops"]):
        op = GRAPH_OPS[kind]()
        values[name] = op(*[values[p] for p in parents])
        made[name] = (op, tuple(parents))
    return {name: made[name] for name in spec["listing"]}

def graph_state(nodes):
    """What the judge reads back of a ``nodes`` dict after ``backward_pass``: {name: [parents,
    the op's inputs, its value]} (None for an input's op), or "changed" for an entry that is
    no longer an (op, parents) pair whose op has both."""
    state = {}
    for name, entry in dict.items(nodes):
        try:
            op, parents = entry
            state[name] = [tuple(parents), None if op is None else tuple(op.inputs),
                           None if op is None else op.value]
        except Exception:
            state[name] = "changed"
    return state


PROBES = {f.__name__: f for f in (
    item, cube_sum, sin_times_x, quartic_coupled, log_sum_exp, half_linear_forward,
    half_linear_backward, double_shift_forward, double_shift_backward, softsign_forward,
    softsign_backward, quartic_loss, attribute, half_linear_bias_forward,
    half_linear_bias_backward, least_squares_grad, graph_nodes, graph_state,
    chain_parents)}
