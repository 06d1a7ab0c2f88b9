"""Derived, or evaluated? Evidence that a gradient came from evaluating a forward (finite
differences, a complex step, dual numbers, an autodiff library), and the judge's verdict.

Two kinds of evidence, neither of which depends on timing:

- **What the code says** (``evidence``): the student's cells are parsed, never run. From the
  last top-level definition of a graded function (for hw1's operation classes, the class's
  ``backward``), the student's helpers it names are followed (by name, as ``self.method``,
  or as ``Class.attribute``; breadth first, bounded), and every one of them is read for:
  complex literals, the complex type and complex dtypes (``complex_literal``,
  ``complex_type``), ``.imag`` and ``np.imag`` (``imag``), ``np.emath`` / ``np.lib.scimath``
  (``scimath``), autodiff libraries (``autodiff_library``: autograd, jax, torch,
  tensorflow, sympy, ...), numerical-derivative functions (``numerical_library``:
  ``scipy.optimize.approx_fprime``, ``scipy.differentiate``, numdifftools, ``np.gradient``,
  ...), a class of the student's with arithmetic methods instantiated there
  (``dual_numbers``), and the finite-difference shape: a step of at most 1e-3 (a literal, or
  a name bound to one, or a parameter) added to or taken from a value, and a division by that
  step or twice it, in one function (``finite_differences``); and a look at the trace,
  profile or monitoring hooks the call monitor uses (``monitor_probe``: a gradient that is
  derived only while it is watched).
- **What the code did** (``runtime``): the record of a call made with ``monitor=True``
  (``StudentProcess.call(..., monitor=True)``, then ``proc.last_monitor``; see
  ``sandbox/child.py``'s ``CallMonitor``): for each of the student's functions that ran, how
  often, and whether it got complex or object arrays, dual numbers, or an input a tiny step
  away from one of the call's own; and whether the monitor was still in place at the end.

``verdict`` turns both into None (derived) or ``("not_derived", message)``. Runtime evidence
counts only where it is received by the forward, a graded function (or the given
``Operation``), or the function itself (its nested functions included): a helper of the
student's may be handed a clipped copy of an input honestly, and calling the forward on the
very arrays the backward got (``sigmoid_backward`` recomputing ``sigmoid_forward(x)``) is
honest recomputation, never evidence. Every static finding counts.

Reading is bounded (``CELL_MAX_CHARS`` per cell, ``MAX_DEFINITIONS`` followed,
``MAX_NODES`` walked, ``MAX_FINDINGS`` kept); a cell that can't be parsed, or a tree too deep,
is skipped, never raised. Descriptions quote no student text but names (cut short), and the
verdict's message no count, value or shape.
"""
import ast
import math
from collections import deque
from functools import lru_cache
from typing import NamedTuple

from solutions.contract import GRADED_NAMES

CELL_MAX_CHARS = 200_000
MAX_DEFINITIONS = 200
MAX_NODES = 200_000
MAX_FINDINGS = 50
SMALL_STEP = 1e-3

OPERATIONS = ("Add", "Multiply", "Divide", "Exp", "Log", "Sin")
# Every graded name whose gradient must be derived, and the forward it belongs to (None: the
# function is its own forward, as a loss, or evaluates code that is not the student's).
DERIVED = {
    **{op: f"{op}.forward" for op in OPERATIONS},
    "example_forward_backward": None, "backward_pass": None,
    **{name: name.replace("_backward", "_forward") for name in GRADED_NAMES
       if name.endswith("_backward") and name != "backward_pass"},
    "softmax_loss": None, "mse_loss": None, "bce_loss": None, "backprop": None,
    "l2_penalty": None,
}

# What a gradient would look at to tell whether the grader watches it (and so be derived
# only when watched), or to stop it watching: never in an honest backward.
MONITOR_HOOKS = ("sys.gettrace", "sys.getprofile", "sys.settrace", "sys.setprofile",
                 "sys.monitoring", "threading.settrace", "threading.setprofile",
                 "threading.gettrace", "threading.getprofile", "threading.settrace_all_threads",
                 "threading.setprofile_all_threads")

PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
DEFINITIONS = (*FUNCTIONS, ast.ClassDef)
BLOCKS = (ast.If, ast.Try, getattr(ast, "TryStar", ast.Try), ast.With, ast.For, ast.While)
ARITHMETIC = frozenset({
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__matmul__", "__rmatmul__",
    "__array_ufunc__"})
COMPLEX_TYPES = frozenset({
    "complex64", "complex128", "complex192", "complex256", "complex_", "cdouble", "csingle",
    "clongdouble", "complexfloating", "cfloat", "clongfloat", "longcomplex", "singlecomplex"})
COMPLEX_DTYPES = frozenset({"c8", "c16", "c32", "D", "F", "G", "<c8", "<c16", ">c8", ">c16"})
SCIMATH = ("numpy.emath", "numpy.lib.scimath")
AUTODIFF = ("autograd", "jax", "jaxlib", "torch", "tensorflow", "sympy", "theano", "pytensor",
            "mxnet", "chainer", "mygrad", "tinygrad", "micrograd", "casadi", "autodiff",
            "dual_autodiff", "keras", "paddle", "mindspore")
# NumPy look-alikes of autodiff libraries: computing with them differentiates nothing
NUMPY_ALIKES = ("autograd.numpy", "autograd.scipy", "jax.numpy", "jax.scipy", "jax.nn",
                "jax.random")
NUMERICAL = ("numdifftools", "findiff", "scipy.differentiate", "scipy.misc.derivative",
             "scipy.misc.central_diff_weights", "scipy.optimize.approx_fprime",
             "scipy.optimize.check_grad", "scipy.optimize._numdiff", "numpy.gradient")
DEFAULT_MODULES = {"np": "numpy", "numpy": "numpy"}  # the child's namespace holds np


class Finding(NamedTuple):
    """One piece of static evidence: its kind, the line in its cell, a short description
    (names only: no student text), and the cell (its index in the sources given)."""

    kind: str
    line: int
    text: str
    cell: int


class Definition(NamedTuple):
    node: ast.AST
    cell: int
    owner: str = ""  # the class of a method


class Program:
    """The top-level definitions, imports and numeric constants of a student's cells (the last
    binding wins, as when the cells run in order)."""

    def __init__(self, sources):
        self.definitions, self.imports, self.constants = {}, dict(DEFAULT_MODULES), {}
        for position, item in enumerate(sources):
            cell, text = item if isinstance(item, tuple) else (position, item)
            self.read(cell, text)

    def read(self, cell, text):
        if not isinstance(text, str) or len(text) > CELL_MAX_CHARS:
            return
        try:
            tree = ast.parse(text)
        except PARSE_ERRORS:
            return  # the child can't run it either
        try:
            for node in module_level(tree.body):
                self.bind(node, cell)
        except (RecursionError, MemoryError):
            pass

    def bind(self, node, cell):
        if isinstance(node, DEFINITIONS):
            self.definitions[node.name] = Definition(node, cell)
            self.constants.pop(node.name, None)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for name, module in imported(node):
                self.imports[name] = module
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if not isinstance(target, ast.Name):
                    continue
                name = target.id
                if isinstance(node.value, ast.Lambda):
                    self.definitions[name] = Definition(node.value, cell)
                elif isinstance(node.value, ast.Name) and node.value.id in self.definitions:
                    self.definitions[name] = self.definitions[node.value.id]  # alias
                else:
                    value = number(node.value, self.constants.get)
                    if value is None:
                        self.constants.pop(name, None)
                    else:
                        self.constants[name] = value

    def methods(self, class_name, seen=None):
        """{method name: node} of a student class and its student bases (nearest first)."""
        seen = seen or set()
        found = {}
        definition = self.definitions.get(class_name)
        if definition is None or not isinstance(definition.node, ast.ClassDef) \
                or class_name in seen or len(seen) > 20:
            return found
        seen.add(class_name)
        for base in definition.node.bases:
            if isinstance(base, ast.Name):
                found.update(self.methods(base.id, seen))
        for item in definition.node.body:
            if isinstance(item, FUNCTIONS):
                found[item.name] = item
        return found


