"""topological_order (hw1): everything the grader knows about it.

Fixed hidden DAGs (a diamond, several inputs listed children first, a node with many users, a
parent listed twice, the lecture's graph scrambled) must come back as every name once, each
after its parents, with ``parents`` unchanged; the contract's chain of 10,000 nodes, listed
from its end, is past the recursion limit every graded call starts with. A wrong order is
named (missing or duplicate nodes, the dict's own order, the reverse order).
"""
from ...judging.described import count_of, part_of, value_kind
from ...judging.diagnose import Diagnosis
from ...judging.grades import CheckSpec
from ...judging.judge import StudentError, deep_failure, failure, one_check
from ...judging.kinds import Kind, declare
from ...judging.tally import Arguments, Tally
from ...sandbox.probes import Probe, chain_parents

TOPO = "topological_order"
DEEP_TOPO = 10_000  # the contract's chain: past the recursion limit every graded call starts
                   # with (child.CALL_RECURSION_LIMIT), which a call may not raise
CHAIN_PARENTS = Probe("chain_parents")

VALID = CheckSpec("valid order on hidden graphs", "value", 4)
DEEP = CheckSpec(f"a chain of {DEEP_TOPO:,} nodes", "value", 2)
NAMES = CheckSpec("returns a list of names", "structure", 1)
KINDS = declare(
    Kind("unknown_nodes", "names in the order that are not nodes of the graph"),
    Kind("missing_nodes", "nodes of the graph left out of the order"),
    Kind("duplicate_nodes", "a node listed more than once"),
    Kind("insertion_order", "the dict's own order, where a node comes before its parents"),
    Kind("parent_after_child", "a node placed before one of its parents"),
)

# Hidden DAGs {name: parents}, each listed in the dict's order on purpose. An order has no
# numbers, so every student gets the same graphs; each case exercises one behaviour.
TOPO_CASES = {
    "a diamond": {"x": (), "a": ("x",), "b": ("x",), "y": ("a", "b")},
    "a graph with several inputs, listed children first": {
        "out": ("r", "w"), "r": ("p", "q", "u"), "q": ("v", "w"), "p": ("u", "v"),
        "w": (), "v": (), "u": ()},
    "a node with many users": {
        "u3": ("h",), "y": ("u1", "u2", "u3", "u4", "h"), "u1": ("h", "x"), "x": (),
        "u4": ("h",), "h": ("x",), "u2": ("h",)},
    "a node whose parent appears twice": {"y": ("sq", "x"), "x": (), "sq": ("x", "x")},
    "the lecture's graph, scrambled": {
        "y": ("s", "f"), "s": ("d", "e"), "f": ("c", "a"), "e": ("a", "b"), "c": ("b",),
        "d": ("a",), "b": ("x",), "a": ("x", "z"), "x": (), "z": ()},
}


def is_topological(order, parents):
    """Whether ``order`` lists every name of ``parents`` once, each after its parents."""
    if sorted(order) != sorted(parents):
        return False
    position = {name: i for i, name in enumerate(order)}
    return all(position[p] < position[n] for n, ps in parents.items() for p in ps)


def names_only(order):
    return isinstance(order, (list, tuple)) and all(isinstance(n, str) for n in order)


def topo_verdict(order, parents, case):
    """The Diagnosis of what ``topological_order`` returned for ``parents``."""
    where = f"{TOPO} on {case}"
    if not names_only(order):
        return Diagnosis("wrong_structure", f"{where}: it must return a list of the node "
                         f"names; it returned {value_kind(order)} holding something else.")
    names, listed = set(parents), set(order)
    if listed - names:
        return Diagnosis("unknown_nodes", f"{where}: your order holds "
                         f"{count_of(len(listed - names), 'name')} that are not nodes of the "
                         "graph. List the keys of parents.")
    if names - listed:
        return Diagnosis("missing_nodes", f"{where}: your order leaves out "
                         f"{part_of(len(names - listed), len(names), 'nodes')}. Every node must "
                         "appear, inputs included, and so must a node one of whose parents "
                         "appears twice in its tuple (count each parent once).")
    if len(order) != len(listed):
        return Diagnosis("duplicate_nodes", f"{where}: your order lists some node more than "
                         "once. Place a node once, when all of its parents are placed (not "
                         "once per user or per parent).")
    if is_topological(order, parents):
        return Diagnosis("ok", f"{where}: a valid order.")
    if list(order) == list(parents):
        return Diagnosis("insertion_order", f"{where}: your order is the order the dict lists "
                         "the nodes in, and here some node is listed before its parents. Place "
                         "a node only once all of its parents are placed.")
    if is_topological(list(reversed(order)), parents):
        return Diagnosis("reversed_order", f"{where}: every node comes before its parents, "
                         "the reverse of a topological order (it is the order the backward "
                         "pass visits). Return the forward order: parents first.")
    return Diagnosis("parent_after_child", f"{where}: some node comes before one of its "
                     "parents. A node may be placed only when every one of its parents is "
                     "already placed.")


def check_topological_order(judge):
    valid, structure = Tally(), Tally()
    arguments = Arguments(TOPO)
    for case, parents in TOPO_CASES.items():
        outcome = judge.call(TOPO, dict(parents), echo_args=True)
        if isinstance(outcome, StudentError):
            d = failure(outcome, TOPO, "order")
            valid.add(d)
            structure.add(d)
            continue
        order, after = outcome
        arguments.saw_verdict(None if after is None or after[0] == parents else Diagnosis(
            "input_mutated", f"{TOPO}: your function changed its argument parents (removed or "
            "changed an entry), and the contract says no function modifies its arguments. "
            "Keep your own counts or copies."))
        structure.add(None if names_only(order) else topo_verdict(order, parents, case))
        valid.add(topo_verdict(order, parents, case))
    total = len(TOPO_CASES)
    return [valid.check(VALID, "hidden graphs", ok="every node once, each after its parents, "
                        f"on all {total} hidden graphs."),
            deep_topo_check(judge),
            structure.check(NAMES, ok="returns a list of node names."),
            arguments.check(valid.first())]


@one_check(DEEP)
def deep_topo_check(judge):
    parents = chain_parents(DEEP_TOPO)
    made = judge.call(CHAIN_PARENTS, DEEP_TOPO, keep="only")  # the same dict, built there
    order = made if isinstance(made, StudentError) else judge.call(TOPO, made[0])
    if isinstance(order, StudentError):
        d = deep_failure(order, TOPO, DEEP_TOPO, "order")
    else:
        d = topo_verdict(order, parents, f"a chain of {DEEP_TOPO:,} nodes")
    return DEEP.counted(int(d.ok), 1, d, ok="a valid order, with no recursion as deep as the "
                        "graph.")


CHECKS = {TOPO: check_topological_order}


def notebook_check(ns):
    """Every node once, each after its parents, on a scrambled graph and a long chain."""
    scrambled = {"y": ("s", "x"), "s": ("q", "q"), "q": ("x", "z"), "x": (), "z": ()}
    for parents in (scrambled, chain_parents(DEEP_TOPO)):
        order = ns[TOPO](dict(parents))
        assert sorted(order) == sorted(parents), f"{TOPO}: every node exactly once"
        assert is_topological(order, parents), f"{TOPO}: a node comes before one of its parents"


NOTEBOOK_CHECKS = {TOPO: notebook_check}
