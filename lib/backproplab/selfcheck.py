"""Self-checks for students: is my backward the derivative of my forward?

    check_layer(affine_forward, affine_backward, x, w, b)
    check_loss(softmax_loss, scores, y)
    check_function(f, grad_f, x)

Each prints one line per input (its name, shape, relative error against finite differences of
YOUR forward, and a verdict) plus hints when something looks off, and returns a ``SelfCheck``
you can assert on. Only your own functions are compared with each other: a pass means that
backward and forward agree at the inputs you gave, not that either is what the assignment asks;
the hidden tests check more. The header names the function checked: the backward (``check_layer``),
the gradient function (``check_function``) or the loss (``check_loss``).

Your functions are called as the grader calls them, inside ``backproplab.grading()``: a graded
function that calls backproplab (``rel_error``, ``gradient_check``...) fails its self-check with
the grader's message (``GraderOnly``), since it would fail when graded.
"""

from __future__ import annotations

import copy
import inspect
import math
import textwrap
import traceback
from dataclasses import dataclass, field

import numpy as np

from .gradcheck import gradient_check
from .rules import GraderOnly, _grading

__all__ = ["SelfCheck", "InputReport", "check_layer", "check_loss", "check_function"]

_VERDICT_TEXT = {
    "pass": "looks right",
    "close": "close: probably fine, but check for a small difference (a constant like eps, "
             "a float32 array)",
    "fail": "wrong",
    "inconclusive": "could not check: every probe crossed a kink (try away_from_kinks)",
}
_WORST_FIRST = ["not allowed", "crashed", "not implemented", "wrong", "close", "inconclusive",
                "looks right"]


@dataclass
class InputReport:
    """What the check found for the gradient of one input."""
    name: str
    shape: tuple
    grad_shape: tuple | None = None
    error: float = math.nan
    verdict: str = "not checked"  # looks right / close / wrong / wrong shape / not finite ...
    hints: list = field(default_factory=list)

    def __str__(self):
        error = "" if math.isnan(self.error) else f"rel. error {self.error:.1e}"
        lines = [f"  d{self.name:<5} {str(self.shape):<14} {error:<20} {self.verdict}"]
        hints = [_wrap(f"      -> {hint}", indent="         ") for hint in self.hints]
        return "\n".join(lines + hints)


@dataclass
class SelfCheck:
    """Result of a self-check. ``status``: looks right, close, wrong, inconclusive,
    not implemented or crashed. ``problems`` make it wrong; ``notes`` are for information."""
    name: str
    status: str = ""
    inputs: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    checked: str = ""

    @property
    def ok(self):
        return self.status in ("looks right", "close")

    def __getitem__(self, name):
        return next(r for r in self.inputs if r.name == name)

    def hints(self):
        """Every problem and hint as one list of strings."""
        return self.problems + [h for r in self.inputs for h in r.hints]

    def __str__(self):
        lines = [f"{self.name}: {self.status}"] + [str(r) for r in self.inputs]
        lines += [_wrap(f"  problem: {p}") for p in self.problems]
        lines += [_wrap(f"  note: {n}") for n in self.notes]
        if self.checked:
            lines.append(_wrap(self.checked, indent=""))
        return "\n".join(lines)


def _wrap(text, indent="    "):
    return textwrap.fill(text, width=100, subsequent_indent=indent)


class _Stop(Exception):
    """Ends a check early with a status and a message (never leaves this module)."""

    def __init__(self, status, message, error=None):
        super().__init__(message)
        self.status = status
        self.error = error  # the GraderOnly to raise again once the report is printed


# ------------------------------------------------------------------------- calling the student

def _name(fn):
    fn = getattr(fn, "func", fn)  # functools.partial
    return getattr(fn, "__name__", repr(fn))


def _arg_names(fn, n):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        params = []
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [p.name for p in params if p.kind in kinds]
    return [names[i] if i < len(names) else f"input{i}" for i in range(n)]


def _fresh(value):
    """A copy to hand to student code: float arrays as float64, random generators reset."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float64) if _is_float(value) else value.copy()
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def _is_float(value):
    return isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating)


def _call(fn, *args, **kwargs):
    """Call the student's ``fn`` as the grader does: backproplab refuses inside it."""
    try:
        with _grading():
            return fn(*args, **kwargs)
    except GraderOnly as error:
        raise _Stop("not allowed", f"{_name(fn)}: {error}", error) from None
    except NotImplementedError:
        raise _Stop("not implemented", f"not implemented yet: {_name(fn)}") from None
    except Exception as error:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        raise _Stop("crashed", f"{_name(fn)} raised {type(error).__name__}: {error} "
                               f"(line {frame.lineno}, in {frame.name})") from None