def module_level(body):
    """The statements run at module level, the blocks of ``if``/``try``/``with``/loops too."""
    stack = [iter(body)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        yield node
        if isinstance(node, BLOCKS) and len(stack) < 50:
            for name in ("finalbody", "orelse", "body"):
                stack.append(iter(getattr(node, name, [])))
            for handler in getattr(node, "handlers", []):
                stack.append(iter(handler.body))


def imported(node):
    """(name bound, dotted name it stands for) of an import statement."""
    for alias in node.names:
        if isinstance(node, ast.Import):
            if alias.asname:
                yield alias.asname, alias.name
            else:
                top = alias.name.split(".")[0]
                yield top, top
        elif alias.name != "*" and node.module and not node.level:
            yield alias.asname or alias.name, f"{node.module}.{alias.name}"


def number(node, lookup, depth=0):
    """The value of a numeric constant expression (literals, + - * / **, names ``lookup``
    knows), or None."""
    if depth > 12:
        return None
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Name):
        value = lookup(node.id)
        return value if isinstance(value, float) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = number(node.operand, lookup, depth + 1)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp):
        left, right = number(node.left, lookup, depth + 1), number(node.right, lookup, depth + 1)
        if left is None or right is None:
            return None
        try:
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
            if isinstance(node.op, ast.Pow) and abs(right) <= 400 and abs(left) <= 1e6:
                value = left ** right
                return value if isinstance(value, float) else None
        except (ZeroDivisionError, OverflowError, ValueError):
            return None
    return None


def dotted(node):
    """``a.b.c`` of an attribute chain on a name, as a list of parts, or None."""
    parts = []
    while isinstance(node, ast.Attribute) and len(parts) < 20:
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


SHOWN_METHODS = ("forward", "backward", "__call__", "__init__")
MAX_LINE = 999  # a line number past this is said as "a line past 999"


def short_name(name):
    """A name fit for a message: a graded name, the given ``Operation`` or one of its
    subclasses, or a method of one of them (forward, backward, ...). Any other name (a
    helper's, a nested function's) is the student's to choose, even made at run time, so it
    is said as a stand-in."""
    parts = str(name).split(".")
    if (parts[0] in GRADED_NAMES or parts[0] in OPERATIONS or parts[0] == "Operation") \
            and all(part in SHOWN_METHODS for part in parts[1:]) and len(parts) <= 2:
        return str(name)
    return "one of your functions"


def line_words(line):
    """``line N`` of a cell, up to ``MAX_LINE``."""
    return f"line {line}" if 0 < int(line) <= MAX_LINE else f"a line past {MAX_LINE}"


# ------------------------------------------------------------------------------ the reading

