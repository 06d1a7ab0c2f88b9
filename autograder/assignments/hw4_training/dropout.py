"""dropout_forward and dropout_backward (hw4): everything the grader knows about them.

Dropout is random, and a correct submission may draw its random numbers in another order than
the reference, so no mask is ever compared with the reference's: the forward pass is judged
by statistics (the fraction of units dropped is within binomial bounds of p; every kept unit
is x times one factor, the one inverted dropout asks for), by the identity at test time and by
reproducibility for generators made from the same seed (``probes.Rng(seed)``, made in the
child). The backward pass is judged against the student's OWN forward: its gradient must be
``dout`` times the factor that forward applied to each unit (``out / x``), and must agree with
finite differences of that forward run with the same seed at every evaluation; both pay for
the training cases when that forward is an honest attempt (judging/carried.py): right in
training in some respect (it drops about a fraction p, or scales the kept units right), or
with a slip named here (kept units unscaled, scaled by p or by the keep probability, p taken
as the keep probability, another factor), and not trivial (one that drops nothing and hands
x back, or returns zeros). A mask other than the forward's, or none, is named.
"""
import numpy as np

import solutions

from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.carried import Attempt, carried, dependence_along, why_not_paid
from ...judging.compare import SIGMAS
from ...judging.described import factor_words, percent_words
from ...judging.diagnose import Diagnosis, diagnose
from ...judging.finite_differences import derivatives_at, fd_verdict, shape_verdict
from ...judging.grades import CheckSpec
from ...judging.judge import (
    ITEM,
    REF_RTOL,
    StudentError,
    Unusable,
    as_float_array,
    failure,
    one_check,
    split_forward,
    weighted_sum,
)
from ...judging.kinds import Kind, declare
from ...judging.pairs import FD
from ...judging.recipes import away_from_zero, seed_of
from ...judging.tally import Arguments, Tally
from ...sandbox.probes import Rng

FORWARD, BACKWARD = "dropout_forward", "dropout_backward"

SCALED = CheckSpec("kept units scaled as inverted dropout asks", "value", 4)
FRACTION = CheckSpec("fraction of units dropped is about p", "value", 3)
TEST_TIME = CheckSpec("train=False returns x", "value", 3)
SAME_SEED = CheckSpec("same seed, same output", "behaviour", 1)
FOLLOWS = CheckSpec("dx follows your forward's mask and scaling", "gradient", 4)
KINDS = declare(
    Kind("not_scaled", "kept units equal x, not scaled"),
    Kind("scaled_by_p", "kept units divided or multiplied by p, the drop probability"),
    Kind("scaled_by_keep_probability", "kept units multiplied by the keep probability"),
    Kind("p_is_keep_probability", "p taken as the probability of keeping a unit"),
    Kind("wrong_drop_rate", "a fraction of dropped units far from p"),
    Kind("scaled_at_test_time", "out scaled with train=False, where dropout is the identity"),
    Kind("forward_unusable", "the forward's out can't be used to check the backward"),
    Kind("different_mask", "dx lets dout through another set of units than the forward kept"),
    Kind("ignores_mask", "dx lets dout through the dropped units too"),
    Kind("unscaled_mask", "dx follows the forward's mask without its factor"),
)


def near(value, target, rtol=1e-6):
    return abs(value - target) <= rtol * abs(target)


DROP_CASES = {"a small p": (0.3, (200, 50)), "a large p, three axes": (0.75, (40, 25, 10)),
              "p near 0": (0.1, (400, 25))}


def drop_inputs(judge, case, small=False):
    """(x, p, seed) of a hidden case; ``small`` for the backward pass and test time, still with
    enough units that, whatever the seed, some are dropped and some kept, and a forward that
    drops none is outside the statistical bounds of dropping each with probability p."""
    p, shape = DROP_CASES[case]
    if small:
        shape = (4, 5, 6) if len(shape) == 3 else (16, 50)
    index = list(DROP_CASES).index(case)
    return away_from_zero(judge.rng([43, index, small]), shape, 0.1), p, \
        seed_of(judge, 43, index, small)


def dropout_out(judge, x, p, train, seed):
    """(out as a float array or None, x as the call left it or None, Diagnosis or None) of
    one forward call; x is None when the call gave no value."""
    outcome = judge.call(FORWARD, x, p, train, Rng(seed), echo_args=True)
    if isinstance(outcome, StudentError):
        return None, None, failure(outcome, FORWARD, "out")
    result, after = outcome
    after = after[0] if after else None
    split = split_forward(result, FORWARD)
    if not isinstance(split, tuple):
        return None, after, split
    out = as_float_array(split[0])
    if out is None or out.shape != x.shape or not np.all(np.isfinite(out)):
        return None, after, diagnose(split[0], x, function=FORWARD, check="x", what="out")
    return out, after, None


