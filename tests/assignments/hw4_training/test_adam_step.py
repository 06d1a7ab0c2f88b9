"""adam_step, what proves the grader's checks: submissions written the way students write them,
each with its exact score and diagnosis (graded in the assignment's class, support.py); the
checks on the reference with realistic bugs swapped in."""

import numpy as np
import pytest
from support import corpus_test, reference_tests

from autograder.course.notebook_tests import run_hidden_check
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


# In place: the params and the moments updated where they lie (the state is the student's
# own, so updating it is fine; the params are the caller's, which the contract forbids).
ADAM_IN_PLACE = '''def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"t": 0, "m": [np.zeros_like(p) for p in params],
                 "v": [np.zeros_like(p) for p in params]}
    state["t"] += 1
    t = state["t"]
    for p, g, m, v in zip(params, grads, state["m"], state["v"]):
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        p -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return params, state
'''

# In place, and the bias corrections too: m and v of the state become m_hat and v_hat, so
# the first step is right and the next ones are not.
ADAM_CORRECTS_IN_PLACE = ADAM_IN_PLACE.replace(
    "        p -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)\n",
    "        m /= 1 - beta1 ** t\n        v /= 1 - beta2 ** t\n"
    "        p -= lr * m / (np.sqrt(v) + eps)\n")


CORPUS = [
    Sample("t_adam_in_place", "Adam updates the params and its moments in place",
           answers={"adam_step": ADAM_IN_PLACE}),
    Sample("t_adam_corrects_in_place", "Adam updates everything in place, the bias "
           "corrections of its own state too", answers={"adam_step": ADAM_CORRECTS_IN_PLACE}),
    Sample("t_adam_t", "Adam's step count starts at 1, so the first step has t = 2",
           answers={"adam_step": ADAM_OFF_BY_ONE}),
    Sample("t_adam_m_only", "Adam corrects m only",
           answers={"adam_step": ADAM_CORRECTS_M_ONLY}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # first step 4, chain 3, arguments 1: right values, the caller's params changed
    "t_adam_in_place": {"adam_step": ((4 + 3 + 0) / 8, "input_mutated")},
    # the chain's first step right, the three after it wrong
    "t_adam_corrects_in_place": {"adam_step": ((4 + 3 / 4 + 0) / 8, "input_mutated")},
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


def student_namespace(source):
    """The namespace a notebook's cell ``source`` leaves (with numpy as np)."""
    namespace = {"np": np}
    exec(source, namespace)
    return namespace


@pytest.mark.parametrize("source, right", [(ADAM_IN_PLACE, True), (ADAM_CORRECTS_M_ONLY, False)])
def test_the_notebook_hidden_check_gives_the_reference_inputs_of_its_own(source, right):
    """nbgrader's hidden check compares the student's result with the reference's: an Adam
    that changes the params in place must not move the reference's starting point (it did:
    the reference then took a second step and the right values were called wrong)."""
    namespace = student_namespace(source)
    if right:
        run_hidden_check("adam_step", namespace)
    else:
        with pytest.raises(AssertionError, match="adam_step: result differs"):
            run_hidden_check("adam_step", namespace)
