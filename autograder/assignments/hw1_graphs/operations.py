"""Hidden checks of hw1: the Operation subclasses, the lecture example, numerical_gradient.

Operations (Add, Multiply, Divide, Exp, Log, Sin): each hidden case makes a fresh instance in
the student's process (``judge.call("Add", keep=True)``), calls it there on hidden scalars or
arrays (inside each op's domain), reads back ``self.value`` and calls ``backward``. The judge
compares the forward value and the gradients with the reference class, the gradients with
finite differences of the student's own forward (a new instance per evaluation), the shape of
what backward returns (a tuple, one gradient per input) and that ``self.value`` is set. A
gradient is held to a few roundings of the reference (finite differences are named), and a
wrong one is checked against the usual slips of a local derivative.

``example_forward_backward``: the three values at the contract's point (2, 3) and at hidden
points, against the reference (a wrong gradient is checked for missing paths of the graph),
and the two gradients against finite differences of the student's own y.

``numerical_gradient``: on the grader's probe functions (sent into the child, see probes.py)
at hidden x of several shapes, against the analytic gradient; central (not one-sided)
differences, the step ``h`` actually used, the shape of the result, and x left unchanged.

The engine. ``topological_order``: fixed hidden DAGs (a diamond, several inputs listed children
first, a node with many users, a parent listed twice, the lecture's graph scrambled) must come
back as every name once, each after its parents, with ``parents`` unchanged; a chain of
thousands of nodes listed from its end is past the child's recursion limit. A wrong order is
named (missing or duplicate nodes, the dict's own order, the reverse order). ``backward_pass``:
hidden graphs of the grader's own ops (``probes.graph_nodes`` builds them in the child from plain
data and keeps them there; the judge builds the same graph and runs the reference engine); every
node that reaches the output must have its gradient, and only those. A wrong dict is matched
against what the usual wrong engines give on that graph (``=`` instead of ``+=``, ``+=`` in place
into an array two nodes hold, every backward called with 1.0, a visit order that is not reverse
topological), so the diagnosis names the slip.

This module also holds what the checks of hw1, hw2's backprop and hw4 share: hidden numbers
drawn by recipe (``drawn``: the seed changes the numbers, never the behaviours a case
exercises), failures kept with how far off they were (``Findings``: every distinct mistake is
named, on the case that shows it best), and finite differences a function can't game
(``probed_derivatives``). Finite differences of a student's own function pay only when that
function is right on at least one hidden case (``not_right_yet``).
"""
import itertools
import zlib

import numpy as np

import solutions

from ...judging.pairs import weighted
from ...judging.diagnose import Diagnosis, diagnose, diagnose_missing_path, relative_error
from ...judging.judge import (FD_RTOL, FD_STEP, REF_RTOL, Check, Unusable, as_float_array, failure,
                    fd_verdict, first_mutation, guarded, mutation_check, not_finite, numeric,
                    one_check, probes_of, value_check, weighted_sum)
from ...sandbox import probes
from ...sandbox.probes import Probe
from ...sandbox.runner import StudentError

ATTRIBUTE = Probe("attribute")
OPS = {"Add": ("a", "b"), "Multiply": ("a", "b"), "Divide": ("a", "b"),
       "Exp": ("a",), "Log": ("a",), "Sin": ("a",)}
SCALARS, VECTORS, MATRICES = "scalars", "1-D arrays", "2-D arrays"
OP_CASES = {SCALARS: (), VECTORS: (5,), MATRICES: (3, 4)}


# ------------------------------------------------- what every check of hw1, hw2's backprop and
# hw4 shares: hidden numbers by recipe, failures ordered by how well they show the mistake, and
# finite differences a function can't game

def drawn(rng, shape, bands, signs=(1, -1)):
    """Hidden numbers whose magnitudes lie in ``bands`` ((low, high) pairs) and whose signs are
    ``signs``: every band and sign takes a fixed share of the entries, in an order that varies
    (a scalar takes the first band and the first sign). So the seed changes the numbers, never
    which kinds of numbers a case holds."""
    size = int(np.prod(shape))
    band = rng.permutation(np.resize(np.arange(len(bands)), size))
    sign = rng.permutation(np.resize(np.asarray(signs, dtype=float), size))
    low, high = np.asarray(bands, dtype=float).T
    values = sign * rng.uniform(low[band], high[band])
    return float(values[0]) if shape == () else values.reshape(shape)


def distance(got, expected):
    """How far ``got`` is from ``expected`` (relative error; 1 when they can't be compared)."""
    got = as_float_array(got)
    if got is None or expected is None or got.shape != np.shape(expected):
        return 1.0
    error = relative_error(got, expected)
    return error if np.isfinite(error) else 1.0


class Findings:
    """The failing verdicts of one check, each with how far off the student's array was.
    ``verdicts()`` lists the farthest first, so that value_check reports each kind of mistake
    on the case that shows it best (not on the first case, where it may be barely visible)."""

    def __init__(self):
        self.found = []

    def add(self, verdict, got=None, expected=None):
        """Records ``verdict`` when it is a failure; returns whether it is ok."""
        if verdict is None or verdict.ok:
            return True
        gap = 1.0 if expected is None else distance(got, expected)
        self.found.append((-gap, len(self.found), verdict))
        return False

    def verdicts(self):
        return [verdict for *_, verdict in sorted(self.found, key=lambda f: f[:2])]

    def extend(self, other):
        """Records the failures ``other`` holds."""
        self.found += [(gap, len(self.found) + i, verdict)
                       for i, (gap, _, verdict) in enumerate(other.found)]


def not_right_yet(function, agree, total, source="forward"):
    """Why gradients consistent with the student's own ``source`` pay nothing: that source is
    right on no hidden case (agreeing with a wrong forward shows no derived gradient)."""
    return Diagnosis("forward_wrong", f"{function}: your gradients agree with your own "
                     f"{source} on {agree} of {total}, but that {source} is right on no hidden "
                     "case, so this pays nothing yet: it pays once your "
                     f"{source} is right on at least one hidden case.")


def unpaid(title, weight, diagnosis):
    """A Check paying nothing, for the reason ``diagnosis`` gives."""
    return Check(title, weight, 0.0, diagnosis.message, diagnosis.kind)


