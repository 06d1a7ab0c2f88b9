"""Write reports into nbgrader's gradebook, so formgrader, feedback and export work as usual.

Each graded function's score lands on its test cell ``test_<name>``. Written answers stay
"needs manual grade" as nbgrader leaves them. A submission with errors (a notebook that is
not JSON, a missing notebook) gets no score on the cells it could not grade: they stay
None and need a manual grade, and the report's flags say why; nothing graded is lost.
So does every cell of a student the grader failed (flag ``grading_failed`` or
``time_budget``): an earlier score is not left standing, and no 0 is invented.
"""
import os
import sys
import tempfile
import warnings

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from .course import nbgrader


# nbgrader's Gradebook runs the ``alembic`` command on a new database: find it beside Python.
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


GRADER_FAILED = ("grading_failed", "time_budget")  # flag codes: the grader owes this student


def db_url(course, url=None):
    return url or f"sqlite:///{course}/gradebook.db"


def ensure_assignment(course, assignment, url=None):
    """The assignment and its cells are in the gradebook (nbgrader generate_assignment, its
    student version written to a scratch folder: ``release/`` is left as it is)."""
    with Gradebook(db_url(course, url)) as gb:
        try:
            a = gb.find_assignment(assignment)
            if a.notebooks:
                return
        except MissingEntry:
            pass
    extra = [f"--CourseDirectory.db_url={url}"] if url else []
    with tempfile.TemporaryDirectory() as scratch:  # grading never rewrites release/
        nbgrader(course, "generate_assignment", assignment, "--force",
                 f"--CourseDirectory.release_directory={scratch}", *extra)


def record(course, assignment, student, report, url=None):
    """Store one student's report: auto scores per test cell, untouched manual cells."""
    failed = any(f.get("code") in GRADER_FAILED for f in report.get("flags", []))
    with Gradebook(db_url(course, url)) as gb, warnings.catch_warnings():
        # nbgrader's own create-submission path trips SQLAlchemy's autoflush warning
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                name = grade.name[len("test_"):] if grade.name.startswith("test_") else None
                function = report["functions"].get(name) if name else None
                if function is None:
                    continue
                unreadable = any(c.get("kind") == "unreadable_notebook" for c in function["checks"])
                if unreadable or failed:
                    grade.auto_score = None
                    grade.needs_manual_grade = True
                else:
                    grade.auto_score = float(function["score"])
                    grade.needs_manual_grade = False
        gb.db.commit()
