"""What is compared: one graded function of one author, with the helpers it calls.

An author is a student (their submission, read by the grader's own safe reader and parsed,
never run), the reference solution, the released skeleton, or a file students can reach
(the student package ``lib/backproplab`` and everything under ``release/``). A unit is the
author's *last* top-level definition of the name (as the kernel would keep it) plus, up to
``HELPER_DEPTH`` calls deep, the top-level functions of the same code that it calls by name
and that are not given code (a copier takes ``im2col`` along with ``conv_forward``).
"""
import ast
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

import solutions

from ..round.grading import read_submission
from ..round.submission import NOTEBOOK_MAX_BYTES, NotReadable, parse_json, read_regular_file, source_text
from .fingerprint import Fingerprint, fingerprint

ROOT = Path(__file__).resolve().parent.parent.parent
CELL_MAX_CHARS = 200_000   # a longer cell is not parsed (no answer is that long)
HELPER_DEPTH = 2
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
DEFINES = re.compile(r"\b(?:def|class|import)\b")
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
class Code:
    """The top-level definitions of a body of code: {name: (node, text it was parsed from)}
    (the last definition wins), its import aliases, and what could not be parsed."""

    definitions: dict = field(default_factory=dict)
    modules: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    given: set = field(default_factory=set)        # texts of given cells and definitions ...
    given_names: set = field(default_factory=set)  # ... and the names defined as given
    fingerprints: dict = field(default_factory=dict, repr=False)

    def fingerprint(self, name):
        """The Fingerprint of definition ``name``, made once (normalising alters the tree)."""
        if name not in self.fingerprints:
            self.fingerprints[name] = fingerprint(self.definitions[name][0], self.modules)
        return self.fingerprints[name]


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
    for node in module_level(tree.body):
        if isinstance(node, DEFINITIONS):
            define(code, node.name, (node, text), definition_text(node, text) in code.given)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) \
                and node.value.id in code.definitions:  # softmax_loss = my_softmax
            for target in node.targets:
                if isinstance(target, ast.Name):
                    define(code, target.id, code.definitions[node.value.id],
                           node.value.id in code.given_names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.asname and isinstance(node, ast.Import):
                    code.modules[alias.asname] = alias.name.split(".")[0]


def define(code, name, definition, given):
    code.definitions[name] = definition
    code.fingerprints.pop(name, None)
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


def definition_text(node, text):
    """The lines of ``text`` that define ``node`` (decorators included)."""
    return "\n".join(text.splitlines()[first_line(node) - 1:node.end_lineno])


def called_helpers(node, code, exclude):
    """Names of the top-level functions of ``code`` that ``node`` calls, not in ``exclude``."""
    called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Name)}
    return sorted(n for n in called if n in code.definitions and n not in exclude
                  and n not in code.given_names)


def unit_of(name, code, author, exclude=()):
    """The Unit of ``name`` in ``code`` (None when it is not defined there). Raises
    RecursionError or MemoryError on hostile trees."""
    if name not in code.definitions:
        return None
    pieces, seen, frontier = [name], {name, *exclude}, [name]
    for _ in range(HELPER_DEPTH):
        found = []
        for piece in frontier:
            for helper in called_helpers(code.definitions[piece][0], code, seen):
                seen.add(helper)
                found.append(helper)
        pieces += found
        frontier = found
    text, whole = [], Fingerprint()
    for piece in pieces:
        node, source = code.definitions[piece]
        lines = definition_text(node, source).splitlines()
        part = code.fingerprint(piece)
        shift = len(text) - first_line(node) + 1
        whole.merge(Fingerprint({h: [(a + shift, b + shift) for a, b in spans]
                                 for h, spans in part.hashes.items()}, part.size))
        text += lines + [""]
    return Unit(name, author, "\n".join(text).rstrip() + "\n", whole)


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
    return cells | {definition_text(node, text) for node, text in code.definitions.values()}


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