def probed_derivatives(F, x, grad, rng, function, source="forward", right=None):
    """(analytic, numeric) directional derivatives of the student's F at x (a float or an
    array), or the Diagnosis of why they can't be taken or trusted.

    The probes x +- h v are evaluated in a shuffled order between two evaluations of F at x
    itself, which must agree: a function that counts its calls or remembers earlier inputs is
    caught. ``right``, when given, is (the right F(x), the right gradient at x): where the
    student's F is right at x, its finite differences must be those of the right function
    there, so a function that answers the points next to x differently is caught too."""
    scalar = np.ndim(x) == 0
    point = np.asarray(x, dtype=np.float64)
    directions = [np.ones(())] if scalar else probes_of(point.shape, rng)
    steps = [(k, sign) for k in range(len(directions)) for sign in (1, -1)]
    values = {}
    try:
        base = F(float(point) if scalar else point)
        for i in rng.permutation(len(steps)):
            k, sign = steps[i]
            moved = point + sign * FD_STEP * directions[k]
            values[steps[i]] = F(float(moved) if scalar else moved)
        again = F(float(point) if scalar else point)
    except StudentError as err:
        return failure(err, function, "value")
    except Unusable as err:
        return err.diagnosis
    if abs(again - base) > 1e-12 * max(abs(base), 1.0):
        return Diagnosis("inconsistent_forward", f"{function}: your {source} gave two "
                         "different values for the same input, before and after being called "
                         "at points next to it, so its finite differences can't be trusted. "
                         f"Compute the {source} from its arguments alone, without keeping "
                         "anything from one call to the next.")
    numeric_d = np.array([(values[k, 1] - values[k, -1]) / (2 * FD_STEP)
                          for k in range(len(directions))])
    if not np.all(np.isfinite(numeric_d)):
        return not_finite(function, source)
    grad = np.asarray(grad, dtype=np.float64)
    with np.errstate(all="ignore"):
        analytic = np.array([float(np.sum(grad * d)) for d in directions])
    if right is not None and answers_probes(base, numeric_d, directions, *right):
        return Diagnosis("inconsistent_forward", f"{function}: your {source} is right at "
                         "a hidden input but changes like another function next to it, so its "
                         "finite differences can't be trusted. Compute the "
                         f"{source} from its arguments alone, the same way at every input.")
    return analytic, numeric_d


def answers_probes(base, numeric_d, directions, right_value, right_grad):
    """Whether a function right at a point has finite differences there that are not those of
    the right function (it answers the points next to it differently)."""
    if abs(base - right_value) > REF_RTOL * max(abs(right_value), 1e-8):
        return False
    slopes = np.array([float(np.sum(right_grad * d)) for d in directions])
    return bool(np.max(np.abs(numeric_d - slopes)) > FD_RTOL * np.max(np.abs(slopes)) + 1e-8)


