"""The judge: drives a student's contained process, compares, scores and diagnoses.

It runs in the grader's own clean process. The student's process only ever hands back
arrays; every comparison, finite difference, score and message is computed here.

A graded function's checks each carry a weight; a check scores the fraction of its hidden
cases that passed, and the function's points (the points of its test cell) are shared out
by weight. Messages come from ``diagnose`` and never show hidden inputs or reference values.

No honest bug crashes the judge: a student's value that can't be computed with (NaN or inf
where finite differences need a number, a string, None, a ragged list, an object) becomes a
named diagnosis on the check that needed it (``Unusable``, ``weighted_sum``), and a check or a
function that still fails costs only itself (``one_check``, ``guarded``). What the student's
process said about an exception reaches feedback only as a built-in class name
(``exception_name``), and every message is cut to ``MAX_MESSAGE`` characters.
"""
import builtins
import functools
from dataclasses import dataclass, field

import numpy as np

from .diagnose import Diagnosis, diagnose, diagnose_missing_path, diagnose_mutation
from .weights import EARNING, default_weight, role_of
from ..sandbox.runner import StudentError
from ..sandbox.wire import WireError, short

FD_STEP = 1e-5
FD_RTOL = 1e-6      # backward vs finite differences of the student's own forward
REF_RTOL = 1e-7     # values and gradients vs the reference solution
MAX_FD_COORDS = 120  # coordinates probed per input; larger inputs add random directions
MAX_MESSAGE = 1200   # characters of one check's message (every distinct diagnosis)

#: Exception classes whose names feedback may show: the builtins, the student package's
#: refusal, and NumPy's own. Any other name was made up by the student's code, and could
#: spell out a hidden input.
SHOWN_EXCEPTIONS = frozenset(
    [name for name, value in vars(builtins).items()
     if isinstance(value, type) and issubclass(value, BaseException)] +
    ["GraderOnly", "LinAlgError", "AxisError", "UFuncTypeError", "_UFuncNoLoopError",
     "_UFuncBinaryResolutionError", "_UFuncInputCastingError", "_UFuncOutputCastingError",
     "_ArrayMemoryError", "TooHardError", "DTypePromotionError"])


@dataclass
class Check:
    """One named part of a function's grade; ``fraction`` of its hidden cases passed."""

    name: str
    weight: float
    fraction: float
    message: str
    kind: str = "ok"
    also: tuple = ()  # the kinds of the other distinct mistakes the message names

    def __post_init__(self):
        if len(self.message) > MAX_MESSAGE:
            self.message = self.message[:MAX_MESSAGE - 3].rstrip() + "..."


@dataclass
class FunctionGrade:
    """A function's checks and points. Weights and roles come from ``weights.TABLE`` (the
    instructor's ``weights`` override them); a check whose role is not an earning one pays
    only when an earning check of the function pays something."""

    name: str
    max_score: float
    checks: list = field(default_factory=list)
    weights: dict = field(default_factory=dict)

    def weight(self, check):
        if check.name in self.weights:
            return self.weights[check.name]
        table = default_weight(check.name)
        return check.weight if table is None else table

    def earns(self):
        return any(c.fraction > 0 for c in self.checks if role_of(c.name) in EARNING)

    def paid(self, check):
        """The fraction of its weight ``check`` pays."""
        return check.fraction if role_of(check.name) in EARNING or self.earns() else 0.0

    @property
    def score(self):
        total = sum(self.weight(c) for c in self.checks)
        if not total:
            return 0.0
        return round(self.max_score * sum(self.weight(c) * self.paid(c)
                                          for c in self.checks) / total, 6)

    def as_report(self):
        total = sum(self.weight(c) for c in self.checks) or 1.0
        return {"score": self.score, "max_score": self.max_score, "checks": [
            {"name": c.name, "score": round(self.max_score * self.weight(c) * self.paid(c) / total, 6),
             "max_score": round(self.max_score * self.weight(c) / total, 6),
             "message": c.message if self.paid(c) >= c.fraction else
             f"{c.message} (not paid: this check pays only once {self.name} gets some values "
             "or gradients right)", "kind": c.kind, "also": list(c.also)}
            for c in self.checks]}


