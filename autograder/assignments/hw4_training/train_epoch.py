"""Hidden checks of hw4: dropout, the L2 penalty, the update rules, one epoch of SGD and weight
initialization.

Dropout is random, and a correct submission may draw its random numbers in another order than
the reference, so no mask is ever compared with the reference's: the forward pass is judged
by statistics (the fraction of units dropped is within binomial bounds of p; every kept unit
is x times one factor, the one inverted dropout asks for), by the identity at test time and by
reproducibility for generators made from the same seed (``probes.Rng(seed)``, made in the
child). The backward pass is judged against the student's OWN forward: its gradient must be
``dout`` times the factor that forward applied to each unit (``out / x``), and must agree with
finite differences of that forward run with the same seed at every evaluation; both pay for
the training cases only when that forward is right in training in some respect (it drops
about a fraction p, or scales the kept units right). A mask other than the forward's, or none,
is named.

The update rules are compared with the reference on hidden params and gradients, one step and
then chained (the student's own velocities, or Adam state kept in the child, fed back), with
named diagnoses for the classic mistakes, found by computing what each slip gives on the same
inputs (a step that climbs the gradient or ignores lr, a velocity that moves with the gradient
or keeps all of itself, params moved by the old velocity; Adam's step count starting one too
high, at 0, or never advancing, and a bias correction left out of one or both moments).
``train_epoch`` is handed a grader probe as its ``grad_fn`` (the least-squares gradient of a
linear model, ``probes.least_squares_grad``) and a generator made from a hidden seed; the judge
runs the reference epoch with the same probe and seed and compares the final params and the
batch losses, on hidden cases where batch_size divides N or not or is at least N, with one param
or two. A wrong epoch is named by computing what each usual slip gives on the same case (the
data's own order, a permutation per batch, x and y shuffled apart, another draw, the last batch
dropped, a step that climbs, ignores lr or applies it twice, gradients taken at the first
params), or else by the first batch's loss: right, the step is wrong; wrong, the order is.
``init_weights`` is judged by shape, exact zeros, the mean and std of
large draws within statistical bounds, reproducibility, and a ValueError for unknown schemes.
"""
import zlib

import numpy as np

import solutions

from ..hw1_graphs.operations import Findings, drawn, not_right_yet, probed_derivatives, unpaid
from ...judging.pairs import split_forward
from ...judging.diagnose import Diagnosis, diagnose
from ...judging.recipes import away_from_zero
from ...judging.judge import (FD_RTOL, REF_RTOL, Check, Unusable, as_float_array, failure,
                    exception_name, fd_verdict, first_mutation, guarded, mutation_check,
                    one_check, value_check, weighted_sum)
from ...sandbox import probes
from ...sandbox.probes import Probe, Rng
from ...sandbox.runner import StudentError

ITEM = Probe("item")
FORWARD, BACKWARD = "dropout_forward", "dropout_backward"
SIGMAS = 5.0  # statistical bounds: a correct submission fails one with probability < 1e-6


def seed_of(judge, *salt):
    """A hidden seed for a generator made in the child."""
    return int(judge.rng([zlib.crc32(b"seed"), *salt]).integers(2**31))


def near(value, target, rtol=1e-6):
    return abs(value - target) <= rtol * abs(target)


