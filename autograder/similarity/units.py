"""What is compared: one graded function of one author, with the helpers it reaches.

An author is a student (their submission, read by the grader's own safe reader and parsed,
never run), the reference solution, the released skeleton, or a file students can reach
(the student package ``lib/backproplab`` and everything under ``release/``). A unit is the
author's *last* top-level definition of the name (as the kernel would keep it) plus every
definition of the same code it reaches, at any depth, that is neither given code nor another
graded name: a copier takes ``im2col`` along with ``conv_forward``, and hiding a copied body
behind wrappers pulls it in all the same. A definition is reached when the code names it
(a call, an argument, an assignment: any read of a name it does not bind itself), or names it
as an attribute (``obj.helper(...)`` where ``helper`` is a top-level function, or a method of
a class the author defined; ``self.m`` within a class means that class's ``m``). Attributes of
modules (``np.dot``) reach nothing. Module-level ``name = lambda ...:`` is a definition too.

A definition that only delegates (after its docstring, one ``return`` or expression that
calls or names another definition of the unit, with plain names or constants as arguments)
is shown but not fingerprinted: ``f -> w1 -> w2 -> w3 -> body`` is compared as ``body``.

A unit holds at most ``UNIT_MAX_SIZE`` normalised nodes and ``UNIT_MAX_PIECES`` definitions
(taken breadth first, so the nearest helpers come first; a helper too big for what is left
is passed over, not the end of the walk); past either, the author is listed as not fully
compared. A file of ten thousand wrappers, or a cycle of helpers, costs a bounded walk.
"""
import ast
import importlib.util
import re
from collections import deque
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path

import solutions

from ..round.grading import read_submission
from ..round.submission import (
    NOTEBOOK_MAX_BYTES,
    NotReadable,
    parse_json,
    read_regular_file,
    source_text,
)
from .fingerprint import MODULES, Fingerprint, fingerprint

ROOT = Path(__file__).resolve().parent.parent.parent
CELL_MAX_CHARS = 200_000   # a longer cell is not parsed (no answer is that long)
UNIT_MAX_SIZE = 6_000      # normalised nodes of a function with its helpers (a naive conv: 200)
UNIT_MAX_PIECES = 150      # definitions in one unit
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
DEFINES = re.compile(r"\b(?:def|class|import|lambda)\b")
WORD = re.compile(r"[^\W\d]\w*")
BLOCKS = (ast.If, ast.Try, getattr(ast, "TryStar", ast.Try), ast.With, ast.For, ast.While)


@dataclass
class Unit:
    """One author's ``name``: the code shown (function and helpers, as written), its
    Fingerprint (lines counted in ``code``), and the normalised size in nodes."""

    name: str
    author: str
    code: str
    fingerprint: Fingerprint = field(repr=False)

    @property
    def size(self):
        return self.fingerprint.size


@dataclass
class Piece:
    """What one definition contributes: its Fingerprint, the names and attribute names it
    reads (``own``: attributes of its ``self``), and, for a definition that only delegates,
    the names and attributes of the chain it forwards to (else None)."""

    fingerprint: Fingerprint
    names: list
    attributes: list
    own: list
    forwards: tuple = None

    @property
    def size(self):
        return self.fingerprint.size


@dataclass
class Code:
    """The top-level definitions of a body of code: {name: (node, lines of the text it was
    parsed from)} (the last definition wins), its imports, and what could not be parsed."""

    definitions: dict = field(default_factory=dict)
    modules: dict = field(default_factory=dict)    # import aliases: {"npy": "numpy"}
    imported: set = field(default_factory=set)     # every name an import binds
    problems: list = field(default_factory=list)
    given: set = field(default_factory=set)        # texts of given cells and definitions ...
    given_names: set = field(default_factory=set)  # ... and the names defined as given
    pieces: dict = field(default_factory=dict, repr=False)   # {node: Piece or None}
    method_index: dict = field(default=None, repr=False)

    def piece(self, node, lines, within=None):
        """The Piece of a top-level definition (``within`` None) or of a method of class
        ``within`` (``lines``: of the text it was parsed from), made once. Normalising
        alters the tree: a class and a method are normalised as copies, so that a method
        is the same piece whether its class was read first or not. None for a tree too
        deep to walk."""
        if node not in self.pieces:
            self.pieces[node] = None
            words = set(WORD.findall(definition_text(node, lines))) - {node.name}
            reaches = not words.isdisjoint(self.definitions) \
                or not words.isdisjoint(self.methods())
            copied = within is not None or isinstance(node, ast.ClassDef)
            self.pieces[node] = analysed(deepcopy(node) if copied else node, self, reaches,
                                         method=within is not None)
        return self.pieces[node]

    def fingerprint(self, name):
        """The Fingerprint of definition ``name`` alone."""
        return self.piece(*self.definitions[name]).fingerprint

    def methods(self):
        """{method name: [(class name, node)]} of the classes defined here, not given."""
        if self.method_index is None:
            self.method_index = {}
            for name, (node, _) in self.definitions.items():
                if isinstance(node, ast.ClassDef) and name == node.name \
                        and name not in self.given_names:
                    for method in node.body:
                        if isinstance(method, FUNCTIONS):
                            self.method_index.setdefault(method.name, []).append((name, method))
        return self.method_index


