"""affine_forward and affine_backward, what proves the grader's checks: submissions written the
way students write them, each with its exact score and diagnosis (graded in the assignment's
class, support.py)."""

import pytest
from support import backward_share, corpus_test, forward_share
from test_hw2_layers import assert_costs_its_points

from autograder.round.samples import Sample, with_bug

A = "hw2_layers"

AFFINE_NO_RESHAPE = {
    "affine_forward": '''\
def affine_forward(x, w, b):
    out = x.dot(w) + b
    cache = (x, w, b)
    return out, cache
''',
    "affine_backward": '''\
def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T)
    dw = x.T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
''',
}


AFFINE_DB_MEAN = '''\
def affine_backward(dout, cache):
    x, w = cache
    x2 = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2.T @ dout
    db = np.mean(dout, axis=0)
    return dx, dw, db
'''


AFFINE_TWO_SLIPS = '''\
def affine_backward(dout, cache):
    x, w = cache
    x_flat = x.reshape(x.shape[0], -1)
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(dout.T, x_flat)
    db = dout
    return dx, dw, db
'''


# The small case worked by hand (judging/by_hand.py): the reference's code, the numbers of
# by_hand_affine handed in with the slips of a hand derivation (the right ones: dx
# ((2, -1), (-4, 2)), dw ((-5,), (4,)), db (-1,)).
BY_HAND_SLIPS = {
    "hand_dw_transposed": '{"dx": [[2, -1], [-4, 2]], "dw": [[-5, 4]], "db": [-1]}',
    "hand_dx_sign": '{"dx": [[-2, 1], [4, -2]], "dw": [[-5], [4]], "db": [-1]}',
    "hand_db_missing": '{"dx": [[2, -1], [-4, 2]], "dw": [[-5], [4]]}',
    "hand_one_entry": '{"dx": [[2, -1], [-4, 3]], "dw": [[-5], [4]], "db": [-1]}',
    "hand_computed": '"see affine_backward"',
}

CORPUS = [
    *[Sample(student, "the affine case by hand with a slip",
             answers={"by_hand_affine": f"by_hand_affine = {value}"})
      for student, value in BY_HAND_SLIPS.items()],
    Sample("hand_blank", "the affine case by hand not answered", blank=("by_hand_affine",)),
    Sample("c2_no_reshape", "affine without flattening x", answers=AFFINE_NO_RESHAPE),
    Sample("c2_db_mean", "affine db averaged over the batch",
           answers={"affine_backward": AFFINE_DB_MEAN}),
    Sample("c2_two_slips", "affine dw transposed and db not summed",
           answers={"affine_backward": AFFINE_TWO_SLIPS}),
    Sample("transposed", "dw transposed", answers={
        "affine_backward": with_bug("affine_backward", "dw = x_flat.T @ dout", "dw = (x_flat.T @ dout).T")}),
    Sample("unsummed", "db not summed", answers={
        "affine_backward": with_bug("affine_backward", "db = dout.sum(axis=0)", "db = dout")}),
    Sample("flat_dx", "dx left flattened", answers={
        "affine_backward": with_bug("affine_backward", "dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T")}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "hand_dw_transposed": {"affine_backward": (backward_share(1, 1, by_hand=2 / 3), "transposed")},
    "hand_dx_sign": {"affine_backward": (backward_share(1, 1, by_hand=2 / 3), "sign_flipped")},
    "hand_db_missing": {"affine_backward": (backward_share(1, 1, by_hand=2 / 3),
                                            "by_hand_missing_entry")},
    "hand_one_entry": {"affine_backward": (backward_share(1, 1, by_hand=2 / 3), "wrong_values")},
    "hand_computed": {"affine_backward": (backward_share(1, 1, by_hand=0), "wrong_structure")},
    "hand_blank": {"affine_backward": (backward_share(1, 1, by_hand=0), "by_hand_blank")},
    # raises where x has several axes per example (and on the large case, 3-D too)
    "c2_no_reshape": {"affine_forward": (forward_share(2 / 3), "raised"),
                      "affine_backward": (backward_share(1, 6 / 12, shapes=0), "raised")},
    "c2_db_mean": {"affine_backward": (backward_share(2 / 3, 9 / 12),
                                       "scaled_by_inverse_batch")},
    # both mistakes named in one message, the most specific first
    "c2_two_slips": {"affine_backward": (backward_share(1 / 3, 4 / 12, shapes=0), "transposed")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


# Slips handed in beside the class (the grading corpus's first students): (student, function,
# its diagnosis kind, the fraction of its points it keeps). Backward checks weigh 3 (finite
# differences of your forward), 3 (reference, every case and gradient), 1 (shapes), 1
# (arguments unchanged), 1 (the numbers worked by hand); forward 4 (values) and 1; losses 3, 3,
# 3, 1, 1 by hand, and 1 for "stays finite without overflow" (softmax_loss, bce_loss, sigmoid and
# tanh forward).
MISTAKES = [
    ("transposed", "affine_backward", "transposed", backward_share(2 / 3, 8 / 12, shapes=0)),
    ("unsummed", "affine_backward", "not_summed_over_batch",
     backward_share(2 / 3, 8 / 12, shapes=0)),
    # dx is right where x has one axis per example (2 of the 4 cases)
    ("flat_dx", "affine_backward", "wrong_shape", backward_share(1, 10 / 12, shapes=0)),
]


@pytest.mark.parametrize("student, function, kind, expected", MISTAKES)
def test_each_mistake_costs_its_points_and_is_named(graded, student, function, kind, expected):
    assert_costs_its_points(graded(A)[student], function, kind, expected)


def test_every_distinct_mistake_of_a_function_is_named(graded):
    checks = graded(A)["c2_two_slips"]["functions"]["affine_backward"]["checks"]
    reference = next(c for c in checks if c["name"] == "matches the reference gradients")
    assert {reference["kind"], *reference["also"]} == {"transposed", "not_summed_over_batch"}
    assert "transpose" in reference["message"] and "batch" in reference["message"]
