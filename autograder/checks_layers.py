"""Hidden checks of hw2's and hw3's array functions: forward/backward pairs and losses.

Forward: values against the reference on every hidden case but the large one, the arguments
left unchanged and, for the functions the contract asks to be stable, "stays finite without
overflow" (no NumPy floating-point warning and finite results on the huge case).

Backward: the student's gradients (from the student's own cache) against finite differences
of the student's OWN forward, on the first (smooth) case, so a consistent backward earns
credit when the forward has a bug; against the reference gradients on every case; the shape
of every gradient; ``dout`` left unchanged. The finite differences are taken along a few
directions per input in a shuffled order, before the backward is called, and the base point
is evaluated again after them: a forward that remembers its calls, or that is right at the
hidden input but not next to it, is caught (``inconsistent_forward``). They pay only when the
forward is right on at least one hidden case. A backward that does not finish on the large
case (where a derived gradient takes milliseconds and finite differences of the forward take
minutes) earns no gradient credit at all (``not_derived``).

A pair may name its own mistakes (``Pair.slips``): the softmax layer's wrong axis
(``softmax_wrong_axis``), a Jacobian reduced to its diagonal (``jacobian_diagonal_only``), the
loss's shortcut in a layer (``loss_shortcut``), and a layer divided by N is told so
(``Pair.batch_notes``); PReLU's slope on the wrong side of 0, per example instead of per feature,
dalpha without its factor x and a dx that ignores alpha (``diagnose.prelu_slips``), and a
dalpha averaged over the batch is told that alpha is shared as a bias is.

Losses: the same, with the loss value in place of the forward.

Tolerances: values and gradients within ``REF_RTOL`` (1e-7) of the reference, relative to
the largest expected entry; the backward within ``FD_RTOL`` (1e-6) of finite differences
(step ``FD_STEP``). ``STABLE`` states what each stable function is held to.
"""
import zlib
from dataclasses import dataclass

import numpy as np

import solutions

from . import hidden_inputs as hidden
from .diagnose import (PRELU_MESSAGES, PRELU_SHARED_SLOPE, Diagnosis, diagnose,
                       diagnose_fp_warnings, diagnose_window_shape, prelu_slips)
from .judge import (FD_RTOL, FD_STEP, REF_RTOL, Check, Judge, Unusable, as_float_array,
                    failure, first_mutation, flat, guarded, mutation_check, numeric,
                    one_check, shape_of, usable_base, value_check, weighted_sum)
from .sandbox.probes import Probe
from .sandbox.runner import StudentError

ITEM = Probe("item")
PROBES = 6  # finite-difference directions per input: coordinates of a small one, else random

BCE_ADVICE = ("with a probability this close to 0 or 1, 1/p, 1/(1 - p) and their logs leave "
              "the range of float64: keep the probabilities used there a tiny distance (any "
              "eps from 1e-300 to 1e-6) away from 0 and 1")

#: What each function the contract asks to be stable is held to (the check's message says it).
STABLE = {
    "sigmoid_forward": "for any x: finite, no NumPy warning, and within 1e-7 (relative) of the "
                       "exact values, checked at |x| from 720 to 2000",
    "tanh_forward": "for any x: finite, no NumPy warning, and within 1e-7 (relative) of the "
                    "exact values, checked at |x| from 720 to 2000",
    "softmax_forward": "for scores of magnitude 1e3: finite, no NumPy warning, and within 1e-7 "
                       "(relative) of the exact values, even where every exp of a row "
                       "overflows or underflows",
    "softmax_loss": "for scores of magnitude 1e3: finite, no NumPy warning, loss and dx within "
                    "1e-7 (relative) of the exact ones, even where a label's probability "
                    "underflows to 0",
    "bce_loss": "for any probability in (0, 1): finite and no NumPy warning (checked down to "
                "1e-315); loss and dprob within 1e-7 (relative) of the exact ones wherever "
                "the probabilities are at least 2e-6 from 0 and 1, so a clip with any eps up "
                "to 1e-6 is exact there",
}
STABLE_TITLE = "stays finite without overflow"


