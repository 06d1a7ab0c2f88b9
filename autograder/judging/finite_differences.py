"""Finite differences, once: how the judge differentiates a student's own function.

A backward is checked against central differences (float64, step ``FD_STEP``) of the student's
OWN forward (or loss, or y), so that a backward consistent with its forward is recognised as
such. Every check that does so goes through ``differentiate``:

1. **Probing.** Directions to differentiate along, drawn by one of two policies:
   ``few_directions`` (every coordinate of an input of at most 6 entries, else 6 random unit
   directions, each moving every entry: hw2's and hw3's layers and losses) and
   ``sampled_coordinates`` (every coordinate of an input of at most 120 entries, else 116
   random coordinates and 4 random directions: hw1 and hw4). Either way the cost does not
   grow with the size of an input.
2. **A base point evaluated again.** Every probe of every input is evaluated in one shuffled
   order, between two evaluations of the function at the hidden point itself, which must give
   the same value (``CONSISTENCY``): a function that counts its calls or remembers its inputs
   is caught (``inconsistent_forward``).
3. **Answering the probes.** Where the student's function is right at the hidden point, its
   finite differences must be those of the right function there (``answers_probes``): a
   function right at the point and another next to it is caught too.
4. **The verdict.** ``fd_verdict`` compares the student's gradient along the probes with the
   finite differences (within ``FD_RTOL``, relative to the largest, plus ``FD_ATOL``); a
   function that does not change at all (``forward_ignores_input``) gives nothing to compare.
   Whether agreeing with the student's own function pays is carried.py's rule (error carried
   forward): it pays for an honest attempt, not for a trivial forward.

``difference_quotients`` differentiates along every coordinate, with no probing policy: what a
correct ``numerical_gradient`` returns, and the in-notebook hidden tests' check
(``every_coordinate``), on small inputs.
"""
import numpy as np

from ..sandbox.runner import StudentError
from .diagnose import Diagnosis, diagnose, diagnose_missing_path
from .judge import REF_RTOL, Unusable, as_float_array, failure, not_finite

FD_STEP = 1e-5
FD_RTOL = 1e-6      # a backward vs finite differences of the student's own function
FD_ATOL = 1e-8
CONSISTENCY = 1e-12  # the base point evaluated twice: relative to max(|value|, 1)
FEW = 6              # directions per input of few_directions
MAX_COORDS = 120     # coordinates per input of sampled_coordinates (directions added beyond)


# ------------------------------------------------------------------------------ probing

def few_directions(shape, rng, count=FEW):
    """Unit directions to differentiate along: every coordinate of an input of at most
    ``count`` entries, else ``count`` random directions (each moves every entry)."""
    size = int(np.prod(shape))
    if size <= count:
        return list(np.eye(size).reshape((size, *shape)))
    return [d / np.linalg.norm(d) for d in rng.standard_normal((count, *shape))]


def sampled_coordinates(shape, rng, max_coords=MAX_COORDS, directions=4):
    """Unit perturbations: every coordinate of a small input, or a sample of coordinates plus
    random directions of a large one (cost independent of size); a scalar moves by 1."""
    if shape == ():
        return [np.ones(())]
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


# ---------------------------------------------------------- differentiating, never gamed

def inconsistent(function, source):
    return Diagnosis("inconsistent_forward", f"{function}: your {source} gave two different "
                     "values for the same input, before and after being called at points "
                     "next to it, so its finite differences can't be trusted. Compute the "
                     f"{source} from its arguments alone, without keeping anything from one "
                     "call to the next.")


def answering_probes(function, source):
    return Diagnosis("inconsistent_forward", f"{function}: your {source} is right at a "
                     "hidden input but changes like another function next to it, so its "
                     f"finite differences can't be trusted. Compute the {source} from its "
                     "arguments alone, the same way at every input.")


def at(point, probe=None, step=0.0):
    """``point`` moved by ``step`` along ``probe``; a Python float where ``point`` is one."""
    moved = point if probe is None else point + step * probe
    return float(moved) if np.ndim(point) == 0 else moved


def differentiate(functions, points, probes, rng, *, function, source="forward", base=None):
    """Central differences of ``functions[k]`` at ``points[k]`` along ``probes[k]``: one
    array of directional derivatives per input, or the Diagnosis of why they can't be taken
    or trusted. Every probe of every input is evaluated in one order drawn from ``rng``,
    between two evaluations at the point (``functions[0]`` at ``points[0]``): the first is
    ``base`` when the caller already has it, and the two must agree. Returns (the arrays,
    the value at the point)."""
    calls = [(k, j, sign) for k, dirs in enumerate(probes) for j in range(len(dirs))
             for sign in (1, -1)]
    values = {}
    try:
        if base is None:
            base = functions[0](at(points[0]))
        for i in rng.permutation(len(calls)):
            k, j, sign = calls[i]
            values[k, j, sign] = functions[k](at(points[k], probes[k][j], sign * FD_STEP))
        again = functions[0](at(points[0]))
    except StudentError as err:
        return failure(err, function, "value")
    except Unusable as err:
        return err.diagnosis
    if abs(again - base) > CONSISTENCY * max(abs(base), 1.0):
        return inconsistent(function, source)
    numeric_d = [np.array([(values[k, j, 1] - values[k, j, -1]) / (2 * FD_STEP)
                           for j in range(len(dirs))]) for k, dirs in enumerate(probes)]
    if not all(np.all(np.isfinite(d)) for d in numeric_d):
        return not_finite(function, source)
    return numeric_d, base