def exception_name(err):
    """The class of the student's exception as feedback may show it: its name when it is a
    built-in one, else what it derives from (never a name the student's code made up)."""
    if err.error in SHOWN_EXCEPTIONS:
        return err.error
    base = next((n for n in err.mro if n in SHOWN_EXCEPTIONS and
                 n not in ("Exception", "BaseException")), None)
    return "an exception of a class defined in your code" + (f" (a {base})" if base else "")


def failure(err, function, what="the result"):
    """A Diagnosis for a call that gave no value (the student's code failed or was stopped).

    Only the exception's class is shown, and only a built-in one: its message, or a class
    the student's code named, could carry hidden inputs."""
    if not isinstance(err, StudentError):
        return Diagnosis("raised", f"calling {function} failed ({type(err).__name__}).")
    said = short(str(err).split("\n")[0], 200)  # the runner's words (first line only)
    if err.kind == "timeout":
        return Diagnosis("timeout", f"{function} did not finish within the time limit "
                         "(an endless loop, or far too much work for a small input?).")
    if err.kind == "budget":
        return Diagnosis("time_budget", f"{function} was not run: the time budget for this "
                         "submission was used up (slow or endless code, or a process that "
                         "kept crashing).")
    if err.kind == "bad_reply":
        return Diagnosis("bad_reply", f"{function} returned something the grader cannot read "
                         f"({said}). Return NumPy arrays of floats, numbers, tuples and lists.")
    if err.kind in ("crashed", "gave_up"):
        return Diagnosis("crashed", f"{function} stopped the grading process ({said}). "
                         "Look for os._exit, sys.exit, endless recursion or huge allocations.")
    if err.is_a("NotImplementedError"):
        return Diagnosis("not_implemented", f"{function} raised NotImplementedError: this "
                         "exercise is not done yet.")
    if err.is_a("GraderOnly"):
        return Diagnosis("uses_student_package", f"{function} calls a function of the "
                         "backproplab package (its fast layers or gradient checks). Those are "
                         "there to check and train with; a graded function must compute its "
                         "result with your own code.")
    if err.error == "NameError" and "is not defined" in str(err) and function in str(err):
        return Diagnosis("not_defined", f"{function} is not defined in your notebook: was its "
                         "cell deleted or renamed, or does it fail to run?")
    if err.is_a("PermissionError") or err.error == "ImportError":
        return Diagnosis("forbidden", f"{function} tried something the grader does not allow "
                         f"(files, processes, the network or the grader itself): "
                         f"{exception_name(err)}.")
    if err.is_a("MemoryError"):
        return Diagnosis("memory", f"{function} ran out of memory on a small input.")
    if err.is_a("RecursionError"):
        return Diagnosis("recursion", f"{function} recursed without end.")
    return Diagnosis("raised", f"calling {function} raised {exception_name(err)}, so there is "
                     f"no {what} to compare. Run it on a small input of your own and read the "
                     "traceback.")


class Judge:
    """Calls into one student's process; every method returns values or a failure."""

    def __init__(self, proc, seed):
        self.proc = proc
        self.seed = seed

    def rng(self, salt):
        """The generator of one hidden recipe: the student's seed and ``salt`` (an int or a
        nested list of ints), flattened, since NumPy 2.5 refuses nested seed sequences (older
        NumPy flattened them the same way, so every draw is unchanged)."""
        return np.random.default_rng([self.seed, *flat_ints(salt)])

    def call(self, target, *args, keep=False, **kwargs):
        """The student's result, or the StudentError it ended with (never raises)."""
        try:
            return self.proc.call(target, *args, keep=keep, **kwargs)
        except StudentError as err:
            return err
        except WireError as err:  # a reply that decodes to nothing the judge may use
            return StudentError("bad_reply", str(err))

    def forward_scalar(self, forward, args, kwargs, index, dout):
        """F(x) = sum(forward(..., x, ...)[0] * dout) as a function of argument ``index``
        (raises StudentError, or Unusable when the student's out can't be used)."""
        def F(x):
            new = list(args)
            new[index] = x
            result = self.call(forward, *new, **kwargs)
            if isinstance(result, StudentError):
                raise result
            out = result[0] if isinstance(result, tuple) else result
            return weighted_sum(out, dout, forward, "out")
        return F