@dataclass(frozen=True)
class Pair:
    """A forward/backward pair: its hidden cases (``hidden.Case``) and its inputs' names.

    ``slips``, when given, names the pair's own mistakes that ``diagnose`` can only call wrong
    values: ``slips(args, kwargs, dout) -> [(kind, array, message)]``, what a
    mistake of that kind returns on these inputs (``dout`` is None for the forward); a fourth
    item ``what`` ("out", "dx", "dalpha", ...) keeps a slip to that one array.
    ``batch_notes`` ({what: text}) is added to the message of a gradient ``what`` that is the
    expected one divided by the batch size: why this layer does not divide by N.
    """

    stem: str
    cases: tuple
    names: tuple
    noun: str = "windows"  # what a non-square window is called in messages
    slips: object = None
    batch_notes: tuple = ()  # ((what, text), ...): a dict, frozen

    @property
    def smooth(self):
        """The case finite differences use: the first, drawn away from kinks and ties."""
        return self.cases[0]

    @property
    def forward_cases(self):
        return tuple(c for c in self.cases if not c.has("large"))


# ------------------------------------------------------------- softmax's own mistakes

WRONG_AXIS = ("this is what a softmax taken down the columns (over the batch, axis 0) gives, "
              "not one along each row: the contract's softmax turns every example's row of C "
              "scores into C probabilities that sum to 1.")
DIAGONAL_ONLY = ("this is what keeping only the diagonal of each row's Jacobian gives (the "
                 "case i = j, as for an elementwise function). Every output of a row depends "
                 "on every score of that row, so the entries with i != j contribute to dx "
                 "too.")
LOSS_SHORTCUT = ("this is the shortcut of softmax followed by cross-entropy, with dout in "
                 "the place of the labels. softmax_backward is a layer on its own: dout is any "
                 "upstream gradient, and dx is each row's Jacobian applied to it.")
LAYER_NOT_LOSS = (" softmax_backward is a layer, not a loss: the 1/N of an averaged loss is "
                  "already inside dout, so a layer does not divide by N again.")


def softmax_along(x, axis):
    """The judge's softmax of ``x`` along ``axis`` (to recognise a mistake, not to grade)."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_slips(args, kwargs, dout):
    """What softmax over the columns, a diagonal-only Jacobian and the loss's shortcut
    return on these inputs (see ``Pair.slips``)."""
    (x,) = args
    columns = softmax_along(x, 0)
    if dout is None:
        return [("softmax_wrong_axis", columns, WRONG_AXIS)]
    y = softmax_along(x, 1)
    column_jacobian = columns * (dout - (dout * columns).sum(axis=0, keepdims=True))
    return [("jacobian_diagonal_only", dout * y * (1.0 - y), DIAGONAL_ONLY),
            ("loss_shortcut", y - dout, LOSS_SHORTCUT),
            ("loss_shortcut", (y - dout) / len(x), LOSS_SHORTCUT),
            ("softmax_wrong_axis", column_jacobian, WRONG_AXIS)]


def named_slip(pair, verdict, got, function, case, args, kwargs, dout=None, check=None,
               what=None):
    """``verdict``, or the pair's own name for the mistake when ``got`` (the array ``what``:
    "out" for the forward, "dx" by default for the backward) is what that mistake returns on
    ``case`` (compared with ``check``, the reference by default); a batch scaling the pair
    has a note for (softmax_backward's dx, prelu's dalpha) is told why it is wrong."""
    if verdict.ok or pair.slips is None:
        return verdict
    what = what or ("out" if dout is None else "dx")
    notes = dict(pair.batch_notes)
    if verdict.kind == "scaled_by_inverse_batch" and dout is not None and what in notes:
        return Diagnosis(verdict.kind, verdict.message + notes[what])
    g = as_float_array(got)
    with np.errstate(all="ignore"):
        slips = pair.slips(args, kwargs, dout)
    for kind, array, text, *only in slips:
        if only and only[0] != what:
            continue
        if g is not None and g.shape == array.shape and np.all(np.isfinite(array)) \
                and matches(g, array):
            check = check or f"reference ({case.name})"
            return Diagnosis(kind, f"{function}, {what} vs {check}: {text}")
    return verdict


# --------------------------------------------------------------------- prelu's own mistakes

def prelu_pair_slips(args, kwargs, dout):
    """``diagnose.prelu_slips`` as ``Pair.slips`` (see there): each with its message."""
    x, alpha = args
    return [(kind, array, PRELU_MESSAGES[kind], what)
            for kind, array, what in prelu_slips(x, alpha, dout)]


PAIRS = {p.stem: p for p in [
    Pair("affine", hidden.AFFINE, ("x", "w", "b")),
    Pair("relu", hidden.RELU, ("x",)),
    Pair("leaky_relu", hidden.LEAKY_RELU, ("x",)),
    Pair("prelu", hidden.PRELU, ("x", "alpha"), slips=prelu_pair_slips,
         batch_notes=(("dalpha", PRELU_SHARED_SLOPE),)),
    Pair("sigmoid", hidden.SIGMOID, ("x",)),
    Pair("tanh", hidden.TANH, ("x",)),
    Pair("softmax", hidden.SOFTMAX_LAYER, ("x",), slips=softmax_slips,
         batch_notes=(("dx", LAYER_NOT_LOSS),)),
    Pair("conv", hidden.CONV, ("x", "w", "b"), noun="filters"),
    Pair("max_pool", hidden.POOL, ("x",)),
]}


def salt(name):
    return zlib.crc32(name.encode())


def case_inputs(judge, pair, case):
    """(args, kwargs) of ``case`` for this student: the same recipe for everyone."""
    return case.make(judge.rng([salt(pair.stem), pair.cases.index(case)]))


def weighted(check, weight):
    check.weight = weight
    return check


def warnings_of(judge):
    """The floating-point warnings of the student's last call."""
    return tuple(getattr(judge.proc, "fp_warnings", None) or ())