# ------------------------------------------------------------------------------ operations

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
        return None, Diagnosis("wrong_count", f"{function} returned {len(grads)} gradient(s), "
                               f"but {name}.forward takes {count} input(s): return one gradient "
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
    values = grads_ok = stored_ok = structure_ok = n_grads = 0
    bad_value, bad_grad, bad_stored, bad_structure = (Findings() for _ in range(4))
    for case in OP_CASES:
        args, g = op_inputs(judge, name, case)
        ref_value, ref_grads = reference_op(name, args, g)
        run = OpRun(judge, name, args, g)
        n_grads += len(names)
        if run.error is not None:
            for found in (bad_value, bad_grad, bad_stored, bad_structure):
                found.add(run.error)
            continue
        values += bad_value.add(diagnose(run.value, ref_value, function=name,
                                         check=f"reference ({case})", what="output",
                                         rtol=REF_RTOL), run.value, ref_value)
        stored_ok += bad_stored.add(stored_value(run, name))
        grads, structure = split_grads(run.grads, name, len(names))
        structure_ok += bad_structure.add(structure)
        if grads is None:
            bad_grad.add(structure)
            continue
        swap = swapped(grads, ref_grads, name)
        for k, (got, expected, argname) in enumerate(zip(grads, ref_grads, names)):
            what, check = "d" + argname, f"reference ({case})"
            d = swap or diagnose(got, expected, function=f"{name}.backward", check=check,
                                 what=what, rtol=EXACT_RTOL, atol=0.0)
            if not d.ok:
                d = (slip(got, name, k, args, ref_value, g) or
                     not_derived(got, expected, name, what, check) or d)
            grads_ok += bad_grad.add(d, got, expected)
    total = len(OP_CASES)
    numerical = next((unpaid(OP_FD_TITLE, 3, d) for d in bad_grad.verdicts()
                      if d.kind == "not_derived"), None)
    if numerical is not None:
        # A backward made of finite differences is one everywhere, but on a single scalar its
        # error (about 1e-10, partly rounding) now and then lands within EXACT_RTOL by luck:
        # one case found out decides them all, so the score does not depend on the seed.
        grads_ok = 0
    structure_check = value_check(
        "backward returns one gradient per input", 1, structure_ok, total,
        bad_structure.verdicts(), ok="backward returns a tuple with one gradient per input.")
    stored_check = value_check("self.value set by calling the op", 1, stored_ok, total,
                               bad_stored.verdicts(),
                               ok="self.value holds the output after every call.")
    return [value_check("forward values on hidden inputs", 4, values, total,
                        bad_value.verdicts()),
            value_check("backward matches the reference gradients", 3, grads_ok, n_grads,
                        bad_grad.verdicts(), "gradients on hidden inputs"),
            numerical or weighted(op_fd_check(judge, name, values > 0), 3),
            structure_check, stored_check]


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
                     f"with the expected gradient only to about {error:.0e}, as finite "
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


OP_FD_TITLE = "backward matches finite differences of your forward"


@one_check(OP_FD_TITLE)
def op_fd_check(judge, name, forward_right):
    """Backward vs finite differences of the student's own forward, on scalars and arrays;
    it pays only when that forward is right on at least one hidden case."""
    names = OPS[name]
    agree = total = 0
    found = Findings()
    rng = judge.rng([23, len(name)])
    for case in (SCALARS, MATRICES):
        args, g = op_inputs(judge, name, case)
        total += len(names)
        run = OpRun(judge, name, args, g)
        if run.error is not None:
            found.add(run.error)
            continue
        grads, structure = split_grads(run.grads, name, len(names))
        if grads is None:
            found.add(structure)
            continue
        for k, (grad, argname) in enumerate(zip(grads, names)):
            agree += found.add(op_fd_verdict(judge, name, args, g, k, grad, argname, rng, case))
    if agree and not forward_right:
        return unpaid(OP_FD_TITLE, 0, not_right_yet(name, agree, total))
    return value_check(OP_FD_TITLE, 0, agree, total, found.verdicts(), "gradients",
                       ok="every gradient agrees with finite differences of your own forward.")


def op_fd_verdict(judge, name, args, g, k, grad, argname, rng, case):
    function, x = f"{name}.backward", args[k]
    got = as_float_array(grad)
    if got is None or got.shape != np.shape(x):
        return diagnose(grad, np.zeros(np.shape(x)), function=function, check="your forward",
                        what="d" + argname)

    def F(t):
        new = list(args)
        new[k] = t
        return weighted_sum(student_output(judge, name, new), g, name)
    ref_value, ref_grads = reference_op(name, args, g)
    pairs = probed_derivatives(F, x, got, rng, name,
                               right=(float(np.sum(ref_value * g)), ref_grads[k]))
    if not isinstance(pairs, tuple):
        return pairs
    analytic, numeric_d = pairs
    return fd_verdict(analytic, numeric_d, function=function,
                      check=f"finite differences of your forward ({case})", what="d" + argname,
                      rtol=FD_RTOL, atol=1e-8)


# ------------------------------------------------------------------ the lecture's example

EXAMPLE = "example_forward_backward"
CONTRACT_POINT = (2.0, 3.0)
WHATS = ("y", "dy_dx", "dy_dz")


def example_points(judge):
    """Three hidden points, one on each side of x = 1 and one beyond e, z of a fixed sign in
    each (x > 0, x != 1, z != 0, and |xz| small enough for exp)."""
    rng = judge.rng([29])
    return [(float(rng.uniform(0.3, 0.8)), float(rng.uniform(0.5, 2.0))),
            (float(rng.uniform(1.3, 2.5)), float(-rng.uniform(0.4, 1.5))),
            (float(rng.uniform(2.8, 4.0)), float(rng.uniform(0.3, 1.0)))]


def example_paths(x, z):
    """Each path's contribution to dy/dx and to dy/dz (they add up to the reference's)."""
    a, b = x * z, np.log(x)
    c, d = np.sin(b), np.exp(a)
    dx = {"d = exp(a)": d * z, "e = a/b via a": z / b, "e = a/b via b": -a / b**2 / x,
          "f = c/a via a": -c / a**2 * z, "f = c/a via c": np.cos(b) / a / x}
    dz = {"d = exp(a)": d * x, "e = a/b via a": x / b, "f = c/a via a": -c / a**2 * x}
    return dx, dz


def example_result(judge, x, z):
    """(three floats or None, Diagnosis of a bad result or None)."""
    result = judge.call(EXAMPLE, x, z)
    if isinstance(result, StudentError):
        return None, failure(result, EXAMPLE, "(y, dy_dx, dy_dz)")
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        count = f"{len(result)} values" if isinstance(result, (tuple, list)) else \
            f"a single {type(result).__name__}"
        return None, Diagnosis("wrong_structure", f"{EXAMPLE} must return three numbers (y, "
                               f"dy_dx, dy_dz); it returned {count}.")
    if not all(numeric(v) and np.ndim(v) == 0 for v in result):
        return result, Diagnosis("not_numeric", f"{EXAMPLE} must return three numbers (y, "
                                 "dy_dx, dy_dz); one of them is not a single number.")
    return tuple(float(v) for v in result), None


def example_verdicts(result, ref, x, z, label):
    """One Diagnosis per value of (y, dy_dx, dy_dz) against the reference ``ref`` at (x, z)."""
    verdicts = [diagnose(result[0], ref[0], function=EXAMPLE, check=label, what="y",
                         rtol=REF_RTOL)]
    for got, expected, contributions, what in zip(result[1:], ref[1:], example_paths(x, z),
                                                  WHATS[1:]):
        verdicts.append(diagnose_missing_path(got, expected, contributions, function=EXAMPLE,
                                              check=label, what=what, rtol=REF_RTOL))
    return verdicts


EXAMPLE_FD_TITLE = "gradients match finite differences of your y"


def check_example(judge):
    contract_ok = hidden_ok = fd_ok = structure_ok = y_right = 0
    bad_contract, bad_hidden, bad_fd, bad_structure = (Findings() for _ in range(4))
    points = [CONTRACT_POINT] + example_points(judge)
    rng = judge.rng([31])
    for i, (x, z) in enumerate(points):
        label = "reference at x=2, z=3" if i == 0 else "reference at a hidden point"
        found = bad_contract if i == 0 else bad_hidden
        result, problem = example_result(judge, x, z)
        structure_ok += bad_structure.add(problem)
        if problem is not None:
            found.add(problem)
            bad_fd.add(problem)
            continue
        ref = solutions.example_forward_backward(x, z)
        verdicts = example_verdicts(result, ref, x, z, label)
        ok = sum([found.add(v, got, want) for v, got, want in zip(verdicts, result, ref)])
        if i == 0:
            contract_ok = ok
        else:
            hidden_ok += ok
            y_right += verdicts[0].ok
        for k, what in ((0, "dy_dx"), (1, "dy_dz")):
            fd_ok += bad_fd.add(example_fd(judge, result, ref, x, z, k, what, rng))
    structure = value_check("returns (y, dy_dx, dy_dz)", 1, structure_ok, len(points),
                            bad_structure.verdicts(), "calls", ok="returns three numbers.")
    if fd_ok and not y_right:
        fd = unpaid(EXAMPLE_FD_TITLE, 3, not_right_yet(EXAMPLE, fd_ok, 2 * len(points), "y"))
    else:
        fd = value_check(EXAMPLE_FD_TITLE, 3, fd_ok, 2 * len(points), bad_fd.verdicts(),
                         "gradients (at x=2, z=3 and hidden points)")
    return [value_check("values at x=2, z=3", 3, contract_ok, 3, bad_contract.verdicts(),
                        "values (y, dy_dx, dy_dz)"),
            value_check("values at hidden points", 4, hidden_ok, 3 * (len(points) - 1),
                        bad_hidden.verdicts(), "values at hidden points"),
            fd, structure]


def example_fd(judge, result, ref, x, z, k, what, rng):
    point = [x, z]

    def F(t):
        new = list(point)
        new[k] = float(t)
        value, problem = example_result(judge, *new)
        if problem is not None:
            raise Unusable(problem)
        return value[0]
    pairs = probed_derivatives(F, point[k], result[1 + k], rng, EXAMPLE, "y",
                               right=(ref[0], ref[1 + k]))
    if not isinstance(pairs, tuple):
        return pairs
    analytic, numeric_d = pairs
    paths = {name: np.array([part]) for name, part in example_paths(x, z)[k].items()}
    return fd_verdict(analytic, numeric_d, paths, function=EXAMPLE,
                      check="finite differences of your y", what=what, rtol=FD_RTOL, atol=1e-8)


# ----------------------------------------------------------------------- numerical_gradient

NG = "numerical_gradient"
NG_CASES = (("cube_sum", (5,)), ("sin_times_x", (3, 4)), ("quartic_coupled", (2, 3, 2)),
            ("log_sum_exp", (6,)))


def analytic_gradient(fname, x):
    if fname == "cube_sum":
        return 3 * x**2
    if fname == "sin_times_x":
        return np.sin(x) + x * np.cos(x)
    if fname == "quartic_coupled":
        flat = np.ravel(x)
        g = flat**3
        g[:-1] += flat[1:]
        g[1:] += flat[:-1]
        return g.reshape(x.shape)
    if fname == "log_sum_exp":
        e = np.exp(x - np.max(x))
        return e / e.sum()
    raise KeyError(fname)


def differences(f, x, h):
    """(central, forward, backward) differences of f at x with step h, in the judge."""
    out = [np.zeros(x.shape) for _ in range(3)]
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        fp, fm, f0 = f(plus), f(minus), f(x)
        out[0][i], out[1][i], out[2][i] = (fp - fm) / (2 * h), (fp - f0) / h, (f0 - fm) / h
    return out


def roundoff(f, x, h):
    """A bound on the rounding error of a difference quotient of f at x with step h."""
    scale = max(abs(f(x)), float(np.sum(np.abs(x) ** 3)), 1.0)
    return 1e-12 + 64 * np.finfo(float).eps * scale / h


def one_sided(got, f, x, h):
    """A Diagnosis when got is the forward or backward difference of f at x with step h."""
    got = as_float_array(got)
    if got is None or got.shape != x.shape:
        return None
    _, fwd, bwd = differences(f, x, h)
    tol = roundoff(f, x, h)
    for name, other in (("forward", fwd), ("backward", bwd)):
        if np.max(np.abs(got - other)) <= tol:
            return Diagnosis("one_sided_differences", f"{NG}: your gradient is a one-sided "
                             f"({name}) difference quotient. The contract asks for central "
                             "differences: evaluate f on both sides of x, one step h away each, "
                             "which is far more accurate for the same h.")
    return None


def slipped_differences(f, x, h):
    """What central differences with step h give under the usual slips, by kind: each entry of
    x left moved by -h after its turn, and every entry moved at once."""
    moved, unrestored = x.copy(), np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        moved[i] += h
        fp = f(moved)
        moved[i] -= 2 * h
        unrestored[i] = (fp - f(moved)) / (2 * h)
    return {"x_not_restored": unrestored,
            "moves_every_entry": np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))}


