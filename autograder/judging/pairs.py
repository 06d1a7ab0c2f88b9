"""How a forward/backward pair of array functions is judged (hw2's and hw3's layers).

Each pair's module (``autograder/assignments/<A>/<stem>.py``) declares its ``Pair``: its
hidden cases, its inputs' names and what only it knows (its own slips, the rule at its kinks,
its window, the stability the contract promises). The checks are the same for every pair:

Forward: values against the reference on every hidden case but the large one, the arguments
left unchanged and, for the functions the contract asks to be stable, "stays finite without
overflow" (no NumPy floating-point warning and finite results on the huge case).

Backward: the student's gradients (from the student's own cache) against finite differences
of the student's OWN forward, on the first (smooth) case, so a consistent backward earns
credit when the forward has a bug; against the reference gradients on every case; the shape
of every gradient; ``dout`` left unchanged. The finite differences (``few_directions``, see
finite_differences.py) are taken before the backward is called; they pay when the forward is
an honest attempt (carried.py: right on some case, a named slip, or changing with its inputs
as the reference does) and not when it is trivial (constant, or its input handed back). A
backward that does not finish on the large
case (where a derived gradient takes milliseconds and finite differences of the forward take
minutes) earns no gradient credit at all (``not_derived``).

Tolerances: values and gradients within ``REF_RTOL`` (1e-7) of the reference, relative to
the largest expected entry; the backward within ``FD_RTOL`` (1e-6) of finite differences.
"""
from dataclasses import dataclass, field

import numpy as np

import solutions

from ..sandbox.runner import StudentError
from .carried import Attempt, carried, dependence_along
from .compare import matches
from .described import count_against
from .diagnose import Diagnosis, diagnose, diagnose_fp_warnings, diagnose_window_shape
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
    ITEM,
    REF_RTOL,
    Unusable,
    all_finite,
    as_float_array,
    failure,
    one_check,
    shape_of,
    split_forward,
    usable_base,
    weighted_sum,
)
from .recipes import salt, upstream
from .tally import Arguments

VALUES = CheckSpec("values on hidden inputs", "value", 4)
FD = CheckSpec("matches finite differences of your forward", "fd", 3)
REFERENCE = CheckSpec("matches the reference gradients", "gradient", 3)
SHAPES = CheckSpec("gradient shapes", "shape", 1)
STABLE = CheckSpec("stays finite without overflow", "behaviour", 1)


@dataclass(frozen=True)
class Pair:
    """A forward/backward pair: its hidden cases (``recipes.Case``) and its inputs' names.

    ``slips``, when given, names the pair's own mistakes that ``diagnose`` can only call wrong
    values: ``slips(args, kwargs, dout) -> [Slip]``, what a mistake of that kind returns on
    these inputs (``dout`` is None for the forward); a slip's ``what`` ("out", "dx", ...)
    keeps it to that one array. ``batch_notes`` ((what, text), ...) is added to the message
    of a gradient ``what`` that is the expected one divided by the batch size: why this layer
    does not divide by N. ``stable`` is what the contract promises of a stable forward.
    ``window(args, kwargs) -> (window, stride, pad)`` for a layer with windows (a conv, a
    pool), ``kink_masks(case, x, kwargs) -> {mask: array}`` the entries where it has kinks
    (``tie_mask``, ``overlap_mask`` of ``diagnose``); ``zero_rule`` and ``tie_rule`` say what
    the contract says there.
    """

    stem: str
    cases: tuple
    names: tuple
    noun: str = "windows"  # what a non-square window is called in messages
    slips: object = None
    batch_notes: tuple = ()
    stable: str = None
    window: object = None
    kink_masks: object = None
    zero_rule: str = None
    tie_rule: str = None

    @property
    def forward(self):
        return f"{self.stem}_forward"

    @property
    def backward(self):
        return f"{self.stem}_backward"

    @property
    def smooth(self):
        """The case finite differences use: the first, drawn away from kinks and ties."""
        return self.cases[0]

    @property
    def forward_cases(self):
        return tuple(c for c in self.cases if not c.has("large"))

    def checks(self):
        """{graded name: check(judge) -> [Check]} of the pair."""
        return {self.forward: lambda judge: check_forward(judge, self),
                self.backward: lambda judge: check_backward(judge, self)}


def case_inputs(judge, pair, case):
    """(args, kwargs) of ``case`` for this student: the same recipe for everyone."""
    return case.make(judge.rng([salt(pair.stem), pair.cases.index(case)]))