def split_forward(result, function):
    """(out, cache) from what a forward returned, or a Diagnosis of what is wrong with it."""
    if isinstance(result, StudentError):
        return failure(result, function, "out")
    if not (isinstance(result, tuple) and len(result) == 2):
        return Diagnosis("wrong_structure", f"{function} must return a pair (out, cache); "
                         f"it returned {type(result).__name__}.")
    return result


def matches(got, expected):
    """Whether the student's ``got`` is right (within REF_RTOL) and finite."""
    return diagnose(got, expected, function="", check="", what="out", rtol=REF_RTOL).ok


# --------------------------------------------------------------- naming the shape class

WINDOW_KINDS = {"non_square": "non_square_window", "non_divisible": "non_divisible_size"}
VAGUE = ("wrong_shape", "wrong_values", "raised", "nan_or_inf", "all_zeros")


def window_shape(pair, case, got, expected, args, kwargs, function, what):
    """``diagnose_window_shape`` of an output of a conv or pool case, or None."""
    if pair.stem == "conv":
        window, stride, pad = args[1].shape[2:], kwargs["stride"], kwargs["pad"]
    elif pair.stem == "max_pool":
        window, stride, pad = (kwargs["pool_height"], kwargs["pool_width"]), kwargs["stride"], 0
    else:
        return None
    return diagnose_window_shape(got, expected, function=function,
                                 check=f"reference ({case.name})", what=what,
                                 size=args[0].shape[2:], window=window, stride=stride, pad=pad,
                                 noun=pair.noun)


def name_shape_classes(pair, results, function):
    """``results``: [(case, [verdicts])]. A vague verdict on a case of a shape class (non-square
    windows, sizes that do not divide evenly) becomes that class's diagnosis when every case
    outside the class is right: the mistake shows only there."""
    for tag, kind in WINDOW_KINDS.items():
        outside_ok = all(all(v.ok for v in verdicts) for case, verdicts in results
                         if not case.has(tag))
        if not outside_ok:
            continue
        for case, verdicts in results:
            if case.has(tag):
                verdicts[:] = [class_diagnosis(pair, v, kind, function)
                               if v.kind in VAGUE else v for v in verdicts]
    return results


def class_diagnosis(pair, verdict, kind, function):
    if kind == "non_square_window":
        text = (f" This shows only where the {pair.noun} are not square (every case with "
                f"square {pair.noun} is right): check that every height (the output's, the "
                f"rows of a window) comes from the height of the {pair.noun[:-1]} and every "
                "width from its width.")
    else:
        text = (" This shows only where the sizes do not divide evenly by the stride (every "
                "case where they do is right): the contract's output size rounds down (a last "
                "window that does not fit is dropped), and nothing may assume that the windows "
                "tile the input exactly.")
    return Diagnosis(kind, verdict.message + text)


def flatten(results):
    return [v for _, verdicts in results for v in verdicts]


EXTREME_KINDS = ("overflow", "log_of_zero")


def shown(verdicts, cases):
    """The verdicts whose messages a check shows: an overflow on the huge case is not named
    when the function gives NaN or inf on ordinary inputs too (that is the mistake to fix)."""
    ordinary_nan = any(v.kind == "nan_or_inf" for v, c in zip(verdicts, cases)
                       if not c.has("huge"))
    return [v for v in verdicts if not (ordinary_nan and v.kind in EXTREME_KINDS)]


