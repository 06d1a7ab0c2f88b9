"""Write reports into nbgrader's gradebook, so formgrader, feedback and export work as usual.

Each graded function's score lands on its test cell ``test_<name>``. Written answers stay
"needs manual grade" as nbgrader leaves them. A submission with errors (a notebook that is
not JSON, a missing notebook) gets no score on the cells it could not grade: they stay
None and need a manual grade, and the report's flags say why; nothing graded is lost.
So does every cell of a student the grader failed (flag ``grading_failed`` or
``time_budget``): an earlier score is not left standing, and no 0 is invented.

The submission time comes from ``timestamp.txt`` (written by ``nbgrader collect``), and the
late penalty from nbgrader's own ``AssignLatePenalties`` with the course's configuration, as
``nbgrader autograde`` does: formgrader, ``nbgrader export`` and ``backproplab export`` then
show who was late and what it cost.
"""
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

from ..course import nbgrader
from .submission import NotReadable, read_regular_file, refused_kind

# nbgrader's Gradebook runs the ``alembic`` command on a new database: find it beside Python.
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")


GRADER_FAILED = ("grading_failed", "time_budget")  # flag codes: the grader owes this student
TIMESTAMP_MAX_BYTES = 200  # nbgrader writes one line such as "2026-11-26 17:15:08.123456 UTC"


@dataclass
class SubmissionTime:
    """When a submission was handed in and how late it is, as the gradebook has it.
    ``problem`` says why a ``timestamp.txt`` that is there could not be used."""
    timestamp: object = None  # a naive UTC datetime, as nbgrader stores it
    seconds_late: float = 0.0
    penalty: float = 0.0
    problem: str = None

    @property
    def late(self):
        return self.seconds_late > 0

    def describe(self):
        """E.g. "late by 2 h 5 min (penalty 3.0)", "on time", or "no submission time"."""
        if self.timestamp is None:
            return "no submission time"
        if not self.late:
            return "on time"
        penalty = f" (penalty {self.penalty:g})" if self.penalty else ""
        return f"late by {duration(self.seconds_late)}{penalty}"


def duration(seconds):
    """'3 d 4 h', '2 h 5 min', '7 min', '12 s'."""
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{secs} s"


def read_timestamp(course, assignment, student):
    """(datetime or None, problem or None) from ``submitted/<student>/<assignment>/
    timestamp.txt`` in nbgrader's format. The file sits in the student's folder, so it is
    read like a notebook (never through a link, at most TIMESTAMP_MAX_BYTES)."""
    folder = Path(course) / "submitted" / student / assignment
    if refused_kind(folder):
        return None, None
    path = folder / "timestamp.txt"
    if not os.path.lexists(path):
        return None, None
    try:
        text = read_regular_file(path, cap=TIMESTAMP_MAX_BYTES).decode("utf-8").strip()
        if not text:
            raise ValueError("it is empty")
        return parse_utc(text).replace(tzinfo=None), None
    except NotReadable as err:
        reason = ("it is too large to be a timestamp" if err.code == "too_large" else str(err))
    except (ValueError, OverflowError, UnicodeDecodeError) as err:
        # the file's text is the student's: only the kind of error is said
        reason = f"it does not hold a time nbgrader can read ({type(err).__name__})"
    return None, (f"timestamp.txt: {reason}; the submission time was not recorded")


def course_config(course):
    """The course's nbgrader configuration (``nbgrader_config.py``), as nbgrader loads it."""
    if not (Path(course) / "nbgrader_config.py").is_file():
        return None
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


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
    """Store one student's report: auto scores per test cell, untouched manual cells, the
    submission time when ``timestamp.txt`` gives one, then nbgrader's late penalty.
    Returns the student's SubmissionTime."""
    failed = any(f.get("code") in GRADER_FAILED for f in report.get("flags", []))
    timestamp, problem = read_timestamp(course, assignment, student)
    when = {"timestamp": timestamp} if timestamp else {}
    with Gradebook(db_url(course, url)) as gb, warnings.catch_warnings():
        # nbgrader's own create-submission path trips SQLAlchemy's autoflush warning
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment, student, **when)
        notebooks = [notebook.name for notebook in submission.notebooks]
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
    assign_late_penalties(course, assignment, student, notebooks, url)
    found = submission_times(course, assignment, url, [student]).get(student, SubmissionTime())
    found.problem = problem
    return found


def assign_late_penalties(course, assignment, student, notebooks, url=None):
    """nbgrader's AssignLatePenalties on each of the student's notebooks, configured by the
    course's ``nbgrader_config.py`` (e.g. ``c.LateSubmissionPlugin.penalty_method = "zero"``
    or a plugin class of the instructor's own), exactly as ``nbgrader autograde`` runs it."""
    config = course_config(course)
    for name in notebooks:
        penalties = AssignLatePenalties(**({"config": config} if config else {}))
        resources = {"nbgrader": {"notebook": name, "assignment": assignment,
                                  "student": student, "db_url": db_url(course, url)}}
        penalties.preprocess(nbformat.v4.new_notebook(), resources)


def submission_times(course, assignment, url=None, students=None):
    """{student: SubmissionTime} for the submissions of ``assignment`` in the gradebook (all,
    or only ``students``), lateness against the due date and any extension as nbgrader
    computes it now (a due date set after grading counts)."""
    with Gradebook(db_url(course, url)) as gb:
        if students is None:
            try:
                submissions = gb.find_assignment(assignment).submissions
            except MissingEntry:
                return {}
        else:  # one lookup each: recording one student must not load the whole class
            submissions = []
            for student in students:
                try:
                    submissions.append(gb.find_submission(assignment, student))
                except MissingEntry:
                    pass
        return {s.student.id: SubmissionTime(s.timestamp, float(s.total_seconds_late),
                                             float(s.late_submission_penalty or 0.0))
                for s in submissions}
