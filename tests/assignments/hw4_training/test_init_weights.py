"""init_weights, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py); the
checks on the reference with realistic bugs swapped in."""

from support import corpus_test, reference_tests

from autograder.round.samples import Sample

A = "hw4_training"

INIT_HE_AS_XAVIER = '''def init_weights(fan_in, fan_out, scheme, rng):
    if scheme == "zeros":
        return np.zeros((fan_in, fan_out))
    if scheme == "normal":
        return rng.standard_normal((fan_in, fan_out))
    if scheme in ("xavier", "he"):
        return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1 / fan_in)
    raise ValueError(scheme)
'''


CORPUS = [
    Sample("t_he", "init 'he' with sqrt(1/fan_in)",
           answers={"init_weights": INIT_HE_AS_XAVIER}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # init: 4 (std of the three schemes), 2 (zeros), 1 (shape), 1 (seed), 1 (ValueError)
    "t_he": {"init_weights": ((4 * 2 / 3 + 2 + 1 + 1 + 1) / 9, "wrong_std")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["init_weights"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "he with sqrt(1/fan_in)": (
        "init_weights", [('"he": np.sqrt(2.0 / fan_in)', '"he": np.sqrt(1.0 / fan_in)')],
        "wrong_std"),
    "xavier with sqrt(2/fan_in)": (
        "init_weights", [('"xavier": np.sqrt(1.0 / fan_in)', '"xavier": np.sqrt(2.0 / fan_in)')],
        "wrong_std"),
    "init raises KeyError for an unknown scheme": (
        "init_weights", [("raise ValueError", "raise KeyError")], "wrong_exception"),
    "init draws from np.random": (
        "init_weights", [("rng.standard_normal((fan_in, fan_out))",
                          "np.random.standard_normal((fan_in, fan_out))")], "not_reproducible"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)
