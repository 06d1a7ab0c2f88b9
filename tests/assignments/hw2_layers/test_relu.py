"""relu_forward and relu_backward, what proves the grader's checks: submissions written the way
students write them, each with its exact score and diagnosis (graded in the assignment's class,
support.py)."""

import pytest
from support import BY_HAND_ONLY, backward_share, corpus_test
from test_hw2_layers import assert_costs_its_points

from autograder.round.samples import Sample, with_bug

A = "hw2_layers"

RELU_BACKWARD_IN_PLACE = '''\
def relu_backward(dout, cache):
    x = cache
    dx = dout
    dx[x <= 0] = 0
    return dx
'''


RELU_DIRECTIONAL = '''\
def relu_backward(dout, cache):
    eps = 1e-6
    slope = (relu_forward(cache + eps)[0] - relu_forward(cache - eps)[0]) / (2 * eps)
    return dout * slope
'''

CORPUS = [
    Sample("c2_relu_inplace", "relu backward writes into dout",
           answers={"relu_backward": RELU_BACKWARD_IN_PLACE}),
    Sample("zeros", "relu derivative 1 at 0", answers={
        "relu_backward": with_bug("relu_backward", "(x > 0)", "(x >= 0)")}),
    Sample("mutates", "relu forward clips x in place", answers={
        "relu_forward": "def relu_forward(x):\n    np.maximum(x, 0.0, out=x)\n    return x.copy(), x.copy()\n"}),
    Sample("c2_relu_directional", "relu backward by one directional difference of the "
           "forward (two forward calls)", answers={"relu_backward": RELU_DIRECTIONAL}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "c2_relu_inplace": {"relu_backward": (backward_share(1, 1, mutation=0), "input_mutated")},
    # evaluated, not derived: no gradient check pays (nor shapes or arguments); the numbers
    # worked by hand do
    "c2_relu_directional": {"relu_backward": (BY_HAND_ONLY, "not_derived")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


# Slips handed in beside the class (the grading corpus's first students): (student, function,
# its diagnosis kind, the fraction of its points it keeps). Backward checks weigh 3 (finite
# differences of your forward), 3 (reference, every case and gradient), 1 (shapes), 1
# (arguments unchanged); forward 4 (values) and 1; losses 3, 3, 3, 1, and 1 for "stays finite
# without overflow" (softmax_loss, bce_loss, sigmoid and tanh forward).
MISTAKES = [
    ("zeros", "relu_backward", "wrong_at_zeros", (3 + 3 * 3 / 4 + 1 + 1 + 1) / 9),
    ("mutates", "relu_forward", "input_mutated", (4 + 0) / 5),
]


@pytest.mark.parametrize("student, function, kind, expected", MISTAKES)
def test_each_mistake_costs_its_points_and_is_named(graded, student, function, kind, expected):
    assert_costs_its_points(graded(A)[student], function, kind, expected)
