"""The demo class of hw1_graphs: the operations, the worked example, the engine and
numerical_gradient."""
from ..samples import Sample, with_bug
from .cast import cheat, perfect, unreadable, untouched

OTHER_STYLE = {
    "Add": '''\
class Add(Operation):
    def forward(self, a, b):
        return np.add(a, b)

    def backward(self, output_grad):
        return (output_grad, output_grad)
''',
    "Multiply": '''\
class Multiply(Operation):
    def forward(self, a, b):
        return np.multiply(a, b)

    def backward(self, output_grad):
        left, right = self.inputs
        return [output_grad * right, output_grad * left]
''',
    "Divide": '''\
class Divide(Operation):
    def forward(self, a, b):
        return np.true_divide(a, b)

    def backward(self, output_grad):
        _, b = self.inputs
        # d(a/b)/db = -(a/b) / b, and a/b is self.value
        return output_grad / b, -output_grad * self.value / b
''',
    "Exp": '''\
class Exp(Operation):
    def forward(self, a):
        self.saved = np.exp(a)
        return self.saved

    def backward(self, output_grad):
        return (self.saved * output_grad,)
''',
    "Log": '''\
class Log(Operation):
    def forward(self, a):
        return np.log(a)

    def backward(self, output_grad):
        return (output_grad * np.reciprocal(np.asarray(self.inputs[0], dtype=float)),)
''',
    "Sin": '''\
class Sin(Operation):
    def forward(self, a):
        return np.sin(a)

    def backward(self, output_grad):
        [a] = self.inputs
        return [np.cos(a) * output_grad]
''',
    "example_forward_backward": '''\
def example_forward_backward(x, z):
    # worked out on paper: one expression each
    y = np.exp(x * z) + x * z / np.log(x) + np.sin(np.log(x)) / (x * z)
    dy_dx = (z * np.exp(x * z) + z / np.log(x) - z / np.log(x) ** 2
             + (np.cos(np.log(x)) - np.sin(np.log(x))) / (x ** 2 * z))
    dy_dz = x * np.exp(x * z) + x / np.log(x) - np.sin(np.log(x)) / (x * z ** 2)
    return float(y), float(dy_dx), float(dy_dz)
''',
    "topological_order": '''\
def topological_order(parents):
    # depth first with a stack of my own: a name is placed once all its parents are
    order, placed = [], set()
    for start in parents:
        stack = [start]
        while stack:
            name = stack[-1]
            if name in placed:
                stack.pop()
                continue
            waiting = [p for p in parents[name] if p not in placed]
            if waiting:
                stack.extend(waiting)
            else:
                stack.pop()
                placed.add(name)
                order.append(name)
    return order
''',
    "backward_pass": '''\
def backward_pass(nodes, output):
    # count, for every node the output needs, how many of its users need it too; a node
    # passes its gradient on once every one of those users has added to it
    users_left, todo = {output: 0}, [output]
    while todo:
        for parent in nodes[todo.pop()][1]:
            if parent not in users_left:
                users_left[parent] = 0
                todo.append(parent)
            users_left[parent] += 1
    grads, ready = {output: 1.0}, [output]
    while ready:
        name = ready.pop()
        op, parents = nodes[name]
        if op is None:
            continue
        for parent, share in zip(parents, op.backward(grads[name])):
            grads[parent] = grads[parent] + share if parent in grads else share
            users_left[parent] -= 1
            if users_left[parent] == 0:
                ready.append(parent)
    return grads
''',
    "numerical_gradient": '''\
def numerical_gradient(f, x, h=1e-5):
    x = x.astype(float)  # my own copy
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
        it.iternext()
    return grad
''',
}
LOG_WITHOUT_INVERSE = '''\
class Log(Operation):
    def forward(self, a):
        return np.log(a)

    def backward(self, output_grad):
        a = self.inputs[0]
        return (output_grad,)
'''
BACKWARD_PASS_OVERWRITES = with_bug(
    "backward_pass", "grads[parent] = grads[parent] + local if parent in grads else local",
    "grads[parent] = local")
NUMERICAL_GRADIENT_ONE_SIDED = '''\
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    fx = f(x)
    for i in np.ndindex(x.shape):
        moved = x.copy()
        moved[i] += h
        grad[i] = (f(moved) - fx) / h
    return grad
'''
EXAMPLE_OVERWRITES_DB = with_bug("example_forward_backward", "db = db + dc * np.cos(b)",
                                 "db = dc * np.cos(b)")
EXP_TIMES_INPUT = with_bug("Exp", "return (output_grad * self.value,)",
                           "return (output_grad * self.inputs[0],)")
NUMERICAL_GRADIENT_STUB = '''\
def numerical_gradient(f, x, h=1e-5):
    return np.zeros_like(x)  # TODO
'''


def students():
    """Eight students of hw1_graphs: right, blank, realistic bugs, a cheat, a broken file."""
    return [
        perfect(),
        Sample("ben", "correct, written differently (ufuncs, lists from backward, the "
               "example in closed form, a stack, counted users, np.nditer)",
               answers=OTHER_STYLE),
        untouched(),
        Sample("dev", "Log's gradient without 1/a, Divide's db without its minus sign",
               answers={"Log": LOG_WITHOUT_INVERSE,
                        "Divide": with_bug("Divide", "-output_grad * a", "output_grad * a")},
               bugs={"Log": ("wrong_local_derivative",), "Divide": ("sign_flipped",)}),
        Sample("eve", "backward_pass stores each share with = (the last user wins), "
               "numerical_gradient with one-sided differences",
               answers={"backward_pass": BACKWARD_PASS_OVERWRITES,
                        "numerical_gradient": NUMERICAL_GRADIENT_ONE_SIDED},
               bugs={"backward_pass": ("overwrote_gradient",),
                     "numerical_gradient": ("one_sided_differences",)}),
        Sample("finn", "the worked example overwrites db (= where += belongs), Exp's gradient "
               "multiplied by the input, not the output",
               answers={"example_forward_backward": EXAMPLE_OVERWRITES_DB,
                        "Exp": EXP_TIMES_INPUT},
               bugs={"example_forward_backward": ("missing_path",),
                     "Exp": ("wrong_local_derivative",)}),
        cheat("hw1_graphs", "numerical_gradient", NUMERICAL_GRADIENT_STUB,
              "numerical_gradient left returning zeros", "all_zeros"),
        unreadable(),
    ]
