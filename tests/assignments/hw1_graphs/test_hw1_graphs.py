"""hw1_graphs as a class: students who write several of its functions their own way, right,
graded once in the class of the assignment (the ``graded`` fixture, see support.py) beside the
slips of each function (in the module named by the function), each with the exact score and
the diagnosis it must get."""

from support import corpus_test

from autograder.round.samples import Sample

A = "hw1_graphs"

HW1_OTHER_WAYS = {
    "Add": '''class Add(Operation):
    def forward(self, a, b):
        return np.add(a, b)

    def backward(self, output_grad):
        return (output_grad, output_grad)
''',
    "Multiply": '''class Multiply(Operation):
    def forward(self, a, b):
        return np.multiply(a, b)

    def backward(self, output_grad):
        x, y = self.inputs
        dx = output_grad * y
        dy = output_grad * x
        return dx, dy
''',
    "Divide": '''class Divide(Operation):
    def forward(self, a, b):
        return a / b

    def backward(self, output_grad):
        a, b = self.inputs
        # d(a/b)/db = -a/b**2 = -(a/b)/b, and a/b is already in self.value
        return output_grad / b, -output_grad * self.value / b
''',
    "Exp": '''class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, output_grad):
        return (np.exp(self.inputs[0]) * output_grad,)
''',
    "Log": '''class Log(Operation):
    def forward(self, a):
        return np.log(a)

    def backward(self, output_grad):
        return (output_grad * (1.0 / self.inputs[0]),)
''',
    "Sin": '''class Sin(Operation):
    def forward(self, a):
        return np.sin(a)

    def backward(self, output_grad):
        [a] = self.inputs
        return [np.cos(a) * output_grad]
''',
    "example_forward_backward": '''def example_forward_backward(x, z):
    # worked out on paper, in one expression each
    y = np.exp(x * z) + x * z / np.log(x) + np.sin(np.log(x)) / (x * z)
    dy_dx = (z * np.exp(x * z) + z / np.log(x) - z / np.log(x) ** 2
             + (np.cos(np.log(x)) - np.sin(np.log(x))) / (x ** 2 * z))
    dy_dz = x * np.exp(x * z) + x / np.log(x) - np.sin(np.log(x)) / (x * z ** 2)
    return float(y), float(dy_dx), float(dy_dz)
''',
    "numerical_gradient": '''def numerical_gradient(f, x, h=1e-5):
    x = x.astype(float)  # my own copy
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
        it.iternext()
    return grad
''',
}


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


CORPUS = [
    Sample("g_other_ways", "correct, another formulation everywhere (np.nditer, one "
           "expression, self.value, a list from backward)", answers=HW1_OTHER_WAYS),
    Sample("e_kahn_dict", "correct: Kahn's algorithm with a FIFO queue counting every edge, "
           "backward_pass accumulating in a defaultdict",
           answers={"topological_order": KAHN_WITH_A_QUEUE,
                    "backward_pass": DICT_ACCUMULATION}),
    Sample("e_dfs_needed", "correct: iterative depth-first search, backward_pass on the "
           "nodes the output depends on only",
           answers={"topological_order": ITERATIVE_DFS, "backward_pass": NEEDED_FIRST}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "g_other_ways": {},
    "e_kahn_dict": {},
    "e_dfs_needed": {},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)
