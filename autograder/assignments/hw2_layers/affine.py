"""affine_forward and affine_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``): values, gradients against finite differences
of the student's own forward and against the reference, shapes, arguments left unchanged. The
hidden cases: a batch of several examples, a batch of one, inputs with several axes per example
(dx must get the shape of the original x back), and a large input where only a derived
gradient finishes in time. N, D and M differ in every case, so a transposed dw never hides.
"""
import numpy as np

from ...judging import in_notebook
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
CHECKS = PAIR.checks()


def notebook_inputs(rng):
    return (rng.standard_normal((3, 2, 3)), rng.standard_normal((6, 4)),
            rng.standard_normal(4)), {}


NOTEBOOK_CHECKS = in_notebook.pair_checks("affine", notebook_inputs)
