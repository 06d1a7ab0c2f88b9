"""The graded name is the address (DESIGN.md, "Layout"): for every graded function F of
assignment A (stem: F without _forward/_backward; hw1's six operations share
``operations``), everything the grader knows about F is in
``autograder/assignments/A/<stem>.py``, which names F literally and imports no sibling, and
everything that proves it is in ``tests/assignments/A/test_<stem>.py``."""
import ast

import pytest
from support import ROOT

import solutions
from autograder.judging import registry

OPERATIONS = {"Add", "Multiply", "Divide", "Exp", "Log", "Sin"}
GRADED = [(a, name) for a, names in solutions.ASSIGNMENTS.items() for name in names]


def stem(name):
    return "operations" if name in OPERATIONS else registry.stem_of(name)


def module_path(assignment, name):
    return ROOT / "autograder" / "assignments" / assignment / f"{stem(name)}.py"


def imported_modules(path):
    """The absolute names of the modules ``path`` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names += [module] if node.module else [f"{module}.{a.name}" for a in node.names]
    return names


@pytest.mark.parametrize("assignment, name", GRADED)
def test_the_grader_knows_a_function_in_the_module_named_by_it(assignment, name):
    path = module_path(assignment, name)
    assert path.is_file(), f"{name}: no {path.relative_to(ROOT)}"
    assert name in path.read_text(), f"{path.relative_to(ROOT)} does not name {name}"
    assert registry.module_of(name).__file__ == str(path)


@pytest.mark.parametrize("assignment, name", GRADED)
def test_a_functions_tests_are_in_the_test_module_named_by_it(assignment, name):
    path = ROOT / "tests" / "assignments" / assignment / f"test_{stem(name)}.py"
    assert path.is_file(), f"{name}: no {path.relative_to(ROOT)}"


@pytest.mark.parametrize("path", sorted((ROOT / "autograder" / "assignments").glob("*/*.py")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_module_of_an_assignment_imports_only_the_judging_modules_and_the_probes(path):
    allowed = ("autograder.judging", "autograder.sandbox.probes", "autograder.sandbox.runner",
               "solutions", "numpy", "functools", "itertools", "zlib", "types", "dataclasses")
    wrong = [m for m in imported_modules(path)
             if not (m in allowed or m.startswith(tuple(a + "." for a in allowed))
                     or m in ("autograder.sandbox",))]
    assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"
