"""Session fixtures shared by test modules (each made only when a test asks for it): the
demo classes graded once through the checkout's pipeline, the kit's wheels and their installs."""
import dataclasses

import pytest
from corpus_support import grade_corpus
from install_support import CURRENT, build_wheels, install_everywhere

import solutions
from autograder.round.demo_classes import demo_class


def honest_twin(sample):
    """The cheat without its cheating cells: the same wrong answer, handed in honestly."""
    return dataclasses.replace(sample, student=f"{sample.student}_honest", extra_cells=[],
                               attacks=())


@pytest.fixture(scope="session")
def demo_reports(tmp_path_factory):
    """{assignment: {student: report}}: every assignment's demo class and its cheat's honest
    twin, graded once by the checkout (tests/test_demo_classes.py checks what each gets; the
    installed kit must give the same)."""
    corpus = {a: [*demo_class(a), *(honest_twin(s) for s in demo_class(a) if s.attacks)]
              for a in solutions.ASSIGNMENTS}
    return grade_corpus(tmp_path_factory, corpus)


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