# ------------------------------------------------------------------------------ forward

def check_forward(judge: Judge, pair: Pair):
    function = f"{pair.stem}_forward"
    reference = getattr(solutions, function)
    results, stable = [], []
    mutated, ran = None, 0
    for case in pair.forward_cases:
        args, kwargs = case_inputs(judge, pair, case)
        outcome = judge.call(function, *args, echo_args=True, **kwargs)
        warned = warnings_of(judge)
        if isinstance(outcome, StudentError):
            verdict = failure(outcome, function, "out")
        else:
            ran += 1
            result, after = outcome
            mutated = mutated or first_mutation(args, after, function, pair.names)
            verdict = split_forward(result, function)
        if isinstance(verdict, tuple):
            expected, got = reference(*args, **kwargs)[0], verdict[0]
            if case.has("huge"):
                stable.append(diagnose_fp_warnings(warned, function=function, check=case.name,
                                                   finite=all_finite(got)))
            verdict = window_shape(pair, case, got, expected, args, kwargs, function,
                                   "out") or diagnose(
                got, expected, function=function, check=f"reference ({case.name})",
                what="out", batch_size=len(args[0]), hint_overflow=case.has("huge"),
                fp_warnings=warned, rtol=REF_RTOL)
            verdict = named_slip(pair, verdict, got, function, case, args, kwargs)
        elif case.has("huge"):
            stable.append(verdict)
        results.append((case, [verdict]))
    verdicts = flatten(name_shape_classes(pair, results, function))
    first_bad = next((v for v in verdicts if not v.ok), None)
    checks = [value_check("values on hidden inputs", 4, sum(v.ok for v in verdicts),
                          len(verdicts), shown(verdicts, [c for c, _ in results])),
              mutation_check(mutated, function, 1, ran, first_bad)]
    if function in STABLE:
        checks.append(stable_check(function, stable))
    return checks


def stable_check(function, verdicts):
    """"stays finite without overflow" from the verdicts of the huge cases."""
    passed = sum(v.ok for v in verdicts)
    promise = f"The contract holds {function} to this: {STABLE[function]}."
    if verdicts and passed == len(verdicts):
        return Check(STABLE_TITLE, 1, 1.0, f"finite, and no floating-point warning on the "
                     f"huge inputs. {promise}")
    bad = [v for v in verdicts if not v.ok]
    if not bad:
        return Check(STABLE_TITLE, 1, 0.0, f"not checked. {promise}", "not_checked")
    return Check(STABLE_TITLE, 1, passed / len(verdicts), f"{bad[0].message} {promise}",
                 bad[0].kind)


# ----------------------------------------------------------------------------- backward

@dataclass
class Run:
    """One forward (cache kept in the child) and backward of the student: ``grads`` and
    ``dout_after``, or ``failed`` (a Diagnosis) at ``stage`` "forward" or "backward"."""

    out: object = None
    grads: tuple = ()
    dout_after: object = None
    failed: Diagnosis = None
    stage: str = ""


def student_gradients(judge, pair, args, kwargs, dout):
    """Run the student's forward (keeping its cache in the child) and backward on ``dout``."""
    forward, backward = f"{pair.stem}_forward", f"{pair.stem}_backward"
    kept = judge.call(forward, *args, keep=True, **kwargs)
    if isinstance(kept, StudentError):
        d = failure(kept, forward, "cache")
        return Run(failed=Diagnosis(d.kind, f"{backward} could not be checked: {d.message}"),
                   stage="forward")
    handle, value = kept
    split = split_forward(value, forward)
    if not isinstance(split, tuple):
        return Run(failed=split, stage="forward")
    cache = judge.call(ITEM, handle, 1, keep=True)
    if isinstance(cache, StudentError):
        return Run(split[0], failed=failure(cache, forward, "cache"), stage="forward")
    outcome = judge.call(backward, dout, cache[0], echo_args=True)
    if isinstance(outcome, StudentError):
        return Run(split[0], failed=failure(outcome, backward, "gradient"), stage="backward")
    grads, after = outcome
    if len(pair.names) == 1:
        if isinstance(grads, (tuple, list)):
            return Run(split[0], failed=Diagnosis(
                "wrong_structure", f"{backward} must return dx alone (not in a tuple) for a "
                "layer with a single input."), stage="backward")
        grads = (grads,)
    elif not (isinstance(grads, tuple) and len(grads) == len(pair.names)):
        count = len(grads) if isinstance(grads, (tuple, list)) else 1
        return Run(split[0], failed=Diagnosis(
            "wrong_structure", f"{backward} must return {len(pair.names)} gradients "
            f"({', '.join('d' + n for n in pair.names)}) as a tuple; it returned {count} "
            "value(s)."), stage="backward")
    return Run(split[0], grads, after[0] if after else dout)


