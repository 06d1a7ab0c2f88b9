"""The points students and instructors read agree with the points nbgrader grades: each
notebook's introduction table and the README's table, against the source notebooks' cells."""
import re

import pytest
from support import ASSIGNMENTS, ROOT, nbgrader_cells, notebooks, source_text

HEADER = "| part | what you write | points |"


def graded_points(assignment, kind=None):
    """{function name or written answer id: points} from the source notebooks' nbgrader cells
    (``kind`` "code" or "written": only those)."""
    found = {}
    for path in notebooks(ROOT / "source", assignment):
        for grade_id, cell in nbgrader_cells(path):
            meta = cell["metadata"]["nbgrader"]
            written = cell["cell_type"] == "markdown"
            if meta.get("grade") and kind in (None, "written" if written else "code"):
                found[grade_id.removeprefix("test_")] = meta["points"]
    return found


def table_rows(text, header):
    """The rows (lists of cell texts) of the Markdown table that starts with ``header``."""
    lines = text[text.index(header):].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def points_of(rows, where):
    """({name: points}, total) from rows whose second cell names answers in backticks and
    whose last cell gives their points as ``a + b + c``; the ``**total**`` row gives the total."""
    points, total = {}, None
    for row in rows:
        if row[0] == "**total**":
            total = int(re.findall(r"\*\*(\d+)\*\*", row[-1])[0])
            continue
        names = re.findall(r"`(\w+)`", row[1])
        values = [int(v) for v in re.findall(r"\d+", row[-1])]
        assert len(names) == len(values), f"{where}: row {row} names {len(names)} answers " \
                                          f"but gives {len(values)} points"
        points.update(zip(names, values))
    return points, total


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_introduction_table_gives_every_graded_answer_its_points(assignment):
    expected = graded_points(assignment)
    [path] = notebooks(ROOT / "source", assignment)
    intro = next(source_text(c) for _, c in nbgrader_cells(path) if HEADER in source_text(c))
    points, total = points_of(table_rows(intro, HEADER), f"{assignment}'s introduction")
    assert points == expected
    assert total == sum(expected.values())


def test_the_readme_table_gives_every_assignment_its_points():
    readme = (ROOT / "README.md").read_text()
    rows = {row[0].strip("`"): row for row in table_rows(readme, "| assignment | code | written answers | total |")}
    assert sorted(rows) == sorted(ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        expected = graded_points(assignment)
        code, written = graded_points(assignment, "code"), graded_points(assignment, "written")
        row = rows[assignment]
        for cell, part in ((row[1], code), (row[2], written)):
            listed = dict((name, int(p)) for name, p in re.findall(r"`(\w+)` (\d+)", cell))
            assert listed == part, f"README's {assignment} row: {cell}"
        assert int(row[3].strip("*")) == sum(expected.values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_model_answer_says_how_its_points_split(assignment):
    """Formgrader's graders mark alike: each written answer's model answer (in the source
    notebook, replaced in the release) ends with how its points split."""
    for path in notebooks(ROOT / "source", assignment):
        for grade_id, cell in nbgrader_cells(path):
            meta = cell["metadata"]["nbgrader"]
            if cell["cell_type"] == "markdown" and meta.get("grade"):
                points = meta["points"]
                assert f"**How the {points:g} points split.**" in source_text(cell), \
                    f"{assignment}: {grade_id} has no rubric for its {points:g} points"
