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
from notebook_utils import ROOT, source_text

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