FD_TITLE = "matches finite differences of your forward"
REF_TITLE = "matches the reference gradients"


def check_backward(judge: Judge, pair: Pair):
    fd = weighted(fd_check(judge, pair), 3)
    references, facts = reference_checks(judge, pair)
    return [earned_fd(fd, facts, f"{pair.stem}_forward", "forward"), *references]


@dataclass
class Facts:
    """What the reference cases showed about the whole function."""

    forward_right: bool = False  # the student's forward (or loss) right on some case
    too_slow: Diagnosis = None   # the gradient did not finish on the large case


def earned_fd(fd, facts, forward, source):
    """The finite-difference check as it pays: nothing for a gradient that is not derived
    (too slow on the large case), nor for agreeing with a forward that is never right."""
    if facts.too_slow is not None:
        return Check(fd.name, fd.weight, 0.0, facts.too_slow.message, facts.too_slow.kind)
    if fd.fraction > 0 and not facts.forward_right:
        return Check(fd.name, fd.weight, 0.0, f"your gradient agrees with finite differences "
                     f"of your own {source}, but {forward} is not right on any hidden case, "
                     "so this check pays once it is right on at least one.", "forward_wrong")
    return fd


def too_slow(function, case, size):
    return Diagnosis("not_derived", (
        f"{function} did not finish within the time limit on {case.name} ({size:,} entries), "
        "where a derived gradient takes milliseconds, even written with loops. A gradient "
        "computed by finite differences of the forward (a forward call or two per entry) is "
        "that slow: derive the gradient; finite differences are for checking it. Until "
        f"{function} finishes there, its gradient checks earn nothing."))


def reference_checks(judge, pair):
    """The reference-gradient, shape and mutation checks, and the Facts they showed."""
    forward, backward = f"{pair.stem}_forward", f"{pair.stem}_backward"
    ref_forward, ref_backward = getattr(solutions, forward), getattr(solutions, backward)
    facts, results = Facts(), []
    shape_bad = mutated = None
    ran = 0
    for index, case in enumerate(pair.cases):
        args, kwargs = case_inputs(judge, pair, case)
        ref_out, ref_cache = ref_forward(*args, **kwargs)
        dout = hidden.upstream(judge.rng([11, salt(pair.stem), index]), ref_out.shape)
        expected = ref_backward(dout.copy(), ref_cache)
        expected = expected if isinstance(expected, tuple) else (expected,)
        run = student_gradients(judge, pair, args, kwargs, dout)
        facts.forward_right |= run.out is not None and matches(run.out, ref_out)
        if run.failed is not None:
            failed = run.failed
            if case.has("large") and run.stage == "backward" and failed.kind == "timeout":
                failed = facts.too_slow = too_slow(backward, case, sum(a.size for a in args))
            results.append((case, [failed] * len(expected)))
            shape_bad = shape_bad or failed
            continue
        ran += 1
        mutated = mutated or first_mutation([dout], [run.dout_after], backward, ["dout"])
        verdicts = []
        for g, e, x, name in zip(run.grads, expected, args, pair.names):
            verdict = diagnose(
                g, e, function=backward, check=f"reference ({case.name})", what="d" + name,
                batch_size=len(args[0]),
                zero_mask=(x == 0) if case.has("zeros") and name == "x" else None,
                tie_mask=tie_mask(x, kwargs) if case.has("ties") else None,
                overlap_mask=overlap_mask(x, kwargs) if case.has("overlaps") else None,
                hint_overflow=case.has("huge"), rtol=REF_RTOL)
            verdict = named_slip(pair, verdict, g, backward, case, args, kwargs, dout,
                                 what="d" + name)
            verdicts.append(verdict)
            if shape_of(g) != np.shape(e):
                shape_bad = shape_bad or verdict
        results.append((case, verdicts))
    verdicts = flatten(name_shape_classes(pair, results, backward))
    passed = sum(v.ok for v in verdicts)
    first_bad = next((v for v in verdicts if not v.ok), None)
    cases = [c for c, vs in results for _ in vs]
    reference = value_check(REF_TITLE, 3, passed, len(verdicts), shown(verdicts, cases),
                            noun="gradients")
    if facts.too_slow is not None:
        reference = Check(REF_TITLE, 3, 0.0, facts.too_slow.message, facts.too_slow.kind)
    shapes = (Check("gradient shapes", 1, 1.0, "every gradient has the shape of its input.")
              if shape_bad is None else Check("gradient shapes", 1, 0.0, shape_bad.message,
                                              shape_bad.kind))
    return [reference, shapes, mutation_check(mutated, backward, 1, ran, first_bad)], facts


