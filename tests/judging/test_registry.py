"""The registry finds every graded function's checks in the module named by it, and fails
loudly: a check module that can't be imported stops the run with the error before anyone is
graded, never a silent 0."""
import shutil

import pytest
from support import ROOT

import solutions
from autograder import cli
from autograder.judging import registry
from autograder.round.pipeline import grade_all, report_path
from autograder.round.samples import Sample, write_submission

A = "hw3_cnn"


@pytest.fixture
def broken(monkeypatch, tmp_path):
    """hw3_cnn with a check module that raises on import (a typo), for the test."""
    package = tmp_path / "broken"
    package.mkdir()
    (package / "typo.py").write_text("from ...judging.pairs import Pare\n")
    module = registry.importlib.import_module(f"{registry.PACKAGE}.{A}")
    monkeypatch.setattr(module, "__path__", [*module.__path__, str(package)])
    registry.modules.cache_clear()
    registry.checks_of.cache_clear()
    yield
    registry.modules.cache_clear()
    registry.checks_of.cache_clear()


def test_every_graded_name_has_its_checks_in_the_assignments_order():
    for assignment, names in solutions.ASSIGNMENTS.items():
        assert list(registry.checks_of(assignment)) == names
    assert sorted(registry.all_checks()) == sorted(solutions.GRADED_NAMES)


def test_a_module_that_cannot_be_imported_is_named_with_its_error(broken):
    with pytest.raises(registry.RegistryError, match=r"typo.*ImportError.*Pare"):
        registry.checks_of(A)


def test_a_broken_check_module_stops_the_run_before_anyone_is_graded(broken, tmp_path):
    course = tmp_path / "course"
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    write_submission(course, A, Sample("ada", "the reference"))
    with pytest.raises(registry.RegistryError):
        grade_all(course, A, progress=False)
    assert not report_path(course, A, "ada").exists()
    assert cli.main(["grade", A, "--course", str(course)]) == 2


def test_a_graded_name_without_a_check_is_refused(monkeypatch):
    monkeypatch.setitem(solutions.ASSIGNMENTS, A, [*solutions.ASSIGNMENTS[A], "avg_pool_forward"])
    registry.checks_of.cache_clear()
    try:
        with pytest.raises(registry.RegistryError, match="no check for avg_pool_forward"):
            registry.checks_of(A)
    finally:
        registry.checks_of.cache_clear()


def test_the_module_of_a_name_is_found_by_its_stem():
    assert registry.stem_of("max_pool_backward") == "max_pool"
    assert registry.stem_of("example_forward_backward") == "example_forward_backward"
    assert registry.module_of("max_pool_backward").__name__.endswith("hw3_cnn.max_pool")
    assert registry.module_of("Sin").__name__.endswith("hw1_graphs.operations")
