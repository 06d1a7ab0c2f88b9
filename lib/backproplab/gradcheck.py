"""Finite-difference gradient checks (NumPy, float64), along random directions.

- ``gradient_check(f, inputs, grads, dout)``: checks the gradients you give it. For every
  input ``x`` with gradient ``g`` it draws a few random unit directions ``v`` and compares the
  slope your gradient predicts, ``<g, v>``, with the central difference of
  ``F = sum(f(*inputs) * dout)`` along ``v``: ``(F(x + t v) - F(x - t v)) / 2t``. It returns a
  ``GradientCheck`` with per-input errors and verdicts.
- ``rel_error`` and ``verdict``: the error measure and the tolerance policy, defined once here.

What this module does not do is compute a gradient: it never nudges one coordinate at a time
and hands back the array of partial derivatives. That is Assignment 1's ``numerical_gradient``,
yours to write; after it, the array check you write yourself is one line away
(``numerical_gradient`` of ``lambda v: np.sum(f(v) * dout)``). A directional check costs
``2 * num_directions`` calls of ``f`` per input whatever the input's size (what the grader does
too), and a wrong gradient is caught along almost every direction.

Kinks. A relu at 0 or a max-pool tie is not differentiable; a central difference that
straddles one is meaningless there. Every probe therefore also computes the one-sided
differences ``(F(x+tv)-F(x))/t`` and ``(F(x)-F(x-tv))/t``. A probe that would fail, whose
one-sided differences disagree, and whose analytic value the disagreement explains, is
counted as "at a kink" and left out of the verdict (``n_excluded`` says how many). The exact
value a backward pass must return AT a kink (e.g. relu'(0) = 0, max-pool ties go to the first
maximum) is part of the contract and is checked elsewhere (hidden tests), not here.
A random direction crosses every kink of the input at once: with many exact zeros or ties,
such crossings can cancel out and go unnoticed, so draw inputs away from kinks first
(``away_from_kinks``, ``distinct_values``).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

#: Tolerance policy: relative error <= PASS_TOL passes, <= CLOSE_TOL is "close, probably
#: fine", anything larger (or NaN) fails.
PASS_TOL = 1e-7
CLOSE_TOL = 1e-5

_TINY = np.finfo(np.float64).tiny
_EPS = np.finfo(np.float64).eps
_ROUNDOFF = 16 * _EPS  # relative rounding error assumed for one evaluation of F
_KINK_NOISE = 10.0  # one-sided differences must disagree by this many rounding errors

__all__ = [
    "PASS_TOL", "CLOSE_TOL", "rel_error", "verdict",
    "InputCheck", "GradientCheck", "gradient_check",
    "away_from_kinks", "distinct_values",
]


# ----------------------------------------------------------------------------- error measure

def _rel_errors(a, b, floor=0.0):
    """Elementwise |a-b| / max(|a|+|b|, floor, tiny); shapes must match."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ: {a.shape} vs {b.shape}")
    denom = np.maximum(np.abs(a) + np.abs(b), np.maximum(floor, _TINY))
    return np.abs(a - b) / denom


def rel_error(a, b):
    """Worst relative error between two arrays of the same shape.

    ``max over elements of |a-b| / max(|a|+|b|, tiny)``; 0.0 when both are zero (never NaN
    unless an input holds NaN). Returns a Python float; 0.0 for empty arrays.
    Raises ValueError naming both shapes when they differ.
    """
    errors = _rel_errors(a, b)
    return float(errors.max()) if errors.size else 0.0


def verdict(error):
    """"pass" (error <= PASS_TOL), "close" (<= CLOSE_TOL) or "fail" (larger, or NaN)."""
    if error <= PASS_TOL:
        return "pass"
    if error <= CLOSE_TOL:
        return "close"
    return "fail"


# ------------------------------------------------------------------------------- helpers

def _require_float_array(x, name="x"):
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be a float NumPy array (it is moved in place), "
                        f"got {type(x).__name__}"
                        + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else ""))


