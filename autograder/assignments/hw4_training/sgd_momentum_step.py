"""sgd_momentum_step (hw4): everything the grader knows about it.

One step from hidden params, gradients and velocities (the default momentum and another),
then three chained steps from zero velocities feeding the student's params and velocities
back; the arguments left unchanged. A wrong step is named by computing what each usual slip
gives on the same inputs (a velocity that moves with the gradient, keeps all of itself or
ignores lr; params moved by the old velocity).
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.compare import Slip, compare_list, explained, first_slip, state_not_carried
from ...judging.diagnose import Diagnosis
from ...judging.grades import CheckSpec
from ...judging.judge import REF_RTOL, StudentError, pair_of
from ...judging.kinds import Kind, declare
from ...judging.recipes import param_list
from ...judging.tally import Arguments, Tally

NAME = "sgd_momentum_step"
MOMENTUM_CASES = {"several arrays, the default momentum": ([(4, 3), (3,)], 0.1, None),
                  "one array, another momentum": ([(6,)], 0.05, 0.5)}

ONE_STEP = CheckSpec("one step from hidden velocities", "value", 4)
CHAIN = CheckSpec("three chained steps", "value", 3)
KINDS = declare(
    Kind("momentum_ignored", "velocities that keep all of the previous velocity"),
    Kind("old_velocity", "params moved by the previous step's velocity"),
)


def momentum_kwargs(momentum):
    return {} if momentum is None else {"momentum": momentum}


def momentum_slip(result, params, grads, velocities, lr, momentum):
    """A named Diagnosis of a usual slip in (new_params, new_velocities), or None."""
    m = 0.9 if momentum is None else momentum
    new_params, new_velocities = result
    return first_slip(new_velocities, [
        Slip("gradient_sign", f"{NAME}: your velocities move along the gradient instead of "
             "against it. Check the sign of the gradient term in the velocity update.",
             [m * v + lr * g for v, g in zip(velocities, grads, strict=False)]),
        Slip("momentum_ignored", f"{NAME}: your velocities keep all of the previous velocity; "
             "it decays by the factor momentum at every step.",
             [v - lr * g for v, g in zip(velocities, grads, strict=False)]),
        Slip("ignores_lr", f"{NAME}: your velocities take in the whole gradient; it enters "
             "scaled by the learning rate lr.",
             [m * v - g for v, g in zip(velocities, grads, strict=False)])]) \
        or first_slip(new_params, [
            Slip("old_velocity", f"{NAME}: your params move by the velocity of the previous "
                 "step. Update the velocity first, then move the params by the new velocity.",
                 [p + v for p, v in zip(params, velocities, strict=False)])])


def check_momentum(judge):
    right = Tally()
    arguments = Arguments(NAME)
    for case, (shapes, lr, momentum) in MOMENTUM_CASES.items():
        params = param_list(judge, f"mom p {case}", shapes)
        grads = param_list(judge, f"mom g {case}", shapes)
        velocities = [0.3 * v for v in param_list(judge, f"mom v {case}", shapes)]
        kwargs = momentum_kwargs(momentum)
        exp_p, exp_v = solutions.sgd_momentum_step([p.copy() for p in params], grads,
                                                   [v.copy() for v in velocities], lr, **kwargs)
        outcome = judge.call(NAME, params, grads, velocities, lr, echo_args=True, **kwargs)
        result, problem = pair_of(outcome if isinstance(outcome, StudentError) else outcome[0],
                                  NAME, "(new_params, new_velocities)")
        if not isinstance(outcome, StudentError):
            arguments.saw([params, grads, velocities], outcome[1][:3],
                          ["params", "grads", "velocities"])
        if problem is not None:
            right.add(problem, count=2 * len(params))
            continue
        wrong = Tally()
        right.count(compare_list(result[1], exp_v, wrong, NAME, f"reference ({case})",
                                 "new_velocities", rtol=REF_RTOL) +
                    compare_list(result[0], exp_p, wrong, NAME, f"reference ({case})",
                                 "new_params", rtol=REF_RTOL), 2 * len(params))
        explained(right, wrong, wrong.found and
                  momentum_slip(result, params, grads, velocities, lr, momentum))
    return [right.check(ONE_STEP, "new params and velocities"), momentum_chain(judge),
            arguments.check(right.first())]


def momentum_chain(judge):
    """Three steps from zero velocities, feeding the student's params and velocities back."""
    shapes, lr = [(3, 2), (2,)], 0.1
    params = param_list(judge, "mom chain p", shapes)
    velocities = [np.zeros(s) for s in shapes]
    ref_p, ref_v = [p.copy() for p in params], [v.copy() for v in velocities]
    steps = Tally()
    for step in range(3):
        grads = param_list(judge, f"mom chain g {step}", shapes)
        ref_p, ref_v = solutions.sgd_momentum_step(ref_p, grads, ref_v, lr)
        result, problem = pair_of(judge.call(NAME, params, grads, velocities, lr), NAME,
                                  "(new_params, new_velocities)")
        if problem is None and not (isinstance(result[1], (tuple, list)) and
                                    len(result[1]) == len(shapes)):
            problem = Diagnosis("wrong_structure", f"{NAME}: new_velocities must be a list "
                                "with one array per param, to feed the next step.")
        if problem is None:
            wrong = Tally()
            if compare_list(result[0], ref_p, wrong, NAME, f"the reference after step "
                            f"{step + 1}", "new_params", rtol=REF_RTOL) == len(shapes):
                steps.add(None)
                params, velocities = list(result[0]), list(result[1])
                continue
            problem = (momentum_slip(result, params, grads, velocities, lr, None) or
                       (state_not_carried(NAME, step, "the velocities you return are the ones "
                                          "the next step needs") if steps.passed == step > 0
                        else wrong.verdicts()[0]))
        steps.add(problem, count=3 - step)  # this step and every one after it
        break
    return steps.check(CHAIN, "steps", ok="three chained steps match the reference.")


CHECKS = {NAME: check_momentum}
NOTEBOOK_CHECKS = in_notebook.same_as_reference(
    NAME, lambda f, given, seed: f(given.params, given.grads, [g * 0.5 for g in given.grads],
                                   0.1))
