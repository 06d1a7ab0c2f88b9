"""What each check of a graded function is worth: the table made from the checks' specs, and
the instructor's overrides.

Every check is declared once, as a ``CheckSpec`` (title, role, weight) in the module that runs
it (grades.py says what the roles mean). ``TABLE`` (``table()``) is made from those
declarations, and so is the README's table (``markdown()``; tests/judging/test_weights.py
keeps the README equal). A function's points (its test cell's) are shared among its checks in
proportion to the weights. An instructor changes weights per assignment in ``weights.json`` at
the course root: ``{"hw2_layers": {"gradient shapes": 0, "values on hidden inputs": 6}}`` (a
re-run then grades again); a check name the table does not hold is refused, naming the file.
"""
import json
from functools import lru_cache
from pathlib import Path

from . import registry


@lru_cache(maxsize=1)
def table():
    """{check title: (role, weight)}, every check of every assignment, from the specs (loading
    every assignment's checks: a module that can't be loaded raises RegistryError)."""
    return {spec.title: (spec.role, spec.weight) for spec in registry.specs()}


def __getattr__(name):
    if name == "TABLE":  # weights.TABLE, made when first asked for
        return table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def markdown():
    """The README's table of weights, as the specs declare them."""
    rows = ["| check | role | weight |", "| --- | --- | --- |"]
    rows += [f"| {title} | {role} | {weight:g} |" for title, (role, weight) in table().items()]
    return "\n".join(rows)


def course_weights(course, assignment):
    """{check name: weight} the instructor set for ``assignment`` in ``weights.json`` ({} when
    none). A malformed file is an error that names it: grading must not guess weights."""
    path = Path(course) / "weights.json"
    if not path.exists():
        return {}
    try:
        chosen = json.loads(path.read_text()).get(assignment, {})
        if not all(isinstance(k, str) and isinstance(v, (int, float)) and v >= 0
                   for k, v in chosen.items()):
            raise ValueError("weights must be numbers >= 0 by check name")
    except (ValueError, AttributeError) as err:
        raise ValueError(f"{path}: {err}") from None
    unknown = sorted(set(chosen) - set(table()))
    if unknown:
        raise ValueError(f"{path}: no check is called {', '.join(map(repr, unknown))}")
    return chosen
