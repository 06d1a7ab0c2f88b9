"""Hidden checks of hw2's and hw3's array functions: forward/backward pairs and losses.

Forward: values against the reference on every hidden case (edge cases included), and the
arguments left unchanged. Backward: the student's gradients (from the student's own cache)
against finite differences of the student's OWN forward, so a consistent backward earns its
credit even when the forward has a bug; against the reference gradients on every case; the
shape of every gradient; ``dout`` left unchanged.
"""
import zlib
from dataclasses import dataclass

import numpy as np

import solutions

from . import hidden_inputs as hidden
from .diagnose import Diagnosis, diagnose
from .judge import (FD_RTOL, REF_RTOL, Check, Judge, Unusable, as_float_array, derivatives,
                    failure, first_mutation, flat, guarded, mutation_check, numeric,
                    one_check, shape_of, usable_base, value_check, weighted_sum)
from .sandbox.probes import Probe
from .sandbox.runner import StudentError

ITEM = Probe("item")


@dataclass(frozen=True)
class Pair:
    stem: str
    make: object
    cases: tuple
    names: tuple
    zero_case: str = ""
    tie_case: str = ""
    huge_case: str = ""

    @property
    def smooth(self):
        """The case finite differences use: the first, drawn away from kinks and ties."""
        return self.cases[0]


SEVERAL, ONE = "a batch of several examples", "a batch of one"
PAIRS = {p.stem: p for p in [
    Pair("affine", hidden.affine, (SEVERAL, ONE, "inputs with several axes per example"),
         ("x", "w", "b")),
    Pair("relu", hidden.elementwise(), (SEVERAL, ONE, "exact zeros in x"), ("x",),
         zero_case="exact zeros in x"),
    Pair("leaky_relu", hidden.leaky, (SEVERAL, ONE, "exact zeros in x"), ("x",),
         zero_case="exact zeros in x"),
    Pair("sigmoid", hidden.elementwise(3.0), (SEVERAL, ONE, "inputs of huge magnitude"), ("x",),
         huge_case="inputs of huge magnitude"),
    Pair("tanh", hidden.elementwise(2.0), (SEVERAL, ONE, "inputs of huge magnitude"), ("x",),
         huge_case="inputs of huge magnitude"),
    Pair("conv", hidden.conv, ("stride 2 with padding", "stride 1, no padding",
                               "a batch of one, odd sizes, non-square filters"), ("x", "w", "b")),
    Pair("max_pool", hidden.pool, ("windows without ties", "ties inside windows",
                                   "overlapping windows, odd sizes"), ("x",),
         tie_case="ties inside windows"),
]}


def case_inputs(judge, pair, case):
    return pair.make(judge.rng([zlib.crc32(pair.stem.encode()), pair.cases.index(case)]), case)


def weighted(check, weight):
    check.weight = weight
    return check


def split_forward(result, function):
    """(out, cache) from what a forward returned, or a Diagnosis of what is wrong with it."""
    if isinstance(result, StudentError):
        return failure(result, function, "out")
    if not (isinstance(result, tuple) and len(result) == 2):
        return Diagnosis("wrong_structure", f"{function} must return a pair (out, cache); "
                         f"it returned {type(result).__name__}.")
    return result


# ------------------------------------------------------------------------------ forward

def check_forward(judge: Judge, pair: Pair):
    function = f"{pair.stem}_forward"
    reference = getattr(solutions, function)
    passed, first_bad, mutated, ran = 0, None, None, 0
    for case in pair.cases:
        args, kwargs = case_inputs(judge, pair, case)
        outcome = judge.call(function, *args, echo_args=True, **kwargs)
        if isinstance(outcome, StudentError):
            verdict = failure(outcome, function, "out")
        else:
            ran += 1
            result, after = outcome
            mutated = mutated or first_mutation(args, after, function, pair.names)
            split = split_forward(result, function)
            verdict = split if not isinstance(split, tuple) else diagnose(
                split[0], reference(*args, **kwargs)[0], function=function,
                check=f"reference ({case})", what="out", batch_size=len(args[0]),
                hint_overflow=case == pair.huge_case, rtol=REF_RTOL)
        passed += verdict.ok
        first_bad = first_bad or (None if verdict.ok else verdict)
    return [value_check("values on hidden inputs", 4, passed, len(pair.cases), first_bad),
            mutation_check(mutated, function, 1, ran, first_bad)]


