"""tanh_forward and tanh_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``), and tanh_forward is held to the stability the
contract asks for ("stays finite without overflow", ``STABLE``) on inputs of huge magnitude.
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

CASES = (case(SEVERAL, scaled((5, 3, 2), 2.0)), case(ONE, scaled((1, 6), 2.0)),
         case(HUGE, huge_case, "huge"), case(LARGE, large_elementwise, "large"))
PAIR = Pair("tanh", CASES, ("x",), stable=STABLE)
CHECKS = PAIR.checks()
NOTEBOOK_CHECKS = in_notebook.pair_checks(
    "tanh", lambda rng: ((2 * rng.standard_normal((4, 5)),), {}))
