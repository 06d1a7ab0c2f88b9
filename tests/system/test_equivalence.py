"""No answer in the student's hands (DESIGN.md rule 4): no function in a release notebook or in
the student package is equivalent to a graded function due in the same or a later assignment.

Two detectors:
- Syntax: normalised syntax trees, docstrings dropped, every name (variables, arguments,
  attributes, functions) and every constant replaced by a placeholder, so renaming and
  re-spelling numbers hide nothing. A student-reachable function matches a reference when its
  normalised tree equals the reference's, or when the reference's whole solution region (two
  statements or more) appears as a run of statements anywhere in it.
- Behaviour: every function of the student package (and of .py files in release/) that takes
  the same arguments as a graded forward-style function (same count, same defaults) is called
  on that function's inputs; if it returns what the reference returns, it does what the
  graded function does with its signature (another algorithm, say im2col for a naive conv, is
  still the answer in the student's hands).
"""
import ast
import importlib.util
import inspect
import json
import re
from pathlib import Path

import numpy as np

import pytest
from support import ROOT, source_text

import solutions

ORDER = list(solutions.ASSIGNMENTS)
MAGIC = re.compile(r"^\s*[%!].*$", re.M)


class Anonymise(ast.NodeTransformer):
    """Names, arguments, attributes and constants become placeholders; docstrings go."""

    def visit_Name(self, node):
        return ast.copy_location(ast.Name(id="_", ctx=ast.Load()), node)

    def visit_arg(self, node):
        return ast.copy_location(ast.arg(arg="_"), node)

    def visit_Attribute(self, node):
        self.generic_visit(node)
        return ast.copy_location(ast.Attribute(value=node.value, attr="_", ctx=ast.Load()), node)

    def visit_Constant(self, node):
        return ast.copy_location(ast.Constant(value=0), node)

    def visit_keyword(self, node):
        self.generic_visit(node)
        node.arg = "_" if node.arg else None
        return node

    def visit_FunctionDef(self, node):
        body = node.body[1:] if ast.get_docstring(node) is not None else node.body
        node.body = body or [ast.Pass()]
        node.name = "_"
        node.decorator_list = []
        self.generic_visit(node)
        return node


def normalised(node):
    return ast.dump(Anonymise().visit(ast.parse(ast.unparse(node))))


def statements(function):
    """The function's body, one normalised string per statement (docstring dropped)."""
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    return [normalised(statement) for statement in body]


def functions_in(tree):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def reference_functions():
    """{graded name: (assignment, [(whole tree, solution-region statements)])}: the reference
    function itself, or every method of a graded class."""
    module_sources = {p.stem: p.read_text() for p in (ROOT / "solutions").glob("*.py")}
    found = {}
    for assignment, names in solutions.CONTRACT_BY_ASSIGNMENT.items():
        for name in names:
            for module, text in module_sources.items():
                tree = ast.parse(text)
                for node in tree.body:
                    if getattr(node, "name", None) != name:
                        continue
                    targets = [node] if isinstance(node, ast.FunctionDef) else [
                        m for m in node.body if isinstance(m, ast.FunctionDef)]
                    found[name] = (assignment, [(normalised(t), solution_region(t, text))
                                                for t in targets])
    return found


def solution_region(function, text):
    """Normalised statements of the function's ``### BEGIN/END SOLUTION`` region."""
    lines = text.splitlines()
    begin = end = None
    for i in range(function.lineno - 1, min(len(lines), function.end_lineno + 1)):
        if "### BEGIN SOLUTION" in lines[i] and begin is None:
            begin = i + 1
        elif "### END SOLUTION" in lines[i] and begin is not None:
            end = i + 1  # the region's last line (a comment after the last statement)
            break
    if begin is None:
        return []
    end = end or function.end_lineno
    region = [s for s in function.body if begin < s.lineno <= end]
    return [normalised(s) for s in region]


def contains_run(haystack, needle):
    n = len(needle)
    return n >= 2 and any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def reachable():
    """(where, assignment index students get it at, function node) for every function in a
    release notebook (its assignment) and in the student package (hw1: installed first)."""
    for path in sorted((ROOT / "release").rglob("*.ipynb")):
        assignment = path.parent.name
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] != "code":
                continue
            try:
                tree = ast.parse(MAGIC.sub("", source_text(cell)))
            except SyntaxError:
                continue
            for function in functions_in(tree):
                yield f"{path.relative_to(ROOT)} cell {i + 1}", ORDER.index(assignment), function
    for path in sorted((ROOT / "release").rglob("*.py")):
        for function in functions_in(ast.parse(path.read_text())):
            yield str(path.relative_to(ROOT)), ORDER.index(path.parent.name), function
    for path in sorted((ROOT / "lib" / "backproplab").rglob("*.py")):
        for function in functions_in(ast.parse(path.read_text())):
            yield str(path.relative_to(ROOT)), 0, function


