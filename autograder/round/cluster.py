"""Grading past one machine: each student a task on a Dask cluster (``dask.distributed``).

The client (``backproplab grade A --scheduler tcp://HOST:8786``) reads every submission with
the grader's own reader, the course secret never leaving it; a task carries the prepared
submission (the cells to run, the readable notebooks, the flags, the points), the student's
seed, the weights, the limits and the containment wanted, so a worker needs the kit's wheels
and no course folder. The worker runs the contained child and the judge, exactly as a local
grading process does, and sends the report back with its address under ``"worker"``. The
gradebook, feedback, saved reports and exports are written by the client alone, through the
same ``done`` callback as a local run (pipeline.grade_all).

Before any work is sent, the client asks every worker for its doctor answer (containment,
kit version, the grader's fingerprint) and restricts the tasks to the workers it accepts: one
that offers no containment is refused (unless ``--no-containment``), and so is one running
another version of the kit. Workers that join during the run are asked the same way.

A worker lost mid-run costs nothing: the scheduler sends its students elsewhere (the results
of a task come back once, so nobody is recorded twice). How many worker deaths a task
survives is the scheduler's ``distributed.scheduler.allowed-failures``: set it to 1 (the
environment variable ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1`` where the scheduler
starts), and a student whose grading killed a worker twice is reported as not graded
(``grading_failed``, graded again on the next run) while the run goes on.

The client keeps at most one task per worker thread in flight, so a task sent is a task
running (restricted tasks are not queued by the scheduler): a dying worker takes down only
the students it was grading.
"""
import sys
import time
import uuid
from dataclasses import dataclass, field
from importlib import metadata

from ..judging.weights import course_weights
from ..sandbox.runner import Limits
from .grading import Submission, grade_prepared, grader_version, read_submission, student_seed

RECOMMENDED_ALLOWED_FAILURES = 1
CONNECT_SECONDS = 30       # for the scheduler to answer
WORKER_WAIT_SECONDS = 60   # for a first acceptable worker, at the start or when all are gone
REFRESH_SECONDS = 2.0      # between looks at the scheduler's workers during a run
MAX_RESENDS = 2            # of a task whose workers were all lost before it ran


class ClusterError(RuntimeError):
    """The cluster can't grade: unreachable, or no worker it has is acceptable (each named)."""


def kit_version():
    try:
        return metadata.version("backproplab-instructor")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def here():
    """What a worker must match: this kit's version and the grader's fingerprint."""
    return {"kit": kit_version(), "grader": grader_version()}


# ------------------------------------------------------------------------ on each worker

def doctor_answer(dask_worker=None):
    """A worker's doctor answer: its containment (level, label, walls, what is missing), the
    kit's version and the grader's fingerprint, its Python and ``backproplab doctor``'s text.
    Run by the client on every worker (``Client.run``), never as a task."""
    from ..sandbox.containment import choose, doctor
    chosen = choose(allow_none=True)
    return {"level": chosen.level, "label": chosen.label, "walls": list(chosen.walls),
            "missing": list(chosen.missing), **here(), "python": sys.version.split()[0],
            "doctor": doctor()}


@dataclass(frozen=True)
class Task:
    """What grading one student needs on a worker with no course folder."""

    student: str
    assignment: str
    submission: Submission
    seed: int
    weights: dict
    limits: Limits
    allow_none: bool
    grader: str  # the client's grader fingerprint: a worker with other code refuses


def grade_task(task):
    """The report of ``task``, graded on this worker; a failure of the grader's own becomes
    the student's flagged report (as pipeline.safe_grade does locally)."""
    from distributed import get_worker

    from ..sandbox.containment import choose
    from .pipeline import failure
    try:
        if grader_version() != task.grader:
            raise RuntimeError(f"this worker runs grader {grader_version()}, the client "
                               f"{task.grader}")
        containment = choose(allow_none=task.allow_none)  # none offered: refuse (fail closed)
        report = grade_prepared(task.submission, task.assignment, task.seed, task.weights,
                                task.limits, containment)
    except Exception as err:  # the grader's own bug must not lose the rest of the class
        report = failure(task.assignment, "grading", err)
    return {**report, "worker": get_worker().address}


# ------------------------------------------------------------------------ on the client

