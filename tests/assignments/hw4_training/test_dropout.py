"""dropout_forward and dropout_backward, what proves the grader's checks: submissions written the
way students write them, each with its exact score and diagnosis (graded in the assignment's
class, support.py); the checks on the reference with realistic bugs swapped in."""

import pytest
from support import (
    bugged,
    checks_of,
    corpus_test,
    grade_reference,
    reference_tests,
    replaced,
)

from autograder.round.samples import Sample

A = "hw4_training"

DROPOUT_BY_P = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p) / p
    return x * mask, mask
''',
    "dropout_backward": '''def dropout_backward(dout, cache):
    if cache is None:
        return dout.copy()
    return dout * cache
''',
}


DROPOUT_MASK_REDRAWN = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * mask, (p, rng)
''',
    "dropout_backward": '''def dropout_backward(dout, cache):
    if cache is None:
        return dout.copy()
    p, rng = cache
    mask = (rng.random(dout.shape) >= p) / (1 - p)
    return dout * mask
''',
}


# Real students' slips: p taken as the probability of keeping a unit, the kept units left
# unscaled or scaled by 1/p; each backward exactly consistent with its forward.
DROPOUT_KEEP_UNSCALED = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    if not train:
        return x.copy(), None
    mask = rng.random(x.shape) < p
    return x * mask, mask
''',
    "dropout_backward": DROPOUT_BY_P["dropout_backward"],
}

DROPOUT_KEEP_BY_P = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    if not train:
        return x.copy(), None
    mask = (rng.random(x.shape) < p) / p
    return x * mask, mask
''',
    "dropout_backward": DROPOUT_BY_P["dropout_backward"],
}

# Trivial pairs: a forward that hands x back (drops nothing) or returns zeros in training,
# with the backward that agrees with it.
DROPOUT_IDENTITY = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    return x.copy(), None
''',
    "dropout_backward": '''def dropout_backward(dout, cache):
    return dout.copy()
''',
}

DROPOUT_ZEROS = {
    "dropout_forward": '''def dropout_forward(x, p, train, rng):
    if not train:
        return x.copy(), None
    return np.zeros_like(x), True
''',
    "dropout_backward": '''def dropout_backward(dout, cache):
    return dout.copy() if cache is None else np.zeros_like(dout)
''',
}


CORPUS = [
    Sample("t_dropout_p", "dropout scaled by 1/p, backward consistent with it",
           answers=DROPOUT_BY_P),
    Sample("t_dropout_keep_unscaled", "p taken as the keep probability, kept units unscaled, "
           "backward consistent with it", answers=DROPOUT_KEEP_UNSCALED),
    Sample("t_dropout_keep_by_p", "p taken as the keep probability, kept units divided by p, "
           "backward consistent with it", answers=DROPOUT_KEEP_BY_P),
    Sample("t_dropout_identity", "dropout hands x back in training too, backward dout",
           answers=DROPOUT_IDENTITY),
    Sample("t_dropout_zeros", "dropout returns zeros in training, backward zeros",
           answers=DROPOUT_ZEROS),
    Sample("t_mask_redrawn", "dropout backward draws a new mask from the rng it kept",
           answers=DROPOUT_MASK_REDRAWN),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # dropout_forward: 4 (scaling), 3 (fraction), 3 (train=False), 1 (same seed), 1 (args)
    "t_dropout_p": {"dropout_forward": ((0 + 3 + 3 + 1 + 1) / 12, "scaled_by_p")},
    # dropout_backward: 4 (dx follows the forward: test time only), 3 (finite differences),
    # 1 (args)
    "t_mask_redrawn": {"dropout_backward": ((4 / 4 + 0 + 1 + 1) / 9, "different_mask")},
    # error carried forward: each forward loses its scaling and fraction checks, each
    # backward, right for the forward it was given, keeps everything (it got 2/8 before:
    # the test-time case and the arguments)
    "t_dropout_keep_unscaled": {"dropout_forward": ((0 + 0 + 3 + 1 + 1) / 12, "not_scaled")},
    "t_dropout_keep_by_p": {"dropout_forward": ((0 + 0 + 3 + 1 + 1) / 12, "scaled_by_p")},
    # trivial forwards: the backward agreeing with them earns only its test-time case (and
    # its numbers worked by hand)
    "t_dropout_identity": {"dropout_forward": ((0 + 0 + 3 + 0 + 1) / 12, "not_scaled"),
                           "dropout_backward": ((4 / 4 + 0 + 1 + 1) / 9, "forward_trivial")},
    "t_dropout_zeros": {"dropout_forward": ((0 + 0 + 3 + 0 + 1) / 12, "all_zeros"),
                        "dropout_backward": ((4 / 4 + 0 + 1 + 1) / 9, "forward_trivial")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["dropout_forward", "dropout_backward"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "dropout scales by p": (
        "dropout_forward", [("/ (1.0 - p)", "/ p")], "scaled_by_p"),
    "dropout does not scale": (
        "dropout_forward", [("/ (1.0 - p)", "* 1.0")], "not_scaled"),
    "dropout takes p as the keep probability": (
        "dropout_forward", [(">= p) / (1.0 - p)", "< p) / p")], "p_is_keep_probability"),
    "dropout draws from np.random": (
        "dropout_forward", [("rng.random(x.shape)", "np.random.random(x.shape)")],
        "not_reproducible"),
    "dropout scales at test time": (
        "dropout_forward", [("return x.copy(), None", "return x * (1 - p), None")],
        "scaled_at_test_time"),
    "dropout backward forgets the scaling": (
        "dropout_backward", [("dx = dout * mask", "dx = dout * (mask > 0)")], "unscaled_mask"),
    "dropout backward draws a new mask": (
        "dropout_backward", [("dx = dout * mask", "dx = dout * (np.random.random(dout.shape) "
                              ">= 0.5) * mask.max()")], "different_mask"),
    "dropout backward ignores the mask": (
        "dropout_backward", [("dx = dout * mask", "dx = dout * mask.max()")], "ignores_mask"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)


# ------------------------------------------------------------ what the checks pay and say


def test_a_consistent_backward_keeps_its_credit(reference_student):
    """dropout_forward scaling by p is wrong, but a backward that follows it is right."""
    with bugged(reference_student, "dropout_forward", [("/ (1.0 - p)", "/ p")]):
        assert grade_reference(reference_student[0], "dropout_backward").score == pytest.approx(3.0)


def test_dropout_backward_of_a_forward_that_drops_nothing_earns_only_test_time(reference_student):
    forward = "def dropout_forward(x, p, train, rng):\n    return x.copy(), None\n"
    backward = "def dropout_backward(dout, cache):\n    return dout.copy()\n"
    with replaced(reference_student, "dropout_forward", forward), \
            replaced(reference_student, "dropout_backward", backward):
        checks = checks_of(grade_reference(reference_student[0], "dropout_backward"))
    assert checks["dx follows your forward's mask and scaling"].fraction == 0.25
    assert checks["dx follows your forward's mask and scaling"].kind == "forward_trivial"
    assert checks["matches finite differences of your forward"].fraction == 0