class Reader:
    """Walks one graded function and the helpers it reaches; collects Findings."""

    def __init__(self, program, function):
        self.program, self.function = program, function
        self.findings, self.keys = [], set()
        self.nodes = 0
        self.queue, self.queued = deque(), set()
        self.instantiated = set()

    def start(self):
        definition = self.program.definitions.get(self.function)
        if definition is None:
            return
        node = definition.node
        if isinstance(node, ast.ClassDef):
            methods = self.program.methods(self.function)
            if "backward" in methods:
                self.enqueue(methods["backward"], definition.cell, self.function)
                return
        self.enqueue(node, definition.cell, "")

    def enqueue(self, node, cell, owner):
        if id(node) in self.queued or len(self.queued) >= MAX_DEFINITIONS:
            return
        self.queued.add(id(node))
        self.queue.append(Definition(node, cell, owner))

    def run(self):
        self.start()
        while self.queue and self.nodes < MAX_NODES and len(self.findings) < MAX_FINDINGS:
            self.read(self.queue.popleft())
        return self.findings

    def note(self, kind, node, where, what):
        line = getattr(node, "lineno", 0)
        key = (kind, where.cell, line)
        if key in self.keys or len(self.findings) >= MAX_FINDINGS:
            return
        self.keys.add(key)
        self.findings.append(Finding(kind, line, f"{self.label(where)}: {what}", where.cell))

    def label(self, where):
        node = where.node
        name = getattr(node, "name", "a lambda")
        if where.owner and isinstance(node, FUNCTIONS):
            name = f"{where.owner}.{name}"
        return short_name(name) if name != "a lambda" else name

    def read(self, where):
        node = where.node
        nodes = []
        for child in ast.walk(node):
            nodes.append(child)
            if len(nodes) + self.nodes > MAX_NODES:
                break
        self.nodes += len(nodes)
        bound = bound_names(node, nodes)
        steps = Steps(self.program, node, nodes)
        for child in nodes:
            self.look(child, where, bound)
        if steps.found is not None:
            self.note("finite_differences", steps.found, where,
                      "adds a small step to a value and divides by that step "
                      "(finite differences)")

    def resolve(self, parts, bound):
        """The dotted name (``numpy.emath``) an attribute chain stands for via the imports,
        or None (a local name, or not imported)."""
        if parts is None or parts[0] in bound:
            return None
        module = self.program.imports.get(parts[0])
        return ".".join([module, *parts[1:]]) if module else None

    def look(self, node, where, bound):
        if isinstance(node, ast.Constant) and isinstance(node.value, complex):
            self.note("complex_literal", node, where, "writes a complex number")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            self.look_name(node, where, bound)
        elif isinstance(node, ast.Attribute):
            self.look_attribute(node, where, bound)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for _, module in imported(node):
                self.library(module, node, where)
        elif isinstance(node, ast.Call):
            self.look_call(node, where, bound)
        elif isinstance(node, ast.keyword) and node.arg == "dtype" and complex_dtype(node.value):
            self.note("complex_type", node.value, where, "asks for a complex dtype")

    def look_name(self, node, where, bound):
        name = node.id
        if name in bound:
            return
        if name == "complex" and "complex" not in self.program.definitions:
            self.note("complex_type", node, where, "uses the complex type")
            return
        module = self.program.imports.get(name)
        if module:
            self.library(module, node, where)
        definition = self.program.definitions.get(name)
        if definition is not None:
            self.enqueue_definition(name, definition)

    def enqueue_definition(self, name, definition):
        if isinstance(definition.node, ast.ClassDef):
            for method in self.program.methods(name).values():
                self.enqueue(method, definition.cell, name)
        else:
            self.enqueue(definition.node, definition.cell, "")

    def look_attribute(self, node, where, bound):
        attr = node.attr
        if attr == "imag":
            self.note("imag", node, where, "takes .imag of a value")
        elif attr in COMPLEX_TYPES:
            self.note("complex_type", node, where, "uses a complex dtype")
        full = self.resolve(dotted(node), bound)
        if full:
            self.library(full, node, where)
        if isinstance(node.value, ast.Name):
            owner = node.value.id
            if owner == "self" and where.owner:
                method = self.program.methods(where.owner).get(attr)
                if method is not None:
                    self.enqueue(method, where.cell, where.owner)
            elif owner not in bound and owner in self.program.definitions and \
                    isinstance(self.program.definitions[owner].node, ast.ClassDef):
                method = self.program.methods(owner).get(attr)
                if method is not None:
                    self.enqueue(method, self.program.definitions[owner].cell, owner)
        if attr in self.program.definitions and not isinstance(
                self.program.definitions[attr].node, ast.ClassDef) and not full:
            self.enqueue(self.program.definitions[attr].node,
                         self.program.definitions[attr].cell, "")

    def look_call(self, node, where, bound):
        func = node.func
        if isinstance(func, ast.Name) and func.id not in bound:
            definition = self.program.definitions.get(func.id)
            if definition is not None and isinstance(definition.node, ast.ClassDef) \
                    and arithmetic(self.program, func.id):
                self.note("dual_numbers", node, where, "makes values of a class of yours "
                          "that defines arithmetic (dual numbers)")
        name = func.attr if isinstance(func, ast.Attribute) else \
            func.id if isinstance(func, ast.Name) else ""
        as_dtype = name in ("astype", "view", "dtype") and node.args and \
            complex_dtype(node.args[0])
        if as_dtype or any(isinstance(a, ast.Constant) and complex_dtype(a, codes=False)
                           for a in node.args[1:]):  # np.array(x, "complex128"), "c16"
            self.note("complex_type", node, where, "asks for a complex dtype")

    def library(self, module, node, where):
        if module.startswith(SCIMATH):
            self.note("scimath", node, where, "uses NumPy's emath (scimath) functions, which "
                      "return complex values")
        elif module == "numpy.imag":
            self.note("imag", node, where, "takes the imaginary part of a value")
        elif any(module == m or module.startswith(m + ".") for m in AUTODIFF) and not any(
                module == m or module.startswith(m + ".") for m in NUMPY_ALIKES):
            self.note("autodiff_library", node, where, "uses an automatic-differentiation "
                      "library")
        elif any(module == m or module.startswith(m + ".") for m in NUMERICAL):
            self.note("numerical_library", node, where, "uses a numerical-derivative function")
        elif any(module == m or module.startswith(m + ".") for m in MONITOR_HOOKS):
            self.note("monitor_probe", node, where, "looks at or changes the trace, profile "
                      "or monitoring hooks the grader watches calls with")


