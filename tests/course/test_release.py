"""The release: nbgrader's generate_assignment turns source/ into the committed release/."""
import shutil

import nbformat
import pytest
from support import ASSIGNMENTS, ROOT, comparable, notebooks

from autograder.course import release


@pytest.fixture(scope="module")
def fresh_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "source", course / "source")
    release(course, ASSIGNMENTS)
    return course


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_fresh(assignment, fresh_course):
    fresh = notebooks(fresh_course / "release", assignment)
    committed = notebooks(ROOT / "release", assignment)
    assert fresh, f"nbgrader released nothing for {assignment}"
    assert [p.name for p in fresh] == [p.name for p in committed], \
        f"release/{assignment} is stale: run `backproplab build && backproplab release`"
    for new, old in zip(fresh, committed):
        assert comparable(new) == comparable(old), \
            f"{old.relative_to(ROOT)} is stale: run `backproplab release {assignment}`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebooks_are_valid_and_stripped(assignment):
    for path in notebooks(ROOT / "release", assignment):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
                   and c.cell_type == "code"]
        assert answers and all("raise NotImplementedError()" in c.source for c in answers)
