"""conv_forward and conv_backward (hw3): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``). The hidden cases cover stride and padding,
non-square filters (a filter's height taken for its width shows in the output's shape:
``non_square_window``), sizes that do not divide evenly by the stride (the contract rounds
down: ``non_divisible_size``), a batch of one, and a large input where only a derived gradient
finishes in time. Small enough that a naive loop conv takes well under a second.
"""
from ...judging import in_notebook
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
