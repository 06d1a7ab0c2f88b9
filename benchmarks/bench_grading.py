"""Grading throughput: backproplab grade with --jobs 1 and 2 against plain nbgrader autograde,
on the same submissions, measured in one run.

Run: ``python benchmarks/bench_grading.py [--students N] [--assignment hw2_layers]``.
Prints submissions per minute for each, the time per submission split into start-up of
the contained process, student code and judging, and the start-up cost of one contained
child at each containment level this machine offers, side by side.
``--no-nbgrader`` skips the (slow) nbgrader run. ``--class N`` instead projects the time
of a class of N students x the four assignments at ``--jobs 2``: each assignment's demo
class without its blank, cheating and unreadable students (the reference, one written
differently, three with realistic slips), copied to ``--students`` submissions in that
proportion, is graded once with ``--jobs 2`` (after a warm-up run that makes the gradebook),
and its wall time per submission times N is that assignment's share (grading time grows
linearly with the class: each submission is graded alone, and the gradebook writes are a
constant per submission).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.round.pipeline import grade_all  # noqa: E402
from autograder.round.samples import Sample, demo_class, write_submission  # noqa: E402
from autograder.sandbox.containment import choose  # noqa: E402
from autograder.sandbox.runner import StudentProcess  # noqa: E402


def time_startup(level, n=20):
    """Mean seconds from spawning a child at ``level`` to its first answer."""
    os.environ["BACKPROPLAB_CONTAINMENT"] = level
    try:
        containment = choose(allow_none=True)
    finally:
        del os.environ["BACKPROPLAB_CONTAINMENT"]
    start = time.perf_counter()
    for _ in range(n):
        with StudentProcess([(0, "x = 1\n")], containment=containment) as proc:
            proc.defined(["x"])
    return containment.label, (time.perf_counter() - start) / n


def make_course(folder, assignment, students):
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / assignment, folder / part / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    pool = [s for s in demo_class() if not s.raw and "cheat" not in s.what]
    for i in range(students):
        base = pool[i % len(pool)]
        write_submission(folder, assignment, Sample(f"s{i:03d}", base.what, base.answers,
                                                    base.blank, base.all_blank))


def seconds_per_submission(assignment, n):
    """Mean wall seconds per submission of ``assignment`` with --jobs 1: n copies of the
    reference under different ids (the gradebook made before the clock starts)."""
    import solutions  # noqa: F401
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        for part in ("source", "release"):
            shutil.copytree(ROOT / part / assignment, course / part / assignment)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        write_submission(course, assignment, Sample("warmup", "reference"))
        grade_all(course, assignment, jobs=1, progress=False)
        for i in range(n):
            write_submission(course, assignment, Sample(f"r{i:02d}", "reference"))
        start = time.perf_counter()
        reports = grade_all(course, assignment, jobs=1, progress=False)
        elapsed = time.perf_counter() - start
        assert all(r["score"] == r["max_score"] for r in reports.values())
        return elapsed / n


def time_backproplab(course, assignment, jobs):
    shutil.rmtree(course / "autograded", ignore_errors=True)
    start = time.perf_counter()
    reports = grade_all(course, assignment, jobs=jobs, progress=False)
    return time.perf_counter() - start, reports


def time_nbgrader(course, assignment):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"],
                          cwd=course, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        print(proc.stderr[-2000:])
    return elapsed


def project_class(size, students):
    """Minutes for ``size`` students x every assignment at --jobs 2, from a sample of
    ``students`` submissions per assignment (see the module's docstring)."""
    print(f"projection for a class of {size:,} x 4 assignments, --jobs 2, from {students} "
          f"graded submissions per assignment ({os.cpu_count()} cores):")
    total = 0.0
    for assignment in ("hw1_graphs", "hw2_layers", "hw3_cnn", "hw4_training"):
        pool = [s for s in demo_class(assignment) if not s.raw and not s.attacks
                and not s.all_blank]
        with tempfile.TemporaryDirectory() as tmp:
            course = Path(tmp)
            for part in ("source", "release"):
                shutil.copytree(ROOT / part / assignment, course / part / assignment)
            shutil.copy(ROOT / "nbgrader_config.py", course)
            for i in range(students):
                base = pool[i % len(pool)]
                write_submission(course, assignment, Sample(
                    f"s{i:03d}", base.what, base.answers, base.blank, base.all_blank))
            grade_all(course, assignment, jobs=2, progress=False)  # gradebook, caches warm
            elapsed, _ = time_backproplab(course, assignment, 2)
        per = elapsed / students
        total += per * size
        print(f"  {assignment:14s} {per:6.3f} s per submission -> {per * size / 60:6.1f} min")
    print(f"  all four: {total / 60:.1f} min (target: under 10)")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--assignment", default="hw2_layers")
    parser.add_argument("--no-nbgrader", action="store_true")
    parser.add_argument("--class", dest="class_size", type=int, default=None)
    args = parser.parse_args(argv)
    if args.class_size:
        project_class(args.class_size, args.students)
        return
    print("seconds per submission with --jobs 1 (the reference, 6 students):")
    for assignment in ("hw1_graphs", "hw2_layers", "hw3_cnn", "hw4_training"):
        print(f"  {assignment:14s} {seconds_per_submission(assignment, 6):6.2f} s")
    print("start-up of one contained child (spawn to first answer, mean of 20):")
    for level in ("namespaces", "landlock", "none"):
        label, seconds = time_startup(level)
        print(f"  {label:40s} {1000 * seconds:7.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        make_course(course, args.assignment, args.students)
        grade_all(course, args.assignment, jobs=1, progress=False)  # gradebook, caches warm
        n = args.students
        rows = []
        for jobs in (1, 2):
            elapsed, reports = time_backproplab(course, args.assignment, jobs)
            rows.append((f"backproplab grade --jobs {jobs}", elapsed, reports))
        nb = None if args.no_nbgrader else time_nbgrader(course, args.assignment)
        if nb:
            rows.append(("nbgrader autograde (one batch)", nb, None))
        print(f"{args.assignment}: {n} submissions, {os.cpu_count()} cores")
        print(f"{'':34s} {'wall s':>8s} {'per minute':>11s}")
        for name, elapsed, _ in rows:
            print(f"{name:34s} {elapsed:8.1f} {60 * n / elapsed:11.1f}")
        one, two = rows[0][1], rows[1][1]
        print(f"speed-up from --jobs 2: {one / two:.2f}x" + (
            f"; backproplab --jobs 2 vs nbgrader: {nb / two:.2f}x the submissions per minute"
            if nb else ""))
        reports = rows[0][2]
        parts = {k: sum(r["timing"][k] for r in reports.values()) / n
                 for k in ("startup", "student_code", "judging", "total")}
        print("per submission with --jobs 1 (mean s): " +
              ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))


if __name__ == "__main__":
    main()
