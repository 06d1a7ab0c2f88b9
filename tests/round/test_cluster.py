"""Grading on a Dask cluster, for real: a scheduler and workers started here as processes of
their own (``python -m distributed.cli.dask_scheduler`` / ``dask_worker``, loopback only,
the scheduler's allowed-failures set to 1 as the README asks), a class graded through them
and compared with a local run of the same class; a worker killed mid-run; a student whose
grading kills its worker twice; workers refused for what they offer. Every process started
here is stopped by a finalizer, whatever the test did."""
import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from support import ROOT

pytest.importorskip("distributed", reason="dask.distributed is not installed: grading on a "
                    "cluster is the optional extra backproplab-instructor[cluster] (the [test] "
                    "extra installs it)")

from cluster_support import CRASHING_STUDENT, crash_on_gus  # noqa: E402
from distributed import Client  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from autograder.round import cluster as on_dask  # noqa: E402
from autograder.round.demo_classes import demo_class  # noqa: E402
from autograder.round.grading import course_secret  # noqa: E402
from autograder.round.pipeline import failed_students, grade_all  # noqa: E402
from autograder.round.samples import write_submission  # noqa: E402
from autograder.sandbox.runner import Limits  # noqa: E402
from autograder.similarity import run as similarity  # noqa: E402

A = "hw2_layers"
CLASS = ("ada", "cleo", "dev", "eve", "gus", "hana")  # right, blank, two slips, cheat, no JSON
LIMITS = Limits(cell_seconds=4, call_seconds=4)
START_SECONDS = 90
TESTS = Path(__file__).resolve().parent  # on the PYTHONPATH of the processes: cluster_support


# ------------------------------------------------------------------ processes of a cluster

class LocalDask:
    """A scheduler and workers as processes on this machine, each in a process group of its
    own (a worker's nanny and worker die together)."""

    def __init__(self, folder):
        self.folder, self.groups = folder, []
        self.file = folder / "scheduler.json"

    def spawn(self, argv, name, **env):
        log = open(self.folder / f"{name}.log", "w")
        path = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
        proc = subprocess.Popen([sys.executable, "-m", *argv], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, "PYTHONPATH": path, **env}, cwd=self.folder)
        log.close()
        self.groups.append(proc)
        return proc

    def start_scheduler(self):
        self.spawn(["distributed.cli.dask_scheduler", "--scheduler-file", str(self.file),
                    "--host", "127.0.0.1", "--port", "0", "--no-dashboard"], "scheduler",
                   DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
        deadline = time.monotonic() + START_SECONDS
        while not self.file.exists() or not self.file.read_text().strip():
            assert time.monotonic() < deadline, (self.folder / "scheduler.log").read_text()
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]

    def start_workers(self, count, **env):
        for _ in range(count):
            name = f"worker{len(self.groups)}"
            self.spawn(["distributed.cli.dask_worker", "--scheduler-file", str(self.file),
                        "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                        "--host", "127.0.0.1", "--local-directory", str(self.folder / name)],
                       name, **env)
        with Client(self.address, set_as_default=False) as client:
            client.wait_for_workers(len(self.groups) - 1, timeout=START_SECONDS)

    def groups_of_workers(self):
        """{worker address: its process group}."""
        with Client(self.address, set_as_default=False) as client:
            return client.run(os.getpgrp)

    def stop(self):
        for proc in self.groups:
            for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(grace)
                    break
                except subprocess.TimeoutExpired:
                    continue


@pytest.fixture
def local_dask(tmp_path_factory, request):
    """A LocalDask without workers yet, whose every process is stopped when the test ends."""
    dask = LocalDask(tmp_path_factory.mktemp("dask"))
    request.addfinalizer(dask.stop)
    dask.start_scheduler()
    return dask


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, request):
    """A LocalDask with two workers, shared by the tests that leave it as it is."""
    dask = LocalDask(tmp_path_factory.mktemp("dask"))
    request.addfinalizer(dask.stop)
    dask.start_scheduler()
    dask.start_workers(2)
    return dask


# ------------------------------------------------------------------ one class, graded locally

