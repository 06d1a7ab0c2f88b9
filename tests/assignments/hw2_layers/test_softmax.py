"""Realistic hw2 softmax layers (``softmax_forward``, ``softmax_backward``), written the way
students write them, each with the exact score (fraction of each function's points) and the
diagnosis kind it must get.

Right ones in other formulations: the Jacobian of every row built explicitly and applied with
einsum, ``y * (dout - sum(dout * y))`` computed in two steps, a log-sum-exp forward with a
backward that loops over the rows. The usual slips: a softmax over the columns, no shift by
the maximum (overflow at scores of magnitude 1e3), only the diagonal of the Jacobian, the
loss's 1/N in a layer, the loss's shortcut ``y - dout``, a result left transposed, ``dout``
changed in place. Every other function of the notebook is the reference. They are graded once
in the class of the assignment (the ``graded`` fixture, see support.py), through ``grade_all``
(jobs=2), as ``backproplab grade`` does; the seed-invariance test grades them again under other
student ids.
"""

import numpy as np
from support import BY_HAND_ONLY, backward_share, corpus_test, forward_share

from autograder.assignments.hw2_layers import softmax
from autograder.round.samples import Sample

A = "hw2_layers"

STABLE_FORWARD = '''\
def softmax_forward(x):
    z = x - np.max(x, axis=1, keepdims=True)
    e = np.exp(z)
    out = e / np.sum(e, axis=1, keepdims=True)
    return out, out
'''

# ------------------------------------------------------------------------ right, written otherwise

EINSUM = {  # the Jacobian of every row, diag(y) - y y^T, applied with einsum
    "softmax_forward": STABLE_FORWARD,
    "softmax_backward": '''\
def softmax_backward(dout, cache):
    y = cache
    C = y.shape[1]
    jac = np.einsum('ni,ij->nij', y, np.eye(C)) - np.einsum('ni,nj->nij', y, y)
    return np.einsum('nij,ni->nj', jac, dout)
''',
}

TWO_STEPS = {  # y * (dout - <dout, y>), the product first and then the row sums taken from it
    "softmax_forward": '''\
def softmax_forward(x):
    shifted = x - x.max(axis=1)[:, None]
    exps = np.exp(shifted)
    probs = exps / exps.sum(axis=1)[:, None]
    return probs, {"probs": probs}
''',
    "softmax_backward": '''\
def softmax_backward(dout, cache):
    probs = cache["probs"]
    dx = probs * dout
    dx = dx - probs * dx.sum(axis=1, keepdims=True)
    return dx
''',
}

LOGSUMEXP_LOOPS = {  # log-sum-exp forward keeping x; a backward that loops over the rows
    "softmax_forward": '''\
def softmax_forward(x):
    m = x.max(axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True))
    out = np.exp(x - lse)
    return out, (x, out)
''',
    "softmax_backward": '''\
def softmax_backward(dout, cache):
    x, out = cache
    dx = np.empty_like(dout)
    for n in range(x.shape[0]):
        y = out[n]
        J = np.diag(y) - np.outer(y, y)
        dx[n] = J.T @ dout[n]
    return dx
''',
}

# ------------------------------------------------------------------------------------ slips

COLUMNS = {  # softmax down the columns, forward and backward alike
    "softmax_forward": '''\
def softmax_forward(x):
    e = np.exp(x - x.max(axis=0))
    out = e / e.sum(axis=0)
    return out, out
''',
    "softmax_backward": '''\
def softmax_backward(dout, cache):
    y = cache
    return y * (dout - np.sum(dout * y, axis=0))
''',
}

NO_SHIFT = '''\
def softmax_forward(x):
    e = np.exp(x)
    out = e / np.sum(e, axis=1, keepdims=True)
    return out, out
'''

DIAGONAL_ONLY = '''\
def softmax_backward(dout, cache):
    y = cache
    return dout * y * (1 - y)
'''

BATCH_MEAN = '''\
def softmax_backward(dout, cache):
    y = cache
    N = y.shape[0]
    dx = y * (dout - np.sum(dout * y, axis=1, keepdims=True))
    return dx / N
'''

SHORTCUT = '''\
def softmax_backward(dout, cache):
    y = cache
    return y - dout
'''

TRANSPOSED = '''\
def softmax_backward(dout, cache):
    yt, dt = cache.T, dout.T
    dx = yt * (dt - np.sum(dt * yt, axis=0))
    return dx
'''

IN_PLACE = '''\
def softmax_backward(dout, cache):
    y = cache
    dout -= np.sum(dout * y, axis=1, keepdims=True)
    dout *= y
    return dout
'''


