"""mse_loss, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py)."""

import pytest
from support import LOSS_BY_HAND_ONLY, corpus_test, loss_share
from test_hw2_layers import assert_costs_its_points

from autograder.round.samples import Sample, with_bug

A = "hw2_layers"

MSE_MEAN = '''\
def mse_loss(pred, target):
    loss = np.mean((pred - target) ** 2)
    dpred = 2 * (pred - target) / pred.size
    return loss, dpred
'''


MSE_SIGN = '''\
def mse_loss(pred, target):
    N = pred.shape[0]
    loss = np.sum((pred - target) ** 2) / N
    dpred = 2 * (target - pred) / N
    return loss, dpred
'''


# Trivial losses with the gradient that agrees with them: the scores summed (handed back), and
# a constant.
MSE_ECHO = '''\
def mse_loss(pred, target):
    return float(np.sum(pred)), np.ones_like(pred)
'''

MSE_CONSTANT = '''\
def mse_loss(pred, target):
    return 1.0, np.zeros_like(pred)
'''


CORPUS = [
    Sample("c2_mse_mean", "mse averaged over every entry", answers={"mse_loss": MSE_MEAN}),
    Sample("c2_mse_echo", "mse returns the sum of pred and a gradient of ones",
           answers={"mse_loss": MSE_ECHO}),
    Sample("c2_mse_constant", "mse returns a constant and a zero gradient",
           answers={"mse_loss": MSE_CONSTANT}),
    Sample("c2_mse_sign", "mse gradient of target - pred", answers={"mse_loss": MSE_SIGN}),
    Sample("batch", "mse gradient without 1/N", answers={
        "mse_loss": with_bug("mse_loss", "dpred = 2.0 * diff / n", "dpred = 2.0 * diff")}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # never right (divides by N * D), but an honest loss: its consistent gradient keeps its
    # finite-difference credit (error carried forward; it got 0.0 before)
    "c2_mse_mean": {"mse_loss": (loss_share(0, 1, 0), "wrong_values")},
    # trivial losses: agreeing with them earns nothing (but the numbers worked by hand)
    "c2_mse_echo": {"mse_loss": (LOSS_BY_HAND_ONLY, "forward_trivial")},
    "c2_mse_constant": {"mse_loss": (LOSS_BY_HAND_ONLY, "forward_ignores_input")},
    "c2_mse_sign": {"mse_loss": (loss_share(1, 0, 0), "sign_flipped")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


# Slips handed in beside the class (the grading corpus's first students): (student, function,
# its diagnosis kind, the fraction of its points it keeps). Backward checks weigh 3 (finite
# differences of your forward), 3 (reference, every case and gradient), 1 (shapes), 1
# (arguments unchanged); forward 4 (values) and 1; losses 3, 3, 3, 1, and 1 for "stays finite
# without overflow" (softmax_loss, bce_loss, sigmoid and tanh forward).
MISTAKES = [
    # dpred right on the batch of one only
    ("batch", "mse_loss", "scaled_by_batch", (3 + 0 + 3 * 1 / 4 + 1 + 1) / 11),
]


@pytest.mark.parametrize("student, function, kind, expected", MISTAKES)
def test_each_mistake_costs_its_points_and_is_named(graded, student, function, kind, expected):
    assert_costs_its_points(graded(A)[student], function, kind, expected)