# ------------------------------------------------------------------------------ dropout

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
    return Diagnosis("scaled", f"{title}: the units your out keeps are scaled by about "
                     f"{scale * (1 - p):.3g} times the factor inverted dropout asks for. Scale "
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
    return Diagnosis("wrong_drop_rate", f"{title}: you dropped {k / n:.1%} of the units, which "
                     "is far outside the statistical bounds of dropping each unit with "
                     "probability p. Compare one uniform draw per unit with p.")


def check_dropout_forward(judge):
    scaled = fraction = ran = 0
    bad_scale, bad_fraction = Findings(), Findings()
    mutated = None
    for case in DROP_CASES:
        x, p, seed = drop_inputs(judge, case)
        out, after, problem = dropout_out(judge, x, p, True, seed)
        if after is not None:
            ran += 1
            mutated = mutated or first_mutation([x], [after], FORWARD, ["x"])
        if problem is not None:
            bad_scale.add(problem)
            bad_fraction.add(problem)
            continue
        scaled += bad_scale.add(scaling_verdict(out, x, p, case))
        fraction += bad_fraction.add(fraction_verdict(out, p, case))
    total = len(DROP_CASES)
    test_time, more_ran, more_mutated = check_test_time(judge)
    first = next(iter(bad_scale.verdicts()), None)
    return [value_check("kept units scaled as inverted dropout asks", 4, scaled, total,
                        bad_scale.verdicts()),
            value_check("fraction of units dropped is about p", 3, fraction, total,
                        bad_fraction.verdicts()),
            test_time,
            check_reproducible(judge),
            mutation_check(mutated or more_mutated, FORWARD, 1, ran + more_ran, first)]


def check_test_time(judge):
    """train=False returns x unchanged."""
    passed, found, ran, mutated = 0, Findings(), 0, None
    for i, case in enumerate(("a small p", "a large p, three axes")):
        x, p, seed = drop_inputs(judge, case, small=True)
        out, after, problem = dropout_out(judge, x, p, False, seed)
        if after is not None:
            ran += 1
            mutated = mutated or first_mutation([x], [after], FORWARD, ["x"])
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
        passed += found.add(problem)
    check = value_check("train=False returns x", 3, passed, 2, found.verdicts(), "hidden cases",
                        ok="with train=False out is x.")
    return check, ran, mutated


def check_reproducible(judge):
    """Generators made from the same seed give the same out, from another seed another."""
    title = "same seed, same output"
    x = away_from_zero(judge.rng([47]), (50, 40), 0.1)
    seed = seed_of(judge, 47)
    outs = []
    for s in (seed, seed, seed + 1):
        out, _, problem = dropout_out(judge, x, 0.4, True, s)
        if problem is not None:
            return Check(title, 1, 0.0, problem.message, problem.kind)
        outs.append(out)
    if not np.array_equal(outs[0], outs[1]):
        return Check(title, 1, 0.0, f"{FORWARD}: two calls with generators made from the same "
                     "seed gave different outputs. Draw every random number from the rng "
                     "argument (rng.random, rng.uniform, ...), not from np.random.",
                     "not_reproducible")
    if np.array_equal(outs[0], outs[2]):
        return Check(title, 1, 0.0, f"{FORWARD}: generators made from different seeds gave the "
                     "same output. Is the rng argument used for the random draws?",
                     "ignores_rng")
    return Check(title, 1, 1.0, "the same seed gives the same output, another seed another.")


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


def trains_right(out, x, p, case):
    """Whether a training forward's out is right in one respect: the units it drops or the
    factor of those it keeps."""
    return scaling_verdict(out, x, p, case).ok or fraction_verdict(out, p, case).ok


def check_dropout_backward(judge):
    """dx against what the student's own forward did: in training, dout times the factor that
    forward applied to each unit (``out / x``); at test time, dout. The training cases, like
    the finite differences, pay only when that forward is right in training in some respect
    (it drops about a fraction p of the units, or scales the kept ones right)."""
    ran, forward_right, mutated = 0, False, None
    followed = {True: 0, False: 0}
    found = Findings()
    cases = [(case, True) for case in DROP_CASES] + [("a small p", False)]
    for i, (case, train) in enumerate(cases):
        x, p, seed = drop_inputs(judge, case, small=True)
        dout = judge.rng([53, i]).standard_normal(x.shape)
        got, problem = dropout_gradient(judge, x, p, train, seed, dout.copy())
        label = case if train else "train=False"
        if problem is not None:
            found.add(problem)
            continue
        dx, out, after = got
        ran += 1
        mutated = mutated or first_mutation([dout], [after], BACKWARD, ["dout"])
        forward_right = forward_right or (train and trains_right(out, x, p, case))
        expected = dout * out / x if train else dout
        problem = diagnose(dx, expected, function=BACKWARD, check=f"the units your forward "
                           f"kept and their factor ({label})", what="dx", rtol=REF_RTOL)
        if not problem.ok and train:
            problem = mask_slip(dx, dout, out, x) or problem
        followed[train] += found.add(problem, dx, expected)
    passed = followed[False] + (followed[True] if forward_right else 0)
    verdicts = found.verdicts()
    if followed[True] and not forward_right:
        verdicts.insert(0, not_right_yet(BACKWARD, followed[True], len(DROP_CASES),
                                         "forward in training"))
    return [value_check("dx follows your forward's mask and scaling", 4, passed, len(cases),
                        verdicts),
            dropout_fd_check(judge, forward_right),
            mutation_check(mutated, BACKWARD, 1, ran, next(iter(verdicts), None))]


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


DROPOUT_FD_TITLE = "matches finite differences of your forward"


@one_check(DROPOUT_FD_TITLE, 3)
def dropout_fd_check(judge, forward_right):
    """dx vs finite differences of the student's forward, same seed at every evaluation."""
    x = away_from_zero(judge.rng([59]), (6, 5), 0.1)
    p, seed = 0.4, seed_of(judge, 59)
    dout = judge.rng([61]).standard_normal(x.shape)
    got, problem = dropout_gradient(judge, x, p, True, seed, dout.copy())
    if problem is not None:
        return Check(DROPOUT_FD_TITLE, 3, 0.0, problem.message, problem.kind)
    dx = as_float_array(got[0])
    if dx is None or dx.shape != x.shape:
        d = diagnose(got[0], x, function=BACKWARD, check="your forward", what="dx")
        return Check(DROPOUT_FD_TITLE, 3, 0.0, d.message, d.kind)

    def F(t):
        result = judge.call(FORWARD, t, p, True, Rng(seed))
        if isinstance(result, StudentError):
            raise result
        split = split_forward(result, FORWARD)
        if not isinstance(split, tuple):
            raise Unusable(split)
        return weighted_sum(split[0], dout, FORWARD)
    pairs = probed_derivatives(F, x, dx, judge.rng([67]), FORWARD)
    if not isinstance(pairs, tuple):
        return Check(DROPOUT_FD_TITLE, 3, 0.0, f"{BACKWARD} could not be checked: "
                     f"{pairs.message}", pairs.kind)
    d = fd_verdict(*pairs, function=BACKWARD, check="finite differences of your forward (same "
                   "seed)", what="dx", rtol=FD_RTOL, atol=1e-8)
    if d.ok and not forward_right:
        return unpaid(DROPOUT_FD_TITLE, 3, not_right_yet(BACKWARD, 1, 1, "forward in training"))
    return Check(DROPOUT_FD_TITLE, 3, float(d.ok), "agrees with finite differences of your own "
                 "forward." if d.ok else d.message, d.kind)


# ----------------------------------------------------------------------------- L2 penalty

L2_CASES = {"several arrays": ([(4, 3), (3,), (2, 2, 2)], 0.05), "one array": ([(5, 4)], 1.5),
            "a tiny reg": ([(3, 3), (3,)], 1e-4)}


def param_list(judge, salt, shapes):
    rng = judge.rng([zlib.crc32(str(salt).encode())])
    return [rng.standard_normal(shape) for shape in shapes]


def compare_list(got, expected, found, function, check, what, **options):
    """How many arrays of the list ``got`` match ``expected``; each failing verdict goes to
    the Findings ``found``."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        size = f"{len(got)} items" if isinstance(got, (tuple, list)) else \
            f"a {type(got).__name__}"
        found.add(Diagnosis("wrong_structure", f"{function}: {what} must be a list with one "
                            f"array per param ({len(expected)} here); it is {size}."))
        return 0
    return sum([found.add(diagnose(g, e, function=function, check=check, what=f"{what}[{k}]",
                                   **options), g, e)
                for k, (g, e) in enumerate(zip(got, expected))])


def explained(found, wrong, slip):
    """Records in ``found`` the failures of one case held in ``wrong``: the named slip that
    explains them all (``slip()``) when there is one, else each of them."""
    named = slip() if wrong.found else None
    if named is not None:
        found.add(named)
    else:
        found.extend(wrong)


def pair_of(result, function, names):
    if isinstance(result, StudentError):
        return None, failure(result, function, names)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return None, Diagnosis("wrong_structure", f"{function} must return a pair {names}.")
    return tuple(result), None


def check_l2(judge):
    name = "l2_penalty"
    losses = grads = n_grads = ran = 0
    bad_loss, bad_grads = Findings(), Findings()
    mutated = None
    for case, (shapes, reg) in L2_CASES.items():
        params = param_list(judge, f"l2 {case}", shapes)
        ref_loss, ref_grads = solutions.l2_penalty([p.copy() for p in params], reg)
        n_grads += len(params)
        outcome = judge.call(name, params, reg, echo_args=True)
        result, problem = pair_of(outcome if isinstance(outcome, StudentError) else outcome[0],
                                  name, "(loss, grads)")
        if not isinstance(outcome, StudentError):
            ran += 1
            mutated = mutated or first_mutation([params], [outcome[1][0]], name, ["params"])
        if problem is not None:
            bad_loss.add(problem)
            bad_grads.add(problem)
            continue
        losses += bad_loss.add(diagnose(result[0], ref_loss, function=name, what="loss",
                                        check=f"reference ({case})", rtol=REF_RTOL),
                               result[0], ref_loss)
        grads += compare_list(result[1], ref_grads, bad_grads, name, f"reference ({case})",
                              "grads", rtol=REF_RTOL)
    first = next(iter(bad_loss.verdicts()), None)
    return [value_check("loss on hidden params", 4, losses, len(L2_CASES), bad_loss.verdicts()),
            value_check("grads match the reference", 3, grads, n_grads, bad_grads.verdicts(),
                        "gradients on hidden params"),
            l2_fd_check(judge, losses > 0),
            mutation_check(mutated, name, 1, ran, first)]


L2_FD_TITLE = "grads match finite differences of your loss"


@one_check(L2_FD_TITLE, 3)
def l2_fd_check(judge, loss_right):
    """Each gradient vs finite differences of the student's own loss; it pays only when that
    loss is right on at least one hidden case."""
    name = "l2_penalty"
    shapes, reg = L2_CASES["several arrays"]
    params = param_list(judge, "l2 fd", shapes)
    ref_loss, ref_grads = solutions.l2_penalty([p.copy() for p in params], reg)
    result, problem = pair_of(judge.call(name, params, reg), name, "(loss, grads)")
    if problem is None and not (isinstance(result[1], (tuple, list)) and
                                len(result[1]) == len(params)):
        problem = Diagnosis("wrong_structure", f"{name}: grads must hold one array per param.")
    if problem is not None:
        return unpaid(L2_FD_TITLE, 3, problem)
    agree, found = 0, Findings()
    for k, (p, g) in enumerate(zip(params, result[1])):
        got = as_float_array(g)
        if got is None or got.shape != p.shape:
            d = diagnose(g, p, function=name, check="your loss", what=f"grads[{k}]")
        else:
            def F(t, k=k):
                new = list(params)
                new[k] = t
                value, bad = pair_of(judge.call(name, new, reg), name, "(loss, grads)")
                if bad is not None:
                    raise Unusable(bad)
                loss = as_float_array(value[0])
                if loss is None or loss.size != 1:
                    raise Unusable(Diagnosis("not_numeric", f"{name}: the loss is not a single "
                                             "number, so its finite differences can't be "
                                             "taken."))
                return weighted_sum(loss, 1.0, name, "loss")
            d = probed_derivatives(F, p, got, judge.rng([71, k]), name, "loss",
                                   right=(ref_loss, ref_grads[k]))
            if isinstance(d, tuple):
                d = fd_verdict(*d, function=name, check="finite differences of your loss",
                               what=f"grads[{k}]", rtol=FD_RTOL, atol=1e-8)
        agree += found.add(d)
    if agree and not loss_right:
        return unpaid(L2_FD_TITLE, 3, not_right_yet(name, agree, len(params), "loss"))
    return value_check(L2_FD_TITLE, 3, agree, len(params), found.verdicts(), "gradients",
                       ok="every gradient agrees with finite differences of your own loss.")


# --------------------------------------------------------------------------- update rules

SGD_CASES = {"several arrays": ([(4, 3), (3,)], 0.1), "one array": ([(5,)], 0.5),
             "three axes, a small lr": ([(2, 3, 2)], 1e-2)}


def all_close(got, candidate):
    """Whether the list ``got`` holds arrays close to those of the list ``candidate``."""
    if not isinstance(got, (tuple, list)) or len(got) != len(candidate):
        return False
    arrays = [as_float_array(g) for g in got]
    return all(a is not None and a.shape == c.shape and
               np.allclose(a, c, rtol=1e-7, atol=1e-12, equal_nan=True)
               for a, c in zip(arrays, candidate))


def named_slip(got, slips):
    """The Diagnosis of the first slip (kind, what it gives, message) whose arrays ``got``
    matches, or None."""
    return next((Diagnosis(kind, message) for kind, candidate, message in slips
                 if all_close(got, candidate)), None)


def sgd_slip(new_params, params, grads, lr):
    name = "sgd_step"
    return named_slip(new_params, [
        ("gradient_sign", [p + lr * g for p, g in zip(params, grads)], f"{name}: your params "
         "move along the gradient instead of against it; gradient descent steps downhill."),
        ("ignores_lr", [p - g for p, g in zip(params, grads)], f"{name}: your params move by "
         "the whole gradient; the step is the gradient scaled by the learning rate lr."),
        ("returns_step", [-lr * g for g in grads], f"{name}: you return the step, not the new "
         "params: apply it to each param.")])


def check_sgd(judge):
    name = "sgd_step"
    right = total = ran = 0
    found, mutated = Findings(), None
    for case, (shapes, lr) in SGD_CASES.items():
        params = param_list(judge, f"sgd p {case}", shapes)
        grads = param_list(judge, f"sgd g {case}", shapes)
        expected = solutions.sgd_step([p.copy() for p in params], grads, lr)
        total += len(params)
        outcome = judge.call(name, params, grads, lr, echo_args=True)
        if isinstance(outcome, StudentError):
            found.add(failure(outcome, name, "new params"))
            continue
        ran += 1
        result, after = outcome
        mutated = mutated or first_mutation([params, grads], after[:2], name,
                                            ["params", "grads"])
        wrong = Findings()
        right += compare_list(result, expected, wrong, name, f"reference ({case})",
                              "new_params", rtol=REF_RTOL)
        explained(found, wrong, lambda: sgd_slip(result, params, grads, lr))
    verdicts = found.verdicts()
    return [value_check("new params on hidden inputs", 4, right, total, verdicts, "new params"),
            mutation_check(mutated, name, 1, ran, next(iter(verdicts), None))]


MOMENTUM_CASES = {"several arrays, the default momentum": ([(4, 3), (3,)], 0.1, None),
                  "one array, another momentum": ([(6,)], 0.05, 0.5)}


def momentum_kwargs(momentum):
    return {} if momentum is None else {"momentum": momentum}


def momentum_slip(result, params, grads, velocities, lr, momentum):
    """A named Diagnosis of a usual slip in (new_params, new_velocities), or None."""
    name, m = "sgd_momentum_step", 0.9 if momentum is None else momentum
    new_params, new_velocities = result
    return named_slip(new_velocities, [
        ("gradient_sign", [m * v + lr * g for v, g in zip(velocities, grads)], f"{name}: your "
         "velocities move along the gradient instead of against it. Check the sign of the "
         "gradient term in the velocity update."),
        ("momentum_ignored", [v - lr * g for v, g in zip(velocities, grads)], f"{name}: your "
         "velocities keep all of the previous velocity; it decays by the factor momentum at "
         "every step."),
        ("ignores_lr", [m * v - g for v, g in zip(velocities, grads)], f"{name}: your "
         "velocities take in the whole gradient; it enters scaled by the learning rate lr.")]) \
        or named_slip(new_params, [
        ("old_velocity", [p + v for p, v in zip(params, velocities)], f"{name}: your params "
         "move by the velocity of the previous step. Update the velocity first, then move the "
         "params by the new velocity.")])


def check_momentum(judge):
    name = "sgd_momentum_step"
    right = total = ran = 0
    found, mutated = Findings(), None
    for case, (shapes, lr, momentum) in MOMENTUM_CASES.items():
        params = param_list(judge, f"mom p {case}", shapes)
        grads = param_list(judge, f"mom g {case}", shapes)
        velocities = [0.3 * v for v in param_list(judge, f"mom v {case}", shapes)]
        kwargs = momentum_kwargs(momentum)
        exp_p, exp_v = solutions.sgd_momentum_step([p.copy() for p in params], grads,
                                                   [v.copy() for v in velocities], lr, **kwargs)
        total += 2 * len(params)
        outcome = judge.call(name, params, grads, velocities, lr, echo_args=True, **kwargs)
        result, problem = pair_of(outcome if isinstance(outcome, StudentError) else outcome[0],
                                  name, "(new_params, new_velocities)")
        if not isinstance(outcome, StudentError):
            ran += 1
            mutated = mutated or first_mutation([params, grads, velocities], outcome[1][:3],
                                                name, ["params", "grads", "velocities"])
        if problem is not None:
            found.add(problem)
            continue
        wrong = Findings()
        right += (compare_list(result[1], exp_v, wrong, name, f"reference ({case})",
                               "new_velocities", rtol=REF_RTOL) +
                  compare_list(result[0], exp_p, wrong, name, f"reference ({case})",
                               "new_params", rtol=REF_RTOL))
        explained(found, wrong,
                  lambda: momentum_slip(result, params, grads, velocities, lr, momentum))
    verdicts = found.verdicts()
    return [value_check("one step from hidden velocities", 4, right, total, verdicts,
                        "new params and velocities"),
            momentum_chain(judge),
            mutation_check(mutated, name, 1, ran, next(iter(verdicts), None))]


def momentum_chain(judge):
    """Three steps from zero velocities, feeding the student's params and velocities back."""
    name, title = "sgd_momentum_step", "three chained steps"
    shapes, lr = [(3, 2), (2,)], 0.1
    params = param_list(judge, "mom chain p", shapes)
    velocities = [np.zeros(s) for s in shapes]
    ref_p, ref_v = [p.copy() for p in params], [v.copy() for v in velocities]
    right, found = 0, Findings()
    for step in range(3):
        grads = param_list(judge, f"mom chain g {step}", shapes)
        ref_p, ref_v = solutions.sgd_momentum_step(ref_p, grads, ref_v, lr)
        result, problem = pair_of(judge.call(name, params, grads, velocities, lr), name,
                                  "(new_params, new_velocities)")
        if problem is None and not (isinstance(result[1], (tuple, list)) and
                                    len(result[1]) == len(shapes)):
            problem = Diagnosis("wrong_structure", f"{name}: new_velocities must be a list "
                                "with one array per param, to feed the next step.")
        if problem is None:
            wrong = Findings()
            if compare_list(result[0], ref_p, wrong, name, f"the reference after step "
                            f"{step + 1}", "new_params", rtol=REF_RTOL) == len(shapes):
                right += 1
                params, velocities = list(result[0]), list(result[1])
                continue
            problem = (momentum_slip(result, params, grads, velocities, lr, None) or
                       (state_not_carried(name, step, "the velocities you return are the ones "
                                          "the next step needs") if right == step > 0 else
                        wrong.verdicts()[0]))
        found.add(problem)
        break
    return value_check(title, 3, right, 3, found.verdicts(), "steps",
                       ok="three chained steps match the reference.")


def state_not_carried(name, step, what):
    return Diagnosis("state_not_carried", f"{name}: your first step(s) match but step "
                     f"{step + 1} of a chain does not: check that {what}.")


ADAM_CASES = {"the default betas": ([(4, 3), (3,)], 1e-2, {}),
              "other betas": ([(5,)], 5e-3, {"beta1": 0.8, "beta2": 0.99})}


def adam_steps(params, grads_by_step, lr, beta1=0.9, beta2=0.999, eps=1e-8, first_t=1,
               advance=True, correct=(True, True)):
    """The params after each step of Adam from state None, with the step count starting at
    ``first_t`` (and kept there unless ``advance``), and the bias correction of m and of v
    applied or not (``correct``): the usual slips, computed in the judge."""
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t, out = first_t, []
    for grads in grads_by_step:
        m = [beta1 * mi + (1 - beta1) * g for mi, g in zip(m, grads)]
        v = [beta2 * vi + (1 - beta2) * g * g for vi, g in zip(v, grads)]
        with np.errstate(all="ignore"):
            m_hat = [mi / (1 - beta1**t) if correct[0] else mi for mi in m]
            v_hat = [vi / (1 - beta2**t) if correct[1] else vi for vi in v]
            params = [p - lr * mh / (np.sqrt(vh) + eps)
                      for p, mh, vh in zip(params, m_hat, v_hat)]
        out.append(params)
        t += advance
    return out


ADAM_SLIPS = [  # (kind, the slip as adam_steps options, what the student's updates are)
    ("step_count_off_by_one", {"first_t": 2}, "what a step count that starts one too high "
     "gives: the first step has t = 1 in its bias corrections"),
    ("step_count_zero", {"first_t": 0}, "NaN or inf, what a step count of 0 in the bias "
     "corrections gives (1 - beta**0 is 0): count the step before correcting, so that the "
     "first step has t = 1"),
    ("missing_bias_correction", {"correct": (False, False)}, "what leaving out the bias "
     "correction of both moments gives. Correct each moment estimate for its start at zero, "
     "with the step count of this step"),
    ("bias_correction_one_moment", {"correct": (True, False)}, "what correcting the first "
     "moment m alone gives: the second moment v needs its bias correction too"),
    ("bias_correction_one_moment", {"correct": (False, True)}, "what correcting the second "
     "moment v alone gives: the first moment m needs its bias correction too"),
    ("step_count_not_advanced", {"advance": False}, "what a step count that stays at 1 gives: "
     "it grows by one at every step, and the state carries it to the next step"),
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
    for kind, options, what in ADAM_SLIPS:
        slipped = np.concatenate([np.ravel(p) for p in adam_steps(
            params, grads_by_step, lr, **kwargs, **options)[-1]])
        if got.shape != slipped.shape:
            continue
        if not np.all(np.isfinite(slipped)):
            matched = np.array_equal(np.isfinite(got), np.isfinite(slipped))
        else:  # a slip within a thousandth of the step from the right Adam is no slip here
            moved = 1e-3 * np.max(np.abs(slipped - start))
            matched = not np.allclose(slipped, right, rtol=0, atol=moved) and \
                np.allclose(got, slipped, rtol=0, atol=moved)
        if matched:
            return Diagnosis(kind, f"adam_step, {where}: your params are {what}.")
    return None


def adam_grads(rng, shape):
    """Gradients of both signs in fixed shares, none near 0 (where eps would matter)."""
    return drawn(rng, shape, ((0.3, 1.0), (1.0, 2.5)))


def adam_call(judge, params, grads, state, lr, kwargs):
    """((new params, handle of the new state) or None, args as the call left them or None,
    Diagnosis or None)."""
    name = "adam_step"
    outcome = judge.call(name, params, grads, state, lr, keep=True, echo_args=True, **kwargs)
    if isinstance(outcome, StudentError):
        return None, None, failure(outcome, name, "(new_params, new_state)")
    (handle, result), after = outcome
    result, problem = pair_of(result, name, "(new_params, new_state)")
    if problem is not None:
        return None, after, problem
    kept = judge.call(ITEM, handle, 1, keep=True)
    if isinstance(kept, StudentError):
        return None, after, failure(kept, name, "new_state")
    return (result[0], kept[0]), after, None


def check_adam(judge):
    name = "adam_step"
    right = total = ran = 0
    found, mutated = Findings(), None
    for case, (shapes, lr, kwargs) in ADAM_CASES.items():
        params = param_list(judge, f"adam p {case}", shapes)
        grads = [adam_grads(judge.rng([73, len(case), k]), s) for k, s in enumerate(shapes)]
        expected, _ = solutions.adam_step([p.copy() for p in params], grads, None, lr, **kwargs)
        total += len(params)
        got, after, problem = adam_call(judge, params, grads, None, lr, kwargs)
        if after is not None:
            ran += 1
            mutated = mutated or first_mutation([params, grads], after[:2], name,
                                                ["params", "grads"])
        if problem is not None:
            found.add(problem)
            continue
        wrong = Findings()
        right += compare_list(got[0], expected, wrong, name, f"reference ({case})",
                              "new_params", rtol=REF_RTOL)
        explained(found, wrong, lambda: adam_slip(got[0], params, [grads], lr, kwargs,
                                                  f"first step from state None ({case})"))
    verdicts = found.verdicts()
    return [value_check("first step from state None", 4, right, total, verdicts, "new params"),
            adam_chain(judge),
            mutation_check(mutated, name, 1, ran, next(iter(verdicts), None))]


def adam_chain(judge):
    """Four steps from state None, the student's own state (kept in its process) fed back."""
    name, title = "adam_step", "four chained steps"
    shapes, lr = [(3, 2), (2,)], 0.05
    start = param_list(judge, "adam chain p", shapes)
    params, ref_p, ref_state, state = start, [p.copy() for p in start], None, None
    right, found, grads_by_step = 0, Findings(), []
    for step in range(4):
        grads = [adam_grads(judge.rng([79, step, k]), s) for k, s in enumerate(shapes)]
        grads_by_step.append(grads)
        ref_p, ref_state = solutions.adam_step(ref_p, grads, ref_state, lr)
        got, _, problem = adam_call(judge, params, grads, state, lr, {})
        if problem is None:
            params, state = got
            wrong = Findings()
            if compare_list(params, ref_p, wrong, name, f"the reference after step "
                            f"{step + 1}", "new_params", rtol=REF_RTOL) == len(shapes):
                right += 1
                params = list(params)
                continue
            problem = (adam_slip(params, start, grads_by_step, lr, {}, f"step {step + 1} of "
                                 "a chain") or
                       (state_not_carried(name, step, "the state you return carries "
                                          "everything the next step needs (both moment "
                                          "estimates and the step count) and that each step "
                                          "uses it") if right == step > 0 else
                        wrong.verdicts()[0]))
        found.add(problem)
        break
    return value_check(title, 3, right, 4, found.verdicts(), "steps",
                       ok="four chained steps match the reference.")


# ---------------------------------------------------------------------------- train_epoch

EPOCH = "train_epoch"
GRAD_FN = "least_squares_grad"
# case: (N, batch_size, number of params (1: [w], 2: [w, b]), lr); D = 3 inputs, K = 2 outputs
EPOCH_CASES = {"N a multiple of batch_size, two params": (12, 4, 2, 0.1),
               "a shorter last batch, two params": (13, 5, 2, 0.05),
               "a shorter last batch, one param": (10, 3, 1, 0.2),
               "batch_size >= N, one param": (6, 8, 1, 0.3)}


def epoch_inputs(judge, case):
    """(params, x, y, lr, batch_size, seed) of a hidden case."""
    n, batch_size, n_params, lr = EPOCH_CASES[case]
    index = list(EPOCH_CASES).index(case)
    rng = judge.rng([103, index])
    params = [rng.standard_normal((3, 2)), rng.standard_normal(2)][:n_params]
    x, y = rng.standard_normal((n, 3)), rng.standard_normal((n, 2))
    return params, x, y, lr, batch_size, seed_of(judge, 103, index)


def sgd_over(params, x, y, batches, step, stale=None):
    """(params, losses) of SGD with the probe's gradient over ``batches`` ((rows of x, rows of
    y) pairs), each param moved by ``step(p, g)``. The reference and its slips, computed in the
    judge: ``stale="grads"`` takes every gradient at the params passed in, ``stale="steps"``
    also starts every step from them."""
    grad_fn = probes.PROBES[GRAD_FN]
    current, losses = params, []
    for rows_x, rows_y in batches:
        loss, grads = grad_fn(params if stale else current, x[rows_x], y[rows_y])
        current = [step(p, g) for p, g in zip(params if stale == "steps" else current, grads)]
        losses.append(float(loss))
    return current, losses


def slices(order, batch_size, full_only=False):
    """``order`` cut into batches of ``batch_size`` (the last shorter, or left out)."""
    stop = len(order) - len(order) % batch_size if full_only else len(order)
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


SLIP_MESSAGES = {  # label (kind, or kind/variant): what the student reads
    "no_shuffle": "your batches follow the order of the data (0, 1, 2, ...): the epoch must "
    "visit the examples in the order of rng.permutation(N), drawn at its start.",
    "permutation_per_batch": "your batches come from a new permutation drawn for every batch, "
    "so some examples are visited twice and others never. Draw one permutation per epoch and "
    "slice it.",
    "x_y_shuffled_apart": "x and y are shuffled by two different draws, so each batch pairs "
    "inputs with the labels of other examples. Index x and y with the same order.",
    "other_draw": "your order is drawn with another call of the generator than "
    "rng.permutation(N). Every draw gives another order: the contract fixes this one, so that "
    "a run is reproducible.",
    "last_batch_dropped": "the last, shorter batch is missing: when batch_size does not divide "
    "N, the epoch ends with a batch of the examples left over.",
    "gradient_sign": "your params move along the gradient instead of against it.",
    "ignores_lr": "your params move by the whole gradient; the step is lr times the gradient.",
    "lr_twice": "your step is lr * lr times the gradient: is lr applied twice (once here and "
    "once in a helper)?",
    "first_params_reused/grads": "every batch's gradient is taken at the params the epoch "
    "started from. Each batch must see the params the previous batch's step left.",
    "first_params_reused/steps": "every step starts from the params passed in, so the epoch "
    "ends one step away from them. Each batch takes its gradient at, and moves, the params the "
    "previous batch's step left.",
}


def epoch_slips(params, x, y, lr, batch_size, seed):
    """[(kind, (params, losses), message)]: what each usual slip gives on this case, drawing
    from generators made from the case's seed as the student's code does."""
    n = x.shape[0]

    def draws(count):  # the first ``count`` permutations of a generator made from the seed
        rng = np.random.default_rng(seed)
        return [rng.permutation(n) for _ in range(count)]

    def same_rows(orders):
        return [(rows, rows) for rows in orders]

    def sgd(p, g):
        return p - lr * g

    [order], (order_x, order_y) = draws(1), draws(2)
    right = same_rows(slices(order, batch_size))
    starts = range(0, n, batch_size)
    visits = {  # label: the batches the slip visits, with right steps
        "no_shuffle": same_rows(slices(np.arange(n), batch_size)),
        "permutation_per_batch": same_rows([perm[i:i + batch_size]
                                            for perm, i in zip(draws(len(starts)), starts)]),
        "x_y_shuffled_apart": list(zip(slices(order_x, batch_size), slices(order_y, batch_size))),
        "other_draw": same_rows(slices(np.random.default_rng(seed).choice(n, n, replace=False),
                                       batch_size)),
        "last_batch_dropped": same_rows(slices(order, batch_size, full_only=True)),
    }
    steps = {"gradient_sign": lambda p, g: p + lr * g, "ignores_lr": lambda p, g: p - g,
             "lr_twice": lambda p, g: p - lr * lr * g}  # label: the slip's step, right batches
    outcomes = [(label, sgd_over(params, x, y, batches, sgd)) for label, batches in visits.items()]
    outcomes += [(label, sgd_over(params, x, y, right, step)) for label, step in steps.items()]
    outcomes += [(f"first_params_reused/{stale}", sgd_over(params, x, y, right, sgd, stale=stale))
                 for stale in ("grads", "steps")]
    return [(label.split("/")[0], outcome, f"{EPOCH}: {SLIP_MESSAGES[label]}")
            for label, outcome in outcomes]


def reduced_losses(losses, expected):
    """A Diagnosis when ``losses`` is one number summarizing the batch losses, or None."""
    value = as_float_array(losses)
    if value is None or value.size != 1 or isinstance(losses, (list, tuple)):
        return None
    value = float(value.reshape(()))
    for kind, target, what in (("losses_averaged", np.mean(expected), "their mean"),
                               ("losses_summed", np.sum(expected), "their sum"),
                               ("last_loss_only", expected[-1], "the last of them")):
        if np.isclose(value, target, rtol=1e-7, atol=0):
            return Diagnosis(kind, f"{EPOCH}: losses is one number, {what}; the contract asks "
                             "for the list of every batch's loss, in order.")
    return Diagnosis("wrong_structure", f"{EPOCH}: losses is one number; the contract asks for "
                     "the list of every batch's loss, in order.")


def epoch_call(judge, params, x, y, lr, batch_size, seed):
    """((new_params, losses), args as left or None, Diagnosis or None)."""
    outcome = judge.call(EPOCH, params, x, y, Probe(GRAD_FN), lr, batch_size, Rng(seed),
                         echo_args=True)
    if isinstance(outcome, StudentError):
        return None, None, failure(outcome, EPOCH, "(new_params, losses)")
    result, after = outcome
    result, problem = pair_of(result, EPOCH, "(new_params, losses)")
    return result, after, problem


def losses_verdict(losses, expected, case):
    """(Diagnosis, as a float array or None) of the student's losses against ``expected``."""
    named = reduced_losses(losses, expected)
    if named is not None:
        return named, None
    got = as_float_array(losses) if isinstance(losses, (list, tuple)) else None
    if got is None or got.ndim != 1:
        return Diagnosis("wrong_structure", f"{EPOCH}: losses must be a list of numbers, one "
                         "per batch."), None
    if len(got) != len(expected):
        return Diagnosis("wrong_batch_count", f"{EPOCH} ({case}): {len(got)} losses for "
                         f"{len(expected)} batches; the epoch has one batch per batch_size "
                         "examples of the permutation, the last one possibly shorter."), got
    return diagnose(got, np.array(expected), function=EPOCH, check=f"reference ({case})",
                    what="losses", rtol=REF_RTOL), got


def epoch_slip(result, slips, expected, expected_losses):
    """The named slip whose params and losses the student's result matches, or None. A slip
    that gives the right params and losses on this case names nothing."""
    new_params, losses = result
    expected_losses = [np.asarray(v) for v in expected_losses]
    for kind, (slip_params, slip_losses), message in slips:
        slip_losses = [np.asarray(v) for v in slip_losses]
        if all_close(slip_params, expected) and all_close(slip_losses, expected_losses):
            continue
        if all_close(losses, slip_losses) and all_close(new_params, slip_params):
            return Diagnosis(kind, message)
    return None


def order_or_step(losses, expected, case):
    """When no named slip matches: which half of the epoch the losses point at, or None."""
    got = as_float_array(losses) if isinstance(losses, (list, tuple)) else None
    if got is None or got.ndim != 1 or len(got) != len(expected) or len(got) < 2:
        return None
    if np.isclose(got[0], expected[0], rtol=1e-7):
        return Diagnosis("wrong_step", f"{EPOCH} ({case}): the first batch's loss is right "
                         "but the params after the epoch are not: look at the update, every "
                         "param p becoming p - lr * g, with the grads of each batch.")
    return Diagnosis("batch_order", f"{EPOCH} ({case}): already the first batch's loss differs, "
                     "so the first batch is not order[0:batch_size] of order = "
                     "rng.permutation(N), drawn once at the start of the epoch.")


def check_train_epoch(judge):
    params_right = losses_right = floats = ran = 0
    bad_params, bad_losses, bad_floats = Findings(), Findings(), Findings()
    mutated = None
    for case in EPOCH_CASES:
        params, x, y, lr, batch_size, seed = epoch_inputs(judge, case)
        expected, expected_losses = solutions.train_epoch(
            [p.copy() for p in params], x.copy(), y.copy(), probes.PROBES[GRAD_FN], lr,
            batch_size, np.random.default_rng(seed))
        result, after, problem = epoch_call(judge, params, x, y, lr, batch_size, seed)
        if after is not None:
            ran += 1
            mutated = mutated or first_mutation([params, x, y], after[:3], EPOCH,
                                                ["params", "x", "y"])
        if problem is not None:
            for found in (bad_params, bad_losses, bad_floats):
                found.add(problem)
            continue
        new_params, losses = result
        loss_problem, _ = losses_verdict(losses, expected_losses, case)
        wrong = Findings()
        params_ok = compare_list(new_params, expected, wrong, EPOCH, f"reference ({case})",
                                 "new_params", rtol=REF_RTOL) == len(expected)
        params_right += params_ok
        losses_right += loss_problem.ok
        if not (params_ok and loss_problem.ok):
            named = epoch_slip(result, epoch_slips(params, x, y, lr, batch_size, seed),
                               expected, expected_losses)
            if named is None and not params_ok:
                named = order_or_step(losses, expected_losses, case)
            if named is not None:
                bad_params.add(None if params_ok else named)
                bad_losses.add(None if loss_problem.ok else named)
            else:
                bad_params.extend(wrong)
                bad_losses.add(loss_problem)
        if isinstance(losses, (list, tuple)):
            floats += bad_floats.add(None if all(isinstance(v, float) for v in losses) else
                                     Diagnosis("losses_not_floats", f"{EPOCH}: some losses "
                                               "are not Python floats (a NumPy array, say); "
                                               "turn each into a float with float(loss)."))
        else:
            bad_floats.add(loss_problem)
    total = len(EPOCH_CASES)
    params_verdicts = bad_params.verdicts()
    return [value_check("params after one epoch on hidden data", 4, params_right, total,
                        params_verdicts),
            value_check("batch losses on hidden data", 3, losses_right, total,
                        bad_losses.verdicts()),
            value_check("losses are floats", 1, floats, total, bad_floats.verdicts(),
                        ok="every loss is a float."),
            mutation_check(mutated, EPOCH, 1, ran, next(iter(params_verdicts), None))]


# ------------------------------------------------------------------------- initialization

INIT = "init_weights"
FAN_IN, FAN_OUT = 400, 300


SCHEME_STDS = {"normal": lambda fan_in: 1.0, "xavier": lambda fan_in: np.sqrt(1 / fan_in),
               "he": lambda fan_in: np.sqrt(2 / fan_in)}


def std_hint(got_std, target, fan_in, fan_out):
    """What a std that is not the scheme's looks like, or None."""
    tol = SIGMAS / np.sqrt(2 * fan_in * fan_out) * 1.2
    mistakes = {
        "it is the std of the xavier scheme": np.sqrt(1 / fan_in),
        "it is the std of the he scheme": np.sqrt(2 / fan_in),
        "it is a std of 1: are the draws scaled?": 1.0,
        "it is what fan_out in place of fan_in gives": target * np.sqrt(fan_in / fan_out),
        "it is what averaging fan_in and fan_out gives (Glorot's variant), where the "
        "contract's schemes use fan_in": np.sqrt(2 / (fan_in + fan_out)),
        "it is what the variance used as the std gives: take the square root":
        target ** 2 if target != 1 else None}
    for label, value in mistakes.items():
        if value is not None and abs(value - target) > 3 * tol * target and \
                abs(got_std / value - 1) <= tol:
            return label
    return None


def check_init(judge):
    wanted = {scheme: std(FAN_IN) for scheme, std in SCHEME_STDS.items()}
    n = FAN_IN * FAN_OUT
    tol = SIGMAS / np.sqrt(2 * n)  # relative spread of a sample std
    passed, found = 0, Findings()
    for i, (scheme, target) in enumerate(wanted.items()):
        w, problem = init_call(judge, FAN_IN, FAN_OUT, scheme, seed_of(judge, 79, i))
        if problem is None:
            mean, std = float(np.mean(w)), float(np.std(w))
            if abs(mean) > SIGMAS * target / np.sqrt(n):
                problem = Diagnosis("nonzero_mean", f"{INIT} ({scheme}): the mean of a large "
                                    "draw of your weights is far from 0 (beyond statistical "
                                    "bounds). The weights are drawn from a normal distribution "
                                    "centered on 0.")
            elif abs(std / target - 1) > tol:
                label = std_hint(std, target, FAN_IN, FAN_OUT)
                problem = Diagnosis("wrong_std", f"{INIT} ({scheme}): the std of a large draw "
                                    f"of your weights is {std / target:.3g} times the one the "
                                    "contract gives for this scheme" + (
                                        f": {label}." if label else
                                        ". Check the factor you multiply the draws by."))
        passed += found.add(problem)
    return [value_check("std and mean of normal, xavier and he", 4, passed, 3, found.verdicts(),
                        "schemes", ok="the std and the mean of large draws are within "
                        "statistical bounds for every scheme."),
            check_zeros(judge), check_shapes(judge), check_init_seed(judge),
            check_unknown_scheme(judge)]


def init_call(judge, fan_in, fan_out, scheme, seed):
    """(w as a float array, None) or (None, Diagnosis)."""
    result = judge.call(INIT, fan_in, fan_out, scheme, Rng(seed))
    if isinstance(result, StudentError):
        return None, failure(result, INIT, "w")
    w = as_float_array(result)
    if w is not None and w.shape == (fan_out, fan_in) != (fan_in, fan_out):
        return None, Diagnosis("transposed", f"{INIT} ({scheme}): your w has shape {w.shape}, "
                               f"which is (fan_out, fan_in); the contract asks for (fan_in, "
                               f"fan_out) = {(fan_in, fan_out)}.")
    if w is None or w.shape != (fan_in, fan_out) or not np.all(np.isfinite(w)):
        return None, diagnose(result, np.ones((fan_in, fan_out)), function=INIT,
                              check=f"the contract ({scheme})", what="w")
    return w, None


def check_zeros(judge):
    w, problem = init_call(judge, 7, 5, "zeros", seed_of(judge, 83))
    if problem is None and np.any(w != 0):
        problem = Diagnosis("not_zeros", f"{INIT} (zeros): some of your weights are not 0.")
    return Check('"zeros" is exactly zero', 2, float(problem is None),
                 "all zeros, of the right shape." if problem is None else problem.message,
                 "ok" if problem is None else problem.kind)


def check_shapes(judge):
    passed, found = 0, Findings()
    for i, scheme in enumerate(("normal", "xavier", "he", "zeros")):
        _, problem = init_call(judge, 6, 9, scheme, seed_of(judge, 89, i))
        passed += found.add(problem)
    return value_check("shape (fan_in, fan_out)", 1, passed, 4, found.verdicts(), "schemes",
                       ok="every scheme gives a (fan_in, fan_out) matrix.")


def check_init_seed(judge):
    title = "same seed, same weights"
    seed = seed_of(judge, 97)
    draws = []
    for s in (seed, seed, seed + 1):
        w, problem = init_call(judge, 30, 20, "he", s)
        if problem is not None:
            return Check(title, 1, 0.0, problem.message, problem.kind)
        draws.append(w)
    if not np.array_equal(draws[0], draws[1]):
        return Check(title, 1, 0.0, f"{INIT}: two calls with generators made from the same "
                     "seed gave different weights. Draw them from the rng argument, not from "
                     "np.random.", "not_reproducible")
    if np.array_equal(draws[0], draws[2]):
        return Check(title, 1, 0.0, f"{INIT}: generators made from different seeds gave the "
                     "same weights. Is the rng argument used for the draws?", "ignores_rng")
    return Check(title, 1, 1.0, "the same seed gives the same weights, another seed others.")


def check_unknown_scheme(judge):
    title = "ValueError for an unknown scheme"
    result = judge.call(INIT, 5, 4, "orthogonal", Rng(seed_of(judge, 101)))
    if isinstance(result, StudentError) and result.is_a("ValueError"):
        return Check(title, 1, 1.0, "an unknown scheme raises ValueError.")
    if isinstance(result, StudentError):
        if result.kind != "exception" or result.is_a("NotImplementedError"):
            d = failure(result, INIT, "w")
            return Check(title, 1, 0.0, d.message, d.kind)
        return Check(title, 1, 0.0, f"{INIT}: an unknown scheme raised "
                     f"{exception_name(result)}; the contract asks for ValueError.",
                     "wrong_exception")
    return Check(title, 1, 0.0, f"{INIT}: an unknown scheme returned a value instead of "
                 "raising ValueError.", "no_error")


def checks():
    """{graded name: check(judge) -> [Check]} for hw4."""
    table = {"dropout_forward": check_dropout_forward, "dropout_backward": check_dropout_backward,
             "l2_penalty": check_l2, "sgd_step": check_sgd,
             "sgd_momentum_step": check_momentum, "adam_step": check_adam,
             "train_epoch": check_train_epoch, "init_weights": check_init}
    return {name: guarded(check, name) for name, check in table.items()}