def parse_into(code, text, where):
    """Add the definitions and imports of ``text`` to ``code``; a text that can't be parsed
    is noted in ``code.problems``, never raised."""
    if len(text) > CELL_MAX_CHARS:
        code.problems.append(f"{where}: {len(text):,} characters, not parsed")
        return
    if not DEFINES.search(text):
        return  # nothing to compare here (a call, a plot): no need to parse
    try:
        tree = ast.parse(text)
    except PARSE_ERRORS as err:
        code.problems.append(f"{where}: can't be parsed ({type(err).__name__})")
        return
    lines = text.splitlines()
    for node in module_level(tree.body):
        if isinstance(node, DEFINITIONS):
            define(code, node.name, (node, lines), definition_text(node, lines) in code.given)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) \
                and node.value.id in code.definitions:  # softmax_loss = my_softmax
            for target in node.targets:
                if isinstance(target, ast.Name):
                    define(code, target.id, code.definitions[node.value.id],
                           node.value.id in code.given_names)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            for target in node.targets:   # helper = lambda x: ...: a definition
                if isinstance(target, ast.Name):
                    define(code, target.id, (as_function(target.id, node), lines),
                           definition_text(node, lines) in code.given)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = (alias.asname or alias.name).split(".")[0]
                code.imported.add(bound)
                if alias.asname and isinstance(node, ast.Import):
                    code.modules[alias.asname] = alias.name.split(".")[0]


def as_function(name, assign):
    """``name = lambda args: body`` as the ``def name(args): return body`` it means."""
    value = assign.value
    fields = {"name": name, "args": value.args, "decorator_list": [], "returns": None,
              "body": [ast.copy_location(ast.Return(value.body), value.body)]}
    if "type_params" in ast.FunctionDef._fields:
        fields["type_params"] = []
    node = ast.FunctionDef(**fields)
    return ast.copy_location(node, assign)


def define(code, name, definition, given):
    code.definitions[name] = definition
    code.method_index = None
    (code.given_names.add if given else code.given_names.discard)(name)


def module_level(body):
    """The statements run at module level: ``body`` and the blocks of its ``if``, ``try``,
    ``with`` and loops (a definition inside ``if True:`` is still defined), in order."""
    for node in body:
        yield node
        if isinstance(node, BLOCKS):
            for name in ("body", "orelse", "finalbody"):
                yield from module_level(getattr(node, name, []))
            for handler in getattr(node, "handlers", []):
                yield from module_level(handler.body)


def definition_text(node, lines):
    """The lines (of the text split in ``lines``) that define ``node``, decorators included."""
    return "\n".join(lines[first_line(node) - 1:node.end_lineno])


# ------------------------------------------------------------------------ what code reaches

def analysed(node, code, reaches=True, method=False):
    """The Piece of ``node`` (normalised in place first: dead code reaches nothing); with
    ``reaches`` False (its text names no definition of ``code``) it reads nothing;
    ``method``: ``node`` is a method (its first argument is the instance)."""
    try:
        found = fingerprint(node, code.modules)
    except (RecursionError, MemoryError):
        return None
    modules = set(MODULES) | code.imported
    names, attributes, own = {}, {}, {}
    if not reaches:
        pass
    elif isinstance(node, ast.ClassDef):
        methods = [s for s in node.body if isinstance(s, FUNCTIONS)]
        rest = node.bases + node.keywords + node.decorator_list + \
            [s for s in node.body if not isinstance(s, FUNCTIONS)]
        read(rest, None, modules, names, attributes, own)
        for scope in methods:
            read(scope.decorator_list + [scope.args, *scope.body], scope.args, modules,
                 names, attributes, own)
    else:
        read(node.decorator_list + [node.args, *node.body], node.args, modules, names,
             attributes, own)
    return Piece(found, list(names), list(attributes), list(own), forwarded(node, method))


