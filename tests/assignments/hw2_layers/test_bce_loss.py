"""bce_loss, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py)."""

import numpy as np
from support import corpus_test, loss_share, made

from autograder.assignments.hw2_layers import bce_loss
from autograder.round.samples import Sample

A = "hw2_layers"

def bce(eps=None, form="log"):
    """bce_loss as students write it: clipped with ``eps`` (or not at all)."""
    clip = (f"    eps = {eps}\n    p = np.clip(prob, eps, 1 - eps)\n" if eps else
            "    p = prob\n")
    return ("def bce_loss(prob, target):\n" + clip +
            "    N = prob.shape[0]\n"
            "    loss = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))\n"
            "    dprob = (-(target / p) + (1 - target) / (1 - p)) / N\n"
            "    return loss, dprob\n")


CORPUS = [
    Sample("c2_bce_clip7", "bce clipped with eps = 1e-7", answers={"bce_loss": bce(1e-7)}),
    Sample("c2_bce_clip15", "bce clipped with eps = 1e-15",
           answers={"bce_loss": bce(1e-15)}),
    Sample("c2_bce_noclip", "bce without a clip", answers={"bce_loss": bce()}),
    Sample("c2_bce_clip3", "bce clipped with eps = 1e-3", answers={"bce_loss": bce(1e-3)}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "c2_bce_clip7": {},
    "c2_bce_clip15": {},
    # 1/p overflows for p < 1e-308: the only check it loses
    "c2_bce_noclip": {"bce_loss": (loss_share(1, 1, 1, stable=0), "fp_warning")},
    # wrong within 1e-5 of 0 and 1
    "c2_bce_clip3": {"bce_loss": (loss_share(3 / 4, 1, 3 / 4, stable=1), "wrong_values")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


def test_probabilities_sit_where_clips_differ():
    for seed in range(40):
        (p, t), _ = made(bce_loss.CASES, bce_loss.EDGES, seed)
        gap = np.minimum(p, 1 - p)
        near = gap < 1e-5
        assert near.sum() == 4 and np.all(gap[near] >= 2e-6)
        assert {(a < 0.5, b) for a, b in zip(p[near], t[near])} == \
            {(True, 0.0), (True, 1.0), (False, 0.0), (False, 1.0)}
        (p, t), _ = made(bce_loss.CASES, bce_loss.OVERFLOWING, seed)
        tiny = p < 1e-300
        assert set(t[tiny]) == {0.0, 1.0} and np.all(p[tiny] > 0) and \
            np.all(1 / np.finfo(float).max > p[tiny])