def _as_output(value):
    if isinstance(value, tuple):
        raise TypeError("f returned a tuple; pass a function returning only the output, "
                        "e.g. lambda x: layer_forward(x, w)[0]")
    return np.asarray(value, dtype=np.float64)


@contextmanager
def _moved(x, delta):
    """Temporarily add ``delta`` (an array of x's shape) to ``x``; x is restored exactly."""
    old = np.copy(x)
    x += delta
    try:
        yield
    finally:
        x[...] = old


# ------------------------------------------------------------------------ checks and results

@dataclass
class InputCheck:
    """Probes of one input, each along a random unit direction ``v`` (``directions``).

    analytic / numeric: the slope along each direction predicted by the gradient, ``<g, v>``,
    and its central difference; errors: relative errors; excluded: probes left out because
    they crossed a kink.
    """
    name: str
    shape: tuple
    analytic: np.ndarray
    numeric: np.ndarray
    errors: np.ndarray
    excluded: np.ndarray
    directions: list = field(repr=False)
    method: str = "random directions"

    @property
    def n_probes(self):
        return int(self.errors.size)

    @property
    def n_excluded(self):
        return int(self.excluded.sum())

    @property
    def error(self):
        """Worst relative error over the probes not excluded (NaN if any is NaN)."""
        judged = self.errors[~self.excluded]
        return float(judged.max()) if judged.size else 0.0

    @property
    def verdict(self):
        if self.n_probes == self.n_excluded:
            return "inconclusive" if self.n_probes else "pass"
        return verdict(self.error)

    def __str__(self):
        text = (f"{self.name} {self.shape}: rel. error {self.error:.2e} -> {self.verdict} "
                f"({self.n_probes} probes, {self.method}")
        if self.n_excluded:
            text += f", {self.n_excluded} excluded at kinks"
        return text + ")"


_ORDER = ["pass", "inconclusive", "close", "fail"]


@dataclass
class GradientCheck:
    """Result of ``gradient_check``: one ``InputCheck`` per checked input."""
    inputs: list
    n_forward_calls: int

    @property
    def error(self):
        errors = [c.error for c in self.inputs]
        return float(np.max(errors)) if errors else 0.0

    @property
    def verdict(self):
        return max((c.verdict for c in self.inputs), key=_ORDER.index, default="pass")

    @property
    def n_excluded(self):
        return sum(c.n_excluded for c in self.inputs)

    def __getitem__(self, name):
        return next(c for c in self.inputs if c.name == name)

    def __str__(self):
        lines = [str(c) for c in self.inputs]
        lines.append(f"overall: {self.verdict} (worst rel. error {self.error:.2e}, "
                     f"{self.n_forward_calls} forward calls)")
        return "\n".join(lines)


def _directions(shape, num_directions, rng):
    """``num_directions`` random unit arrays of ``shape`` (never a single coordinate)."""
    for _ in range(num_directions):
        v = rng.standard_normal(shape)
        yield v / np.linalg.norm(v)


def _judge(analytic, plus, minus, center, step, scale):
    """Relative errors and kink mask of a set of probes (all arrays of one length)."""
    numeric = (plus - minus) / (2 * step)
    noise = _ROUNDOFF * scale / step  # rounding error of one difference quotient
    errors = _rel_errors(analytic, numeric, floor=noise / PASS_TOL)
    one_sided_gap = np.abs((plus - center) - (center - minus)) / step
    excluded = ((errors > PASS_TOL) & (one_sided_gap > _KINK_NOISE * noise)
                & (np.abs(analytic - numeric) <= one_sided_gap))
    return numeric, errors, excluded


