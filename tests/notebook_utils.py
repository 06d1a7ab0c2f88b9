"""Helpers shared by the notebook tests: reading notebooks and comparing them."""
import json
from pathlib import Path

import solutions

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = list(solutions.ASSIGNMENTS)
VOLATILE_NOTEBOOK_KEYS = ("widgets", "jupytext")


def notebooks(folder, assignment):
    return sorted((Path(folder) / assignment).glob("*.ipynb"))


def comparable(path):
    """A notebook as JSON without the metadata that changes from run to run."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for key in VOLATILE_NOTEBOOK_KEYS:
        nb["metadata"].pop(key, None)
    nb["metadata"].get("language_info", {}).pop("version", None)
    return nb


def nbgrader_cells(path):
    """(grade_id, cell) for every cell with nbgrader metadata."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return [(c["metadata"]["nbgrader"]["grade_id"], c) for c in nb["cells"]
            if "nbgrader" in c["metadata"]]


def source_text(cell):
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src
