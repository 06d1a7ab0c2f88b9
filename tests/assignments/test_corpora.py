"""The grading corpora as a whole: each module's submissions are expected there, and the
corpora stay large, with right submissions written otherwise beside the slips."""
import pytest
from support import ASSIGNMENTS, assignment_modules, corpus

from autograder.judging import registry

#: hw2's students read by test_hw2_layers.py's own tests (attacks, zeros, a cell twice).
CLASS_WIDE = {"alt", "hostile", "zeros_everywhere", "twice"}


def expected_in(module):
    return set(getattr(module, "EXPECTED", {})) | {row[0] for row in getattr(module, "MISTAKES", [])}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_submission_of_a_module_is_expected_there(assignment):
    for module in assignment_modules(assignment):
        students = [s.student for s in getattr(module, "CORPUS", [])]
        assert set(students) - CLASS_WIDE == expected_in(module), module.__name__


def students(prefix):
    return [s for a in ASSIGNMENTS for s in corpus(a, demo=False) if s.student.startswith(prefix)]


def expectation(student):
    for assignment in ASSIGNMENTS:
        for module in assignment_modules(assignment):
            if student in getattr(module, "EXPECTED", {}):
                return module.EXPECTED[student]
    raise KeyError(student)


def test_the_layers_corpus_is_large():
    assert len(students("c2_")) + len(students("c3_")) >= 25


def test_the_engine_corpus_has_bugs_and_other_ways_for_both_functions():
    samples = [s for s in students("e_") if s in corpus("hw1_graphs", demo=False)]
    wrong = [s for s in samples if expectation(s.student)]
    assert len(wrong) >= 6 and len(samples) - len(wrong) >= 3
    for name in ("topological_order", "backward_pass"):
        assert any(name in expectation(s.student) for s in wrong)
        assert any(name in s.answers for s in samples if not expectation(s.student))


def test_the_graphs_and_training_corpus_is_large():
    assert len(students("g_")) + len(students("t_")) + len(students("b_")) >= 15


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_kind_the_class_was_given_is_declared(graded, assignment):
    """The declaration (judging/kinds.py and each module's KINDS) covers what the checks
    really gave: every kind of every check of every report of the class."""
    declared = registry.all_kinds()
    given = {kind for report in graded(assignment).reports.values()
             for function in report["functions"].values() for check in function["checks"]
             for kind in (check["kind"], *check.get("also", ()))}
    assert given and given <= set(declared), given - set(declared)
