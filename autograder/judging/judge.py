"""The judge: drives a student's contained process and turns what comes back into values.

It runs in the grader's own clean process. The student's process only ever hands back
arrays; every comparison, finite difference, score and message is computed here (the checks
of each graded function, in ``autograder/assignments/``, with the shared judging modules).

No honest bug crashes the judge: a student's value that can't be computed with (NaN or inf
where finite differences need a number, a string, None, a ragged list, an object) becomes a
named diagnosis on the check that needed it (``Unusable``, ``weighted_sum``), and a check or a
function that still fails costs only itself (``one_check``, ``guarded``). What the student's
process said about an exception reaches feedback only as a built-in class name
(``exception_name``).
"""
import functools

import numpy as np

from ..sandbox.probes import Probe
from ..sandbox.runner import StudentError
from ..sandbox.wire import WireError, short
from . import derivation, described
from .described import value_kind
from .diagnose import Diagnosis
from .grades import GRADED, Check

REF_RTOL = 1e-7     # values and gradients vs the reference solution
ITEM = Probe("item")  # picks a part of a result kept in the child

def exception_name(err):
    """The class of the student's exception (a StudentError) as feedback may show it: its
    name when it is a built-in one, else the built-in class it derives from (never a name
    the student's code made up, which could spell out a hidden input)."""
    return described.exception_name(err.error, err.mro)


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


def deep_failure(err, function, size, what):
    """``failure``, naming a RecursionError on a graph of ``size`` nodes for what it is."""
    if isinstance(err, StudentError) and err.is_a("RecursionError"):
        return Diagnosis("deep_recursion", f"{function} on a chain of {size:,} nodes raised "
                         "RecursionError: a recursion as deep as the graph is long goes past "
                         "Python's limit (raising the limit does not help: every graded call "
                         "starts at the grader's own). Keep your own list of nodes to visit (a "
                         "loop), not the call stack.")
    return failure(err, function, what)


class Judge:
    """Calls into one student's process; every method returns values or a failure.

    While a function whose gradient must be derived is judged (``begin``), every call of its
    gradient (the function itself, or an operation's ``backward``) is watched by the child's
    call monitor, and ``not_derived`` weighs what was seen with what its code says."""

    MAX_RECORDS = 16  # monitor records kept per function: the ones showing something first
    # Calls of one function's gradient watched: its first ones (a gradient that behaves only
    # while watched must look at the hooks, which the static read flags: ``monitor_probe``).
    MAX_WATCHED = 12
    # backward_pass runs the grader's operations, not the student's: the monitor would see
    # nothing of the student's there, and it slows its 10,000-node chain (its code is read).
    UNWATCHED = frozenset({"backward_pass"})

    def __init__(self, proc, seed):
        self.proc = proc
        self.seed = seed
        self.graded = None  # the graded name being judged
        self.records = {}   # graded name -> [monitor records of its gradient's calls]
        self.verdicts = {}  # graded name -> Diagnosis or None, once judged
        self.watched = {}   # graded name -> how many calls of its gradient were watched

    def begin(self, name):
        """Judging the graded function ``name`` starts."""
        self.graded = name

    def rng(self, salt):
        """The generator of one hidden recipe: the student's seed and ``salt`` (an int or a
        nested list of ints), flattened, since NumPy 2.5 refuses nested seed sequences (older
        NumPy flattened them the same way, so every draw is unchanged)."""
        return np.random.default_rng([self.seed, *flat_ints(salt)])

    def call(self, target, *args, keep=False, **kwargs):
        """The student's result, or the StudentError it ended with (never raises)."""
        watched = self.gradient_call(target)
        if watched:
            kwargs["monitor"] = True
        try:
            return self.proc.call(target, *args, keep=keep, **kwargs)
        except StudentError as err:
            return err
        except WireError as err:  # a reply that decodes to nothing the judge may use
            return StudentError("bad_reply", str(err))
        finally:
            if watched:
                self.keep_record(getattr(self.proc, "last_monitor", None))

    def gradient_call(self, target):
        """Whether calling ``target`` computes the gradient of the function being judged."""
        name = self.graded
        if name is None or not derivation.needs_derivation(name) or name in self.UNWATCHED:
            return False
        if self.watched.get(name, 0) >= self.MAX_WATCHED:
            return False
        if isinstance(target, tuple):
            watched = name in derivation.OPERATIONS and target[1:] == ("backward",)
        else:
            watched = target == name
        if watched:
            self.watched[name] = self.watched.get(name, 0) + 1
        return watched

    def keep_record(self, record):
        """Keeps a monitor record of the judged function's gradient: every one that shows
        something, and the first few that show nothing (bounded)."""
        kept = self.records.setdefault(self.graded, [])
        if record is None:
            return
        if derivation.runtime_reasons([record], self.graded,
                                      derivation.DERIVED.get(self.graded)):
            kept.insert(0, record)
            del kept[self.MAX_RECORDS:]
        elif len(kept) < self.MAX_RECORDS:
            kept.append(record)

    def not_derived(self, name):
        """The ``not_derived`` Diagnosis of the graded ``name`` when what its gradient's
        monitored calls did, or what its code says, shows it was evaluated rather than
        derived; else None. Judged once, at the first ask after its calls."""
        if not derivation.needs_derivation(name):
            return None
        if name not in self.verdicts:
            cells = getattr(self.proc, "cells", ())
            found = derivation.verdict(self.records.get(name, []),
                                       derivation.evidence(cells, name), name)
            self.verdicts[name] = None if found is None else Diagnosis(*found)
        return self.verdicts[name]

    def read(self, name):
        """The value the student's notebook left in ``name`` (not called), or the StudentError
        reading it ended with (a NameError when the name is not defined); never raises."""
        return self.call(name, read=True)

    def warnings(self):
        """The floating-point warnings of the student's last call."""
        return tuple(getattr(self.proc, "fp_warnings", None) or ())

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