def refusal(answer, wanted, allow_none=False):
    """Why a worker whose doctor ``answer`` (a dict, or the exception asking raised) is
    refused, or None when it is accepted. ``wanted`` is ``here()`` of the client."""
    if isinstance(answer, BaseException):
        return (f"could not run the kit's doctor ({type(answer).__name__}: "
                f"{str(answer)[:200]}); is backproplab-instructor {wanted['kit']} installed "
                "there?")
    if (answer.get("kit"), answer.get("grader")) != (wanted["kit"], wanted["grader"]):
        return (f"runs backproplab-instructor {answer.get('kit')} (grader "
                f"{answer.get('grader')}), this client {wanted['kit']} (grader "
                f"{wanted['grader']}): install the same wheels on both")
    if answer.get("level") == "none" and not allow_none:
        missing = "; ".join(answer.get("missing") or []) or "nothing offered"
        return (f"offers no containment for student code ({missing}); run "
                "`backproplab doctor` there, or pass --no-containment (only for code you trust)")
    return None


def sort_answers(answers, wanted, allow_none=False):
    """({address: answer} accepted, {address: why} refused) of the workers' answers."""
    accepted, refused = {}, {}
    for address, answer in sorted(answers.items()):
        why = refusal(answer, wanted, allow_none)
        if why:
            refused[address] = why
        else:
            accepted[address] = answer
    return accepted, refused


def no_worker_error(address, refused):
    if not refused:
        return ClusterError(f"no worker connected to the Dask scheduler at {address} within "
                            f"{WORKER_WAIT_SECONDS} s: start some (`dask worker {address}`)")
    listed = "\n".join(f"  {w}: {why}" for w, why in sorted(refused.items()))
    return ClusterError(f"no worker of the Dask scheduler at {address} can grade, so nothing "
                        f"was sent:\n{listed}")


@dataclass(frozen=True)
class Offered:
    """The containment of a cluster's accepted workers, as pipeline.known_report compares it
    with a saved report's: their common label (workers of different labels give a label no
    report has, so a cached report is graded again); the level is "none" when any worker
    offers none (accepted only with --no-containment), else theirs or "mixed"."""

    level: str
    label: str


@dataclass
class Cluster:
    """A connection to a Dask scheduler and the workers accepted to grade on it."""

    client: object
    address: str
    allow_none: bool = False
    wanted: dict = field(default_factory=here)
    accepted: dict = field(default_factory=dict)   # address: doctor answer
    refused: dict = field(default_factory=dict)    # address: why
    nthreads: dict = field(default_factory=dict)   # address: threads (accepted, alive)
    allowed_failures: object = None                # the scheduler's, or None if unknown
    say: object = None                             # where news during a run is written

    # --------------------------------------------------------------- workers

    def live_workers(self):
        """{address: threads} of every worker the scheduler knows now."""
        # (not scheduler_info: the client's own refresh may empty its workers meanwhile)
        return {a: int(n) for a, n in self.client.nthreads().items()}

    def refresh(self):
        """Ask workers that joined since the last look, forget those gone; returns the
        addresses lost."""
        live = self.live_workers()
        for known in (self.accepted, self.refused):  # one gone: a newcomer there is asked
            for worker in [a for a in known if a not in live]:
                del known[worker]
        new = [a for a in live if a not in self.accepted and a not in self.refused]
        if new:
            answers = self.client.run(doctor_answer, workers=new, on_error="return")
            accepted, refused = sort_answers(answers, self.wanted, self.allow_none)
            self.accepted.update(accepted)
            self.refused.update(refused)
            for worker, why in refused.items():
                self.tell(f"worker {worker} refused: {why}")
        lost = [a for a in self.nthreads if a not in live]
        self.nthreads = {a: n for a, n in live.items() if a in self.accepted}
        for worker in lost:
            self.tell(f"worker {worker} lost: its students are graded elsewhere")
        return lost

    def wait_for_workers(self, seconds=WORKER_WAIT_SECONDS):
        """Until at least one accepted worker is alive; ClusterError at once when every
        worker there is refused, or after ``seconds`` without any."""
        deadline = time.monotonic() + seconds
        self.refresh()
        while not self.nthreads:
            if self.refused or time.monotonic() > deadline:
                raise no_worker_error(self.address, self.refused)
            time.sleep(0.5)
            self.refresh()

    @property
    def containment(self):
        labels = sorted({a["label"] for a in self.accepted.values()})
        levels = sorted({a["level"] for a in self.accepted.values()})
        level = "none" if "none" in levels else levels[0] if len(levels) == 1 else "mixed"
        return Offered(level, " / ".join(labels))

    def slots(self):
        return max(1, sum(self.nthreads.values()))

    def describe(self):
        """Lines for the terminal: each worker, accepted or refused, and the scheduler's
        allowed-failures."""
        lines = [f"Dask scheduler {self.address}: {len(self.nthreads)} workers accepted, "
                 f"{len(self.refused)} refused"]
        lines += [f"  {a}: {self.nthreads.get(a, '?')} threads, {answer['label']}"
                  for a, answer in sorted(self.accepted.items()) if a in self.nthreads]
        lines += [f"  refused {a}: {why}" for a, why in sorted(self.refused.items())]
        if self.allowed_failures != RECOMMENDED_ALLOWED_FAILURES:
            lines.append(f"  note: the scheduler's distributed.scheduler.allowed-failures is "
                         f"{self.allowed_failures}; {RECOMMENDED_ALLOWED_FAILURES} is "
                         "recommended (a student whose grading kills a worker twice is "
                         "reported as not graded)")
        return "\n".join(lines)

    def tell(self, text):
        if self.say:
            self.say(text)

    def close(self):
        self.client.close()

    # --------------------------------------------------------------- grading

    def grade(self, course, assignment, students, limits, done, close=False, task=grade_task):
        """Grade ``students`` on the accepted workers, calling ``done(student, report)`` for
        each in this process; closes the connection after when ``close``."""
        try:
            grade_on(self, course, assignment, students, limits or Limits(), done, task)
        finally:
            if close:
                self.close()