# ----------------------------------------------------------------------------- backward

def student_gradients(judge, pair, args, kwargs, dout):
    """Run the student's forward (keeping its cache in the child) and backward.

    Returns (grads tuple, dout as the student left it) or a Diagnosis."""
    forward, backward = f"{pair.stem}_forward", f"{pair.stem}_backward"
    kept = judge.call(forward, *args, keep=True, **kwargs)
    if isinstance(kept, StudentError):
        d = failure(kept, forward, "cache")
        return d.__class__(d.kind, f"{backward} could not be checked: {d.message}")
    handle, value = kept
    split = split_forward(value, forward)
    if not isinstance(split, tuple):
        return split
    cache = judge.call(ITEM, handle, 1, keep=True)
    if isinstance(cache, StudentError):
        return failure(cache, forward, "cache")
    outcome = judge.call(backward, dout, cache[0], echo_args=True)
    if isinstance(outcome, StudentError):
        return failure(outcome, backward, "gradient")
    grads, after = outcome
    single = len(pair.names) == 1
    if single:
        if isinstance(grads, (tuple, list)):
                return Diagnosis("wrong_structure", f"{backward} must return dx alone (not in a "
                             "tuple) for a layer with a single input.")
        grads = (grads,)
    elif not (isinstance(grads, tuple) and len(grads) == len(pair.names)):
        count = len(grads) if isinstance(grads, (tuple, list)) else 1
        return Diagnosis("wrong_structure", f"{backward} must return {len(pair.names)} "
                         f"gradients ({', '.join('d' + n for n in pair.names)}) as a tuple; it "
                         f"returned {count} value(s).")
    return grads, (after[0] if after else dout)


def check_backward(judge: Judge, pair: Pair):
    return [weighted(fd_check(judge, pair), 3), *reference_checks(judge, pair)]


FD_TITLE = "matches finite differences of your forward"


@one_check(FD_TITLE)
def fd_check(judge, pair):
    """Backward vs finite differences of the student's own forward, on the smooth case."""
    backward, forward = f"{pair.stem}_backward", f"{pair.stem}_forward"
    args, kwargs = case_inputs(judge, pair, pair.smooth)
    rng = judge.rng([7, len(pair.stem)])
    split = split_forward(judge.call(forward, *args, **kwargs), forward)
    if isinstance(split, tuple):
        try:
            split = (usable_base(split[0], forward), split[1])
        except Unusable as err:
            split = err.diagnosis
    if not isinstance(split, tuple):
        return Check(FD_TITLE, 0, 0.0, f"{backward} could not be checked: {split.message}",
                     split.kind)
    dout = rng.standard_normal(split[0].shape)
    got = student_gradients(judge, pair, args, kwargs, dout)
    if not isinstance(got, tuple):
        return Check(FD_TITLE, 0, 0.0, got.message, got.kind)
    grads, _ = got
    agree, first_bad = 0, None
    for k, (x, given, name) in enumerate(zip(args, grads, pair.names)):
        g = as_float_array(given)
        if g is None or g.shape != x.shape:
            verdict = diagnose(given, np.zeros_like(x), function=backward, check="your forward",
                               what="d" + name, batch_size=len(args[0]))
        else:
            verdict = derivatives(judge.forward_scalar(forward, args, kwargs, k, dout), x, g,
                                  rng, forward)
            if isinstance(verdict, tuple):
                analytic, numeric_d = verdict
                verdict = (constant_forward(backward, forward, name) if flat(numeric_d) else
                           diagnose(analytic, numeric_d, function=backward,
                                    check="finite differences of your forward", what="d" + name,
                                    rtol=FD_RTOL, atol=1e-8, batch_size=len(args[0])))
        agree += verdict.ok
        first_bad = first_bad or (None if verdict.ok else verdict)
    if agree == len(args):
        return Check(FD_TITLE, 0, 1.0, "every gradient agrees with finite differences of your "
                     "own forward.")
    return Check(FD_TITLE, 0, agree / len(args), first_bad.message, first_bad.kind)