SLIPPED_DIFFERENCES = {
    "x_not_restored": "your gradient is what central differences give when each entry of x is "
                      "left moved after its turn, so that the next entries are taken at a "
                      "shifted point. Put each entry back before moving the next one.",
    "moves_every_entry": "your gradient has one same value in every entry: the slope of f when "
                         "every entry of x moves at once. Move one entry at a time (x + h moves "
                         "them all).",
}


def ng_slip(got, f, x, h):
    """A Diagnosis when got is what one of the usual slips gives, or None."""
    got = as_float_array(got)
    if got is None or got.shape != x.shape:
        return None
    for kind, slipped in slipped_differences(f, x, h).items():
        if np.max(np.abs(got - slipped)) <= roundoff(f, x, h):
            return Diagnosis(kind, f"{NG}: {SLIPPED_DIFFERENCES[kind]}")
    return None


def ng_inputs(judge, index, shape):
    return judge.rng([37, index]).uniform(-1.5, 1.5, shape)


def ng_call(judge, fname, x, **kwargs):
    """(result, x as the student left it) or (StudentError, None)."""
    outcome = judge.call(NG, Probe(fname), x, echo_args=True, **kwargs)
    if isinstance(outcome, StudentError):
        return outcome, None
    result, after = outcome
    return result, (after[1] if after and len(after) > 1 else None)


def ng_tolerance(fname, x):
    """How far a central difference with the default step may be from the exact gradient of a
    probe function at x: its truncation error (h**2 f'''/6, below 1e-9 for these functions and
    x) and rounding. Far tighter than a one-sided difference's error, whatever x is drawn."""
    return 1e-9 + roundoff(probes.PROBES[fname], x, 1e-5)