def _call_checked(report, fn, args, kwargs, names):
    """Call ``fn`` on fresh copies and report any argument it changed in place."""
    fresh = [_fresh(a) for a in args]
    before = [a.copy() if isinstance(a, np.ndarray) else None for a in fresh]
    result = _call(fn, *fresh, **{k: _fresh(v) for k, v in kwargs.items()})
    for name, arg, old in zip(names, fresh, before, strict=False):
        if name and old is not None and not np.array_equal(arg, old, equal_nan=True):
            report.problems.append(f"{_name(fn)} changed its argument {name} in place; "
                                   "work on a new array instead (e.g. start from a copy)")
    return result


def _pair(result, fn, what):
    if not isinstance(result, tuple) or len(result) != 2:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise _Stop("wrong", f"{_name(fn)} should return a pair {what}, it returned {got}")
    return result


# ------------------------------------------------------------------------------- diagnoses

def _shape_hint(grad_name, name, got, expected):
    if len(expected) >= 2 and got == expected[::-1]:
        return (f"{grad_name} has shape {got} but {name} has shape {expected}: "
                "you may have transposed it")
    if len(got) == len(expected) + 1 and got[1:] == expected:
        return (f"{grad_name} has shape {got}, expected {expected}: "
                "did you forget to sum over the batch (axis 0)?")
    if math.prod(got) == math.prod(expected):
        return (f"{grad_name} has shape {got} but {name} has shape {expected}: "
                "reshape it back to the input's shape")
    return f"{grad_name} has shape {got}, expected {expected} (the shape of {name})"


def _constant_ratio(check):
    """analytic/numeric if it is the same number on every probe that matters, else None."""
    keep = ~check.excluded & (np.abs(check.numeric) > 1e-3 * np.abs(check.numeric).max())
    if keep.sum() < 2:
        return None
    ratios = check.analytic[keep] / check.numeric[keep]
    c = float(np.median(ratios))
    return c if np.all(np.abs(ratios - c) <= 1e-3 * max(abs(c), 1e-3)) else None


def _factor_hints(grad_name, c, batch):
    hints = []
    if c < 0:
        hints.append(f"{grad_name} has the wrong sign: look for a minus sign missing or extra")
        c = -c

    def near(target):
        return abs(c - target) <= 1e-3 * target
    if batch and batch > 1 and near(batch):
        hints.append(f"{grad_name} is N = {batch} times too large (N is the batch size): "
                     "look for a division by N that is missing")
    if batch and batch > 1 and near(1 / batch):
        hints.append(f"{grad_name} is 1/N = 1/{batch} of what it should be (N is the batch "
                     "size): look for a division by N that should not be there")
    if near(2):
        hints.append(f"{grad_name} is twice too large: look for a factor of 2")
    if near(0.5):
        hints.append(f"{grad_name} is half of what it should be: look for a missing factor of 2")
    if not hints and not near(1):
        hints.append(f"{grad_name} is {c:.3g} times what it should be: look for a wrong constant")
    return hints


def _value_hints(grad_name, name, check, grad, batch, x):
    if check.n_probes and not np.any(check.analytic) and np.any(check.numeric):
        return [f"{grad_name} is zero where the finite differences are not: "
                "is a path (or a return value) missing?"]
    c = _constant_ratio(check)
    if c is not None:
        hints = _factor_hints(grad_name, c, batch)
        if hints:
            return hints
    square = grad.ndim == 2 and grad.shape[0] == grad.shape[1]
    if square:
        transposed = np.array([np.vdot(grad.T, v) for v in check.directions])
        judged = ~check.excluded
        if judged.any() and np.allclose(transposed[judged], check.numeric[judged], rtol=1e-5,
                                        atol=1e-8 * np.abs(check.numeric).max()):
            return [f"{grad_name} looks like the transpose of the right gradient"]
    hints = [f"{grad_name} differs from the finite differences, not by a simple factor"]
    has_kinks = x.size and (np.count_nonzero(x == 0) or np.unique(x).size < x.size)
    if has_kinks:
        hints.append(f"{name} holds exact zeros or repeated values, where random directions "
                     f"can cross many kinks at once: retry with away_from_kinks({name}) or "
                     f"distinct_values({name})")
    return hints


# ---------------------------------------------------------------------------------- the core

def _split_grads(result, fn, names):
    is_sequence = isinstance(result, (tuple, list))
    if len(names) == 1 and not is_sequence:
        return [result]
    if len(names) == 1:
        raise _Stop("wrong", f"{_name(fn)} returned a {type(result).__name__} of "
                             f"{len(result)}; return d{names[0]} alone (not in a tuple)")
    if not is_sequence or len(result) != len(names):
        got = f"{len(result)} values" if is_sequence else f"one {type(result).__name__}"
        raise _Stop("wrong", f"{_name(fn)} returned {got}; expected {len(names)} gradients, "
                             "one per input: " + ", ".join(names))
    return list(result)


