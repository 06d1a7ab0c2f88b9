"""What watching the gradients costs: grading the reference of each assignment with the
judge's call monitor on (as graded) and off, side by side in one run.

Run: ``python benchmarks/bench_derivation.py [--students N]``. Prints, per assignment, the
mean wall seconds per submission (--jobs 1) with the monitor and without it, interleaved
round by round so that the machine's load falls on both alike, and their ratio.
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.judging.judge import Judge  # noqa: E402
from autograder.round.pipeline import grade_all  # noqa: E402
from autograder.round.samples import Sample, write_submission  # noqa: E402

ASSIGNMENTS = ("hw1_graphs", "hw2_layers", "hw3_cnn", "hw4_training")


def course_of(folder, assignment, students):
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / assignment, folder / part / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for i in range(students):
        write_submission(folder, assignment, Sample(f"r{i:02d}", "reference"))
    grade_all(folder, assignment, jobs=1, progress=False)  # the gradebook, caches warm


def seconds_per_submission(course, assignment, students, monitored):
    """Mean wall seconds per submission, with the gradient calls monitored or not."""
    watching = Judge.gradient_call
    if not monitored:
        Judge.gradient_call = lambda judge, target: False
    try:
        shutil.rmtree(course / "autograded", ignore_errors=True)
        start = time.perf_counter()
        reports = grade_all(course, assignment, jobs=1, progress=False)
        elapsed = time.perf_counter() - start
    finally:
        Judge.gradient_call = watching
    assert all(r["score"] == r["max_score"] for r in reports.values()), assignment
    return elapsed / students


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    print(f"seconds per reference submission, --jobs 1, {args.students} students, "
          f"{args.rounds} rounds interleaved")
    print(f"{'':14s} {'monitored':>10s} {'unwatched':>10s} {'ratio':>6s}")
    for assignment in ASSIGNMENTS:
        with tempfile.TemporaryDirectory() as tmp:
            course = Path(tmp)
            course_of(course, assignment, args.students)
            on, off = [], []
            for _ in range(args.rounds):
                on.append(seconds_per_submission(course, assignment, args.students, True))
                off.append(seconds_per_submission(course, assignment, args.students, False))
            a, b = sum(on) / len(on), sum(off) / len(off)
            print(f"{assignment:14s} {a:10.2f} {b:10.2f} {a / b:6.2f}")


if __name__ == "__main__":
    main()