def scaling_verdict(out, x, p, case):
    """Every kept unit must be x times the one factor of inverted dropout."""
    kept = out != 0
    title = f"{FORWARD} ({case})"
    if not kept.any():
        return Diagnosis("all_zeros", f"{title}: your out is zero everywhere; dropout keeps each "
                         "unit with probability 1 - p.")
    ratio = out[kept] / x[kept]
    scale = float(np.median(ratio))
    if np.max(np.abs(ratio - scale)) > 1e-9 * abs(scale):
        return Diagnosis("wrong_values", f"{title}: the units your out keeps are not all x times "
                         "one same factor. Each unit of out is either 0 (dropped) or its x "
                         "times the factor of inverted dropout.")
    target = 1.0 / (1.0 - p)
    if near(scale, target, 1e-9):
        return Diagnosis("ok", f"{title}: kept units are scaled right.")
    if near(scale, 1.0):
        return Diagnosis("not_scaled", f"{title}: the units your out keeps equal x, unscaled. "
                         "Inverted dropout scales the kept units during training so that the "
                         "expected value of out equals x.")
    if near(scale, 1.0 / p) or near(scale, p):
        how = "divided by p" if near(scale, 1.0 / p) else "multiplied by p"
        return Diagnosis("scaled_by_p", f"{title}: the units your out keeps are x {how}, and p "
                         "is the probability of dropping a unit. Scale them so that the "
                         "expected value of out equals x: by which probability must a kept "
                         "unit be divided?")
    if near(scale, 1.0 - p):
        return Diagnosis("scaled_by_keep_probability", f"{title}: the units your out keeps are "
                         "x multiplied by the probability of keeping a unit, which makes the "
                         "expected value of out smaller than x. Inverted dropout makes it "
                         "equal to x.")
    return Diagnosis("scaled", f"{title}: the units your out keeps are scaled by "
                     f"{factor_words(scale * (1 - p))} times the factor inverted dropout asks "
                     "for. Scale "
                     "them so that the expected value of out equals x.")


def fraction_verdict(out, p, case):
    """The number of dropped units must be within binomial bounds of n p."""
    n, k = out.size, int(np.count_nonzero(out == 0))
    spread = SIGMAS * np.sqrt(n * p * (1 - p)) + 1
    title = f"{FORWARD} ({case})"
    if abs(k - n * p) <= spread:
        return Diagnosis("ok", f"{title}: drops about a fraction p of the units.")
    if abs(k - n * (1 - p)) <= spread:
        return Diagnosis("p_is_keep_probability", f"{title}: you drop about a fraction 1 - p of "
                         "the units and keep a fraction p. In this course p is the probability "
                         "of dropping a unit, not of keeping it.")
    return Diagnosis("wrong_drop_rate", f"{title}: you dropped {percent_words(k / n)} of the "
                     "units, which "
                     "is far outside the statistical bounds of dropping each unit with "
                     "probability p. Compare one uniform draw per unit with p.")


def check_dropout_forward(judge):
    scaled, fraction = Tally(), Tally()
    arguments = Arguments(FORWARD)
    for case in DROP_CASES:
        x, p, seed = drop_inputs(judge, case)
        out, after, problem = dropout_out(judge, x, p, True, seed)
        if after is not None:
            arguments.saw([x], [after], ["x"])
        if problem is not None:
            scaled.add(problem)
            fraction.add(problem)
            continue
        scaled.add(scaling_verdict(out, x, p, case))
        fraction.add(fraction_verdict(out, p, case))
    test_time, more = check_test_time(judge)
    arguments.merge(more)
    return [scaled.check(SCALED), fraction.check(FRACTION), test_time,
            check_reproducible(judge), arguments.check(scaled.first())]


def check_test_time(judge):
    """train=False returns x unchanged."""
    passed, arguments = Tally(), Arguments(FORWARD)
    for case in ("a small p", "a large p, three axes"):
        x, p, seed = drop_inputs(judge, case, small=True)
        out, after, problem = dropout_out(judge, x, p, False, seed)
        if after is not None:
            arguments.saw([x], [after], ["x"])
        if problem is None:
            problem = diagnose(out, x, function=FORWARD, check="x (train=False)", what="out",
                               rtol=1e-12, atol=0.0)
            if not problem.ok and np.all(out != 0):
                ratio = out / x
                if np.max(np.abs(ratio - ratio.flat[0])) <= 1e-9 * abs(ratio.flat[0]):
                    problem = Diagnosis("scaled_at_test_time", f"{FORWARD}: with train=False "
                                        "your out is x scaled. With inverted dropout the "
                                        "scaling happens during training, and test time is "
                                        "the identity.")
        passed.add(problem)
    return passed.check(TEST_TIME, ok="with train=False out is x."), arguments