def complex_dtype(node, codes=True):
    """Whether ``node`` names a complex dtype (with ``codes``, one-letter codes such as "D"
    too: only where a dtype is certain to be meant, since "F" is also an array order)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.strip()
        return text.lower().startswith("complex") or (
            text in COMPLEX_DTYPES and (codes or len(text.lstrip("<>")) > 1))
    if isinstance(node, ast.Name):
        return node.id == "complex"
    if isinstance(node, ast.Attribute):
        return node.attr in COMPLEX_TYPES
    return False


def arithmetic(program, class_name):
    """Whether a student class (or a student base of it) defines an arithmetic method."""
    if set(program.methods(class_name)) & ARITHMETIC:
        return True
    definition = program.definitions.get(class_name)
    for item in definition.node.body if definition else ():
        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ARITHMETIC
                                                for t in item.targets):
            return True
    return False


def bound_names(node, nodes):
    """The names a definition binds itself (parameters, assignments, loop and ``with``
    targets, imports and nested definitions), less those it declares global."""
    bound, declared = set(), set()
    for child in nodes:
        if isinstance(child, ast.arg):
            bound.add(child.arg)
        elif isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            bound.add(child.id)
        elif isinstance(child, DEFINITIONS) and child is not node:
            bound.add(child.name)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            bound.update(name for name, _ in imported(child))
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            declared.update(child.names)
    return bound - declared


class Steps:
    """The finite-difference shape in one definition: a value plus or minus a small step (a
    number of at most SMALL_STEP, a name bound to one here or at module level, or a
    parameter), and a division by that step or twice it. ``found``: the division's node."""

    def __init__(self, program, node, nodes):
        self.program, self.found = program, None
        self.values, self.parameters = {}, set()
        args = getattr(node, "args", None)
        if isinstance(args, ast.arguments):
            positional = [*getattr(args, "posonlyargs", []), *args.args]
            defaults = dict(zip([a.arg for a in positional][::-1], args.defaults[::-1],
                                strict=False))
            defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults,
                                                     strict=False)
                             if d is not None})
            for arg in [*positional, *args.kwonlyargs]:
                if arg.arg in defaults:
                    self.bind(arg.arg, defaults[arg.arg])
                else:
                    self.parameters.add(arg.arg)
        for child in nodes:
            if isinstance(child, ast.Assign):
                for target in child.targets:
                    if isinstance(target, ast.Name):
                        self.bind(target.id, child.value)
        steps = [s for child in nodes for s in self.perturbations(child)]
        if not steps:
            return
        for child in nodes:
            if isinstance(child, ast.BinOp) and isinstance(child.op, ast.Div) \
                    and self.divides_by_step(child.right, steps):
                self.found = child
                return

    def bind(self, name, value_node):
        value = number(value_node, self.lookup)
        if value is not None:
            self.values.setdefault(name, set()).add(value)

    def lookup(self, name):
        known = self.values.get(name)
        if known and len(known) == 1:
            return next(iter(known))
        if name in self.values or name in self.parameters:
            return None
        return self.program.constants.get(name)

    def step(self, node):
        """The step a perturbing term stands for: ('name', n) or ('value', v), or None."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self.step(node.left) or self.step(node.right)  # h * e_i, eps * v
        if isinstance(node, ast.Name):
            if node.id in self.parameters:
                return ("name", node.id)
            values = self.values.get(node.id) or \
                ({self.program.constants[node.id]} if node.id in self.program.constants
                 and node.id not in self.values else set())
            if any(0 < abs(v) <= SMALL_STEP for v in values):
                return ("name", node.id)
            return None
        value = number(node, self.lookup)
        if value is not None and 0 < abs(value) <= SMALL_STEP:
            return ("value", value)
        return None

    def perturbations(self, node):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            for side in (node.right, node.left):
                step = self.step(side)
                if step:
                    yield step
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            step = self.step(node.value)
            if step:
                yield step

    def divides_by_step(self, divisor, steps):
        """Whether ``divisor`` is one of the steps, or twice one: ``h``, ``2 * h``, ``h * 2``,
        ``h + h``, or a number equal to a step's value or twice it."""
        names = {s[1] for s in steps if s[0] == "name"}
        values = {s[1] for s in steps if s[0] == "value"}
        for name in names:
            values |= self.values.get(name, set())
            if name in self.program.constants and name not in self.values:
                values.add(self.program.constants[name])

        def is_name(node):
            return isinstance(node, ast.Name) and node.id in names

        if is_name(divisor):
            return True
        if isinstance(divisor, ast.BinOp):
            left, right = divisor.left, divisor.right
            if isinstance(divisor.op, ast.Mult) and (
                    (is_name(right) and number(left, self.lookup) == 2.0) or
                    (is_name(left) and number(right, self.lookup) == 2.0)):
                return True
            if isinstance(divisor.op, ast.Add) and is_name(left) and is_name(right) \
                    and left.id == right.id:
                return True
        value = number(divisor, self.lookup)
        return value is not None and any(
            math.isclose(value, v, rel_tol=1e-9) or math.isclose(value, 2 * v, rel_tol=1e-9)
            for v in values if v)


