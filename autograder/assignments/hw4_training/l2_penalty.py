"""l2_penalty (hw4): everything the grader knows about it.

The loss and every gradient against the reference on hidden params (several arrays, one
array, a tiny reg), and each gradient against finite differences of the student's own loss
(``sampled_coordinates``), which pay when that loss is an honest attempt (judging/carried.py:
right on a hidden case, a named slip such as half the loss, or changing with every entry as
the reference does), not when it is constant or linear in the params (their sum, scaled).
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.carried import Attempt, carried, dependence_along
from ...judging.compare import compare_list
from ...judging.diagnose import Diagnosis, diagnose
from ...judging.finite_differences import derivatives_at, fd_verdict, shape_verdict
from ...judging.grades import CheckSpec
from ...judging.judge import (
    REF_RTOL,
    StudentError,
    Unusable,
    as_float_array,
    one_check,
    pair_of,
    weighted_sum,
)
from ...judging.recipes import param_list
from ...judging.tally import Arguments, Tally

NAME = "l2_penalty"
L2_CASES = {"several arrays": ([(4, 3), (3,), (2, 2, 2)], 0.05), "one array": ([(5, 4)], 1.5),
            "a tiny reg": ([(3, 3), (3,)], 1e-4)}

LOSS = CheckSpec("loss on hidden params", "value", 4)
GRADS = CheckSpec("grads match the reference", "gradient", 3)
FD = CheckSpec("grads match finite differences of your loss", "fd", 3)


def check_l2(judge):
    losses, grads = Tally(), Tally()
    arguments = Arguments(NAME)
    attempt = Attempt()
    for case, (shapes, reg) in L2_CASES.items():
        params = param_list(judge, f"l2 {case}", shapes)
        ref_loss, ref_grads = solutions.l2_penalty([p.copy() for p in params], reg)
        outcome = judge.call(NAME, params, reg, echo_args=True)
        result, problem = pair_of(outcome if isinstance(outcome, StudentError) else outcome[0],
                                  NAME, "(loss, grads)")
        if not isinstance(outcome, StudentError):
            arguments.saw([params], [outcome[1][0]], ["params"])
        if problem is not None:
            losses.add(problem)
            grads.add(problem, count=len(params))
            continue
        loss = diagnose(result[0], ref_loss, function=NAME, what="loss",
                        check=f"reference ({case})", rtol=REF_RTOL)
        losses.add(loss, result[0], ref_loss)
        attempt.saw_value(loss)
        grads.count(compare_list(result[1], ref_grads, grads, NAME, f"reference ({case})",
                                 "grads", rtol=REF_RTOL), len(params))
    return [losses.check(LOSS), grads.check(GRADS, "gradients on hidden params"),
            carried(l2_fd_check(judge, attempt), attempt, NAME, "loss"),
            arguments.check(losses.first())]


@one_check(FD)
def l2_fd_check(judge, attempt):
    """Each gradient vs finite differences of the student's own loss; how that loss depends
    on each param goes into ``attempt``."""
    shapes, reg = L2_CASES["several arrays"]
    params = param_list(judge, "l2 fd", shapes)
    ref_loss, ref_grads = solutions.l2_penalty([p.copy() for p in params], reg)
    result, problem = pair_of(judge.call(NAME, params, reg), NAME, "(loss, grads)")
    if problem is None and not (isinstance(result[1], (tuple, list)) and
                                len(result[1]) == len(params)):
        problem = Diagnosis("wrong_structure", f"{NAME}: grads must hold one array per param.")
    if problem is not None:
        return FD.failed(problem)
    agree, classes = Tally(), []
    for k, (p, g) in enumerate(zip(params, result[1], strict=False)):
        what = f"grads[{k}]"
        d = shape_verdict(g, p, function=NAME, source="loss", what=what, truth=p)
        if d is None:
            def F(t, k=k):
                new = list(params)
                new[k] = t
                value, bad = pair_of(judge.call(NAME, new, reg), NAME, "(loss, grads)")
                if bad is not None:
                    raise Unusable(bad)
                loss = as_float_array(value[0])
                if loss is None or loss.size != 1:
                    raise Unusable(Diagnosis("not_numeric", f"{NAME}: the loss is not a single "
                                             "number, so its finite differences can't be "
                                             "taken."))
                return weighted_sum(loss, 1.0, NAME, "loss")
            d = derivatives_at(F, p, judge.rng([71, k]), function=NAME, source="loss",
                               right=(ref_loss, ref_grads[k]))
            if not isinstance(d, Diagnosis):
                classes.append(dependence_along(*d, ref_grads[k], 1.0))
                d = fd_verdict(g, *d, function=NAME, source="loss", what=what,
                               check="finite differences of your loss")
        agree.add(d)
    if len(classes) == len(params):
        attempt.saw_dependence(classes)
    return agree.check(FD, "gradients", ok="every gradient agrees with finite differences of "
                       "your own loss.")


CHECKS = {NAME: check_l2}
NOTEBOOK_CHECKS = in_notebook.same_as_reference(
    NAME, lambda f, given, seed: f(given.params, 0.1))


def by_hand_numbers():
    """reg = 0.1, params [1, -2] and [[3]]: {"loss": (), "grad_0": (2,), "grad_1": (1, 1)}."""
    loss, grads = solutions.l2_penalty([np.array([1.0, -2.0]), np.array([[3.0]])], 0.1)
    return {"loss": loss, "grad_0": grads[0], "grad_1": grads[1]}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('l2_penalty', 'l2_penalty', by_hand_numbers, beside=11)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