def check_reproducible(judge):
    """Generators made from the same seed give the same out, from another seed another."""
    x = away_from_zero(judge.rng([47]), (50, 40), 0.1)
    seed = seed_of(judge, 47)
    outs = []
    for s in (seed, seed, seed + 1):
        out, _, problem = dropout_out(judge, x, 0.4, True, s)
        if problem is not None:
            return SAME_SEED.failed(problem)
        outs.append(out)
    if not np.array_equal(outs[0], outs[1]):
        return SAME_SEED.check(0.0, f"{FORWARD}: two calls with generators made from the same "
                               "seed gave different outputs. Draw every random number from the "
                               "rng argument (rng.random, rng.uniform, ...), not from "
                               "np.random.", "not_reproducible")
    if np.array_equal(outs[0], outs[2]):
        return SAME_SEED.check(0.0, f"{FORWARD}: generators made from different seeds gave "
                               "the same output. Is the rng argument used for the random "
                               "draws?", "ignores_rng")
    return SAME_SEED.passed("the same seed gives the same output, another seed another.")


def dropout_gradient(judge, x, p, train, seed, dout):
    """((dx, the forward's out, dout as left), None) or (None, Diagnosis)."""
    kept = judge.call(FORWARD, x, p, train, Rng(seed), keep=True)
    if isinstance(kept, StudentError):
        d = failure(kept, FORWARD, "cache")
        return None, Diagnosis(d.kind, f"{BACKWARD} could not be checked: {d.message}")
    handle, value = kept
    split = split_forward(value, FORWARD)
    if not isinstance(split, tuple):
        return None, Diagnosis(split.kind, f"{BACKWARD} could not be checked: {split.message}")
    out = as_float_array(split[0])
    if out is None or out.shape != x.shape or not np.all(np.isfinite(out)):
        return None, Diagnosis("forward_unusable", f"{BACKWARD} could not be checked: "
                               f"{FORWARD} does not return an out shaped like x.")
    cache = judge.call(ITEM, handle, 1, keep=True)
    if isinstance(cache, StudentError):
        return None, failure(cache, FORWARD, "cache")
    outcome = judge.call(BACKWARD, dout, cache[0], echo_args=True)
    if isinstance(outcome, StudentError):
        return None, failure(outcome, BACKWARD, "dx")
    dx, after = outcome
    return (dx, out, after[0] if after else None), None


def check_dropout_backward(judge):
    """dx against what the student's own forward did: in training, dout times the factor that
    forward applied to each unit (``out / x``); at test time, dout. The training cases, like
    the finite differences, pay when that forward in training is an honest attempt
    (``carried``): right in some respect (it drops about a fraction p of the units, or scales
    the kept ones right) or with a slip named here, and not trivial."""
    attempt = Attempt()
    followed = {True: 0, False: 0}
    found = Tally()
    arguments = Arguments(BACKWARD)
    cases = [(case, True) for case in DROP_CASES] + [("a small p", False)]
    for i, (case, train) in enumerate(cases):
        x, p, seed = drop_inputs(judge, case, small=True)
        dout = judge.rng([53, i]).standard_normal(x.shape)
        got, problem = dropout_gradient(judge, x, p, train, seed, dout.copy())
        label = case if train else "train=False"
        if problem is not None:
            found.note(problem)
            continue
        dx, out, after = got
        arguments.saw([dout], [after], ["dout"])
        if train:
            attempt.saw_value(scaling_verdict(out, x, p, case))
            attempt.saw_value(fraction_verdict(out, p, case))
        expected = dout * out / x if train else dout
        problem = diagnose(dx, expected, function=BACKWARD, check=f"the units your forward "
                           f"kept and their factor ({label})", what="dx", rtol=REF_RTOL)
        if not problem.ok and train:
            problem = mask_slip(dx, dout, out, x) or problem
        followed[train] += found.note(problem, dx, expected)
    fd = dropout_fd_check(judge, attempt)
    why = why_not_paid(attempt, BACKWARD, "forward in training")
    passed = followed[False] + (followed[True] if why is None else 0)
    verdicts = found.verdicts()
    if followed[True] and why is not None:
        verdicts.insert(0, why)
    return [FOLLOWS.counted(passed, len(cases), verdicts),
            carried(fd, attempt, BACKWARD, "forward in training"),
            arguments.check(next(iter(verdicts), None))]