def tie_mask(x, kwargs):
    """Entries of x that tie with another entry for the maximum of a pooling window."""
    mask = np.zeros(x.shape, dtype=bool)
    for rows, cols in hidden.windows(x.shape, *pool_window(kwargs)):
        win = x[:, :, rows, cols]
        top = win == win.max(axis=(2, 3), keepdims=True)
        mask[:, :, rows, cols] |= top & (top.sum(axis=(2, 3), keepdims=True) > 1)
    return mask


def overlap_mask(x, kwargs):
    """Entries of x that are the maximum of more than one pooling window."""
    count = np.zeros(x.shape, dtype=int)
    for rows, cols in hidden.windows(x.shape, *pool_window(kwargs)):
        win = x[:, :, rows, cols]
        count[:, :, rows, cols] += win == win.max(axis=(2, 3), keepdims=True)
    return count > 1


def pool_window(kwargs):
    return (kwargs.get("pool_height", 2), kwargs.get("pool_width", 2), kwargs.get("stride", 2))


# ------------------------------------------------------------------- finite differences

def directions(shape, rng, count=PROBES):
    """Unit directions to differentiate along: every coordinate of an input of at most
    ``count`` entries, else ``count`` random directions (each moves every entry)."""
    size = int(np.prod(shape))
    if size <= count:
        return list(np.eye(size).reshape((size, *shape)))
    return [d / np.linalg.norm(d) for d in rng.standard_normal((count, *shape))]


def shuffled_differences(functions, points, probes, rng):
    """Central differences of ``functions[k]`` at ``points[k]`` along ``probes[k]``, every
    evaluation of every input in one shuffled order. Returns one array per input."""
    calls = [(k, j, sign) for k, dirs in enumerate(probes) for j in range(len(dirs))
             for sign in (1, -1)]
    values = {}
    for i in rng.permutation(len(calls)):
        k, j, sign = calls[i]
        values[k, j, sign] = functions[k](points[k] + sign * FD_STEP * probes[k][j])
    return [np.array([(values[k, j, 1] - values[k, j, -1]) / (2 * FD_STEP)
                      for j in range(len(dirs))]) for k, dirs in enumerate(probes)]


def inconsistent(function, source):
    return Diagnosis("inconsistent_forward", (
        f"{function}: your {source} is not a plain function of its arguments: called again "
        "with the same input, or next to a hidden input where it is right, it gave values "
        "that do not fit (does it keep state between calls, a global or a record of its "
        "inputs?). Finite differences of it can't be trusted, so this check earns nothing."))


def differences(judge, functions, points, base, weights, rng, function, source):
    """(numeric derivatives per input, probes) of the student's ``functions`` at ``points``,
    with the base point evaluated again after the shuffled probes (it must give ``base``,
    the first evaluation); or the Diagnosis of why they can't be used."""
    probes = [directions(np.shape(x), rng) for x in points]
    try:
        numeric_d = shuffled_differences(functions, points, probes, rng)
        again = functions[0](points[0])
    except StudentError as err:
        return failure(err, function, "value")
    except Unusable as err:
        return err.diagnosis
    if not all(np.all(np.isfinite(d)) for d in numeric_d):
        return Diagnosis("not_finite", f"{function}: your {source} gave NaN or inf near a "
                         "hidden input, so its finite differences could not be taken.")
    first = weighted_sum(base, weights, function, source)
    if abs(again - first) > 1e-12 * (1 + abs(first)):
        return inconsistent(function, source)
    return numeric_d, probes


