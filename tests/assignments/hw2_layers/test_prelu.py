"""prelu_forward and prelu_backward, what proves the grader's checks: submissions written the way
students write them, each with its exact score and diagnosis (graded in the assignment's class,
support.py); its hidden recipes."""

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from support import BY_HAND_ONLY, backward_share, corpus_test, forward_share
from test_hw2_layers import LOOPS, PRELU_BACKWARD_LOOPS, PY2_SHIM, VECTORISED

from autograder.assignments.hw2_layers import prelu
from autograder.round.samples import Sample

A = "hw2_layers"

PRELU_MASKS = {  # correct: 0/1 masks multiplied in, kept in the cache
    "prelu_forward": '''\
def prelu_forward(x, alpha):
    pos = (x > 0).astype(x.dtype)
    neg = 1.0 - pos
    out = pos * x + neg * x * alpha
    cache = (x, alpha, pos, neg)
    return out, cache
''',
    "prelu_backward": '''\
def prelu_backward(dout, cache):
    x, alpha, pos, neg = cache
    dx = dout * (pos + neg * alpha)
    dalpha = (dout * neg * x).sum(axis=0)
    return dx, dalpha
''',
}


def prelu_masks(old, new):
    """PRELU_MASKS's backward with one slip: ``old`` replaced by ``new``."""
    code = PRELU_MASKS["prelu_backward"]
    assert old in code
    return {**PRELU_MASKS, "prelu_backward": code.replace(old, new)}


def prelu_where(*replacements):
    """VECTORISED's prelu (np.where) with slips: each ``(old, new)`` applied to both."""
    answers = {}
    for name in ("prelu_forward", "prelu_backward"):
        code = VECTORISED[name]
        for old, new in replacements:
            code = code.replace(old, new)
        answers[name] = code
    assert answers != {n: VECTORISED[n] for n in answers}
    return answers


PRELU_DX_LIKE_RELU = PRELU_BACKWARD_LOOPS.replace(
    "                dx[i, j] = alpha[j] * dout[i, j]\n", "")


PRELU_RESHAPES_ALPHA = {
    "prelu_forward": '''\
def prelu_forward(x, alpha):
    alpha.shape = (1, -1)  # a row: the slope of each column, for every example
    slope = np.where(x > 0, 1.0, alpha)
    return slope * x, (x, slope)
''',
    "prelu_backward": VECTORISED["prelu_backward"],
}


