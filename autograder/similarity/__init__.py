"""``backproplab similarity ASSIGNMENT``: code copied between students, or from what they can
reach, per graded function and per submission.

Reads every submission with the grader's own reader (caps, ``lstat``, links refused), parses
it (never runs it), gathers each graded function with every helper it reaches (``units.py``),
fingerprints it (``fingerprint.py``), discounts what correct answers share and scores
candidate pairs per function (``compare.py``) and per submission, summing over every
function, short ones too, the rare code two students share (``submissions.py``). Writes a
ranked table, an HTML report with the two functions side by side (``html.py``), the
machine-readable result ``{"assignment", "threshold", "pairs": [{"function", "students",
"similarity"}], "reachable": [{"function", "student", "source", "similarity"}],
"submission_threshold", "submissions": [{"students", "functions", "score"}]}`` (with
``--json`` and in ``similarity/<assignment>.json`` of the course, where ``export`` reads it).
"""
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import solutions

from ..round.pipeline import students_of
from . import compare, html, submissions
from .compare import THRESHOLD
from .submissions import THRESHOLD as SUBMISSION_THRESHOLD
from .units import (
    given_code,
    reachable_units,
    reference_code,
    skeleton_code,
    student_code,
    units_of,
)

__all__ = ["SUBMISSION_THRESHOLD", "THRESHOLD", "Result", "analyse", "best_match_text", "run",
           "saved_result"]


@dataclass
class Result:
    """What ``analyse`` found: ranked ``pairs`` and ``reachable`` Matches at or above
    ``threshold``; ranked ``submissions`` (SubmissionMatches) at or above
    ``submission_threshold``; ``units`` {(function, author): Unit} of every unit in a match;
    ``unreadable`` {student: [why]}; ``not_compared`` {function: students too short for
    the per-function view}."""

    assignment: str
    threshold: float
    students: list
    submission_threshold: float = SUBMISSION_THRESHOLD
    pairs: list = field(default_factory=list)
    reachable: list = field(default_factory=list)
    submissions: list = field(default_factory=list)
    units: dict = field(default_factory=dict)
    unreadable: dict = field(default_factory=dict)
    not_compared: dict = field(default_factory=dict)

    def as_json(self):
        return {"assignment": self.assignment, "threshold": self.threshold,
                "pairs": [{"function": m.function, "students": list(m.students),
                           "similarity": round(m.similarity, 3)} for m in self.pairs],
                "reachable": [{"function": m.function, "student": m.students[0],
                               "source": m.source, "similarity": round(m.similarity, 3)}
                              for m in self.reachable],
                "submission_threshold": self.submission_threshold,
                "submissions": [{"students": list(m.students), "functions": list(m.functions),
                                 "score": round(m.score, 3)} for m in self.submissions]}


def read_students(course, assignment, students):
    """{student: {name: Unit}} and {student: [problems]}; nothing a submission holds raises."""
    graded = solutions.ASSIGNMENTS[assignment]
    given = given_code(course, assignment)
    units, problems = {}, {}
    for student in students:
        try:
            code, readable = student_code(course, assignment, student, given)
            units[student] = units_of(graded, code, student, exclude=graded)
        except Exception as err:  # whatever a hostile file does, the run goes on
            problems[student] = [f"could not be read ({type(err).__name__})"]
            continue
        if not readable or code.problems:
            problems[student] = (code.problems if readable else
                                 code.problems or ["no notebook could be read"])
    return units, problems


def base_fingerprints(course, assignment):
    """{name: fingerprints every unit of ``name`` is discounted by}: the reference solution
    of every graded function of the assignment, and the released skeleton of ``name``."""
    graded = solutions.ASSIGNMENTS[assignment]
    reference = set()
    for code in reference_code():
        for unit in units_of([n for n in graded if n in code.definitions], code,
                             "reference").values():
            reference |= set(unit.fingerprint.hashes)
    skeleton = units_of(graded, skeleton_code(course, assignment), "skeleton")
    return {name: reference | set(skeleton[name].fingerprint.hashes if name in skeleton else ())
            for name in graded}