@lru_cache(maxsize=16)
def program_of(sources):
    return Program(sources)


def evidence(sources, function):
    """Static evidence that ``function`` evaluates rather than derives its gradient: a list of
    Findings, empty when there is none. ``sources`` are the student's cell texts as the grader
    runs them (strings, or ``(index, text)`` pairs as ``StudentProcess.cells`` holds them);
    ``function`` a graded name (for a class, its ``backward`` is read)."""
    try:
        key = tuple(item if isinstance(item, (str, tuple)) else str(item) for item in sources)
        return Reader(program_of(key), function).run()
    except (RecursionError, MemoryError):
        return []


# ------------------------------------------------------------------------------ the verdict

COMPLEX_KINDS = ("complex_literal", "complex_type", "imag", "scimath")
STATIC_WORDS = {
    "complex": "computes with complex numbers (a complex step)",
    "autodiff_library": "uses an automatic-differentiation library",
    "numerical_library": "uses a numerical-derivative function",
    "dual_numbers": "computes with a class of its own that overloads arithmetic (dual numbers)",
    "finite_differences": "adds a small step to a value and divides by it (finite differences)",
    "monitor_probe": "looks at or changes the hooks the grader watches its calls with",
}
CANNOT_TELL = ("The grader reads the code and watches the calls it makes; it cannot tell "
               "intent: if you derived this gradient, ask your instructor to look at the "
               "lines named.")