CORPUS = [
    Sample("c2_prelu_masks", "prelu with 0/1 masks multiplied in", answers=PRELU_MASKS),
    Sample("c2_prelu_unsummed", "prelu dalpha of shape (N, D), not summed over the batch",
           answers=prelu_masks("dalpha = (dout * neg * x).sum(axis=0)",
                               "dalpha = dout * neg * x")),
    Sample("c2_prelu_mean", "prelu dalpha averaged over the batch",
           answers=prelu_masks(".sum(axis=0)", ".mean(axis=0)")),
    Sample("c2_prelu_side", "prelu slope on the side x > 0 (np.where's branches swapped)",
           answers=prelu_where(("np.where(x > 0, 1.0, alpha[np.newaxis, :])",
                                "np.where(x > 0, alpha[np.newaxis, :], 1.0)"),
                               ("np.where(x > 0, 0.0, x * dout)",
                                "np.where(x > 0, x * dout, 0.0)"))),
    Sample("c2_prelu_zero", "prelu slope 1 at exactly 0 (x >= 0 where the contract has > 0)",
           answers=prelu_where(("x > 0", "x >= 0"))),
    Sample("c2_prelu_axis", "prelu dalpha summed over the features (axis 1)",
           answers=prelu_masks(".sum(axis=0)", ".sum(axis=1)")),
    Sample("c2_prelu_per_example", "prelu with one slope per example (alpha[:, None])",
           answers=prelu_where(("alpha[np.newaxis, :]", "alpha[:, np.newaxis]"),
                               (".sum(axis=0)", ".sum(axis=1)"))),
    Sample("c2_prelu_no_x", "prelu dalpha without the factor x",
           answers=prelu_masks("(dout * neg * x)", "(dout * neg)")),
    Sample("c2_prelu_relu_dx", "prelu backward (loops) leaves dx at 0 where x <= 0",
           answers={"prelu_forward": LOOPS["prelu_forward"],
                    "prelu_backward": PRELU_DX_LIKE_RELU},
           extra_cells=[PY2_SHIM]),
    Sample("c2_prelu_reshape", "prelu forward reshapes alpha in place (alpha.shape = ...)",
           answers=PRELU_RESHAPES_ALPHA),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "c2_prelu_masks": {},
    # dalpha (N, D) on every case (a batch of one gives (1, D), not (D,)); dx right
    # everywhere: one of the two gradients, on every case
    "c2_prelu_unsummed": {"prelu_backward": (backward_share(1 / 2, 5 / 10, shapes=0),
                                             "not_summed_over_batch")},
    # the mean is the sum on the batch of one
    "c2_prelu_mean": {"prelu_backward": (backward_share(1 / 2, 6 / 10),
                                         "scaled_by_inverse_batch")},
    # never right, a named slip; the backward, right for that forward, keeps its
    # finite-difference credit (error carried forward; it got 0.0 before)
    "c2_prelu_side": {"prelu_forward": (0.0, "prelu_wrong_side"),
                      "prelu_backward": (backward_share(1, 0), "prelu_wrong_side")},
    # dx wrong where x is exactly 0, nowhere else (dalpha gets nothing from a 0 anyway)
    "c2_prelu_zero": {"prelu_backward": (backward_share(1, 9 / 10), "wrong_at_zeros")},
    # dalpha of shape (N,): wrong on every case, of the right shape only where N = D
    "c2_prelu_axis": {"prelu_backward": (backward_share(1 / 2, 5 / 10, shapes=0),
                                         "prelu_alpha_wrong_axis")},
    # does not even broadcast where N != D (and N > 1); wrong where it does
    "c2_prelu_per_example": {"prelu_forward": (0.0, "prelu_alpha_wrong_axis"),
                             "prelu_backward": (BY_HAND_ONLY, "prelu_alpha_wrong_axis")},
    "c2_prelu_no_x": {"prelu_backward": (backward_share(1 / 2, 5 / 10),
                                         "prelu_dalpha_missing_x")},
    "c2_prelu_relu_dx": {"prelu_backward": (backward_share(1 / 2, 5 / 10),
                                            "prelu_dx_ignores_alpha")},
    # right values; alpha comes back with shape (1, D)
    "c2_prelu_reshape": {"prelu_forward": (forward_share(1, mutation=0), "input_mutated")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


# ------------------------------------------------- recipes fix behaviours, seeds only numbers

def test_recipes_hold_their_behaviours():
    for seed in range(40):
        for case in prelu.CASES:
            (x, alpha), kw = case.make(np.random.default_rng([seed, 5]))
            n, d = x.shape
            assert kw == {} and alpha.shape == (d,)
            assert len(set(alpha)) == d and np.all((alpha >= 0.05) & (alpha <= 0.4))
            assert np.any(x > 0) and np.any(x < 0)
            assert case.has("zeros") == np.any(x == 0), case.name
            assert (n == d) == (case.name == "as many examples as features"), case.name
            assert n == 1 or n >= 3


# ------------------------------------------------------------------- PReLU's own mistakes

MESSAGES = {prelu.WRONG_SIDE, prelu.WRONG_AXIS, prelu.DALPHA_MISSING_X, prelu.DX_IGNORES_ALPHA}


@settings(max_examples=30, deadline=None)
@given(n=st.sampled_from([1, 3, 4, 5]), d=st.integers(2, 6), seed=st.integers(0, 2**32 - 1))
def test_slips_are_declared_differ_from_the_right_arrays_and_tell_no_value(n, d, seed):
    """(With one feature and a batch of one, the batch and feature axes are the same: D >= 2.)"""
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], (n, d)) * rng.uniform(0.05, 3.0, (n, d))
    x[0, 0] = -abs(x[0, 0])                   # a slope to apply, always
    alpha = 0.05 + 0.35 * (rng.permutation(d) + 0.5) / d
    dout = rng.choice([-1.0, 1.0], (n, d)) * rng.uniform(0.2, 2.5, (n, d))
    right = {"out": np.where(x > 0, x, alpha * x),
             "dx": dout * np.where(x > 0, 1.0, alpha),
             "dalpha": np.sum(dout * np.minimum(x, 0.0), axis=0)}
    slips = prelu.slips((x, alpha), {}, None) + prelu.slips((x, alpha), {}, dout)
    assert {s.kind for s in slips} == set(prelu.KINDS)
    assert {s.message for s in slips} == MESSAGES
    assert {s.what for s in slips} == {"out", "dx", "dalpha"}
    for slip in slips:
        assert slip.value.shape != right[slip.what].shape or \
            not np.allclose(slip.value, right[slip.what]), slip.kind
    for message in MESSAGES:
        assert not re.search(r"\d\.\d", message)     # no number at all beyond "0", "1"


def test_a_slope_per_example_is_listed_only_where_it_broadcasts():
    x, alpha = np.ones((3, 4)) * -1.0, np.linspace(0.1, 0.4, 4)
    forward = prelu.slips((x, alpha), {}, None)
    assert "prelu_alpha_wrong_axis" not in {s.kind for s in forward}
    for y in (-np.ones((4, 4)), -np.ones((1, 4))):
        assert "prelu_alpha_wrong_axis" in {s.kind for s in prelu.slips((y, alpha), {}, None)}