@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A course with CLASS of hw2_layers' demo class handed in and its secret made, never
    graded (each run grades a copy, so all draw the same hidden inputs)."""
    course = tmp_path_factory.mktemp("pristine")
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for sample in demo_class(A):
        if sample.student in CLASS:
            write_submission(course, A, sample)
    course_secret(course)
    return course


def copy_of(pristine, tmp_path_factory, name):
    course = tmp_path_factory.mktemp(name) / "course"
    shutil.copytree(pristine, course)
    return course


@pytest.fixture(scope="module")
def local(pristine, tmp_path_factory):
    """(reports, gradebook scores) of the class graded locally, --jobs 2."""
    course = copy_of(pristine, tmp_path_factory, "local")
    return grade_all(course, A, jobs=2, limits=LIMITS, progress=False), gradebook_scores(course)


def gradebook_scores(course):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: (s.score, s.max_score) for s in gb.assignment_submissions(A)}


def comparable(report):
    """A report without what differs from run to run (timing) or by where it ran."""
    return {k: v for k, v in report.items() if k not in ("timing", "worker")}


def counting(cluster, counts, task=on_dask.grade_task):
    """Make ``cluster`` count each student's report as it reaches the client (and run
    ``task`` on its workers)."""
    grade = cluster.grade

    def counted_grade(course, assignment, students, limits, done, close=False):
        def counted(student, report):
            counts[student] += 1
            done(student, report)
        return grade(course, assignment, students, limits, counted, close=close, task=task)
    cluster.grade = counted_grade
    return cluster


# ------------------------------------------------------------------ the tests

def test_a_cluster_grades_as_a_local_run(two_workers, pristine, local, tmp_path_factory):
    course = copy_of(pristine, tmp_path_factory, "cluster")
    reports = grade_all(course, A, limits=LIMITS, progress=False, scheduler=two_workers.address)
    local_reports, local_scores = local
    assert list(reports) == list(local_reports)
    assert {s: comparable(r) for s, r in reports.items()} == \
        {s: comparable(r) for s, r in local_reports.items()}
    assert gradebook_scores(course) == local_scores
    workers = set(two_workers.groups_of_workers())
    assert {r["worker"] for r in reports.values()} == workers  # both took students
    assert not any("worker" in r for r in local_reports.values())
    saved = json.loads((course / "autograded" / "ada" / A / "backproplab.json").read_text())
    assert saved["report"]["worker"] in workers  # written by the client, as locally


def test_similarity_on_a_cluster_finds_what_it_finds_locally(two_workers, pristine,
                                                             tmp_path_factory):
    course = copy_of(pristine, tmp_path_factory, "similarity")
    ben = next(s for s in demo_class(A) if s.student == "ben")  # written his own way
    for student in ("ben", "bea"):  # and copied
        write_submission(course, A, dataclasses.replace(ben, student=student))
    news = []
    cluster = on_dask.connect(two_workers.address, allow_none=True, say=news.append)
    try:
        for where, scheduler in (("here", None), ("there", cluster)):
            assert similarity(course, A, json_path=course / f"{where}.json", out=io.StringIO(),
                              scheduler=scheduler) == 0
    finally:
        cluster.close()
    assert not news  # every function compared on a worker, none here instead
    here, there = (json.loads((course / f"{w}.json").read_text()) for w in ("here", "there"))
    assert there == here
    assert any(p["students"] == ["bea", "ben"] for p in here["pairs"]), here["pairs"]


def test_a_worker_killed_mid_run_costs_nothing(local_dask, pristine, local, tmp_path_factory):
    local_dask.start_workers(2)
    groups = local_dask.groups_of_workers()
    victim = sorted(groups)[0]
    counts = Counter()
    cluster = counting(on_dask.connect(local_dask.address), counts)
    killed = {}

    def kill_while_grading():
        with Client(local_dask.address, set_as_default=False) as watcher:
            deadline = time.monotonic() + START_SECONDS
            while time.monotonic() < deadline:
                in_flight = watcher.processing([victim]).get(victim)
                if in_flight:
                    time.sleep(0.3)  # into its student's grading
                    killed["in flight"] = watcher.processing([victim]).get(victim)
                    os.killpg(groups[victim], signal.SIGKILL)
                    return
                time.sleep(0.05)

    killer = threading.Thread(target=kill_while_grading)
    killer.start()
    try:
        course = copy_of(pristine, tmp_path_factory, "killed")
        reports = grade_all(course, A, limits=LIMITS, progress=False, scheduler=cluster)
    finally:
        killer.join()
        cluster.close()
    assert killed.get("in flight"), "the worker was not killed while grading"
    local_reports, local_scores = local
    assert counts == Counter(list(local_reports))  # every student reported once, none lost
    assert not failed_students(reports)
    assert {s: comparable(r) for s, r in reports.items()} == \
        {s: comparable(r) for s, r in local_reports.items()}
    assert gradebook_scores(course) == local_scores
    survivor = next(w for w in groups if w != victim)
    assert any(r["worker"] == survivor for r in reports.values())


def test_a_student_whose_grading_kills_two_workers_is_not_graded(local_dask, pristine, local,
                                                                  tmp_path_factory):
    local_dask.start_workers(2)  # each with a nanny that starts its worker again
    counts = Counter()
    cluster = counting(on_dask.connect(local_dask.address), counts, task=crash_on_gus)
    try:
        course = copy_of(pristine, tmp_path_factory, "crashing")
        reports = grade_all(course, A, limits=LIMITS, progress=False, scheduler=cluster)
    finally:
        cluster.close()
    local_reports, local_scores = local
    assert counts == Counter(list(local_reports))
    gus = CRASHING_STUDENT
    assert failed_students(reports) == [gus], {s: r["errors"] for s, r in reports.items()}
    assert "allowed-failures" in reports[gus]["errors"][-1]
    others = {s: comparable(r) for s, r in reports.items() if s != gus}
    assert others == {s: comparable(r) for s, r in local_reports.items() if s != gus}
    scores = gradebook_scores(course)
    assert {s: v for s, v in scores.items() if s != gus} == \
        {s: v for s, v in local_scores.items() if s != gus}


def test_a_worker_without_containment_is_refused_by_name(local_dask):
    local_dask.start_workers(1, BACKPROPLAB_CONTAINMENT="none")
    (worker,) = local_dask.groups_of_workers()
    with pytest.raises(on_dask.ClusterError) as refused:
        on_dask.connect(local_dask.address)
    assert worker in str(refused.value) and "no containment" in str(refused.value)
    cluster = on_dask.connect(local_dask.address, allow_none=True)  # --no-containment
    try:
        assert list(cluster.nthreads) == [worker]
        assert cluster.containment.level == "none"
    finally:
        cluster.close()


# ------------------------------------------------------------------ the acceptance policy

WANTED = {"kit": "0.1.0", "grader": "abcdef0123456789"}


def answer(**changes):
    return {"level": "namespaces", "label": "namespaces+landlock7+seccomp+uid", "walls": [],
            "missing": [], **WANTED, **changes}


def test_the_policy_accepts_a_contained_worker_of_the_same_kit():
    assert on_dask.refusal(answer(), WANTED) is None
    assert on_dask.refusal(answer(level="landlock", label="landlock7+seccomp+uid"),
                           WANTED) is None


def test_the_policy_refuses_a_worker_without_containment_unless_asked():
    why = on_dask.refusal(answer(level="none", label="none",
                                 missing=["bubblewrap: not installed"]), WANTED)
    assert "no containment" in why and "bubblewrap: not installed" in why
    assert on_dask.refusal(answer(level="none", label="none"), WANTED, allow_none=True) is None


def test_the_policy_refuses_another_kit_naming_both_versions():
    why = on_dask.refusal(answer(kit="0.0.9"), WANTED)
    assert "0.0.9" in why and "0.1.0" in why
    why = on_dask.refusal(answer(grader="ffff000011112222"), WANTED)
    assert "ffff000011112222" in why and "abcdef0123456789" in why


def test_no_acceptable_worker_is_an_error_naming_each_and_why():
    accepted, refused = on_dask.sort_answers(
        {"tcp://10.0.0.1:1": answer(level="none"), "tcp://10.0.0.2:2": answer(kit="0.0.9"),
         "tcp://10.0.0.3:3": ModuleNotFoundError("No module named 'autograder'")}, WANTED)
    assert not accepted and len(refused) == 3
    text = str(on_dask.no_worker_error("tcp://10.0.0.9:8786", refused))
    for worker in refused:
        assert worker in text
    assert "no containment" in text and "0.0.9" in text and "ModuleNotFoundError" in text
