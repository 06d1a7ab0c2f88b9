"""softmax_loss (hw2): everything the grader knows about it.

Checked as every loss is (``judging/losses.py``): the loss values and dx against the
reference, dx against finite differences of the student's own loss, the arguments left
unchanged, and the stability the contract asks for (``STABLE``) on scores of magnitude 1e3,
one row of each behaviour that breaks an unshifted softmax.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.grades import CheckSpec
from ...judging.losses import Loss
from ...judging.recipes import LARGE_BATCH, ONE, SEVERAL, case

GRADIENT = CheckSpec("dx matches the reference", "gradient", 3)
STABLE = ("for scores of magnitude 1e3: finite, no NumPy warning, loss and dx within 1e-7 "
          "(relative) of the exact ones, even where a label's probability underflows to 0")


def softmax_case(n, c, scale=2.0):
    def make(rng):
        return (scale * rng.standard_normal((n, c)), rng.permutation(np.arange(n) % c)), {}
    return make


def scores_huge(rng):
    """5 x 6 scores of magnitude ~1e3, one row of each behaviour (rows in random order):
    the label's probability underflows to 0 (its score 800 to 1500 below the row's
    maximum); the label is the maximum and above 709 (exp overflows without a shift); every
    score below -800 (exp underflows to 0 without a shift); two scores tie for the maximum,
    the label one of them; scores 1e3 apart from 0 but within a few units of each other."""
    n, c = 5, 6
    x = np.empty((n, c))
    y = np.empty(n, dtype=np.int64)
    for row, behaviour in zip(rng.permutation(n), range(n), strict=False):
        cols = rng.permutation(c)
        top = rng.uniform(720, 1000)
        scores = top - rng.uniform(5, 1500, c)
        label = cols[1]
        if behaviour == 0:      # the label's probability underflows to 0
            scores[cols[0]] = top
            scores[label] = top - rng.uniform(800, 1500)
        elif behaviour == 1:    # the label is the maximum, above 709
            scores[label] = top
        elif behaviour == 2:    # every score very negative
            scores = -rng.uniform(800, 1000, c)
        elif behaviour == 3:    # two maxima tie, the label one of them
            scores[cols[0]] = scores[label] = top
        else:                   # far from 0, close together
            scores = top + rng.uniform(-4, 4, c)
        x[row], y[row] = scores, label
    return (x, y), {}


MAGNITUDE_1E3 = "scores of magnitude 1e3"
CASES = (case(SEVERAL, softmax_case(6, 4)), case(ONE, softmax_case(1, 4)),
         case(MAGNITUDE_1E3, scores_huge, "huge"),
         case(LARGE_BATCH, softmax_case(2000, 50), "large"))
LOSS = Loss("softmax_loss", CASES, "dx", GRADIENT, stable=STABLE)
CHECKS = LOSS.checks()
NOTEBOOK_CHECKS = in_notebook.loss_check(
    "softmax_loss", lambda rng: (rng.standard_normal((5, 4)), rng.integers(0, 4, 5)))


def by_hand_numbers():
    """Scores s = ((2, 1, 0),), label y = (0,): {"loss": (), "dx": (1, 3)}."""
    loss, dx = solutions.softmax_loss(np.array([[2.0, 1.0, 0.0]]), np.array([0]))
    return {"loss": loss, "dx": dx}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('softmax_loss', 'softmax_loss', by_hand_numbers, beside=11)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
