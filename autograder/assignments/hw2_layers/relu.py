"""relu_forward and relu_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``). The hidden cases: a batch of several
examples, a batch of one, exact zeros in x (where the contract says the derivative is 0: a
backward wrong only there is ``wrong_at_zeros``, told the rule), and a large input.
"""
from ...judging import in_notebook
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
