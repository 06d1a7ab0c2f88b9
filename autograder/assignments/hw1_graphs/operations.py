"""The Operation subclasses of hw1, Add, Multiply, Divide, Exp, Log and Sin: everything the
grader knows about them.

Each hidden case makes a fresh instance in the student's process (``judge.call("Add",
keep=True)``), calls it there on hidden scalars or arrays (inside each op's domain), reads back
``self.value`` and calls ``backward``. The judge compares the forward value and the gradients
with the reference class, the gradients with finite differences of the student's own forward
(a new instance per evaluation; ``sampled_coordinates``), the shape of what backward returns (a
tuple, one gradient per input) and that ``self.value`` is set. A gradient is held to a few
roundings of the reference (``EXACT_RTOL``: finite differences are named ``not_derived``), and
a wrong one is checked against the usual slips of a local derivative (``SLIPS``). Agreeing
with the student's own forward pays when that forward is an honest attempt (judging/carried.py:
right on a case, a named slip such as a factor, or changing with its inputs as the reference
does), not when it is constant or hands its input back.
"""
import zlib
from functools import partial

import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.carried import Attempt, carried, dependence_along
from ...judging.described import count_against, error_words
from ...judging.diagnose import Diagnosis, diagnose, relative_error
from ...judging.finite_differences import (
    FD_RTOL,
    derivatives_at,
    fd_verdict,
    shape_verdict,
)
from ...judging.grades import CheckSpec
from ...judging.judge import (
    REF_RTOL,
    StudentError,
    as_float_array,
    failure,
    one_check,
    weighted_sum,
)
from ...judging.kinds import Kind, declare
from ...judging.recipes import drawn
from ...judging.tally import Tally
from ...sandbox.probes import Probe

ATTRIBUTE = Probe("attribute")
OPS = {"Add": ("a", "b"), "Multiply": ("a", "b"), "Divide": ("a", "b"),
       "Exp": ("a",), "Log": ("a",), "Sin": ("a",)}
SCALARS, VECTORS, MATRICES = "scalars", "1-D arrays", "2-D arrays"
OP_CASES = {SCALARS: (), VECTORS: (5,), MATRICES: (3, 4)}

VALUES = CheckSpec("forward values on hidden inputs", "value", 4)
REFERENCE = CheckSpec("backward matches the reference gradients", "gradient", 3)
FD = CheckSpec("backward matches finite differences of your forward", "fd", 3)
STRUCTURE = CheckSpec("backward returns one gradient per input", "structure", 1)
STORED = CheckSpec("self.value set by calling the op", "structure", 1)
KINDS = declare(
    Kind("bare_value", "backward returned a bare value, not a tuple of gradients"),
    Kind("swapped", "the two gradients of a binary op are each other's"),
    Kind("wrong_local_derivative", "a usual slip in an op's local derivative"),
    Kind("value_not_set", "self.value is not set by calling the op"),
    Kind("value_mismatch", "self.value is not the value the call returned"),
)

# Each op's hidden numbers by recipe (see ``drawn``): one (bands, signs) per input, away from the
# points where a usual slip gives the right number (log near 1, exp and sin near 0, cos near 0,
# a near b) and, for scalars, where one slip would pass for another (a factor near -1, 2 or 1/2).
A_NUMBERS = (((0.25, 0.45), (1.3, 1.8)), (1, -1))
B_NUMBERS = (((2.2, 3.0), (0.6, 0.8)), (-1, 1))
OP_NUMBERS = {"Add": (A_NUMBERS, B_NUMBERS), "Multiply": (A_NUMBERS, B_NUMBERS),
              "Divide": (A_NUMBERS, B_NUMBERS),
              "Exp": ((((0.9, 1.6), (0.4, 0.7)), (1, -1)),),
              "Log": ((((2.6, 3.6), (0.2, 0.6)), (1,)),),
              "Sin": ((((1.15, 1.4), (1.9, 2.8)), (1, -1)),)}
# The upstream gradient: away from 0 and from +-1 (where a backward that ignores it passes).
UPSTREAM = {SCALARS: (((1.3, 1.8),), (-1,)), "arrays": (((0.3, 0.7), (1.3, 2.0)), (1, -1))}


def op_inputs(judge, name, case):
    """(args, output_grad) of a hidden case: Python floats for scalars, arrays otherwise."""
    rng = judge.rng([zlib.crc32(name.encode()), list(OP_CASES).index(case)])
    shape = OP_CASES[case]
    args = [drawn(rng, shape, *numbers) for numbers in OP_NUMBERS[name]]
    g = drawn(rng, shape, *UPSTREAM[SCALARS if case == SCALARS else "arrays"])
    return args, g


