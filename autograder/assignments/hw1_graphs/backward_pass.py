"""backward_pass (hw1): everything the grader knows about it.

Hidden graphs of the grader's own ops (``probes.graph_nodes`` builds them in the child from
plain data and keeps them there; the judge builds the same graph and runs the reference
engine). The ops are not graded ones (a mean of two, a doubled product, a cube, softsign), so
a student's op can't borrow a gradient from them. Every node that reaches the output must
have its gradient, and only those; the contract's chain of 10,000 nodes must not recurse as
deep as the graph; and ``nodes`` must be left as it was given (its entries, the parents, the
ops' inputs and values), read back after each call with ``probes.graph_state``. A wrong
dict is matched against what the usual wrong engines give on that graph (``=`` instead of
``+=``, ``+=`` in place into an array two nodes hold, every backward called with 1.0, a visit
order that is not reverse topological), so the diagnosis names the slip.
"""
import itertools

import numpy as np

import solutions

from ...judging.compare import Slip
from ...judging.described import count_of, part_of, value_kind
from ...judging.diagnose import Diagnosis
from ...judging.grades import CheckSpec
from ...judging.in_notebook import RTOL, rel_error
from ...judging.judge import StudentError, as_float_array, deep_failure, failure, one_check
from ...judging.kinds import Kind, declare
from ...judging.recipes import drawn
from ...judging.tally import Arguments, Tally
from ...sandbox import probes
from ...sandbox.probes import Probe

BACKWARD = "backward_pass"
DEEP_BACKWARD = 10_000  # the contract's chain
GRAPH_NODES, GRAPH_STATE = Probe("graph_nodes"), Probe("graph_state")

GRADIENTS = CheckSpec("gradients on hidden graphs", "gradient", 4)
DEEP = CheckSpec(f"gradients along a chain of {DEEP_BACKWARD:,} nodes", "gradient", 2)
KEYS = CheckSpec("holds exactly the nodes that reach the output", "structure", 1)
KINDS = declare(
    Kind("overwrote_gradient", "each contribution stored with = instead of added"),
    Kind("added_in_place", "a contribution added in place into an array another node holds"),
    Kind("not_reverse_topological", "the nodes visited in an order that is not reverse "
         "topological"),
    Kind("missing_gradient", "nodes that reach the output left without a gradient"),
    Kind("output_not_one", "grads[output] is not 1.0"),
    Kind("unreachable_present", "gradients given to nodes that can't reach the output"),
)
SMALL = (((0.3, 0.6), (0.8, 1.1)), (1, -1))  # inputs away from 0 (where the cube's and the
                                              # product's local derivatives vanish) and from 1

# Hidden graphs of the grader's own ops (probes.graph_nodes): (shape of the values, inputs,
# ["name op parent ..."] parents first, the dict's listing, the output). The numbers are
# drawn by recipe; the structure and the listing are fixed.
BACKWARD_CASES = {
    "the lecture's graph (scalars, listed scrambled)": (
        (), ("x", "z"),
        ["a twice x z", "b softsign x", "c softsign b",
         "d cube a", "e twice a b", "f twice c a",
         "s mean d e", "y mean s f"],
        ["y", "s", "f", "e", "c", "d", "b", "a", "x", "z"], "y"),
    "a node with two users and nodes that can't reach the output (arrays)": (
        (4,), ("x", "w"),
        ["u cube x", "v softsign x", "y twice u v",
         "side cube w", "after softsign y"],
        ["x", "w", "u", "v", "side", "y", "after"], "y"),
    "an array handed to two parents (arrays)": (
        (3,), ("x", "w"),
        ["a twice x w", "s mean a x", "b softsign a",
         "y twice s b"],
        ["x", "w", "a", "s", "b", "y"], "y"),
    "a node used before its last user in the listing": (
        (), ("x",),
        ["m softsign x", "a cube m", "b softsign a",
         "y twice b m"],
        ["y", "m", "b", "a", "x"], "y"),
    "a node with four users and several inputs (arrays)": (
        (2, 3), ("p", "q", "r"),
        ["h twice p q", "u1 softsign h", "u2 cube h",
         "u3 twice h r", "t1 mean u1 u2",
         "t2 twice u3 h", "y mean t1 t2"],
        ["h", "u1", "t2", "y", "u2", "p", "u3", "q", "t1", "r"], "y"),
}


