"""Hidden checks of hw4: dropout, the L2 penalty, the update rules and weight initialization.

Dropout is random, and a correct submission may draw its random numbers in another order than
the reference, so no mask is ever compared with the reference's: the forward pass is judged
by statistics (the fraction of units dropped is within binomial bounds of p; every kept unit
is x times one factor, the one inverted dropout asks for), by the identity at test time and by
reproducibility for generators made from the same seed (``probes.Rng(seed)``, made in the
child). The backward pass is judged against the student's OWN forward: its gradient must be
``dout`` times the factor that forward applied to each unit (``out / x``), and must agree with
finite differences of that forward run with the same seed at every evaluation.

The update rules are compared with the reference on hidden params and gradients, one step and
then chained (the student's own velocities, or Adam state kept in the child, fed back), with
named diagnoses for the classic mistakes (a velocity that moves with the gradient, Adam
without bias correction). ``init_weights`` is judged by shape, exact zeros, the mean and std of
large draws within statistical bounds, reproducibility, and a ValueError for unknown schemes.
"""
import zlib

import numpy as np

import solutions

from .checks_layers import split_forward
from .diagnose import Diagnosis, diagnose
from .hidden_inputs import away_from_zero
from .judge import (FD_RTOL, REF_RTOL, Check, Unusable, as_float_array, derivatives, failure,
                    exception_name, fd_verdict, first_mutation, guarded, mutation_check,
                    one_check, value_check, weighted_sum)
from .sandbox.probes import Probe, Rng
from .sandbox.runner import StudentError

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
    p, shape = DROP_CASES[case]
    if small:
        shape = (4, 5) + ((6,) if len(shape) == 3 else ())
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
    bad_scale = bad_fraction = mutated = None
    for case in DROP_CASES:
        x, p, seed = drop_inputs(judge, case)
        out, after, problem = dropout_out(judge, x, p, True, seed)
        if after is not None:
            ran += 1
            mutated = mutated or first_mutation([x], [after], FORWARD, ["x"])
        if problem is not None:
            bad_scale, bad_fraction = bad_scale or problem, bad_fraction or problem
            continue
        s, f = scaling_verdict(out, x, p, case), fraction_verdict(out, p, case)
        scaled += s.ok
        fraction += f.ok
        bad_scale = bad_scale or (None if s.ok else s)
        bad_fraction = bad_fraction or (None if f.ok else f)
    total = len(DROP_CASES)
    test_time, more_ran, more_mutated = check_test_time(judge)
    return [value_check("kept units scaled as inverted dropout asks", 4, scaled, total,
                        bad_scale),
            value_check("fraction of units dropped is about p", 3, fraction, total,
                        bad_fraction),
            test_time,
            check_reproducible(judge),
            mutation_check(mutated or more_mutated, FORWARD, 1, ran + more_ran, bad_scale)]