def reference_op(name, args, output_grad):
    op = getattr(solutions, name)()
    value = op(*args)
    return value, op.backward(output_grad)


class OpRun:
    """What one fresh instance of the student's op did: value, stored self.value, grads.

    ``error`` is the Diagnosis of the step that gave no value (making or calling the op)."""

    def __init__(self, judge, name, args, output_grad):
        self.error = self.value = self.stored = self.grads = None
        made = judge.call(name, keep=True)
        if isinstance(made, StudentError):
            self.error = failure(made, name, "operation")
            return
        handle = made[0]
        value = judge.call((handle, "__call__"), *args)
        if isinstance(value, StudentError):
            self.error = failure(value, f"{name}()(...)", "value")
            return
        self.value = value
        self.stored = judge.call(ATTRIBUTE, handle, "value")
        self.grads = judge.call((handle, "backward"), output_grad)


def split_grads(grads, name, count):
    """(gradients as a tuple or None, structure Diagnosis or None) of what backward returned.

    A bare value for a single-input op is still compared (it is the gradient, only not in a
    tuple); the structure Diagnosis says what is wrong with the container."""
    function = f"{name}.backward"
    names = ", ".join("d" + n for n in OPS[name])
    if isinstance(grads, StudentError):
        return None, failure(grads, function, "gradient")
    if grads is None:
        return None, Diagnosis("returned_none", f"{function} returned None. It must return a "
                               f"tuple with one gradient per input of forward ({names}).")
    if isinstance(grads, (tuple, list)):
        if len(grads) == count:
            return tuple(grads), None
        return None, Diagnosis("wrong_count", f"{function} returned "
                               f"{count_against(len(grads), count, 'gradient')}, as "
                               f"{name}.forward takes {count} input(s): return one gradient "
                               f"per input ({names}), in the order forward takes them.")
    text = (f"{function} returned a single value, not a tuple. The contract says backward "
            f"returns a tuple with one gradient per input of forward ({names})")
    if count == 1:
        return (grads,), Diagnosis("bare_value", text + ", so for one input a tuple of one "
                                   "item: note the trailing comma in (da,).")
    return None, Diagnosis("bare_value", text + ".")


def swapped(got, expected, name):
    """A Diagnosis when the two gradients of a binary op are each other's."""
    if len(expected) != 2 or any(as_float_array(g) is None for g in got):
        return None
    g0, g1 = (as_float_array(g) for g in got)
    e0, e1 = (np.asarray(e, dtype=np.float64) for e in expected)
    if g0.shape != e1.shape or g1.shape != e0.shape or np.allclose(e0, e1, rtol=1e-6):
        return None
    if np.allclose(g0, e1, rtol=1e-7, atol=1e-12) and np.allclose(g1, e0, rtol=1e-7, atol=1e-12):
        return Diagnosis("swapped", f"{name}.backward, da and db vs reference: your da is the "
                         "expected db and your db the expected da. Check which input each "
                         "local derivative uses and the order of the returned tuple.")
    return None


# The usual slips in a local derivative: op -> [(input index, what the gradient then is,
# that gradient from (inputs, output, output_grad))]. The hidden numbers keep each of them
# apart from the right gradient.
SLIPS = {
    "Exp": [(0, "output_grad times the input a, where the local derivative of exp at a "
             "belongs (forward has already computed it)", lambda a, out, g: g * a[0])],
    "Log": [(0, "output_grad times a; the local derivative of log at a is not a",
             lambda a, out, g: g * a[0]),
            (0, "output_grad times the output log(a), where the local derivative of log at a "
             "belongs", lambda a, out, g: g * out)],
    "Sin": [(0, "output_grad times the output sin(a); the local derivative of sin is another "
             "function", lambda a, out, g: g * out),
            (0, "output_grad times the cosine of the output sin(a): the local derivative is "
             "taken at the input a, not at the output", lambda a, out, g: g * np.cos(out))],
    "Divide": [(1, "-output_grad * a / b: the derivative of 1/b with respect to b is not -1/b "
                "(a power of b is missing)", lambda a, out, g: -g * a[0] / a[1])],
}


