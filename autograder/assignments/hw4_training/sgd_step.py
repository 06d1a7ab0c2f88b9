"""sgd_step (hw4): everything the grader knows about it.

The new params against the reference on hidden params and gradients (several arrays, one
array, three axes with a small lr), params and grads left unchanged; a wrong step is named by
computing what each usual slip gives on the same inputs (a step that climbs the gradient,
ignores lr, or is returned in place of the new params).
"""
import solutions

from ...judging import in_notebook
from ...judging.compare import Slip, compare_list, explained, first_slip
from ...judging.grades import CheckSpec
from ...judging.judge import REF_RTOL, StudentError, failure
from ...judging.kinds import Kind, declare
from ...judging.recipes import param_list
from ...judging.tally import Arguments, Tally

NAME = "sgd_step"
SGD_CASES = {"several arrays": ([(4, 3), (3,)], 0.1), "one array": ([(5,)], 0.5),
             "three axes, a small lr": ([(2, 3, 2)], 1e-2)}

NEW_PARAMS = CheckSpec("new params on hidden inputs", "value", 4)
KINDS = declare(Kind("returns_step", "the step returned in place of the new params"))


def sgd_slips(params, grads, lr):
    return [
        Slip("gradient_sign", f"{NAME}: your params move along the gradient instead of against "
             "it; gradient descent steps downhill.",
             [p + lr * g for p, g in zip(params, grads, strict=False)]),
        Slip("ignores_lr", f"{NAME}: your params move by the whole gradient; the step is the "
             "gradient scaled by the learning rate lr.",
             [p - g for p, g in zip(params, grads, strict=False)]),
        Slip("returns_step", f"{NAME}: you return the step, not the new params: apply it to "
             "each param.", [-lr * g for g in grads])]


def check_sgd(judge):
    right = Tally()
    arguments = Arguments(NAME)
    for case, (shapes, lr) in SGD_CASES.items():
        params = param_list(judge, f"sgd p {case}", shapes)
        grads = param_list(judge, f"sgd g {case}", shapes)
        expected = solutions.sgd_step([p.copy() for p in params], grads, lr)
        outcome = judge.call(NAME, params, grads, lr, echo_args=True)
        if isinstance(outcome, StudentError):
            right.add(failure(outcome, NAME, "new params"), count=len(params))
            continue
        result, after = outcome
        arguments.saw([params, grads], after[:2], ["params", "grads"])
        wrong = Tally()
        right.count(compare_list(result, expected, wrong, NAME, f"reference ({case})",
                                 "new_params", rtol=REF_RTOL), len(params))
        explained(right, wrong, wrong.found and first_slip(result, sgd_slips(params, grads, lr)))
    return [right.check(NEW_PARAMS, "new params"), arguments.check(right.first())]


CHECKS = {NAME: check_sgd}
NOTEBOOK_CHECKS = in_notebook.same_as_reference(
    NAME, lambda f, given, seed: f(given.params, given.grads, 0.1))
