"""Every kind of diagnosis the grader gives is declared once, with what it means: a kind found
in the grader's source (or in any report of the grading corpora) and declared nowhere fails
here, and so does a kind declared twice."""
import ast

import pytest
from support import ROOT

from autograder.judging import kinds, registry

#: Where a kind is written: the first argument of these calls, or a ``kind=`` keyword.
KIND_CALLS = {"Diagnosis", "say", "Slip"}
SOURCES = ["autograder/judging", "autograder/assignments", "autograder/round/grading.py"]


def kinds_in_source(text):
    """{kind: line} of every kind the source ``text`` gives: the first argument of
    Diagnosis(...), case.say(...) and Slip(...), ``kind=`` keywords, and the kind of a
    CheckSpec's ``check(fraction, message, kind)``."""
    found = {}
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
        candidates = [node.args[0]] if name in KIND_CALLS and node.args else []
        if name == "check" and len(node.args) >= 3:
            candidates.append(node.args[2])
        candidates += [k.value for k in node.keywords if k.arg == "kind"]
        for arg in candidates:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, node.lineno)
    return found


def source_files():
    for where in SOURCES:
        path = ROOT / where
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def test_the_scan_finds_a_kind_wherever_it_is_given():
    text = ('Diagnosis("a_kind", "m")\ncase.say("b_kind", "m")\nSlip("c_kind", "m", 1)\n'
            'SPEC.check(0.0, "m", "d_kind")\nCheck(SPEC, 0.0, "m", kind="e_kind")\n')
    assert set(kinds_in_source(text)) == {"a_kind", "b_kind", "c_kind", "d_kind", "e_kind"}


def test_every_kind_the_grader_gives_is_declared():
    declared = registry.all_kinds()
    given = {}
    for path in source_files():
        for kind, line in kinds_in_source(path.read_text()).items():
            given.setdefault(kind, f"{path.relative_to(ROOT)}:{line}")
    undeclared = {k: where for k, where in given.items() if k not in declared}
    assert not undeclared, f"declare these kinds (autograder/judging/kinds.py): {undeclared}"
    assert len(given) >= 80, len(given)  # the scan reads what it should


def test_no_kind_is_declared_twice_and_each_says_what_it_means():
    declared = registry.all_kinds()  # raises RegistryError on a kind declared twice
    assert all(k.meaning and k.group in kinds.GROUPS for k in declared.values())
    assert declared["ok"].group == "ok"
    assert {k for k, v in declared.items() if v.group == "not_attempted"} == \
        {"not_implemented", "not_defined", "unreadable_notebook", "no_check", "by_hand_blank"}


def test_a_module_declares_only_kinds_its_checks_give():
    for assignment in registry.solutions.ASSIGNMENTS:
        for module in registry.modules(assignment):
            own = set(getattr(module, "KINDS", {}))
            given = set(kinds_in_source(open(module.__file__).read()))
            assert own <= given, (module.__name__, own - given)


@pytest.mark.parametrize("kind", ["wrong_values", "raised", "timeout", "nan_or_inf"])
def test_vague_kinds_are_declared_vague(kind):
    assert kinds.vague(kind) and not kinds.vague("transposed")