def mask_slip(dx, dout, out, x):
    """A Diagnosis when dx is dout through a mask other than the forward's, or through the
    forward's mask without its factor, or None."""
    got = as_float_array(dx)
    if got is None or got.shape != dout.shape:
        return None
    kept = out != 0
    factor = float(np.median(out[kept] / x[kept])) if kept.any() else 1.0
    passed = ~np.isclose(got, 0.0, rtol=0.0, atol=1e-12)
    for scale in (factor, 1.0):
        if not np.allclose(got[passed], dout[passed] * scale, rtol=1e-9, atol=1e-12):
            continue
        if not passed.all() and (passed != kept).any():
            return Diagnosis("different_mask", f"{BACKWARD}: your dx lets dout through a "
                             "different set of units than the one your forward kept (about as "
                             "many, but not the same ones). Was a new mask drawn? Keep the "
                             "forward's mask in the cache and use that same mask backward.")
        if passed.all() and not kept.all():
            return Diagnosis("ignores_mask", f"{BACKWARD}: your dx lets dout through every "
                             "unit, the ones your forward dropped too. A dropped unit had no "
                             "effect on out, so its gradient is 0.")
        if scale == 1.0 and factor != 1.0:
            return Diagnosis("unscaled_mask", f"{BACKWARD}: your dx lets dout through exactly "
                             "the units your forward kept, but without the factor your forward "
                             "multiplied them by. The gradient of each kept unit carries that "
                             "factor too.")
    return None


@one_check(FD)
def dropout_fd_check(judge, attempt):
    """dx vs finite differences of the student's forward, same seed at every evaluation;
    whether that forward is trivial (flat, or x handed back) goes into ``attempt`` (its mask
    is its own, so there is no reference pattern to compare with)."""
    x = away_from_zero(judge.rng([59]), (6, 5), 0.1)
    p, seed = 0.4, seed_of(judge, 59)
    dout = judge.rng([61]).standard_normal(x.shape)
    got, problem = dropout_gradient(judge, x, p, True, seed, dout.copy())
    if problem is not None:
        return FD.failed(problem)
    wrong = shape_verdict(got[0], x, function=BACKWARD, source="forward", what="dx", truth=x)
    if wrong is not None:
        return FD.failed(wrong)

    def F(t):
        result = judge.call(FORWARD, t, p, True, Rng(seed))
        if isinstance(result, StudentError):
            raise result
        split = split_forward(result, FORWARD)
        if not isinstance(split, tuple):
            raise Unusable(split)
        return weighted_sum(split[0], dout, FORWARD)
    derivatives = derivatives_at(F, x, judge.rng([67]), function=FORWARD)
    if isinstance(derivatives, Diagnosis):
        return FD.check(0.0, f"{BACKWARD} could not be checked: {derivatives.message}",
                        derivatives.kind)
    attempt.saw_dependence([dependence_along(*derivatives, None, dout)])
    d = fd_verdict(got[0], *derivatives, function=BACKWARD, source="forward", what="dx",
                   check="finite differences of your forward (same seed)")
    return FD.check(float(d.ok), "agrees with finite differences of your own forward." if d.ok
                    else d.message, d.kind)


CHECKS = {FORWARD: check_dropout_forward, BACKWARD: check_dropout_backward}


def notebook_check(ns, seed=0, backward=False):
    x = np.random.default_rng(seed).standard_normal((50, 40)) + 3.0
    out, cache = ns[FORWARD](x.copy(), 0.3, True, np.random.default_rng(1))
    kept = out != 0
    assert np.allclose(out[kept], x[kept] / 0.7), \
        f"{FORWARD}: kept units must be scaled by 1/(1-p)"
    assert 0.6 < kept.mean() < 0.8, f"{FORWARD}: drop about a fraction p of units"
    test_out, _ = ns[FORWARD](x.copy(), 0.3, False, np.random.default_rng(1))
    assert np.allclose(test_out, x), f"{FORWARD}: identity at test time"
    if backward:
        dx = ns[BACKWARD](np.ones_like(x), cache)
        assert np.allclose(dx, kept / 0.7), f"{BACKWARD}: gradient flows only through kept units"


NOTEBOOK_CHECKS = {FORWARD: notebook_check,
                   BACKWARD: lambda ns, seed=0: notebook_check(ns, seed, backward=True)}


def by_hand_numbers():
    """p = 0.5, x = (3, -1, 2, 5), units 1, 3 and 4 kept (a generator whose draws keep them),
    dout = (1, 2, 3, -1): {"dx": (4,)}."""
    class KeepingOneThreeFour:
        def random(self, shape):
            return np.array([0.9, 0.1, 0.7, 0.6]).reshape(shape)
    _, cache = solutions.dropout_forward(np.array([3.0, -1.0, 2.0, 5.0]), 0.5, True,
                                         KeepingOneThreeFour())
    return {"dx": solutions.dropout_backward(np.array([1.0, 2.0, 3.0, -1.0]), cache)}


# The small case of the derivation prompt, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand('dropout_backward', 'dropout', by_hand_numbers)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