@one_check(FD_TITLE)
def fd_check(judge, pair):
    """Backward vs finite differences of the student's own forward, on the smooth case."""
    backward, forward = f"{pair.stem}_backward", f"{pair.stem}_forward"
    args, kwargs = case_inputs(judge, pair, pair.smooth)
    rng = judge.rng([7, salt(pair.stem)])
    split = split_forward(judge.call(forward, *args, **kwargs), forward)
    if isinstance(split, tuple):
        try:
            split = (usable_base(split[0], forward), split[1])
        except Unusable as err:
            split = err.diagnosis
    if not isinstance(split, tuple):
        return Check(FD_TITLE, 0, 0.0, f"{backward} could not be checked: {split.message}",
                     split.kind)
    out = split[0]
    dout = hidden.upstream(rng, out.shape)
    functions = [judge.forward_scalar(forward, args, kwargs, k, dout) for k in range(len(args))]
    got = differences(judge, functions, args, out, dout, rng, forward, "forward")
    if isinstance(got, Diagnosis):
        return Check(FD_TITLE, 0, 0.0, got.message, got.kind)
    numeric_d, probes = got
    run = student_gradients(judge, pair, args, kwargs, dout)
    if run.failed is not None:
        return Check(FD_TITLE, 0, 0.0, run.failed.message, run.failed.kind)
    ref_out, ref_cache = getattr(solutions, forward)(*args, **kwargs)
    truth = getattr(solutions, backward)(dout.copy(), ref_cache)
    truth = truth if isinstance(truth, tuple) else (truth,)
    verdicts = []
    right_forward = matches(out, ref_out)  # then the reference is what the gradient should be
    for x, given, name, nd, dirs, true in zip(args, run.grads, pair.names, numeric_d, probes,
                                              truth):
        verdict = gradient_verdict(given, x, nd, dirs, backward, forward, "d" + name,
                                   len(args[0]), true if right_forward else None)
        if right_forward:  # the slips are computed from the right forward
            verdict = named_slip(pair, verdict, given, backward, pair.smooth, args, kwargs,
                                 dout, check=f"finite differences of your {forward}",
                                 what="d" + name)
        verdicts.append(verdict)
        if right_forward and not agree(nd, directional(true, dirs)):
            return Check(FD_TITLE, 0, 0.0, inconsistent(forward, "forward").message,
                         "inconsistent_forward")
    return value_check(FD_TITLE, 0, sum(v.ok for v in verdicts), len(verdicts), verdicts,
                       noun="gradients", ok="every gradient agrees with finite differences of "
                       "your own forward.")