def read(roots, arguments, modules, names, attributes, own):
    """Add to the (ordered) dicts what the trees ``roots`` of one scope read: the names the
    scope does not bind, the attribute names not of a module, and those of its first
    argument (``self`` of a method) apart. Nested scopes are read as part of this one."""
    bound, loaded, declared = set(), [], set()
    positional = (arguments.posonlyargs + arguments.args) if arguments else []
    me = positional[0].arg if positional else None
    for root in roots:
        for sub in ast.walk(root):
            if isinstance(sub, ast.Name):
                if isinstance(sub.ctx, ast.Load):
                    loaded.append(sub.id)
                else:
                    bound.add(sub.id)
            elif isinstance(sub, ast.arg):
                bound.add(sub.arg)
            elif isinstance(sub, DEFINITIONS):
                bound.add(sub.name)
            elif isinstance(sub, ast.alias):
                bound.add((sub.asname or sub.name).split(".")[0])
            elif isinstance(sub, (ast.Global, ast.Nonlocal)):
                declared.update(sub.names)
            elif isinstance(sub, ast.Attribute):
                base = sub.value.id if isinstance(sub.value, ast.Name) else None
                if base is not None and base == me:
                    own.setdefault(sub.attr)
                elif base not in modules:
                    attributes.setdefault(sub.attr)
    for name in loaded:
        if name not in bound or name in declared:
            names.setdefault(name)


SIMPLE = (ast.Name, ast.Constant)


def forwarded(node, method=False):
    """For a function that only delegates: (names, attributes) read by the chain it forwards
    to, else None. Its normalised body is one ``return`` or expression of a call chain
    (``return w1(x, w, b)``, ``return Impl().run(*args)``, ``return w1``, in a method
    ``return self.run(a)``) with plain names or constants as arguments, after at most a few
    aliases (``f = w1``, ``g = obj.run``). A function that calls one of its own arguments
    so (``def apply(f, *a): return f(*a)``) forwards to whatever it is given:
    (TRAMPOLINE, ())."""
    if not isinstance(node, FUNCTIONS) or not node.body \
            or not isinstance(node.body[-1], (ast.Return, ast.Expr)) \
            or node.body[-1].value is None:
        return None
    aliases = {}
    for stmt in node.body[:-1]:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, (ast.Name, ast.Attribute))):
            return None
        aliases[stmt.targets[0].id] = stmt.value
    positional = node.args.posonlyargs + node.args.args
    arguments = {a.arg for a in positional + node.args.kwonlyargs}
    me = positional[0].arg if method and positional else None
    value, attributes, called = node.body[-1].value, set(), False
    for _ in range(len(aliases) + 64):   # a chain of this length is a chain, not an answer
        if isinstance(value, ast.Name) and value.id in aliases:
            value = aliases.pop(value.id)
        elif isinstance(value, ast.Name):
            if value.id == me and attributes:
                return frozenset(), frozenset(attributes)
            if value.id in arguments:
                return (TRAMPOLINE, ()) if called and not attributes else None
            return frozenset([value.id]), frozenset(attributes)
        elif isinstance(value, ast.Call):
            given = [a.value if isinstance(a, ast.Starred) else a for a in value.args]
            if not all(isinstance(a, SIMPLE) for a in given + [k.value for k in value.keywords]):
                return None
            value, called = value.func, True
        elif isinstance(value, ast.Attribute):
            attributes.add(value.attr)
            value = value.value
        else:
            return None
    return None


TRAMPOLINE = "<an argument>"


def class_of(key):
    return key[0] if isinstance(key, tuple) else None


