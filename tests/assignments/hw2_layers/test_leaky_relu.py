"""leaky_relu_forward and leaky_relu_backward, what proves the grader's checks: submissions
written the way students write them, each with its exact score and diagnosis (graded in the
assignment's class, support.py)."""

from support import backward_share, corpus_test, forward_share

from autograder.round.samples import Sample

A = "hw2_layers"

LEAKY_IGNORES_ALPHA = {
    "leaky_relu_forward": '''\
def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x > 0, x, 0.01 * x)
    return out, x
''',
    "leaky_relu_backward": '''\
def leaky_relu_backward(dout, cache):
    x = cache
    return dout * np.where(x > 0, 1.0, 0.01)
''',
}


LEAKY_SLOPE_ONE_AT_ZERO = '''\
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    dx = np.ones_like(x)
    dx[x < 0] = alpha
    return dout * dx
'''


CORPUS = [
    Sample("c2_leaky_alpha", "leaky relu ignores alpha (0.01 hard-coded), consistently",
           answers=LEAKY_IGNORES_ALPHA),
    Sample("c2_leaky_zero", "leaky relu backward: slope 1 at exactly 0",
           answers={"leaky_relu_backward": LEAKY_SLOPE_ONE_AT_ZERO}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # right only with the default alpha; the backward agrees with its own forward, which
    # is right on one case, so that credit is earned
    "c2_leaky_alpha": {"leaky_relu_forward": (forward_share(1 / 3), "wrong_values"),
                       "leaky_relu_backward": (backward_share(1, 1 / 4), "wrong_values")},
    "c2_leaky_zero": {"leaky_relu_backward": (backward_share(1, 3 / 4), "wrong_at_zeros")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)
