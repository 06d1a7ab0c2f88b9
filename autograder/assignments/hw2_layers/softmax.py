"""softmax_forward and softmax_backward (hw2): everything the grader knows about them.

Checked as every layer is (``judging/pairs.py``); softmax_forward is held to the stability the
contract asks for on scores of magnitude 1e3. The layer's own mistakes are named
(``slips``): a softmax taken down the columns (``softmax_wrong_axis``), a Jacobian reduced to
its diagonal (``jacobian_diagonal_only``), the loss's shortcut in a layer (``loss_shortcut``),
and a backward divided by N is told that a layer does not average.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.compare import Slip
from ...judging.kinds import Kind, declare
from ...judging.pairs import Pair
from ...judging.recipes import LARGE, ONE, SEVERAL, case, signed

KINDS = declare(
    Kind("softmax_wrong_axis", "a softmax over the batch (down the columns), not along rows"),
    Kind("jacobian_diagonal_only", "only the diagonal of each row's softmax Jacobian kept"),
    Kind("loss_shortcut", "softmax followed by cross-entropy's shortcut, with dout as labels, "
         "in a layer that is not a loss"),
)
STABLE = ("for scores of magnitude 1e3: finite, no NumPy warning, and within 1e-7 (relative) "
          "of the exact values, even where every exp of a row overflows or underflows")

WRONG_AXIS = ("this is what a softmax taken down the columns (over the batch, axis 0) gives, "
              "not one along each row: the contract's softmax turns every example's row of C "
              "scores into C probabilities that sum to 1.")
DIAGONAL_ONLY = ("this is what keeping only the diagonal of each row's Jacobian gives (the "
                 "case i = j, as for an elementwise function). Every output of a row depends "
                 "on every score of that row, so the entries with i != j contribute to dx "
                 "too.")
LOSS_SHORTCUT = ("this is the shortcut of softmax followed by cross-entropy, with dout in "
                 "the place of the labels. softmax_backward is a layer on its own: dout is any "
                 "upstream gradient, and dx is each row's Jacobian applied to it.")
LAYER_NOT_LOSS = (" softmax_backward is a layer, not a loss: the 1/N of an averaged loss is "
                  "already inside dout, so a layer does not divide by N again.")


def softmax_along(x, axis):
    """The judge's softmax of ``x`` along ``axis`` (to recognise a mistake, not to grade)."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def slips(args, kwargs, dout):
    """What softmax over the columns, a diagonal-only Jacobian and the loss's shortcut
    return on these inputs (see ``Pair.slips``)."""
    (x,) = args
    columns = softmax_along(x, 0)
    if dout is None:
        return [Slip("softmax_wrong_axis", WRONG_AXIS, columns)]
    y = softmax_along(x, 1)
    column_jacobian = columns * (dout - (dout * columns).sum(axis=0, keepdims=True))
    return [Slip("jacobian_diagonal_only", DIAGONAL_ONLY, dout * y * (1.0 - y)),
            Slip("loss_shortcut", LOSS_SHORTCUT, y - dout),
            Slip("loss_shortcut", LOSS_SHORTCUT, (y - dout) / len(x)),
            Slip("softmax_wrong_axis", WRONG_AXIS, column_jacobian)]


def score_rows(n, c, scale=2.0):
    """(n, c) scores, both signs; n != c, so a softmax over the wrong axis or a transposed
    result always shows."""
    return lambda rng: ((scale * signed(rng, (n, c)),), {})


def scores_huge(rng):
    """4 x 6 scores of magnitude ~1e3, one row of each behaviour (rows in random order): the
    maximum above 709 (exp overflows without a shift); every score below -745 (exp
    underflows to 0 without a shift, and 0 / 0 follows); two scores tie for the maximum;
    scores 1e3 from 0 but within a few units of each other."""
    n, c = 4, 6
    x = np.empty((n, c))
    for i, behaviour in zip(rng.permutation(n), range(n), strict=False):
        top = rng.uniform(720, 1000)
        if behaviour == 0:      # a maximum whose exp overflows
            values = top - rng.uniform(5, 1500, c)
            values[rng.integers(c)] = top
        elif behaviour == 1:    # every exp underflows
            values = -rng.uniform(800, 1000, c)
        elif behaviour == 2:    # two maxima tie
            values = top - rng.uniform(0.5, 6, c)
            values[rng.permutation(c)[:2]] = top
        else:                   # far from 0, close together
            values = top + rng.uniform(-4, 4, c)
        x[i] = values
    return (x,), {}


MAGNITUDE_1E3 = "scores of magnitude 1e3"
CASES = (case(SEVERAL, score_rows(5, 4)), case(ONE, score_rows(1, 6)),
         case("more classes than examples", score_rows(3, 7)),
         case(MAGNITUDE_1E3, scores_huge, "huge"),
         case(LARGE, score_rows(1200, 50), "large"))
PAIR = Pair("softmax", CASES, ("x",), slips=slips, batch_notes=(("dx", LAYER_NOT_LOSS),),
            stable=STABLE)
CHECKS = PAIR.checks()
NOTEBOOK_CHECKS = in_notebook.pair_checks(
    "softmax", lambda rng: ((2 * rng.standard_normal((4, 5)),), {}))


def by_hand_numbers():
    """Both rows x = (ln 3, 0), dout = ((1, 0), (1, 1)): {"dx": (2, 2)}."""
    _, cache = solutions.softmax_forward(np.array([[np.log(3.0), 0.0]] * 2))
    return {"dx": solutions.softmax_backward(np.array([[1.0, 0.0], [1.0, 1.0]]), cache)}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('softmax_backward', 'softmax', by_hand_numbers)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
