"""Full finite differences vs the directional check on a 100k-parameter affine layer.

    python benchmarks/bench_gradcheck.py            # x (50, 250), w (250, 400): 100k weights
    python benchmarks/bench_gradcheck.py --d 100    # smaller, quicker

Both checks differentiate ``sum((x @ w + b) * dout)`` with respect to ``w``; the script prints
their wall times, forward-call counts, errors against the analytic gradient, and the ratio.
The full finite differences are the reference ``numerical_gradient`` (hw1's graded function,
which the student package does not hold); the directional check is the package's.
"""

import argparse
import time

import numpy as np

from backproplab.gradcheck import gradient_check, rel_error
from solutions import numerical_gradient


def affine_forward(x, w, b):
    return x @ w + b


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="batch size")
    parser.add_argument("--d", type=int, default=250, help="input features")
    parser.add_argument("--m", type=int, default=400, help="output features")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.n, args.d))
    w = rng.standard_normal((args.d, args.m))
    b = rng.standard_normal(args.m)
    dout = rng.standard_normal((args.n, args.m))
    dw = x.T @ dout  # analytic gradient, the thing both checks verify
    print(f"affine layer: x {x.shape}, w {w.shape} ({w.size:,} weights), b {b.shape}")

    numeric, t_full = timed(lambda: numerical_gradient(
        lambda v: float(np.sum(affine_forward(x, v, b) * dout)), w))
    check, t_dir = timed(lambda: gradient_check(
        affine_forward, [x, w, b], [None, dw, None], dout, rng=args.seed, names="xwb"))

    full_error = rel_error(numeric, dw)
    entry_errors = np.abs(numeric - dw) / (np.abs(numeric) + np.abs(dw))
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(entry_errors), dw.shape))
    print(f"{'method':<34}{'time (s)':>10}{'forward calls':>16}{'rel. error':>13}")
    print(f"{'full finite differences':<34}{t_full:>10.3f}{2 * w.size:>16,}{full_error:>13.1e}")
    print(f"{'directional (8 random directions)':<34}{t_dir:>10.3f}{check.n_forward_calls:>16,}"
          f"{check.error:>13.1e}")
    print(f"speed-up: {t_full / t_dir:,.0f}x")
    print(f"full finite differences: worst entry dw{list(worst)} = {dw[worst]:.3g}, "
          f"abs. error {abs(numeric[worst] - dw[worst]):.1e}, max abs. error over all "
          f"entries / max |dw| = {np.abs(numeric - dw).max() / np.abs(dw).max():.1e} "
          "(plain rel_error, no rounding-noise floor)")
    print(f"directional check verdict: {check.verdict} (its errors use a rounding-noise floor)")

if __name__ == "__main__":
    main()
