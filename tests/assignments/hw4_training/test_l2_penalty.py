"""l2_penalty, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py); the
checks on the reference with realistic bugs swapped in."""

from support import bugged, checks_of, code_score, corpus_test, grade_reference, reference_tests

from autograder.round.samples import Sample

A = "hw4_training"

L2_GRAD_WITHOUT_2 = '''def l2_penalty(params, reg):
    loss = reg * sum(np.sum(p * p) for p in params)
    grads = [reg * p for p in params]
    return loss, grads
'''


CORPUS = [
    Sample("t_l2_grad", "l2 gradient without the factor 2",
           answers={"l2_penalty": L2_GRAD_WITHOUT_2}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # l2: 4 (loss), 3 (grads vs reference), 3 (finite differences of the loss), 1 (args)
    "t_l2_grad": {"l2_penalty": ((4 + 0 + 0 + 1 + 1) / 12, "scaled_by_half")},
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


def test_l2_grads_consistent_with_a_wrong_loss_earn_no_finite_difference_credit(reference_student):
    with bugged(reference_student, "l2_penalty", [("loss = reg * sum", "loss = 0.5 * reg * sum"),
                                        ("2.0 * reg * p", "reg * p")]):
        grade = grade_reference(reference_student[0], "l2_penalty")
    assert checks_of(grade)["grads match finite differences of your loss"].kind == \
        "forward_wrong"
    assert code_score(grade) == 0  # only the numbers worked by hand pay
