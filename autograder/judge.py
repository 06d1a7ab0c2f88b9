"""The judge: drives a student's contained process, compares, scores and diagnoses.

It runs in the grader's own clean process. The student's process only ever hands back
arrays; every comparison, finite difference, score and message is computed here.

A graded function's checks each carry a weight; a check scores the fraction of its hidden
cases that passed, and the function's points (the points of its test cell) are shared out
by weight. Messages come from ``diagnose`` and never show hidden inputs or reference values.
"""
from dataclasses import dataclass, field

import numpy as np

from .diagnose import Diagnosis, diagnose_mutation
from .sandbox.runner import StudentError

FD_STEP = 1e-5
FD_RTOL = 1e-6      # backward vs finite differences of the student's own forward
REF_RTOL = 1e-7     # values and gradients vs the reference solution
MAX_FD_COORDS = 120  # coordinates probed per input; larger inputs add random directions


@dataclass
class Check:
    """One named part of a function's grade; ``fraction`` of its hidden cases passed."""

    name: str
    weight: float
    fraction: float
    message: str
    kind: str = "ok"


@dataclass
class FunctionGrade:
    name: str
    max_score: float
    checks: list = field(default_factory=list)

    @property
    def score(self):
        total = sum(c.weight for c in self.checks)
        if not total:
            return 0.0
        return round(self.max_score * sum(c.weight * c.fraction for c in self.checks) / total, 6)

    def as_report(self):
        total = sum(c.weight for c in self.checks) or 1.0
        return {"score": self.score, "max_score": self.max_score, "checks": [
            {"name": c.name, "score": round(self.max_score * c.weight * c.fraction / total, 6),
             "max_score": round(self.max_score * c.weight / total, 6), "message": c.message,
             "kind": c.kind} for c in self.checks]}


def failure(err, function, what="the result"):
    """A Diagnosis for a call that gave no value (the student's code failed or was stopped).

    Only the exception's class is shown: its message could carry hidden inputs."""
    if isinstance(err, StudentError):
        if err.kind == "timeout":
            return Diagnosis("timeout", f"{function} did not finish within the time limit "
                             "(an endless loop, or far too much work for a small input?).")
        if err.kind in ("crashed", "gave_up"):
            return Diagnosis("crashed", f"{function} stopped the grading process ({err}). "
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
                             f"(files, processes, the network or the grader itself): {err.error}.")
        if err.is_a("MemoryError"):
            return Diagnosis("memory", f"{function} ran out of memory on a small input.")
        if err.is_a("RecursionError"):
            return Diagnosis("recursion", f"{function} recursed without end.")
        return Diagnosis("raised", f"calling {function} raised {err.error}, so there is no "
                         f"{what} to compare. Run it on a small input of your own and read the "
                         "traceback.")
    return Diagnosis("raised", f"calling {function} failed ({type(err).__name__}).")


class Judge:
    """Calls into one student's process; every method returns values or a failure."""

    def __init__(self, proc, seed):
        self.proc = proc
        self.seed = seed

    def rng(self, salt):
        return np.random.default_rng([self.seed, salt])

    def call(self, target, *args, keep=False, **kwargs):
        """The student's result, or the StudentError it ended with (never raises)."""
        try:
            return self.proc.call(target, *args, keep=keep, **kwargs)
        except StudentError as err:
            return err

    def forward_scalar(self, forward, args, kwargs, index, dout):
        """F(x) = sum(forward(..., x, ...)[0] * dout) as a function of argument ``index``."""
        def F(x):
            new = list(args)
            new[index] = x
            result = self.call(forward, *new, **kwargs)
            if isinstance(result, StudentError):
                raise result
            out = result[0] if isinstance(result, tuple) else result
            return float(np.sum(np.asarray(out, dtype=float) * dout))
        return F


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


def directional_fd(F, x, grad, rng):
    """(analytic, numeric) directional derivatives of F at x along the probes of x."""
    analytic, numeric_d = [], []
    for v in probes_of(x.shape, rng):
        analytic.append(float(np.sum(grad * v)))
        numeric_d.append((F(x + FD_STEP * v) - F(x - FD_STEP * v)) / (2 * FD_STEP))
    return np.array(analytic), np.array(numeric_d)


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


def value_check(title, weight, passed, total, first_bad, noun="hidden cases", ok=None):
    """A Check scoring the fraction ``passed / total`` of ``noun`` that were right; ``ok`` is
    the message when all were."""
    if passed == total:
        return Check(title, weight, 1.0, ok or f"right on all {total} {noun}.")
    return Check(title, weight, passed / total, f"right on {passed} of {total} {noun}. "
                 f"{first_bad.message}", first_bad.kind)


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