def check_numerical_gradient(judge):
    values = shapes = ran = 0
    bad_value, bad_shape = Findings(), Findings()
    mutated = None
    for index, (fname, shape) in enumerate(NG_CASES):
        x = ng_inputs(judge, index, shape)
        result, after = ng_call(judge, fname, x.copy())
        if isinstance(result, StudentError):
            d = failure(result, NG, "gradient")
            bad_value.add(d)
            bad_shape.add(d)
            continue
        ran += 1
        mutated = mutated or first_mutation([x], [after], NG, ["x"])
        expected = analytic_gradient(fname, x)
        d = diagnose(result, expected, function=NG, check="the exact gradient of a hidden "
                     f"function ({len(shape)}-D x)", what="grad", rtol=0.0,
                     atol=ng_tolerance(fname, x))
        if not d.ok:
            d = (one_sided(result, probes.PROBES[fname], x, 1e-5) or
                 ng_slip(result, probes.PROBES[fname], x, 1e-5) or d)
        values += bad_value.add(d, result, expected)
        good_shape = numeric(result) and np.shape(result) == x.shape
        shapes += good_shape
        if not good_shape:
            bad_shape.add(diagnose(result, expected, function=NG, check="x", what="grad"))
    total = len(NG_CASES)
    central, h_used, more_ran, more_mutated = check_central_and_step(judge)
    shape_check = value_check("result has the shape of x", 1, shapes, total,
                              bad_shape.verdicts(),
                              ok="the gradient has the shape of x for 1-D, 2-D and 3-D x.")
    first = next(iter(bad_value.verdicts()), None)
    return [value_check("matches the gradient of hidden functions", 4, values, total,
                        bad_value.verdicts()),
            weighted(central, 3), h_used, shape_check,
            mutation_check(mutated or more_mutated, NG, 1, ran + more_ran, first)]


def check_central_and_step(judge):
    """Central differences (cube_sum, h=0.1: exactly 3x^2 + h^2) and the step h used."""
    f = probes.cube_sum
    x = ng_inputs(judge, 10, (6,))
    ran, mutated = 0, None
    result, after = ng_call(judge, "cube_sum", x.copy(), h=0.1)
    if isinstance(result, StudentError):
        d = failure(result, NG, "gradient")
        central = Check("central differences", 0, 0.0, d.message, d.kind)
    else:
        ran += 1
        mutated = first_mutation([x], [after], NG, ["x"])
        d = diagnose(result, 3 * x**2 + 0.01, function=NG, check="central differences with "
                     "h=0.1 (exact for a cubic up to h**2)", what="grad", rtol=1e-10,
                     atol=roundoff(f, x, 0.1))
        if not d.ok and ignored_step(result, f, x, 0.1):
            d = Diagnosis("ok", "your differences are central (the step is another check).")
        elif not d.ok:
            d = (one_sided(result, f, x, 0.1) or one_sided(result, f, x, 1e-5) or
                 ng_slip(result, f, x, 0.1) or d)
        central = Check("central differences", 0, float(d.ok), "your differences are central."
                        if d.ok else d.message, d.kind)
    passed, found = 0, Findings()
    for h in (1e-3, 1e-2):  # steps whose truncation error is far above the default step's
        result, after = ng_call(judge, "cube_sum", x.copy(), h=h)
        if isinstance(result, StudentError):
            found.add(failure(result, NG, "gradient"))
            continue
        ran += 1
        mutated = mutated or first_mutation([x], [after], NG, ["x"])
        passed += found.add(step_verdict(result, f, x, h))
    h_used = value_check("uses the step h it is given", 2, passed, 2, found.verdicts(), "steps",
                         ok="with h=1e-3 and h=1e-2 your gradient has the truncation error of "
                            "that step.")
    return central, h_used, ran, mutated


def step_verdict(result, f, x, h):
    """ok when result is a difference quotient with step h (central, one-sided or slipped:
    those mistakes are other checks')."""
    got = as_float_array(result)
    tol = roundoff(f, x, h)
    if got is None or got.shape != x.shape:
        return diagnose(result, 3 * x**2, function=NG, check=f"h={h:g}", what="grad")
    for quotient in [*differences(f, x, h), *slipped_differences(f, x, h).values()]:
        if np.max(np.abs(got - quotient)) <= tol:
            return Diagnosis("ok", "uses h.")
    return ignored_step(got, f, x, h) or wrong_step(got, x, h)


def ignored_step(got, f, x, h):
    """A Diagnosis when got is the central difference with the default step, not with h."""
    got = as_float_array(got)
    if got is None or got.shape != x.shape:
        return None
    if np.max(np.abs(got - differences(f, x, 1e-5)[0])) <= roundoff(f, x, 1e-5):
        return Diagnosis("ignores_h", f"{NG}: called with h={h:g}, your gradient has the "
                         "truncation error of the default step instead. Use the argument h "
                         "for the step (both to move x and to divide by), not a fixed number.")
    return None


def wrong_step(got, x, h):
    return Diagnosis("wrong_step", f"{NG}: called with h={h:g}, your gradient does not have the "
                     "truncation error a difference quotient with that step has (relative "
                     f"error {np.max(np.abs(got - 3 * x**2)) / np.max(3 * x**2):.1e} against "
                     "the exact gradient). Move x by exactly h on each side and divide by the "
                     "distance between the two points.")


# ------------------------------------------------------------ the engine: topological order

TOPO = "topological_order"
DEEP_TOPO = 5000  # past the child's recursion limit: a recursive search can't finish it

# Hidden DAGs {name: parents}, each listed in the dict's order on purpose. An order has no
# numbers, so every student gets the same graphs; each case exercises one behaviour.
TOPO_CASES = {
    "a diamond": {"x": (), "a": ("x",), "b": ("x",), "y": ("a", "b")},
    "a graph with several inputs, listed children first": {
        "out": ("r", "w"), "r": ("p", "q", "u"), "q": ("v", "w"), "p": ("u", "v"),
        "w": (), "v": (), "u": ()},
    "a node with many users": {
        "u3": ("h",), "y": ("u1", "u2", "u3", "u4", "h"), "u1": ("h", "x"), "x": (),
        "u4": ("h",), "h": ("x",), "u2": ("h",)},
    "a node whose parent appears twice": {"y": ("sq", "x"), "x": (), "sq": ("x", "x")},
    "the lecture's graph, scrambled": {
        "y": ("s", "f"), "s": ("d", "e"), "f": ("c", "a"), "e": ("a", "b"), "c": ("b",),
        "d": ("a",), "b": ("x",), "a": ("x", "z"), "x": (), "z": ()},
}


def is_topological(order, parents):
    """Whether ``order`` lists every name of ``parents`` once, each after its parents."""
    if sorted(order) != sorted(parents):
        return False
    position = {name: i for i, name in enumerate(order)}
    return all(position[p] < position[n] for n, ps in parents.items() for p in ps)


