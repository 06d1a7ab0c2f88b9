"""The build step: source notebooks come from templates/ and solutions/, and never drift."""
import inspect

import pytest
from support import ASSIGNMENTS, ROOT, comparable, nbgrader_cells, notebooks, source_text

import solutions
from autograder.course.build import TemplateError, build_all, build_notebook
from autograder.judging import by_hand
from autograder.judging.registry import by_hand_cases


@pytest.fixture(scope="module")
def fresh_source(tmp_path_factory):
    out = tmp_path_factory.mktemp("source")
    build_all(source=out)
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_source_is_what_the_build_makes(assignment, fresh_source):
    built, committed = notebooks(fresh_source, assignment), notebooks(ROOT / "source", assignment)
    assert [p.name for p in built] == [p.name for p in committed], \
        f"source/{assignment} is stale: run `backproplab build`"
    for new, old in zip(built, committed):
        assert comparable(new) == comparable(old), \
            f"{old.relative_to(ROOT)} differs from a fresh build: run `backproplab build`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_answer_cells_hold_the_library_source_exactly(assignment):
    for path in notebooks(ROOT / "source", assignment):
        for grade_id, cell in nbgrader_cells(path):
            if cell["metadata"]["nbgrader"]["solution"] and cell["cell_type"] == "code":
                expected = inspect.getsource(getattr(solutions, grade_id)).rstrip("\n") \
                    if not grade_id.startswith(by_hand.PREFIX) else \
                    by_hand_cases()[grade_id[len(by_hand.PREFIX):]].solution_source()
                assert source_text(cell) == expected, f"{path.name}: {grade_id} drifted"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_name_has_answer_selfcheck_and_points(assignment):
    ids = [gid for path in notebooks(ROOT / "source", assignment)
           for gid, _ in nbgrader_cells(path)]
    for name in solutions.ASSIGNMENTS[assignment]:
        for cell_id in (name, f"selfcheck_{name}", f"test_{name}"):
            assert ids.count(cell_id) == 1, f"{assignment}: {cell_id} appears {ids.count(cell_id)} times"
    cells = dict(cid for path in notebooks(ROOT / "source", assignment)
                 for cid in nbgrader_cells(path))
    for name in solutions.ASSIGNMENTS[assignment]:
        assert cells[f"test_{name}"]["metadata"]["nbgrader"]["points"] > 0
        assert cells[name]["metadata"]["nbgrader"]["solution"] is True
    manual = [c for c in cells.values() if c["cell_type"] == "markdown"
              and c["metadata"]["nbgrader"]["grade"]]
    assert manual, f"{assignment} has no manually graded written answer"


def write(tmp_path, body):
    path = tmp_path / "t.md"
    path.write_text("# Title\n\n" + body)
    return path


def test_a_solution_cell_with_code_in_the_template_is_refused(tmp_path):
    with pytest.raises(TemplateError, match="cell 2.*must be empty"):
        build_notebook(write(tmp_path, '```python solution="relu_forward"\nx = 1\n```\n'))


def test_a_test_cell_without_points_is_refused(tmp_path):
    with pytest.raises(TemplateError, match="needs points"):
        build_notebook(write(tmp_path, '```python tests="relu_forward"\n```\n'))


def test_an_unknown_solution_name_is_refused(tmp_path):
    with pytest.raises(TemplateError, match="t.md, cell 2: solutions has no 'relu_fwd'"):
        build_notebook(write(tmp_path, '```python solution="relu_fwd"\n```\n'))


def test_roles_become_nbgrader_metadata(tmp_path):
    nb = build_notebook(write(tmp_path, (
        '```python solution="relu_forward"\n```\n\n'
        '```python tests="relu_forward" points=2\n# visible\n```\n\n'
        '<!-- #region manual="why" points=3 -->\nBecause.\n<!-- #endregion -->\n')))
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    assert meta[0]["locked"] and not meta[0]["grade"]
    assert meta[1]["solution"] and not meta[1]["grade"] and meta[1]["grade_id"] == "relu_forward"
    assert meta[2]["grade"] and meta[2]["points"] == 2 and meta[2]["locked"]
    assert nb.cells[2].source.startswith("# visible\n### BEGIN HIDDEN TESTS")
    assert meta[3] == {"grade": True, "grade_id": "why", "locked": False, "points": 3,
                       "schema_version": 3, "solution": True, "task": False}


def test_the_kit_gives_new_courses_this_repositorys_nbgrader_config():
    from autograder.course import NBGRADER_CONFIG
    assert (ROOT / "nbgrader_config.py").read_text() == NBGRADER_CONFIG