# ------------------------------------------------ a student's values, as the judge uses them

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


def numeric(value):
    """Whether ``value`` is a number or an array of numbers (what a student may return)."""
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except Exception:
        return False


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


def all_finite(*values):
    arrays = [as_float_array(v) for v in values]
    return all(a is not None and bool(np.all(np.isfinite(a))) for a in arrays)


def split_forward(result, function):
    """(out, cache) from what a forward returned, or a Diagnosis of what is wrong with it."""
    if isinstance(result, StudentError):
        return failure(result, function, "out")
    if not (isinstance(result, tuple) and len(result) == 2):
        return Diagnosis("wrong_structure", f"{function} must return a pair (out, cache); "
                         f"it returned {value_kind(result)}.")
    return result


def pair_of(result, function, names):
    """(the two values of a pair a function returned, None) or (None, Diagnosis)."""
    if isinstance(result, StudentError):
        return None, failure(result, function, names)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return None, Diagnosis("wrong_structure", f"{function} must return a pair {names}.")
    return tuple(result), None


# ------------------------------------------------------------- checks that fail on their own

ESCAPING = ("budget", "gave_up")  # the process can't go on: the grading loop says so
WITHHELD = ("gradient", "fd")  # the roles a gradient evaluated, not derived, earns nothing in


def contained(run, spec, function="your function"):
    """``run()``, or the result of ``spec`` (scoring 0) that says why it failed. StudentErrors
    that end the student's process escape: the grading loop reports those."""
    try:
        return run()
    except StudentError as err:
        if err.kind in ESCAPING:
            raise
        return spec.failed(failure(err, function))
    except Exception as error:  # the judge met a value it did not foresee
        return spec.check(0.0, "this check could not be completed: the grader could not use "
                          f"what your code returned ({type(error).__name__}). The rest of "
                          "your notebook is graded as usual.", "grader_error")


def one_check(spec):
    """A check function returning one result of ``spec``, whose unexpected failure costs only
    that check (kind "grader_error") and not the function's other checks."""
    def wrap(check):
        @functools.wraps(check)
        def contained_check(*args, **kwargs):
            return contained(lambda: check(*args, **kwargs), spec)
        return contained_check
    return wrap


def guarded(check, name):
    """``check(judge) -> [Check]`` whose unexpected failure costs only this function, and
    whose gradient credit is withheld when the gradient was evaluated, not derived."""
    @functools.wraps(check)
    def contained_checks(judge):
        judge.begin(name)
        result = contained(lambda: check(judge), GRADED, name)
        checks = [result] if isinstance(result, Check) else result
        return withheld(checks, judge.not_derived(name))
    return contained_checks


def withheld(checks, diagnosis):
    """``checks`` with every gradient and finite-difference check paying nothing for the
    reason ``diagnosis`` gives (``not_derived``); unchanged when it is None."""
    if diagnosis is None:
        return checks
    return [c.spec.failed(diagnosis) if c.role in WITHHELD else c for c in checks]
