"""The parent side of the sandbox: start the contained child, run cells, call functions.

``StudentProcess`` owns one child at a time. A cell or a call that overruns its wall time,
or a child that dies (``os._exit``, a segfault, a CPU or memory limit), costs only that cell
or call: the child is killed with its whole process group and, on the next request, a fresh
one re-runs the cells without the ones that killed it.
"""
import glob
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from . import wire

HERE = Path(__file__).resolve().parent
NOBODY = 65534


@dataclass
class Limits:
    """What one student's child may use. Wall times in seconds, sizes in bytes."""

    cell_seconds: float = 10.0
    call_seconds: float = 10.0
    startup_seconds: float = 60.0
    cpu_seconds: int = 300
    memory_bytes: int = 3 * 1024**3
    file_bytes: int = 16 * 1024**2
    processes: int = 256
    max_restarts: int = 3  # per graded function (and for running the notebook's cells)


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
    index: int
    ok: bool
    error: str = ""
    message: str = ""


@dataclass
class Handle:
    """An object that stays in the child (a cache, an Operation instance)."""

    key: str
    typename: str
    generation: int

    @property
    def wire_ref(self):
        return self.key


class DeadlineReader:
    def __init__(self, fd, deadline):
        self.fd, self.deadline = fd, deadline

    def read(self, n):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
            raise TimeoutError
        return os.read(self.fd, n)


class DeadlineWriter:
    def __init__(self, fd, deadline):
        self.fd, self.deadline = fd, deadline

    def write(self, data):
        view = memoryview(data)
        while view:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self.fd], [], remaining)[1]:
                raise TimeoutError
            view = view[os.write(self.fd, view[:65536]):]

    def flush(self):
        pass


@lru_cache(maxsize=1)
def isolation_prefix():
    """Commands that put the child in its own network namespace and take away root, where
    the platform allows: first as user nobody, or, when nobody can't read this Python
    (say, one installed under /root), as root without any capability (so it can't raise
    its limits). Each is tried once; without them the child's audit hook still applies."""
    prefix = []
    if os.geteuid() != 0:
        return ()
    if shutil.which("unshare") and works(["unshare", "--net", "--"]):
        prefix += ["unshare", "--net", "--"]
    if shutil.which("setpriv"):
        nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
        no_caps = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"]
        for candidate in (nobody, no_caps):
            if works(prefix + candidate):
                return tuple(prefix + candidate)
    return tuple(prefix)


def works(prefix):
    """Whether the child's interpreter starts and imports NumPy under ``prefix``."""
    sys_path = child_paths()[0]
    code = f"import sys; sys.path[:] = {sys_path!r}; import numpy"
    try:
        return subprocess.run([*prefix, sys.executable, "-I", "-S", "-c", code], cwd="/",
                              capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def child_paths():
    """(sys.path, readable folders, denied folders) for the child: the standard library and
    site-packages, without the instructor's packages nor the real student package."""
    purelib, platlib = sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]
    stdlib = [p for p in sys.path if p and p.startswith(sys.base_prefix) and "site-packages" not in p]
    site = list(dict.fromkeys([purelib, platlib]))
    denied = [path for s in site for pattern in ("__editable__*", "backproplab*", "solutions*",
                                                   "autograder*", "_backproplab*")
              for path in glob.glob(os.path.join(s, pattern))]
    readable = stdlib + site + ["/usr/share/fonts", "/usr/share/zoneinfo", "/etc/localtime"]
    return stdlib + site, readable, denied