def _grad_report(name, x, grad):
    report = InputReport(name, x.shape)
    if grad is None:
        report.verdict = "missing"
        report.hints.append(f"d{name} is None: did you forget to return it?")
        return report, None
    try:
        grad = np.asarray(grad, dtype=np.float64)
    except (TypeError, ValueError):
        report.verdict = "not an array"
        report.hints.append(f"d{name} is a {type(grad).__name__}, not an array of numbers")
        return report, None
    report.grad_shape = grad.shape
    if grad.shape != x.shape:
        report.verdict = "wrong shape"
        report.hints.append(_shape_hint("d" + name, name, grad.shape, x.shape))
    elif not np.all(np.isfinite(grad)):
        report.verdict = "not finite"
        report.hints.append(f"d{name} contains NaN or inf")
    else:
        return report, grad
    return report, None


def _compare(report, f, inputs, wrt, names, grads, dout, rng, num_directions):
    """Finite differences of the student's own forward ``f`` vs their gradients."""
    reports = []
    for i, grad in zip(wrt, grads, strict=False):
        reports.append(_grad_report(names[i], inputs[i], grad))
    report.inputs = [r for r, _ in reports]
    good = [(i, g) for i, (_, g) in zip(wrt, reports, strict=False) if g is not None]
    work = {i: _fresh(inputs[i]) for i in wrt}  # perturbed in place by gradient_check
    check = gradient_check(lambda *_: f(*work.values()), [work[i] for i, _ in good],
                           [g for _, g in good], dout, num_directions=num_directions, rng=rng,
                           names=[names[i] for i, _ in good])
    batch = inputs[wrt[0]].shape[0] if np.ndim(inputs[wrt[0]]) else None
    for (i, grad), result in zip(good, check.inputs, strict=False):
        r = report[names[i]]
        r.error, verdict = result.error, result.verdict
        r.verdict = _VERDICT_TEXT[verdict]
        if verdict == "fail":
            r.hints += _value_hints("d" + names[i], names[i], result, grad, batch, inputs[i])
        if result.n_excluded:
            report.notes.append(f"{result.n_excluded} probe(s) of {names[i]} crossed a kink "
                                "(e.g. relu at 0, a max-pool tie) and were skipped; what "
                                "happens exactly at a kink is checked by the hidden tests")
    return check


def _finish(report, status=None, message=None, what=""):
    if status:
        report.status = status
        report.problems.append(message)
    else:
        verdicts = [r.verdict.split(":")[0] for r in report.inputs]
        bad = report.problems or any(v not in ("looks right", "close", "could not check")
                                     for v in verdicts)
        report.status = ("wrong" if bad else "close" if "close" in verdicts else
                         "inconclusive" if "could not check" in verdicts else "looks right")
    if report.status in ("looks right", "close"):
        report.checked = (f"Checked: {what}. This compares your functions with each other "
                          "on this one input only; the hidden tests check more (the values "
                          "themselves, other shapes, edge cases).")
    return report


def _run(name, body, verbose):
    report = SelfCheck(name)
    try:
        what = body(report)
        _finish(report, what=what)
    except _Stop as stop:
        _finish(report, stop.status, str(stop))
        refused = stop.error
    else:
        refused = None
    if verbose:
        print(report)
    if refused is not None:
        # As in the grader: a graded function that calls backproplab fails, with its message.
        raise GraderOnly(str(refused)) from None
    if report.status == "not implemented":
        # Stop "Run all" here, as an unimplemented function would, with a plain message.
        raise NotImplementedError(f"{report.problems[-1]}: write it in its cell above, run "
                                  "that cell, then run this check again") from None
    return report


# ------------------------------------------------------------------------------ public checks

