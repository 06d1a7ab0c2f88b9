"""Build nbgrader source notebooks from the teaching templates and the solution library.

A template is a jupytext Markdown file ``templates/<assignment>/<notebook>.md`` (the kit's own
are package data beside this module, so an installed kit builds too). Plain
Markdown becomes read-only instruction cells; fenced ``python`` cells become code cells,
and their fence metadata says what nbgrader role they play:

- ``solution="NAME"``: an autograded answer cell holding the source of ``solutions.NAME``
  (its ``### BEGIN/END SOLUTION`` regions are what nbgrader strips). The fence is empty.
- ``given="NAME"``: a read-only cell holding the source of ``solutions.NAME`` (not graded).
- ``selfcheck="NAME"``: a read-only visible self-check the student runs.
- ``by_hand="STEM"``: the answer cell of the small case worked by hand, ``by_hand_STEM = {...}``
  (its numbers come from the case its backward's module declares, judging/by_hand.py); the
  fence is empty. ``by_hand_check="STEM"``: its self-check, which compares digests.
- ``tests="NAME" points=P``: a hidden test cell worth P points; its visible lines come
  from the template, its hidden part is generated here.
- ``locked=true``: any other read-only code cell (set-up, given helpers).
- ``tags=["demo"]``: a demonstration (training run, plot, widget) the grader skips.
A Markdown region ``<!-- #region manual="ID" points=P -->`` is a manually graded written
answer; its text is the model answer, which nbgrader replaces in the release.
"""
import inspect
import shutil
from pathlib import Path

import jupytext
import nbformat

import solutions

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The repository's own course folder, when the kit runs from a checkout (tests, maintainers).
CHECKOUT = Path(__file__).resolve().parents[2]
SOURCE = CHECKOUT / "source"
# Files an assignment's folder holds beside its notebooks (nbgrader releases them with it): the
# fast conv and pool reach students with hw4, once their own loops of hw3 are due.
RELEASED_WITH = {"hw4_training": [Path(solutions.__file__).resolve().parent / "fast_layers.py"]}

HIDDEN_TEST = '''\
### BEGIN HIDDEN TESTS
from autograder.course.notebook_tests import run_hidden_check
run_hidden_check({name!r}, globals(), points={points!r})
### END HIDDEN TESTS'''

ROLE_KEYS = ("solution", "given", "selfcheck", "tests", "manual", "locked", "points", "by_hand",
             "by_hand_check")


class TemplateError(ValueError):
    """A template cell whose directives can't be turned into a notebook cell."""


def nbgrader_meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def solution_source(name, where):
    """The source of ``solutions.<name>``, exactly as the library holds it."""
    obj = getattr(solutions, name, None)
    if obj is None:
        raise TemplateError(f"{where}: solutions has no {name!r}")
    return inspect.getsource(obj).rstrip("\n")


def by_hand_case(stem, where):
    """The small case worked by hand whose variable is ``by_hand_<stem>`` (judging/by_hand.py)."""
    from ..judging.registry import by_hand_cases
    found = by_hand_cases().get(stem)
    if found is None:
        raise TemplateError(f"{where}: no graded function declares the by-hand case {stem!r}")
    return found


def convert_cell(cell, index, where):
    """Turn one template cell into a source-notebook cell (new object)."""
    meta = dict(cell.metadata)
    role = {k: meta.pop(k) for k in ROLE_KEYS if k in meta}
    where = f"{where}, cell {index + 1}"
    if cell.cell_type == "markdown":
        if "manual" in role:
            return markdown(cell.source, meta, nbgrader_meta(
                role["manual"], grade=True, solution=True, points=role.get("points", 1)))
        return markdown(cell.source, meta, nbgrader_meta(f"md_{index:03d}", locked=True))
    if "solution" in role:
        if cell.source.strip():
            raise TemplateError(f"{where}: a solution cell must be empty; its code comes "
                                f"from solutions.{role['solution']}")
        name = role["solution"]
        return code(solution_source(name, where), meta, nbgrader_meta(name, solution=True))
    if "by_hand" in role:
        if cell.source.strip():
            raise TemplateError(f"{where}: a by_hand cell must be empty; its answer comes "
                                f"from the case of autograder/assignments ({role['by_hand']})")
        case = by_hand_case(role["by_hand"], where)
        return code(case.solution_source(), meta, nbgrader_meta(case.variable, solution=True))
    if "by_hand_check" in role:
        case = by_hand_case(role["by_hand_check"], where)
        return code(case.selfcheck_source(), meta,
                    nbgrader_meta(f"selfcheck_{case.variable}", locked=True))
    if "given" in role:
        name = role["given"]
        return code(solution_source(name, where), meta,
                    nbgrader_meta(f"given_{name}", locked=True))
    if "selfcheck" in role:
        return code(cell.source, meta,
                    nbgrader_meta(f"selfcheck_{role['selfcheck']}", locked=True))
    if "tests" in role:
        if "points" not in role:
            raise TemplateError(f"{where}: tests={role['tests']!r} needs points=")
        name = role["tests"]
        visible = cell.source.strip()
        body = (visible + "\n" if visible else "") + HIDDEN_TEST.format(name=name,
                                                                         points=role["points"])
        return code(body, meta, nbgrader_meta(
            f"test_{name}", grade=True, locked=True, points=role["points"]))
    if role.get("locked"):
        return code(cell.source, meta, nbgrader_meta(f"locked_{index:03d}", locked=True))
    return code(cell.source, meta, None)


def markdown(text, meta, nbg):
    return nbformat.v4.new_markdown_cell(text, metadata={**meta, "nbgrader": nbg})


def code(text, meta, nbg):
    extra = {"nbgrader": nbg} if nbg else {}
    return nbformat.v4.new_code_cell(text, metadata={**meta, **extra})


def build_notebook(template_path):
    """Read one template and return the nbgrader source notebook (nbformat 4.5)."""
    template = jupytext.read(template_path)
    where = str(Path(template_path).relative_to(TEMPLATES.parent)
                if Path(template_path).is_relative_to(TEMPLATES.parent) else template_path)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(template.cells):
        new = convert_cell(cell, i, where)
        new.id = new.metadata.get("nbgrader", {}).get("grade_id", f"cell-{i:03d}")
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def build_assignment(assignment, templates=TEMPLATES, source=SOURCE):
    """Write ``source/<assignment>/<notebook>.ipynb`` for every template of the assignment.

    Returns the list of paths written."""
    folder = Path(templates) / assignment
    paths = sorted(folder.glob("*.md"))
    if not paths:
        raise TemplateError(f"no templates for {assignment!r} in {folder}")
    out_dir = Path(source) / assignment
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        out = out_dir / (path.stem + ".ipynb")
        nbformat.write(build_notebook(path), out)
        written.append(out)
    for path in RELEASED_WITH.get(assignment, []):
        out = out_dir / path.name
        shutil.copyfile(path, out)
        written.append(out)
    return written


def build_all(templates=TEMPLATES, source=SOURCE):
    """Build every assignment of the contract; returns the paths written."""
    return [p for a in solutions.ASSIGNMENTS for p in build_assignment(a, templates, source)]