def flat_ints(salt):
    """[ints] of an int or a nested list of ints, in order."""
    if isinstance(salt, (list, tuple)):
        return [i for part in salt for i in flat_ints(part)]
    return [int(salt)]


def probes_of(shape, rng, max_coords=MAX_FD_COORDS, directions=4):
    """Unit perturbations to test a gradient along: every coordinate of a small input, or a
    sample of coordinates plus random directions of a large one (cost independent of size)."""
    size = int(np.prod(shape))
    if size <= max_coords:
        coords = range(size)
        dirs = []
    else:
        coords = rng.choice(size, max_coords - directions, replace=False)
        dirs = [rng.standard_normal(shape) for _ in range(directions)]
    out = []
    for c in coords:
        e = np.zeros(size)
        e[c] = 1.0
        out.append(e.reshape(shape))
    for d in dirs:
        out.append(d / np.linalg.norm(d))
    return out


# ------------------------------------------------ a student's values in finite differences

class Unusable(Exception):
    """A student's value the judge can't compute with; carries the Diagnosis saying so."""

    def __init__(self, diagnosis):
        super().__init__(diagnosis.message)
        self.diagnosis = diagnosis


def not_finite(function, source="forward"):
    return Diagnosis("not_finite", f"{function}: your {source} returned NaN or inf near a "
                     "hidden input, so its finite differences could not be taken. Make it "
                     "finite there first: look for a division by zero, a log of 0 or an exp "
                     "that overflows.")


def not_a_number(function, source="forward"):
    return Diagnosis("not_numeric", f"{function}: your {source} did not return a number or an "
                     "array of numbers near a hidden input, so its finite differences could "
                     "not be taken.")


def as_float_array(value):
    """``value`` as a float array, or None when it is not a plain number or array of numbers."""
    if not numeric(value):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return None


def shape_of(value):
    """``np.shape(value)``, or None for what has no shape (a ragged list, say)."""
    try:
        return np.shape(value)
    except Exception:
        return None


def usable_base(value, function, source="forward"):
    """The student's value at a hidden point as a finite float array, for finite differences
    to start from; raises Unusable saying what is wrong with it."""
    array = as_float_array(value)
    if array is None:
        raise Unusable(not_a_number(function, source))
    if not np.all(np.isfinite(array)):
        raise Unusable(not_finite(function, source))
    return array


def weighted_sum(value, weights, function, source="forward"):
    """``sum(value * weights)`` as a finite float: one evaluation of a student's function
    in finite differences. Raises Unusable when the value can't give one."""
    array = as_float_array(value)
    if array is None:
        raise Unusable(not_a_number(function, source))
    try:
        with np.errstate(all="ignore"):
            total = float(np.sum(array * weights))
    except ValueError:  # shapes that don't broadcast
        raise Unusable(Diagnosis("wrong_shape", f"{function}: the shape of what your {source} "
                                 "returns changed when an input moved by a tiny step, so its "
                                 "finite differences could not be taken.")) from None
    if not np.isfinite(total):
        raise Unusable(not_finite(function, source))
    return total


def fd_verdict(analytic, numeric_d, paths=None, **options):
    """``diagnose`` (or ``diagnose_missing_path`` with ``paths``) of analytic derivatives
    against finite differences of the student's own function, which may not be finite."""
    if not np.all(np.isfinite(numeric_d)):
        return Diagnosis("not_finite", f"{options['function']}, {options['what']}: your own "
                         "function gives NaN or inf near the hidden inputs, so its finite "
                         "differences can't be taken. Make it finite there first.")
    if flat(numeric_d):
        return Diagnosis("forward_ignores_input", f"{options['function']}, {options['what']}: "
                         "your own function does not change at all when this input changes, "
                         "so there is nothing to compare a gradient with. Implement the "
                         "forward computation first.")
    if paths is not None:
        return diagnose_missing_path(analytic, numeric_d, paths, **options)
    return diagnose(analytic, numeric_d, **options)


# ------------------------------------------------------------- checks that fail on their own

ESCAPING = ("budget", "gave_up")  # the process can't go on: the grading loop says so