def slip(got, name, k, args, value, g):
    """A Diagnosis naming the slip that gives ``got`` as the gradient of input ``k``, or None."""
    got = as_float_array(got)
    if got is None or got.shape != np.shape(args[k]):
        return None
    what = "d" + OPS[name][k]
    function = f"{name}.backward, {what} vs reference"
    with np.errstate(all="ignore"):
        known = [(text, make(args, value, g)) for index, text, make in SLIPS.get(name, [])
                 if index == k]
        local = np.asarray(local_derivatives(name, args)[k])
    if len(OPS[name]) == 1:
        known.append(("output_grad passed on unchanged, without the local derivative of "
                      f"{name.lower()} at a", g * np.ones(np.shape(args[k]))))
    for text, candidate in known:
        if np.allclose(got, candidate, rtol=1e-7, atol=1e-12):
            return Diagnosis("wrong_local_derivative", f"{function}: your {what} is {text}.")
    if np.allclose(got, local, rtol=1e-7, atol=1e-12):
        return Diagnosis("ignores_upstream", f"{function}: your {what} is the local derivative "
                         "alone. The chain rule multiplies it by output_grad, the gradient "
                         "arriving from the output.")
    return None


def local_derivatives(name, args):
    """The reference gradients for an upstream gradient of ones: the local derivatives."""
    shape = np.shape(args[0])
    return reference_op(name, args, np.ones(shape) if shape else 1.0)[1]


def check_op(judge, name):
    names = OPS[name]
    values, grads_ok, stored, structure = Tally(), Tally(), Tally(), Tally()
    attempt = Attempt()
    for case in OP_CASES:
        args, g = op_inputs(judge, name, case)
        ref_value, ref_grads = reference_op(name, args, g)
        run = OpRun(judge, name, args, g)
        if run.error is not None:
            values.add(run.error)
            grads_ok.add(run.error, count=len(names))
            stored.add(run.error)
            structure.add(run.error)
            continue
        value = diagnose(run.value, ref_value, function=name, check=f"reference ({case})",
                         what="output", rtol=REF_RTOL)
        values.add(value, run.value, ref_value)
        attempt.saw_value(value)
        stored.add(stored_value(run, name))
        grads, problem = split_grads(run.grads, name, len(names))
        structure.add(problem)
        if grads is None:
            grads_ok.add(problem, count=len(names))
            continue
        swap = swapped(grads, ref_grads, name)
        for k, (got, expected, argname) in enumerate(zip(grads, ref_grads, names, strict=False)):
            what, check = "d" + argname, f"reference ({case})"
            d = swap or diagnose(got, expected, function=f"{name}.backward", check=check,
                                 what=what, rtol=EXACT_RTOL, atol=0.0)
            if not d.ok:
                d = (slip(got, name, k, args, ref_value, g) or
                     not_derived(got, expected, name, what, check) or d)
            grads_ok.add(d, got, expected)
    numerical = next((FD.failed(d) for d in grads_ok.verdicts() if d.kind == "not_derived"),
                     None)
    if numerical is not None:
        # A backward made of finite differences is one everywhere, but on a single scalar its
        # error (about 1e-10, partly rounding) now and then lands within EXACT_RTOL by luck:
        # one case found out decides them all, so the score does not depend on the seed.
        grads_ok.passed = 0
    return [values.check(VALUES),
            grads_ok.check(REFERENCE, "gradients on hidden inputs"),
            numerical or carried(op_fd_check(judge, name, attempt), attempt, name),
            structure.check(STRUCTURE, ok="backward returns a tuple with one gradient per "
                            "input."),
            stored.check(STORED, ok="self.value holds the output after every call.")]


# A gradient derived by hand is a product of a few numbers: it agrees with the reference's to a
# few roundings. Finite differences agree only to about 1e-10 (truncation and rounding).
EXACT_RTOL = 1e-12


def not_derived(got, expected, name, what, check):
    """A Diagnosis when ``got`` has the error of finite differences, or None."""
    got = as_float_array(got)
    if got is None or got.shape != np.shape(expected):
        return None
    error = relative_error(got, expected)
    if not error < FD_RTOL:
        return None
    return Diagnosis("not_derived", f"{name}.backward, {what} vs {check}: your {what} agrees "
                     f"with the expected gradient only to {error_words(error)}, as finite "
                     "differences do, where a derived formula agrees to the last digits. "
                     "Compute the gradient from the local derivative you worked out, not from "
                     "calls to forward at nearby points.")


