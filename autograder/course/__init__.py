"""Building the course: notebooks from the teaching templates and the solutions, and the
nbgrader steps over a course directory (``steps``)."""
from .steps import (
    NBGRADER_CONFIG,
    CourseError,
    build,
    check_assignment,
    ensure_config,
    nbgrader,
    release,
)

__all__ = ["NBGRADER_CONFIG", "CourseError", "build", "check_assignment", "ensure_config",
           "nbgrader", "release"]
