"""sgd_step, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py); the
checks on the reference with realistic bugs swapped in."""

from support import corpus_test, reference_tests

from autograder.round.samples import Sample

A = "hw4_training"

SGD_IN_PLACE = '''def sgd_step(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g
    return params
'''


CORPUS = [
    Sample("t_sgd_in_place", "sgd updates the params in place",
           answers={"sgd_step": SGD_IN_PLACE}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "t_sgd_in_place": {"sgd_step": ((4 + 0) / 5, "input_mutated")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["sgd_step"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "sgd updates in place": (
        "sgd_step", [("new_params = [p - lr * g for p, g in zip(params, grads, strict=True)]",
                      "for p, g in zip(params, grads):\n        p -= lr * g\n"
                      "    new_params = params")], "input_mutated"),
    "sgd climbs the gradient": (
        "sgd_step", [("p - lr * g", "p + lr * g")], "gradient_sign"),
    "sgd ignores lr": (
        "sgd_step", [("p - lr * g", "p - g")], "ignores_lr"),
    "sgd returns the step": (
        "sgd_step", [("p - lr * g", "-lr * g")], "returns_step"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)
