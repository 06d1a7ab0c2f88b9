"""Fingerprints of a function that survive what a copier changes.

A function (or a class: its methods) is normalised, then every subtree of its syntax tree
of at least ``MIN_SUBTREE`` nodes is hashed. What the normalisation forgets:
- names: every name the code binds or receives (variables, arguments, helpers, the function's
  own name) becomes one placeholder; builtins and modules keep theirs (``np`` as ``numpy``);
- layout, comments and docstrings (the tree has none of them);
- order: the statements of a block are hashed as a multiset, so reordering independent
  statements changes nothing; the operands of ``+ * & | ^ == != and or`` are sorted, and
  ``a > b`` is ``b < a``;
- spelling: ``a += b`` is ``a = a + b``; ``2`` is ``2.0``; arithmetic on constants is folded;
  strings are one placeholder;
- dead code, where that is sound: ``pass``, expressions that are a constant or a bare name,
  ``if False:``/``while False:`` (and ``if True:`` is its body), statements after a
  ``return``/``raise``/``break``/``continue``, and assignments to a name nothing reads.

Fingerprints are 64-bit hashes of tuples, so they are only comparable within one process.
"""
import ast
import builtins
import copy
import math
from dataclasses import dataclass, field

MIN_SUBTREE = 5    # nodes: `x.shape[0]` (4) says nothing of who wrote it
MODULES = {"np": "numpy", "numpy": "numpy", "math": "math", "scipy": "scipy",
           "xrange": "range"}   # a Python-2 shim's name is its builtin's
BUILTINS = frozenset(dir(builtins))
COMMUTATIVE = (ast.Add, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor)
MIRRORED = {ast.Gt: ast.Lt, ast.GtE: ast.LtE}
SYMMETRIC = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)
SKIPPED_FIELDS = {"ctx", "type_comment", "type_params", "decorator_list", "returns",
                  "annotation", "kind"}
NAMED_FIELDS = {"attr", "arg"}     # API words a copier keeps: x.shape, sum(axis=0)


@dataclass
class Fingerprint:
    """``hashes``: {hash: [(first line, last line), ...]} of the subtrees (lines of the
    source the tree was parsed from); ``size``: nodes of the normalised tree."""

    hashes: dict = field(default_factory=dict)
    size: int = 0

    def merge(self, other):
        for digest, spans in other.hashes.items():
            self.hashes.setdefault(digest, []).extend(spans)
        self.size += other.size


# ------------------------------------------------------------------------- normalisation

def is_constant(node):
    return isinstance(node, ast.Constant)


def truth(node):
    """True or False for a constant test (``if 0:``), None when it depends on the run."""
    if is_constant(node):
        try:
            return bool(node.value)
        except Exception:  # a constant whose truth raises: leave it alone
            return None
    return None


FOLDABLE = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


def number(node):
    """The value of a numeric constant small enough to fold exactly, else None."""
    if not is_constant(node) or isinstance(node.value, bool):
        return None
    value = node.value
    return value if isinstance(value, float) or isinstance(value, int) and abs(value) < 2**53 \
        else None


