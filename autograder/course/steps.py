"""Thin steps over an nbgrader course directory: run nbgrader as the instructor would."""
import os
import subprocess
import sys
from pathlib import Path

import solutions

from .build import TEMPLATES, build_assignment

# What ``ensure_config`` gives a course that has none (the repository's own nbgrader_config.py
# is this text; tests/course/test_build.py keeps the two equal).
NBGRADER_CONFIG = """\
# nbgrader configuration of the backproplab course directory (this repository).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "backproplab"
# A test cell the student deleted comes back from the gradebook instead of needing a manual grade.
c.OverwriteCells.add_missing_cells = True
"""


class CourseError(RuntimeError):
    """An nbgrader step failed; the message names the step, the course and the output."""


def nbgrader(course, *args, timeout=600):
    """Run ``nbgrader ARGS`` in ``course`` with this interpreter's environment.

    nbgrader starts ``alembic`` and kernels by name, so the interpreter's bin folder goes
    first on PATH. Returns the completed process; raises CourseError on failure."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise CourseError(f"nbgrader {' '.join(args)} failed in {course}:\n{tail}")
    return proc


def check_assignment(assignment):
    if assignment not in solutions.ASSIGNMENTS:
        known = ", ".join(solutions.ASSIGNMENTS)
        raise CourseError(f"unknown assignment {assignment!r}: the assignments are {known}")


def ensure_config(course):
    """Give ``course`` the kit's nbgrader_config.py if it has none."""
    config = Path(course) / "nbgrader_config.py"
    if not config.exists():
        config.write_text(NBGRADER_CONFIG)


def build(course, assignments, templates=None):
    """Build ``source/<assignment>/`` of ``course`` from the templates and the solutions: the
    course's own ``templates/`` when it has them, else the kit's."""
    templates = Path(templates) if templates else Path(course) / "templates"
    if not templates.exists():
        templates = TEMPLATES
    written = []
    for assignment in assignments:
        check_assignment(assignment)
        written += build_assignment(assignment, templates, Path(course) / "source")
    return written


def release(course, assignments):
    """``nbgrader generate_assignment`` for each assignment: writes ``release/<assignment>/``."""
    ensure_config(course)
    for assignment in assignments:
        check_assignment(assignment)
        nbgrader(course, "generate_assignment", assignment, "--force")
    return [Path(course) / "release" / a for a in assignments]