class Reach:
    """Resolves what a piece reads to the definitions of ``code`` it reaches: keys are a
    top-level name or (class, method)."""

    def __init__(self, code, exclude):
        self.code = code
        self.skip = set(exclude) | code.given_names

    def names(self, names):
        return [n for n in names if n in self.code.definitions and n not in self.skip]

    def attributes(self, attributes):
        found = []
        for attr in attributes:
            if attr in self.code.definitions and attr not in self.skip \
                    and isinstance(self.code.definitions[attr][0], FUNCTIONS):
                found.append(attr)
            found += [(cls, attr) for cls, _ in self.code.methods().get(attr, ())
                      if cls not in self.skip]
        return found

    def own(self, key, own):
        """``self.m`` in class C or a method of C: C's ``m`` when C defines it (already in
        the piece of a whole class), else any ``m`` (one C inherits from another class)."""
        cls = class_of(key) or key
        node = self.code.definitions.get(cls, (None,))[0]
        mine = set(method_names(node)) if isinstance(node, ast.ClassDef) else set()
        found = []
        for attr in own:
            if attr not in mine:
                found += self.attributes([attr])
            elif isinstance(key, tuple):
                found.append((cls, attr))
        return found

    def of(self, key, piece):
        """Every key ``piece`` (defined at ``key``) reaches, in order of first reading."""
        node = self.node(key)
        within_class = isinstance(node, ast.ClassDef) or isinstance(key, tuple)
        found = self.names(piece.names) + self.attributes(piece.attributes)
        if within_class:
            found += self.own(key, piece.own)
        else:
            found += self.attributes(piece.own)
        return list(dict.fromkeys(found))

    def delegates(self, key, piece, included):
        """Whether ``piece`` only forwards to another definition of ``included`` (or to the
        function it is given)."""
        if not piece.forwards:
            return False
        names, attributes = piece.forwards
        if names == TRAMPOLINE:
            return True
        return bool((set(self.names(names)) | set(self.attributes(attributes)))
                    & (included - {key}))

    def node(self, key):
        if isinstance(key, tuple):
            return next(m for c, m in self.code.methods().get(key[1], ()) if c == key[0])
        return self.code.definitions[key][0]

    def lines(self, key):
        return self.code.definitions[class_of(key) or key][1]


def unit_of(name, code, author, exclude=()):
    """The Unit of ``name`` in ``code`` (None when it is not defined there): the definition
    and everything it reaches, breadth first, within UNIT_MAX_SIZE / UNIT_MAX_PIECES (past
    them, noted in ``code.problems``). A class reached as a helper counts by its methods (a
    method that only delegates adds nothing); the graded name itself counts whole. Raises
    RecursionError on a tree too deep to walk."""
    if name not in code.definitions:
        return None
    reach = Reach(code, set(exclude) - {name})
    reach.skip.discard(name)
    if code.piece(*code.definitions[name]) is None:
        raise RecursionError(name)
    queue, queued, taken, size, left = deque([name]), {name}, [], 0, set()
    while queue and len(taken) < UNIT_MAX_PIECES:
        key = queue.popleft()
        node = reach.node(key)
        piece = code.piece(node, reach.lines(key), within=class_of(key))
        if piece is None:
            left.add("a helper nested too deeply to compare")
            continue
        if taken and size + piece.size > UNIT_MAX_SIZE:   # the smaller ones may still fit
            left.add(f"helpers past {UNIT_MAX_SIZE:,} nodes not compared")
            continue
        taken.append((key, piece))
        size += piece.size
        found = reach.of(key, piece)
        if isinstance(node, ast.ClassDef) and key != name:   # a helper class: its methods
            found = [(key, m) for m in method_names(node)] + found
        for other in found:
            if other not in queued:
                queued.add(other)
                queue.append(other)
    if queue:
        left.add(f"helpers past {UNIT_MAX_PIECES} definitions not compared")
    code.problems += [f"{name}: {why}" for why in sorted(left)]
    return assembled(name, author, reach, taken)


def assembled(name, author, reach, taken):
    """The Unit of the ``taken`` (key, Piece): each definition's text once, the fingerprints
    of all but helper classes (their methods count) and functions that only delegate to
    another of the unit."""
    included = {key for key, _ in taken}
    text, whole, shifts = [], Fingerprint(), {}
    for key, piece in taken:
        node = reach.node(key)
        cls = class_of(key)
        if cls in shifts:                   # shown within its class already
            shift = shifts[cls]
        else:
            shift = shifts[key] = len(text) - first_line(node) + 1
            text += definition_text(node, reach.lines(key)).splitlines() + [""]
        if isinstance(node, ast.ClassDef) and key != name:
            continue
        if reach.delegates(key, piece, included):
            continue
        whole.merge(Fingerprint({h: [(a + shift, b + shift) for a, b in spans]
                                 for h, spans in piece.fingerprint.hashes.items()},
                                piece.size))
    return Unit(name, author, "\n".join(text).rstrip() + "\n", whole)


