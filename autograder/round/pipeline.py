"""Grade a whole class: every ``submitted/<student>/<assignment>/`` of a course, in parallel.

Each report is saved next to nbgrader's autograded folder as it completes, so a run that
was killed resumes where it stopped, and a re-run grades only what changed (the
fingerprint covers the submission's files and the grader's code). Scores go to the
gradebook from this process only (one writer), feedback to ``feedback/<student>/``.

Nothing in one submission can stop the run: a symlinked student or assignment folder is
refused (a flagged report scoring 0, never followed); any exception while handling a student
(reading, fingerprinting, saving, the gradebook, feedback) becomes that student's report
flagged ``grading_failed``; a worker that outlives the per-student time budget is recorded as
``time_budget`` and killed, and a worker that dies is retried once on its own. Those two kinds
of report are listed by ``failed_students`` and graded again on the next run.
"""
import json
import os
import signal
import sys
import time
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm.auto import tqdm

from .. import course as steps
from ..judging.registry import checks_of
from ..judging.weights import course_weights
from ..sandbox.containment import choose
from ..sandbox.runner import Limits
from . import feedback, gradebook
from .grading import failed_report, grade_submission, submission_fingerprint
from .submission import load_notebook, refused_folder

FAILED = gradebook.GRADER_FAILED  # flag codes of a report the grader owes a student
MARGIN_SECONDS = 60       # beyond the child's own budget, before a worker is given up
KILL_GRACE_SECONDS = 5    # between SIGTERM (the worker cleans up its child) and SIGKILL


def students_of(course, assignment):
    """Every student with ``submitted/<student>/<assignment>``, symlinked ones included (they
    are listed so that they get a flagged report; nothing follows them)."""
    root = Path(course) / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if (p / assignment).is_symlink() or (p / assignment).is_dir())


def report_path(course, assignment, student):
    return Path(course) / "autograded" / student / assignment / "backproplab.json"


def failed_students(reports):
    """The students whose report says the grader failed them (the CLI should exit non-zero)."""
    return sorted(s for s, r in reports.items()
                  if any(f.get("code") in FAILED for f in r.get("flags", [])))


def cached(course, assignment, student):
    """The saved report if the submission and the grader are unchanged (never a failed one)."""
    path = report_path(course, assignment, student)
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text())
    except ValueError:
        return None
    if failed_students({student: saved.get("report", {})}):
        return None
    folder = Path(course) / "submitted" / student / assignment
    return saved["report"] if saved.get("fingerprint") == submission_fingerprint(folder) else None


def save(course, assignment, student, report):
    path = report_path(course, assignment, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(course) / "submitted" / student / assignment
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fingerprint": submission_fingerprint(folder), "report": report},
                              indent=1))
    os.replace(tmp, path)


def copy_for_formgrader(course, assignment, student):
    """Put the student's readable notebooks where formgrader looks for them
    (``autograded/<student>/<assignment>/``), so written answers can be graded by hand there.
    Only regular files that load as notebooks are copied (as read, never through a link)."""
    if refused_folder(course, student, assignment):
        return
    source = Path(course) / "submitted" / student / assignment
    target = report_path(course, assignment, student).parent
    for path in sorted(source.glob("*.ipynb")):
        nb = load_notebook(path, [])
        if nb is not None:
            (target / path.name).write_text(json.dumps(nb, indent=1), encoding="utf-8")


def failure(assignment, step, err):
    """The report of a student whose handling raised ``err`` while ``step``."""
    detail = traceback.format_exception_only(type(err), err)[-1].strip()[:300]
    print(f"backproplab: the grader failed on a submission while {step}: {detail}",
          file=sys.stderr)  # the instructor's console; the report names only the class
    return failed_report(assignment, f"the grader failed on this submission while {step} "
                         f"({type(err).__name__}).")


def with_failure(report, assignment, step, err):
    """``report`` with a grading_failed flag added: what was graded stays visible."""
    flag = failure(assignment, step, err)["flags"][0]
    return {**report, "errors": [*report.get("errors", []), flag["message"]],
            "flags": [*report.get("flags", []), flag]}


def safe_grade(course, assignment, student, limits, containment=None):
    """grade_submission, with a grader failure turned into a flagged report."""
    chosen = {} if containment is None else {"containment": containment}
    try:
        return grade_submission(course, assignment, student, limits, **chosen)
    except Exception as err:  # the grader's own bug must not lose the rest of the class
        return failure(assignment, "grading", err)


def prepare_course(course, assignment, db_url=None):
    """Make a course directory gradable: config, source notebooks, gradebook entries."""
    steps.check_assignment(assignment)
    steps.ensure_config(course)
    if not (Path(course) / "source" / assignment).is_dir():
        steps.build(course, [assignment])
    gradebook.ensure_assignment(course, assignment, db_url)