def derivatives_at(F, x, rng, *, function, source="forward", right=None):
    """(finite differences, probes) of the student's ``F`` at ``x`` (a float or an array)
    along ``sampled_coordinates``, or the Diagnosis of why they can't be taken or trusted.
    ``right``, when given, is (the right F(x), the right gradient at x): where the student's
    F is right at x, its finite differences must be those of the right function there."""
    point = np.asarray(x, dtype=np.float64)
    probes = sampled_coordinates(point.shape, rng)
    got = differentiate([F], [point], [probes], rng, function=function, source=source)
    if isinstance(got, Diagnosis):
        return got
    (numeric_d,), base = got
    if right is not None and right_at(base, right[0]) and \
            answers_probes(numeric_d, probes, right[1]):
        return answering_probes(function, source)
    return numeric_d, probes


def right_at(value, right_value):
    """Whether the student's value at a point is the right one there."""
    return abs(value - right_value) <= REF_RTOL * max(abs(right_value), 1e-8)


def directional(grad, probes):
    """The derivatives along ``probes`` that the gradient ``grad`` gives."""
    g = np.asarray(grad, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.array([float(np.sum(g * d)) for d in probes])


def answers_probes(numeric_d, probes, right_grad):
    """Whether finite differences ``numeric_d``, taken where the student's function is right,
    are not those of the right function there (whose gradient is ``right_grad``)."""
    slopes = directional(right_grad, probes)
    return bool(np.max(np.abs(numeric_d - slopes)) > FD_RTOL * np.max(np.abs(slopes)) + FD_ATOL)


def flat(derivatives):
    """Finite differences that are zero everywhere: the function ignores this input. The
    hidden inputs of every check are chosen so that the true function never is flat there,
    so agreeing with a flat function earns nothing (else returning zeros from both the
    forward and the backward would be "consistent")."""
    return bool(np.all(np.abs(derivatives) < 1e-12))


def ignores_input(function, source, what):
    return Diagnosis("forward_ignores_input", f"{function}, {what} vs finite differences of "
                     f"your {source}: your {source} does not change at all when this input "
                     "changes, so there is nothing to compare a gradient with. Implement the "
                     f"{source} first.")


def shape_verdict(grad, x, *, function, source, what, batch_size=None, truth=None):
    """None when ``grad`` is an array of numbers shaped like ``x``, else the Diagnosis of what
    it is (against ``truth``, the right gradient, when the caller knows it)."""
    g = as_float_array(grad)
    if g is not None and g.shape == np.shape(x):
        return None
    expected = np.zeros(np.shape(x)) if truth is None else truth  # shapes are what matter
    return diagnose(grad, expected, function=function, check=f"your {source}", what=what,
                    batch_size=batch_size)


def fd_verdict(grad, numeric_d, probes, *, function, source, what, check, batch_size=None,
               paths=None):
    """The student's gradient ``grad`` along ``probes`` against the finite differences
    ``numeric_d`` of their own ``source`` (``check`` names them in the message); with
    ``paths`` ({name: contribution}), a missing path is named first."""
    if flat(numeric_d):
        return ignores_input(function, source, what)
    analytic = directional(grad, probes)
    options = dict(function=function, check=check, what=what, rtol=FD_RTOL, atol=FD_ATOL,
                   batch_size=batch_size)
    if paths is not None:
        return diagnose_missing_path(analytic, numeric_d, paths, **options)
    return diagnose(analytic, numeric_d, **options)


# ------------------------------------------------------------- every coordinate, no probing

def difference_quotients(f, x, h=FD_STEP, one_sided=False):
    """Central differences of the scalar function ``f`` with step ``h`` at every entry of the
    array ``x`` (each entry moved in a copy); with ``one_sided``, (central, forward, backward)
    quotients. What a correct ``numerical_gradient`` computes, and the notebook's own check."""
    central = np.zeros(x.shape)
    forward, backward = np.zeros(x.shape), np.zeros(x.shape)
    at_x = f(x) if one_sided else None
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        f_plus, f_minus = f(plus), f(minus)
        central[i] = (f_plus - f_minus) / (2 * h)
        if one_sided:
            forward[i], backward[i] = (f_plus - at_x) / h, (at_x - f_minus) / h
    return (central, forward, backward) if one_sided else central


def every_coordinate(f, x, weights, h=FD_STEP):
    """Central differences of ``sum(f(x) * weights)`` with respect to every entry of ``x``."""
    return difference_quotients(lambda v: np.sum(f(v) * weights), x, h)
