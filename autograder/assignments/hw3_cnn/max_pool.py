"""max_pool_forward and max_pool_backward (hw3): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``). The hidden cases: distinct values in 2 x 2
windows; ties for a window's maximum (the contract sends the gradient to the first in
row-major order: a backward wrong only there is ``wrong_at_ties``, told the rule); non-square
windows (``non_square_window``); overlapping windows sharing their maximum (its gradient is
the sum of theirs: ``wrong_at_overlaps``); sizes that do not divide evenly by the stride
(``non_divisible_size``); a large input. In every case the first channel of the first
example is entirely negative, so a maximum started at 0 always shows.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.pairs import Pair
from ...judging.recipes import LARGE, case, distinct

TIE_RULE = ("the contract says the gradient goes to one of the tied entries: the first in "
            "row-major order")


def pool_case(shape, ph, pw, stride, values=distinct):
    """``values(rng, shape)`` with the first channel of the first example made entirely
    negative (a maximum started at 0 always shows)."""
    def make(rng):
        x = values(rng, shape)
        x[0, 0] -= x[0, 0].max() + 0.5
        return (x,), {"pool_height": ph, "pool_width": pw, "stride": stride}
    return make


def windows(shape, ph, pw, stride):
    """(row slice, column slice) of every pooling window over an (H, W) plane."""
    h, w = shape[-2:]
    return [(slice(r * stride, r * stride + ph), slice(c * stride, c * stride + pw))
            for r in range(1 + (h - ph) // stride) for c in range(1 + (w - pw) // stride)]


def tied(rng, shape, ph=2, pw=2, stride=2):
    """Distinct values, then in half of the windows of every channel (drawn by ``rng``) the
    window's maximum copied to another of its entries: ties for the maximum, with the copy
    before the original (in row-major order) in some windows and after it in others."""
    x = distinct(rng, shape)
    spots = windows(shape, ph, pw, stride)
    for plane in np.ndindex(*shape[:2]):
        for rows, cols in (spots[i] for i in rng.permutation(len(spots))[:len(spots) // 2]):
            window = x[plane][rows, cols]
            top = np.argmax(window)
            other = (top + 1 + rng.integers(window.size - 1)) % window.size
            window.flat[other] = window.flat[top]
    return x


def shared_maximum(rng, shape):
    """Distinct values whose largest entry in every channel sits where four 3 x 3 windows
    of stride 2 overlap (rows and columns 2, 4, ...): it is the maximum of all four, and
    its gradient is the sum of theirs."""
    x = distinct(rng, shape)
    h, w = shape[-2:]
    for plane in np.ndindex(*shape[:2]):
        r = 2 * (1 + rng.integers((h - 3) // 2))
        c = 2 * (1 + rng.integers((w - 3) // 2))
        x[plane][r, c] = x[plane].max() + 1.0
    return x


CASES = (
    # (3, 2, 2, 3)
    case("2 x 2 windows, stride 2, no ties", pool_case((3, 2, 4, 6), 2, 2, 2)),
    case("ties inside windows", pool_case((3, 2, 4, 6), 2, 2, 2, tied), "ties"),
    # (3, 2, 3, 3): windows 3 tall and 2 wide, stride 3 (no overlap, whatever the values);
    # a width computed from pool_height gives 2
    case("non-square windows (3 tall, 2 wide)", pool_case((3, 2, 9, 8), 3, 2, 3),
         "non_square"),
    # (3, 2, 3, 4): 3 x 3 windows, stride 2, one maximum shared by four windows
    case("overlapping windows sharing their maximum",
         pool_case((3, 2, 7, 9), 3, 3, 2, shared_maximum), "overlaps"),
    # (1, 2, 3, 4): 9 - 2 = 7 and 12 - 2 = 10 leave a remainder 1 (floor)
    case("a batch of one, stride 3, sizes that do not divide evenly",
         pool_case((1, 2, 9, 12), 2, 2, 3), "non_divisible"),
    # (1, 4, 25, 20): 2000 windows, 128,000 entries of x
    case(LARGE, pool_case((1, 4, 200, 160), 8, 8, 8), "large"),
)


def pool_window(kwargs):
    return (kwargs.get("pool_height", 2), kwargs.get("pool_width", 2), kwargs.get("stride", 2))


def window(args, kwargs):
    """(window height and width, stride, padding 0) of a case."""
    return (kwargs["pool_height"], kwargs["pool_width"]), kwargs["stride"], 0


def tie_mask(x, kwargs):
    """Entries of x that tie with another entry for the maximum of a pooling window."""
    mask = np.zeros(x.shape, dtype=bool)
    for rows, cols in windows(x.shape, *pool_window(kwargs)):
        win = x[:, :, rows, cols]
        top = win == win.max(axis=(2, 3), keepdims=True)
        mask[:, :, rows, cols] |= top & (top.sum(axis=(2, 3), keepdims=True) > 1)
    return mask


def overlap_mask(x, kwargs):
    """Entries of x that are the maximum of more than one pooling window."""
    count = np.zeros(x.shape, dtype=int)
    for rows, cols in windows(x.shape, *pool_window(kwargs)):
        win = x[:, :, rows, cols]
        count[:, :, rows, cols] += win == win.max(axis=(2, 3), keepdims=True)
    return count > 1


def kink_masks(case_, x, kwargs):
    """The masks of ``diagnose`` on a case: ties and shared maxima, where the case has them."""
    return {"tie_mask": tie_mask(x, kwargs) if case_.has("ties") else None,
            "overlap_mask": overlap_mask(x, kwargs) if case_.has("overlaps") else None}


PAIR = Pair("max_pool", CASES, ("x",), window=window, kink_masks=kink_masks,
            tie_rule=TIE_RULE)
CHECKS = PAIR.checks()
NOTEBOOK_CHECKS = in_notebook.pair_checks(
    "max_pool", lambda rng: ((rng.permutation(2 * 2 * 4 * 4).reshape(2, 2, 4, 4) * 0.1,), {}))


def by_hand_numbers():
    """The two cases of 3.2 (dout = ((1, 2), (3, 4))), one channel as the notebook writes them:
    {"dx_no_overlap": (4, 4), 2x2 windows with stride 2; "dx_overlap": (3, 3), stride 1}."""
    dout = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    x = np.array([[1.0, 3, 2, 0], [4, 2, 1, 5], [0, 1, 7, 2], [3, 6, 1, 0]]).reshape(1, 1, 4, 4)
    _, cache = solutions.max_pool_forward(x)
    no_overlap = solutions.max_pool_backward(dout, cache)
    x = np.array([[1.0, 2, 0], [3, 5, 1], [0, 4, 6]]).reshape(1, 1, 3, 3)
    _, cache = solutions.max_pool_forward(x, 2, 2, 1)
    overlap = solutions.max_pool_backward(dout, cache)
    return {"dx_no_overlap": no_overlap[0, 0], "dx_overlap": overlap[0, 0]}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('max_pool_backward', 'max_pool', by_hand_numbers)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
