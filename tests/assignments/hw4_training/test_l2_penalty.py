"""l2_penalty, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py); the
checks on the reference with realistic bugs swapped in."""

import pytest
from support import (
    bugged,
    checks_of,
    code_score,
    corpus_test,
    grade_reference,
    reference_tests,
    replaced,
)

from autograder.round.samples import Sample

A = "hw4_training"

L2_GRAD_WITHOUT_2 = '''def l2_penalty(params, reg):
    loss = reg * sum(np.sum(p * p) for p in params)
    grads = [reg * p for p in params]
    return loss, grads
'''


L2_COMPLEX_STEP = '''\
def penalty(params, reg):
    return reg * sum(np.sum(p * p) for p in params)


def l2_penalty(params, reg):
    loss = float(penalty(params, reg).real)
    grads = []
    for k, p in enumerate(params):
        g = np.zeros(p.shape)
        for i in np.ndindex(p.shape):
            bumped = [q.astype(complex) for q in params]
            bumped[k][i] += 1e-30j
            g[i] = penalty(bumped, reg).imag / 1e-30
        grads.append(g)
    return loss, grads
'''

CORPUS = [
    Sample("t_l2_grad", "l2 gradient without the factor 2",
           answers={"l2_penalty": L2_GRAD_WITHOUT_2}),
    Sample("t_l2_complex_step", "l2_penalty's grads by a complex step of its own loss",
           answers={"l2_penalty": L2_COMPLEX_STEP}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # l2: 4 (loss), 3 (grads vs reference), 3 (finite differences of the loss), 1 (args)
    "t_l2_grad": {"l2_penalty": ((4 + 0 + 0 + 1 + 1) / 12, "scaled_by_half")},
    # the loss and the numbers worked by hand pay; the grads are evaluated, not derived
    "t_l2_complex_step": {"l2_penalty": ((4 + 0 + 0 + 1 + 1) / 12, "not_derived")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["l2_penalty"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "l2 loss with a factor 1/2": (
        "l2_penalty", [("loss = reg * sum", "loss = 0.5 * reg * sum")], "scaled_by_half"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)


# ------------------------------------------------------------ what the checks pay and say


def test_l2_grads_consistent_with_half_the_loss_keep_their_credit(reference_student):
    """Half the loss (a slip the judge names, scaled_by_half) and grads consistent with it:
    error carried forward, the finite differences pay (3 of 12) and the arguments check with
    them (1 of 12), and the numbers worked by hand (1 of 12); the loss and the reference
    grads are lost."""
    with bugged(reference_student, "l2_penalty", [("loss = reg * sum", "loss = 0.5 * reg * sum"),
                                                  ("2.0 * reg * p", "reg * p")]):
        grade = grade_reference(reference_student[0], "l2_penalty")
    checks = checks_of(grade)
    assert checks["grads match finite differences of your loss"].fraction == 1
    assert checks["loss on hidden params"].kind == "scaled_by_half"
    assert grade.score == pytest.approx(3.0 * 5 / 12)


@pytest.mark.parametrize("loss, grad", [
    ("reg * sum(np.sum(p) for p in params)", "reg * np.ones_like(p)"),   # the params echoed
    ("0.0 * len(params)", "np.zeros_like(p)"),                           # a constant
])
def test_l2_grads_consistent_with_a_trivial_loss_pay_nothing(reference_student, loss, grad):
    text = (f"def l2_penalty(params, reg):\n    loss = {loss}\n"
            f"    return float(loss), [{grad} for p in params]\n")
    with replaced(reference_student, "l2_penalty", text):
        grade = grade_reference(reference_student[0], "l2_penalty")
    fd = checks_of(grade)["grads match finite differences of your loss"]
    assert fd.fraction == 0 and fd.kind in ("forward_trivial", "forward_ignores_input")
    assert code_score(grade) == 0  # only the numbers worked by hand pay