def known_report(course, assignment, student, containment):
    """(report, new) decided without grading: a refused folder (a symlink: 0, flagged) or a
    failure reading it (new, to be saved), or the cached report; (None, True) when the
    student must be graded."""
    try:
        refused = refused_folder(course, student, assignment)
        if refused:
            return failed_report(assignment, refused.message, code=refused.code), True
        previous = cached(course, assignment, student)
        if previous and (previous.get("containment") != containment.label or
                         previous.get("weights", {}) != course_weights(course, assignment)):
            previous = None  # graded at another containment level or with other weights
        return previous, previous is None
    except Exception as err:
        return failure(assignment, "reading the submission", err), True


def grade_all(course, assignment, jobs=1, json_path=None, limits=None, db_url=None,
              progress=True, containment=None, students=None, force=False, scheduler=None):
    """Grade every submission of ``assignment`` (or only ``students``, leaving everyone
    else's results as they are); returns {student: report}, each with its
    ``submission_time`` (see gradebook.SubmissionTime). A submission graded before and
    unchanged since is not graded again unless ``force``. Reports of the students the grader
    failed carry a ``grading_failed`` or ``time_budget`` flag (``failed_students``); everyone
    else is graded and recorded regardless. ``containment`` is the level to grade at
    (default: the best this machine offers; raises ContainmentUnavailable before anything
    runs when it offers none). With ``scheduler`` (a Dask scheduler's address, or a
    cluster.Cluster already connected) each student is graded on a worker of that cluster
    instead (see cluster.py): the workers' containment counts, not this machine's."""
    course = Path(course).resolve()
    steps.check_assignment(assignment)  # an unknown assignment is named as such
    checks_of(assignment)  # a check module that can't be loaded stops the run here, loudly
    cluster = None
    if scheduler is not None:
        from .cluster import connected  # dask.distributed is an optional extra
        cluster = connected(scheduler)  # refuses workers that offer no containment
    containment = cluster.containment if cluster else containment or choose()  # none: refuse
    prepare_course(course, assignment, db_url)
    try:
        course_weights(course, assignment)
    except ValueError as err:  # a malformed weights.json: say so before grading anyone
        raise steps.CourseError(str(err)) from None
    students = chosen_students(course, assignment, students)
    reports, todo, recorded = {}, [], set()
    bar = tqdm(total=len(students), desc=f"grading {assignment}", disable=not progress,
               unit="student")

    def done(student, report):
        """A report just made: saved and recorded at once, while the workers grade on (the
        gradebook's writes then overlap the grading instead of following it)."""
        try:
            save(course, assignment, student, report)
        except Exception as err:
            report = with_failure(report, assignment, "saving the report", err)
        reports[student] = record(course, assignment, student, report, db_url)
        recorded.add(student)
        bar.update(1)
        bar.set_postfix_str(student)

    for student in students:
        known, new = known_report(course, assignment, student, containment)
        if force and known is not None and not new:
            known = None  # graded before, graded again
        if known is None:
            todo.append(student)
        elif new:
            done(student, known)
        else:
            reports[student] = known
            bar.update(1)
    if cluster is None:
        grade_in_workers(course, assignment, todo, limits, containment, jobs, done)
    else:
        cluster.grade(course, assignment, todo, limits, done, close=cluster is not scheduler)
    bar.close()
    for student in students:
        if student not in recorded:  # a cached report: its record is made again
            reports[student] = record(course, assignment, student, reports[student], db_url)
    reports = {s: reports[s] for s in students}
    if json_path:
        Path(json_path).write_text(json.dumps({"students": reports}, indent=1))
    return reports


def chosen_students(course, assignment, wanted=None):
    """Every student who submitted ``assignment``, or those of ``wanted`` (in the order
    given, each once); a wanted id without a submission is a CourseError naming it."""
    submitted = students_of(course, assignment)
    if wanted is None:
        return submitted
    missing = [s for s in wanted if s not in submitted]
    if missing:
        raise steps.CourseError(
            f"no submission of {assignment} from {', '.join(map(repr, missing))} (looked for "
            f"{Path(course) / 'submitted'}/<student>/{assignment}/; "
            f"{len(submitted)} students have one)")
    return list(dict.fromkeys(wanted))


def with_submission_time(course, assignment, student, report, when):
    """``report`` with its ``submission_time`` and, when ``timestamp.txt`` could not be used,
    a ``bad_timestamp`` flag (saved, so export shows it; replaced on every run)."""
    flags = [f for f in report.get("flags", []) if f.get("code") != "bad_timestamp"]
    if when.problem:
        flags.append({"code": "bad_timestamp", "severity": "warning", "message": when.problem})
    if flags != report.get("flags", []):
        report = {**report, "flags": flags}
        save(course, assignment, student, report)
    stamp = when.timestamp.isoformat(sep=" ") + " UTC" if when.timestamp else None
    return {**report, "submission_time": {"timestamp": stamp, "seconds_late": when.seconds_late,
                                          "penalty": round(when.penalty, 6),
                                          "summary": when.describe()}}


