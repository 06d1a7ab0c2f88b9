"""mse_loss (hw2): everything the grader knows about it.

Checked as every loss is (``judging/losses.py``): the loss values and dpred against the
reference, dpred against finite differences of the student's own loss, the arguments left
unchanged. Hidden cases: a batch of several examples, a batch of one, targets with several
axes per example, a large batch.
"""
from ...judging import in_notebook
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