def fold(node):
    """``1 / 2`` -> ``0.5``, ``-1e-5`` -> a constant: numbers only, nothing that can grow."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and number(node.operand) is not None:
        return ast.copy_location(ast.Constant(-node.operand.value), node)
    if isinstance(node, ast.BinOp) and type(node.op) in FOLDABLE:
        a, b = number(node.left), number(node.right)
        if a is None or b is None:
            return node
        try:
            value = FOLDABLE[type(node.op)](a, b)
        except (ArithmeticError, ValueError):
            return node
        if math.isfinite(value):
            return ast.copy_location(ast.Constant(value), node)
    return node


class Normaliser(ast.NodeTransformer):
    """Rewrites one function's tree in place (work on a copy)."""

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        load = copy.deepcopy(node.target)
        for sub in ast.walk(load):
            if hasattr(sub, "ctx"):
                sub.ctx = ast.Load()
        return ast.copy_location(ast.Assign([node.target], ast.BinOp(load, node.op, node.value)),
                                 node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return fold(node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        return fold(node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and type(node.ops[0]) in MIRRORED:
            return ast.copy_location(ast.Compare(node.comparators[0],
                                                 [MIRRORED[type(node.ops[0])]()], [node.left]),
                                     node)
        return node

    def visit_FunctionDef(self, node):
        node.body = without_docstring(node.body) or [ast.Pass()]
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_If(self, node):
        self.generic_visit(node)
        known = truth(node.test)
        if known is None:
            return node
        return (node.body if known else node.orelse) or None

    def visit_While(self, node):
        self.generic_visit(node)
        return None if truth(node.test) is False and not node.orelse else node

    def generic_visit(self, node):
        super().generic_visit(node)
        if isinstance(node, HAS_BLOCKS):
            for name, block in blocks_of(node):
                setattr(node, name, live_statements(block) or [ast.Pass()])
        return node


HAS_BLOCKS = (ast.stmt, ast.excepthandler)


def blocks_of(node):
    """(field, statements) of each non-empty block of ``node``."""
    return [(name, block) for name in ("body", "orelse", "finalbody")
            if isinstance(block := getattr(node, name, None), list) and block
            and isinstance(block[0], ast.stmt)]


def live_statements(block):
    """The block without ``pass``, constant or bare-name expressions, and what follows a jump."""
    kept = []
    for stmt in block:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Constant, ast.Name,
                                                                    ast.Attribute)):
            continue
        kept.append(stmt)
        if isinstance(stmt, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
            break
    return kept


def stored_names(target):
    """The names an assignment target binds, or None if it stores anywhere else."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        names = []
        for element in target.elts:
            inner = stored_names(element.value if isinstance(element, ast.Starred) else element)
            if inner is None:
                return None
            names += inner
        return names
    return None


def drop_dead_assignments(tree):
    """Remove assignments to names nothing in ``tree`` reads, until none is left (``a = 1;
    b = a``, with ``b`` unread, goes whole). Names shared with ``global``/``nonlocal`` are
    kept. One walk per round: rounds are as many as the longest dead chain, plus one.
    Returns every name the remaining code binds."""
    while True:
        read, bound, holders = set(), set(), []
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, ast.alias):
                bound.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                read.update(node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            if isinstance(node, HAS_BLOCKS):
                holders.append(node)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    bound.add(node.name)
        removed = False
        for node in holders:
            for name, block in blocks_of(node):
                kept = [s for s in block if not dead_assignment(s, read)]
                if len(kept) != len(block):
                    removed = True
                    setattr(node, name, kept or [ast.Pass()])
        if not removed:
            return bound


def dead_assignment(stmt, read):
    if isinstance(stmt, ast.Assign):
        targets = [stored_names(t) for t in stmt.targets]
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets = [stored_names(stmt.target)]
    else:
        return False
    return all(t is not None for t in targets) and not any(n in read for t in targets for n in t)


def without_docstring(body):
    if body and isinstance(body[0], ast.Expr) and is_constant(body[0].value) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def normalise(node):
    """Normalise a FunctionDef or ClassDef in place (docstrings and dead code gone); returns
    the names it binds. A class is one scope here: an assignment no method reads is dead."""
    return drop_dead_assignments(Normaliser().visit(node))


# ------------------------------------------------------------------------------- hashing

class Hasher:
    """Hashes every subtree of a normalised tree, keeping those of ``MIN_SUBTREE`` nodes or
    more in a Fingerprint."""

    def __init__(self, bound, modules=None):
        self.modules = {**MODULES, **(modules or {})}
        self.bound = bound - set(self.modules)
        self.found = Fingerprint()

    def name(self, identifier):
        if identifier in self.modules:
            return self.modules[identifier]
        if identifier in BUILTINS and identifier not in self.bound:
            return identifier
        return "V"

    def constant(self, value):
        if isinstance(value, bool) or value is None or value is Ellipsis:
            return repr(value)
        if isinstance(value, (int, float)):
            try:
                return float(value)
            except OverflowError:
                return "inf"
        return type(value).__name__

    def label(self, node):
        if isinstance(node, ast.Name):
            return ("Name", self.name(node.id))
        if isinstance(node, ast.Constant):
            return ("Constant", self.constant(node.value))
        if isinstance(node, ast.arg):
            return ("arg",)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return (type(node).__name__, getattr(node, "module", None),
                    tuple(sorted(a.name for a in node.names)))
        extra = tuple(getattr(node, f, None) for f in NAMED_FIELDS if isinstance(
            getattr(node, f, None), str))
        return (type(node).__name__, *extra)

    def children(self, node):
        """(hash, size) of each child; blocks as multisets, commutative operands sorted."""
        parts = []
        for name, value in ast.iter_fields(node):
            if name in SKIPPED_FIELDS or name in NAMED_FIELDS:
                continue
            if isinstance(value, ast.AST):
                if isinstance(value, (ast.operator, ast.boolop, ast.cmpop, ast.unaryop)):
                    parts.append((hash(type(value).__name__), 0))
                else:
                    parts.append(self.digest(value))
            elif isinstance(value, list) and value and isinstance(value[0], ast.AST):
                items = [self.digest(v) for v in value if isinstance(v, ast.AST)]
                if isinstance(value[0], (ast.stmt, ast.excepthandler)):
                    items.sort()
                    parts.append(self.keep((hash(("block", *(h for h, _ in items))),
                                            sum(s for _, s in items)), value))
                else:
                    parts.append((hash((name, *(h for h, _ in items))),
                                  sum(s for _, s in items)))
        return parts

    def operands(self, node, op):
        """The flattened operands of a chain of one commutative operator, sorted."""
        if isinstance(node, ast.BinOp) and type(node.op) is op:
            return self.operands(node.left, op) + self.operands(node.right, op)
        return [self.digest(node)]

    def digest(self, node):
        if isinstance(node, ast.BinOp) and isinstance(node.op, COMMUTATIVE):
            parts = sorted(self.operands(node, type(node.op)))
            label = ("BinOp", type(node.op).__name__)
        elif isinstance(node, ast.BoolOp):
            parts = sorted(self.digest(v) for v in node.values)
            label = ("BoolOp", type(node.op).__name__)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 \
                and isinstance(node.ops[0], SYMMETRIC):
            parts = sorted([self.digest(node.left), self.digest(node.comparators[0])])
            label = ("Compare", type(node.ops[0]).__name__)
        else:
            parts = self.children(node)
            label = self.label(node)
        found = (hash((label, *(h for h, _ in parts))), 1 + sum(s for _, s in parts))
        return self.keep(found, [node])

    def keep(self, found, nodes):
        digest, size = found
        first = getattr(nodes[0], "lineno", None)
        last = getattr(nodes[-1], "end_lineno", None)
        if size >= MIN_SUBTREE and first is not None:
            self.found.hashes.setdefault(digest, []).append((first, last or first))
        return found


def fingerprint(node, modules=None):
    """The Fingerprint of a FunctionDef or ClassDef, normalised first (in place: parse
    again to see the original). ``modules`` maps import aliases to module names
    (``{"npy": "numpy"}``). Raises RecursionError on trees too deep to walk (the caller
    lists the submission as unreadable)."""
    hasher = Hasher(normalise(node), modules)
    tree, body = node, node.body
    if isinstance(tree, (ast.FunctionDef, ast.AsyncFunctionDef)):
        # the signature counts (its defaults are choices), the name does not
        digests = [hasher.digest(tree.args)] + [hasher.digest(s) for s in body]
    else:
        digests = [hasher.digest(s) for s in body]
    hasher.found.size = sum(s for _, s in digests)
    return hasher.found