def names_only(order):
    return isinstance(order, (list, tuple)) and all(isinstance(n, str) for n in order)


def topo_verdict(order, parents, case):
    """The Diagnosis of what ``topological_order`` returned for ``parents``."""
    where = f"{TOPO} on {case}"
    if not names_only(order):
        return Diagnosis("wrong_structure", f"{where}: it must return a list of the node "
                         f"names; it returned {type(order).__name__} holding something else.")
    names, listed = set(parents), set(order)
    if listed - names:
        return Diagnosis("unknown_nodes", f"{where}: your order holds {len(listed - names)} "
                         "name(s) that are not nodes of the graph. List the keys of parents.")
    if names - listed:
        return Diagnosis("missing_nodes", f"{where}: your order leaves out "
                         f"{len(names - listed)} of the {len(names)} nodes. Every node must "
                         "appear, inputs included, and so must a node one of whose parents "
                         "appears twice in its tuple (count each parent once).")
    if len(order) != len(listed):
        return Diagnosis("duplicate_nodes", f"{where}: your order lists some node more than "
                         "once. Place a node once, when all of its parents are placed (not "
                         "once per user or per parent).")
    if is_topological(order, parents):
        return Diagnosis("ok", f"{where}: a valid order.")
    if list(order) == list(parents):
        return Diagnosis("insertion_order", f"{where}: your order is the order the dict lists "
                         "the nodes in, and here some node is listed before its parents. Place "
                         "a node only once all of its parents are placed.")
    if is_topological(list(reversed(order)), parents):
        return Diagnosis("reversed_order", f"{where}: every node comes before its parents, "
                         "the reverse of a topological order (it is the order the backward "
                         "pass visits). Return the forward order: parents first.")
    return Diagnosis("parent_after_child", f"{where}: some node comes before one of its "
                     "parents. A node may be placed only when every one of its parents is "
                     "already placed.")


def deep_recursion(function, size):
    return Diagnosis("deep_recursion", f"{function} on a chain of {size:,} nodes raised "
                     "RecursionError: a recursion as deep as the graph is long goes past "
                     "Python's limit. Keep your own list of nodes to visit (a loop), not the "
                     "call stack.")


def deep_failure(err, function, size, what):
    if isinstance(err, StudentError) and err.is_a("RecursionError"):
        return deep_recursion(function, size)
    return failure(err, function, what)


def chain_parents(size):
    """A chain n0 -> n1 -> ... listed from its end back to its start."""
    return {f"n{i}": (f"n{i - 1}",) if i else () for i in reversed(range(size))}


def check_topological_order(judge):
    valid = structure = ran = 0
    bad, bad_structure = Findings(), Findings()
    mutated = None
    for case, parents in TOPO_CASES.items():
        outcome = judge.call(TOPO, dict(parents), echo_args=True)
        if isinstance(outcome, StudentError):
            d = failure(outcome, TOPO, "order")
            bad.add(d)
            bad_structure.add(d)
            continue
        order, after = outcome
        ran += 1
        if after is not None and after[0] != parents:
            mutated = mutated or Diagnosis("input_mutated", f"{TOPO}: your function changed "
                                           "its argument parents (removed or changed an "
                                           "entry), and the contract says no function "
                                           "modifies its arguments. Keep your own counts or "
                                           "copies.")
        structure += bad_structure.add(Diagnosis("ok", "") if names_only(order) else
                                       topo_verdict(order, parents, case))
        valid += bad.add(topo_verdict(order, parents, case))
    total = len(TOPO_CASES)
    first = next(iter(bad.verdicts()), None)
    return [value_check("valid order on hidden graphs", 4, valid, total, bad.verdicts(),
                        "hidden graphs", ok="every node once, each after its parents, on "
                        f"all {total} hidden graphs."),
            deep_topo_check(judge),
            value_check("returns a list of names", 1, structure, total,
                        bad_structure.verdicts(), ok="returns a list of node names."),
            mutation_check(mutated, TOPO, 1, ran, first)]


DEEP_TOPO_TITLE = f"a chain of {DEEP_TOPO:,} nodes"


@one_check(DEEP_TOPO_TITLE)
def deep_topo_check(judge):
    parents = chain_parents(DEEP_TOPO)
    order = judge.call(TOPO, parents)
    if isinstance(order, StudentError):
        d = deep_failure(order, TOPO, DEEP_TOPO, "order")
    else:
        d = topo_verdict(order, parents, f"a chain of {DEEP_TOPO:,} nodes")
    return value_check(DEEP_TOPO_TITLE, 2, int(d.ok), 1, d,
                       ok="a valid order, with no recursion as deep as the graph.")


# ------------------------------------------------------------------ the engine: backward pass

BACKWARD = "backward_pass"
DEEP_BACKWARD = 4000
GRAPH_NODES = Probe("graph_nodes")
SMALL = (((0.3, 0.6), (0.8, 1.1)), (1, -1))  # inputs of sin, exp and times: cos, exp, and
                                              # every product stay away from 0 and from 1

# Hidden graphs of the grader's own ops (probes.graph_nodes): (shape of the values, inputs,
# [[name, op, parents]] parents first, the dict's listing, the output). The numbers are
# drawn by recipe; the structure and the listing are fixed.
BACKWARD_CASES = {
    "the lecture's graph (scalars, listed scrambled)": (
        (), ("x", "z"),
        [["a", "times", ["x", "z"]], ["b", "sin", ["x"]], ["c", "sin", ["b"]],
         ["d", "exp", ["a"]], ["e", "times", ["a", "b"]], ["f", "times", ["c", "a"]],
         ["s", "plus", ["d", "e"]], ["y", "plus", ["s", "f"]]],
        ["y", "s", "f", "e", "c", "d", "b", "a", "x", "z"], "y"),
    "a node with two users and nodes that can't reach the output (arrays)": (
        (4,), ("x", "w"),
        [["u", "exp", ["x"]], ["v", "sin", ["x"]], ["y", "times", ["u", "v"]],
         ["side", "exp", ["w"]], ["after", "sin", ["y"]]],
        ["x", "w", "u", "v", "side", "y", "after"], "y"),
    "an array handed to two parents (arrays)": (
        (3,), ("x", "w"),
        [["a", "times", ["x", "w"]], ["s", "plus", ["a", "x"]], ["b", "sin", ["a"]],
         ["y", "times", ["s", "b"]]],
        ["x", "w", "a", "s", "b", "y"], "y"),
    "a node used before its last user in the listing": (
        (), ("x",),
        [["m", "sin", ["x"]], ["a", "exp", ["m"]], ["b", "sin", ["a"]],
         ["y", "times", ["b", "m"]]],
        ["y", "m", "b", "a", "x"], "y"),
    "a node with four users and several inputs (arrays)": (
        (2, 3), ("p", "q", "r"),
        [["h", "times", ["p", "q"]], ["u1", "sin", ["h"]], ["u2", "exp", ["h"]],
         ["u3", "times", ["h", "r"]], ["t1", "plus", ["u1", "u2"]],
         ["t2", "times", ["u3", "h"]], ["y", "plus", ["t1", "t2"]]],
        ["h", "u1", "t2", "y", "u2", "p", "u3", "q", "t1", "r"], "y"),
}


