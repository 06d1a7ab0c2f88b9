"""tanh_forward and tanh_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``), and tanh_forward is held to the stability the
contract asks for ("stays finite without overflow", ``STABLE``) on inputs of huge magnitude.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.pairs import Pair
from ...judging.recipes import (
    HUGE,
    HUGE_PROMISE,
    LARGE,
    ONE,
    SEVERAL,
    case,
    huge_case,
    large_elementwise,
    scaled,
)

STABLE = HUGE_PROMISE

CASES = (case(SEVERAL, scaled((5, 3, 2), 2.0)), case(ONE, scaled((1, 6), 2.0)),
         case(HUGE, huge_case, "huge"), case(LARGE, large_elementwise, "large"))
PAIR = Pair("tanh", CASES, ("x",), stable=STABLE)
CHECKS = PAIR.checks()
NOTEBOOK_CHECKS = in_notebook.pair_checks(
    "tanh", lambda rng: ((2 * rng.standard_normal((4, 5)),), {}))


def by_hand_numbers():
    """x = (0, artanh 0.5), dout = (1, 2): {"dx": (2,)}."""
    _, cache = solutions.tanh_forward(np.array([0.0, np.arctanh(0.5)]))
    return {"dx": solutions.tanh_backward(np.array([1.0, 2.0]), cache)}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('tanh_backward', 'tanh', by_hand_numbers)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
