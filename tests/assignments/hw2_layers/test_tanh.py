"""tanh_forward and tanh_backward, what proves the grader's checks: submissions written the way
students write them, each with its exact score and diagnosis (graded in the assignment's class,
support.py); its hidden recipes."""

import pytest
from support import BY_HAND_ONLY, backward_share, corpus_test, forward_share, made
from test_hw2_layers import assert_costs_its_points

from autograder.assignments.hw2_layers import tanh
from autograder.judging.recipes import HUGE
from autograder.round.samples import Sample, with_bug

A = "hw2_layers"

TANH_BY_EXP = {
    "tanh_forward": '''\
def tanh_forward(x):
    e_pos, e_neg = np.exp(x), np.exp(-x)
    out = (e_pos - e_neg) / (e_pos + e_neg)
    return out, out
''',
    "tanh_backward": "def tanh_backward(dout, cache):\n    return dout * (1 - cache ** 2)\n",
}


MEMORISER = {  # right everywhere it is looked at once; near a seen input it follows dx = dout / 2
    "tanh_forward": '''\
_seen = {}

def tanh_forward(x):
    key = x.shape
    if key in _seen:
        x0, out0 = _seen[key]
        if np.max(np.abs(x - x0)) < 1e-3:  # a gradient check is probing around x0
            return out0 + 0.5 * (x - x0), x
    out = np.tanh(x)
    _seen[key] = (x.copy(), out)
    return out, x
''',
    "tanh_backward": "def tanh_backward(dout, cache):\n    return 0.5 * dout\n",
}


CORPUS = [
    Sample("c2_tanh_exp", "tanh from exponentials: NaN for huge x", answers=TANH_BY_EXP),
    Sample("c2_memoriser", "tanh forward that answers probes to fit a made-up backward",
           answers=MEMORISER),
    Sample("double", "tanh gradient doubled", answers={
        "tanh_backward": with_bug("tanh_backward", "dx = dout * (1.0 - t * t)", "dx = 2 * dout * (1.0 - t * t)")}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "c2_tanh_exp": {"tanh_forward": (forward_share(2 / 3, stable=0), "overflow"),
                    "tanh_backward": (backward_share(1, 3 / 4), "overflow")},
    "c2_memoriser": {"tanh_backward": (BY_HAND_ONLY, "inconsistent_forward")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


# Slips handed in beside the class (the grading corpus's first students): (student, function,
# its diagnosis kind, the fraction of its points it keeps). Backward checks weigh 3 (finite
# differences of your forward), 3 (reference, every case and gradient), 1 (shapes), 1
# (arguments unchanged); forward 4 (values) and 1; losses 3, 3, 3, 1, and 1 for "stays finite
# without overflow" (softmax_loss, bce_loss, sigmoid and tanh forward).
MISTAKES = [
    ("double", "tanh_backward", "scaled_by_2", BY_HAND_ONLY),
]


@pytest.mark.parametrize("student, function, kind, expected", MISTAKES)
def test_each_mistake_costs_its_points_and_is_named(graded, student, function, kind, expected):
    assert_costs_its_points(graded(A)[student], function, kind, expected)


def test_huge_inputs_always_overflow_exp_both_ways():
    for seed in range(40):
        (x,), _ = made(tanh.CASES, HUGE, seed)
        assert (x > 709).sum() == (x < -709).sum() == 3
