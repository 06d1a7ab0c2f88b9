"""How a loss is judged (hw2's ``softmax_loss``, ``mse_loss``, ``bce_loss``): as a pair (see
pairs.py), with the loss value in place of the forward and its gradient in place of the
backward's.

Each loss's module declares its ``Loss``: its hidden cases, the name of its gradient, the
check that compares that gradient with the reference, and what the contract promises of a
stable loss and the advice shown when it overflows.
"""
from dataclasses import dataclass

import numpy as np

import solutions

from ..sandbox.runner import StudentError
from .carried import dependence_along
from .compare import matches
from .diagnose import Diagnosis, diagnose, diagnose_fp_warnings
from .finite_differences import (
    answering_probes,
    answers_probes,
    differentiate,
    fd_verdict,
    few_directions,
    shape_verdict,
)
from .grades import CheckSpec
from .judge import (
    REF_RTOL,
    Unusable,
    all_finite,
    as_float_array,
    failure,
    numeric,
    one_check,
    usable_base,
    weighted_sum,
)
from .pairs import Facts, earned_fd, shown, stable_check, too_slow
from .recipes import salt
from .tally import Arguments

LOSS_VALUES = CheckSpec("loss values on hidden inputs", "value", 3)
LOSS_FD = CheckSpec("gradient matches finite differences of your loss", "fd", 3)


@dataclass(frozen=True)
class Loss:
    """A loss ``name``: its hidden cases, ``what`` its gradient is called ("dx", ...), the
    ``gradient`` check (that gradient against the reference), ``stable`` (what the contract
    promises of it, when it promises stability) and ``advice`` (what to look at when it
    overflows, when not exp's)."""

    name: str
    cases: tuple
    what: str
    gradient: CheckSpec
    stable: str = None
    advice: str = None

    def checks(self):
        return {self.name: lambda judge: check_loss(judge, self)}


def check_loss(judge, loss):
    name, what, advice = loss.name, loss.what, loss.advice
    reference = getattr(solutions, name)
    facts, values, grads, stable, seen = Facts(), [], [], [], []
    arguments = Arguments(name)

    def no_loss(case, value_bad, grad_bad):
        """A case that gave no loss to compare: it costs its values, gradient and stability."""
        if case.has("huge"):
            stable.append(value_bad)
        if not case.has("finite_only"):
            values.append(value_bad)
            grads.append(grad_bad)
            seen.append(case)

    for index, case in enumerate(loss.cases):
        args, _ = case.make(judge.rng([13, index, salt(name)]))
        outcome = judge.call(name, *args, echo_args=True)
        warned = judge.warnings()
        if isinstance(outcome, StudentError):
            value_bad, grad_bad = failure(outcome, name, "loss"), failure(outcome, name, what)
            if case.has("large") and outcome.kind == "timeout":
                grad_bad = facts.too_slow = too_slow(name, case, args[0].size)
            no_loss(case, value_bad, grad_bad)
            continue
        result, after = outcome
        arguments.saw(args, after, ("scores", "targets"))
        if not (isinstance(result, tuple) and len(result) == 2):
            d = Diagnosis("wrong_structure", f"{name} must return (loss, {what}).")
            no_loss(case, d, d)
            continue
        value, dx = result
        if case.has("huge"):
            stable.append(diagnose_fp_warnings(warned, function=name, check=case.name,
                                               finite=all_finite(value, dx), advice=advice))
        if case.has("finite_only"):
            continue
        ref_loss, ref_dx = reference(*args)
        hint = (advice or True) if case.has("huge") else False
        v = diagnose(np.asarray(value, dtype=float) if numeric(value) else value,
                     np.asarray(ref_loss), function=name, check=f"reference ({case.name})",
                     what="loss", hint_overflow=hint, fp_warnings=warned, rtol=REF_RTOL)
        g = diagnose(dx, ref_dx, function=name, check=f"reference ({case.name})", what=what,
                     batch_size=len(args[0]), hint_overflow=hint, fp_warnings=warned,
                     rtol=REF_RTOL, atol=1e-12)
        facts.forward.saw_value(v)
        values.append(v)
        grads.append(g)
        seen.append(case)
    first_bad = next((v for v in values if not v.ok), None)
    grad_check = loss.gradient.counted(sum(g.ok for g in grads), len(grads), shown(grads, seen))
    if facts.too_slow is not None:
        grad_check = loss.gradient.failed(facts.too_slow)
    checks = [LOSS_VALUES.counted(sum(v.ok for v in values), len(values), shown(values, seen)),
              earned_fd(loss_fd_check(judge, loss, facts.forward), facts, name, "loss"), grad_check,
              arguments.check(first_bad)]
    if loss.stable is not None:
        checks.append(stable_check(name, stable, loss.stable))
    return checks


@one_check(LOSS_FD)
def loss_fd_check(judge, loss, attempt):
    """The student's gradient against finite differences of their own loss, on the first
    case; how that loss depends on the scores there goes into ``attempt``."""
    name, what = loss.name, loss.what
    args, _ = loss.cases[0].make(judge.rng([17, salt(name)]))
    result = judge.call(name, *args)
    if isinstance(result, StudentError) or not (isinstance(result, tuple) and len(result) == 2):
        d = failure(result, name) if isinstance(result, StudentError) else None
        return LOSS_FD.check(0.0, d.message if d else f"{name} must return (loss, {what}).",
                             d.kind if d else "wrong_structure")
    value, dx = result
    if not numeric(dx) or np.shape(dx) != np.shape(args[0]):
        return LOSS_FD.failed(shape_verdict(dx, args[0], function=name, source="loss",
                                            what=what))
    try:
        base = usable_base(value, name, "loss")
    except Unusable as err:
        return LOSS_FD.failed(err.diagnosis)

    def F(x):
        again = judge.call(name, x, args[1])
        if isinstance(again, StudentError):
            raise again
        if not (isinstance(again, tuple) and len(again) == 2):
            raise Unusable(Diagnosis("wrong_structure", f"{name} must return (loss, {what})."))
        single = as_float_array(again[0])
        if single is not None and single.size != 1:
            raise Unusable(Diagnosis("not_numeric", f"{name}: the loss is not a single number, "
                                     "so its finite differences can't be taken."))
        return weighted_sum(again[0], 1.0, name, "loss")
    rng = judge.rng([19, salt(name)])
    probes = [few_directions(np.shape(args[0]), rng)]
    got = differentiate([F], [args[0]], probes, rng, function=name, source="loss",
                        base=weighted_sum(base, 1.0, name, "loss"))
    if isinstance(got, Diagnosis):
        return LOSS_FD.failed(got)
    ((numeric_d,), _), (dirs,) = got, probes
    ref_loss, ref_dx = getattr(solutions, name)(*args)
    attempt.saw_dependence([dependence_along(numeric_d, dirs, ref_dx, 1.0)])
    if matches(base, np.asarray(ref_loss)) and answers_probes(numeric_d, dirs, ref_dx):
        return LOSS_FD.failed(answering_probes(name, "loss"))
    d = fd_verdict(dx, numeric_d, dirs, function=name, source="loss", what=what,
                   check="finite differences of your loss", batch_size=len(args[0]))
    return LOSS_FD.check(1.0 if d.ok else 0.0, "agrees with finite differences of your own "
                         "loss." if d.ok else d.message, d.kind)