def graph_spec(judge, index, shape, inputs, ops, listing):
    rng = judge.rng([41, index])
    return {"values": {name: drawn(rng, shape, *SMALL) for name in inputs},
            "ops": ops, "listing": listing}


def chain_spec(judge):
    """x0 doubled-times k, DEEP_BACKWARD times over (2k just under 1, so every value stays
    finite): k has that many users; listed from the end."""
    rng = judge.rng([43])
    chain = [DEEP_BACKWARD, "twice", "x0", "k"]
    return {"values": {"x0": drawn(rng, (), *SMALL),
                       "k": drawn(rng, (), ((0.4998, 0.49995),), (1,))},
            "ops": probes.chain_ops(*chain), "listing": probes.chain_listing(DEEP_BACKWARD,
                                                                             "x0", "k"),
            "chain": chain}


def sent(spec):
    """What of ``spec`` goes to the child: a chain as its four words, not its 10,000 ops."""
    return {"values": spec["values"], "chain": spec["chain"]} if "chain" in spec else spec


def reaching(nodes, output):
    """The names from which ``output`` can be reached (itself included)."""
    found, stack = {output}, [output]
    while stack:
        for parent in nodes[stack.pop()][1]:
            if parent not in found:
                found.add(parent)
                stack.append(parent)
    return found


def shapes_of(spec, nodes=None):
    """{name: shape of its value} of the graph ``spec`` (``nodes``: the graph built from it)."""
    nodes = probes.graph_nodes(spec) if nodes is None else nodes
    return {name: np.shape(spec["values"][name] if op is None else op.value)
            for name, (op, _) in nodes.items()}


def same_grad(got, expected, shape):
    """Whether the student's gradient equals the expected one (either may be a scalar that
    broadcasts to the node's shape)."""
    if shape == () and isinstance(got, float) and isinstance(expected, float):
        # the chain's 10,000 scalars: np.allclose's test, without NumPy's cost per node
        return abs(got - expected) <= 1e-12 * max(abs(expected), 1e-300) + 1e-9 * abs(expected)
    got = as_float_array(got)
    if got is None:
        return False
    try:
        got = np.broadcast_to(got, shape)
    except ValueError:
        return False
    expected = np.broadcast_to(np.asarray(expected, dtype=np.float64), shape)
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    return bool(np.allclose(got, expected, rtol=1e-9, atol=1e-12 * scale))


def same_grads(got, expected, needed, shapes):
    """Whether two grads dicts agree on every name of ``needed`` (absent from both, or equal)."""
    return all((name in got) == (name in expected) and
               (name not in got or same_grad(got[name], expected[name], shapes[name]))
               for name in needed)


def engine(spec, output, visit, mode="add"):
    """What a backward pass visiting ``visit`` once each gives on fresh ops, with ``mode``:
    "add" (right), "overwrite" (= where += belongs), "in_place" (+= into the array stored),
    "local" (each backward called with 1.0, not the node's gradient)."""
    nodes = probes.graph_nodes(spec)
    grads = {output: 1.0}
    for name in visit:
        op, parents = nodes[name]
        if op is None or name not in grads:
            continue
        upstream = 1.0 if mode == "local" else grads[name]
        for parent, share in zip(parents, op.backward(upstream), strict=False):
            if parent not in grads or mode == "overwrite":
                grads[parent] = share
            elif mode == "in_place" and isinstance(grads[parent], np.ndarray):
                grads[parent] += share
            else:
                grads[parent] = grads[parent] + share
    return grads


