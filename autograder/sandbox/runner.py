"""The parent side of the sandbox: start the contained child, run cells, call functions.

``StudentProcess`` owns one child at a time, started at the containment ``containment.py``
chose. A cell or a call that overruns its wall time, or a child that dies (``os._exit``, a
segfault, a CPU or memory limit), costs only that cell or call: the child is killed (with
its pid namespace, so nothing it started survives) and, on the next request, a fresh one
re-runs the cells without the ones that killed it. Every wait is also bounded by the
student's whole budget (``Limits.student_seconds``) and restarts by ``max_restarts_total``.

The parent reads the child only through the two pipes it opened itself; nothing the child
writes to a file is ever read.
"""
import fcntl
import os
import select
import signal
import subprocess
import time
from dataclasses import asdict, dataclass

from . import containment as walls
from . import wire


@dataclass
class Limits:
    """What one student's child may use. Wall times in seconds, sizes in bytes."""

    cell_seconds: float = 10.0
    call_seconds: float = 10.0
    startup_seconds: float = 60.0
    student_seconds: float = 180.0  # every cell, call and restart of one student together
    cpu_seconds: int = 300
    memory_bytes: int = 3 * 1024**3
    file_bytes: int = 16 * 1024**2
    processes: int = 64
    max_restarts: int = 3  # per graded function (and for running the notebook's cells)
    max_restarts_total: int = 12  # per student
    # Calls that time out again and again: after one, the next calls get at most
    # ``suspect_call_seconds`` until one answers in time; a function whose calls timed out
    # ``function_timeouts`` times in a row has its other calls skipped; after
    # ``student_timeouts`` in a row, across two functions or more, the student is given up on
    # (10 + 1 + 1 s at the defaults, where a student whose every call sleeps used to cost
    # 40 s or more of its 180 s budget).
    suspect_call_seconds: float = 1.0
    function_timeouts: int = 2
    student_timeouts: int = 3


class StudentError(Exception):
    """The student's code failed: ``kind`` is 'exception', 'timeout', 'crashed' or 'gave_up';
    ``error`` the exception's class name when there is one."""

    def __init__(self, kind, message, error=None, mro=()):
        super().__init__(message)
        self.kind, self.error, self.mro = kind, error, tuple(mro)

    def is_a(self, name):
        return name == self.error or name in self.mro


@dataclass
class CellOutcome:
    """How one cell ran: ``error`` the kind of failure ('exception', 'timeout', ...),
    ``exception`` and ``mro`` the class the child reported and its bases' names."""

    index: int
    ok: bool
    error: str = ""
    message: str = ""
    exception: str = ""
    mro: tuple = ()


@dataclass
class Handle:
    """An object that stays in the child (a cache, an Operation instance)."""

    key: str
    typename: str
    generation: int

    @property
    def wire_ref(self):
        return self.key


READ_BYTES = 1 << 16  # at least this much is asked of the pipe in one read
PIPE_BYTES = 1 << 20  # Linux's default pipe-max-size: a large array crosses in a few writes


def widen(fd):
    """Give the pipe of ``fd`` PIPE_BYTES of buffer where the kernel allows it (64 KiB is
    the default: a 1.6 MB array then takes 25 wake-ups each way)."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (OSError, AttributeError):
        pass  # a lower pipe-max-size: the default buffer works, only slower


class DeadlineReader:
    """Reads of the child's pipe that give up at ``deadline``. What one read brings beyond
    the bytes asked for waits in ``pending`` (the process's own, kept across replies): a
    small reply's frames then cost one system call, not two per frame."""

    def __init__(self, fd, deadline, pending):
        self.fd, self.deadline, self.pending = fd, deadline, pending

    def read(self, n):
        if not self.pending:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                raise TimeoutError
            if n >= READ_BYTES:  # a large frame's bytes: straight to the caller
                return os.read(self.fd, n)
            self.pending += os.read(self.fd, READ_BYTES)
            if not self.pending:
                return b""  # the child closed its end
        data = bytes(self.pending[:n])
        del self.pending[:n]
        return data


class DeadlineWriter:
    def __init__(self, fd, deadline):
        self.fd, self.deadline = fd, deadline

    def write(self, data):
        view = memoryview(data)
        while view:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self.fd], [], remaining)[1]:
                raise TimeoutError
            view = view[os.write(self.fd, view[:PIPE_BYTES]):]

    def flush(self):
        pass


