"""Hidden inputs by recipe (grader side only): the numbers vary per student, the behaviours
a case exercises never do.

Every hidden case is a recipe: its name (shown to students) says which behaviour it tests,
and that behaviour is fixed by construction (which rows underflow, which entries are exactly
0, which windows tie or share their maximum, which sizes do not divide by the stride), while
the numbers are drawn from the student's rng. So two students get different numbers, never a
different test. Numbers are drawn away from the points where a common bug becomes invisible:
upstream gradients, biases and slopes are never near 0 or +-1, probabilities never near 0.5,
signs are always mixed, batch sizes are 1 or at least 3 (2 would hide "times N" behind "times
2"), N, D and M differ in every case (but one of PReLU's, where N = D is the point: see
``assignments/hw2_layers/prelu.py``), and so do N, C and F (the large conv case aside), H and
W, and the height and width of windows and filters wherever squareness is not the point: a
transpose never hides behind a square shape. Each graded function's own recipes are in its
module of ``autograder/assignments/``; the number helpers they share are here.

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
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SEVERAL, ONE = "a batch of several examples", "a batch of one"
LARGE = "a large input (a derived gradient takes milliseconds there)"
LARGE_BATCH = "a large batch (a derived gradient takes milliseconds there)"
HUGE = "inputs of huge magnitude"


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


def salt(name):
    """A recipe's salt from a name (a graded function's stem, say)."""
    return zlib.crc32(name.encode())


def seed_of(judge, *salt_):
    """A hidden seed for a generator made in the child (``probes.Rng``)."""
    return int(judge.rng([zlib.crc32(b"seed"), *salt_]).integers(2**31))


def param_list(judge, salt_, shapes):
    """Standard normal arrays of ``shapes``, drawn by recipe ``salt_`` (any string)."""
    rng = judge.rng([zlib.crc32(str(salt_).encode())])
    return [rng.standard_normal(shape) for shape in shapes]


# ----------------------------------------------------------------------------- number helpers

def signed(rng, shape, low=0.05, high=3.0):
    """Magnitudes uniform in [low, high], exactly half of the entries (rounded down) negative,
    at places drawn by ``rng``: both signs always occur."""
    x = rng.uniform(low, high, shape)
    negative = rng.permutation(x.size)[:x.size // 2]
    x.reshape(-1)[negative] *= -1  # a view of the fresh array: .flat's indexing is 5x slower
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
    x = np.array(magnitude, dtype=float, order="C")  # reshape(-1) below is then a view
    negative = rng.permutation(x.size)[:x.size // 2]
    x.reshape(-1)[negative] *= -1  # a view of the fresh array: .flat's indexing is 5x slower
    return x


def away_from_zero(rng, shape, margin):
    """Standard normal values, none within ``margin`` of 0 (each moved away by ``margin``)."""
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


# ------------------------------------------------- the elementwise layers' shared recipes

def scaled(shape, scale=1.0):
    """``scale`` times ``signed`` numbers of ``shape``."""
    return lambda rng: ((scale * signed(rng, shape),), {})


def zeros_case(rng):
    """4 x 5 ``with_zeros``."""
    return (with_zeros(rng, (4, 5)),), {}


def huge_case(rng):
    """3 x 4: columns 1 and 3 hold magnitudes in [720, 2000] (exp of them overflows), three
    of each sign; columns 0 and 2 ordinary values."""
    x = signed(rng, (3, 4), 0.1, 3.0)
    x[:, 1::2] = signed(rng, (3, 2), 720.0, 2000.0)
    return (x,), {}


#: What the contract promises of sigmoid_forward and tanh_forward, checked on ``huge_case``.
HUGE_PROMISE = ("for any x: finite, no NumPy warning, and within 1e-7 (relative) of the exact "
                "values, checked at |x| from 720 to 2000")


def large_elementwise(rng):
    return (signed(rng, (400, 500)),), {}
