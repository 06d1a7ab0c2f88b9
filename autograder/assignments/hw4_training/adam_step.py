"""adam_step (hw4): everything the grader knows about it.

The first step from state None against the reference (the default betas and others), then
four chained steps with the student's own state (kept in its process) fed back; params and
grads left unchanged. A wrong step is named by computing what each usual slip gives on the
same inputs: the step count starting one too high, at 0, or never advancing, and a bias
correction left out of one or both moments.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.compare import Slip, compare_list, explained, state_not_carried
from ...judging.diagnose import Diagnosis
from ...judging.grades import CheckSpec
from ...judging.judge import ITEM, REF_RTOL, StudentError, failure, pair_of
from ...judging.kinds import Kind, declare
from ...judging.recipes import drawn, param_list
from ...judging.tally import Arguments, Tally

NAME = "adam_step"
ADAM_CASES = {"the default betas": ([(4, 3), (3,)], 1e-2, {}),
              "other betas": ([(5,)], 5e-3, {"beta1": 0.8, "beta2": 0.99})}

FIRST_STEP = CheckSpec("first step from state None", "value", 4)
CHAIN = CheckSpec("four chained steps", "value", 3)
KINDS = declare(
    Kind("step_count_off_by_one", "Adam's step count starting one too high"),
    Kind("step_count_zero", "a step count of 0 in the bias corrections"),
    Kind("missing_bias_correction", "no bias correction of either moment"),
    Kind("bias_correction_one_moment", "the bias correction of only one moment"),
    Kind("step_count_not_advanced", "a step count that never advances"),
)


def adam_steps(params, grads_by_step, lr, beta1=0.9, beta2=0.999, eps=1e-8, first_t=1,
               advance=True, correct=(True, True)):
    """The params after each step of Adam from state None, with the step count starting at
    ``first_t`` (and kept there unless ``advance``), and the bias correction of m and of v
    applied or not (``correct``): the usual slips, computed in the judge."""
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t, out = first_t, []
    for grads in grads_by_step:
        m = [beta1 * mi + (1 - beta1) * g for mi, g in zip(m, grads, strict=False)]
        v = [beta2 * vi + (1 - beta2) * g * g for vi, g in zip(v, grads, strict=False)]
        with np.errstate(all="ignore"):
            m_hat = [mi / (1 - beta1**t) if correct[0] else mi for mi in m]
            v_hat = [vi / (1 - beta2**t) if correct[1] else vi for vi in v]
            params = [p - lr * mh / (np.sqrt(vh) + eps)
                      for p, mh, vh in zip(params, m_hat, v_hat, strict=False)]
        out.append(params)
        t += advance
    return out


# The usual slips: the options of adam_steps that give each, and what the student's updates are.
ADAM_SLIPS = [
    Slip("step_count_off_by_one", "what a step count that starts one too high gives: the first "
         "step has t = 1 in its bias corrections", {"first_t": 2}),
    Slip("step_count_zero", "NaN or inf, what a step count of 0 in the bias corrections gives "
         "(1 - beta**0 is 0): count the step before correcting, so that the first step has "
         "t = 1", {"first_t": 0}),
    Slip("missing_bias_correction", "what leaving out the bias correction of both moments "
         "gives. Correct each moment estimate for its start at zero, with the step count of "
         "this step", {"correct": (False, False)}),
    Slip("bias_correction_one_moment", "what correcting the first moment m alone gives: the "
         "second moment v needs its bias correction too", {"correct": (True, False)}),
    Slip("bias_correction_one_moment", "what correcting the second moment v alone gives: the "
         "first moment m needs its bias correction too", {"correct": (False, True)}),
    Slip("step_count_not_advanced", "what a step count that stays at 1 gives: it grows by one "
         "at every step, and the state carries it to the next step", {"advance": False}),
]


def adam_slip(got, params, grads_by_step, lr, kwargs, where):
    """A named Diagnosis when the student's params after the last of ``grads_by_step`` are what
    one of the usual slips gives (and the right Adam does not), or None."""
    start = np.concatenate([np.ravel(p) for p in params])
    try:
        got = np.concatenate([np.ravel(np.asarray(g, dtype=float)) for g in got])
    except (TypeError, ValueError):
        return None
    right = np.concatenate([np.ravel(p) for p in adam_steps(params, grads_by_step, lr,
                                                            **kwargs)[-1]])
    for slip in ADAM_SLIPS:
        slipped = np.concatenate([np.ravel(p) for p in adam_steps(
            params, grads_by_step, lr, **kwargs, **slip.value)[-1]])
        if got.shape != slipped.shape:
            continue
        if not np.all(np.isfinite(slipped)):
            matched = np.array_equal(np.isfinite(got), np.isfinite(slipped))
        else:  # a slip within a thousandth of the step from the right Adam is no slip here
            moved = 1e-3 * np.max(np.abs(slipped - start))
            matched = not np.allclose(slipped, right, rtol=0, atol=moved) and \
                np.allclose(got, slipped, rtol=0, atol=moved)
        if matched:
            return Diagnosis(slip.kind, f"{NAME}, {where}: your params are {slip.message}.")
    return None


def adam_grads(rng, shape):
    """Gradients of both signs in fixed shares, none near 0 (where eps would matter)."""
    return drawn(rng, shape, ((0.3, 1.0), (1.0, 2.5)))


def adam_call(judge, params, grads, state, lr, kwargs):
    """((new params, handle of the new state) or None, args as the call left them or None,
    Diagnosis or None)."""
    outcome = judge.call(NAME, params, grads, state, lr, keep=True, echo_args=True, **kwargs)
    if isinstance(outcome, StudentError):
        return None, None, failure(outcome, NAME, "(new_params, new_state)")
    (handle, result), after = outcome
    result, problem = pair_of(result, NAME, "(new_params, new_state)")
    if problem is not None:
        return None, after, problem
    kept = judge.call(ITEM, handle, 1, keep=True)
    if isinstance(kept, StudentError):
        return None, after, failure(kept, NAME, "new_state")
    return (result[0], kept[0]), after, None


def check_adam(judge):
    right = Tally()
    arguments = Arguments(NAME)
    for case, (shapes, lr, kwargs) in ADAM_CASES.items():
        params = param_list(judge, f"adam p {case}", shapes)
        grads = [adam_grads(judge.rng([73, len(case), k]), s) for k, s in enumerate(shapes)]
        expected, _ = solutions.adam_step([p.copy() for p in params], grads, None, lr, **kwargs)
        got, after, problem = adam_call(judge, params, grads, None, lr, kwargs)
        if after is not None:
            arguments.saw([params, grads], after[:2], ["params", "grads"])
        if problem is not None:
            right.add(problem, count=len(params))
            continue
        wrong = Tally()
        right.count(compare_list(got[0], expected, wrong, NAME, f"reference ({case})",
                                 "new_params", rtol=REF_RTOL), len(params))
        explained(right, wrong, wrong.found and adam_slip(
            got[0], params, [grads], lr, kwargs, f"first step from state None ({case})"))
    return [right.check(FIRST_STEP, "new params"), adam_chain(judge),
            arguments.check(right.first())]


def adam_chain(judge):
    """Four steps from state None, the student's own state (kept in its process) fed back."""
    shapes, lr = [(3, 2), (2,)], 0.05
    start = param_list(judge, "adam chain p", shapes)
    params, ref_p, ref_state, state = start, [p.copy() for p in start], None, None
    steps, grads_by_step = Tally(), []
    for step in range(4):
        grads = [adam_grads(judge.rng([79, step, k]), s) for k, s in enumerate(shapes)]
        grads_by_step.append(grads)
        ref_p, ref_state = solutions.adam_step(ref_p, grads, ref_state, lr)
        got, _, problem = adam_call(judge, params, grads, state, lr, {})
        if problem is None:
            params, state = got
            wrong = Tally()
            if compare_list(params, ref_p, wrong, NAME, f"the reference after step "
                            f"{step + 1}", "new_params", rtol=REF_RTOL) == len(shapes):
                steps.add(None)
                params = list(params)
                continue
            problem = (adam_slip(params, start, grads_by_step, lr, {}, f"step {step + 1} of "
                                 "a chain") or
                       (state_not_carried(NAME, step, "the state you return carries "
                                          "everything the next step needs (both moment "
                                          "estimates and the step count) and that each step "
                                          "uses it") if steps.passed == step > 0 else
                        wrong.verdicts()[0]))
        steps.add(problem, count=4 - step)  # this step and every one after it
        break
    return steps.check(CHAIN, "steps", ok="four chained steps match the reference.")


CHECKS = {NAME: check_adam}
NOTEBOOK_CHECKS = in_notebook.same_as_reference(
    NAME, lambda f, given, seed: f(given.params, given.grads, None, 0.1))
