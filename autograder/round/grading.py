"""Grade one student's submission of one assignment: the runner records, the judge decides.

``grade_submission`` returns the report of ../shared/DESIGN.md's pipeline for one student:
``{"score", "max_score", "functions": {NAME: {"score", "max_score", "checks": [...]}},
"errors": [...], "flags": [...], "timing": {...}}``. It never raises on a bad submission:
whatever can't be graded becomes a flag and the functions it touches score 0 with a reason.
"""
import hashlib
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import solutions

from ..judging.described import exception_name, outgoing, outgoing_report
from ..judging.grades import GRADED, NOTEBOOK_READABLE, FunctionGrade
from ..judging.judge import Judge, failure
from ..judging.registry import checks_of
from ..judging.weights import course_weights
from ..sandbox.runner import Limits, StudentError, StudentProcess
from .submission import (
    NOTEBOOK_MAX_BYTES,
    Flag,
    find_notebooks,
    hash_regular_file,
    kind_of,
    load_notebook,
    prepare,
    refused_folder,
    refused_kind,
    walk_entries,
)

ROOT = Path(__file__).resolve().parents[2]


def source_notebooks(course, assignment):
    """{notebook file name: source notebook dict} of the assignment."""
    folder = Path(course) / "source" / assignment
    return {p.name: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.ipynb"))}


def points_by_function(sources):
    """{graded name: (notebook name, points)} from the source notebooks' test cells."""
    points = {}
    for name, nb in sources.items():
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            gid = meta.get("grade_id", "")
            if meta.get("grade") and gid.startswith("test_"):
                points[gid[len("test_"):]] = (name, float(meta.get("points", 0)))
    return points


@lru_cache(maxsize=1)
def one_blas_thread():
    """Limits this process's BLAS to one thread, once. Graders run one per core, each beside
    its student's child, so a BLAS pool of its own only competes for the cores and spins
    between calls (measured: hw2 graded about 20 % faster at --jobs 2)."""
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1, user_api="blas")  # kept: the limit lasts


