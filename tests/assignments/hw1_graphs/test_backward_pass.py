"""backward_pass, what proves the grader's checks: submissions written the way students write
them, each with its exact score and diagnosis (graded in the assignment's class, support.py);
the checks on the reference with realistic bugs swapped in."""

import pytest
from support import (
    assert_graded_as,
    kinds,
    reference_tests,
)

import solutions
from autograder.round.samples import Sample

A = "hw1_graphs"

ENGINE = '''def backward_pass(nodes, output):
    order = topological_order({name: parents for name, (op, parents) in nodes.items()})
    grads = {output: 1.0}
    for name in reversed(order):
        op, parents = nodes[name]
        if op is None or name not in grads:
            continue
        for parent, share in zip(parents, op.backward(grads[name])):
            {update}
    return grads
'''


OVERWRITES = ENGINE.replace("{update}", "grads[parent] = share")


IN_PLACE = ENGINE.replace("{update}", '''if parent in grads:
                grads[parent] += share
            else:
                grads[parent] = share''')


LOCAL_ONLY = ENGINE.replace("op.backward(grads[name])", "op.backward(1.0)").replace(
    "{update}", "grads[parent] = grads.get(parent, 0.0) + share")


LISTING_ORDER = ENGINE.replace(
    "reversed(order)", "reversed(list(nodes))").replace(
    "{update}", "grads[parent] = grads.get(parent, 0.0) + share")


EVERY_NODE = '''def backward_pass(nodes, output):
    grads = {name: 0.0 for name in nodes}
    grads[output] = 1.0
    order = topological_order({name: parents for name, (op, parents) in nodes.items()})
    for name in reversed(order):
        op, parents = nodes[name]
        if op is not None:
            for parent, share in zip(parents, op.backward(grads[name])):
                grads[parent] = grads[parent] + share
    return grads
'''


EAGER_RECURSION = '''def backward_pass(nodes, output):
    grads = {output: 1.0}

    def send(name):
        op, parents = nodes[name]
        if op is None:
            return
        for parent, share in zip(parents, op.backward(grads[name])):
            grads[parent] = grads.get(parent, 0.0) + share
            send(parent)

    send(output)
    return grads
'''


# Right gradients, but the caller's graph is emptied as it goes (issue 17): each node popped
# from nodes once it is visited.
POPS_NODES = '''def backward_pass(nodes, output):
    order = topological_order({name: parents for name, (op, parents) in nodes.items()})
    grads = {output: 1.0}
    for name in reversed(order):
        op, parents = nodes.pop(name)
        if op is None or name not in grads:
            continue
        for parent, share in zip(parents, op.backward(grads[name])):
            grads[parent] = grads[parent] + share if parent in grads else share
    return grads
'''


# Right gradients, but the forward values are overwritten in place by each node's gradient
# (an array op's value reused as the buffer the gradient is added into).
INTO_THE_VALUES = '''def backward_pass(nodes, output):
    order = topological_order({name: parents for name, (op, parents) in nodes.items()})
    grads = {output: 1.0}
    for name in reversed(order):
        op, parents = nodes[name]
        if op is None or name not in grads:
            continue
        for parent, share in zip(parents, op.backward(grads[name])):
            grads[parent] = grads[parent] + share if parent in grads else share
        if isinstance(op.value, np.ndarray):
            op.value[...] = grads[name]
            grads[name] = op.value
    return grads
'''


CORPUS = [
    Sample("e_pops", "backward_pass pops each node from nodes once it is visited",
           answers={"backward_pass": POPS_NODES}),
    Sample("e_into_values", "backward_pass keeps each array node's gradient in its op's value",
           answers={"backward_pass": INTO_THE_VALUES}),
    Sample("e_overwrites", "backward_pass stores each share with = (the last user wins)",
           answers={"backward_pass": OVERWRITES}),
    Sample("e_in_place", "backward_pass adds with += into the array it stored first",
           answers={"backward_pass": IN_PLACE}),
    Sample("e_local", "backward_pass calls every backward with 1.0",
           answers={"backward_pass": LOCAL_ONLY}),
    Sample("e_listing", "backward_pass visits the nodes in the reverse of the dict's "
           "listing", answers={"backward_pass": LISTING_ORDER}),
    Sample("e_every_node", "backward_pass gives every node a gradient, 0 when it can't "
           "reach the output", answers={"backward_pass": EVERY_NODE}),
    Sample("e_eager", "backward_pass passes a gradient on as soon as one user has added "
           "to it, recursively (micrograd's first bug)",
           answers={"backward_pass": EAGER_RECURSION}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # every gradient right, nodes changed (issue 17: it had full marks without the check)
    "e_pops": {"backward_pass": ((4 + 2 + 1 + 0) / 8, "input_mutated")},
    "e_into_values": {"backward_pass": ((4 + 2 + 1 + 0) / 8, "input_mutated")},
    # every hidden graph and the chain has a node with several users
    "e_overwrites": {"backward_pass": (0.0, "overwrote_gradient")},
    # only where an op hands one array to two parents (scalars are never shared)
    "e_in_place": {"backward_pass": ((4 * 4 / 5 + 2 + 1 + 1) / 8, "added_in_place")},
    "e_local": {"backward_pass": (0.0, "ignores_upstream")},
    # right where the listing happens to be topological (two graphs of five)
    "e_listing": {"backward_pass": ((4 * 2 / 5 + 0 + 1 + 1) / 8, "not_reverse_topological")},
    # the one graph with nodes that can't reach the output
    "e_every_node": {"backward_pass": ((4 + 2 + 1 * 4 / 5 + 1) / 8, "unreachable_present")},
    # right where no node with parents has two users; the chain ends in RecursionError
    "e_eager": {"backward_pass": ((4 * 1 / 5 + 0 + 1 + 1) / 8, "not_reverse_topological")},
}


ALSO = {"e_eager": ("backward_pass", "deep_recursion")}


@pytest.mark.parametrize("student", list(EXPECTED))
def test_each_submission_gets_its_exact_scores_and_diagnoses(graded, student):
    report = graded(A)[student]
    assert_graded_as(report, EXPECTED[student], solutions.ASSIGNMENTS[A])
    if student in ALSO:
        name, kind = ALSO[student]
        assert kind in kinds(report, name), report["functions"][name]


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["backward_pass"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "backward_pass stores each share with =": (
        "backward_pass", [("grads[parent] + local if parent in grads else local", "local")],
        "overwrote_gradient"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)
