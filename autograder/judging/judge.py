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
import builtins
import functools

import numpy as np

from ..sandbox.probes import Probe
from ..sandbox.runner import StudentError
from ..sandbox.wire import WireError, short
from .diagnose import Diagnosis
from .grades import GRADED, Check

REF_RTOL = 1e-7     # values and gradients vs the reference solution
ITEM = Probe("item")  # picks a part of a result kept in the child

#: Exception classes whose names feedback may show: the builtins, the student package's
#: refusal, and NumPy's own. Any other name was made up by the student's code, and could
#: spell out a hidden input.
SHOWN_EXCEPTIONS = frozenset(
    [name for name, value in vars(builtins).items()
     if isinstance(value, type) and issubclass(value, BaseException)] +
    ["GraderOnly", "LinAlgError", "AxisError", "UFuncTypeError", "_UFuncNoLoopError",
     "_UFuncBinaryResolutionError", "_UFuncInputCastingError", "_UFuncOutputCastingError",
     "_ArrayMemoryError", "TooHardError", "DTypePromotionError"])


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


def deep_failure(err, function, size, what):
    """``failure``, naming a RecursionError on a graph of ``size`` nodes for what it is."""
    if isinstance(err, StudentError) and err.is_a("RecursionError"):
        return Diagnosis("deep_recursion", f"{function} on a chain of {size:,} nodes raised "
                         "RecursionError: a recursion as deep as the graph is long goes past "
                         "Python's limit. Keep your own list of nodes to visit (a loop), not "
                         "the call stack.")
    return failure(err, function, what)


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
                         f"it returned {type(result).__name__}.")
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
    """``check(judge) -> [Check]`` whose unexpected failure costs only this function."""
    @functools.wraps(check)
    def contained_checks(judge):
        result = contained(lambda: check(judge), GRADED, name)
        return [result] if isinstance(result, Check) else result
    return contained_checks