def named_slip(pair, verdict, got, function, case, args, kwargs, dout=None, check=None,
               what=None):
    """``verdict``, or the pair's own name for the mistake when ``got`` (the array ``what``:
    "out" for the forward, "dx" by default for the backward) is what that mistake returns on
    ``case`` (compared with ``check``, the reference by default); a batch scaling the pair
    has a note for is told why it is wrong."""
    if verdict.ok or pair.slips is None:
        return verdict
    what = what or ("out" if dout is None else "dx")
    notes = dict(pair.batch_notes)
    if verdict.kind == "scaled_by_inverse_batch" and dout is not None and what in notes:
        return Diagnosis(verdict.kind, verdict.message + notes[what])
    g = as_float_array(got)
    with np.errstate(all="ignore"):
        slips = pair.slips(args, kwargs, dout)
    for slip in slips:
        if slip.what is not None and slip.what != what:
            continue
        if g is not None and g.shape == slip.value.shape and np.all(np.isfinite(slip.value)) \
                and matches(g, slip.value):
            check = check or f"reference ({case.name})"
            return Diagnosis(slip.kind, f"{function}, {what} vs {check}: {slip.message}")
    return verdict


# --------------------------------------------------------------- naming the shape class

SHAPE_CLASSES = ("non_square", "non_divisible")
VAGUE = ("wrong_shape", "wrong_values", "raised", "nan_or_inf", "all_zeros")


def window_shape(pair, case, got, expected, args, kwargs, function, what):
    """``diagnose_window_shape`` of an output of a windowed layer's case, or None."""
    if pair.window is None:
        return None
    window, stride, pad = pair.window(args, kwargs)
    return diagnose_window_shape(got, expected, function=function,
                                 check=f"reference ({case.name})", what=what,
                                 size=args[0].shape[2:], window=window, stride=stride, pad=pad,
                                 noun=pair.noun)


def name_shape_classes(pair, results):
    """``results``: [(case, [verdicts])]. A vague verdict on a case of a shape class (non-square
    windows, sizes that do not divide evenly) becomes that class's diagnosis when every case
    outside the class is right: the mistake shows only there."""
    for tag in SHAPE_CLASSES:
        outside_ok = all(all(v.ok for v in verdicts) for case, verdicts in results
                         if not case.has(tag))
        if not outside_ok:
            continue
        for case, verdicts in results:
            if case.has(tag):
                verdicts[:] = [class_diagnosis(pair, v, tag) if v.kind in VAGUE else v
                               for v in verdicts]
    return results


def class_diagnosis(pair, verdict, tag):
    if tag == "non_square":
        return Diagnosis("non_square_window", verdict.message + (
            f" This shows only where the {pair.noun} are not square (every case with "
            f"square {pair.noun} is right): check that every height (the output's, the "
            f"rows of a window) comes from the height of the {pair.noun[:-1]} and every "
            "width from its width."))
    return Diagnosis("non_divisible_size", verdict.message + (
        " This shows only where the sizes do not divide evenly by the stride (every "
        "case where they do is right): the contract's output size rounds down (a last "
        "window that does not fit is dropped), and nothing may assume that the windows "
        "tile the input exactly."))


def flatten(results):
    return [v for _, verdicts in results for v in verdicts]


EXTREME_KINDS = ("overflow", "log_of_zero")


def shown(verdicts, cases):
    """The verdicts whose messages a check shows: an overflow on the huge case is not named
    when the function gives NaN or inf on ordinary inputs too (that is the mistake to fix)."""
    ordinary_nan = any(v.kind == "nan_or_inf" for v, c in zip(verdicts, cases, strict=False)
                       if not c.has("huge"))
    return [v for v in verdicts if not (ordinary_nan and v.kind in EXTREME_KINDS)]


def stable_check(function, verdicts, promise):
    """"stays finite without overflow" from the verdicts of the huge cases."""
    passed = sum(v.ok for v in verdicts)
    promise = f"The contract holds {function} to this: {promise}."
    if verdicts and passed == len(verdicts):
        return STABLE.check(1.0, "finite, and no floating-point warning on the huge inputs. "
                            f"{promise}")
    bad = [v for v in verdicts if not v.ok]
    if not bad:
        return STABLE.check(0.0, f"not checked. {promise}", "not_checked")
    return STABLE.check(passed / len(verdicts), f"{bad[0].message} {promise}", bad[0].kind)


