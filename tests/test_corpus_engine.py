"""The grading corpus of hw1's engine (topological_order, backward_pass): submissions written
the way students write them, correct ones in other formulations and realistic bugs, each with
the exact score (a fraction of the function's points) and the diagnosis it must get.

The class is graded once through the whole pipeline (``grade_all``, two jobs); every case
below is a test on its report. ``corpus()`` hands the submissions to the seed-invariance test,
which grades them again under many student ids.
"""

import pytest
from corpus_support import assert_graded_as, by_student, grade_corpus, kinds

import solutions
from autograder.round.samples import Sample


# ------------------------------------------------------------------- correct, written otherwise

KAHN_WITH_A_QUEUE = '''from collections import deque


def topological_order(parents):
    # Kahn's algorithm, first in first out, counting every edge (a parent listed twice counts
    # twice, and is released twice)
    missing = {name: len(ps) for name, ps in parents.items()}
    children = {name: [] for name in parents}
    for name, ps in parents.items():
        for p in ps:
            children[p].append(name)
    queue = deque(name for name in parents if missing[name] == 0)
    order = []
    while queue:
        name = queue.popleft()
        order.append(name)
        for child in children[name]:
            missing[child] -= 1
            if missing[child] == 0:
                queue.append(child)
    return order
'''
ITERATIVE_DFS = '''def topological_order(parents):
    # depth first with my own stack: a node is listed once all its parents are listed
    order, done, on_stack = [], set(), set()
    for start in parents:
        stack = [(start, iter(parents[start]))]
        on_stack.add(start)
        while stack:
            name, todo = stack[-1]
            nxt = next((p for p in todo if p not in done and p not in on_stack), None)
            if nxt is None:
                stack.pop()
                if name not in done:
                    done.add(name)
                    order.append(name)
            else:
                on_stack.add(nxt)
                stack.append((nxt, iter(parents[nxt])))
    return order
'''
# another valid order: Kahn's algorithm taking the smallest ready name first (a heap)
SMALLEST_READY_FIRST = '''import heapq


def topological_order(parents):
    users, missing = {}, {}
    for name, ps in parents.items():
        missing[name] = len(set(ps))
        for p in set(ps):
            users.setdefault(p, []).append(name)
    heap = [name for name in parents if missing[name] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        name = heapq.heappop(heap)
        order.append(name)
        for user in users.get(name, []):
            missing[user] -= 1
            if not missing[user]:
                heapq.heappush(heap, user)
    return order
'''
DICT_ACCUMULATION = '''from collections import defaultdict


def backward_pass(nodes, output):
    order = topological_order({name: parents for name, (op, parents) in nodes.items()})
    grads = defaultdict(float)
    grads[output] = 1.0
    reached = {output}
    for name in order[::-1]:
        op, parents = nodes[name]
        if name not in reached or op is None:
            continue
        shares = op.backward(grads[name])
        for parent, share in zip(parents, shares):
            grads[parent] = grads[parent] + share   # a new object every time
            reached.add(parent)
    return {name: grads[name] for name in reached}
'''
NEEDED_FIRST = '''def backward_pass(nodes, output):
    # only the part of the graph the output depends on, then its reverse order
    todo, keep = [output], set()
    while todo:
        name = todo.pop()
        if name not in keep:
            keep.add(name)
            todo.extend(nodes[name][1])
    order = topological_order({n: nodes[n][1] for n in keep})
    grads = {}
    grads[output] = 1.0
    for name in reversed(order):
        op, parents = nodes[name]
        if op is not None:
            for parent, share in zip(parents, op.backward(grads[name])):
                if parent in grads:
                    grads[parent] = grads[parent] + share
                else:
                    grads[parent] = share
    return grads
'''

# ------------------------------------------------------------------------------ realistic bugs

RECURSIVE_DFS = '''def topological_order(parents):
    order, seen = [], set()

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        for p in parents[name]:
            visit(p)
        order.append(name)

    for name in parents:
        visit(name)
    return order
'''
REVERSED = '''def topological_order(parents):
    # from the outputs back: a node after all of its users
    users = {name: set() for name in parents}
    for name, ps in parents.items():
        for p in ps:
            users[p].add(name)
    order, placed = [], set()
    while len(order) < len(parents):
        for name in parents:
            if name not in placed and users[name] <= placed:
                order.append(name)
                placed.add(name)
    return order
'''
DESTROYS_PARENTS = '''def topological_order(parents):
    users = {name: [] for name in parents}
    for name, ps in parents.items():
        for p in set(ps):
            users[p].append(name)
    ready = [name for name, ps in parents.items() if not ps]
    order = []
    while ready:
        name = ready.pop()
        order.append(name)
        for user in users[name]:
            parents[user] = tuple(p for p in parents[user] if p != name)  # that edge is done
            if not parents[user]:
                ready.append(user)
    return order
'''
COUNTS_EACH_PARENT_ONCE_RELEASES_ONCE = '''def topological_order(parents):
    waiting = {name: len(ps) for name, ps in parents.items()}
    users = {name: [] for name in parents}
    for name, ps in parents.items():
        for p in set(ps):
            users[p].append(name)
    ready = [name for name in parents if waiting[name] == 0]
    order = []
    while ready:
        name = ready.pop()
        order.append(name)
        for user in users[name]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return order
'''
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