@lru_cache(maxsize=1)
def grader_version():
    """A fingerprint of the grader and the reference: a change re-grades everyone.
    Read once per process (the code doesn't change under a running grader)."""
    digest = hashlib.sha256()
    for folder in ("autograder", "solutions"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


FINGERPRINT_READ_BYTES = 100 * 1024**2  # over a whole submission; beyond, size and mtime


def submission_fingerprint(folder):
    """The grader's version and everything under ``folder`` (its first FOLDER_MAX_ENTRIES
    entries), never following a link: regular files by content, read in chunks and at most
    NOTEBOOK_MAX_BYTES each (beyond, by size and mtime), anything else by name and kind."""
    digest = hashlib.sha256(grader_version().encode())
    refused = refused_kind(folder)
    if refused:
        digest.update(refused.encode())
        return digest.hexdigest()
    budget = FINGERPRINT_READ_BYTES
    for relative, info in walk_entries(folder):
        digest.update(f"\0{relative}\0{kind_of(info)}\0".encode())
        if kind_of(info) == "file":
            budget -= hash_regular_file(digest, Path(folder) / relative,
                                        cap=max(0, min(NOTEBOOK_MAX_BYTES, budget)))
    return digest.hexdigest()


SECRET = Path(".backproplab") / "secret"  # in the course root; never in source/ or release/


def course_secret(course):
    """The course's secret salt for hidden inputs, made on first use (readable by its owner
    only): students who read the grader's code still can't compute their hidden inputs.
    Made whole before it appears (a link), so parallel graders never read half a secret."""
    path = Path(course) / SECRET
    if not path.exists():
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another grader made it first: use theirs
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def student_seed(course, assignment, student):
    """128 bits from the course secret, the assignment and the student id."""
    digest = hashlib.sha256(f"{course_secret(course)}/{assignment}/{student}".encode())
    return int.from_bytes(digest.digest()[:16], "big")


@dataclass
class Submission:
    """What grading one submission needs: the cells to run as (index, source), the readable
    notebooks, the flags found on the way, and {graded name: (notebook, points)}."""

    cells: list
    readable: set
    flags: list
    points: dict
    labels: dict = field(default_factory=dict)  # cell index: the cell in the grader's words


def read_submission(course, assignment, student, folder=None):
    """The submission ``submitted/<student>/<assignment>/`` of ``course``, or the one in
    ``folder`` (read where it lies, as Gradescope hands it over: never copied, no link in it
    followed)."""
    sources = source_notebooks(course, assignment)
    points = points_by_function(sources)
    refused = None  # a folder given is refused by find_notebooks if it is not one
    if folder is None:
        folder = Path(course) / "submitted" / student / assignment
        refused = refused_folder(course, student, assignment)
    found, flags = ({n: None for n in sources}, [refused]) if refused else \
        find_notebooks(folder, list(sources))
    graded = solutions.ASSIGNMENTS[assignment]
    cells, readable, labels = [], set(), {}
    for name, path in found.items():
        if path is None:
            continue
        nb = load_notebook(path, flags)
        if nb is None:
            continue
        prepared = prepare(nb, sources[name], name, graded)
        flags += prepared.flags
        offset = len(cells)
        cells += [(offset + i, src) for i, src in prepared.cells]
        labels.update({offset + i: label for i, label in prepared.labels.items()})
        readable.add(name)
    return Submission(cells, readable, flags, points, labels)


def grade_submission(course, assignment, student, limits=None, containment=None, folder=None):
    """Grade ``submitted/<student>/<assignment>/`` of ``course`` (or ``folder``, read where it
    lies); returns the report dict. ``containment`` is the level to run the student's code at
    (default: the best this machine offers; refuses, raising ContainmentUnavailable, when it
    offers none)."""
    start = time.monotonic()
    submission = read_submission(course, assignment, student, folder)
    seed, weights = student_seed(course, assignment, student), course_weights(course, assignment)
    return grade_prepared(submission, assignment, seed, weights, limits, containment, start)


def grade_prepared(submission, assignment, seed, weights, limits=None, containment=None,
                   start=None):
    """The report of a Submission ``read_submission`` prepared, graded with hidden inputs
    drawn from ``seed`` and ``weights``: what a Dask worker does with what the client read
    (it needs no course folder). ``start`` is when the reading began (for the timing)."""
    start = time.monotonic() if start is None else start
    one_blas_thread()
    cells, readable, flags, points = (submission.cells, submission.readable, submission.flags,
                                      submission.points)
    checks = checks_of(assignment)  # every check loads, or nothing runs (RegistryError)
    functions, timing, walls = judge_all(cells, checks, points, readable, seed, weights,
                                         limits, flags, containment, submission.labels)
    report = {
        "score": round(sum(f["score"] for f in functions.values()), 6),
        "max_score": round(sum(f["max_score"] for f in functions.values()), 6),
        "functions": functions,
        "errors": [f.message for f in flags if f.severity == "error"],
        "flags": [f.as_dict() for f in flags],
        "timing": timing,
        "containment": walls.label,
        "weights": weights,
        "walls": list(walls.walls),
    }
    timing["total"] = time.monotonic() - start
    timing["judging"] = max(0.0, timing["total"] - timing["startup"] - timing["student_code"])
    for part, seconds in timing.items():  # the student's code sets them: a tenth of a second
        timing[part] = round(seconds, 1)
    return outgoing_report(report)


def judge_all(cells, checks, points, readable, seed, weights, limits, flags,
              containment=None, labels=None):
    timing = {"startup": 0.0, "student_code": 0.0, "judging": 0.0}
    with StudentProcess(cells, limits or Limits(), containment) as proc:
        functions = judge_functions(proc, seed, checks, points, readable, weights)
        flags += cell_flags(proc, labels or {}) + not_derived_flags(functions)
        timing["startup"] = proc.timing["startup"]
        timing["student_code"] = proc.timing["cells"] + proc.timing["calls"]
    return functions, timing, proc.containment


def judge_functions(proc, seed, checks, points, readable, weights, names=None):
    """{name: function report} for ``names`` (default: every name ``checks`` holds, the
    registry's {graded name: check} of an assignment, in its order), judged in ``proc`` with
    hidden inputs drawn from ``seed``. ``points`` maps a name to (its notebook, its points);
    ``readable`` holds the notebooks that could be read."""
    judge = Judge(proc, seed)
    functions = {}
    for name in checks if names is None else names:
        notebook, max_score = points.get(name, (None, 0.0))
        grade = FunctionGrade(name, max_score, weights=weights)
        if notebook not in readable:
            grade.checks = [NOTEBOOK_READABLE.check(
                0.0, f"{name} could not be graded: its notebook {notebook} is missing or "
                "unreadable.", "unreadable_notebook")]
        elif name not in checks:
            grade.checks = [GRADED.check(0.0, f"{name} has no hidden check in this version of "
                                         "the grader; grade it by hand.", "no_check")]
        elif proc.budget_left() <= 0:
            grade.checks = [budget_used_up(name, proc)]
        else:
            proc.begin(name)
            grade.checks = run_checks(checks[name], judge, name)
        functions[name] = grade.as_report()
    return functions


def cell_flags(proc, labels):
    """Warnings for the cells that failed when the grader ran them (the first few), each
    named by ``labels`` ({index: the cell in the grader's words}, from the source's cell ids;
    a cell's place in the student's notebook is the student's to choose) and its exception
    by its built-in class."""
    failed = [o for o in sorted(proc.outcomes.values(), key=lambda o: o.index) if not o.ok]
    flags = []
    for outcome in failed[:5]:
        what = {"timeout": "did not finish in time and was skipped",
                "crashed": "stopped the grading process and was skipped",
                "budget": "was not run: the time budget was used up"}.get(
            outcome.error, f"raised {exception_name(outcome.exception, outcome.mro)}")
        where = labels.get(outcome.index, "a code cell")
        flags.append(Flag("cell_failed", "warning", f"{where} {what}."))
    return flags


def not_derived_flags(functions):
    """A warning for each function whose gradient credit was withheld as not derived, with
    the evidence, for the instructor to look at (the grader cannot tell intent)."""
    flags = []
    for name, report in functions.items():
        withheld = next((c for c in report["checks"] if c["kind"] == "not_derived"), None)
        if withheld is not None:
            flags.append(Flag("not_derived", "warning", f"{name}: gradient credit withheld. "
                              f"{withheld['message']}"))
    return flags


def budget_used_up(name, proc):
    if proc.given_up:
        return GRADED.check(0.0, f"{name} was not graded: calls of the functions before it "
                            "timed out again and again, so the grader stopped running this "
                            "submission (look for endless loops or sleeps).", "time_budget")
    return GRADED.check(0.0, f"{name} was not graded: the time budget of "
                        f"{proc.limits.student_seconds:g} s for this submission was used up "
                        "by the functions before it (slow or endless code, or a process that "
                        "kept crashing).", "time_budget")


def run_checks(check, judge, name):
    try:
        checks = check(judge)
    except StudentError as err:  # a process that gave up: no more checks can run
        if err.kind == "budget":
            return [budget_used_up(name, judge.proc)]
        said = failure(err, name)  # the runner's words, or a built-in exception's name
        return [GRADED.check(0.0, f"{name} could not be graded: {said.message}", said.kind)]
    if judge.proc.budget_left() <= 0:  # checks cut short by the budget: say so
        checks = [c if c.fraction >= 1 else c.spec.check(
            c.fraction, "not finished: the time budget for this submission was used up.",
            "time_budget") for c in checks]
    return checks


def failed_report(assignment, message, code="grading_failed"):
    """The report of a submission the grader itself could not process (never a silent 0)."""
    graded = solutions.ASSIGNMENTS.get(assignment, [])
    message = outgoing(message)
    return {"score": 0.0, "max_score": 0.0, "functions": {n: {"score": 0.0, "max_score": 0.0,
            "checks": []} for n in graded}, "errors": [message],
            "flags": [Flag(code, "error", message).as_dict()], "timing": {}}
