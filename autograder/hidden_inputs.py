"""Hidden inputs for the array functions of hw2 and hw3 (grader side only).

Every hidden case is a recipe: its name (shown to students) says which behaviour it tests,
and that behaviour is fixed by construction (which rows underflow, which entries are exactly
0, which windows tie or share their maximum, which sizes do not divide by the stride), while
the numbers are drawn from the student's rng. So two students get different numbers, never a
different test. Numbers are drawn away from the points where a common bug becomes invisible:
upstream gradients, biases and slopes are never near 0 or +-1, probabilities never near 0.5,
signs are always mixed, batch sizes are 1 or at least 3 (2 would hide "times N" behind "times
2"), N, D and M differ in every case (but one of PReLU's, where N = D is the point: see
PRELU), and so do N, C and F (the large conv case aside), H and W, and the height and width of
windows and filters wherever squareness is not the point: a transpose never hides behind a
square shape.

A recipe is ``make(rng) -> (args, kwargs)``. Tags say what a case is for:

- ``huge``: inputs at the edge of float64, where the contract asks for a computation that
  stays finite without any floating-point warning ("stays finite without overflow");
- ``finite_only``: only that (its exact value depends on a clip the contract leaves open);
- ``large``: big enough that only a derived gradient finishes within the call limit (an
  honest vectorised or loop backward takes milliseconds; finite differences of the forward,
  one forward call per entry, take minutes); backward and loss gradients only;
- ``zeros``, ``ties``, ``overlaps``: where the masks of ``diagnose`` apply;
- ``non_square``, ``non_divisible``: shape classes a window bug can hide behind.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Case:
    """A named hidden case: ``make(rng) -> (args, kwargs)``; ``tags`` as above."""

    name: str
    make: Callable
    tags: frozenset = frozenset()

    def has(self, tag):
        return tag in self.tags


def case(name, make, *tags):
    return Case(name, make, frozenset(tags))


# ----------------------------------------------------------------------------- number helpers

def signed(rng, shape, low=0.05, high=3.0):
    """Magnitudes uniform in [low, high], exactly half of the entries (rounded down) negative,
    at places drawn by ``rng``: both signs always occur."""
    x = rng.uniform(low, high, shape)
    negative = rng.permutation(x.size)[:x.size // 2]
    x.flat[negative] *= -1
    return x


def upstream(rng, shape):
    """An upstream gradient (or a bias, or a scale): mixed signs, magnitudes in
    [0.2, 0.8] or [1.25, 2.5], never near 0 or 1, so that a gradient that ignores it, or
    takes its sign or its square, always shows."""
    size = int(np.prod(shape))
    low = rng.uniform(0.2, 0.8, size)
    high = rng.uniform(1.25, 2.5, size)
    pick = rng.permutation(size) < (size + 1) // 2
    magnitude = np.where(pick, low, high).reshape(shape)
    return signed_like(rng, magnitude)


def signed_like(rng, magnitude):
    x = np.array(magnitude, dtype=float)
    negative = rng.permutation(x.size)[:x.size // 2]
    x.flat[negative] *= -1
    return x


def away_from_zero(rng, shape, margin=0.05):
    """Standard normal values, none within ``margin`` of 0 (used by hw4's checks)."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.copysign(margin, x) + x, x)


def distinct(rng, shape):
    """A permutation of evenly spaced values (gap 0.1, far above a finite-difference step),
    half of them negative, plus one small common offset: no ties anywhere."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) - size // 2) * 0.1 + rng.uniform(0.01, 0.09)


def with_zeros(rng, shape):
    """``signed`` with a quarter of the entries (at least one) exactly 0."""
    x = signed(rng, shape)
    x.flat[rng.choice(x.size, max(1, x.size // 4), replace=False)] = 0.0
    return x


# ------------------------------------------------------------------------------ affine (hw2)

def affine_case(x_shape, m):
    def make(rng):
        d = int(np.prod(x_shape[1:]))
        return (rng.standard_normal(x_shape), rng.standard_normal((d, m)) / np.sqrt(d),
                upstream(rng, (m,))), {}
    return make


SEVERAL, ONE = "a batch of several examples", "a batch of one"
LARGE = "a large input (a derived gradient takes milliseconds there)"

AFFINE = (
    case(SEVERAL, affine_case((4, 5), 3)),
    case(ONE, affine_case((1, 5), 2)),
    case("inputs with several axes per example", affine_case((3, 2, 3, 2), 4)),
    case(LARGE, affine_case((200, 6, 50), 120), "large"),
)


# ------------------------------------------------------------------------- elementwise (hw2)

def scaled(shape, scale=1.0):
    return lambda rng: ((scale * signed(rng, shape),), {})


def zeros_case(rng):
    return (with_zeros(rng, (4, 5)),), {}


def huge_case(rng):
    """3 x 4: columns 1 and 3 hold magnitudes in [720, 2000] (exp of them overflows), three
    of each sign; columns 0 and 2 ordinary values."""
    x = signed(rng, (3, 4), 0.1, 3.0)
    x[:, 1::2] = signed(rng, (3, 2), 720.0, 2000.0)
    return (x,), {}


def large_elementwise(rng):
    return (signed(rng, (400, 500)),), {}


RELU = (case(SEVERAL, scaled((5, 3, 2))), case(ONE, scaled((1, 6))),
        case("exact zeros in x", zeros_case, "zeros"), case(LARGE, large_elementwise, "large"))


def with_alpha(make):
    """Leaky relu's recipe: a slope drawn in [0.05, 0.3], away from the default 0.01."""
    def leaky(rng):
        args, _ = make(rng)
        return args, {"alpha": float(rng.uniform(0.05, 0.3))}
    return leaky


LEAKY_RELU = (case(SEVERAL, with_alpha(scaled((5, 3, 2)))),
              case("a batch of one, default alpha", scaled((1, 6))),
              case("exact zeros in x", with_alpha(zeros_case), "zeros"),
              case(LARGE, with_alpha(large_elementwise), "large"))

# --------------------------------------------------------------------------------- prelu (hw2)

def slopes(rng, d):
    """d distinct slopes in [0.05, 0.4]: one per 0.35 / d wide bin, the bins in random order
    (so slopes never tie and a slope moved to another feature always shows), never near 0
    or 1 (where a missing or an extra slope would hide)."""
    width = 0.35 / d
    return 0.05 + width * (rng.permutation(d) + rng.uniform(0.15, 0.85, d))


def prelu_case(shape, values=signed):
    """x = ``values(rng, shape)`` (both signs, away from 0 unless ``with_zeros``), alpha (D,)
    from ``slopes``."""
    def make(rng):
        return (values(rng, shape), slopes(rng, shape[1])), {}
    return make


PRELU = (case(SEVERAL, prelu_case((5, 3))),
         case(ONE, prelu_case((1, 6))),
         case("exact zeros in x", prelu_case((4, 5), with_zeros), "zeros"),
         # N = D: a slope taken per example (alpha along the batch axis) gives values here,
         # where elsewhere it can't even broadcast
         case("as many examples as features", prelu_case((4, 4))),
         case(LARGE, prelu_case((400, 500)), "large"))

HUGE = "inputs of huge magnitude"
SIGMOID = (case(SEVERAL, scaled((5, 3, 2), 3.0)), case(ONE, scaled((1, 6), 3.0)),
           case(HUGE, huge_case, "huge"), case(LARGE, large_elementwise, "large"))
TANH = (case(SEVERAL, scaled((5, 3, 2), 2.0)), case(ONE, scaled((1, 6), 2.0)),
        case(HUGE, huge_case, "huge"), case(LARGE, large_elementwise, "large"))


# ----------------------------------------------------------------------- softmax layer (hw2)

def score_rows(n, c, scale=2.0):
    """(n, c) scores, both signs; n != c, so a softmax over the wrong axis or a transposed
    result always shows."""
    return lambda rng: ((scale * signed(rng, (n, c)),), {})


def softmax_scores_huge(rng):
    """4 x 6 scores of magnitude ~1e3, one row of each behaviour (rows in random order): the
    maximum above 709 (exp overflows without a shift); every score below -745 (exp
    underflows to 0 without a shift, and 0 / 0 follows); two scores tie for the maximum;
    scores 1e3 from 0 but within a few units of each other."""
    n, c = 4, 6
    x = np.empty((n, c))
    for i, behaviour in zip(rng.permutation(n), range(n)):
        top = rng.uniform(720, 1000)
        if behaviour == 0:      # a maximum whose exp overflows
            values = top - rng.uniform(5, 1500, c)
            values[rng.integers(c)] = top
        elif behaviour == 1:    # every exp underflows
            values = -rng.uniform(800, 1000, c)
        elif behaviour == 2:    # two maxima tie
            values = top - rng.uniform(0.5, 6, c)
            values[rng.permutation(c)[:2]] = top
        else:                   # far from 0, close together
            values = top + rng.uniform(-4, 4, c)
        x[i] = values
    return (x,), {}


SOFTMAX_LAYER = (case(SEVERAL, score_rows(5, 4)), case(ONE, score_rows(1, 6)),
                 case("more classes than examples", score_rows(3, 7)),
                 case("scores of magnitude 1e3", softmax_scores_huge, "huge"),
                 case(LARGE, score_rows(1200, 50), "large"))


# --------------------------------------------------------------------------------- conv (hw3)

def conv_case(x_shape, w_shape, stride, pad):
    def make(rng):
        return ((rng.standard_normal(x_shape), rng.standard_normal(w_shape),
                 upstream(rng, (w_shape[0],))), {"stride": stride, "pad": pad})
    return make


# Output sizes (N, F, H', W'), with H' = 1 + (H + 2 pad - HH) // stride:
CONV = (
    # (3, 4, 4, 3)
    case("stride 1, no padding", conv_case((3, 2, 6, 5), (4, 2, 3, 3), 1, 0)),
    # (3, 4, 4, 5): 2 x 3 filters; taking WW for HH (or back) changes the output's shape
    case("non-square filters", conv_case((3, 2, 5, 7), (4, 2, 2, 3), 1, 0), "non_square"),
    # (3, 4, 4, 3): 7 + 2 - 3 and 5 + 2 - 3 divide by 2
    case("stride 2, padding 1", conv_case((3, 2, 7, 5), (4, 2, 3, 3), 2, 1)),
    # (3, 4, 4, 3): 8 + 2 - 3 = 7 and 6 + 2 - 3 = 5 leave a remainder 1 (floor)
    case("stride 2, sizes that do not divide evenly",
         conv_case((3, 2, 8, 6), (4, 2, 3, 3), 2, 1), "non_divisible"),
    # (1, 3, 3, 4): 5 + 4 - 3 = 6 and 8 + 4 - 3 = 9 divide by 3
    case("a batch of one, padding 2, stride 3", conv_case((1, 2, 5, 8), (3, 2, 3, 3), 3, 2)),
    # (1, 1, 50, 60): 3000 windows, 108,000 entries of x
    case(LARGE, conv_case((1, 4, 150, 180), (1, 4, 3, 3), 3, 0), "large"),
)


# --------------------------------------------------------------------------------- pool (hw3)

def pool_case(shape, ph, pw, stride, values=distinct):
    """``values(rng, shape)`` with the first channel of the first example made entirely
    negative (a maximum started at 0 always shows)."""
    def make(rng):
        x = values(rng, shape)
        x[0, 0] -= x[0, 0].max() + 0.5
        return (x,), {"pool_height": ph, "pool_width": pw, "stride": stride}
    return make


def windows(shape, ph, pw, stride):
    """(row slice, column slice) of every pooling window over an (H, W) plane."""
    h, w = shape[-2:]
    return [(slice(r * stride, r * stride + ph), slice(c * stride, c * stride + pw))
            for r in range(1 + (h - ph) // stride) for c in range(1 + (w - pw) // stride)]


def tied(rng, shape, ph=2, pw=2, stride=2):
    """Distinct values, then in half of the windows of every channel (drawn by ``rng``) the
    window's maximum copied to another of its entries: ties for the maximum, with the copy
    before the original (in row-major order) in some windows and after it in others."""
    x = distinct(rng, shape)
    spots = windows(shape, ph, pw, stride)
    for plane in np.ndindex(*shape[:2]):
        for rows, cols in (spots[i] for i in rng.permutation(len(spots))[:len(spots) // 2]):
            window = x[plane][rows, cols]
            top = np.argmax(window)
            other = (top + 1 + rng.integers(window.size - 1)) % window.size
            window.flat[other] = window.flat[top]
    return x


def shared_maximum(rng, shape):
    """Distinct values whose largest entry in every channel sits where four 3 x 3 windows
    of stride 2 overlap (rows and columns 2, 4, ...): it is the maximum of all four, and
    its gradient is the sum of theirs."""
    x = distinct(rng, shape)
    h, w = shape[-2:]
    for plane in np.ndindex(*shape[:2]):
        r = 2 * (1 + rng.integers((h - 3) // 2))
        c = 2 * (1 + rng.integers((w - 3) // 2))
        x[plane][r, c] = x[plane].max() + 1.0
    return x


POOL = (
    # (3, 2, 2, 3)
    case("2 x 2 windows, stride 2, no ties", pool_case((3, 2, 4, 6), 2, 2, 2)),
    case("ties inside windows", pool_case((3, 2, 4, 6), 2, 2, 2, tied), "ties"),
    # (3, 2, 3, 3): windows 3 tall and 2 wide, stride 3 (no overlap, whatever the values);
    # a width computed from pool_height gives 2
    case("non-square windows (3 tall, 2 wide)", pool_case((3, 2, 9, 8), 3, 2, 3),
         "non_square"),
    # (3, 2, 3, 4): 3 x 3 windows, stride 2, one maximum shared by four windows
    case("overlapping windows sharing their maximum",
         pool_case((3, 2, 7, 9), 3, 3, 2, shared_maximum), "overlaps"),
    # (1, 2, 3, 4): 9 - 2 = 7 and 12 - 2 = 10 leave a remainder 1 (floor)
    case("a batch of one, stride 3, sizes that do not divide evenly",
         pool_case((1, 2, 9, 12), 2, 2, 3), "non_divisible"),
    # (1, 4, 25, 20): 2000 windows, 128,000 entries of x
    case(LARGE, pool_case((1, 4, 200, 160), 8, 8, 8), "large"),
)


# ------------------------------------------------------------------------------ losses (hw2)

def softmax_case(n, c, scale=2.0):
    def make(rng):
        return (scale * rng.standard_normal((n, c)), rng.permutation(np.arange(n) % c)), {}
    return make


def softmax_huge(rng):
    """5 x 6 scores of magnitude ~1e3, one row of each behaviour (rows in random order):
    the label's probability underflows to 0 (its score 800 to 1500 below the row's
    maximum); the label is the maximum and above 709 (exp overflows without a shift); every
    score below -800 (exp underflows to 0 without a shift); two scores tie for the maximum,
    the label one of them; scores 1e3 apart from 0 but within a few units of each other."""
    n, c = 5, 6
    x = np.empty((n, c))
    y = np.empty(n, dtype=np.int64)
    for row, behaviour in zip(rng.permutation(n), range(n)):
        cols = rng.permutation(c)
        top = rng.uniform(720, 1000)
        scores = top - rng.uniform(5, 1500, c)
        label = cols[1]
        if behaviour == 0:      # the label's probability underflows to 0
            scores[cols[0]] = top
            scores[label] = top - rng.uniform(800, 1500)
        elif behaviour == 1:    # the label is the maximum, above 709
            scores[label] = top
        elif behaviour == 2:    # every score very negative
            scores = -rng.uniform(800, 1000, c)
        elif behaviour == 3:    # two maxima tie, the label one of them
            scores[cols[0]] = scores[label] = top
        else:                   # far from 0, close together
            scores = top + rng.uniform(-4, 4, c)
        x[row], y[row] = scores, label
    return (x, y), {}


def large_softmax(rng):
    return softmax_case(2000, 50)(rng)


MAGNITUDE_1E3 = "scores of magnitude 1e3"
SOFTMAX = (case(SEVERAL, softmax_case(6, 4)), case(ONE, softmax_case(1, 4)),
           case(MAGNITUDE_1E3, softmax_huge, "huge"),
           case("a large batch (a derived gradient takes milliseconds there)", large_softmax,
                "large"))


def mse_case(shape):
    return lambda rng: ((rng.standard_normal(shape), rng.standard_normal(shape)), {})


MSE = (case(SEVERAL, mse_case((5, 3))), case(ONE, mse_case((1, 3))),
       case("targets with several axes per example", mse_case((4, 3, 2))),
       case("a large batch (a derived gradient takes milliseconds there)",
            mse_case((500, 200)), "large"))


def half_ones(rng, n):
    """Targets in {0, 1}, both present (n >= 2)."""
    return (rng.permutation(n) < (n + 1) // 2).astype(float)


def probabilities(rng, n):
    """n probabilities in [0.05, 0.4] or [0.6, 0.95]: away from 0.5, where p and 1 - p (a
    swapped term) agree."""
    p = rng.uniform(0.05, 0.4, n)
    return np.where(rng.permutation(n) % 2 == 0, p, 1 - p)


def bce_case(n):
    """n probabilities; targets half 1 and half 0 (for a batch of one: 1)."""
    def make(rng):
        target = half_ones(rng, n) if n > 1 else np.ones(1)
        return (probabilities(rng, n), target), {}
    return make


def bce_near_edges(rng):
    """Probabilities 2e-6 to 1e-5 from 0 and from 1, with each target (confidently right
    and confidently wrong), beside two ordinary ones: a clip with any eps <= 2e-6 leaves
    them as they are, a clip with eps 1e-3 does not."""
    gap = rng.uniform(2e-6, 1e-5, 4)
    p = np.array([gap[0], gap[1], 1 - gap[2], 1 - gap[3], *rng.uniform(0.2, 0.8, 2)])
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    order = rng.permutation(len(p))
    return (p[order], t[order]), {}


def bce_overflowing(rng):
    """Probabilities between 1e-315 and 1e-310 (1/p overflows float64) with targets 1 and
    0, beside ordinary ones: the exact gradient is not a float64, so only finiteness and the
    absence of floating-point warnings are checked here."""
    tiny = 10.0 ** rng.uniform(-315, -310, 2)
    p = np.array([tiny[0], tiny[1], *rng.uniform(0.2, 0.8, 2)])
    t = np.array([1.0, 0.0, 0.0, 1.0])
    order = rng.permutation(len(p))
    return (p[order], t[order]), {}


BCE_EDGES = "probabilities within 1e-5 of 0 and of 1"
BCE = (case(SEVERAL, bce_case(6)), case(ONE, bce_case(1)), case(BCE_EDGES, bce_near_edges),
       case("probabilities so close to 0 that 1/p overflows", bce_overflowing, "huge",
            "finite_only"),
       case("a large batch (a derived gradient takes milliseconds there)", bce_case(100_000),
            "large"))