def graph_spec(judge, index, shape, inputs, ops, listing):
    rng = judge.rng([41, index])
    return {"values": {name: drawn(rng, shape, *SMALL) for name in inputs},
            "ops": ops, "listing": listing}


def chain_spec(judge):
    """x0 times k, DEEP_BACKWARD times over: k has that many users; listed from the end."""
    rng = judge.rng([43])
    ops = [[f"n{i}", "times", [f"n{i - 1}" if i > 1 else "x0", "k"]]
           for i in range(1, DEEP_BACKWARD + 1)]
    return {"values": {"x0": drawn(rng, (), *SMALL),
                       "k": drawn(rng, (), ((0.9996, 0.9999),), (1,))},
            "ops": ops, "listing": [op[0] for op in reversed(ops)] + ["k", "x0"]}


def reaching(nodes, output):
    """The names from which ``output`` can be reached (itself included)."""
    found, stack = {output}, [output]
    while stack:
        for parent in nodes[stack.pop()][1]:
            if parent not in found:
                found.add(parent)
                stack.append(parent)
    return found


def shapes_of(spec):
    nodes = probes.graph_nodes(spec)
    return {name: np.shape(spec["values"][name] if op is None else op.value)
            for name, (op, _) in nodes.items()}


def same_grad(got, expected, shape):
    """Whether the student's gradient equals the expected one (either may be a scalar that
    broadcasts to the node's shape)."""
    got = as_float_array(got)
    if got is None:
        return False
    try:
        got = np.broadcast_to(got, shape)
    except ValueError:
        return False
    expected = np.broadcast_to(np.asarray(expected, dtype=np.float64), shape)
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    return bool(np.allclose(got, expected, rtol=1e-9, atol=1e-12 * scale))


def same_grads(got, expected, needed, shapes):
    """Whether two grads dicts agree on every name of ``needed`` (absent from both, or equal)."""
    return all((name in got) == (name in expected) and
               (name not in got or same_grad(got[name], expected[name], shapes[name]))
               for name in needed)


def engine(spec, output, visit, mode="add"):
    """What a backward pass visiting ``visit`` once each gives on fresh ops, with ``mode``:
    "add" (right), "overwrite" (= where += belongs), "in_place" (+= into the array stored),
    "local" (each backward called with 1.0, not the node's gradient)."""
    nodes = probes.graph_nodes(spec)
    grads = {output: 1.0}
    for name in visit:
        op, parents = nodes[name]
        if op is None or name not in grads:
            continue
        upstream = 1.0 if mode == "local" else grads[name]
        for parent, share in zip(parents, op.backward(upstream)):
            if parent not in grads or mode == "overwrite":
                grads[parent] = share
            elif mode == "in_place" and isinstance(grads[parent], np.ndarray):
                grads[parent] += share
            else:
                grads[parent] = grads[parent] + share
    return grads


def eager_engine(spec, output):
    """The recursive backward pass that passes a node's gradient on each time a user adds to
    it, before the other users have (micrograd's first bug report)."""
    nodes = probes.graph_nodes(spec)
    grads = {output: 1.0}

    def send(name):
        op, parents = nodes[name]
        if op is None:
            return
        for parent, share in zip(parents, op.backward(grads[name])):
            grads[parent] = grads[parent] + share if parent in grads else share
            send(parent)
    send(output)
    return grads


def topological_orders(parents, limit=300):
    """Up to ``limit`` topological orders of a small graph {name: parents}."""
    found = []

    def extend(order, placed):
        if len(found) >= limit:
            return
        if len(order) == len(parents):
            found.append(list(order))
            return
        for name, ps in parents.items():
            if name not in placed and all(p in placed for p in ps):
                extend(order + [name], placed | {name})
    extend([], frozenset())
    return found


def wrong_orders(parents, listing, output):
    """Visit orders that are not reverse topological: every one for a small graph, else the
    usual ones (the listing either way, breadth and depth first from the output)."""
    names = [n for n in listing if n in parents]
    if len(names) <= 7:
        return itertools.permutations(names)
    breadth, seen = [output], {output}
    for name in breadth:
        for p in parents[name]:
            if p not in seen:
                seen.add(p)
                breadth.append(p)
    depth, seen, stack = [], set(), [output]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            depth.append(name)
            stack.extend(parents[name])
    return [names, names[::-1], breadth, depth]


SLIPPED_ENGINES = {
    "overwrote_gradient": "your gradients are what the backward pass gives when each "
    "contribution is stored with = instead of added: a node with several users keeps only the "
    "share of the last user visited, and the nodes it comes from inherit the error. Add the "
    "contributions of all users (the sum over paths).",
    "added_in_place": "your gradients are what the backward pass gives when a contribution is "
    "added in place (+= on the array stored, or out=) into an array that is also another "
    "node's gradient: an op's backward may hand one array object to two parents, and adding "
    "into it changes both. Make a new array when you add (g = g + share).",
    "ignores_upstream": "your gradients are what the backward pass gives when every op's "
    "backward is called with 1.0 instead of the gradient its node has collected: the chain "
    "rule multiplies by the upstream gradient.",
    "not_reverse_topological": "your gradients are what the backward pass gives when it visits "
    "the nodes in an order that is not reverse topological: some node passed its gradient on "
    "before all of its users had added their shares. Visit the nodes in the reverse of a "
    "topological order, so that each node's gradient is complete when it is passed on.",
}