def _layer_body(forward, backward, inputs, kwargs, names, dout, seed, num_directions):
    wrt = [i for i, a in enumerate(inputs) if _is_float(a)]
    if not wrt:
        raise TypeError("no float array among the inputs: nothing to differentiate")

    def body(report):
        out, cache = _pair(_call_checked(report, forward, inputs, kwargs, names), forward,
                           "(out, cache)")
        out = np.asarray(out, dtype=np.float64)
        if not np.all(np.isfinite(out)):
            report.problems.append(f"the output of {_name(forward)} contains NaN or inf")
        # a stream of its own: a student who draws x with default_rng(seed) must not get dout == x
        rng = np.random.default_rng([seed, 0xD0])
        upstream = rng.standard_normal(out.shape) if dout is None else np.asarray(dout, float)
        grads = _call_checked(report, backward, [upstream, cache], {}, ["dout", None])
        grads = _split_grads(grads, backward, [names[i] for i in wrt])

        def f(*xs):
            args = list(inputs)
            for i, x in zip(wrt, xs, strict=False):
                args[i] = x
            return _call(forward, *map(_fresh, args), **{k: _fresh(v) for k, v in
                                                         kwargs.items()})[0]

        _compare(report, f, inputs, wrt, names, grads, upstream, rng, num_directions)
        return (f"{_name(backward)} matches finite differences of your {_name(forward)} at "
                "the inputs you gave, with a random upstream gradient dout")
    return body


def check_layer(forward, backward, *inputs, dout=None, name=None, seed=0, num_directions=8,
                verbose=True, **kwargs):
    """Check ``backward`` against finite differences of ``forward`` at ``inputs``.

    forward: ``forward(*inputs, **kwargs) -> (out, cache)``; backward: ``(dout, cache) ->``
    one gradient per float-array input (alone if there is one, else a tuple). Inputs that are
    not float arrays (labels, ``alpha``, a random generator...) are held fixed; a
    ``numpy.random.Generator`` is reset before every call, so a random layer is checked
    with the same randomness each time. ``dout`` defaults to a standard normal array drawn
    with ``seed``. Each input is checked along ``num_directions`` random directions (see
    ``gradcheck``), whatever its size.
    Prints a report headed by the name of ``backward`` (or ``name``) unless
    ``verbose=False``, and returns a ``SelfCheck``. A mistake in your code is reported, not
    raised, except two: NotImplementedError prints "not implemented yet" and then raises, so
    that "Run all" stops at the first missing function; a call into backproplab from your
    functions prints the grader's message and raises ``GraderOnly`` (see ``rules``).
    Your arrays are never modified: the check works on copies.
    """
    names = _arg_names(forward, len(inputs))
    body = _layer_body(forward, backward, inputs, kwargs, names, dout, seed, num_directions)
    return _run(name or _name(backward), body, verbose)


def check_function(f, grad_f, *inputs, name=None, seed=0, num_directions=8, verbose=True):
    """Check a plain function against its gradient function.

    f: ``f(*inputs) -> out`` (array or scalar); grad_f: ``grad_f(dout, *inputs) ->`` one
    gradient per float-array input (alone if there is one). Same report as ``check_layer``.
    """
    def forward(*args):
        return f(*args), args

    def backward(dout, cache):
        return grad_f(dout, *cache)

    forward.__name__, backward.__name__ = _name(f), _name(grad_f)
    names = _arg_names(f, len(inputs))
    body = _layer_body(forward, backward, inputs, {}, names, None, seed, num_directions)
    return _run(name or _name(grad_f), body, verbose)


def _loss_value(report, loss, fn):
    if np.ndim(loss) != 0:
        raise _Stop("wrong", f"{_name(fn)} should return the loss as one number; it returned "
                             f"an array of shape {np.shape(loss)}: did you forget to average "
                             "over the batch?")
    if not math.isfinite(float(loss)):
        report.problems.append(f"the loss is {float(loss)}: look for an overflow or a log(0)")
    if not isinstance(loss, float):
        report.notes.append(f"the loss is a {type(loss).__name__}; return a Python float "
                            "(e.g. float(loss))")


def check_loss(loss_fn, x, y, name=None, seed=0, num_directions=8, verbose=True):
    """Check a loss ``loss_fn(x, y) -> (loss, dx)``: dx against finite differences of loss.

    ``y`` (labels or targets) is held fixed. Also checks that the loss is a single finite
    number and that neither argument is modified. Returns a ``SelfCheck``.
    """
    names = _arg_names(loss_fn, 2)

    def body(report):
        if not _is_float(x):
            raise TypeError(f"{names[0]} must be a float NumPy array")
        loss, dx = _pair(_call_checked(report, loss_fn, [x, y], {}, names), loss_fn,
                         "(loss, d" + names[0] + ")")
        _loss_value(report, loss, loss_fn)

        def f(scores):
            return _call(loss_fn, scores.copy(), _fresh(y))[0]
        _compare(report, f, [x, y], [0], names, [dx], 1.0, np.random.default_rng(seed),
                 num_directions)
        return (f"d{names[0]} matches finite differences of the loss of your {_name(loss_fn)} "
                "at the inputs you gave")

    return _run(name or _name(loss_fn), body, verbose)


from .rules import _protect  # noqa: E402  (last: every public name above refuses while grading)

_protect(__name__)
