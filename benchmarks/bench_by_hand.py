"""What the numbers worked by hand (judging/by_hand.py) cost the grader per student.

Run from the repository root:  python benchmarks/bench_by_hand.py [--repeats 25]

One contained child holds every reference function and every by-hand answer (as the source
notebook has them). Printed: the median wall time of one by-hand check (one read of the
variable through the pipes, its validation and its comparison) for each case, and, beside it,
the median time of the whole check of ``affine_backward`` (all its checks) for scale, in
milliseconds.
"""
import argparse
import statistics
import time

import solutions
from autograder.judging.by_hand import cases
from autograder.judging.judge import Judge
from autograder.judging.registry import all_checks, by_hand_names, modules
from autograder.round.samples import reference_answer
from autograder.sandbox.runner import StudentProcess


def median_ms(run, repeats):
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25)
    repeats = parser.parse_args().repeats
    cells = [(0, "import numpy as np"), (1, reference_answer("Operation"))]
    cells += [(len(cells) + i, reference_answer(n)) for i, n in enumerate(solutions.GRADED_NAMES)]
    answers = [reference_answer(v) for a in solutions.ASSIGNMENTS for v in by_hand_names(a)]
    cells.append((len(cells), "\n".join(answers)))
    every = [c for a in solutions.ASSIGNMENTS for c in cases(modules(a))]
    with StudentProcess(cells) as proc:
        proc.ensure_started()
        judge = Judge(proc, 1)
        for case in every:
            ms = median_ms(lambda case=case: case.check(judge), repeats)
            print(f"{case.backward:>26}  by-hand check {ms:6.2f} ms")
        whole = median_ms(lambda: all_checks()["affine_backward"](judge), max(3, repeats // 5))
        print(f"{'affine_backward':>26}  every check   {whole:6.1f} ms (for scale)")


if __name__ == "__main__":
    main()
