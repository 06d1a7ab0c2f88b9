"""The solution library's and the student package's figures, side by side in one run:
naive vs fast conv and pool (and PyTorch CPU where importable), full finite differences vs
the fast directional check on a 100k-parameter layer, and a training epoch on digits.

Run: ``python benchmarks/bench_library.py`` (about two minutes; the full finite differences
over 100k weights dominate).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_conv  # noqa: E402
import bench_gradcheck  # noqa: E402
import bench_training  # noqa: E402


def main():
    print("== convolution and max pool: naive loops vs fast (vs PyTorch CPU) ==")
    bench_conv.main([])
    print("\n== gradient check of a 100k-parameter affine layer ==")
    bench_gradcheck.main([])
    print("\n== a training epoch on digits ==")
    bench_training.main()


if __name__ == "__main__":
    main()
