"""leaky_relu_forward and leaky_relu_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``). The hidden cases are relu's with a slope
alpha drawn in [0.05, 0.3], away from the default 0.01 (a function that ignores its alpha
shows), but for the batch of one, which uses the default; at exactly 0 the slope is alpha.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.pairs import Pair
from ...judging.recipes import (
    LARGE,
    SEVERAL,
    away_from_zero,
    case,
    large_elementwise,
    scaled,
    zeros_case,
)

ZERO_RULE = "the contract says the slope is alpha for x <= 0, so at exactly 0 too"


def with_alpha(make):
    """Leaky relu's recipe: a slope drawn in [0.05, 0.3], away from the default 0.01."""
    def leaky(rng):
        args, _ = make(rng)
        return args, {"alpha": float(rng.uniform(0.05, 0.3))}
    return leaky


CASES = (case(SEVERAL, with_alpha(scaled((5, 3, 2)))),
         case("a batch of one, default alpha", scaled((1, 6))),
         case("exact zeros in x", with_alpha(zeros_case), "zeros"),
         case(LARGE, with_alpha(large_elementwise), "large"))
PAIR = Pair("leaky_relu", CASES, ("x",), zero_rule=ZERO_RULE)
CHECKS = PAIR.checks()
NOTEBOOK_CHECKS = in_notebook.pair_checks(
    "leaky_relu", lambda rng: ((away_from_zero(rng, (4, 5), 0.1),), {"alpha": 0.05}))


def by_hand_numbers():
    """alpha = 0.1, x = (-2, 0, 3), dout = (5, 5, 5): {"dx": (3,)}."""
    _, cache = solutions.leaky_relu_forward(np.array([-2.0, 0.0, 3.0]), alpha=0.1)
    return {"dx": solutions.leaky_relu_backward(np.full(3, 5.0), cache)}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('leaky_relu_backward', 'leaky_relu', by_hand_numbers)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
