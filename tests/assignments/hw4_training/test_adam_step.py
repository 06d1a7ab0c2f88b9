"""adam_step, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py); the
checks on the reference with realistic bugs swapped in."""

from support import corpus_test, reference_tests

from autograder.round.samples import Sample

A = "hw4_training"

ADAM_OFF_BY_ONE = '''def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"t": 1, "m": [np.zeros_like(p) for p in params],
                 "v": [np.zeros_like(p) for p in params]}
    t = state["t"] + 1
    m = [beta1 * m + (1 - beta1) * g for m, g in zip(state["m"], grads)]
    v = [beta2 * v + (1 - beta2) * g ** 2 for v, g in zip(state["v"], grads)]
    new_params = []
    for p, mi, vi in zip(params, m, v):
        m_hat = mi / (1 - beta1 ** t)
        v_hat = vi / (1 - beta2 ** t)
        new_params.append(p - lr * m_hat / (np.sqrt(v_hat) + eps))
    return new_params, {"t": t, "m": m, "v": v}
'''


ADAM_CORRECTS_M_ONLY = '''def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"t": 0, "m": [np.zeros_like(p) for p in params],
                 "v": [np.zeros_like(p) for p in params]}
    t = state["t"] + 1
    m = [beta1 * m + (1 - beta1) * g for m, g in zip(state["m"], grads)]
    v = [beta2 * v + (1 - beta2) * g ** 2 for v, g in zip(state["v"], grads)]
    new_params = [p - lr * (mi / (1 - beta1 ** t)) / (np.sqrt(vi) + eps)
                  for p, mi, vi in zip(params, m, v)]
    return new_params, {"t": t, "m": m, "v": v}
'''


CORPUS = [
    Sample("t_adam_t", "Adam's step count starts at 1, so the first step has t = 2",
           answers={"adam_step": ADAM_OFF_BY_ONE}),
    Sample("t_adam_m_only", "Adam corrects m only",
           answers={"adam_step": ADAM_CORRECTS_M_ONLY}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "t_adam_t": {"adam_step": (0.0, "step_count_off_by_one")},
    "t_adam_m_only": {"adam_step": (0.0, "bias_correction_one_moment")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["adam_step"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "adam without bias correction": (
        "adam_step", [("(mi / (1 - beta1**t)) / (np.sqrt(vi / (1 - beta2**t)) + eps)",
                       "mi / (np.sqrt(vi) + eps)")], "missing_bias_correction"),
    "adam does not count steps": (
        "adam_step", [('new_state = {"t": t,', 'new_state = {"t": state["t"],')],
        "step_count_not_advanced"),
    "adam's step count starts one too high": (
        "adam_step", [('"t": 0,', '"t": 1,')], "step_count_off_by_one"),
    "adam corrects the step count after using it": (
        "adam_step", [('t = state["t"] + 1', 't = state["t"]'),
                      ('new_state = {"t": t,', 'new_state = {"t": t + 1,')], "step_count_zero"),
    "adam corrects m only": (
        "adam_step", [("(np.sqrt(vi / (1 - beta2**t)) + eps)", "(np.sqrt(vi) + eps)")],
        "bias_correction_one_moment"),
    "adam corrects v only": (
        "adam_step", [("(mi / (1 - beta1**t))", "mi")], "bias_correction_one_moment"),
    "adam keeps only the last gradient as m": (
        "adam_step", [("beta1 * m + (1 - beta1) * g", "(1 - beta1) * g")], "state_not_carried"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)
