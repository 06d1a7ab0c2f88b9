"""Session fixtures shared by test modules: the kit's wheels and their installs, each
assignment's class graded once, and one student process holding the reference solutions
(each made only when a test asks for it).

tests/ is on sys.path (this file's folder), so ``support``, ``oracles`` and the other helper
modules import from any folder of tests/."""
import inspect

import pytest
import support
from install_support import CURRENT, build_wheels, install_everywhere

import solutions
from autograder.judging.registry import by_hand_cases
from autograder.round.samples import reference_answer
from autograder.sandbox.runner import StudentProcess


@pytest.fixture
def xwb():
    """(x, w, b) for the affine test layer of support.py: x (4, 2, 3), w (6, 3), b (3,)."""
    return support.affine_inputs()


@pytest.fixture(scope="session")
def wheels(tmp_path_factory):
    return build_wheels(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="session")
def installs(wheels, tmp_path_factory):
    return install_everywhere(wheels, tmp_path_factory.mktemp("installed"))


def installed_kit(installs, version):
    """The install under ``version``: skipped with the reason where that Python is absent."""
    found = installs[version]
    if isinstance(found, str):
        pytest.skip(found)
    if isinstance(found, Exception):
        raise found
    return found


@pytest.fixture(scope="session")
def kit(installs):
    """The wheels installed under the Python running the tests."""
    return installed_kit(installs, CURRENT)


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """``graded(assignment)``: the assignment's class (support.corpus: the demo's class and
    every CORPUS of tests/assignments/<assignment>/), graded through the whole pipeline once
    per session, on first use (a support.GradedClass)."""
    done = {}

    def graded_class(assignment):
        if assignment not in done:
            course = tmp_path_factory.mktemp(assignment)
            done[assignment] = support.grade_class(course, assignment,
                                                   support.corpus(assignment),
                                                   support.edits(assignment))
        return done[assignment]
    return graded_class


@pytest.fixture(scope="session")
def demo_reports(graded):
    """{assignment: {student: report}}: every assignment's demo class and its cheat's honest
    twin, as graded in the assignment's class (round/test_demo_classes.py checks what each
    gets; the installed kit must give the same)."""
    return {a: {s.student: graded(a)[s.student] for s in support.demo_students(a)}
            for a in solutions.ASSIGNMENTS}


#: The functions whose checks run on the reference in one process (the array pairs and losses
#: of hw2 and hw3 are run through their classes instead).
REFERENCE_NAMES = [n for n in solutions.GRADED_NAMES
                   if n in solutions.ASSIGNMENTS["hw1_graphs"] + ["backprop"] +
                   solutions.ASSIGNMENTS["hw4_training"]]


@pytest.fixture(scope="session")
def reference_student():
    """(process, {name: cell index}) with the reference solutions as the student's cells (a
    test that swaps a cell puts the reference back: support.replaced)."""
    cells = [(0, "import numpy as np"), (1, inspect.getsource(solutions.Operation))]
    index = {}
    for name in REFERENCE_NAMES:
        index[name] = len(cells)
        cells.append((len(cells), support.reference_source(name)))
    for case in by_hand_cases().values():  # the numbers worked by hand, as the source has them
        index[case.variable] = len(cells)
        cells.append((len(cells), reference_answer(case.variable)))
    with StudentProcess(cells) as proc:
        yield proc, index