class StudentProcess:
    """Runs a submission's cells in a contained child and calls its functions.

    ``cells`` is a list of ``(index, source)`` in notebook order; ``containment`` the level
    from ``containment.choose`` (chosen here when not given: refuses if there is none)."""

    def __init__(self, cells, limits=None, containment=None, tripwire=True):
        self.cells = list(cells)
        self.tripwire = tripwire
        self.limits = limits or Limits()
        self.containment = containment or walls.choose()
        self.fatal_cells = set()
        self.outcomes = {}
        self.restarts = -1
        self.restarts_left = self.limits.max_restarts
        self.label = "the notebook"
        self.generation = 0
        self.proc = None
        self.launch = None
        self.walls = []
        self.last_stderr = ""
        self.started = time.monotonic()
        self.fp_warnings = []  # what NumPy warned about during the last call
        self.last_monitor = None  # the record of the last call made with monitor=True
        self.consecutive_timeouts = 0
        self.function_timeouts = 0
        self.timed_out_functions = set()  # the functions of the current run of timeouts
        self.given_up = False
        self.timing = {"startup": 0.0, "cells": 0.0, "calls": 0.0}

    # ------------------------------------------------------------------ life cycle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def begin(self, label):
        """Start grading a new function: it gets its own budget of restarts, so a function
        that keeps crashing the process costs only its own checks."""
        self.restarts_left = self.limits.max_restarts
        self.label = label
        self.function_timeouts = 0

    def budget_left(self):
        if self.given_up:
            return 0.0
        return self.limits.student_seconds - (time.monotonic() - self.started)

    def call_seconds(self):
        """The wall time of the next call: shorter while the last ones timed out."""
        if self.consecutive_timeouts:
            return min(self.limits.call_seconds, self.limits.suspect_call_seconds)
        return self.limits.call_seconds

    def within_budget(self, seconds):
        """``seconds``, cut to what is left of the student's budget (raises when none is)."""
        left = self.budget_left()
        if left <= 0:
            self.kill()
            why = (f"{self.consecutive_timeouts} calls in a row timed out, so the rest of this "
                   "submission was not run" if self.given_up else
                   f"the time budget of {self.limits.student_seconds:g} s for this submission "
                   "was used up")
            raise StudentError("budget", why)
        return min(seconds, left)

    def ensure_started(self):
        if self.proc is not None:
            return
        self.restarts += 1
        if self.restarts > 0:
            if self.restarts_left <= 0 or self.restarts > self.limits.max_restarts_total:
                raise StudentError("gave_up", f"the process was restarted {self.restarts - 1} "
                                              f"times while grading {self.label}; its remaining "
                                              "checks were not run")
            self.restarts_left -= 1
        self.spawn()
        for index, source in self.cells:
            if index not in self.fatal_cells:
                self.run_cell(index, source)

    def spawn(self):
        start = time.monotonic()
        seconds = self.within_budget(self.limits.startup_seconds)
        self.launch = walls.launch(self.containment, asdict(self.limits))
        self.launch.config["tripwire"] = self.tripwire
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        err_r, err_w = os.pipe()
        for fd in (to_child_w, from_child_w):
            widen(fd)
        env = {"PATH": "/usr/bin:/bin", "HOME": self.launch.config["scratch"], "LANG": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        try:
            self.proc = subprocess.Popen(
                [*self.launch.argv, str(to_child_r), str(from_child_w)], env=env,
                cwd=self.launch.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=err_w, pass_fds=(to_child_r, from_child_w), start_new_session=True)
        finally:
            for fd in (to_child_r, from_child_w, err_w):
                os.close(fd)
        self.fd_out, self.fd_in, self.fd_err = to_child_w, from_child_r, err_r
        self.pending = bytearray()  # read from this child, not yet taken (DeadlineReader)
        os.set_blocking(err_r, False)
        self.generation += 1
        try:
            wire.send(DeadlineWriter(self.fd_out, time.monotonic() + seconds), self.launch.config)
            ready, _ = self.receive(seconds)
        except StudentError as error:
            self.kill()
            raise StudentError("crashed", f"the grading process did not start: {error}\n"
                                          f"{self.last_stderr}") from None
        if not ready.get("ok"):
            self.kill()
            raise StudentError("crashed", "the grading process could not be contained: "
                                          f"{str(ready.get('message'))[:300]}")
        self.walls = [str(w)[:120] for w in ready.get("walls", [])][:8]
        self.timing["startup"] += time.monotonic() - start

    def kill(self):
        if self.proc is None:
            return
        try:  # bubblewrap's pid 1 dies with it, and the kernel ends its whole namespace
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        try:
            self.last_stderr = os.read(self.fd_err, 1500).decode(errors="replace")
        except OSError:
            self.last_stderr = ""
        for fd in (self.fd_in, self.fd_out, self.fd_err):
            try:
                os.close(fd)
            except OSError:
                pass
        for step in self.launch.cleanup:
            step()
        self.proc = None

    def close(self):
        """The child has nothing to keep: it is killed, not asked to leave (a polite exit
        costs its interpreter's teardown and the parent's polling for it, per student)."""
        self.kill()

    # ------------------------------------------------------------------ talking to the child

    def receive(self, seconds):
        seconds = self.within_budget(seconds)
        try:
            return wire.receive(DeadlineReader(self.fd_in, time.monotonic() + seconds,
                                               self.pending))
        except TimeoutError:
            self.kill()
            raise StudentError("timeout", f"no answer within {seconds:g} s") from None
        except (EOFError, OSError, wire.WireError) as error:
            code = self.proc.poll() if self.proc else None
            self.kill()
            raise StudentError("crashed", describe_exit(code, error)) from None

    def request(self, message, arrays, seconds):
        seconds = self.within_budget(seconds)
        try:
            wire.send(DeadlineWriter(self.fd_out, time.monotonic() + seconds), message, arrays)
        except (TimeoutError, OSError):
            self.kill()
            raise StudentError("crashed", "the grading process stopped reading") from None
        reply, reply_arrays = self.receive(seconds)
        if isinstance(reply.get("monitor"), dict):  # checked by wire.receive; kept when
            self.last_monitor = reply["monitor"]      # the call failed too
        if not reply.get("ok"):
            raise StudentError("exception", f"{reply.get('error')}: {reply.get('message', '')}",
                               error=str(reply.get("error")), mro=reply.get("mro", ()))
        return reply, reply_arrays

    def run_cell(self, index, source):
        start = time.monotonic()
        try:
            self.request({"op": "exec", "index": index, "source": source}, [],
                         self.limits.cell_seconds)
            self.outcomes[index] = CellOutcome(index, True)
        except StudentError as error:
            self.outcomes[index] = CellOutcome(index, False, error.kind, str(error),
                                               error.error or "", error.mro)
            if error.kind in ("timeout", "crashed"):
                self.fatal_cells.add(index)
                self.ensure_restarted()
        finally:
            self.timing["cells"] += time.monotonic() - start

    def add_cell(self, index, source):
        """Append a cell to the notebook and run it (it also runs after every restart)."""
        self.cells.append((index, source))
        self.ensure_started()
        if (index, source) == self.cells[-1] and index not in self.outcomes:
            self.run_cell(index, source)
        return self.outcomes[index]

    def ensure_restarted(self):
        """After a fatal cell: a fresh child that runs the cells again, without it."""
        self.proc = None
        self.ensure_started()

    def defined(self, names):
        """{name: type name} for the names the student's cells defined."""
        self.ensure_started()
        reply, _ = self.request({"op": "defined", "names": list(names)}, [],
                                self.limits.call_seconds)
        return reply["defined"]

    def call(self, target, *args, keep=False, echo_args=False, monitor=False, read=False,
             **kwargs):
        """Call ``target`` (a name in the student's namespace, or ``(handle, attribute)``)
        with arrays and plain values; returns the decoded result (``(handle, result)`` when
        ``keep``; ``(result, args as they are after the call)`` when ``echo_args``).
        Raises StudentError when the student's code fails. With ``monitor``, the child
        watches the student's own functions during the call, and ``last_monitor`` holds its
        record afterwards (also when the call raised; None when it timed out or crashed):
        see child.py's ``CallMonitor`` and ``autograder.judging.derivation.verdict``. With
        ``read``, ``target`` (a name) is not called: its value comes back, within the same
        bounds and time limit as a call's result (a by-hand answer: judging/by_hand.py).
        With ``keep="only"`` the result stays in the child unseen: ``(handle, None)`` comes
        back (a 10,000-node graph built there is not sent back node by node)."""
        if self.function_timeouts >= self.limits.function_timeouts:
            raise StudentError("timeout", f"not run: {self.label}'s calls timed out "
                                          f"{self.function_timeouts} times in a row")
        self.ensure_started()
        self.fp_warnings = []
        self.last_monitor = None
        start = time.monotonic()
        arrays = []
        handles = [v for v in (*args, *kwargs.values(), target[0] if isinstance(target, tuple)
                                else None) if isinstance(v, Handle)]
        if any(h.generation != self.generation for h in handles):
            raise StudentError("crashed", "an object was lost when the process restarted")
        if isinstance(target, tuple):
            spec = {"handle": target[0].key, "attr": target[1]}
        elif hasattr(target, "wire_probe"):
            spec = {"probe": target.wire_probe}
        else:
            spec = {"name": target}
        message = {"op": "call", "target": spec, "keep": bool(keep), "echo_args": echo_args,
                   "args": wire.encode(list(args), arrays),
                   "kwargs": wire.encode(dict(kwargs), arrays)}
        if monitor:
            message["monitor"] = True
        if read:
            message["read"] = True
        if keep == "only":
            message["keep_only"] = True
        seconds = self.call_seconds()
        try:
            reply, reply_arrays = self.request(message, arrays, seconds)
            self.fp_warnings = [w for w in reply.get("fp_warnings", []) if w in wire.FP_WARNINGS]
            value = wire.decode(reply.get("value"), reply_arrays, resolve=self.handle_of)
            after = wire.decode(reply.get("args_after"), reply_arrays, self.handle_of) \
                if echo_args else None
        except StudentError as error:
            self.count_timeout(error.kind == "timeout")
            raise
        finally:
            self.timing["calls"] += time.monotonic() - start
        if time.monotonic() - start > seconds:  # reading the reply counts too
            self.count_timeout(True)
            raise StudentError("timeout", f"no answer within {seconds:g} s")
        self.count_timeout(False)
        if keep:
            value = Handle(reply["handle"], type(value).__name__, self.generation), value
        return (value, after) if echo_args else value

    def count_timeout(self, timed_out):
        """Count the calls that timed out in a row (see ``Limits``)."""
        if not timed_out:
            self.consecutive_timeouts = self.function_timeouts = 0
            self.timed_out_functions.clear()
            return
        self.consecutive_timeouts += 1
        self.function_timeouts += 1
        self.timed_out_functions.add(self.label)
        if self.consecutive_timeouts >= self.limits.student_timeouts \
                and len(self.timed_out_functions) > 1:
            self.given_up = True

    def handle_of(self, key):
        return Handle(key, "object", self.generation)


def describe_exit(code, error):
    if code is None:
        return f"the grading process broke off ({error})"
    if code > 128 and code - 128 in signal.valid_signals():  # bubblewrap reports 128 + signal
        code = -(code - 128)
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:  # a real-time signal, which has no name (or a code read as one)
            name = None
        reasons = {"SIGKILL": "killed (CPU time or memory limit)", "SIGXCPU": "CPU time limit",
                   "SIGSEGV": "crashed (segmentation fault, often endless recursion)",
                   "SIGXFSZ": "file size limit"}
        # a code past 128 may be the student's own exit code: only these signals are named
        return f"the grading process stopped: {reasons.get(name, 'ended by a signal')}"
    # the code is the student's to choose (os._exit(n)): said only as zero or not
    return (f"the grading process exited{' with an error code' if code else ''} (os._exit or "
            "sys.exit in your code?)")