def eager_engine(spec, output):
    """The recursive backward pass that passes a node's gradient on each time a user adds to
    it, before the other users have (micrograd's first bug report)."""
    nodes = probes.graph_nodes(spec)
    grads = {output: 1.0}

    def send(name):
        op, parents = nodes[name]
        if op is None:
            return
        for parent, share in zip(parents, op.backward(grads[name]), strict=False):
            grads[parent] = grads[parent] + share if parent in grads else share
            send(parent)
    send(output)
    return grads


def topological_orders(parents, limit=300):
    """Up to ``limit`` topological orders of a small graph {name: parents}."""
    found = []

    def extend(order, placed):
        if len(found) >= limit:
            return
        if len(order) == len(parents):
            found.append(list(order))
            return
        for name, ps in parents.items():
            if name not in placed and all(p in placed for p in ps):
                extend(order + [name], placed | {name})
    extend([], frozenset())
    return found


def wrong_orders(parents, listing, output):
    """Visit orders that are not reverse topological: every one for a small graph, else the
    usual ones (the listing either way, breadth and depth first from the output)."""
    names = [n for n in listing if n in parents]
    if len(names) <= 7:
        return itertools.permutations(names)
    breadth, seen = [output], {output}
    for name in breadth:
        for p in parents[name]:
            if p not in seen:
                seen.add(p)
                breadth.append(p)
    depth, seen, stack = [], set(), [output]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            depth.append(name)
            stack.extend(parents[name])
    return [names, names[::-1], breadth, depth]


ENGINE_SLIPS = {slip.kind: slip for slip in (  # what the student reads of each wrong engine
    Slip("overwrote_gradient",
         "your gradients are what the backward pass gives when each contribution is stored "
         "with = instead of added: a node with several users keeps only the share of the last "
         "user visited, and the nodes it comes from inherit the error. Add the contributions "
         "of all users (the sum over paths)."),
    Slip("added_in_place",
         "your gradients are what the backward pass gives when a contribution is added in "
         "place (+= on the array stored, or out=) into an array that is also another node's "
         "gradient: an op's backward may hand one array object to two parents, and adding into"
         " it changes both. Make a new array when you add (g = g + share)."),
    Slip("ignores_upstream",
         "your gradients are what the backward pass gives when every op's backward is called "
         "with 1.0 instead of the gradient its node has collected: the chain rule multiplies "
         "by the upstream gradient."),
    Slip("not_reverse_topological",
         "your gradients are what the backward pass gives when it visits the nodes in an order"
         " that is not reverse topological: some node passed its gradient on before all of its"
         " users had added their shares. Visit the nodes in the reverse of a topological "
         "order, so that each node's gradient is complete when it is passed on."),
)}


def slipped_engines(spec, output, needed, small=True):
    """(Slip, grads) of the usual wrong backward passes on the graph ``spec``."""
    nodes = probes.graph_nodes(spec)
    parents = {name: nodes[name][1] for name in needed}
    forward = (topological_orders(parents) if small else
               [solutions.topological_order(parents)])
    for mode, kind in (("overwrite", "overwrote_gradient"), ("in_place", "added_in_place")):
        for order in forward:
            yield ENGINE_SLIPS[kind], engine(spec, output, order[::-1], mode)
    yield ENGINE_SLIPS["ignores_upstream"], engine(spec, output, forward[0][::-1], "local")
    if small:
        yield ENGINE_SLIPS["not_reverse_topological"], eager_engine(spec, output)
        for order in wrong_orders(parents, spec["listing"], output):
            yield ENGINE_SLIPS["not_reverse_topological"], engine(spec, output, order)


