"""relu_forward and relu_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``). The hidden cases: a batch of several
examples, a batch of one, exact zeros in x (where the contract says the derivative is 0: a
backward wrong only there is ``wrong_at_zeros``, told the rule), and a large input.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.pairs import Pair
from ...judging.recipes import (
    LARGE,
    ONE,
    SEVERAL,
    away_from_zero,
    case,
    large_elementwise,
    scaled,
    zeros_case,
)

ZERO_RULE = "the contract says the derivative of relu at exactly 0 is 0"

CASES = (case(SEVERAL, scaled((5, 3, 2))), case(ONE, scaled((1, 6))),
         case("exact zeros in x", zeros_case, "zeros"), case(LARGE, large_elementwise, "large"))
PAIR = Pair("relu", CASES, ("x",), zero_rule=ZERO_RULE)
CHECKS = PAIR.checks()
NOTEBOOK_CHECKS = in_notebook.pair_checks(
    "relu", lambda rng: ((away_from_zero(rng, (4, 5), 0.1),), {}))


def by_hand_numbers():
    """x = (-2, 0, 3), dout = (5, 5, 5): {"dx": (3,)}."""
    _, cache = solutions.relu_forward(np.array([-2.0, 0.0, 3.0]))
    return {"dx": solutions.relu_backward(np.full(3, 5.0), cache)}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('relu_backward', 'relu', by_hand_numbers)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
