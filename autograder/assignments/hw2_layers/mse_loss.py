"""mse_loss (hw2): everything the grader knows about it.

Checked as every loss is (``judging/losses.py``): the loss values and dpred against the
reference, dpred against finite differences of the student's own loss, the arguments left
unchanged. Hidden cases: a batch of several examples, a batch of one, targets with several
axes per example, a large batch.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.grades import CheckSpec
from ...judging.losses import Loss
from ...judging.recipes import LARGE_BATCH, ONE, SEVERAL, case

GRADIENT = CheckSpec("dpred matches the reference", "gradient", 3)


def mse_case(shape):
    return lambda rng: ((rng.standard_normal(shape), rng.standard_normal(shape)), {})


CASES = (case(SEVERAL, mse_case((5, 3))), case(ONE, mse_case((1, 3))),
         case("targets with several axes per example", mse_case((4, 3, 2))),
         case(LARGE_BATCH, mse_case((500, 200)), "large"))
LOSS = Loss("mse_loss", CASES, "dpred", GRADIENT)
CHECKS = LOSS.checks()
NOTEBOOK_CHECKS = in_notebook.loss_check(
    "mse_loss", lambda rng: (rng.standard_normal((5, 3)), rng.standard_normal((5, 3))))


def by_hand_numbers():
    """pred = ((1, 2), (3, 4)), target all ones: {"loss": (), "dpred": (2, 2)}."""
    loss, dpred = solutions.mse_loss(np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((2, 2)))
    return {"loss": loss, "dpred": dpred}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('mse_loss', 'mse_loss', by_hand_numbers, batch=2, beside=10)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