def connect(address, allow_none=False, say=None):
    """A Cluster of the scheduler at ``address`` whose workers have said they can grade;
    raises ClusterError when it can't be reached or no worker is acceptable."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError("grading on a Dask cluster needs dask.distributed: pip install "
                           "'backproplab-instructor[cluster]'") from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError) as err:  # unreachable, or not an address
        raise ClusterError(f"could not reach the Dask scheduler at {address}: {err}") from None
    cluster = Cluster(client, address, allow_none, say=say)
    try:
        cluster.allowed_failures = client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler.allowed_failures)
    except Exception:
        cluster.allowed_failures = None
    try:
        cluster.wait_for_workers()
    except BaseException:
        client.close()
        raise
    return cluster


def connected(scheduler, allow_none=False):
    """``scheduler`` if it is a Cluster already, else a new connection to that address."""
    return scheduler if isinstance(scheduler, Cluster) else connect(scheduler, allow_none)


def task_for(course, assignment, student, limits, allow_none):
    """The Task of ``student``, read here with the grader's own reader."""
    submission = read_submission(course, assignment, student)
    return Task(student, assignment, submission, student_seed(course, assignment, student),
                course_weights(course, assignment), limits, allow_none, grader_version())


def grade_on(cluster, course, assignment, students, limits, done, run=grade_task):
    """The client's loop: one task per student (``run(Task)`` on a worker), at most one per
    accepted worker thread in flight, each restricted to the accepted workers; calls
    ``done(student, report)`` once per student, here."""
    Run(cluster, course, assignment, limits, done, run).grade(students)


@dataclass
class Flight:
    """A student's task in flight: the Task, the workers it may run on, when it is given up."""

    student: str
    task: Task
    workers: frozenset
    deadline: float