def corpus():
    """{assignment: [Sample]}: this corpus's submissions, by assignment."""
    return {"hw1_graphs": [
        Sample("e_kahn_dict", "correct: Kahn's algorithm with a FIFO queue counting every edge, "
               "backward_pass accumulating in a defaultdict",
               answers={"topological_order": KAHN_WITH_A_QUEUE,
                        "backward_pass": DICT_ACCUMULATION}),
        Sample("e_dfs_needed", "correct: iterative depth-first search, backward_pass on the "
               "nodes the output depends on only",
               answers={"topological_order": ITERATIVE_DFS, "backward_pass": NEEDED_FIRST}),
        Sample("e_smallest_first", "correct: another valid order (Kahn's algorithm, the "
               "smallest ready name first)", answers={"topological_order": SMALLEST_READY_FIRST}),
        Sample("e_recursive", "topological_order by recursive depth-first search",
               answers={"topological_order": RECURSIVE_DFS}),
        Sample("e_reversed", "topological_order puts every node after its users",
               answers={"topological_order": REVERSED}),
        Sample("e_destroys", "topological_order removes each edge from parents as it goes",
               answers={"topological_order": DESTROYS_PARENTS}),
        Sample("e_counts", "Kahn's algorithm counting a parent listed twice twice, but "
               "releasing it once", answers={"topological_order":
                                             COUNTS_EACH_PARENT_ONCE_RELEASES_ONCE}),
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
    ]}


# student -> {function: (fraction of its points, the diagnosis kind it must show)}; every other
# function of the assignment gets full marks. Weights are weights.TABLE's: topological_order 4
# (five hidden graphs), 2 (the chain), 1 (a list of names), 1 (arguments); backward_pass 4
# (five hidden graphs), 2 (the chain), 1 (exactly the nodes that reach the output).
EXPECTED = {
    "e_kahn_dict": {},
    "e_dfs_needed": {},
    "e_smallest_first": {},
    # right on every small graph; the chain ends in RecursionError, in topological_order and
    # so in the backward_pass that calls it
    "e_recursive": {"topological_order": ((4 + 0 + 1 + 1) / 8, "deep_recursion"),
                    "backward_pass": ((4 + 0 + 1) / 7, "deep_recursion")},
    # wrong everywhere: nothing earned, so neither the structure nor the arguments pay; the
    # backward_pass that walks that order backwards visits the nodes forwards
    "e_reversed": {"topological_order": (0.0, "reversed_order"),
                   "backward_pass": (0.0, "not_reverse_topological")},
    "e_destroys": {"topological_order": ((4 + 2 + 1 + 0) / 8, "input_mutated")},
    # loses the node whose parent appears twice (and what follows it)
    "e_counts": {"topological_order": ((4 * 4 / 5 + 2 + 1 + 1) / 8, "missing_nodes")},
    # every hidden graph and the chain has a node with several users
    "e_overwrites": {"backward_pass": (0.0, "overwrote_gradient")},
    # only where an op hands one array to two parents (scalars are never shared)
    "e_in_place": {"backward_pass": ((4 * 4 / 5 + 2 + 1) / 7, "added_in_place")},
    "e_local": {"backward_pass": (0.0, "ignores_upstream")},
    # right where the listing happens to be topological (two graphs of five)
    "e_listing": {"backward_pass": ((4 * 2 / 5 + 0 + 1) / 7, "not_reverse_topological")},
    # the one graph with nodes that can't reach the output
    "e_every_node": {"backward_pass": ((4 + 2 + 1 * 4 / 5) / 7, "unreachable_present")},
    # right where no node with parents has two users; the chain ends in RecursionError
    "e_eager": {"backward_pass": ((4 * 1 / 5 + 0 + 1) / 7, "not_reverse_topological")},
}
ALSO = {"e_eager": ("backward_pass", "deep_recursion")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{student: report} of every submission of the corpus, graded through the pipeline."""
    return by_student(grade_corpus(tmp_path_factory, corpus()))


def test_the_corpus_has_bugs_and_other_ways_for_both_functions():
    samples = corpus()["hw1_graphs"]
    assert len(samples) == len({s.student for s in samples}) == len(EXPECTED)
    wrong = [s for s in samples if EXPECTED[s.student]]
    assert len(wrong) >= 6 and len(samples) - len(wrong) >= 3
    for name in ("topological_order", "backward_pass"):
        assert any(name in EXPECTED[s.student] for s in wrong)
        assert any(name in s.answers for s in samples if not EXPECTED[s.student])


@pytest.mark.parametrize("student", list(EXPECTED))
def test_each_submission_gets_its_exact_score_and_diagnosis(graded, student):
    report = graded[student]
    assert_graded_as(report, EXPECTED[student], solutions.ASSIGNMENTS["hw1_graphs"])
    if student in ALSO:
        name, kind = ALSO[student]
        assert kind in kinds(report, name), report["functions"][name]
