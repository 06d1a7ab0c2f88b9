"""Naive vs fast conv and max pool (forward + backward), with PyTorch CPU beside them if present.

Run from the repository root:  python benchmarks/bench_conv.py [--repeats 25] [--naive-repeats 3]

Naive is the reference loops of ``solutions``; fast is ``solutions/fast_layers.py`` (released with hw4); the torch
column (float64, ``torch.nn.functional`` forward + ``torch.autograd.grad`` backward) appears only
where ``import torch`` works: torch is not a dependency of the project. Every figure is the median
wall time of one forward + backward call, in milliseconds, after one untimed warm-up call. The
candidates are timed one after the other, not in alternation, and by default with one thread
each (``--threads``): on a small machine, torch's and OpenBLAS's worker threads otherwise wait
for each other's cores and slow both out of all proportion.
"""

import argparse
import statistics
import time
from functools import partial

import numpy as np
from threadpoolctl import threadpool_limits

from solutions.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from solutions import conv_backward, conv_forward, max_pool_backward, max_pool_forward

try:
    import torch
except ImportError:
    torch = None


def numpy_step(forward, backward, inputs, dout, **params):
    """One forward + backward of a NumPy layer pair; returns the tuple of gradients."""
    _, cache = forward(*inputs, **params)
    grads = backward(dout, cache)
    return grads if isinstance(grads, tuple) else (grads,)


def torch_step(function, inputs, dout, **params):
    """One forward + autograd backward of a torch function on float64 CPU tensors."""
    tensors = [torch.tensor(a, requires_grad=True) for a in inputs]
    out = function(*tensors, **params)
    return torch.autograd.grad(out, tensors, torch.tensor(dout))


def seconds(step):
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def median_ms(step, repeats):
    """Median wall time of ``step()`` in ms, over ``repeats`` calls after one untimed warm-up."""
    step()
    return 1e3 * statistics.median(seconds(step) for _ in range(repeats))


def candidates(naive, fast, torch_name, inputs, dout, params, torch_params):
    """The steps to time: naive and fast (forward, backward) pairs, and torch where present."""
    steps = {
        "naive": partial(numpy_step, *naive, inputs, dout, **params),
        "fast": partial(numpy_step, *fast, inputs, dout, **params),
    }
    if torch is not None:
        function = getattr(torch.nn.functional, torch_name)
        steps["torch"] = partial(torch_step, function, inputs, dout, **torch_params)
    return steps


def conv_case(rng):
    x, w = rng.standard_normal((32, 8, 16, 16)), rng.standard_normal((16, 8, 3, 3))
    inputs, dout = (x, w, rng.standard_normal(16)), rng.standard_normal((32, 16, 16, 16))
    steps = candidates((conv_forward, conv_backward), (conv_forward_fast, conv_backward_fast),
                       "conv2d", inputs, dout, dict(stride=1, pad=1), dict(stride=1, padding=1))
    return "conv x(32,8,16,16) w(16,8,3,3) pad 1 stride 1", steps


def pool_case(rng, size, stride):
    out_side = 1 + (16 - size) // stride
    x = rng.standard_normal((32, 16, 16, 16))
    dout = rng.standard_normal((32, 16, out_side, out_side))
    steps = candidates((max_pool_forward, max_pool_backward),
                       (max_pool_forward_fast, max_pool_backward_fast), "max_pool2d", (x,), dout,
                       dict(pool_height=size, pool_width=size, stride=stride),
                       dict(kernel_size=size, stride=stride))
    return f"max pool x(32,16,16,16) {size}x{size} stride {stride}", steps


def max_difference(steps):
    """Largest absolute difference of every candidate's gradients from the naive ones."""
    reference = steps["naive"]()
    return {name: max(float(np.abs(np.asarray(g) - r).max()) for g, r in zip(step(), reference))
            for name, step in steps.items() if name != "naive"}


def report(title, steps, repeats, naive_repeats):
    differences = max_difference(steps)
    ms = {name: median_ms(step, naive_repeats if name == "naive" else repeats)
          for name, step in steps.items()}
    torch_ms = f"{ms['torch']:9.2f}" if "torch" in ms else f"{'n/a':>9s}"
    line = f"{title:46s} {ms['naive']:9.1f} {ms['fast']:9.2f} {torch_ms}"
    line += f"  {ms['naive'] / ms['fast']:9.0f}x"
    if "torch" in ms:
        line += f"  {ms['fast'] / ms['torch']:9.2f}x"
    print(line)
    print(f"{'':46s} max |grad - naive grad|: "
          + ", ".join(f"{name} {d:.1e}" for name, d in differences.items()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25, help="timed calls of fast and torch")
    parser.add_argument("--naive-repeats", type=int, default=3, help="timed calls of naive")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for NumPy's BLAS and for torch (default 1)")
    args = parser.parse_args(argv)
    with threadpool_limits(args.threads):
        run(args)


def run(args):
    if torch is not None:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    where = f"torch {torch.__version__}" if torch else "no torch"
    print(f"numpy {np.__version__}, {where}, {args.threads} thread(s), float64, "
          "forward + backward, median ms")
    columns = ("naive", "fast", "torch", " naive/fast", " fast/torch")
    print(f"{'case':46s} " + " ".join(f"{name:>9s}" for name in columns))
    for title, steps in (conv_case(rng), pool_case(rng, 2, 2), pool_case(rng, 3, 2)):
        report(title, steps, args.repeats, args.naive_repeats)


if __name__ == "__main__":
    main()