CORPUS = [
    Sample("sm_einsum", "explicit Jacobian of every row, applied with einsum", answers=EINSUM),
    Sample("sm_two_steps", "y * (dout - <dout, y>) in two steps, dict cache",
           answers=TWO_STEPS),
    Sample("sm_logsumexp", "log-sum-exp forward, backward looping over rows",
           answers=LOGSUMEXP_LOOPS),
    Sample("sm_columns", "softmax over the columns (axis 0)", answers=COLUMNS),
    Sample("sm_no_shift", "exp(x) / sum without subtracting the maximum",
           answers={"softmax_forward": NO_SHIFT}),
    Sample("sm_diagonal", "backward with only the diagonal of the Jacobian",
           answers={"softmax_forward": STABLE_FORWARD, "softmax_backward": DIAGONAL_ONLY}),
    Sample("sm_batch_mean", "backward divided by N, as a loss would",
           answers={"softmax_forward": STABLE_FORWARD, "softmax_backward": BATCH_MEAN}),
    Sample("sm_shortcut", "backward returns y - dout, the loss's shortcut",
           answers={"softmax_forward": STABLE_FORWARD, "softmax_backward": SHORTCUT}),
    Sample("sm_transposed", "backward computed on transposes, not transposed back",
           answers={"softmax_forward": STABLE_FORWARD, "softmax_backward": TRANSPOSED}),
    Sample("sm_in_place", "backward that writes into dout",
           answers={"softmax_forward": STABLE_FORWARD, "softmax_backward": IN_PLACE}),
]


# ------------------------------------------------------------------------- what each gets

# Shares (support.py): forward values 4, arguments 1, stays finite 1; backward: finite
# differences of your forward 3, reference 3, shapes 1, arguments 1. Shapes, arguments and
# stability pay only with value or gradient credit. Hidden cases (softmax.CASES): several
# examples (5 x 4), a batch of one (1 x 6), more classes than examples (3 x 7), scores of
# magnitude 1e3 (4 x 6) and, for the backward only, a large batch.
# {student: {function: (fraction, diagnosis kind or None)}}; every function not listed gets
# full marks.
EXPECTED = {
    "sm_einsum": {},
    "sm_two_steps": {},
    "sm_logsumexp": {},
    # never right, a named slip (the wrong axis); the backward, right for that forward, keeps
    # its finite-difference credit (error carried forward; it got 0.0 before)
    "sm_columns": {"softmax_forward": (0.0, "softmax_wrong_axis"),
                   "softmax_backward": (backward_share(1, 0), "softmax_wrong_axis")},
    # NaN where exp overflows or every exp underflows; the backward, fed NaN by its cache
    # there, loses that case only
    "sm_no_shift": {"softmax_forward": (forward_share(3 / 4, stable=0), "overflow"),
                    "softmax_backward": (backward_share(1, 4 / 5), "overflow")},
    "sm_diagonal": {"softmax_backward": (BY_HAND_ONLY, "jacobian_diagonal_only")},
    # right on the batch of one only
    "sm_batch_mean": {"softmax_backward": (backward_share(0, 1 / 5), "scaled_by_inverse_batch")},
    "sm_shortcut": {"softmax_backward": (BY_HAND_ONLY, "loss_shortcut")},
    "sm_transposed": {"softmax_backward": (BY_HAND_ONLY, "transposed")},
    "sm_in_place": {"softmax_backward": (backward_share(1, 1, mutation=0), "input_mutated")},
}

def test_the_corpus_has_right_variants_and_slips_expected_in_full():
    assert [s.student for s in CORPUS] == list(EXPECTED)
    right = [s for s, funcs in EXPECTED.items() if not funcs]
    assert len(right) >= 3 and len(EXPECTED) - len(right) >= 6


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


def test_a_layer_divided_by_n_is_told_it_is_not_a_loss(graded):
    checks = graded(A)["sm_batch_mean"]["functions"]["softmax_backward"]["checks"]
    reference = next(c for c in checks if c["name"] == "matches the reference gradients")
    assert "a layer, not a loss" in reference["message"]


def test_messages_name_the_mistake_without_the_formula(graded):
    for student, word in (("sm_diagonal", "diagonal"), ("sm_shortcut", "shortcut"),
                          ("sm_columns", "columns")):
        checks = graded(A)[student]["functions"]["softmax_backward"]["checks"]
        message = next(c for c in checks if c["name"] == "matches the reference gradients")[
            "message"]
        assert word in message and "y_i(" not in message and "sum(dout" not in message


# ------------------------------------------------- recipes fix behaviours, seeds only numbers

def test_softmax_layer_scores_of_magnitude_1e3_always_hold_every_behaviour():
    case = next(c for c in softmax.CASES if c.has("huge"))
    for seed in range(40):
        (x,), _ = case.make(np.random.default_rng([seed, 5]))
        assert np.any(x.max(axis=1) > 709)                                  # exp overflows
        assert np.any(np.all(x < -745, axis=1))                             # every exp is 0
        assert np.any(np.sum(x == x.max(axis=1, keepdims=True), axis=1) == 2)  # a tie
        assert np.all(np.abs(x).max(axis=1) > 700)


def test_softmax_layer_shapes_never_hide_an_axis_or_a_batch_factor():
    for case in softmax.CASES:
        (x,), _ = case.make(np.random.default_rng(0))
        n, c = x.shape
        assert n != c and n != 2 and c > 2, case.name