class StudentProcess:
    """Runs a submission's cells in a contained child and calls its functions.

    ``cells`` is a list of ``(index, source)`` in notebook order."""

    def __init__(self, cells, limits=None):
        self.cells = list(cells)
        self.limits = limits or Limits()
        self.fatal_cells = set()
        self.outcomes = {}
        self.restarts = -1
        self.restarts_left = self.limits.max_restarts
        self.label = "the notebook"
        self.generation = 0
        self.proc = None
        self.workdir = None
        self.last_stderr = ""
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

    def ensure_started(self):
        if self.proc is not None:
            return
        self.restarts += 1
        if self.restarts > 0:
            if self.restarts_left <= 0:
                raise StudentError("gave_up", f"the process was restarted {self.limits.max_restarts}"
                                              f" times while grading {self.label}; its remaining "
                                              "checks were not run")
            self.restarts_left -= 1
        self.spawn()
        for index, source in self.cells:
            if index not in self.fatal_cells:
                self.run_cell(index, source)

    def spawn(self):
        start = time.monotonic()
        self.workdir = tempfile.mkdtemp(prefix="bpl-run-")
        if str(NOBODY) in " ".join(isolation_prefix()):
            os.chown(self.workdir, NOBODY, NOBODY)
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        sys_path, readable, denied = child_paths()
        config = {"sys_path": sys_path, "readable": readable, "denied": denied,
                  "workdir": self.workdir, "wire": str(HERE / "wire.py"), "probes": str(HERE / "probes.py"),
                  "fd_in": to_child_r, "fd_out": from_child_w, "limits": asdict(self.limits)}
        config_path = Path(self.workdir) / "config.json"
        config_path.write_text(json.dumps(config))
        env = {"PATH": "/usr/bin:/bin", "HOME": self.workdir, "LANG": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        command = [*isolation_prefix(), sys.executable, "-I", "-S", str(HERE / "child.py"),
                   str(config_path)]
        # The child's own stderr (before it swaps in a sink) explains a failed start.
        with open(Path(self.workdir) / "stderr.txt", "wb") as stderr:
            self.proc = subprocess.Popen(
                command, env=env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=stderr,
                pass_fds=(to_child_r, from_child_w), start_new_session=True)
        os.close(to_child_r)
        os.close(from_child_w)
        self.fd_out, self.fd_in = to_child_w, from_child_r
        self.generation += 1
        try:
            self.receive(self.limits.startup_seconds)
        except StudentError as error:
            self.kill()
            raise StudentError("crashed", f"the grading process did not start: {error}\n"
                                          f"{self.last_stderr}") from None
        self.timing["startup"] += time.monotonic() - start

    def kill(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for fd in (self.fd_in, self.fd_out):
            try:
                os.close(fd)
            except OSError:
                pass
        log = Path(self.workdir) / "stderr.txt"
        self.last_stderr = log.read_text(errors="replace")[-1500:] if log.exists() else ""
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.proc = None

    def close(self):
        if self.proc is not None:
            try:
                wire.send(DeadlineWriter(self.fd_out, time.monotonic() + 1), {"op": "bye"})
                self.proc.wait(timeout=2)
            except (TimeoutError, OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    # ------------------------------------------------------------------ talking to the child

    def receive(self, seconds):
        try:
            return wire.receive(DeadlineReader(self.fd_in, time.monotonic() + seconds))
        except TimeoutError:
            self.kill()
            raise StudentError("timeout", f"no answer within {seconds:g} s") from None
        except (EOFError, OSError, wire.WireError) as error:
            code = self.proc.poll() if self.proc else None
            self.kill()
            raise StudentError("crashed", describe_exit(code, error)) from None

    def request(self, message, arrays, seconds):
        try:
            wire.send(DeadlineWriter(self.fd_out, time.monotonic() + seconds), message, arrays)
        except (TimeoutError, OSError):
            self.kill()
            raise StudentError("crashed", "the grading process stopped reading") from None
        reply, reply_arrays = self.receive(seconds)
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
            self.outcomes[index] = CellOutcome(index, False, error.kind, str(error))
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

    def call(self, target, *args, keep=False, echo_args=False, **kwargs):
        """Call ``target`` (a name in the student's namespace, or ``(handle, attribute)``)
        with arrays and plain values; returns the decoded result (``(handle, result)`` when
        ``keep``; ``(result, args as they are after the call)`` when ``echo_args``).
        Raises StudentError when the student's code fails."""
        self.ensure_started()
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
        message = {"op": "call", "target": spec, "keep": keep, "echo_args": echo_args,
                   "args": wire.encode(list(args), arrays),
                   "kwargs": wire.encode(dict(kwargs), arrays)}
        try:
            reply, reply_arrays = self.request(message, arrays, self.limits.call_seconds)
        finally:
            self.timing["calls"] += time.monotonic() - start
        value = wire.decode(reply.get("value"), reply_arrays, resolve=self.handle_of)
        if keep:
            value = Handle(reply["handle"], type(value).__name__, self.generation), value
        if echo_args:
            return value, wire.decode(reply.get("args_after"), reply_arrays, self.handle_of)
        return value

    def handle_of(self, key):
        return Handle(key, "object", self.generation)


def describe_exit(code, error):
    if code is None:
        return f"the grading process broke off ({error})"
    if code < 0:
        name = signal.Signals(-code).name
        reasons = {"SIGKILL": "killed (CPU time or memory limit)", "SIGXCPU": "CPU time limit",
                   "SIGSEGV": "crashed (segmentation fault, often endless recursion)",
                   "SIGXFSZ": "file size limit"}
        return f"the grading process stopped: {reasons.get(name, name)}"
    return f"the grading process exited with code {code} (os._exit or sys.exit in your code?)"