def _check_input(F, x, g, name, center, scale, num_directions, h, rng):
    step = h * np.sqrt(x.size)  # every entry moves by about h
    rows, directions = [], []
    for v in _directions(x.shape, num_directions, rng):
        with _moved(x, step * v):
            plus = F()
        with _moved(x, -step * v):
            minus = F()
        rows.append((float(np.vdot(g, v)), plus, minus))
        directions.append(v)
    a, plus, minus = np.array(rows, dtype=np.float64).reshape(-1, 3).T
    numeric, errors, excluded = _judge(a, plus, minus, center, step, scale)
    return InputCheck(name, x.shape, a, numeric, errors, excluded, directions)


def gradient_check(f, inputs, grads, dout, *, num_directions=8, h=1e-5, rng=None, names=None,
                   out=None):
    """Check analytic gradients against central differences of ``sum(f(*inputs) * dout)``
    along random directions.

    f: ``f(*inputs) -> out`` (only the output). A scalar output works with ``dout=1.0``.
    inputs: float arrays, moved in place along each direction and restored exactly.
    grads: one analytic gradient per input, same shape; ``None`` skips an input.
    dout: upstream gradient, shape of ``out``.
    num_directions: random unit directions per input (``2 * num_directions`` calls of f per
        input, whatever its size). Along a direction the step is ``h * sqrt(size)``, so that
        each entry moves by about ``h``.
    out: ``f(*inputs)`` if already computed; otherwise f is called once more for it.
    Returns a ``GradientCheck``. Raises ValueError if a gradient's shape is not its input's.
    """
    rng = np.random.default_rng(rng)
    names = list(names) if names is not None else [f"input{i}" for i in range(len(inputs))]
    dout = np.asarray(dout, dtype=np.float64)
    calls = 0

    def F():
        nonlocal calls
        calls += 1
        return float(np.sum(_as_output(f(*inputs)) * dout))

    if out is None:
        out = _as_output(f(*inputs))
        calls += 1
    center = float(np.sum(np.asarray(out, dtype=np.float64) * dout))
    scale = float(np.sum(np.abs(np.asarray(out, dtype=np.float64) * dout)))
    checks = []
    for x, g, name in zip(inputs, grads, names, strict=False):
        if g is None:
            continue
        _require_float_array(x, name)
        g = np.asarray(g, dtype=np.float64)
        if g.shape != x.shape:
            raise ValueError(f"gradient of {name} has shape {g.shape}, expected {x.shape}")
        checks.append(_check_input(F, x, g, name, center, scale, num_directions, h, rng))
    return GradientCheck(checks, calls)


# ------------------------------------------------------------------- inputs away from kinks

def away_from_kinks(x, margin=1e-3, rng=None, kinks=(0.0,)):
    """Copy of ``x`` where every value within ``margin`` of a kink is moved away from it.

    A value ``k + d`` with ``|d| < margin`` becomes ``k + sign(d) * (margin + |d|)`` (a random
    sign when ``d == 0``), so no finite difference with ``h < margin`` crosses the kink.
    Kinks should be more than ``4 * margin`` apart. ``x`` itself is not modified.
    """
    rng = np.random.default_rng(rng)
    y = np.array(x, dtype=np.float64)
    for k in kinks:
        d = y - k
        near = np.abs(d) < margin
        sign = np.where(d == 0, rng.choice([-1.0, 1.0], size=y.shape), np.sign(d))
        y = np.where(near, k + sign * (margin + np.abs(d)), y)
    return y


def distinct_values(x, min_gap=1e-3, rng=None):
    """Copy of ``x`` whose values all differ by at least ``min_gap`` (breaks max-pool ties).

    Values are pushed up as little as needed, keeping their order; tied values are put in a
    random order. ``x`` itself is not modified.
    """
    rng = np.random.default_rng(rng)
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    order = np.lexsort((rng.random(flat.size), flat))
    ranks = np.arange(flat.size) * min_gap
    spread = ranks + np.maximum.accumulate(flat[order] - ranks)
    y = np.empty_like(flat)
    y[order] = spread
    return y.reshape(x.shape)


from .rules import _protect  # noqa: E402  (last: every public name above refuses while grading)

_protect(__name__)
