"""Read one student's submission against the assignment's source notebooks.

Decides which cells the contained child runs, in which order, and notes everything odd
about the submission as flags (with a clear message naming the file or the cell):
- a notebook that is not JSON or not nbformat 4, a missing or renamed notebook, stray files;
- anything that is not a regular file: symbolic links (never followed, not even for the
  student's or the assignment's folder), folders with notebook names, FIFOs and devices;
  notebooks over ``NOTEBOOK_MAX_BYTES`` or nesting JSON deeper than ``JSON_MAX_DEPTH``
  (every entry is looked at with ``lstat`` and opened with ``O_NOFOLLOW``);
- locked cells (set-up, given code) the student edited or deleted: taken from the source,
  as nbgrader does; test and self-check cells never run (the judge decides);
- cells duplicated, a graded function defined twice (the last definition is graded, as
  the kernel would).
Demonstration cells (tagged ``demo``: training runs, plots, widgets) are skipped.
"""
import ast
import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import nbformat

from ..judging.described import count_of

MAGIC = re.compile(r"^\s*[%!].*$", re.M)
NBGRADER_FILES = {"timestamp.txt", "submission_secret.txt"}  # written by nbgrader submit
NOTEBOOK_MAX_BYTES = 20 * 1024**2  # a notebook beyond this is flagged, never read
JSON_MAX_DEPTH = 100               # notebooks nest about 6 deep; widget state a little more
FOLDER_MAX_ENTRIES = 1000          # entries of a submission looked at (and fingerprinted)
STRAY_NOTEBOOKS_CHECKED = 5        # stray notebooks opened to say whether they are readable


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
    labels: dict = field(default_factory=dict)  # index: the cell in the grader's words


def metadata(cell, key=None):
    """A cell's metadata (or its ``key`` entry) as a dict, whatever a student's file holds."""
    meta = cell.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    if key is not None:
        meta = meta.get(key)
    return meta if isinstance(meta, dict) else {}


def grade_id(cell):
    gid = metadata(cell, "nbgrader").get("grade_id")
    return gid if isinstance(gid, str) else None


def source_text(cell):
    src = cell.get("source", "")
    return "".join(map(str, src)) if isinstance(src, list) else str(src)


def is_runnable_source_cell(cell):
    """Locked code cells of the source that the student's code may need (set-up, given)."""
    meta = metadata(cell, "nbgrader")
    gid = grade_id(cell) or ""
    return (cell["cell_type"] == "code" and meta.get("locked") and not meta.get("grade")
            and not gid.startswith("selfcheck_") and "demo" not in tags(cell))


def tags(cell):
    found = metadata(cell).get("tags", [])
    return found if isinstance(found, list) else []


