"""example_forward_backward (hw1): everything the grader knows about it.

The three values (y, dy_dx, dy_dz) at the contract's point (2, 3) and at hidden points, against
the reference (a wrong gradient is checked for missing paths of the graph: ``missing_path``),
and the two gradients against finite differences of the student's own y, paid when that y is
an honest attempt (judging/carried.py): right at a hidden point, a named slip, or changing with
x and z as the reference does; not when it is constant, or linear in x and z (the same slopes
at every point: the inputs handed back, scaled), where the reference's y is not.
"""
import numpy as np

import solutions

from ...judging import in_notebook
from ...judging.by_hand import ByHand, with_by_hand, with_by_hand_in_notebook
from ...judging.carried import Attempt, carried, dependence_along
from ...judging.described import count_against, value_kind
from ...judging.diagnose import Diagnosis, diagnose, diagnose_missing_path
from ...judging.finite_differences import derivatives_at, fd_verdict
from ...judging.grades import CheckSpec
from ...judging.judge import REF_RTOL, StudentError, Unusable, failure, numeric
from ...judging.tally import Tally

EXAMPLE = "example_forward_backward"
CONTRACT_POINT = (2.0, 3.0)
WHATS = ("y", "dy_dx", "dy_dz")

AT_CONTRACT_POINT = CheckSpec("values at x=2, z=3", "value", 3)
AT_HIDDEN_POINTS = CheckSpec("values at hidden points", "value", 4)
FD = CheckSpec("gradients match finite differences of your y", "fd", 3)
STRUCTURE = CheckSpec("returns (y, dy_dx, dy_dz)", "structure", 1)


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
        count = count_against(len(result), 3, "value") if isinstance(result, (tuple, list)) \
            else f"a single value ({value_kind(result)})"
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
                                                  WHATS[1:], strict=False):
        verdicts.append(diagnose_missing_path(got, expected, contributions, function=EXAMPLE,
                                              check=label, what=what, rtol=REF_RTOL))
    return verdicts


def check_example(judge):
    contract, hidden, fd, structure = Tally(), Tally(), Tally(), Tally()
    attempt, slopes, judged = Attempt(), [], []
    points = [CONTRACT_POINT] + example_points(judge)
    rng = judge.rng([31])
    for i, (x, z) in enumerate(points):
        label = "reference at x=2, z=3" if i == 0 else "reference at a hidden point"
        found = contract if i == 0 else hidden
        result, problem = example_result(judge, x, z)
        structure.add(problem)
        if problem is not None:
            found.add(problem, count=3)
            fd.add(problem, count=2)
            continue
        ref = solutions.example_forward_backward(x, z)
        verdicts = example_verdicts(result, ref, x, z, label)
        judged.append((found, verdicts, result, ref))
        if i > 0:  # the contract's point can be written down: only hidden points count
            attempt.saw_value(verdicts[0])
        measured = []
        for k, what in ((0, "dy_dx"), (1, "dy_dz")):
            fd.add(example_fd(judge, result, ref, x, z, k, what, rng, measured))
        if len(measured) == 2:
            attempt.saw_dependence([dependence_along(d, probes, ref[1 + k])
                                    for k, (d, probes) in enumerate(measured)])
            slopes.append([float(d[0]) for d, _ in measured])
    evaluated = judge.not_derived(EXAMPLE)  # then its derivatives earn nothing, y still does
    for found, verdicts, result, ref in judged:
        if evaluated is not None:
            verdicts = [verdicts[0], evaluated, evaluated]
        for v, got, want in zip(verdicts, result, ref, strict=False):
            found.add(v, got, want)
    if linear(slopes):
        attempt.saw_dependence(["echo", "echo"])
    fd_check = carried(fd.check(FD, "gradients (at x=2, z=3 and hidden points)"), attempt,
                       EXAMPLE, "y")
    return [contract.check(AT_CONTRACT_POINT, "values (y, dy_dx, dy_dz)"),
            hidden.check(AT_HIDDEN_POINTS, "values at hidden points"),
            fd_check, structure.check(STRUCTURE, "calls", ok="returns three numbers.")]


def linear(slopes):
    """Whether the student's y has the same slopes in x and in z at every point measured
    (at least three): y is then ``a x + b z + c``, its inputs handed back scaled, where the
    reference's slopes change from point to point."""
    if len(slopes) < 3:
        return False
    s = np.asarray(slopes)
    return bool(np.allclose(s, s[0], rtol=1e-6, atol=1e-9))


def example_fd(judge, result, ref, x, z, k, what, rng, measured):
    """dy_dx (k = 0) or dy_dz (k = 1) against finite differences of the student's y at
    (x, z); the differences taken are appended to ``measured`` as (derivatives, probes)."""
    point = [x, z]

    def F(t):
        new = list(point)
        new[k] = float(t)
        value, problem = example_result(judge, *new)
        if problem is not None:
            raise Unusable(problem)
        return value[0]
    got = derivatives_at(F, point[k], rng, function=EXAMPLE, source="y",
                         right=(ref[0], ref[1 + k]))
    if isinstance(got, Diagnosis):
        return got
    measured.append(got)
    paths = {name: np.array([part]) for name, part in example_paths(x, z)[k].items()}
    return fd_verdict(result[1 + k], *got, function=EXAMPLE, source="y", what=what,
                      check="finite differences of your y", paths=paths)


CHECKS = {EXAMPLE: check_example}
NOTEBOOK_CHECKS = in_notebook.same_as_reference(EXAMPLE, lambda f, given, seed: f(2.0, 3.0))


def by_hand_numbers():
    """The table of 5.3 at x = 2, z = 3: {"dy_da", "dy_db", "dy_dx", "dy_dz"}, each a number.
    dy/da and dy/db from the local derivatives of 5.2; dy/dx and dy/dz are the reference's."""
    x, z = CONTRACT_POINT
    a, b = x * z, np.log(x)
    c = np.sin(b)
    dy_da = np.exp(a) + 1 / b - c / a**2          # from d, from e, from f
    dy_db = -a / b**2 + np.cos(b) / a             # from e, from c (through f)
    _, dy_dx, dy_dz = solutions.example_forward_backward(x, z)
    return {"dy_da": dy_da, "dy_db": dy_db, "dy_dx": dy_dx, "dy_dz": dy_dz}


# The table of 5.3, worked by hand in the notebook (judging/by_hand.py).
BY_HAND_CASE = ByHand(EXAMPLE, EXAMPLE, by_hand_numbers, beside=11)
CHECKS = with_by_hand(CHECKS, BY_HAND_CASE)
NOTEBOOK_CHECKS = with_by_hand_in_notebook(NOTEBOOK_CHECKS, BY_HAND_CASE)
