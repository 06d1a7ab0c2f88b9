"""Grading throughput on a Dask cluster: one worker, then two, beside local --jobs 2, on the
same submissions, measured in one run on this machine.

Run: ``python benchmarks/bench_cluster.py [--students N] [--assignment hw2_layers]``.
Starts a scheduler and workers as processes of their own on the loopback (``python -m
distributed.cli.dask_scheduler`` / ``dask_worker``, one thread each, as the README
recommends), stops them at the end. Every configuration grades the whole class once untimed
first (the workers import the grader, the gradebook is made), then once timed from scratch,
so the figures compare steady states: what a long run of a large class sees. Prints
submissions per minute for each and where a cluster run's time goes.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_grading import make_course  # noqa: E402

from autograder.round.cluster import connect  # noqa: E402
from autograder.round.pipeline import grade_all  # noqa: E402


class Processes:
    """A scheduler and workers on this machine, each in its own process group."""

    def __init__(self, folder):
        self.folder, self.procs = Path(folder), []
        self.file = self.folder / "scheduler.json"

    def spawn(self, module, *args, **env):
        log = open(self.folder / f"process{len(self.procs)}.log", "w")
        self.procs.append(subprocess.Popen(
            [sys.executable, "-m", module, *args], stdout=log, stderr=log,
            stdin=subprocess.DEVNULL, start_new_session=True, env={**os.environ, **env},
            cwd=self.folder))
        log.close()

    def scheduler(self):
        self.spawn("distributed.cli.dask_scheduler", "--scheduler-file", str(self.file),
                   "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                   DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
        while not self.file.exists() or not self.file.read_text().strip():
            time.sleep(0.2)
        return json.loads(self.file.read_text())["address"]

    def worker(self):
        self.spawn("distributed.cli.dask_worker", "--scheduler-file", str(self.file),
                   "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--host",
                   "127.0.0.1", "--local-directory", str(self.folder / f"w{len(self.procs)}"))

    def stop(self):
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)
            except ProcessLookupError:
                continue
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def timed(course, assignment, **how):
    """Seconds to grade the whole class from scratch (after one untimed run), and reports."""
    grade_all(course, assignment, progress=False, force=True, **how)
    shutil.rmtree(course / "autograded", ignore_errors=True)
    start = time.perf_counter()
    reports = grade_all(course, assignment, progress=False, **how)
    return time.perf_counter() - start, reports


def cluster_of(address, workers):
    """A connection once ``workers`` workers have joined."""
    deadline = time.monotonic() + 120
    while True:
        cluster = connect(address)
        if len(cluster.nthreads) >= workers:
            return cluster
        cluster.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {workers} workers joined in 120 s")
        time.sleep(1)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--assignment", default="hw2_layers")
    args = parser.parse_args(argv)
    n, rows = args.students, []
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        course.mkdir()
        make_course(course, args.assignment, n)
        rows.append(("local --jobs 2", *timed(course, args.assignment, jobs=2)))
        processes = Processes(tmp)
        try:
            address = processes.scheduler()
            for workers in (1, 2):
                processes.worker()
                cluster = cluster_of(address, workers)
                try:
                    rows.append((f"Dask, {workers} worker{'s' * (workers > 1)} x 1 thread",
                                 *timed(course, args.assignment, scheduler=cluster)))
                finally:
                    cluster.close()
        finally:
            processes.stop()
    print(f"{args.assignment}: {n} submissions, {len(os.sched_getaffinity(0))} cores, "
          "scheduler and workers on this machine (loopback)")
    print(f"{'':30s} {'wall s':>8s} {'per minute':>11s}")
    for name, elapsed, _ in rows:
        print(f"{name:30s} {elapsed:8.1f} {60 * n / elapsed:11.1f}")
    reports = rows[-1][2]
    spread = {}
    for report in reports.values():
        spread[report.get("worker")] = spread.get(report.get("worker"), 0) + 1
    print("two workers graded " + ", ".join(f"{c} ({w})" for w, c in sorted(spread.items())))
    for name, _, reports in rows:
        mean = sum(r["timing"].get("total", 0) for r in reports.values()) / n
        print(f"{name}: mean grading time per submission {mean:.2f} s (in its worker)")


if __name__ == "__main__":
    main()
