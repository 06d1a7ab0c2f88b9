"""Read one student's submission against the assignment's source notebooks.

Decides which cells the contained child runs, in which order, and notes everything odd
about the submission as flags (with a clear message naming the file or the cell):
- a notebook that is not JSON or not nbformat 4, a missing or renamed notebook, stray files;
- locked cells (set-up, given code) the student edited or deleted: taken from the source,
  as nbgrader does; test and self-check cells never run (the judge decides);
- cells duplicated, a graded function defined twice (the last definition is graded, as
  the kernel would).
Demonstration cells (tagged ``demo``: training runs, plots, widgets) are skipped.
"""
import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAGIC = re.compile(r"^\s*[%!].*$", re.M)
NBGRADER_FILES = {"timestamp.txt", "submission_secret.txt"}  # written by nbgrader submit


@dataclass
class Flag:
    """Something odd about a submission: ``severity`` 'error' (nothing could be graded from
    that notebook) or 'warning' (graded, but the instructor should know)."""

    code: str
    severity: str
    message: str

    def as_dict(self):
        return {"code": self.code, "severity": self.severity, "message": self.message}


@dataclass
class Prepared:
    """What to run for one notebook: ``cells`` as (index, source); flags found on the way."""

    notebook: str
    cells: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    readable: bool = True


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def source_text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def is_runnable_source_cell(cell):
    """Locked code cells of the source that the student's code may need (set-up, given)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    gid = meta.get("grade_id", "")
    return (cell["cell_type"] == "code" and meta.get("locked") and not meta.get("grade")
            and not gid.startswith("selfcheck_") and "demo" not in tags(cell))


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def load_notebook(path, flags):
    """The notebook at ``path`` as a dict, or None with an error flag naming the file."""
    name = path.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        flags.append(Flag("not_json", "error", f"{name} is not a notebook: it is not valid JSON "
                          f"({type(err).__name__} at {getattr(err, 'pos', '?')}). Nothing in "
                          "it could be graded; open it in Jupyter, save it, and submit again."))
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", []), list):
        flags.append(Flag("not_notebook", "error", f"{name} is JSON but not a notebook."))
        return None
    major = raw.get("nbformat")
    if major != 4:
        try:
            nb = nbformat.reads(json.dumps(raw), as_version=4)
            flags.append(Flag("old_nbformat", "warning", f"{name} is nbformat {major}; it was "
                              "converted to nbformat 4 for grading."))
            return json.loads(nbformat.writes(nb))
        except Exception as err:  # nbformat raises several kinds for bad versions
            flags.append(Flag("bad_nbformat", "error", f"{name} has nbformat version {major!r}, "
                              f"which can't be read ({type(err).__name__})."))
            return None
    if "cells" not in raw:
        flags.append(Flag("not_notebook", "error", f"{name} is JSON but has no cells."))
        return None
    return raw


def find_notebooks(folder, expected_names):
    """{expected name: path or None} plus flags for renamed, missing and stray files."""
    flags = []
    present = sorted(p for p in Path(folder).iterdir() if p.is_file()) if Path(folder).is_dir() else []
    notebooks = [p for p in present if p.suffix == ".ipynb"]
    found = {}
    for name in expected_names:
        match = next((p for p in notebooks if p.name == name), None)
        found[name] = match
    unmatched = [p for p in notebooks if p not in found.values()]
    missing = [n for n, p in found.items() if p is None]
    if len(missing) == 1 and len(unmatched) == 1:
        found[missing[0]] = unmatched[0]
        flags.append(Flag("renamed", "warning", f"{missing[0]} was not found; "
                          f"{unmatched[0].name} was graded in its place."))
        unmatched = []
    for name in [n for n, p in found.items() if p is None]:
        flags.append(Flag("missing_notebook", "error", f"{name} is missing from the submission."))
    stray = [p.name for p in present if p not in found.values() and p.name not in NBGRADER_FILES]
    if stray:
        flags.append(Flag("stray_files", "warning", "ignored files in the submission: "
                          + ", ".join(stray[:10]) + (" ..." if len(stray) > 10 else "")))
    return found, flags


def prepare(student_nb, source_nb, notebook_name, graded_names):
    """The cells to run for one notebook, the source's locked cells restored."""
    prepared = Prepared(notebook_name)
    source_cells = {grade_id(c): c for c in source_nb["cells"] if grade_id(c)}
    student_cells = [c for c in student_nb.get("cells", []) if isinstance(c, dict)]
    seen, order = {}, []
    for cell in student_cells:
        gid = grade_id(cell)
        if gid:
            seen[gid] = seen.get(gid, 0) + 1
        if cell.get("cell_type") != "code" or "demo" in tags(cell):
            continue
        if gid and gid in source_cells:
            source = source_cells[gid]
            meta = source["metadata"]["nbgrader"]
            if meta.get("grade") or gid.startswith("selfcheck_"):
                continue  # tests and self-checks: the judge checks, the child never runs them
            if meta.get("locked"):
                if source_text(cell) != source_text(source):
                    prepared.flags.append(Flag("locked_cell_edited", "warning",
                                               f"{notebook_name}: read-only cell {gid} was edited; "
                                               "the original was used."))
                order.append((gid, source_text(source)))
                continue
        order.append((gid, source_text(cell)))
    for gid, count in seen.items():
        if count > 1:
            prepared.flags.append(Flag("duplicated_cell", "warning", f"{notebook_name}: cell {gid} "
                                       f"appears {count} times; they run in notebook order."))
    order = restore_missing(order, source_nb, prepared, notebook_name)
    prepared.cells = [(i, MAGIC.sub("", src)) for i, (_, src) in enumerate(order)]
    note_double_definitions(prepared, graded_names)
    return prepared


def restore_missing(order, source_nb, prepared, notebook_name):
    """Put back the source's locked code cells the student deleted, after their predecessor."""
    present = {gid for gid, _ in order if gid}
    previous = None
    for cell in source_nb["cells"]:
        gid = grade_id(cell)
        if is_runnable_source_cell(cell) and gid not in present:
            at = next((i + 1 for i, (g, _) in enumerate(order) if g == previous), 0)
            order.insert(at, (gid, source_text(cell)))
            present.add(gid)
            prepared.flags.append(Flag("locked_cell_deleted", "warning", f"{notebook_name}: "
                                       f"read-only cell {gid} was missing and was restored."))
        if gid in present:
            previous = gid
    return order


def note_double_definitions(prepared, graded_names):
    counts = {}
    for _, src in prepared.cells:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in graded_names:
                counts[node.name] = counts.get(node.name, 0) + 1
    for name, count in counts.items():
        if count > 1:
            prepared.flags.append(Flag("defined_twice", "warning", f"{prepared.notebook}: "
                                       f"{name} is defined {count} times; the last definition "
                                       "was graded."))