def check_test_time(judge):
    """train=False returns x unchanged."""
    passed, first_bad, ran, mutated = 0, None, 0, None
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
        passed += problem.ok
        first_bad = first_bad or (None if problem.ok else problem)
    check = value_check("train=False returns x", 3, passed, 2, first_bad, "hidden cases",
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
    """(dx, expected dx from the student's own out, dout as left) or (None, Diagnosis)."""
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
    return (dx, dout * out / x if train else dout, after[0] if after else None), None


def check_dropout_backward(judge):
    passed, first_bad, ran, mutated = 0, None, 0, None
    cases = [(case, True) for case in DROP_CASES] + [("a small p", False)]
    for i, (case, train) in enumerate(cases):
        x, p, seed = drop_inputs(judge, case, small=True)
        dout = judge.rng([53, i]).standard_normal(x.shape)
        got, problem = dropout_gradient(judge, x, p, train, seed, dout.copy())
        label = case if train else "train=False"
        if problem is None:
            dx, expected, after = got
            ran += 1
            mutated = mutated or first_mutation([dout], [after], BACKWARD, ["dout"])
            problem = diagnose(dx, expected, function=BACKWARD, check=f"the units your forward "
                               f"kept and their factor ({label})", what="dx", rtol=REF_RTOL)
            if not problem.ok and train:
                problem = unscaled_mask(dx, dout, expected) or problem
        passed += problem.ok
        first_bad = first_bad or (None if problem.ok else problem)
    return [value_check("dx follows your forward's mask and scaling", 4, passed, len(cases),
                        first_bad),
            dropout_fd_check(judge),
            mutation_check(mutated, BACKWARD, 1, ran, first_bad)]


def unscaled_mask(dx, dout, expected):
    """A Diagnosis when dx lets dout through the kept units without their factor."""
    got = as_float_array(dx)
    if got is None or got.shape != dout.shape:
        return None
    if np.allclose(got, dout * (expected != 0), rtol=1e-9, atol=1e-12):
        return Diagnosis("unscaled_mask", f"{BACKWARD}: your dx lets dout through exactly the "
                         "units your forward kept, but without the factor your forward "
                         "multiplied them by. The gradient of each kept unit carries that "
                         "factor too.")
    return None


@one_check("matches finite differences of your forward", 3)
def dropout_fd_check(judge):
    """dx vs finite differences of the student's forward, same seed at every evaluation."""
    title = "matches finite differences of your forward"
    x = away_from_zero(judge.rng([59]), (6, 5), 0.1)
    p, seed = 0.4, seed_of(judge, 59)
    dout = judge.rng([61]).standard_normal(x.shape)
    got, problem = dropout_gradient(judge, x, p, True, seed, dout.copy())
    if problem is not None:
        return Check(title, 3, 0.0, problem.message, problem.kind)
    dx = as_float_array(got[0])
    if dx is None or dx.shape != x.shape:
        d = diagnose(got[0], x, function=BACKWARD, check="your forward", what="dx")
        return Check(title, 3, 0.0, d.message, d.kind)

    def F(t):
        result = judge.call(FORWARD, t, p, True, Rng(seed))
        if isinstance(result, StudentError):
            raise result
        split = split_forward(result, FORWARD)
        if not isinstance(split, tuple):
            raise Unusable(split)
        return weighted_sum(split[0], dout, FORWARD)
    pairs = derivatives(F, x, dx, judge.rng([67]), FORWARD)
    if not isinstance(pairs, tuple):
        return Check(title, 3, 0.0, f"{BACKWARD} could not be checked: {pairs.message}",
                     pairs.kind)
    analytic, numeric_d = pairs
    d = fd_verdict(analytic, numeric_d, function=BACKWARD, check="finite differences of your "
                   "forward (same seed)", what="dx", rtol=FD_RTOL, atol=1e-8)
    return Check(title, 3, float(d.ok), "agrees with finite differences of your own forward."
                 if d.ok else d.message, d.kind)


# ----------------------------------------------------------------------------- L2 penalty

L2_CASES = {"several arrays": ([(4, 3), (3,), (2, 2, 2)], 0.05), "one array": ([(5, 4)], 1.5),
            "a tiny reg": ([(3, 3), (3,)], 1e-4)}


def param_list(judge, salt, shapes):
    rng = judge.rng([zlib.crc32(str(salt).encode())])
    return [rng.standard_normal(shape) for shape in shapes]


def compare_list(got, expected, function, check, what, **options):
    """(number right, first Diagnosis of a wrong one) for a list of arrays."""
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        size = f"{len(got)} items" if isinstance(got, (tuple, list)) else \
            f"a {type(got).__name__}"
        return 0, Diagnosis("wrong_structure", f"{function}: {what} must be a list with one "
                            f"array per param ({len(expected)} here); it is {size}.")
    right, first_bad = 0, None
    for k, (g, e) in enumerate(zip(got, expected)):
        d = diagnose(g, e, function=function, check=check, what=f"{what}[{k}]", **options)
        right += d.ok
        first_bad = first_bad or (None if d.ok else d)
    return right, first_bad


def pair_of(result, function, names):
    if isinstance(result, StudentError):
        return None, failure(result, function, names)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return None, Diagnosis("wrong_structure", f"{function} must return a pair {names}.")
    return tuple(result), None


def check_l2(judge):
    name = "l2_penalty"
    losses = grads = n_grads = ran = 0
    bad_loss = bad_grads = mutated = None
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
            bad_loss, bad_grads = bad_loss or problem, bad_grads or problem
            continue
        v = diagnose(result[0], ref_loss, function=name, check=f"reference ({case})",
                     what="loss", rtol=REF_RTOL)
        losses += v.ok
        bad_loss = bad_loss or (None if v.ok else v)
        right, bad = compare_list(result[1], ref_grads, name, f"reference ({case})", "grads",
                                  rtol=REF_RTOL)
        grads += right
        bad_grads = bad_grads or bad
    return [value_check("loss on hidden params", 4, losses, len(L2_CASES), bad_loss),
            value_check("grads match the reference", 3, grads, n_grads, bad_grads,
                        "gradients on hidden params"),
            l2_fd_check(judge),
            mutation_check(mutated, name, 1, ran, bad_loss)]


@one_check("grads match finite differences of your loss", 3)
def l2_fd_check(judge):
    """Each gradient vs finite differences of the student's own loss."""
    name, title = "l2_penalty", "grads match finite differences of your loss"
    shapes, reg = L2_CASES["several arrays"]
    params = param_list(judge, "l2 fd", shapes)
    result, problem = pair_of(judge.call(name, params, reg), name, "(loss, grads)")
    if problem is None and not (isinstance(result[1], (tuple, list)) and
                                len(result[1]) == len(params)):
        problem = Diagnosis("wrong_structure", f"{name}: grads must hold one array per param.")
    if problem is not None:
        return Check(title, 3, 0.0, problem.message, problem.kind)
    agree, first_bad = 0, None
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
            d = derivatives(F, p, got, judge.rng([71, k]), name, "loss")
            if isinstance(d, tuple):
                d = fd_verdict(*d, function=name, check="finite differences of your loss",
                               what=f"grads[{k}]", rtol=FD_RTOL, atol=1e-8)
        agree += d.ok
        first_bad = first_bad or (None if d.ok else d)
    return value_check(title, 3, agree, len(params), first_bad, "gradients",
                       ok="every gradient agrees with finite differences of your own loss.")


# --------------------------------------------------------------------------- update rules

SGD_CASES = {"several arrays": ([(4, 3), (3,)], 0.1), "one array": ([(5,)], 0.5),
             "three axes, a small lr": ([(2, 3, 2)], 1e-2)}


def check_sgd(judge):
    name = "sgd_step"
    right = total = ran = 0
    first_bad = mutated = None
    for case, (shapes, lr) in SGD_CASES.items():
        params = param_list(judge, f"sgd p {case}", shapes)
        grads = param_list(judge, f"sgd g {case}", shapes)
        expected = solutions.sgd_step([p.copy() for p in params], grads, lr)
        total += len(params)
        outcome = judge.call(name, params, grads, lr, echo_args=True)
        if isinstance(outcome, StudentError):
            first_bad = first_bad or failure(outcome, name, "new params")
            continue
        ran += 1
        result, after = outcome
        mutated = mutated or first_mutation([params, grads], after[:2], name,
                                            ["params", "grads"])
        ok, bad = compare_list(result, expected, name, f"reference ({case})", "new_params",
                               rtol=REF_RTOL)
        right += ok
        first_bad = first_bad or bad
    return [value_check("new params on hidden inputs", 4, right, total, first_bad,
                        "new params"),
            mutation_check(mutated, name, 1, ran, first_bad)]


MOMENTUM_CASES = {"several arrays, the default momentum": ([(4, 3), (3,)], 0.1, None),
                  "one array, another momentum": ([(6,)], 0.05, 0.5)}


def momentum_kwargs(momentum):
    return {} if momentum is None else {"momentum": momentum}


def momentum_hint(new_v, grads, velocities, lr, momentum):
    """A named Diagnosis for a velocity that moves with the gradient, or None."""
    m = 0.9 if momentum is None else momentum
    along = [m * v + lr * g for v, g in zip(velocities, grads)]
    got = [as_float_array(v) for v in new_v] if isinstance(new_v, (tuple, list)) else []
    if len(got) == len(along) and all(g is not None and g.shape == a.shape and
                                      np.allclose(g, a, rtol=1e-7, atol=1e-12)
                                      for g, a in zip(got, along)):
        return Diagnosis("gradient_sign", "sgd_momentum_step: your velocities move along the "
                         "gradient instead of against it. Check the sign of the gradient term "
                         "in the velocity update.")
    return None


def check_momentum(judge):
    name = "sgd_momentum_step"
    right = total = ran = 0
    first_bad = mutated = None
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
            first_bad = first_bad or problem
            continue
        ok_v, bad_v = compare_list(result[1], exp_v, name, f"reference ({case})",
                                   "new_velocities", rtol=REF_RTOL)
        ok_p, bad_p = compare_list(result[0], exp_p, name, f"reference ({case})",
                                   "new_params", rtol=REF_RTOL)
        right += ok_v + ok_p
        if bad_v is not None or bad_p is not None:
            hint = momentum_hint(result[1], grads, velocities, lr, momentum)
            first_bad = first_bad or hint or bad_v or bad_p
    return [value_check("one step from hidden velocities", 4, right, total, first_bad,
                        "new params and velocities"),
            momentum_chain(judge),
            mutation_check(mutated, name, 1, ran, first_bad)]


def momentum_chain(judge):
    """Three steps from zero velocities, feeding the student's params and velocities back."""
    name, title = "sgd_momentum_step", "three chained steps"
    shapes, lr = [(3, 2), (2,)], 0.1
    params = param_list(judge, "mom chain p", shapes)
    velocities = [np.zeros(s) for s in shapes]
    ref_p, ref_v = [p.copy() for p in params], [v.copy() for v in velocities]
    right, first_bad = 0, None
    for step in range(3):
        grads = param_list(judge, f"mom chain g {step}", shapes)
        ref_p, ref_v = solutions.sgd_momentum_step(ref_p, grads, ref_v, lr)
        result, problem = pair_of(judge.call(name, params, grads, velocities, lr), name,
                                  "(new_params, new_velocities)")
        if problem is None:
            ok, problem = compare_list(result[0], ref_p, name, f"the reference after step "
                                       f"{step + 1}", "new_params", rtol=REF_RTOL)
            if problem is None and not (isinstance(result[1], (tuple, list)) and
                                        len(result[1]) == len(shapes)):
                problem = Diagnosis("wrong_structure", f"{name}: new_velocities must be a list "
                                    "with one array per param, to feed the next step.")
            if problem is None:
                right += 1
        if problem is not None and problem.kind != "wrong_structure" and result is not None:
            problem = momentum_hint(result[1], grads, velocities, lr, None) or problem
        if problem is not None:
            if right and right == step:
                problem = Diagnosis("state_not_carried", f"{name}: your first step(s) match "
                                    f"but step {step + 1} of a chain does not: check that the "
                                    "velocities you return are the ones the next step needs.")
            first_bad = problem
            break
        params, velocities = list(result[0]), list(result[1])
    return value_check(title, 3, right, 3, first_bad, "steps",
                       ok="three chained steps match the reference.")


ADAM_CASES = {"the default betas": ([(4, 3), (3,)], 1e-2, {}),
              "other betas": ([(5,)], 5e-3, {"beta1": 0.8, "beta2": 0.99})}


def bias_hint(new_params, params, expected, kwargs):
    """A named Diagnosis when the first update is off by a factor that a missing bias
    correction gives, or None."""
    try:
        got = np.concatenate([np.ravel(np.asarray(n, dtype=float) - p)
                              for n, p in zip(new_params, params)])
    except (TypeError, ValueError):
        return None
    want = np.concatenate([np.ravel(e - p) for e, p in zip(expected, params)])
    if got.shape != want.shape or not np.all(np.isfinite(got)) or not np.any(want):
        return None
    factor = float(np.vdot(got, want) / np.vdot(want, want))
    if np.max(np.abs(got - factor * want)) > 1e-3 * abs(factor) * np.max(np.abs(want)):
        return None
    b1, b2 = kwargs.get("beta1", 0.9), kwargs.get("beta2", 0.999)
    named = {(1 - b1) / np.sqrt(1 - b2): "of both moments",
             1 / np.sqrt(1 - b2): "of the second moment v",
             (1 - b1): "of the first moment m"}
    for value, which in named.items():
        if near(factor, value, 1e-3):
            return Diagnosis("missing_bias_correction", f"adam_step, first step from state "
                             f"None: your update is about {factor:.3g} times the expected one, "
                             f"which is what leaving out the bias correction {which} gives. "
                             "Correct each moment estimate for its start at zero, with the "
                             "step count of this step.")
    return None


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
    first_bad = mutated = None
    for case, (shapes, lr, kwargs) in ADAM_CASES.items():
        params = param_list(judge, f"adam p {case}", shapes)
        grads = [away_from_zero(judge.rng([73, len(case), k]), s, 0.3)
                 for k, s in enumerate(shapes)]
        expected, _ = solutions.adam_step([p.copy() for p in params], grads, None, lr, **kwargs)
        total += len(params)
        got, after, problem = adam_call(judge, params, grads, None, lr, kwargs)
        if after is not None:
            ran += 1
            mutated = mutated or first_mutation([params, grads], after[:2], name,
                                                ["params", "grads"])
        if problem is not None:
            first_bad = first_bad or problem
            continue
        new_params = got[0]
        ok, bad = compare_list(new_params, expected, name, f"reference ({case})", "new_params",
                               rtol=REF_RTOL)
        right += ok
        if bad is not None:
            first_bad = first_bad or bias_hint(new_params, params, expected, kwargs) or bad
    return [value_check("first step from state None", 4, right, total, first_bad,
                        "new params"),
            adam_chain(judge),
            mutation_check(mutated, name, 1, ran, first_bad)]


def adam_chain(judge):
    """Four steps from state None, the student's own state (kept in its process) fed back."""
    name, title = "adam_step", "four chained steps"
    shapes, lr = [(3, 2), (2,)], 0.05
    params = param_list(judge, "adam chain p", shapes)
    ref_p, ref_state, state = [p.copy() for p in params], None, None
    right, first_bad = 0, None
    for step in range(4):
        grads = [away_from_zero(judge.rng([79, step, k]), s, 0.3) for k, s in enumerate(shapes)]
        ref_p, ref_state = solutions.adam_step(ref_p, grads, ref_state, lr)
        got, _, problem = adam_call(judge, params, grads, state, lr, {})
        if problem is None:
            params, state = got
            ok, problem = compare_list(params, ref_p, name, f"the reference after step "
                                       f"{step + 1}", "new_params", rtol=REF_RTOL)
            if problem is None:
                right += 1
                params = list(params)
                continue
        if right and right == step:
            problem = Diagnosis("state_not_carried", f"{name}: your first step(s) match but "
                                f"step {step + 1} of a chain does not: check that the state "
                                "you return carries everything the next step needs (both "
                                "moment estimates and the step count) and that each step "
                                "uses it.")
        first_bad = problem
        break
    return value_check(title, 3, right, 4, first_bad, "steps",
                       ok="four chained steps match the reference.")


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
    passed, first_bad = 0, None
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
        passed += problem is None
        first_bad = first_bad or problem
    return [value_check("std and mean of normal, xavier and he", 4, passed, 3, first_bad,
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
    passed, first_bad = 0, None
    for i, scheme in enumerate(("normal", "xavier", "he", "zeros")):
        _, problem = init_call(judge, 6, 9, scheme, seed_of(judge, 89, i))
        passed += problem is None
        first_bad = first_bad or problem
    return value_check("shape (fan_in, fan_out)", 1, passed, 4, first_bad, "schemes",
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
             "init_weights": check_init}
    return {name: guarded(check, name) for name, check in table.items()}
