"""affine_forward and affine_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``): values, gradients against finite differences
of the student's own forward and against the reference, shapes, arguments left unchanged. The
hidden cases: a batch of several examples, a batch of one, inputs with several axes per example
(dx must get the shape of the original x back), and a large input where only a derived
gradient finishes in time. N, D and M differ in every case, so a transposed dw never hides.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.pairs import Pair
from ...judging.recipes import LARGE, ONE, SEVERAL, case, upstream


def affine_case(x_shape, m):
    def make(rng):
        d = int(np.prod(x_shape[1:]))
        return (rng.standard_normal(x_shape), rng.standard_normal((d, m)) / np.sqrt(d),
                upstream(rng, (m,))), {}
    return make


CASES = (
    case(SEVERAL, affine_case((4, 5), 3)),
    case(ONE, affine_case((1, 5), 2)),
    case("inputs with several axes per example", affine_case((3, 2, 3, 2), 4)),
    case(LARGE, affine_case((200, 6, 50), 120), "large"),
)
PAIR = Pair("affine", CASES, ("x", "w", "b"))


def by_hand_numbers():
    """The prompt's small case (N = 2, D = 2, M = 1) through the reference affine_backward:
    {"dx": (2, 2), "dw": (2, 1), "db": (1,)}."""
    x, w, b = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[2.0], [-1.0]]), np.array([0.5])
    _, cache = solutions.affine_forward(x, w, b)
    dx, dw, db = solutions.affine_backward(np.array([[1.0], [-2.0]]), cache)
    return {"dx": dx, "dw": dw, "db": db}


BY_HAND_CASE = ByHand("affine_backward", "affine", by_hand_numbers)
CHECKS = with_by_hand(PAIR.checks(), BY_HAND_CASE)


def notebook_inputs(rng):
    return (rng.standard_normal((3, 2, 3)), rng.standard_normal((6, 4)),
            rng.standard_normal(4)), {}


NOTEBOOK_CHECKS = with_by_hand_in_notebook(in_notebook.pair_checks("affine", notebook_inputs),
                                           BY_HAND_CASE)