def slipped_engines(spec, output, needed, small=True):
    """(kind, grads) of the usual wrong backward passes on the graph ``spec``."""
    nodes = probes.graph_nodes(spec)
    parents = {name: nodes[name][1] for name in needed}
    forward = (topological_orders(parents) if small else
               [solutions.topological_order(parents)])
    for mode, kind in (("overwrite", "overwrote_gradient"), ("in_place", "added_in_place")):
        for order in forward:
            yield kind, engine(spec, output, order[::-1], mode)
    yield "ignores_upstream", engine(spec, output, forward[0][::-1], "local")
    if small:
        yield "not_reverse_topological", eager_engine(spec, output)
        for order in wrong_orders(parents, spec["listing"], output):
            yield "not_reverse_topological", engine(spec, output, order)


def grads_verdict(grads, spec, output, case, small=True):
    """The Diagnosis of a grads dict the student's backward_pass returned for ``spec``."""
    where = f"{BACKWARD} on {case}"
    nodes = probes.graph_nodes(spec)
    needed, shapes = reaching(nodes, output), shapes_of(spec)
    if not (isinstance(grads, dict) and all(isinstance(k, str) for k in grads)):
        return Diagnosis("wrong_structure", f"{where}: it must return a dict from node names "
                         f"to gradients; it returned {type(grads).__name__}.")
    expected = solutions.backward_pass(nodes, output)
    wrong = [n for n in needed if n not in grads or
             not same_grad(grads[n], expected[n], shapes[n])]
    if not wrong:
        return Diagnosis("ok", f"{where}: every gradient is right.")
    for kind, slipped in slipped_engines(spec, output, needed, small):
        if not same_grads(expected, slipped, needed, shapes) and \
                same_grads(grads, slipped, needed, shapes):
            return Diagnosis(kind, f"{where}: {SLIPPED_ENGINES[kind]}")
    missing = [n for n in wrong if n not in grads]
    if missing:
        return Diagnosis("missing_gradient", f"{where}: {len(missing)} of the {len(needed)} "
                         "nodes from which the output can be reached have no gradient in your "
                         "dict. Every node on a path to the output gets one, inputs included.")
    return Diagnosis("wrong_values", f"{where}: the gradients of {len(wrong)} of the "
                     f"{len(needed)} nodes that reach the output are wrong.")


def keys_verdict(grads, spec, output, case):
    """The Diagnosis of which names the grads dict holds, and of grads[output]."""
    where = f"{BACKWARD} on {case}"
    if not isinstance(grads, dict):
        return Diagnosis("wrong_structure", f"{where}: it must return a dict.")
    nodes = probes.graph_nodes(spec)
    if output not in grads or not same_grad(grads[output], 1.0, shapes_of(spec)[output]):
        return Diagnosis("output_not_one", f"{where}: grads[output] must be 1.0, the "
                         "derivative of the output with respect to itself, where the backward "
                         "pass starts.")
    extra = set(grads) - reaching(nodes, output)
    if extra:
        return Diagnosis("unreachable_present", f"{where}: your dict holds {len(extra)} "
                         "node(s) from which the output can't be reached (a node that does not "
                         "lead to the output, or one computed from it). The contract leaves "
                         "them out: give gradients only to nodes on a path to the output.")
    return Diagnosis("ok", f"{where}: the right names.")


def run_backward(judge, spec, output):
    """The student's grads for the graph ``spec`` built in the child, or a StudentError."""
    made = judge.call(GRAPH_NODES, spec, keep=True)
    if isinstance(made, StudentError):
        return made
    return judge.call(BACKWARD, made[0], output)


def check_backward_pass(judge):
    right = keys_ok = 0
    bad, bad_keys = Findings(), Findings()
    for index, (case, (shape, inputs, ops, listing, output)) in \
            enumerate(BACKWARD_CASES.items()):
        spec = graph_spec(judge, index, shape, inputs, ops, listing)
        grads = run_backward(judge, spec, output)
        if isinstance(grads, StudentError):
            d = failure(grads, BACKWARD, "gradients")
            bad.add(d)
            bad_keys.add(d)
            continue
        right += bad.add(grads_verdict(grads, spec, output, case))
        keys_ok += bad_keys.add(keys_verdict(grads, spec, output, case))
    total = len(BACKWARD_CASES)
    return [value_check("gradients on hidden graphs", 4, right, total, bad.verdicts(),
                        "hidden graphs", ok=f"every gradient right on all {total} hidden "
                        "graphs."),
            deep_backward_check(judge),
            value_check("holds exactly the nodes that reach the output", 1, keys_ok, total,
                        bad_keys.verdicts(), "hidden graphs", ok="grads[output] is 1.0 and "
                        "the dict holds exactly the nodes that reach the output.")]


DEEP_BACKWARD_TITLE = f"gradients along a chain of {DEEP_BACKWARD:,} nodes"


@one_check(DEEP_BACKWARD_TITLE)
def deep_backward_check(judge):
    spec, output = chain_spec(judge), f"n{DEEP_BACKWARD}"
    grads = run_backward(judge, spec, output)
    if isinstance(grads, StudentError):
        d = deep_failure(grads, BACKWARD, DEEP_BACKWARD, "gradients")
    else:
        d = grads_verdict(grads, spec, output, f"a chain of {DEEP_BACKWARD:,} nodes",
                          small=False)
    return value_check(DEEP_BACKWARD_TITLE, 2, int(d.ok), 1, d,
                       ok="every gradient right, with no recursion as deep as the graph.")

def checks():
    """{graded name: check(judge) -> [Check]} for hw1."""
    table = {name: (lambda j, n=name: check_op(j, n)) for name in OPS}
    table[EXAMPLE] = check_example
    table[NG] = check_numerical_gradient
    table[TOPO] = check_topological_order
    table[BACKWARD] = check_backward_pass
    return {name: guarded(check, name) for name, check in table.items()}
