"""Hidden inputs for the array functions of hw2 and hw3 (grader side only).

Each generator takes an rng and returns ``(args, kwargs)``. Case names are shown to students
("a batch of one"); the values never are. Sizes stay small enough that naive loops finish in
milliseconds.
"""
import numpy as np


def away_from_zero(rng, shape, margin=0.05):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.copysign(margin, x) + x, x)


def distinct(rng, shape):
    """Values with no ties and gaps far above a finite-difference step."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, 0.01)


def with_zeros(rng, shape):
    x = away_from_zero(rng, shape)
    x.flat[rng.choice(x.size, max(1, x.size // 4), replace=False)] = 0.0
    return x


def affine(rng, case):
    shapes = {"a batch of several examples": ((4, 5), 3), "a batch of one": ((1, 5), 2),
              "inputs with several axes per example": ((3, 2, 3, 2), 4)}
    xs, m = shapes[case]
    d = int(np.prod(xs[1:]))
    return (rng.standard_normal(xs), rng.standard_normal((d, m)), rng.standard_normal(m)), {}


def elementwise(scale=1.0, zeros=False, huge=False):
    def make(rng, case):
        if case == "exact zeros in x":
            return (with_zeros(rng, (4, 5)),), {}
        if case == "inputs of huge magnitude":
            huge = rng.choice([-1, 1], (3, 4)) * rng.uniform(701, 2000, (3, 4))
            huge[:, ::2] = away_from_zero(rng, (3, 2))  # ordinary entries beside the huge ones
            return (huge,), {}
        if case == "a batch of one":
            return (scale * away_from_zero(rng, (1, 6)),), {}
        return (scale * away_from_zero(rng, (5, 3, 2)),), {}
    return make


def leaky(rng, case):
    (x,), _ = elementwise()(rng, case)
    return (x,), {"alpha": 0.1 if case != "a batch of one" else 0.01}


def conv(rng, case):
    shapes = {
        "stride 1, no padding": ((2, 3, 5, 5), (2, 3, 3, 3), 1, 0),
        "stride 2 with padding": ((2, 2, 5, 5), (3, 2, 3, 3), 2, 1),
        "a batch of one, odd sizes, non-square filters": ((1, 2, 5, 7), (2, 2, 3, 2), 1, 1),
    }
    xs, ws, stride, pad = shapes[case]
    return ((rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])),
            {"stride": stride, "pad": pad})


def pool(rng, case):
    if case == "ties inside windows":
        return (rng.integers(0, 3, (2, 2, 4, 4)).astype(float),), {}
    if case == "overlapping windows, odd sizes":
        return (distinct(rng, (1, 2, 5, 5)),), {"pool_height": 3, "pool_width": 3, "stride": 2}
    return (distinct(rng, (2, 3, 4, 6)),), {}  # "windows without ties"


def softmax_inputs(rng, case):
    if case == "scores of magnitude 1e3":
        x = rng.standard_normal((4, 5)) * 1e3
        x[0] = [1000.0, -1000.0, 999.0, 0.0, 1000.0]
        return (x, rng.integers(0, 5, 4)), {}
    n = 1 if case == "a batch of one" else 6
    return (rng.standard_normal((n, 4)), rng.integers(0, 4, n)), {}


def mse_inputs(rng, case):
    shape = (1, 3) if case == "a batch of one" else (5, 3)
    return (rng.standard_normal(shape), rng.standard_normal(shape)), {}


def bce_inputs(rng, case):
    if case == "probabilities near 0 and 1":
        p = np.array([1e-9, 1 - 1e-9, 1e-6, 1 - 1e-6, 0.5])
        return (p, np.array([0.0, 1.0, 0.0, 1.0, 1.0])), {}
    n = 1 if case == "a batch of one" else 6
    return (rng.uniform(0.05, 0.95, n), rng.integers(0, 2, n).astype(float)), {}
