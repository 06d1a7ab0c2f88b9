"""numerical_gradient (hw1): everything the grader knows about it.

Checked on the grader's probe functions (sent into the child, see sandbox/probes.py) at hidden
x of several shapes, against their analytic gradients; then central (not one-sided)
differences, the step ``h`` actually used, the shape of the result, and x left unchanged. A
wrong gradient is matched against what the usual slips give (one-sided quotients, x left
moved after each entry, every entry moved at once, the default step in place of h).
"""
import numpy as np

from ...judging import in_notebook
from ...judging.compare import Slip
from ...judging.described import error_words
from ...judging.diagnose import Diagnosis, diagnose
from ...judging.finite_differences import difference_quotients
from ...judging.grades import CheckSpec
from ...judging.judge import StudentError, as_float_array, failure, numeric
from ...judging.kinds import Kind, declare
from ...judging.tally import Arguments, Tally
from ...sandbox import probes
from ...sandbox.probes import Probe

NG = "numerical_gradient"
NG_CASES = (("cube_sum", (5,)), ("sin_times_x", (3, 4)), ("quartic_coupled", (2, 3, 2)),
            ("log_sum_exp", (6,)))

VALUES = CheckSpec("matches the gradient of hidden functions", "value", 4)
CENTRAL = CheckSpec("central differences", "value", 3)
STEP = CheckSpec("uses the step h it is given", "value", 2)
SHAPE = CheckSpec("result has the shape of x", "shape", 1)
KINDS = declare(
    Kind("one_sided_differences", "a one-sided (forward or backward) difference quotient "
         "where the contract asks for central differences"),
    Kind("x_not_restored", "each entry of x left moved after its turn"),
    Kind("moves_every_entry", "every entry of x moved at once"),
    Kind("ignores_h", "the default step used in place of the argument h"),
)


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


def roundoff(f, x, h):
    """A bound on the rounding error of a difference quotient of f at x with step h."""
    scale = max(abs(f(x)), float(np.sum(np.abs(x) ** 3)), 1.0)
    return 1e-12 + 64 * np.finfo(float).eps * scale / h


def one_sided(got, f, x, h):
    """A Diagnosis when got is the forward or backward difference of f at x with step h."""
    got = as_float_array(got)
    if got is None or got.shape != x.shape:
        return None
    _, fwd, bwd = difference_quotients(f, x, h, one_sided=True)
    tol = roundoff(f, x, h)
    for name, other in (("forward", fwd), ("backward", bwd)):
        if np.max(np.abs(got - other)) <= tol:
            return Diagnosis("one_sided_differences", f"{NG}: your gradient is a one-sided "
                             f"({name}) difference quotient. The contract asks for central "
                             "differences: evaluate f on both sides of x, one step h away each, "
                             "which is far more accurate for the same h.")
    return None


def slipped_differences(f, x, h):
    """What central differences with step h give under the usual slips: each entry of x left
    moved by -h after its turn, and every entry moved at once."""
    moved, unrestored = x.copy(), np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        moved[i] += h
        fp = f(moved)
        moved[i] -= 2 * h
        unrestored[i] = (fp - f(moved)) / (2 * h)
    return [
        Slip("x_not_restored", "your gradient is what central differences give when each "
             "entry of x is left moved after its turn, so that the next entries are taken at "
             "a shifted point. Put each entry back before moving the next one.", unrestored),
        Slip("moves_every_entry", "your gradient has one same value in every entry: the slope "
             "of f when every entry of x moves at once. Move one entry at a time (x + h moves "
             "them all).", np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h)))]


def ng_slip(got, f, x, h):
    """A Diagnosis when got is what one of the usual slips gives, or None."""
    got = as_float_array(got)
    if got is None or got.shape != x.shape:
        return None
    for slip in slipped_differences(f, x, h):
        if np.max(np.abs(got - slip.value)) <= roundoff(f, x, h):
            return Diagnosis(slip.kind, f"{NG}: {slip.message}")
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
    values, shapes = Tally(), Tally()
    arguments = Arguments(NG)
    for index, (fname, shape) in enumerate(NG_CASES):
        x = ng_inputs(judge, index, shape)
        result, after = ng_call(judge, fname, x.copy())
        if isinstance(result, StudentError):
            d = failure(result, NG, "gradient")
            values.add(d)
            shapes.add(d)
            continue
        arguments.saw([x], [after], ["x"])
        expected = analytic_gradient(fname, x)
        d = diagnose(result, expected, function=NG, check="the exact gradient of a hidden "
                     f"function ({len(shape)}-D x)", what="grad", rtol=0.0,
                     atol=ng_tolerance(fname, x))
        if not d.ok:
            d = (one_sided(result, probes.PROBES[fname], x, 1e-5) or
                 ng_slip(result, probes.PROBES[fname], x, 1e-5) or d)
        values.add(d, result, expected)
        good_shape = numeric(result) and np.shape(result) == x.shape
        shapes.add(None if good_shape else
                   diagnose(result, expected, function=NG, check="x", what="grad"))
    central, h_used, more = check_central_and_step(judge)
    arguments.merge(more)
    return [values.check(VALUES), central, h_used,
            shapes.check(SHAPE, ok="the gradient has the shape of x for 1-D, 2-D and 3-D x."),
            arguments.check(values.first())]


