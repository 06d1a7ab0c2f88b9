"""sigmoid_forward and sigmoid_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``), and sigmoid_forward is held to the stability
the contract asks for ("stays finite without overflow", ``STABLE``) on inputs of huge
magnitude (|x| from 720 to 2000, where exp overflows both ways).
"""
from ...judging import in_notebook
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

CASES = (case(SEVERAL, scaled((5, 3, 2), 3.0)), case(ONE, scaled((1, 6), 3.0)),
         case(HUGE, huge_case, "huge"), case(LARGE, large_elementwise, "large"))
PAIR = Pair("sigmoid", CASES, ("x",), stable=STABLE)
CHECKS = PAIR.checks()
NOTEBOOK_CHECKS = in_notebook.pair_checks(
    "sigmoid", lambda rng: ((3 * rng.standard_normal((4, 5)),), {}))