def grads_verdict(grads, spec, output, case, small=True):
    """The Diagnosis of a grads dict the student's backward_pass returned for ``spec``."""
    where = f"{BACKWARD} on {case}"
    nodes = probes.graph_nodes(spec)
    needed, shapes = reaching(nodes, output), shapes_of(spec, nodes)
    if not (isinstance(grads, dict) and all(isinstance(k, str) for k in grads)):
        return Diagnosis("wrong_structure", f"{where}: it must return a dict from node names "
                         f"to gradients; it returned {value_kind(grads)}.")
    expected = solutions.backward_pass(nodes, output)
    wrong = [n for n in needed if n not in grads or
             not same_grad(grads[n], expected[n], shapes[n])]
    if not wrong:
        return Diagnosis("ok", f"{where}: every gradient is right.")
    for slip, slipped in slipped_engines(spec, output, needed, small):
        if not same_grads(expected, slipped, needed, shapes) and \
                same_grads(grads, slipped, needed, shapes):
            return Diagnosis(slip.kind, f"{where}: {slip.message}")
    missing = [n for n in wrong if n not in grads]
    if missing:
        return Diagnosis("missing_gradient", f"{where}: "
                         f"{part_of(len(missing), len(needed), 'nodes')} from which the output "
                         "can be reached have no gradient in your dict. Every node on a path "
                         "to the output gets one, inputs included.")
    return Diagnosis("wrong_values", f"{where}: the gradients of "
                     f"{part_of(len(wrong), len(needed), 'nodes')} that reach the output are "
                     "wrong.")


def keys_verdict(grads, spec, output, case):
    """The Diagnosis of which names the grads dict holds, and of grads[output]."""
    where = f"{BACKWARD} on {case}"
    if not isinstance(grads, dict):
        return Diagnosis("wrong_structure", f"{where}: it must return a dict.")
    nodes = probes.graph_nodes(spec)
    if output not in grads or not same_grad(grads[output], 1.0,
                                            shapes_of(spec, nodes)[output]):
        return Diagnosis("output_not_one", f"{where}: grads[output] must be 1.0, the "
                         "derivative of the output with respect to itself, where the backward "
                         "pass starts.")
    extra = set(grads) - reaching(nodes, output)
    if extra:
        return Diagnosis("unreachable_present", f"{where}: your dict holds "
                         f"{count_of(len(extra), 'name')} from which the output can't be "
                         "reached (a node that does not lead to the output, or one computed "
                         "from it). The contract leaves "
                         "them out: give gradients only to nodes on a path to the output.")
    return Diagnosis("ok", f"{where}: the right names.")


def run_backward(judge, spec, output, arguments=None):
    """The student's grads for the graph ``spec`` built in the child, or a StudentError; with
    ``arguments`` (an Arguments), what the call left of ``nodes`` is read back and judged."""
    made = judge.call(GRAPH_NODES, sent(spec), keep="only")
    if isinstance(made, StudentError):
        return made
    grads = judge.call(BACKWARD, made[0], output)
    if arguments is not None and not isinstance(grads, StudentError):
        arguments.saw_verdict(nodes_changed(judge.call(GRAPH_STATE, made[0]), spec))
    return grads


def same_value(got, expected):
    """Whether a value read back from the child is exactly the one the graph was built with."""
    got = as_float_array(got)
    return got is not None and got.shape == np.shape(expected) and \
        bool(np.array_equal(got, expected))


def same_entry(got, expected):
    """Whether one node's [parents, inputs, value] read back equals the graph's."""
    if not (isinstance(got, (list, tuple)) and len(got) == 3):
        return False
    parents, inputs, value = got
    if not (isinstance(parents, (list, tuple)) and tuple(parents) == expected[0]):
        return False
    if expected[1] is None:
        return inputs is None and value is None
    return isinstance(inputs, (list, tuple)) and len(inputs) == len(expected[1]) and \
        all(same_value(g, e) for g, e in zip(inputs, expected[1], strict=True)) and \
        same_value(value, expected[2])


