"""Where the grader finds a graded function's checks: the module named by its stem.

For a graded function ``F`` of assignment ``A`` (stem: ``F`` without ``_forward``/``_backward``;
hw1's six operations share ``operations``), everything the grader knows about ``F`` is in
``autograder/assignments/A/<stem>.py``, which declares:

- ``CHECKS``: {graded name: check(judge) -> [Check]};
- ``NOTEBOOK_CHECKS``: {graded name: check(namespace)}, the in-notebook hidden test
  (``autograder/course/notebook_tests.py``);
- ``KINDS`` (optional): the diagnosis kinds only its checks give (see kinds.py).

Loading fails loudly: an assignment whose modules can't be imported, that has a graded name
without a check or a check for a name it does not grade, stops the run with the error
(``RegistryError``) before anyone is graded, never a silent 0.
"""
import importlib
import pkgutil
import sys
from functools import cache

import solutions

from . import by_hand
from . import kinds as declared
from .grades import ARGUMENTS, GRADED, NOTEBOOK_READABLE, CheckSpec
from .judge import guarded

PACKAGE = "autograder.assignments"


class RegistryError(RuntimeError):
    """The checks of an assignment can't be loaded; the message says which and why."""


def stem_of(name):
    """The stem of a graded name: ``max_pool_backward`` -> ``max_pool`` (the lecture's
    ``example_forward_backward`` is its own stem)."""
    if name.endswith("_forward_backward"):
        return name
    for suffix in ("_forward", "_backward"):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


@cache
def modules(assignment):
    """[module] of ``autograder/assignments/<assignment>/``, every one imported (raises
    RegistryError naming the module and the error when one can't be)."""
    try:
        package = importlib.import_module(f"{PACKAGE}.{assignment}")
    except Exception as err:
        raise RegistryError(f"the checks of {assignment} can't be loaded: {PACKAGE}."
                            f"{assignment}: {type(err).__name__}: {err}") from err
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        name = f"{package.__name__}.{info.name}"
        try:
            found.append(importlib.import_module(name))
        except Exception as err:
            raise RegistryError(f"the checks of {assignment} can't be loaded: {name}: "
                                f"{type(err).__name__}: {err}") from err
    return found


@cache
def checks_of(assignment):
    """{graded name: check(judge) -> [Check]} of ``assignment`` in the order it grades them,
    each guarded (an unexpected failure costs only its function). Raises RegistryError when a
    graded name has no check, or a check names something the assignment does not grade."""
    if assignment not in solutions.ASSIGNMENTS:
        raise RegistryError(f"no assignment {assignment!r}: the assignments are "
                            f"{', '.join(solutions.ASSIGNMENTS)}")
    table = {}
    for module in modules(assignment):
        for name, check in getattr(module, "CHECKS", {}).items():
            if name in table:
                raise RegistryError(f"{assignment}: {name} is checked twice (again in "
                                    f"{module.__name__})")
            table[name] = guarded(check, name)
    graded = solutions.ASSIGNMENTS[assignment]
    missing = [n for n in graded if n not in table]
    extra = sorted(set(table) - set(graded))
    if missing or extra:
        raise RegistryError(f"{assignment}: " + "; ".join(
            ([f"no check for {', '.join(missing)}"] if missing else []) +
            ([f"checks for names it does not grade: {', '.join(extra)}"] if extra else [])))
    return {name: table[name] for name in graded}  # in the notebook's order


def all_checks():
    """{graded name: check} of every assignment."""
    return {name: check for a in solutions.ASSIGNMENTS for name, check in checks_of(a).items()}


def notebook_checks():
    """{graded name: check(namespace)}: the in-notebook hidden tests of every assignment."""
    return {name: check for a in solutions.ASSIGNMENTS for m in modules(a)
            for name, check in getattr(m, "NOTEBOOK_CHECKS", {}).items()}


def module_of(name):
    """The module that holds everything the grader knows about the graded ``name``."""
    for assignment, names in solutions.ASSIGNMENTS.items():
        if name in names:
            for module in modules(assignment):
                if name in getattr(module, "CHECKS", {}):
                    return module
    raise RegistryError(f"no module checks {name}")


def specs():
    """Every CheckSpec, once each, in the order of the assignments and their modules (the
    judge's own last): the ones the modules and the shared modules they use declare."""
    found = {}
    for assignment in solutions.ASSIGNMENTS:
        for module in modules(assignment):
            for value in module_specs(module):
                found.setdefault(value.title, []).append(value)
    for value in (ARGUMENTS, GRADED, NOTEBOOK_READABLE):
        found.setdefault(value.title, []).append(value)
    for title, same in found.items():
        if len(set(same)) > 1:
            raise RegistryError(f"the check {title!r} is declared with different roles or "
                                f"weights: {sorted(set(same), key=repr)}")
    return [same[0] for same in found.values()]


def module_specs(module):
    """The CheckSpecs a module of an assignment uses, in the order they appear: its own, and
    those of the shared judging modules whose names it imports (a ``Pair`` brings the pair
    checks' specs)."""
    found = []
    for value in vars(module).values():
        if isinstance(value, CheckSpec):
            found.append(value)
            continue
        shared = sys.modules.get(getattr(value, "__module__", None) or "")
        if shared is not None and shared.__name__.startswith("autograder.judging."):
            found += [v for v in vars(shared).values() if isinstance(v, CheckSpec)]
    return found


def by_hand_cases():
    """{stem: ByHand} of every assignment: the small cases worked by hand (judging/by_hand.py)
    the modules declare as ``BY_HAND_CASE``."""
    return {case.stem: case for a in solutions.ASSIGNMENTS
            for case in by_hand.cases(modules(a))}


def by_hand_names(assignment):
    """The by-hand answers' variable names of ``assignment``, in its notebook's order."""
    return list(dict.fromkeys(case.variable for case in by_hand.cases(modules(assignment))))


def all_kinds():
    """{name: Kind}: kinds.KINDS and every assignment module's own KINDS (RegistryError on a
    kind declared twice)."""
    table = dict(declared.KINDS)
    for assignment in solutions.ASSIGNMENTS:
        for module in modules(assignment):
            for name, kind in getattr(module, "KINDS", {}).items():
                if name in table:
                    raise RegistryError(f"the kind {name!r} is declared twice (again in "
                                        f"{module.__name__})")
                table[name] = kind
    return table
