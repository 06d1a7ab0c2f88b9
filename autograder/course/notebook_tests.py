"""The hidden test cells of the source notebooks: ``run_hidden_check(NAME, globals())``.

nbgrader runs them when it autogrades or validates (the build writes them, see build.py
``HIDDEN_TEST``). Each graded function's check and its inputs are in its module of
``autograder/assignments/`` (``NOTEBOOK_CHECKS``), made from ``judging/in_notebook.py``. A
failure raises AssertionError with a short message; nothing prints hidden inputs.
``backproplab grade`` does not use them: its judge is ``autograder/judging/``.
"""
from functools import lru_cache

import numpy as np

from ..judging import registry


@lru_cache(maxsize=1)
def checks():
    """{graded name: check(namespace)} of every assignment."""
    return registry.notebook_checks()


def run_hidden_check(name, namespace, points=None):
    """Run the simple hidden check of the graded function ``name`` (raises on failure). A
    backward with a small case worked by hand (``judging/by_hand.py``) returns the points it
    earned when it earned only part of its ``points``: the test cell's output, which nbgrader
    reads as partial credit."""
    check = checks()[name]
    with np.errstate(all="ignore"):
        if points is not None and getattr(check, "takes_points", False):
            return check(namespace, points=points)
        check(namespace)
        return None