def nodes_changed(state, spec):
    """The Diagnosis of how ``backward_pass`` changed the ``nodes`` it was given (``state``:
    ``probes.graph_state`` read back after the call), or None when it is as it was built."""
    expected = probes.graph_state(probes.graph_nodes(spec))
    if isinstance(state, dict) and list(state) == list(expected) and \
            all(same_entry(state[name], expected[name]) for name in expected):
        return None
    if isinstance(state, dict) and set(state) != set(expected):
        what = ("removed or added entries of the dict nodes (popping a node once it is "
                "visited, say)")
    elif isinstance(state, dict) and list(state) != list(expected):
        what = "changed the order of the dict nodes (taking entries out and putting them back)"
    else:
        what = ("changed an entry of nodes: a node's (op, parents) pair, or an op's inputs or "
                "value (an in-place update on an array the graph holds)")
    return Diagnosis("input_mutated", f"{BACKWARD}: your function {what}, and the contract "
                     "says no function modifies its arguments: the caller may run the graph "
                     "again. Keep your own dict of gradients and your own list of nodes to "
                     "visit.")


def check_backward_pass(judge):
    right, keys = Tally(), Tally()
    arguments = Arguments(BACKWARD)
    for index, (case, (shape, inputs, ops, listing, output)) in \
            enumerate(BACKWARD_CASES.items()):
        spec = graph_spec(judge, index, shape, inputs, ops, listing)
        grads = run_backward(judge, spec, output, arguments)
        if isinstance(grads, StudentError):
            d = failure(grads, BACKWARD, "gradients")
            right.add(d)
            keys.add(d)
            continue
        right.add(grads_verdict(grads, spec, output, case))
        keys.add(keys_verdict(grads, spec, output, case))
    total = len(BACKWARD_CASES)
    return [right.check(GRADIENTS, "hidden graphs", ok=f"every gradient right on all {total} "
                        "hidden graphs."),
            deep_backward_check(judge),
            keys.check(KEYS, "hidden graphs", ok="grads[output] is 1.0 and the dict holds "
                       "exactly the nodes that reach the output."),
            arguments.check(right.first())]


@one_check(DEEP)
def deep_backward_check(judge):
    spec, output = chain_spec(judge), f"n{DEEP_BACKWARD}"
    grads = run_backward(judge, spec, output)
    if isinstance(grads, StudentError):
        d = deep_failure(grads, BACKWARD, DEEP_BACKWARD, "gradients")
    else:
        d = grads_verdict(grads, spec, output, f"a chain of {DEEP_BACKWARD:,} nodes",
                          small=False)
    return DEEP.counted(int(d.ok), 1, d, ok="every gradient right, with no recursion as deep "
                        "as the graph.")


CHECKS = {BACKWARD: check_backward_pass}


def notebook_check(ns, seed=0):
    """The gradients of the reference engine on a graph of the grader's own ops."""
    rng = np.random.default_rng(seed)
    spec = {"values": {"x": rng.uniform(0.3, 1.0, 3), "w": rng.uniform(0.3, 1.0, 3)},
            "ops": ["a twice x w", "s mean a x", "b softsign a", "y twice s b", "u cube y"],
            "listing": ["u", "y", "b", "s", "a", "w", "x"]}
    got = ns[BACKWARD](probes.graph_nodes(spec), "y")
    nodes = probes.graph_nodes(spec)
    expected = solutions.backward_pass(nodes, "y")
    assert set(got) == set(expected), f"{BACKWARD}: the nodes that reach the output, only"
    for name, grad in expected.items():
        op = nodes[name][0]
        shape = np.shape(spec["values"][name] if op is None else op.value)
        assert rel_error(np.broadcast_to(got[name], shape), np.broadcast_to(grad, shape)) \
            < RTOL, f"{BACKWARD}: a gradient differs"


NOTEBOOK_CHECKS = {BACKWARD: notebook_check}