def needs_derivation(function):
    """Whether ``function``'s gradient must be derived (not ``numerical_gradient``, whose job
    is finite differences, nor a forward, an optimiser or a graph walk)."""
    return function in DERIVED or function.endswith("_backward")


def counts(name, function, forward):
    """Whether runtime evidence received by the student function ``name`` (a qualified name
    from the monitor) counts: the forward, the function itself, a graded function or the
    given Operation, with their methods and nested functions."""
    head = name.split(".")[0]
    return head in (function, forward, "Operation") or head in GRADED_NAMES or \
        (forward is not None and name.startswith(forward + "."))


def runtime_reasons(records, function, forward):
    reasons = []
    for record in records:
        if not isinstance(record, dict):
            continue
        for entry in record.get("functions", ()):
            name = entry.get("name", "")
            if not counts(name, function, forward):
                continue
            who = "itself" if name.split(".")[0] == function and name == function else \
                short_name(name)
            if entry.get("complex"):
                reasons.append(f"it evaluated {who} at complex inputs (a complex step)")
            if entry.get("dual"):
                reasons.append(f"it evaluated {who} on dual numbers or other Python objects")
            if entry.get("perturbed"):
                reasons.append(f"it called {who} with inputs a tiny step away from its own "
                               "(finite differences)")
        if record.get("tampered"):
            reasons.append("it tried to set a trace or profile function during the call")
        if not record.get("installed", True) and (record.get("completed")
                                                  or record.get("tampered")):
            reasons.append("the grader's call monitor was removed during the call")
    return reasons


def static_reasons(findings):
    by_kind = {}
    for finding in findings or ():
        kind = "complex" if finding.kind in COMPLEX_KINDS else finding.kind
        where = finding.text.split(":")[0]
        by_kind.setdefault(kind, []).append(f"{line_words(finding.line)} of the cell defining "
                                            f"{where}")
    reasons = []
    for kind, places in by_kind.items():
        shown = sorted(set(places), key=places.index)[:3]
        reasons.append(f"its code {STATIC_WORDS.get(kind, kind)} ({'; '.join(shown)})")
    return reasons


def verdict(runtime, static, function, forward=None):
    """None when nothing shows that ``function``'s gradient was evaluated rather than derived;
    else ``("not_derived", message)``. ``runtime`` is a monitor record (``proc.last_monitor``),
    a list of them, or None; ``static`` the Findings of ``evidence``; ``forward`` the
    function's forward (default: ``DERIVED``'s). A function whose gradient need not be derived
    (``needs_derivation``) gets None."""
    if not needs_derivation(function):
        return None
    forward = forward if forward is not None else DERIVED.get(function)
    records = runtime if isinstance(runtime, (list, tuple)) else [runtime]
    reasons = list(dict.fromkeys(runtime_reasons(records, function, forward)
                                 + static_reasons(static)))
    if not reasons:
        return None
    return ("not_derived", f"{short_name(function)} looks evaluated, not derived: "
            + "; ".join(reasons[:6]) + ". Credit goes to a gradient derived by hand; "
            "finite differences, complex steps, dual numbers and autodiff are for checking "
            "one. " + CANNOT_TELL)
