"""softmax_loss, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py); its
hidden recipes."""

import numpy as np
import pytest
from support import corpus_test, loss_share, made
from test_hw2_layers import assert_costs_its_points

from autograder.assignments.hw2_layers import softmax_loss
from autograder.round.samples import UNSTABLE_SOFTMAX, Sample

A = "hw2_layers"

SOFTMAX_LOG_OF_PROBS = '''\
def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    N = x.shape[0]
    correct_logprobs = -np.log(probs[np.arange(N), y])
    loss = np.sum(correct_logprobs) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
'''


SOFTMAX_SUMMED = '''\
def softmax_loss(x, y):
    z = x - x.max(axis=1)[:, None]
    p = np.exp(z) / np.exp(z).sum(axis=1)[:, None]
    loss = -np.sum(z[range(len(y)), y] - np.log(np.exp(z).sum(axis=1)))
    dx = p.copy()
    dx[range(len(y)), y] -= 1
    return loss, dx
'''


SOFTMAX_LOSS_COMPLEX_STEP = '''\
def cross_entropies(x, y):
    shifted = x - x.real.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(x.shape[0]), y]


def softmax_loss(x, y):
    n = x.shape[0]
    loss = cross_entropies(x, y).real.mean()
    dx = np.zeros(x.shape)
    for j in range(x.shape[1]):  # rows are independent: one complex step per column
        bumped = x.astype(complex)
        bumped[:, j] += 1e-30j
        dx[:, j] = cross_entropies(bumped, y).imag / 1e-30 / n
    return float(loss), dx
'''

CORPUS = [
    Sample("c2_logprobs", "softmax: shifts, then takes log of the probability",
           answers={"softmax_loss": SOFTMAX_LOG_OF_PROBS}),
    Sample("c2_softmax_sum", "softmax loss and dx summed, not averaged, over the batch",
           answers={"softmax_loss": SOFTMAX_SUMMED}),
    Sample("overflow", "softmax without the shift", answers={"softmax_loss": UNSTABLE_SOFTMAX}),
    Sample("c2_softmax_complex_step", "softmax_loss's dx by a complex step of its own loss",
           answers={"softmax_loss": SOFTMAX_LOSS_COMPLEX_STEP}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # inf where a label's probability underflows (scores of magnitude 1e3), and a
    # divide-by-zero warning there; dx is right everywhere
    "c2_logprobs": {"softmax_loss": (loss_share(3 / 4, 1, 1, stable=0), "log_of_zero")},
    # right on the batch of one only; consistent with its own loss
    "c2_softmax_sum": {"softmax_loss": (loss_share(1 / 4, 1, 1 / 4, stable=1), "scaled_by_batch")},
    # the loss is right and pays; dx is evaluated, not derived: its two checks pay nothing
    "c2_softmax_complex_step": {"softmax_loss": (loss_share(1, 0, 0, stable=1), "not_derived")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


# Slips handed in beside the class (the grading corpus's first students): (student, function,
# its diagnosis kind, the fraction of its points it keeps). Backward checks weigh 3 (finite
# differences of your forward), 3 (reference, every case and gradient), 1 (shapes), 1
# (arguments unchanged); forward 4 (values) and 1; losses 3, 3, 3, 1, and 1 for "stays finite
# without overflow" (softmax_loss, bce_loss, sigmoid and tanh forward).
MISTAKES = [
    # NaN on the scores of magnitude 1e3 only; NumPy warns there (not stable)
    ("overflow", "softmax_loss", "overflow", (3 * 3 / 4 + 3 + 3 * 3 / 4 + 1 + 0 + 1) / 12),
]


@pytest.mark.parametrize("student, function, kind, expected", MISTAKES)
def test_each_mistake_costs_its_points_and_is_named(graded, student, function, kind, expected):
    assert_costs_its_points(graded(A)[student], function, kind, expected)


def test_scores_of_magnitude_1e3_always_hold_every_behaviour():
    for seed in range(40):
        (x, y), _ = made(softmax_loss.CASES, softmax_loss.MAGNITUDE_1E3, seed)
        rows = np.arange(len(y))
        shifted = x - x.max(axis=1, keepdims=True)
        p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        assert np.any(p[rows, y] == 0)                                 # log(p) is -inf
        assert np.any((x.max(axis=1) > 709) & (x.argmax(axis=1) == y))  # exp overflows
        assert np.any(np.all(x < -745, axis=1))                        # exp underflows
        assert np.any(np.sum(x == x.max(axis=1, keepdims=True), axis=1) == 2)  # a tie