def matches(function, references):
    whole = normalised(function)
    body = statements(function)
    return any(whole == tree or contains_run(body, region) for tree, region in references)


def test_the_normaliser_sees_through_renaming_and_constants():
    a = ast.parse("def f(x, w):\n    '''doc'''\n    out = x @ w + 1.0\n    return out, (x, w)\n")
    b = ast.parse("def g(inp, weight):\n    res = inp @ weight + 2\n    return res, (inp, weight)\n")
    c = ast.parse("def g(inp, weight):\n    res = weight @ inp\n    return res, (inp, weight)\n")
    assert normalised(a.body[0]) == normalised(b.body[0]) != normalised(c.body[0])
    assert contains_run(["x", "a", "b", "y"], ["a", "b"])


def test_every_contract_function_has_a_reference_to_compare_with():
    assert set(reference_functions()) == set(solutions.CONTRACT_NAMES)


def test_no_student_reachable_function_is_equivalent_to_a_graded_one_due_then_or_later():
    references = reference_functions()
    found = []
    for where, given_at, function in reachable():
        for name, (assignment, trees) in references.items():
            if ORDER.index(assignment) >= given_at and matches(function, trees):
                found.append(f"{where}: {function.name} is equivalent to {name} ({assignment})")
    assert not found, "\n".join(found)


# ------------------------------------------------------------------------------ behaviour

def sample_calls():
    """{graded name: (args, kwargs)} for the graded functions a package function could stand
    in for: the ones that take plain arrays (and a function) and return a result."""
    rng = np.random.default_rng(0)
    x4, w4 = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    return {
        "numerical_gradient": ((lambda v: float(np.sum(v ** 3)), rng.standard_normal((3, 2))), {}),
        "affine_forward": ((rng.standard_normal((4, 3)), rng.standard_normal((3, 5)),
                            rng.standard_normal(5)), {}),
        "relu_forward": ((rng.standard_normal((3, 4)),), {}),
        "prelu_forward": ((rng.standard_normal((3, 4)), rng.uniform(0.05, 0.4, 4)), {}),
        "sigmoid_forward": ((rng.standard_normal((3, 4)),), {}),
        "tanh_forward": ((rng.standard_normal((3, 4)),), {}),
        "softmax_forward": ((rng.standard_normal((3, 4)),), {}),
        "softmax_loss": ((rng.standard_normal((3, 4)), np.array([0, 3, 1])), {}),
        "mse_loss": ((rng.standard_normal((3, 2)), rng.standard_normal((3, 2))), {}),
        "bce_loss": ((rng.uniform(0.1, 0.9, 5), rng.integers(0, 2, 5).astype(float)), {}),
        "conv_forward": ((x4, w4, rng.standard_normal(4)), {"stride": 2, "pad": 1}),
        "max_pool_forward": ((rng.standard_normal((2, 3, 6, 6)),), {}),
        "l2_penalty": (([rng.standard_normal((3, 2)), rng.standard_normal(2)], 0.1), {}),
        "sgd_step": (([rng.standard_normal(3)], [rng.standard_normal(3)], 0.1), {}),
    }


def first_value(result):
    return result[0] if isinstance(result, tuple) else result


def same_result(a, b):
    try:
        a, b = first_value(a), first_value(b)
        if isinstance(a, list):
            return len(a) == len(b) and all(np.allclose(u, v) for u, v in zip(a, b))
        return np.shape(a) == np.shape(b) and np.allclose(a, b)
    except Exception:
        return False


def same_signature(candidate, graded):
    def shape(function):
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            return None
        return [(p.kind, p.default) for p in parameters]
    return shape(candidate) is not None and shape(candidate) == shape(graded)