def check_central_and_step(judge):
    """Central differences (cube_sum, h=0.1: exactly 3x^2 + h^2) and the step h used."""
    f = probes.cube_sum
    x = ng_inputs(judge, 10, (6,))
    arguments = Arguments(NG)
    result, after = ng_call(judge, "cube_sum", x.copy(), h=0.1)
    if isinstance(result, StudentError):
        central = CENTRAL.failed(failure(result, NG, "gradient"))
    else:
        arguments.saw([x], [after], ["x"])
        d = diagnose(result, 3 * x**2 + 0.01, function=NG, check="central differences with "
                     "h=0.1 (exact for a cubic up to h**2)", what="grad", rtol=1e-10,
                     atol=roundoff(f, x, 0.1))
        if not d.ok and ignored_step(result, f, x, 0.1):
            d = Diagnosis("ok", "your differences are central (the step is another check).")
        elif not d.ok:
            d = (one_sided(result, f, x, 0.1) or one_sided(result, f, x, 1e-5) or
                 ng_slip(result, f, x, 0.1) or d)
        central = CENTRAL.check(float(d.ok), "your differences are central." if d.ok else
                                d.message, d.kind)
    steps = Tally()
    for h in (1e-3, 1e-2):  # steps whose truncation error is far above the default step's
        result, after = ng_call(judge, "cube_sum", x.copy(), h=h)
        if isinstance(result, StudentError):
            steps.add(failure(result, NG, "gradient"))
            continue
        arguments.saw([x], [after], ["x"])
        steps.add(step_verdict(result, f, x, h))
    h_used = steps.check(STEP, "steps", ok="with h=1e-3 and h=1e-2 your gradient has the "
                         "truncation error of that step.")
    return central, h_used, arguments


def step_verdict(result, f, x, h):
    """ok when result is a difference quotient with step h (central, one-sided or slipped:
    those mistakes are other checks')."""
    got = as_float_array(result)
    tol = roundoff(f, x, h)
    if got is None or got.shape != x.shape:
        return diagnose(result, 3 * x**2, function=NG, check=f"h={h:g}", what="grad")
    quotients = [*difference_quotients(f, x, h, one_sided=True),
                 *(slip.value for slip in slipped_differences(f, x, h))]
    for quotient in quotients:
        if np.max(np.abs(got - quotient)) <= tol:
            return Diagnosis("ok", "uses h.")
    return ignored_step(got, f, x, h) or wrong_step(got, x, h)


def ignored_step(got, f, x, h):
    """A Diagnosis when got is the central difference with the default step, not with h."""
    got = as_float_array(got)
    if got is None or got.shape != x.shape:
        return None
    if np.max(np.abs(got - difference_quotients(f, x, 1e-5))) <= roundoff(f, x, 1e-5):
        return Diagnosis("ignores_h", f"{NG}: called with h={h:g}, your gradient has the "
                         "truncation error of the default step instead. Use the argument h "
                         "for the step (both to move x and to divide by), not a fixed number.")
    return None


def wrong_step(got, x, h):
    return Diagnosis("wrong_step", f"{NG}: called with h={h:g}, your gradient does not have the "
                     "truncation error a difference quotient with that step has (relative "
                     f"error {error_words(np.max(np.abs(got - 3 * x**2)) / np.max(3 * x**2))} "
                     "against "
                     "the exact gradient). Move x by exactly h on each side and divide by the "
                     "distance between the two points.")


CHECKS = {NG: check_numerical_gradient}
NOTEBOOK_CHECKS = in_notebook.same_as_reference(
    NG, lambda f, given, seed: f(lambda x: float(np.sum(np.sin(x) * x)), given.params[0]))
