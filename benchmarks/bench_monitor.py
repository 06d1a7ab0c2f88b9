"""What the call monitor (``StudentProcess.call(..., monitor=True)``) costs an honest student.

Run from the repository root:  python benchmarks/bench_monitor.py [--repeats 15]

A contained child runs the loop-based ``conv_backward`` of tests/assignments/hw3_cnn/ (four
nested Python loops, two NumPy slices updated per step, no call to a function of the student's)
the same loops with a helper of the student's called at every window, and the reference
``sigmoid_backward`` (one call to the student's ``sigmoid_forward``), each on a small case,
without the monitor, then with it. Every figure is the median wall
time of one call as the grader sees it (the round trip through the pipes included), in
milliseconds, after one untimed warm-up call of each kind.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import corpus_module  # noqa: E402

from autograder.round.samples import reference_answer  # noqa: E402
from autograder.sandbox.probes import Probe  # noqa: E402
from autograder.sandbox.runner import Limits, StudentProcess  # noqa: E402

HW3_CLASS = corpus_module("hw3_cnn", "test_hw3_cnn")
CONV_BACKWARD_LOOPS, CONV_LOOPS, PY2_SHIM = (HW3_CLASS.CONV_BACKWARD_LOOPS, HW3_CLASS.CONV_LOOPS,
                                             HW3_CLASS.PY2_SHIM)

ITEM = Probe("item")
# The loops of CONV_BACKWARD_LOOPS with a helper of the student's called at every window
# (512 calls of a student function with the padded input among its arguments): what the
# monitor costs per call of a student's function.
CONV_BACKWARD_HELPER = CONV_BACKWARD_LOOPS.replace(
    "def conv_backward(", "def conv_backward_helper(").replace(
    "                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]\n",
    "                    dw[f] += window(x_pad, n, hs, ws, HH, WW) * dout[n, f, i, j]\n")
WINDOW = "def window(x, n, hs, ws, hh, ww):\n    return x[n, :, hs:hs + hh, ws:ws + ww]\n"


def timed(proc, name, args, monitor, repeats):
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        proc.call(name, *args, monitor=monitor)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:]) * 1000


def kept_cache(proc, forward, *args, **kwargs):
    handle, value = proc.call(forward, *args, keep=True, **kwargs)
    cache, _ = proc.call(ITEM, handle, 1, keep=True)
    return value[0], cache


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    rng = np.random.default_rng(0)
    cells = ["import numpy as np", PY2_SHIM, CONV_LOOPS, CONV_BACKWARD_LOOPS, WINDOW,
             CONV_BACKWARD_HELPER,
             reference_answer("sigmoid_forward"), reference_answer("sigmoid_backward")]
    with StudentProcess(list(enumerate(cells)), Limits(call_seconds=60)) as proc:
        x, w, b = rng.normal(size=(2, 3, 8, 8)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
        out, cache = kept_cache(proc, "conv_forward", x, w, b, stride=1, pad=1)
        dout = rng.normal(size=out.shape)
        cases = {"conv_backward, loops, x (2, 3, 8, 8), w (4, 3, 3, 3), pad 1":
                 ("conv_backward", (dout, cache)),
                 "the same, a helper of the student's at every window":
                 ("conv_backward_helper", (dout, cache))}
        s = rng.normal(size=(64, 32))
        out, cache = kept_cache(proc, "sigmoid_forward", s)
        cases["sigmoid_backward, reference, x (64, 32)"] = \
            ("sigmoid_backward", (rng.normal(size=out.shape), cache))
        print(f"{'case':58} {'plain ms':>9} {'monitored ms':>13} {'ratio':>6}")
        for label, (name, args) in cases.items():
            plain = timed(proc, name, args, False, repeats)
            monitored = timed(proc, name, args, True, repeats)
            print(f"{label:58} {plain:9.2f} {monitored:13.2f} {monitored / plain:6.2f}")
        print(f"Python {sys.version.split()[0]}, containment {proc.containment.label}")


if __name__ == "__main__":
    main()