def constant_forward(function, forward, name):
    return Diagnosis("forward_ignores_input", f"{function}, d{name} vs finite differences of your "
                     f"forward: your {forward} does not change at all when {name} changes, so "
                     "there is nothing to compare a gradient with. Implement the forward first.")


def reference_checks(judge, pair):
    backward = f"{pair.stem}_backward"
    ref_forward = getattr(solutions, f"{pair.stem}_forward")
    ref_backward = getattr(solutions, backward)
    passed = total = ran = 0
    first_bad = shape_bad = mutated = None
    for case in pair.cases:
        args, kwargs = case_inputs(judge, pair, case)
        ref_out, ref_cache = ref_forward(*args, **kwargs)
        dout = judge.rng([11, pair.cases.index(case)]).standard_normal(ref_out.shape)
        expected = ref_backward(dout.copy(), ref_cache)
        expected = expected if isinstance(expected, tuple) else (expected,)
        got = student_gradients(judge, pair, args, kwargs, dout)
        total += len(expected)
        if not isinstance(got, tuple):
            first_bad = first_bad or got
            shape_bad = shape_bad or got
            continue
        ran += 1
        grads, dout_after = got
        mutated = mutated or first_mutation([dout], [dout_after], backward, ["dout"])
        for g, e, x, name in zip(grads, expected, args, pair.names):
            verdict = diagnose(g, e, function=backward, check=f"reference ({case})",
                               what="d" + name, batch_size=len(args[0]),
                               zero_mask=(x == 0) if case == pair.zero_case and name == "x" else None,
                               tie_mask=tie_mask(x, kwargs) if case == pair.tie_case else None,
                               hint_overflow=case == pair.huge_case, rtol=REF_RTOL)
            passed += verdict.ok
            first_bad = first_bad or (None if verdict.ok else verdict)
            if shape_of(g) != np.shape(e):
                shape_bad = shape_bad or verdict
    shapes = (Check("gradient shapes", 1, 1.0, "every gradient has the shape of its input.")
              if shape_bad is None else Check("gradient shapes", 1, 0.0, shape_bad.message,
                                              shape_bad.kind))
    return [value_check("matches the reference gradients", 3, passed, total, first_bad),
            shapes, mutation_check(mutated, backward, 1, ran, first_bad)]