def directional(grad, dirs):
    g = np.asarray(grad, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.array([float(np.sum(g * d)) for d in dirs])


def agree(numeric_d, exact):
    return diagnose(numeric_d, exact, function="", check="", what="d", rtol=FD_RTOL,
                    atol=1e-8).ok


def gradient_verdict(given, x, numeric_d, dirs, function, source, what, batch_size,
                     truth=None):
    """The student's gradient ``given`` (for input ``x``) against the numeric directional
    derivatives of their own ``source`` along ``dirs``. A gradient of the wrong shape is
    diagnosed against ``truth`` when the caller knows it (the reference gradient, where the
    student's source is right): an unsummed batch axis is then named as such."""
    g = as_float_array(given)
    if g is None or g.shape != np.shape(x):
        expected = np.zeros_like(x) if truth is None else truth
        return diagnose(given, expected, function=function, check=f"your {source}",
                        what=what, batch_size=batch_size)
    if flat(numeric_d):
        return constant_forward(function, source, what)
    return diagnose(directional(g, dirs), numeric_d, function=function,
                    check=f"finite differences of your {source}", what=what, rtol=FD_RTOL,
                    atol=1e-8, batch_size=batch_size)


def constant_forward(function, source, what):
    return Diagnosis("forward_ignores_input", f"{function}, {what} vs finite differences of "
                     f"your {source}: your {source} does not change at all when this input "
                     "changes, so there is nothing to compare a gradient with. Implement the "
                     f"{source} first.")


# -------------------------------------------------------------------------------- losses

LOSSES = {
    "softmax_loss": (hidden.SOFTMAX, "dx", None),
    "mse_loss": (hidden.MSE, "dpred", None),
    "bce_loss": (hidden.BCE, "dprob", BCE_ADVICE),
}
LOSS_FD_TITLE = "gradient matches finite differences of your loss"


def check_loss(judge: Judge, name):
    cases, what, advice = LOSSES[name]
    reference = getattr(solutions, name)
    facts, values, grads, stable, seen = Facts(), [], [], [], []
    mutated, ran = None, 0
    for index, case in enumerate(cases):
        args, _ = case.make(judge.rng([13, index, salt(name)]))
        outcome = judge.call(name, *args, echo_args=True)
        warned = warnings_of(judge)
        if isinstance(outcome, StudentError):
            value_bad, grad_bad = failure(outcome, name, "loss"), failure(outcome, name, what)
            if case.has("large") and outcome.kind == "timeout":
                grad_bad = facts.too_slow = too_slow(name, case, args[0].size)
            if case.has("huge"):
                stable.append(value_bad)
            if not case.has("finite_only"):
                values.append(value_bad)
                grads.append(grad_bad)
                seen.append(case)
            continue
        ran += 1
        result, after = outcome
        mutated = mutated or first_mutation(args, after, name, ("scores", "targets"))
        if not (isinstance(result, tuple) and len(result) == 2):
            d = Diagnosis("wrong_structure", f"{name} must return (loss, {what}).")
            stable += [d] if case.has("huge") else []
            if not case.has("finite_only"):
                values.append(d)
                grads.append(d)
                seen.append(case)
            continue
        loss, dx = result
        if case.has("huge"):
            stable.append(diagnose_fp_warnings(warned, function=name, check=case.name,
                                               finite=all_finite(loss, dx), advice=advice))
        if case.has("finite_only"):
            continue
        ref_loss, ref_dx = reference(*args)
        hint = (advice or True) if case.has("huge") else False
        v = diagnose(np.asarray(loss, dtype=float) if numeric(loss) else loss,
                     np.asarray(ref_loss), function=name, check=f"reference ({case.name})",
                     what="loss", hint_overflow=hint, fp_warnings=warned, rtol=REF_RTOL)
        g = diagnose(dx, ref_dx, function=name, check=f"reference ({case.name})", what=what,
                     batch_size=len(args[0]), hint_overflow=hint, fp_warnings=warned,
                     rtol=REF_RTOL, atol=1e-12)
        facts.forward_right |= v.ok
        values.append(v)
        grads.append(g)
        seen.append(case)
    first_bad = next((v for v in values if not v.ok), None)
    grad_check = value_check(f"{what} matches the reference", 3, sum(g.ok for g in grads),
                             len(grads), shown(grads, seen))
    if facts.too_slow is not None:
        grad_check = Check(grad_check.name, 3, 0.0, facts.too_slow.message,
                           facts.too_slow.kind)
    fd = weighted(loss_fd_check(judge, name, cases[0], what), 3)
    checks = [value_check("loss values on hidden inputs", 3, sum(v.ok for v in values),
                          len(values), shown(values, seen)),
              earned_fd(fd, facts, name, "loss"), grad_check,
              mutation_check(mutated, name, 1, ran, first_bad)]
    if name in STABLE:
        checks.append(stable_check(name, stable))
    return checks


def all_finite(*values):
    arrays = [as_float_array(v) for v in values]
    return all(a is not None and bool(np.all(np.isfinite(a))) for a in arrays)


@one_check(LOSS_FD_TITLE)
def loss_fd_check(judge, name, case, what):
    """The student's gradient against finite differences of their own loss, on ``case``."""
    args, _ = case.make(judge.rng([17, salt(name)]))
    title = LOSS_FD_TITLE
    result = judge.call(name, *args)
    if isinstance(result, StudentError) or not (isinstance(result, tuple) and len(result) == 2):
        d = failure(result, name) if isinstance(result, StudentError) else None
        return Check(title, 0, 0.0, d.message if d else f"{name} must return (loss, {what}).",
                     d.kind if d else "wrong_structure")
    loss, dx = result
    if not numeric(dx) or np.shape(dx) != np.shape(args[0]):
        d = diagnose(dx, np.zeros_like(args[0]), function=name, check="your loss", what=what)
        return Check(title, 0, 0.0, d.message, d.kind)
    try:
        base = usable_base(loss, name, "loss")
    except Unusable as err:
        return Check(title, 0, 0.0, err.diagnosis.message, err.diagnosis.kind)

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
    rng = judge.rng([19, salt(name)])
    got = differences(judge, [F], [args[0]], base, 1.0, rng, name, "loss")
    if isinstance(got, Diagnosis):
        return Check(title, 0, 0.0, got.message, got.kind)
    (numeric_d,), (dirs,) = got
    ref_loss, ref_dx = getattr(solutions, name)(*args)
    if matches(base, np.asarray(ref_loss)) and not agree(numeric_d, directional(ref_dx, dirs)):
        return Check(title, 0, 0.0, inconsistent(name, "loss").message, "inconsistent_forward")
    d = gradient_verdict(dx, args[0], numeric_d, dirs, name, "loss", what, len(args[0]))
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