def record(course, assignment, student, report, db_url=None):
    """Gradebook (scores, submission time, late penalty), feedback and the formgrader copy
    for one student; a failure on the way turns into that student's flagged report (saved,
    and recorded as needing a manual grade)."""
    try:
        when = gradebook.record(course, assignment, student, report, db_url)
        report = with_submission_time(course, assignment, student, report, when)
        feedback.write(course, assignment, student, report)
        copy_for_formgrader(course, assignment, student)
        return report
    except Exception as err:
        report = with_failure(report, assignment, "recording the grade", err)
    for step in (lambda: save(course, assignment, student, report),
                 lambda: gradebook.record(course, assignment, student, report, db_url)):
        try:
            step()
        except Exception:
            pass  # already flagged; the next run grades this student again
    return report


# ------------------------------------------------------------------- workers and their budget

def student_budget(limits):
    """Seconds a worker may take for one student before it is given up: the child's own
    budget, its start-up and a margin for the judge."""
    limits = limits or Limits()
    return limits.student_seconds + limits.startup_seconds + MARGIN_SECONDS


def exit_on_sigterm():
    """Worker initializer: SIGTERM unwinds the worker, so its student's child is cleaned up."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def grade_in_worker(course, assignment, student, limits, containment):
    """safe_grade in a pool worker, which exits once SIGTERM has unwound the grading."""
    try:
        return safe_grade(course, assignment, student, limits, containment)
    except SystemExit:
        os._exit(1)


def new_pool(jobs):
    return ProcessPoolExecutor(max_workers=max(1, jobs), initializer=exit_on_sigterm)


def kill_pool(pool):
    """Stop a pool whose workers may be stuck: idle workers leave on their own, the others
    get SIGTERM (their grading unwinds and closes the student's child), then SIGKILL.
    (The executor keeps its worker processes in ``_processes``; there is no public way.)"""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for stop, grace in ((None, 1.0), ("terminate", KILL_GRACE_SECONDS), ("kill", 1.0)):
        for worker in workers:
            if stop and worker.is_alive():
                getattr(worker, stop)()
        deadline = time.monotonic() + grace
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        if not any(worker.is_alive() for worker in workers):
            return


def grade_in_workers(course, assignment, students, limits, containment, jobs, done):
    """Grade ``students`` in ``jobs`` worker processes, calling ``done(student, report)`` for
    each. At most ``jobs`` students are in flight, so each one's clock starts when a worker
    takes it. A student over budget is reported and the pool replaced (the others in flight
    start again); when a worker dies, the students in flight become suspects, retried one at
    a time at the end: one that breaks a worker on its own too is reported."""
    queue, suspects = deque(students), deque()
    pool, running, budget = new_pool(jobs), {}, student_budget(limits)

    def submit(student, alone):
        nonlocal pool
        try:
            future = pool.submit(grade_in_worker, str(course), assignment, student, limits,
                                 containment)
        except BrokenProcessPool:  # a worker died between students: those in flight will say so
            kill_pool(pool)
            pool = new_pool(jobs)
            future = pool.submit(grade_in_worker, str(course), assignment, student, limits,
                                 containment)
        running[future] = (student, time.monotonic() + budget, alone)

    try:
        while queue or suspects or running:
            if suspects and not queue and not running:
                submit(suspects.popleft(), alone=True)
            while queue and len(running) < max(1, jobs):
                submit(queue.popleft(), alone=False)
            first = min(deadline for _, deadline, _ in running.values())
            finished, _ = wait(running, timeout=max(0.0, first - time.monotonic()),
                               return_when=FIRST_COMPLETED)
            died = stuck = False
            for future in finished:
                student, _, alone = running.pop(future)
                try:
                    report = future.result()
                except BrokenProcessPool:
                    died = True
                    if not alone:
                        suspects.append(student)
                        continue
                    report = failed_report(assignment, "the grader failed on this submission: "
                                           "its grading process died, beside others and alone")
                except Exception as err:
                    report = failure(assignment, "receiving the report", err)
                done(student, report)
            now = time.monotonic()
            for future in [f for f, (_, deadline, _) in running.items() if deadline <= now]:
                student, _, _ = running.pop(future)
                stuck = True
                done(student, failed_report(assignment, "time budget used up: grading this "
                     f"submission took over {budget:.0f} s and was stopped", code="time_budget"))
            if died or stuck:  # a dead or stuck worker: the others in flight start again
                for student, _, _ in running.values():
                    (suspects if died else queue).appendleft(student)
                running.clear()
                kill_pool(pool)
                pool = new_pool(jobs)
    finally:
        kill_pool(pool)