class NotReadable(Exception):
    """A file the grader won't read: ``code`` names why, the message says it to a person."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def kind_of(info):
    """'file', 'folder', 'symlink' or 'other' (FIFO, socket, device) from an lstat result."""
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    return "folder" if stat.S_ISDIR(mode) else "other"


def open_regular_file(path):
    """A binary handle on ``path`` and its fstat, only if it is a regular file. The last
    component is never followed (``O_NOFOLLOW``) and a FIFO can't block the open."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise NotReadable("symlink", "it is a symbolic link") from None
        raise NotReadable("unreadable", "it can't be opened "
                          f"({errno.errorcode.get(err.errno, 'error')})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotReadable("not_a_file", f"it is a {kind_of(info)}, not a file")
    return os.fdopen(fd, "rb"), info


def read_regular_file(path, cap=NOTEBOOK_MAX_BYTES):
    """The bytes of the regular file ``path``; NotReadable if it is anything else or holds
    more than ``cap`` bytes (nothing beyond ``cap`` is ever read)."""
    handle, info = open_regular_file(path)
    with handle:
        data = b"" if info.st_size > cap else handle.read(cap + 1)
    if info.st_size > cap or len(data) > cap:
        raise NotReadable("too_large", f"it is over the {cap // 1024**2} MB a notebook may "
                          "have")
    return data


def hash_regular_file(digest, path, cap=NOTEBOOK_MAX_BYTES, chunk=1024**2):
    """Feed ``digest`` the regular file ``path`` in chunks: its content when it holds at most
    ``cap`` bytes, else its size and mtime; anything else, why it was not read. Returns the
    number of bytes read."""
    try:
        handle, info = open_regular_file(path)
    except NotReadable as err:
        digest.update(err.code.encode())
        return 0
    read = 0
    with handle:
        if info.st_size > cap:
            digest.update(f"size {info.st_size} mtime {info.st_mtime_ns}".encode())
            return 0
        while read < cap and (block := handle.read(min(chunk, cap - read))):
            digest.update(block)
            read += len(block)
    return read


def json_depth(value, limit=JSON_MAX_DEPTH):
    """How deep ``value`` nests lists and dicts (counted without recursion; stops at limit+1)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            values = item.values() if isinstance(item, dict) else item
            stack.extend((v, depth + 1) for v in values)
    return deepest


def parse_json(data, name):
    """The JSON in ``data``; NotReadable when it nests deeper than JSON_MAX_DEPTH."""
    too_deep = NotReadable("too_deep", f"{name} nests JSON more than {JSON_MAX_DEPTH} levels "
                           "deep (a notebook needs about 6)")
    try:
        raw = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise too_deep from None
    if json_depth(raw) > JSON_MAX_DEPTH:
        raise too_deep
    return raw


def json_problem(err):
    """What is wrong with a notebook's JSON, without the position or the text the student's
    file chose (a JSON error's message quotes both)."""
    if isinstance(err, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(err, json.JSONDecodeError):
        return "a JSON syntax error"
    return "a value JSON can't hold"


def load_notebook(path, flags, name=None):
    """The notebook at ``path`` as a dict, or None with an error flag naming the file as
    ``name`` (its own name by default: pass the grader's name for a file the student
    named)."""
    name = name or path.name
    try:
        raw = parse_json(read_regular_file(path), name)
    except NotReadable as err:
        flags.append(Flag(err.code, "error", f"{name}: {err}; it was not read, so nothing in "
                          "it was graded."))
        return None
    except ValueError as err:  # not UTF-8, not JSON, or a number too long to convert
        flags.append(Flag("not_json", "error", f"{name} is not a notebook: it is not valid JSON "
                          f"({json_problem(err)}). Nothing in it could be graded; open it in "
                          "Jupyter, save it, and submit again."))
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", []), list):
        flags.append(Flag("not_notebook", "error", f"{name} is JSON but not a notebook."))
        return None
    major = raw.get("nbformat")
    if major != 4:
        try:
            nb = nbformat.reads(json.dumps(raw), as_version=4)
            flags.append(Flag("old_nbformat", "warning", f"{name} is nbformat "
                              f"{major if major in (1, 2, 3) else 'older than 4'}; it was "
                              "converted to nbformat 4 for grading."))
            return json.loads(nbformat.writes(nb))
        except Exception:  # nbformat raises several kinds for bad versions
            flags.append(Flag("bad_nbformat", "error", f"{name} has an nbformat version "
                              "other than 4 that can't be read."))
            return None
    if "cells" not in raw:
        flags.append(Flag("not_notebook", "error", f"{name} is JSON but has no cells."))
        return None
    return raw


def folder_entries(folder, limit=FOLDER_MAX_ENTRIES):
    """{name: kind} of the first ``limit`` entries of ``folder`` by name (among the first
    10 * ``limit`` listed), from ``lstat`` (nothing is followed), and whether there were more."""
    try:
        with os.scandir(folder) as listing:
            names = sorted(entry.name for entry in islice(listing, 10 * limit))
    except OSError:
        return {}, False
    entries = {}
    for name in names[:limit]:
        try:
            entries[name] = kind_of(os.lstat(os.path.join(folder, name)))
        except OSError:
            continue  # gone meanwhile
    return entries, len(names) > limit


def walk_entries(folder, limit=FOLDER_MAX_ENTRIES):
    """(relative path, lstat result) of everything under ``folder``, sorted, at most ``limit``
    entries, never entering a symlinked folder."""
    found, pending = [], [""]
    while pending and len(found) < limit:
        relative = pending.pop(0)
        entries, _ = folder_entries(os.path.join(folder, relative), limit - len(found))
        for name in entries:
            path = os.path.join(relative, name)
            try:
                info = os.lstat(os.path.join(folder, path))
            except OSError:
                continue
            found.append((path, info))
            if stat.S_ISDIR(info.st_mode):
                pending.append(path)
    return sorted(found, key=lambda item: item[0])


def refused_kind(folder):
    """'symlink' or 'not_a_folder' when ``folder`` itself can't be listed safely, else None."""
    try:
        kind = kind_of(os.lstat(folder))
    except OSError:
        return "not_a_folder"
    return None if kind == "folder" else ("symlink" if kind == "symlink" else "not_a_folder")


def refused_folder(course, student, assignment):
    """An error flag when ``submitted/<student>/<assignment>/`` can't be graded without
    following a symbolic link (or isn't a folder); None when it can."""
    submitted = Path(course) / "submitted"
    for path, what in ((submitted / student, "student folder"),
                       (submitted / student / assignment, "assignment folder")):
        kind = refused_kind(path)
        if kind:
            why = ("is a symbolic link; links are never followed" if kind == "symlink"
                   else "is not a folder")
            return Flag(kind, "error", f"the {what} submitted/{path.relative_to(submitted)} "
                        f"{why}, so nothing was graded. Submit the folder itself.")
    return None


def entry_words(name, expected_names, stand_in):
    """A submission's entry as a flag names it: by its name when the grader gave that name,
    else ``stand_in`` (a name the student chose is not said)."""
    return name if name in expected_names or name in NBGRADER_FILES else stand_in


def flags_for_odd_entries(entries, expected_names):
    """Flags for what in a submission folder is not a regular file."""
    flags = []
    for entry, kind in entries.items():
        name = entry_words(entry, expected_names, f"an entry of your submission ({kind})")
        if kind == "symlink":
            flags.append(Flag("symlink", "error", f"{name} is a symbolic link; links are never "
                              "followed, so it was not read. Submit the file itself."))
        elif kind == "folder" and entry.endswith(".ipynb"):
            flags.append(Flag("notebook_folder", "error" if entry in expected_names else "warning",
                              f"{name} is a folder, not a notebook; it was not read."))
        elif kind == "other":
            flags.append(Flag("not_a_file", "error", f"{name} is not a regular file (a FIFO, "
                              "socket or device); it was not read."))
    return flags


def flags_for_stray_notebooks(folder, names):
    """Warnings for the first few stray notebooks that could not even be read as JSON."""
    flags = []
    for name in names[:STRAY_NOTEBOOKS_CHECKED]:
        problems = []
        load_notebook(Path(folder) / name, problems, "a notebook of another name")
        flags += [Flag(f.code, "warning", f"ignored notebook: {f.message}") for f in problems
                  if f.severity == "error"]
    return flags


def find_notebooks(folder, expected_names):
    """{expected name: path or None} plus flags for renamed, missing and stray files, and
    for anything that is not a regular file (never followed nor read)."""
    refused = refused_kind(folder)
    entries, more = ({}, False) if refused else folder_entries(folder)
    flags = [Flag(refused, "error", f"the submission folder {Path(folder).name} is a symbolic "
                  "link or not a folder; nothing in it was read.")] if refused else []
    flags += flags_for_odd_entries(entries, expected_names)
    if more:
        flags.append(Flag("too_many_files", "warning", f"the submission holds more than "
                          f"{FOLDER_MAX_ENTRIES} files; only the first were looked at."))
    present = [Path(folder) / n for n, kind in entries.items() if kind == "file"]
    notebooks = [p for p in present if p.suffix == ".ipynb"]
    found = {}
    for name in expected_names:
        match = next((p for p in notebooks if p.name == name), None)
        found[name] = match
    unmatched = [p for p in notebooks if p not in found.values()]
    missing = [n for n, p in found.items() if p is None]
    if len(missing) == 1 and len(unmatched) == 1:
        found[missing[0]] = unmatched[0]
        flags.append(Flag("renamed", "warning", f"{missing[0]} was not found; the one "
                          "notebook of another name was graded in its place."))
        unmatched = []
    for name in [n for n, p in found.items() if p is None and n not in entries]:
        flags.append(Flag("missing_notebook", "error", f"{name} is missing from the submission."))
    stray = [p.name for p in present if p not in found.values() and p.name not in NBGRADER_FILES]
    if stray:
        flags.append(Flag("stray_files", "warning", "ignored files in the submission: "
                          f"{count_of(len(stray), 'file')} the grader does not read (their names "
                          "are not repeated here)."))
    flags += flags_for_stray_notebooks(folder, [p.name for p in unmatched])
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
        if count > 1 and gid in source_cells:
            prepared.flags.append(Flag("duplicated_cell", "warning", f"{notebook_name}: cell {gid} "
                                       f"appears {count_of(count, 'time')}; they run in "
                                       "notebook order."))
    if any(count > 1 and gid not in source_cells for gid, count in seen.items()):
        # a grade id the source does not have is the student's own text: not said
        prepared.flags.append(Flag("duplicated_cell", "warning", f"{notebook_name}: cells of "
                                   "yours share a grade id; they run in notebook order."))
    order = restore_missing(order, source_nb, prepared, notebook_name)
    prepared.cells = [(i, MAGIC.sub("", src)) for i, (_, src) in enumerate(order)]
    prepared.labels = cell_labels(order, source_cells, notebook_name)
    note_double_definitions(prepared, graded_names)
    return prepared


def cell_labels(order, source_cells, notebook_name):
    """{index: the cell in words} for the cells to run: by the source's grade id where it has
    one, else as a cell of the student's after (or before) one that has (a student's own cell
    ids and the count of cells are the student's to choose, so neither is said)."""
    labels, previous = {}, None
    for i, (gid, _) in enumerate(order):
        if gid in source_cells:
            labels[i] = f"{notebook_name}: the cell {gid}"
            previous = gid
        elif previous is not None:
            labels[i] = f"{notebook_name}: a cell of yours after the cell {previous}"
        else:
            labels[i] = f"{notebook_name}: a cell of yours before the first graded cell"
    return labels


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
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the child will say what is wrong with it
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in graded_names:
                counts[node.name] = counts.get(node.name, 0) + 1
    for name, count in counts.items():
        if count > 1:
            prepared.flags.append(Flag("defined_twice", "warning", f"{prepared.notebook}: "
                                       f"{name} is defined {count_of(count, 'time')}; the "
                                       "last definition "
                                       "was graded."))
