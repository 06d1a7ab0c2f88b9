"""Grade a whole class: every ``submitted/<student>/<assignment>/`` of a course, in parallel.

Each report is saved next to nbgrader's autograded folder as it completes, so a run that
was killed resumes where it stopped, and a re-run grades only what changed (the
fingerprint covers the submission's files and the grader's code). Scores go to the
gradebook from this process only (one writer), feedback to ``feedback/<student>/``.
"""
import json
import os
import shutil
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tqdm.auto import tqdm

from . import course as steps
from . import feedback, gradebook
from .grading import failed_report, grade_submission, submission_fingerprint


def students_of(course, assignment):
    root = Path(course) / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())


def report_path(course, assignment, student):
    return Path(course) / "autograded" / student / assignment / "backproplab.json"


def cached(course, assignment, student):
    path = report_path(course, assignment, student)
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text())
    except ValueError:
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
    (``autograded/<student>/<assignment>/``), so written answers can be graded by hand there."""
    source = Path(course) / "submitted" / student / assignment
    target = report_path(course, assignment, student).parent
    for path in source.glob("*.ipynb"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        shutil.copy(path, target / path.name)


def safe_grade(course, assignment, student, limits):
    """grade_submission, with a grader failure turned into a flagged report."""
    try:
        return grade_submission(course, assignment, student, limits)
    except Exception as err:  # the grader's own bug must not lose the rest of the class
        detail = traceback.format_exception_only(type(err), err)[-1].strip()
        return failed_report(assignment, f"the grader failed on this submission: {detail}")


def prepare_course(course, assignment, db_url=None):
    """Make a course directory gradable: config, source notebooks, gradebook entries."""
    steps.check_assignment(assignment)
    steps.ensure_config(course)
    if not (Path(course) / "source" / assignment).is_dir():
        steps.build(course, [assignment])
    gradebook.ensure_assignment(course, assignment, db_url)


def grade_all(course, assignment, jobs=1, json_path=None, limits=None, db_url=None,
              progress=True):
    """Grade every submission of ``assignment``; returns {student: report}."""
    course = Path(course).resolve()
    prepare_course(course, assignment, db_url)
    students = students_of(course, assignment)
    reports, todo = {}, []
    for student in students:
        previous = cached(course, assignment, student)
        if previous is None:
            todo.append(student)
        else:
            reports[student] = previous
    bar = tqdm(total=len(students), initial=len(reports), desc=f"grading {assignment}",
               disable=not progress, unit="student")
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(safe_grade, str(course), assignment, s, limits): s for s in todo}
        for future in as_completed(futures):
            student = futures[future]
            reports[student] = future.result()
            save(course, assignment, student, reports[student])
            bar.update(1)
            bar.set_postfix_str(student)
    bar.close()
    for student in students:
        gradebook.record(course, assignment, student, reports[student], db_url)
        feedback.write(course, assignment, student, reports[student])
        copy_for_formgrader(course, assignment, student)
    reports = {s: reports[s] for s in students}
    if json_path:
        Path(json_path).write_text(json.dumps({"students": reports}, indent=1))
    return reports