def contained(run, title, weight, function="your function"):
    """``run()``, or the Check (scoring 0) that says why it failed. StudentErrors that end
    the student's process escape: the grading loop reports those."""
    try:
        return run()
    except StudentError as err:
        if err.kind in ESCAPING:
            raise
        d = failure(err, function)
        return Check(title, weight, 0.0, d.message, d.kind)
    except Exception as error:  # the judge met a value it did not foresee
        return Check(title, weight, 0.0, "this check could not be completed: the grader could "
                     f"not use what your code returned ({type(error).__name__}). The rest of "
                     "your notebook is graded as usual.", "grader_error")


def one_check(title, weight=0):
    """A check function returning one Check, whose unexpected failure costs only that Check
    (kind "grader_error") and not the function's other checks."""
    def wrap(check):
        @functools.wraps(check)
        def contained_check(*args, **kwargs):
            return contained(lambda: check(*args, **kwargs), title, weight)
        return contained_check
    return wrap


def guarded(check, name):
    """``check(judge) -> [Check]`` whose unexpected failure costs only this function."""
    @functools.wraps(check)
    def contained_checks(judge):
        result = contained(lambda: check(judge), "graded", 1, name)
        return [result] if isinstance(result, Check) else result
    return contained_checks


# ------------------------------------------------------------- pieces every check module uses

def numeric(value):
    """Whether ``value`` is a number or an array of numbers (what a student may return)."""
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except Exception:
        return False


def flat(derivatives):
    """Finite differences that are zero everywhere: the forward ignores this input. The
    hidden inputs of every check are chosen so that the true function never is flat there,
    so agreeing with a flat forward earns nothing (else returning zeros from both the
    forward and the backward would be "consistent")."""
    return bool(np.all(np.abs(derivatives) < 1e-12))


# Kinds that say only that something is wrong, not what: a more specific diagnosis of the
# same function is shown first, since it best shows the mistake.
VAGUE_KINDS = ("wrong_values", "raised", "crashed", "timeout", "grader_error", "bad_reply",
               "not_finite", "nan_or_inf", "time_budget")


def distinct(verdicts):
    """One Diagnosis per kind among ``verdicts`` (a Diagnosis, a list, or None), the most
    specific first (the order they came in otherwise)."""
    if verdicts is None:
        return []
    if not isinstance(verdicts, (list, tuple)):
        verdicts = [verdicts]
    by_kind = {}
    for verdict in verdicts:
        if verdict is not None and not verdict.ok:
            by_kind.setdefault(verdict.kind, verdict)
    return sorted(by_kind.values(), key=lambda d: d.kind in VAGUE_KINDS)


def value_check(title, weight, passed, total, bad, noun="hidden cases", ok=None):
    """A Check scoring the fraction ``passed / total`` of ``noun`` that were right; ``ok`` is
    the message when all were. ``bad`` is the failing verdict, or all of them: every distinct
    kind of mistake is named, the most specific first (its kind is the check's)."""
    if passed == total:
        return Check(title, weight, 1.0, ok or f"right on all {total} {noun}.")
    found = distinct(bad)
    if not found:
        return Check(title, weight, passed / total, f"right on {passed} of {total} {noun}.",
                     "wrong_values")
    also = " Also: " + " ".join(d.message for d in found[1:]) if len(found) > 1 else ""
    return Check(title, weight, passed / total, f"right on {passed} of {total} {noun}. "
                 f"{found[0].message}{also}", found[0].kind, tuple(d.kind for d in found[1:]))


def first_mutation(before, after, function, names):
    if after is None:
        return None
    for b, a, name in zip(before, after, names):
        d = diagnose_mutation(b, a, function=function, argname=name)
        if not d.ok:
            return d
    return None


def mutation_check(mutated, function, weight, ran=True, failed=None):
    """Credit for leaving the arguments alone, earned only by calls that returned."""
    if not ran:
        return Check("arguments left unchanged", weight, 0.0, failed.message, failed.kind)
    if mutated is None:
        return Check("arguments left unchanged", weight, 1.0, "no argument was modified.")
    return Check("arguments left unchanged", weight, 0.0, mutated.message, mutated.kind)
