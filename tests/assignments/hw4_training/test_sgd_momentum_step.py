"""sgd_momentum_step, what proves the grader's checks: submissions written the way students write
them, each with its exact score and diagnosis (graded in the assignment's class, support.py);
the checks on the reference with realistic bugs swapped in."""

from support import corpus_test, reference_tests

from autograder.round.samples import Sample

A = "hw4_training"

MOMENTUM_SIGN = '''def sgd_momentum_step(params, grads, velocities, lr, momentum=0.9):
    new_velocities = [momentum * v + lr * g for v, g in zip(velocities, grads)]
    new_params = [p + v for p, v in zip(params, new_velocities)]
    return new_params, new_velocities
'''


MOMENTUM_IN_PLACE = '''def sgd_momentum_step(params, grads, velocities, lr, momentum=0.9):
    for p, g, v in zip(params, grads, velocities):
        v *= momentum
        v -= lr * g
        p += v
    return params, velocities
'''


CORPUS = [
    Sample("t_momentum_in_place", "momentum updates the params and velocities in place",
           answers={"sgd_momentum_step": MOMENTUM_IN_PLACE}),
    Sample("t_momentum_sign", "momentum velocity adds lr * g",
           answers={"sgd_momentum_step": MOMENTUM_SIGN}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # one step 4, chain 3, arguments 1: right values, the caller's arrays changed
    "t_momentum_in_place": {"sgd_momentum_step": ((4 + 3 + 0) / 8, "input_mutated")},
    "t_momentum_sign": {"sgd_momentum_step": (0.0, "gradient_sign")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["sgd_momentum_step"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "momentum adds lr * g": (
        "sgd_momentum_step", [("momentum * v - lr * g", "momentum * v + lr * g")],
        "gradient_sign"),
    "momentum keeps the whole velocity": (
        "sgd_momentum_step", [("momentum * v - lr * g", "v - lr * g")], "momentum_ignored"),
    "momentum ignores lr": (
        "sgd_momentum_step", [("momentum * v - lr * g", "momentum * v - g")], "ignores_lr"),
    "momentum moves params by the old velocity": (
        "sgd_momentum_step", [("p + v for p, v in zip(params, new_velocities, strict=True)",
                               "p + v for p, v in zip(params, velocities)")], "old_velocity"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)
