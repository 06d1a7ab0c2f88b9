"""Assignment 1: the backprop engine over a whole computation graph.

A graph is a dict of nodes by name. ``topological_order`` puts every node after the nodes
it is computed from; ``backward_pass`` walks that order backwards, asking each node's
``Operation`` for the gradients of its inputs and adding up the contributions of every
user of a node (a node used twice receives two).
"""


def topological_order(parents):
    """Every name of ``parents`` once, each after all of its parents (any such order).

    Inputs: parents, a dict {name: tuple of parent names} (``()`` for an input), left
    unchanged. Returns a list of names. Works on a chain of 10,000 nodes.
    """
    ### BEGIN SOLUTION
    waiting = {name: len(set(ps)) for name, ps in parents.items()}
    users = {name: [] for name in parents}
    for name, ps in parents.items():
        for parent in set(ps):
            users[parent].append(name)
    ready = [name for name, count in waiting.items() if count == 0]
    order = []
    while ready:
        name = ready.pop()
        order.append(name)
        for user in users[name]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return order
    ### END SOLUTION


def backward_pass(nodes, output):
    """Gradients of ``output`` with respect to every node it depends on.

    Inputs: nodes, a dict {name: (op, parents)}: op an Operation already called on its
    parents' values, or None for an input; output, the name of the node to differentiate.
    Returns a dict {name: gradient} with ``grads[output] == 1.0``, holding exactly the
    nodes from which ``output`` can be reached, each gradient with the shape of its node's
    value or a scalar that broadcasts to it (for an array output, the gradients of the sum
    of its entries). The arrays an op's backward returns are left unchanged.
    """
    ### BEGIN SOLUTION
    needed, stack = {output}, [output]
    while stack:
        for parent in nodes[stack.pop()][1]:
            if parent not in needed:
                needed.add(parent)
                stack.append(parent)
    order = topological_order({name: nodes[name][1] for name in nodes if name in needed})
    grads = {output: 1.0}
    for name in reversed(order):
        op, parents = nodes[name]
        if op is None or name not in grads:
            continue
        for parent, local in zip(parents, op.backward(grads[name]), strict=True):
            grads[parent] = grads[parent] + local if parent in grads else local
    return grads
    ### END SOLUTION