def package_functions():
    """(where, assignment index, function object) for the student package's functions and the
    .py files released with an assignment."""
    import backproplab
    for path in sorted(Path(backproplab.__file__).parent.glob("*.py")):
        module = importlib.import_module(f"backproplab.{path.stem}") if path.stem != "__init__" \
            else backproplab
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                yield f"lib/backproplab/{path.name}", 0, obj
    for path in sorted((ROOT / "release").rglob("*.py")):
        spec = importlib.util.spec_from_file_location(f"released_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                yield str(path.relative_to(ROOT)), ORDER.index(path.parent.name), obj


def assignment_of(name):
    return next(a for a, names in solutions.CONTRACT_BY_ASSIGNMENT.items() if name in names)


def test_no_package_function_does_what_a_graded_one_does_with_its_signature():
    found = []
    for where, given_at, candidate in package_functions():
        for name, (args, kwargs) in sample_calls().items():
            graded = getattr(solutions, name)
            if ORDER.index(assignment_of(name)) < given_at or not same_signature(candidate, graded):
                continue
            try:
                got = candidate(*args, **kwargs)
            except Exception:
                continue
            if same_result(got, graded(*args, **kwargs)):
                found.append(f"{where}: {candidate.__name__} does what {name} does")
    assert not found, "\n".join(found)


def test_the_behaviour_detector_finds_a_renamed_answer():
    def my_helper(a, b, c):
        return a @ b + c, None
    args, kwargs = sample_calls()["affine_forward"]
    assert same_signature(my_helper, solutions.affine_forward)
    assert same_result(my_helper(*args), solutions.affine_forward(*args, **kwargs))


# ------------------------------------------------------------------------ staged helpers
# What students get is staged (DESIGN.md rule 4): the package is installed on the first day, so
# nothing in it, used as a student would use it (with the extra arguments it asks for, as a
# composition of its pieces, or by reading what its results hold), may compute a graded answer;
# and each release folder reaches students on its own, when its assignment opens.

def adapted_calls(candidate, args, kwargs):
    """The calls of ``candidate`` that start with ``args``: as they are, and with up to two
    further required positional arguments filled with 1.0 (a ``dout`` of ones, say)."""
    try:
        parameters = list(inspect.signature(candidate).parameters.values())
    except (TypeError, ValueError):
        return
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    keyword_only = [p for p in parameters if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    if keyword_only or len(args) > len(positional) or len(required) > len(args) + 2:
        return
    extra = max(0, len(required) - len(args))
    yield tuple(args) + (1.0,) * extra, kwargs


def call_quietly(function, args, kwargs):
    import warnings
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)
    except Exception:
        return None
    finally:
        plt.close("all")


def arrays_in(value, depth=0, seen=None):
    """Every NumPy array ``value`` holds: itself, its items, its fields and attributes."""
    seen = set() if seen is None else seen
    if depth > 4 or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            yield value
        if value.dtype == object:
            for item in value.ravel():
                yield from arrays_in(item, depth + 1, seen)
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from arrays_in(item, depth + 1, seen)
        if value and all(isinstance(item, (int, float)) for item in value):
            yield np.asarray(value, dtype=float)
    elif isinstance(value, dict):
        for item in value.values():
            yield from arrays_in(item, depth + 1, seen)
    elif hasattr(value, "__dict__") and not inspect.ismodule(value) and not callable(value):
        for item in vars(value).values():
            yield from arrays_in(item, depth + 1, seen)


def holds(result, expected):
    """True if ``result`` holds ``expected`` (an array), as it is or reshaped."""
    return any(a.size == expected.size and np.allclose(a.reshape(expected.shape), expected,
                                                       rtol=1e-6, atol=1e-9)
               for a in arrays_in(result))


def test_no_package_function_computes_numerical_gradient_given_what_it_asks_for():
    """hw1's numerical_gradient is due before the package may do it: no package function,
    called with its arguments and a neutral extra one (an upstream gradient of 1.0), returns
    the central differences of a function at an array, and no check hands them back in its
    result (a check compares a gradient it is given; it does not compute one to take away)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2))
    f = lambda v: float(np.sum(v ** 3 + np.sin(v)))  # noqa: E731
    expected = solutions.numerical_gradient(f, x)
    wirings = [(f, x.copy()),                                   # numerical_gradient itself
               (f, [x.copy()], [np.zeros_like(x)], 1.0),        # a check given a zero gradient
               (f, lambda dout, v: np.zeros_like(v), x.copy()),  # a check of a function
               (lambda v: (np.sum(v ** 3 + np.sin(v)), v), lambda dout, v: 0 * v, x.copy())]
    found = []
    for where, given_at, candidate in package_functions():
        if given_at > ORDER.index("hw1_graphs"):
            continue
        for wiring in wirings:
            for args, kwargs in adapted_calls(candidate, wiring, {}):
                result = call_quietly(candidate, args, kwargs)
                if result is not None and holds(result, expected):
                    found.append(f"{where}: {candidate.__name__}{tuple(type(a).__name__ for a in args)} "
                                 "holds numerical_gradient's answer")
    assert not found, "\n".join(sorted(set(found)))


def tiny_network(seed=3):
    from solutions.models import two_layer_net
    return two_layer_net(4, 5, 3, seed=seed)


def test_no_package_loop_takes_the_steps_of_train_epoch():
    """hw4's train_epoch is graded: before it is due (and while it is), no package loop draws
    a permutation, slices it into batches and steps on each; fit runs a full-batch step per
    epoch unless it is given the student's own epoch function."""
    from backproplab.training import fit, gradient_function, params_of
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((10, 4)), rng.integers(0, 3, 10)
    net = tiny_network()
    grad_fn = gradient_function(net, solutions.backprop, solutions.softmax_loss)
    params, losses = solutions.train_epoch(params_of(net), X, y, grad_fn, 0.1, 4,
                                           np.random.default_rng(7))
    batches = [list(b) for b in np.array_split(np.random.default_rng(7).permutation(10), [4, 8])]
    found = []
    trained, history = fit(net, X, y, backprop=solutions.backprop, loss_fn=solutions.softmax_loss,
                           update=solutions.sgd_step, lr=0.1, epochs=1, batch_size=4, seed=7,
                           progress=False)
    if np.allclose(history.loss, losses) or len(history.loss) == len(batches):
        found.append("training.fit(update=...) takes one step per mini-batch, as train_epoch does")
    for where, _, candidate in package_functions():
        for args, kwargs in adapted_calls(candidate, (X, y, 4, np.random.default_rng(7)), {}):
            result = call_quietly(candidate, args, kwargs)
            try:
                drawn = [list(np.asarray(b[1])) for b in result]
            except Exception:
                continue
            if [sorted(b) for b in drawn] == [sorted(y[i] for i in b) for b in batches]:
                found.append(f"{where}: {candidate.__name__} yields train_epoch's batches")
    assert not found, "\n".join(found)


def test_the_playground_takes_one_full_batch_step_per_epoch_unless_given_train_epoch():
    """The hw2 playground trains with the student's update rule on the whole data set: its
    epoch is not train_epoch's loop (it runs the student's own train_epoch when given one)."""
    from backproplab.widgets import Playground
    steps = []

    def sgd_step(params, grads, lr):
        steps.append(1)
        return solutions.sgd_step(params, grads, lr)

    names = ("affine_forward", "affine_backward", "relu_forward", "relu_backward",
             "softmax_loss", "backprop")
    functions = {n: getattr(solutions, n) for n in names} | {"sgd_step": sgd_step}
    pg = Playground(functions, n_points=60, batch_size=16, autorender=False)
    assert pg.step(2)
    assert len(steps) == 2, f"the playground took {len(steps)} steps in 2 epochs"


def test_the_graph_stepper_does_not_add_the_shares_of_a_node_used_twice():
    """hw1's backward_pass adds every user's share: the package's graph (the stepper of hw1's
    section 4.2) passes a gradient on only where a node has one user, and takes the gradient
    of a node used several times from the student's own backward_pass."""
    from backproplab.compgraph import lecture_example_graph
    ops = {n: getattr(solutions, n) for n in ("Add", "Multiply", "Divide", "Exp", "Log", "Sin")}
    graph = lecture_example_graph(ops, x=2.0, z=3.0)
    graph.forward()
    for _ in range(20):
        if graph.backward_step().phase in ("done", "error"):
            break
    nodes = {name: (node.operation, node.inputs) for name, node in graph.nodes.items()}
    expected = solutions.backward_pass(nodes, graph.output)
    shared = [n for n in graph.nodes if len(graph.consumers(n)) > 1]
    assert shared == ["x", "a", "b"]
    added = [n for n in shared if graph.nodes[n].grad is not None
             and np.isclose(graph.nodes[n].grad, expected[n])]
    assert not added, f"the graph added the shares of {added}, backward_pass's job"


def test_each_release_folder_is_handed_out_on_its_own():
    """A file released with assignment k (hw4's fast_layers.py holds hw3's four answers) is
    only safe if students get assignment k's folder when k opens: the README must not send
    students to release/ as a whole, and must say how to release one assignment at a time."""
    readme = (ROOT / "README.md").read_text()
    students = readme[readme.index("## For students"):].split("\n## ")[0]
    assert not re.search(r"jupyter lab release/?(\s|$|`)", students), \
        "the README tells students to open release/ with every assignment in it"
    for assignment in ORDER:
        assert f"nbgrader release_assignment {assignment}" in readme, \
            f"the README does not say how to release {assignment} on its own"
    for path in sorted((ROOT / "release").rglob("*.ipynb")):
        text = path.read_text()
        later = [a for a in ORDER[ORDER.index(path.parent.name) + 1:] if f"../{a}" in text]
        assert not later, f"{path.relative_to(ROOT)} reaches into a later folder: {later}"