def stored_value(run, name):
    stored = run.stored
    title = f"{name}: after calling the op, self.value"
    if isinstance(stored, StudentError) or stored is None:
        return Diagnosis("value_not_set", f"{title} is not set. Operation's __call__ stores the "
                         "output of forward in self.value; if you override __call__, store it "
                         "there too (backward may need it, and so does the graph code).")
    got, returned = as_float_array(stored), as_float_array(run.value)
    if got is None or returned is None or got.shape != returned.shape or \
            not np.allclose(got, returned, rtol=1e-12, atol=0, equal_nan=True):
        return Diagnosis("value_mismatch", f"{title} is not the value the call returned. "
                         "self.value must hold the output of forward.")
    return Diagnosis("ok", f"{title} is set.")


def student_output(judge, name, args):
    """The output of a fresh instance of the student's op on args (raises StudentError)."""
    made = judge.call(name, keep=True)
    if isinstance(made, StudentError):
        raise made
    value = judge.call((made[0], "__call__"), *args)
    if isinstance(value, StudentError):
        raise value
    return value


@one_check(FD)
def op_fd_check(judge, name, attempt):
    """Backward vs finite differences of the student's own forward, on scalars and arrays;
    how that forward depends on its inputs in each case goes into ``attempt``."""
    names = OPS[name]
    agree = Tally()
    rng = judge.rng([23, len(name)])
    for case in (SCALARS, MATRICES):
        args, g = op_inputs(judge, name, case)
        run = OpRun(judge, name, args, g)
        if run.error is not None:
            agree.add(run.error, count=len(names))
            continue
        grads, problem = split_grads(run.grads, name, len(names))
        if grads is None:
            agree.add(problem, count=len(names))
            continue
        classes = []
        for k, (grad, argname) in enumerate(zip(grads, names, strict=False)):
            agree.add(op_fd_verdict(judge, name, args, g, k, grad, argname, rng, case,
                                    classes))
        if len(classes) == len(names):
            attempt.saw_dependence(classes)
    return agree.check(FD, "gradients",
                       ok="every gradient agrees with finite differences of your own forward.")


def op_fd_verdict(judge, name, args, g, k, grad, argname, rng, case, classes):
    """The gradient of input ``k`` against finite differences of the student's forward;
    how that forward depends on input ``k`` is appended to ``classes``."""
    function, x, what = f"{name}.backward", args[k], "d" + argname
    wrong = shape_verdict(grad, x, function=function, source="forward", what=what)
    if wrong is not None:
        return wrong

    def F(t):
        new = list(args)
        new[k] = t
        return weighted_sum(student_output(judge, name, new), g, name)
    ref_value, ref_grads = reference_op(name, args, g)
    got = derivatives_at(F, x, rng, function=name,
                         right=(float(np.sum(ref_value * g)), ref_grads[k]))
    if isinstance(got, Diagnosis):
        return got
    classes.append(dependence_along(*got, ref_grads[k], g))
    return fd_verdict(grad, *got, function=function, source="forward", what=what,
                      check=f"finite differences of your forward ({case})")


CHECKS = {name: partial(check_op, name=name) for name in OPS}
NOTEBOOK_CHECKS = {name: partial(in_notebook.check_op, name, len(args))
                   for name, args in OPS.items()}


# ------------------------------------------------- the small cases worked by hand (section 4)

#: {op: (its inputs, the upstream gradient g)}: the second case of each prompt of section 4.
BY_HAND_POINTS = {"Add": ((2.0, 3.0), -0.5), "Multiply": ((3.0, -4.0), 2.0),
                  "Divide": ((6.0, 3.0), 3.0), "Exp": ((float(np.log(2.0)),), 3.0),
                  "Log": ((1.0,), 5.0), "Sin": ((float(np.pi),), 2.0)}


def by_hand_numbers():
    """{op: (one gradient per input,)}: every operation's case through the reference's backward
    (one cell, by_hand_operations, serves the six)."""
    found = {}
    for name, (inputs, g) in BY_HAND_POINTS.items():
        op = getattr(solutions, name)()
        op(*inputs)
        found[name] = [float(d) for d in op.backward(g)]
    return found


# Each operation is judged on its own row of the one table (judging/by_hand.py).
BY_HAND_CASES = tuple(ByHand(name, "operations", by_hand_numbers, beside=12, only=(name,))
                      for name in OPS)
for _case in BY_HAND_CASES:
    CHECKS = with_by_hand(CHECKS, _case)
    NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, _case)