def compare_function(name, mine, base, sources, threshold):
    """(pairs, reachable matches, how many of ``mine`` are too short to compare) of the
    graded function ``name``: ``mine`` {student: Unit}, ``base`` the fingerprints every unit
    is discounted by, ``sources`` the Units students can reach. One task of a cluster run."""
    discount = base | compare.common_fingerprints(
        [set(u.fingerprint.hashes) for u in mine.values()], len(mine))
    sets = compare.comparable(mine, discount)
    reach = compare.comparable({u.author: u for u in sources}, discount)
    return (compare.similar_pairs(name, sets, threshold),
            compare.reachable_matches(name, sets, reach, threshold), len(mine) - len(sets))


def analyse(course, assignment, threshold=None, submission_threshold=None, scheduler=None):
    """The Result of comparing every submission of ``assignment`` in ``course``; with
    ``scheduler`` (a Dask scheduler's address, or a cluster.Cluster) each graded function is
    compared on a worker of that cluster (submissions are read and parsed here)."""
    threshold = THRESHOLD if threshold is None else threshold
    if submission_threshold is None:
        submission_threshold = SUBMISSION_THRESHOLD
    students = students_of(course, assignment)
    result = Result(assignment, threshold, students, submission_threshold)
    units, result.unreadable = read_students(course, assignment, students)
    base = base_fingerprints(course, assignment)
    sources = reachable_units(course)
    whole, graded = {}, solutions.ASSIGNMENTS[assignment]
    mines = {name: {s: u[name] for s, u in units.items() if name in u} for name in graded}
    jobs = {name: (name, mines[name], base[name], sources, threshold) for name in graded}
    if scheduler is None:
        compared = {name: compare_function(*job) for name, job in jobs.items()}
    else:
        from ..round.cluster import compare_on  # dask.distributed is an optional extra
        compared = compare_on(scheduler, jobs, compare_function)
    for name in graded:
        mine = mines[name]
        whole[name] = {s: frozenset(u.fingerprint.hashes) - base[name] for s, u in mine.items()}
        pairs, found, result.not_compared[name] = compared[name]
        result.pairs += pairs
        result.reachable += found
        for match in pairs + found:
            for student in match.students:
                result.units[(name, student)] = mine[student]
            if match.source:
                result.units[(name, match.source)] = next(u for u in sources
                                                          if u.author == match.source)
    result.pairs, result.reachable = compare.ranked(result.pairs), compare.ranked(result.reachable)
    result.submissions = submissions.submission_pairs(whole, submission_threshold)
    for match in result.submissions:
        for name in match.functions:
            for student in match.students:
                result.units[(name, student)] = units[student][name]
    return result


# ---------------------------------------------------------------------------------- output

def table(result, limit=50):
    """The ranked table for the terminal: pairs and reachable matches together, then the
    pairs of submissions."""
    rows = [(m.similarity, m.function, " ~ ".join(m.students) if not m.source else
             f"{m.students[0]} ~ {m.source}") for m in compare.ranked(result.pairs
                                                                      + result.reachable)]
    lines = [f"{result.assignment}: {len(result.students)} students, threshold "
             f"{result.threshold:g}: {len(result.pairs)} pairs, {len(result.reachable)} "
             "matches with code students can reach"]
    if rows:
        lines += ["", f"{'similarity':>10s}  {'function':22s} who"]
        lines += [f"{score:>10.2f}  {function:22s} {printable(who)}"
                  for score, function, who in rows[:limit]]
        if len(rows) > limit:
            lines.append(f"... and {len(rows) - limit} more (all in the HTML and JSON)")
    lines += ["", (f"submissions: {len(result.submissions)} pairs at or above "
                   f"{result.submission_threshold:g} (functions' worth of rare code in common, "
                   "short functions included)")]
    if result.submissions:
        lines += [f"{'score':>10s}  {'functions':22s} who"]
        lines += [(f"{m.score:>10.2f}  {plural(len(m.functions), 'function'):22s} "
                   f"{printable(' ~ '.join(m.students))}: {', '.join(m.functions)}")
                  for m in result.submissions[:limit]]
        if len(result.submissions) > limit:
            lines.append(f"... and {len(result.submissions) - limit} more (all in the HTML "
                         "and JSON)")
    if result.unreadable:
        lines += ["", ("not (fully) compared: a notebook or cell could not be read or parsed, "
                       "or a function reaches more helpers than are followed")]
        lines += [f"  {printable(s)}: {printable('; '.join(why))[:200]}"
                  for s, why in sorted(result.unreadable.items())]
    return "\n".join(lines)


