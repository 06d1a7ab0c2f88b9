"""Comparing a student's values beyond ``diagnose``: named slips, and lists of arrays.

A ``Slip`` is a usual mistake of one graded function, computed in the judge on the very
inputs of a hidden case: its ``kind``, the ``message`` the student reads, and ``value``, what
the mistake returns there (an array, a list of arrays, or whatever the check compares). When
the student's value is a slip's value (and the right value is not), the check names the slip
instead of saying "wrong values". ``what`` keeps a slip to one of a function's arrays.
"""
from typing import NamedTuple

import numpy as np

from .described import count_against, value_kind
from .diagnose import Diagnosis, diagnose
from .judge import REF_RTOL, as_float_array


class Slip(NamedTuple):
    kind: str
    message: str
    value: object = None
    what: str = None


def matches(got, expected):
    """Whether the student's ``got`` is right (within REF_RTOL) and finite."""
    return diagnose(got, expected, function="", check="", what="out", rtol=REF_RTOL).ok


def all_close(got, candidate):
    """Whether the list ``got`` holds arrays close to those of the list ``candidate``."""
    if not isinstance(got, (tuple, list)) or len(got) != len(candidate):
        return False
    arrays = [as_float_array(g) for g in got]
    return all(a is not None and a.shape == c.shape and
               np.allclose(a, c, rtol=1e-7, atol=1e-12, equal_nan=True)
               for a, c in zip(arrays, candidate, strict=False))


def first_slip(got, slips):
    """The Diagnosis of the first of ``slips`` whose list of arrays ``got`` matches, or None."""
    return next((Diagnosis(s.kind, s.message) for s in slips if all_close(got, s.value)), None)


def compare_list(got, expected, tally, function, check, what, **options):
    """How many arrays of the list ``got`` match ``expected``; each failing verdict goes to
    the Tally ``tally`` (noted, not counted)."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        size = count_against(len(got), len(expected), "item") \
            if isinstance(got, (tuple, list)) else value_kind(got)
        tally.note(Diagnosis("wrong_structure", f"{function}: {what} must be a list with one "
                             f"array per param ({len(expected)} here); it is {size}."))
        return 0
    return sum([tally.note(diagnose(g, e, function=function, check=check, what=f"{what}[{k}]",
                                    **options), g, e)
                for k, (g, e) in enumerate(zip(got, expected, strict=False))])


def explained(tally, wrong, named):
    """Notes in ``tally`` the failures of one case held in the Tally ``wrong``: ``named``, the
    slip that explains them all when there is one (a Diagnosis, or None or empty), else each of
    them. (Callers look for the slip only when something failed.)"""
    if named:
        tally.note(named)
    else:
        tally.extend(wrong)


SIGMAS = 5.0  # statistical bounds: a correct submission fails one with probability < 1e-6


def state_not_carried(name, step, what):
    """The first steps of a chain match, step ``step + 1`` does not: ``what`` to check."""
    return Diagnosis("state_not_carried", f"{name}: your first step(s) match but step "
                     f"{step + 1} of a chain does not: check that {what}.")
