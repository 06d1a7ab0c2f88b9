"""Sample submissions: a released notebook with its answer cells filled in.

Used by ``backproplab demo`` (its classes are in ``demo_classes``) and by the tests' corpus. A
sample is a set of answers (graded name -> source code) and, optionally, extra cells appended
to the notebook and a transformation of the whole file. Answers default to the reference
solution with its solution markers removed (and the by-hand answers to the reference's
numbers); a bug is the reference with one replacement applied.
"""
import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import solutions

from ..judging import by_hand

MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\n", re.M)


def reference_answer(name):
    """The reference's answer cell for a graded name, or for a by-hand answer
    (``by_hand_<stem>``, judging/by_hand.py) the reference's numbers."""
    if name.startswith(by_hand.PREFIX):
        from ..judging.registry import by_hand_cases  # loads every assignment's checks
        return MARKER.sub("", by_hand_cases()[name[len(by_hand.PREFIX):]]
                          .solution_source() + "\n")
    return MARKER.sub("", inspect.getsource(getattr(solutions, name)))


def with_bug(name, old, new):
    source = reference_answer(name)
    if old not in source:
        raise ValueError(f"bug for {name}: {old!r} is not in the reference")
    return source.replace(old, new)


@dataclass
class Sample:
    """A student's submission, described by what differs from the reference."""

    student: str
    what: str
    answers: dict = field(default_factory=dict)    # name -> source (others: reference)
    blank: tuple = ()                                # names left as released (not implemented)
    all_blank: bool = False
    extra_cells: list = field(default_factory=list)  # code appended after the answers
    raw: str = ""                                    # the file's whole text, when broken
    bugs: dict = field(default_factory=dict)         # name -> diagnosis kinds its slip gets
    attacks: tuple = ()                              # names extra_cells try to earn unearned

    def answer(self, name, defaults=None):
        """The source of ``name``'s answer cell: the sample's, else ``defaults`` (the source
        notebook's by-hand answers), else the reference's; None when left blank."""
        if self.all_blank or name in self.blank:
            return None
        if name in self.answers:
            return self.answers[name]
        return (defaults or {}).get(name) or reference_answer(name)


def by_hand_answers(source_path):
    """{grade id: source} of the by-hand answer cells of a source notebook (the reference's
    numbers, solution markers removed); {} when there is no source notebook."""
    if not Path(source_path).exists():
        return {}
    cells = json.loads(Path(source_path).read_text()).get("cells", [])
    found = {}
    for cell in cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or ""
        if gid.startswith(by_hand.PREFIX) and cell.get("cell_type") == "code":
            text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            found[gid] = MARKER.sub("", text + "\n")
    return found


def fill(release_nb, sample, graded, defaults=None):
    """The release notebook with the sample's answers in its answer cells (``defaults``: the
    by-hand answers of the source notebook, which are graded cells too; without them, a
    by-hand cell gets the reference's numbers from the registry)."""
    nb = json.loads(json.dumps(release_nb))
    graded = set(graded) | set(defaults or {})
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        by_hand_cell = isinstance(gid, str) and gid.startswith(by_hand.PREFIX)
        if (gid in graded or by_hand_cell) and cell["cell_type"] == "code":
            code = sample.answer(gid, defaults)
            if code is not None:
                cell["source"] = code
    for code in sample.extra_cells:
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                            "outputs": [], "source": code, "id": f"extra-{len(nb['cells'])}"})
    return nb


def write_submission(course, assignment, sample):
    """Write ``submitted/<student>/<assignment>/<notebook>.ipynb`` for each released notebook."""
    graded = set(solutions.ASSIGNMENTS[assignment])
    out = Path(course) / "submitted" / sample.student / assignment
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((Path(course) / "release" / assignment).glob("*.ipynb")):
        if sample.raw:
            (out / path.name).write_text(sample.raw)
            continue
        nb = fill(json.loads(path.read_text()), sample, graded,
                  by_hand_answers(Path(course) / "source" / assignment / path.name))
        (out / path.name).write_text(json.dumps(nb, indent=1))
    return out


MOVED = ("CHEATING_CELLS", "EINSUM_AFFINE", "EINSUM_AFFINE_BACKWARD", "LOOPS_RELU",
         "UNSTABLE_SOFTMAX", "demo_class")


def __getattr__(name):
    """The demo's classes live in ``demo_classes`` now; their old names still work here."""
    if name in MOVED:
        from . import demo_classes
        return getattr(demo_classes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