def tie_mask(x, kwargs):
    """Entries of x that tie with another entry for the maximum of a pooling window."""
    ph, pw, s = (kwargs.get("pool_height", 2), kwargs.get("pool_width", 2), kwargs.get("stride", 2))
    mask = np.zeros(x.shape, dtype=bool)
    for r in range(1 + (x.shape[2] - ph) // s):
        for c in range(1 + (x.shape[3] - pw) // s):
            win = x[:, :, r * s:r * s + ph, c * s:c * s + pw]
            top = win == win.max(axis=(2, 3), keepdims=True)
            tied = top & (top.sum(axis=(2, 3), keepdims=True) > 1)
            mask[:, :, r * s:r * s + ph, c * s:c * s + pw] |= tied
    return mask


# -------------------------------------------------------------------------------- losses

LOSSES = {
    "softmax_loss": (hidden.softmax_inputs, (SEVERAL, ONE, "scores of magnitude 1e3"),
                     "scores of magnitude 1e3", "dx"),
    "mse_loss": (hidden.mse_inputs, (SEVERAL, ONE), "", "dpred"),
    "bce_loss": (hidden.bce_inputs, (SEVERAL, ONE, "probabilities near 0 and 1"),
                 "probabilities near 0 and 1", "dprob"),
}


def check_loss(judge: Judge, name):
    make, cases, huge, what = LOSSES[name]
    reference = getattr(solutions, name)
    values = grads = ran = 0
    bad_value = bad_grad = mutated = None
    for i, case in enumerate(cases):
        args, _ = make(judge.rng([13, i, len(name)]), case)
        ref_loss, ref_dx = reference(*args)
        outcome = judge.call(name, *args, echo_args=True)
        if isinstance(outcome, StudentError):
            bad_value = bad_value or failure(outcome, name, "loss")
            bad_grad = bad_grad or failure(outcome, name, what)
            continue
        ran += 1
        result, after = outcome
        mutated = mutated or first_mutation(args, after, name, ("scores", "targets"))
        if not (isinstance(result, tuple) and len(result) == 2):
            d = Diagnosis("wrong_structure", f"{name} must return (loss, {what}).")
            bad_value, bad_grad = bad_value or d, bad_grad or d
            continue
        loss, dx = result
        v = diagnose(np.asarray(loss, dtype=float) if numeric(loss) else loss,
                     np.asarray(ref_loss), function=name, check=f"reference ({case})",
                     what="loss", hint_overflow=case == huge, rtol=REF_RTOL)
        g = diagnose(dx, ref_dx, function=name, check=f"reference ({case})", what=what,
                     batch_size=len(args[0]), hint_overflow=case == huge,
                     rtol=REF_RTOL, atol=1e-12)
        values += v.ok
        grads += g.ok
        bad_value = bad_value or (None if v.ok else v)
        bad_grad = bad_grad or (None if g.ok else g)
    return [value_check("loss values on hidden inputs", 3, values, len(cases), bad_value),
            weighted(loss_fd_check(judge, name, make, cases[0], what), 3),
            value_check(f"{what} matches the reference", 3, grads, len(cases), bad_grad),
            mutation_check(mutated, name, 1, ran, bad_value)]


LOSS_FD_TITLE = "gradient matches finite differences of your loss"


@one_check(LOSS_FD_TITLE)
def loss_fd_check(judge, name, make, case, what):
    args, _ = make(judge.rng([17, len(name)]), case)
    title = LOSS_FD_TITLE
    result = judge.call(name, *args)
    if isinstance(result, StudentError) or not (isinstance(result, tuple) and len(result) == 2):
        d = failure(result, name) if isinstance(result, StudentError) else None
        return Check(title, 0, 0.0, d.message if d else f"{name} must return (loss, {what}).",
                     d.kind if d else "wrong_structure")
    dx = result[1]
    if not numeric(dx) or np.shape(dx) != np.shape(args[0]):
        d = diagnose(dx, np.zeros_like(args[0]), function=name, check="your loss", what=what)
        return Check(title, 0, 0.0, d.message, d.kind)

    def F(x):
        value = judge.call(name, x, args[1])
        if isinstance(value, StudentError):
            raise value
        if not (isinstance(value, tuple) and len(value) == 2):
            raise Unusable(Diagnosis("wrong_structure", f"{name} must return (loss, {what})."))
        loss = as_float_array(value[0])
        if loss is not None and loss.size != 1:
            raise Unusable(Diagnosis("not_numeric", f"{name}: the loss is not a single number, "
                                     "so its finite differences can't be taken."))
        return weighted_sum(value[0], 1.0, name, "loss")
    pairs = derivatives(F, args[0], np.asarray(dx, dtype=float), judge.rng([19]), name, "loss")
    if not isinstance(pairs, tuple):
        return Check(title, 0, 0.0, pairs.message, pairs.kind)
    analytic, numeric_d = pairs
    d = (constant_forward(name, name, "scores") if flat(numeric_d) else
         diagnose(analytic, numeric_d, function=name, check="finite differences of your loss",
                  what=what, rtol=FD_RTOL, atol=1e-8, batch_size=len(args[0])))
    return Check(title, 0, 1.0 if d.ok else 0.0, "agrees with finite differences of your own "
                 "loss." if d.ok else d.message, d.kind)


def checks():
    """{graded name: check(judge) -> [Check]} for hw2's and hw3's array functions."""
    table = {}
    for stem, pair in PAIRS.items():
        table[f"{stem}_forward"] = lambda j, p=pair: check_forward(j, p)
        table[f"{stem}_backward"] = lambda j, p=pair: check_backward(j, p)
    for name in LOSSES:
        table[name] = lambda j, n=name: check_loss(j, n)
    return {name: guarded(check, name) for name, check in table.items()}