# ------------------------------------------------------------------------------ forward

def check_forward(judge, pair):
    function = pair.forward
    reference = getattr(solutions, function)
    results, stable = [], []
    arguments = Arguments(function)
    for case in pair.forward_cases:
        args, kwargs = case_inputs(judge, pair, case)
        outcome = judge.call(function, *args, echo_args=True, **kwargs)
        warned = judge.warnings()
        if isinstance(outcome, StudentError):
            verdict = failure(outcome, function, "out")
        else:
            result, after = outcome
            arguments.saw(args, after, pair.names)
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
    verdicts = flatten(name_shape_classes(pair, results))
    first_bad = next((v for v in verdicts if not v.ok), None)
    checks = [VALUES.counted(sum(v.ok for v in verdicts), len(verdicts),
                             shown(verdicts, [c for c, _ in results])),
              arguments.check(first_bad)]
    if pair.stable is not None:
        checks.append(stable_check(function, stable, pair.stable))
    return checks


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
    forward, backward = pair.forward, pair.backward
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
            f"({', '.join('d' + n for n in pair.names)}) as a tuple; it returned "
            f"{count_against(count, len(pair.names), 'value')}."), stage="backward")
    return Run(split[0], grads, after[0] if after else dout)


def check_backward(judge, pair):
    facts = Facts()
    fd = fd_check(judge, pair, facts.forward)
    references = reference_checks(judge, pair, facts)
    return [earned_fd(fd, facts, pair.forward, "forward"), *references]


@dataclass
class Facts:
    """What the checks showed about the whole function: its forward (or loss) as an attempt
    (carried.py), and whether the gradient finished on the large case."""

    forward: Attempt = field(default_factory=Attempt)
    too_slow: Diagnosis = None   # the gradient did not finish on the large case


def earned_fd(fd, facts, forward, source):
    """The finite-difference check as it pays: nothing for a gradient that is not derived
    (too slow on the large case), nor for agreeing with a forward that is no honest attempt
    (``carried``)."""
    if facts.too_slow is not None:
        return fd.spec.failed(facts.too_slow)
    return carried(fd, facts.forward, forward, source)


def too_slow(function, case, size):
    return Diagnosis("not_derived", (
        f"{function} did not finish within the time limit on {case.name} ({size:,} entries), "
        "where a derived gradient takes milliseconds, even written with loops. A gradient "
        "computed by finite differences of the forward (a forward call or two per entry) is "
        "that slow: derive the gradient; finite differences are for checking it. Until "
        f"{function} finishes there, its gradient checks earn nothing."))


def reference_checks(judge, pair, facts):
    """The reference-gradient, shape and mutation checks; what they show of the forward
    and of the gradient's speed goes into ``facts``."""
    forward, backward = pair.forward, pair.backward
    ref_forward, ref_backward = getattr(solutions, forward), getattr(solutions, backward)
    results = []
    shape_bad = None
    arguments = Arguments(backward)
    for index, case in enumerate(pair.cases):
        args, kwargs = case_inputs(judge, pair, case)
        ref_out, ref_cache = ref_forward(*args, **kwargs)
        dout = upstream(judge.rng([11, salt(pair.stem), index]), ref_out.shape)
        expected = ref_backward(dout.copy(), ref_cache)
        expected = expected if isinstance(expected, tuple) else (expected,)
        run = student_gradients(judge, pair, args, kwargs, dout)
        if run.out is not None:
            facts.forward.saw_value(forward_verdict(pair, case, run.out, ref_out, args,
                                                    kwargs))
        if run.failed is not None:
            failed = run.failed
            if case.has("large") and run.stage == "backward" and failed.kind == "timeout":
                failed = facts.too_slow = too_slow(backward, case, sum(a.size for a in args))
            results.append((case, [failed] * len(expected)))
            shape_bad = shape_bad or failed
            continue
        arguments.saw([dout], [run.dout_after], ["dout"])
        verdicts = []
        masks = pair.kink_masks(case, args[0], kwargs) if pair.kink_masks else {}
        for g, e, x, name in zip(run.grads, expected, args, pair.names, strict=False):
            verdict = diagnose(
                g, e, function=backward, check=f"reference ({case.name})", what="d" + name,
                batch_size=len(args[0]),
                zero_mask=(x == 0) if case.has("zeros") and name == "x" else None,
                **(masks if name == "x" else {}), zero_rule=pair.zero_rule,
                tie_rule=pair.tie_rule, hint_overflow=case.has("huge"), rtol=REF_RTOL)
            verdict = named_slip(pair, verdict, g, backward, case, args, kwargs, dout,
                                 what="d" + name)
            verdicts.append(verdict)
            if shape_of(g) != np.shape(e):
                shape_bad = shape_bad or verdict
        results.append((case, verdicts))
    verdicts = flatten(name_shape_classes(pair, results))
    passed = sum(v.ok for v in verdicts)
    first_bad = next((v for v in verdicts if not v.ok), None)
    cases = [c for c, vs in results for _ in vs]
    reference = REFERENCE.counted(passed, len(verdicts), shown(verdicts, cases),
                                  noun="gradients")
    if facts.too_slow is not None:
        reference = REFERENCE.failed(facts.too_slow)
    shapes = (SHAPES.passed("every gradient has the shape of its input.")
              if shape_bad is None else SHAPES.failed(shape_bad))
    return [reference, shapes, arguments.check(first_bad)]