class Run:
    """One grading run on a cluster (see grade_on). A task whose workers are all gone before
    it ran is sent again (at most MAX_RESENDS times); a task that outlives a student's budget
    is reported as ``time_budget`` (Dask can't stop a running task: its worker thread
    finishes it in the background, and the result is dropped)."""

    def __init__(self, cluster, course, assignment, limits, done, run):
        from distributed import as_completed

        from .pipeline import student_budget
        self.cluster, self.course, self.assignment, self.limits = (cluster, course,
                                                                   assignment, limits)
        self.done, self.run = done, run
        self.flying, self.resent = {}, {}  # {future: Flight}, {student: times sent again}
        self.finished = as_completed(loop=cluster.client.loop)
        self.budget = student_budget(limits)

    def grade(self, students):
        queue, looked = list(students)[::-1], time.monotonic()
        while queue or self.flying:
            if time.monotonic() - looked > REFRESH_SECONDS or not self.cluster.nthreads:
                looked = time.monotonic()
                if not self.look():
                    for student in queue[::-1]:
                        self.give_up(student, "no worker of the cluster is left to grade it")
                    return
            while queue and len(self.flying) < self.cluster.slots():
                self.send(queue.pop())
            for future in self.finished.next_batch(block=False):
                if future in self.flying:
                    self.settle(future)
            self.expire()
            if self.flying and not self.finished.has_ready():
                time.sleep(0.05)

    def send(self, student, task=None):
        """Read ``student`` (unless ``task`` is given) and send the task."""
        from .pipeline import failure
        if task is None:
            try:
                task = task_for(self.course, self.assignment, student, self.limits,
                                self.cluster.allow_none)
            except Exception as err:
                self.done(student, failure(self.assignment, "reading the submission", err))
                return
        workers = sorted(self.cluster.nthreads)
        future = self.cluster.client.submit(
            self.run, task, key=f"grade-{self.assignment}-{uuid.uuid4().hex}",
            workers=workers, allow_other_workers=False, pure=False)
        self.flying[future] = Flight(student, task, frozenset(workers),
                                     time.monotonic() + self.budget)
        self.finished.add(future)

    def settle(self, future):
        from .pipeline import failure
        student = self.flying.pop(future).student
        try:
            report = future.result()
        except Exception as err:
            report = (killed_report(self.assignment, err)
                      or failure(self.assignment, "receiving the report", err))
        self.done(student, report)

    def drop(self, future):
        """Forget ``future`` (its result, if any, is never used); returns its Flight."""
        future.cancel()
        return self.flying.pop(future)

    def give_up(self, student, why):
        from .grading import failed_report
        self.done(student, failed_report(self.assignment, "the grader failed on this "
                                         f"submission: {why}; it was not graded"))

    def look(self):
        """Refresh the cluster's workers and rescue the tasks of those lost; False when
        none is left (the students in flight are reported)."""
        lost = self.cluster.refresh()
        if not self.cluster.nthreads:
            try:
                self.cluster.wait_for_workers()
            except ClusterError as err:
                for future in list(self.flying):
                    self.give_up(self.drop(future).student, str(err).splitlines()[0])
                return False
        alive = set(self.cluster.nthreads)
        for future, flight in list(self.flying.items()):
            if future.done():
                continue
            if not flight.workers & alive:  # nowhere left to run
                self.drop(future)
                times = self.resent.get(flight.student, 0)
                if times >= MAX_RESENDS:
                    self.give_up(flight.student, f"every worker it was sent to was lost, "
                                 f"{times + 1} times")
                else:
                    self.resent[flight.student] = times + 1
                    self.send(flight.student, flight.task)
            elif lost:  # its worker may have been one of them: its clock starts again
                flight.deadline = time.monotonic() + self.budget
        return True

    def expire(self):
        from .grading import failed_report
        now = time.monotonic()
        for future in [f for f, flight in self.flying.items() if flight.deadline <= now]:
            self.done(self.drop(future).student, failed_report(
                self.assignment, "time budget used up: grading this submission took over "
                f"{self.budget:.0f} s on the cluster and was given up", code="time_budget"))


def compare_on(scheduler, jobs, compare):
    """{name: compare(*job)} of ``jobs`` {name: job}, one task per graded function on the
    cluster (``scheduler``: a Cluster, or an address to connect to). Comparing runs no
    student code, so workers are checked for the kit's version only, not for containment. A
    function whose task the cluster could not finish is compared here instead (and said)."""
    cluster = connected(scheduler, allow_none=True)
    try:
        workers = sorted(cluster.nthreads)
        futures = {name: cluster.client.submit(
            compare, *job, key=f"similarity-{name}-{uuid.uuid4().hex}", workers=workers,
            allow_other_workers=False, pure=False) for name, job in jobs.items()}
        compared = {}
        for name, future in futures.items():
            try:
                compared[name] = future.result()
            except Exception as err:
                cluster.tell(f"{name}: compared on this machine ({type(err).__name__} on "
                             "the cluster)")
                compared[name] = compare(*jobs[name])
        return compared
    finally:
        if cluster is not scheduler:
            cluster.close()


def killed_report(assignment, err):
    """The report of a student whose task the scheduler gave up on (KilledWorker: its
    workers died while grading it more often than allowed-failures allows), else None."""
    from distributed import KilledWorker

    from .grading import failed_report
    if not isinstance(err, KilledWorker):
        return None
    return failed_report(assignment, "the grader failed on this submission: the Dask workers "
                         "grading it died each time it was tried (the scheduler's "
                         "allowed-failures was reached); it was not graded")
