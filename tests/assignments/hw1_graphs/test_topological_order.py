"""topological_order, what proves the grader's checks: submissions written the way students write
them, each with its exact score and diagnosis (graded in the assignment's class, support.py);
the checks on the reference with realistic bugs swapped in."""

from support import corpus_test, reference_tests

from autograder.round.samples import Sample

A = "hw1_graphs"

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


# The recursive search with the limit raised, in its cell and in the call (issue 17): every
# graded call starts at the grader's limit and a raise during it is ignored, so the contract's
# 10,000-node chain still ends in RecursionError (at 5,000 nodes it had full marks).
RECURSIVE_RAISED_LIMIT = "import sys\nsys.setrecursionlimit(30000)\n\n\n" + \
    RECURSIVE_DFS.replace("    order, seen = [], set()\n",
                          "    sys.setrecursionlimit(30000)\n    order, seen = [], set()\n")


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


CORPUS = [
    Sample("e_smallest_first", "correct: another valid order (Kahn's algorithm, the "
           "smallest ready name first)", answers={"topological_order": SMALLEST_READY_FIRST}),
    Sample("e_recursive", "topological_order by recursive depth-first search",
           answers={"topological_order": RECURSIVE_DFS}),
    Sample("e_recursion_limit", "topological_order by recursive depth-first search, with the "
           "recursion limit raised in its cell and in the call",
           answers={"topological_order": RECURSIVE_RAISED_LIMIT}),
    Sample("e_reversed", "topological_order puts every node after its users",
           answers={"topological_order": REVERSED}),
    Sample("e_destroys", "topological_order removes each edge from parents as it goes",
           answers={"topological_order": DESTROYS_PARENTS}),
    Sample("e_counts", "Kahn's algorithm counting a parent listed twice twice, but "
           "releasing it once", answers={"topological_order":
                                         COUNTS_EACH_PARENT_ONCE_RELEASES_ONCE}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "e_smallest_first": {},
    # right on every small graph; the chain ends in RecursionError, in topological_order and
    # so in the backward_pass that calls it
    "e_recursive": {"topological_order": ((4 + 0 + 1 + 1) / 8, "deep_recursion"),
                    "backward_pass": ((4 + 0 + 1 + 1) / 8, "deep_recursion")},
    "e_recursion_limit": {"topological_order": ((4 + 0 + 1 + 1) / 8, "deep_recursion"),
                          "backward_pass": ((4 + 0 + 1 + 1) / 8, "deep_recursion")},
    # wrong everywhere: nothing earned, so neither the structure nor the arguments pay; the
    # backward_pass that walks that order backwards visits the nodes forwards
    "e_reversed": {"topological_order": (0.0, "reversed_order"),
                   "backward_pass": (0.0, "not_reverse_topological")},
    "e_destroys": {"topological_order": ((4 + 2 + 1 + 0) / 8, "input_mutated")},
    # loses the node whose parent appears twice (and what follows it)
    "e_counts": {"topological_order": ((4 * 4 / 5 + 2 + 1 + 1) / 8, "missing_nodes")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["topological_order"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "topological_order returns the reverse": (
        "topological_order", [("    return order\n", "    return order[::-1]\n")],
        "reversed_order"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)