def method_names(node):
    return [m.name for m in node.body if isinstance(m, FUNCTIONS)]


def first_line(node):
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def units_of(names, code, author, exclude=()):
    """{name: Unit} for the ``names`` defined in ``code``; a tree too deep to walk is noted
    in ``code.problems``."""
    units = {}
    for name in names:
        try:
            unit = unit_of(name, code, author, exclude)
        except (RecursionError, MemoryError):
            code.problems.append(f"{name}: nested too deeply to compare")
            continue
        if unit is not None:
            units[name] = unit
    return units


# ---------------------------------------------------------------------------- the authors

def notebook_cells(path):
    """The code cells' sources of a notebook we trust (release/), read with the same caps."""
    nb = parse_json(read_regular_file(path, NOTEBOOK_MAX_BYTES), path.name)
    return [source_text(c) for c in nb.get("cells", []) if c.get("cell_type") == "code"]


def given_code(course, assignment):
    """The text of every code cell and every definition in the released notebooks of
    ``assignment``: given code a student's notebook carries, never parsed again nor taken
    as the student's helper."""
    code, cells = Code(), set()
    for path in sorted((Path(course) / "release" / assignment).glob("*.ipynb")):
        for i, text in enumerate(notebook_cells(path)):
            parse_into(code, text, f"{path.name} cell {i + 1}")
            cells.add(text)
    return cells | {definition_text(node, lines) for node, lines in code.definitions.values()}


def student_code(course, assignment, student, given):
    """The student's Code from the cells the grader would run, and whether any notebook was
    readable (the reasons why not in ``problems``)."""
    submission = read_submission(course, assignment, student)
    code = Code(given=given)
    for index, text in submission.cells:
        if text not in given:
            parse_into(code, text, f"code cell {index + 1}")
    code.problems[:0] = [f.message for f in submission.flags if f.severity == "error"]
    return code, bool(submission.readable)


def reference_code():
    """Code of the reference library: every solutions/*.py, helpers with their functions."""
    folder = Path(solutions.__file__).parent
    codes = []
    for path in sorted(folder.glob("*.py")):
        code = Code()
        parse_into(code, path.read_text(encoding="utf-8"), path.name)
        codes.append(code)
    return codes


def skeleton_code(course, assignment):
    """Code of the released answer cells of ``assignment`` (what every student starts from)."""
    graded = set(solutions.ASSIGNMENTS[assignment])
    code = Code()
    for path in sorted((Path(course) / "release" / assignment).glob("*.ipynb")):
        nb = parse_json(read_regular_file(path), path.name)
        for cell in nb.get("cells", []):
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid in graded and cell.get("cell_type") == "code":
                parse_into(code, source_text(cell), f"{path.name} {gid}")
    return code


def package_folder():
    """lib/backproplab of this repository, else the installed package's folder (not imported)."""
    local = ROOT / "lib" / "backproplab"
    if local.is_dir():
        return local
    spec = importlib.util.find_spec("backproplab")
    return Path(spec.origin).parent if spec and spec.origin else None


def label(path, course):
    for base in (Path(course), ROOT):
        try:
            return str(Path(path).resolve().relative_to(Path(base).resolve()))
        except ValueError:
            continue
    return f"backproplab/{Path(path).name}"


def reachable_files(course):
    """(label, [texts]) of every file students can reach: the package, every release."""
    files = []
    package = package_folder()
    for path in sorted(package.glob("*.py")) if package else []:
        files.append((label(path, course), [path.read_text(encoding="utf-8")]))
    release = Path(course) / "release"
    for path in sorted(release.rglob("*.py")):
        files.append((label(path, course), [path.read_text(encoding="utf-8")]))
    for path in sorted(release.rglob("*.ipynb")):
        try:
            files.append((label(path, course), notebook_cells(path)))
        except (NotReadable, ValueError, OSError):
            continue
    return files


def reachable_units(course):
    """Every top-level function and class students can reach, as Units whose author is
    ``PATH:NAME``."""
    units = []
    for where, texts in reachable_files(course):
        code = Code()
        for i, text in enumerate(texts):
            parse_into(code, text, f"{where} {i}")
        names = sorted(code.definitions)
        for name, unit in units_of(names, code, where).items():
            unit.author = f"{where}:{name}"
            units.append(unit)
    return units