def forward_verdict(pair, case, out, ref_out, args, kwargs):
    """The Diagnosis of the student's forward ``out`` on ``case``: ok, a named slip (the
    pair's own, or a specific kind of ``diagnose``) or wrong."""
    verdict = diagnose(out, ref_out, function=pair.forward, check=f"reference ({case.name})",
                       what="out", batch_size=len(args[0]), rtol=REF_RTOL)
    return named_slip(pair, verdict, out, pair.forward, case, args, kwargs)


@one_check(FD)
def fd_check(judge, pair, attempt):
    """Backward vs finite differences of the student's own forward, on the smooth case; how
    that forward depends on each input there goes into ``attempt``."""
    backward, forward = pair.backward, pair.forward
    args, kwargs = case_inputs(judge, pair, pair.smooth)
    rng = judge.rng([7, salt(pair.stem)])
    split = split_forward(judge.call(forward, *args, **kwargs), forward)
    if isinstance(split, tuple):
        try:
            split = (usable_base(split[0], forward), split[1])
        except Unusable as err:
            split = err.diagnosis
    if not isinstance(split, tuple):
        return FD.check(0.0, f"{backward} could not be checked: {split.message}", split.kind)
    out = split[0]
    dout = upstream(rng, out.shape)
    functions = [judge.forward_scalar(forward, args, kwargs, k, dout) for k in range(len(args))]
    probes = [few_directions(np.shape(x), rng) for x in args]
    got = differentiate(functions, args, probes, rng, function=forward,
                        base=weighted_sum(out, dout, forward))
    if isinstance(got, Diagnosis):
        return FD.failed(got)
    numeric_d, _ = got
    run = student_gradients(judge, pair, args, kwargs, dout)
    if run.failed is not None:
        return FD.failed(run.failed)
    ref_out, ref_cache = getattr(solutions, forward)(*args, **kwargs)
    truth = getattr(solutions, backward)(dout.copy(), ref_cache)
    truth = truth if isinstance(truth, tuple) else (truth,)
    attempt.saw_dependence(dependence_along(nd, dirs, true, dout) for nd, dirs, true
                           in zip(numeric_d, probes, truth, strict=False))
    right_forward = matches(out, ref_out)  # then the reference is what the gradient should be
    verdicts = []
    for x, given, name, nd, dirs, true in zip(args, run.grads, pair.names, numeric_d, probes,
                                              truth, strict=False):
        what = "d" + name
        verdict = shape_verdict(given, x, function=backward, source=forward, what=what,
                                batch_size=len(args[0]),
                                truth=true if right_forward else None) or fd_verdict(
            given, nd, dirs, function=backward, source=forward, what=what,
            check=f"finite differences of your {forward}", batch_size=len(args[0]))
        if right_forward:  # the slips are computed from the right forward
            verdict = named_slip(pair, verdict, given, backward, pair.smooth, args, kwargs,
                                 dout, check=f"finite differences of your {forward}",
                                 what=what)
        verdicts.append(verdict)
        if right_forward and answers_probes(nd, dirs, true):
            return FD.failed(answering_probes(forward, "forward"))
    return FD.counted(sum(v.ok for v in verdicts), len(verdicts), verdicts, noun="gradients",
                      ok="every gradient agrees with finite differences of your own forward.")
