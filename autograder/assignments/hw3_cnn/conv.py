"""conv_forward and conv_backward (hw3): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``). The hidden cases cover stride and padding,
non-square filters (a filter's height taken for its width shows in the output's shape:
``non_square_window``), sizes that do not divide evenly by the stride (the contract rounds
down: ``non_divisible_size``), a batch of one, and a large input where only a derived gradient
finishes in time. Small enough that a naive loop conv takes well under a second.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.pairs import Pair
from ...judging.recipes import LARGE, case, upstream


def conv_case(x_shape, w_shape, stride, pad):
    def make(rng):
        return ((rng.standard_normal(x_shape), rng.standard_normal(w_shape),
                 upstream(rng, (w_shape[0],))), {"stride": stride, "pad": pad})
    return make


def window(args, kwargs):
    """(filter height and width, stride, padding) of a case."""
    return args[1].shape[2:], kwargs["stride"], kwargs["pad"]


# Output sizes (N, F, H', W'), with H' = 1 + (H + 2 pad - HH) // stride:
CASES = (
    # (3, 4, 4, 3)
    case("stride 1, no padding", conv_case((3, 2, 6, 5), (4, 2, 3, 3), 1, 0)),
    # (3, 4, 4, 5): 2 x 3 filters; taking WW for HH (or back) changes the output's shape
    case("non-square filters", conv_case((3, 2, 5, 7), (4, 2, 2, 3), 1, 0), "non_square"),
    # (3, 4, 4, 3): 7 + 2 - 3 and 5 + 2 - 3 divide by 2
    case("stride 2, padding 1", conv_case((3, 2, 7, 5), (4, 2, 3, 3), 2, 1)),
    # (3, 4, 4, 3): 8 + 2 - 3 = 7 and 6 + 2 - 3 = 5 leave a remainder 1 (floor)
    case("stride 2, sizes that do not divide evenly",
         conv_case((3, 2, 8, 6), (4, 2, 3, 3), 2, 1), "non_divisible"),
    # (1, 3, 3, 4): 5 + 4 - 3 = 6 and 8 + 4 - 3 = 9 divide by 3
    case("a batch of one, padding 2, stride 3", conv_case((1, 2, 5, 8), (3, 2, 3, 3), 3, 2)),
    # (1, 1, 50, 60): 3000 windows, 108,000 entries of x
    case(LARGE, conv_case((1, 4, 150, 180), (1, 4, 3, 3), 3, 0), "large"),
)
PAIR = Pair("conv", CASES, ("x", "w", "b"), noun="filters", window=window)
CHECKS = PAIR.checks()


def notebook_inputs(rng):
    return (rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3)),
            rng.standard_normal(2)), {"stride": 2, "pad": 1}


NOTEBOOK_CHECKS = in_notebook.pair_checks("conv", notebook_inputs)


def by_hand_numbers():
    """The case of 2.3 (N = C = F = 1, 3x3 x, 2x2 w, b = 0, stride 1, no padding), as the
    notebook writes it: {"dx": (3, 3), "dw": (2, 2), "db": (1,)}."""
    x = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 1.0, 1.0]]).reshape(1, 1, 3, 3)
    w = np.array([[1.0, -1.0], [2.0, 0.0]]).reshape(1, 1, 2, 2)
    _, cache = solutions.conv_forward(x, w, np.zeros(1))
    dx, dw, db = solutions.conv_backward(np.array([[1.0, 0.0], [-1.0, 2.0]]).reshape(1, 1, 2, 2),
                                         cache)
    return {"dx": dx[0, 0], "dw": dw[0, 0], "db": db}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('conv_backward', 'conv', by_hand_numbers)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