def plural(count, word):
    return f"{count} {word}" + ("" if count == 1 else "s")


def printable(text):
    """A student string safe for a terminal: no control characters (escapes)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def write_whole(path, text):
    """Replace ``path`` with ``text`` at once (a failure never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", delete=False, dir=path.parent,
                                         prefix=f".{path.name}.")
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise
    return path


def saved_path(course, assignment):
    return Path(course) / "similarity" / f"{assignment}.json"


def run(course, assignment, *, threshold=None, json_path=None, html_path=None,
        out=sys.stdout, scheduler=None):
    """Compare every submission of ``assignment``: print the ranked table to ``out``, write
    the HTML report (default ``similarity/<assignment>.html`` in the course), the JSON at
    ``json_path`` and in ``similarity/<assignment>.json`` (for ``export``). Returns 0, or 1
    when there is no submission. ``scheduler``: compare on a Dask cluster (see analyse)."""
    course = Path(course)
    if not students_of(course, assignment):
        print(f"{assignment}: no submission in {course / 'submitted'}", file=out)
        return 1
    result = analyse(course, assignment, threshold, scheduler=scheduler)
    data = json.dumps(result.as_json(), indent=1)
    write_whole(saved_path(course, assignment), data)
    if json_path:
        write_whole(json_path, data)
    page = write_whole(html_path or course / "similarity" / f"{assignment}.html",
                       html.report(result))
    print(table(result), file=out)
    print(f"\nwrote {page}" + (f" and {json_path}" if json_path else ""), file=out)
    return 0


# ---------------------------------------------------------------------------------- export

def saved_result(course, assignment):
    """The saved JSON of the last run for ``assignment``, or None."""
    try:
        data = json.loads(saved_path(course, assignment).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def best_match_text(saved, assignment, student):
    """The export cell: the student's highest similarity of one function with its partner or
    source, e.g. ``0.93 hw2_layers affine_backward ~ bob``, then their highest pair of
    submissions, e.g. ``3.10 hw2_layers submission (6 functions) ~ carol``, joined by
    ``; ``; empty when nothing reached the thresholds."""
    if not saved:
        return ""
    found = [(p["similarity"], p["function"], next(s for s in p["students"] if s != student))
             for p in saved.get("pairs", []) if student in p.get("students", [])
             and len(p["students"]) == 2]
    found += [(r["similarity"], r["function"], r["source"]) for r in saved.get("reachable", [])
              if r.get("student") == student]
    whole = [(p["score"], len(p["functions"]), next(s for s in p["students"] if s != student))
             for p in saved.get("submissions", []) if student in p.get("students", [])
             and len(p["students"]) == 2]
    parts = []
    if found:
        score, function, other = max(found, key=lambda f: f[0])
        parts.append(f"{score:.2f} {assignment} {function} ~ {other}")
    if whole:
        score, count, other = max(whole, key=lambda f: f[0])
        parts.append(f"{score:.2f} {assignment} submission ({plural(count, 'function')}) "
                     f"~ {other}")
    return "; ".join(parts)
