"""The contained child: runs a student's cells, then answers "call this function" requests.

Started by ``runner.py`` (inside bubblewrap's namespaces where the machine has them, see
``containment.py``) as ``python -I -S -B child.py FD_IN FD_OUT``. It reads its config from
the parent's pipe, imports NumPy, then raises the walls of ``confine.py`` (a user of its
own, rlimits, Landlock, seccomp) before any student code runs. After that it replaces
``backproplab`` with a stub whose every function refuses (a graded function must use the
student's own code) and adds an audit hook (PEP 578) as a tripwire: it gives clear errors
for what the walls forbid anyway, and is not itself a wall.

It records and never judges: replies carry the student's arrays and exception names only,
and, for a call the parent asks to monitor, a small bounded record of the student's own
functions that ran during it (``CallMonitor``: evidence for the judge, never a verdict).
"""
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import struct
import sys
import types
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))


def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_config(channel):
    """The first frame from the parent (wire.py's framing; wire needs NumPy, which needs the
    path this config gives)."""
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = channel.read(n - len(data))
            if not chunk:
                raise EOFError("the parent closed the channel")
            data += chunk
        return data
    return json.loads(exactly(struct.unpack(">I", exactly(4))[0]))


CHANNEL_IN = os.fdopen(int(sys.argv[1]), "rb", buffering=1 << 16)  # a small request: one read
CHANNEL_OUT = os.fdopen(int(sys.argv[2]), "wb", buffering=0)
CONFIG = read_config(CHANNEL_IN)
sys.path[:] = CONFIG["sys_path"]

import numpy as np  # noqa: E402  (after the path is set)

wire = load_by_path("backproplab_wire", os.path.join(HERE, "wire.py"))
probes = load_by_path("backproplab_probes", os.path.join(HERE, "probes.py"))
confine = load_by_path("backproplab_confine", os.path.join(HERE, "confine.py"))


def make_audit_hook(scratch, readable, watch):
    """The tripwire, its policy held in this closure (nothing student code can rebind).
    Setting a trace or profile function is refused but to the call monitor's own code, and
    every other attempt is counted by ``watch`` (evidence for a monitored call)."""
    scratch = os.path.realpath(scratch)
    readable = tuple(os.path.realpath(p) for p in readable) + (scratch, "/dev/")
    blocked_events = frozenset({
        "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
        "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill", "pty.spawn",
        "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames",
        "sys.addaudithook", "resource.setrlimit",
        "resource.prlimit", "os.setuid", "webbrowser.open", "os.fchdir", "os.chroot"})
    blocked_prefixes = ("socket.", "ctypes.", "_xxsubinterpreters.", "interpreters.")
    blocked_imports = frozenset({"_posixsubprocess", "multiprocessing", "pty", "solutions",
                                 "autograder", "_xxsubinterpreters", "_interpreters",
                                 "_xxinterpchannels", "ctypes", "_ctypes", "sqlite3"})
    writes = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

    def inside(path, folders):
        return any(path == f.rstrip("/") or path.startswith(f.rstrip("/") + "/") for f in folders)

    def audit(event, args):
        if event in TraceWatch.EVENTS:
            if not watch.allows(sys._getframe(1).f_code):
                raise PermissionError(f"{event} is not allowed while grading")
        elif event == "open":
            path, mode, flags = (list(args) + [None, None, 0])[:3]
            if isinstance(path, int):
                return
            full = os.path.realpath(os.path.join(scratch, os.fsdecode(path)))
            writing = bool((flags or 0) & writes) or (isinstance(mode, str)
                                                     and any(c in mode for c in "wax+"))
            if writing and not inside(full, (scratch,)) and full != "/dev/null":
                raise PermissionError(f"writing {os.fsdecode(path)} is not allowed while grading")
            if not writing and not inside(full, readable):
                raise PermissionError(f"reading {os.fsdecode(path)} is not allowed while grading")
        elif event in blocked_events or event.startswith(blocked_prefixes):
            raise PermissionError(f"{event} is not allowed while grading")
        elif event == "import" and args[0].split(".")[0] in blocked_imports:
            raise ImportError(f"importing {args[0]} is not allowed while grading")
        elif event == "object.__setattr__" and len(args) > 1 and args[1] == "__code__":
            raise PermissionError("replacing a function's code is not allowed while grading")
    return audit


class GraderOnly(RuntimeError):
    """Raised by the stub backproplab: graded code must not call the student package."""


# ------------------------------------------------------------------ the stub student package

class Running:
    """Whether the child is running the notebook's cells (set-up included) or a graded call."""

    cells = False


class Refusing:
    """Any name of the student package: calling it from a graded function refuses; while the
    notebook's cells run (the locked set-up loads data and makes plots) it is a silent
    stand-in, so that the set-up runs without noise and without the real package."""

    def __init__(self, path):
        self._path = path

    def __call__(self, *args, **kwargs):
        if Running.cells:
            return Anything()
        raise GraderOnly(f"{self._path} is not available while grading: a graded "
                         f"function must compute its result with your own code")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Refusing(f"{self._path}.{name}")


class StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Refusing(f"{self.__name__}.{name}")


class Anything:
    """Whatever a plotting or display call returns: accepts every use, does nothing."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Anything()

    def __call__(self, *args, **kwargs):
        return Anything()

    def __iter__(self):
        return iter(())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class QuietModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Anything()


# Plots, widgets and progress bars are never graded: they become silent stand-ins, which
# also spares every child the second it takes to import them.
QUIET_PACKAGES = {"matplotlib", "ipywidgets", "IPython", "tqdm", "mpl_toolkits", "threadpoolctl"}


class StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Every ``backproplab`` module is a stub (the real one is not readable here)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in {"backproplab", *QUIET_PACKAGES}:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        quiet = spec.name.split(".")[0] in QUIET_PACKAGES
        module = (QuietModule if quiet else StubModule)(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


class Sink:
    """Where the student's prints go: counted, then dropped."""

    def __init__(self):
        self.count = 0

    def write(self, text):
        self.count += len(text)
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


# --------------------------------------------------------------------------- the call monitor

STUDENT_FILE = "<cell "  # the file name every student cell is compiled under (exec_cell)
ARITHMETIC = frozenset({
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__matmul__", "__rmatmul__",
    "__array_ufunc__"})
# NumPy's functions, held here before any student cell runs: a cell that rebinds
# ``np.equal`` or ``np.isfinite`` changes nothing the monitor compares with.
_equal, _isnan, _isfinite, _abs = np.equal, np.isnan, np.isfinite, np.abs
_less_equal, _logical_not, _asarray = np.less_equal, np.logical_not, np.asarray
_float64, _ndarray, _floating, _complexfloating = np.float64, np.ndarray, np.floating, \
    np.complexfloating
EQUAL, CLOSE, FAR = 0, 1, 2


def as_float(value):
    """A float or NumPy float as a Python float, without running a subclass's __float__."""
    return float.__float__(value) if isinstance(value, float) else _floating.__float__(value)


class TraceWatch:
    """What the audit hook saw of trace and profile functions being set: the call monitor's
    own code (``allowed``) may; every other attempt is counted in ``others``."""

    EVENTS = frozenset({"sys.settrace", "sys.setprofile", "sys.monitoring.register_callback"})

    def __init__(self, allowed=frozenset()):
        self.allowed = frozenset(allowed)
        self.others = 0

    def allows(self, code):
        if code in self.allowed:
            return True
        self.others += 1
        return False

    def hook(self, event, args):
        """The audit hook of a child without the tripwire: counts, refuses nothing."""
        if event in self.EVENTS:
            self.allows(sys._getframe(1).f_code)


def closeness(a, b):
    """EQUAL, CLOSE or FAR, for flat float64 arrays of one size: EQUAL where every entry is
    within rounding (1e-10 (1 + |b|): an input recomputed from the cache is not a step),
    CLOSE where every entry is within 1e-3 (1 + |b|) (np.allclose with rtol = atol = 1e-3)
    and some is not EQUAL, else FAR. Written with ufuncs held since start-up, on halves (no
    overflow), warning-free (the call's floating-point warnings are the student's)."""
    same = _equal(a, b)
    if same.all():
        return EQUAL
    differ = _logical_not(same)
    a, b = a[differ], b[differ]
    both_nan = _isnan(a) & _isnan(b)
    if both_nan.all():
        return EQUAL
    a, b = a[_logical_not(both_nan)], b[_logical_not(both_nan)]
    if not (_isfinite(a).all() and _isfinite(b).all()):
        return FAR
    gap, scale = _abs(a * 0.5 - b * 0.5), _abs(b * 0.5)
    if _less_equal(gap, 0.5e-10 + 1e-10 * scale).all():
        return EQUAL
    return CLOSE if _less_equal(gap, 0.5e-3 + 1e-3 * scale).all() else FAR


class CallMonitor:
    """Watches one call for numerical differentiation: every call of a function defined in a
    student cell (code file name ``<cell N>``) is counted by its code object, and its arguments
    (one or two levels into tuples, lists and dicts) looked at for complex or object arrays,
    complex numbers, instances of a student class with arithmetic methods (dual numbers),
    and float arrays or numbers close to one of the call's own (a copy of them taken before
    the call, the cache and an object's attributes included) but not equal (a perturbed
    input). Python 3.12+: ``sys.monitoring`` PY_START (other code is disabled after its first
    call, so it costs nothing); 3.11: ``sys.settrace``, whose global function is called on
    Python calls only. ``record`` is what crosses the wire: names, capped counts, flags."""

    MAX_NAMES = 50        # functions in a record
    MAX_CODES = 500       # code objects followed in one call
    CAP = 1000            # counts are capped here
    MAX_BASE = 32         # arrays of the call's own kept to compare with
    MAX_BASE_ELEMENTS = 2_000_000
    COMPARE_BUDGET = 8_000_000  # numbers compared per function before comparing 1 call in 32
    ITEMS = 64            # items looked at in one tuple, list or dict
    TOOL_NAME = "backproplab-monitor"
    tool_id = None        # the sys.monitoring tool id, kept for the child's life (3.12+)

    def __init__(self, target, args, kwargs, watch):
        self.watch = watch
        self.base = {}            # size -> [flat float64 copies of the call's own numbers]
        self.base_elements = 0
        self.functions = {}       # code -> [calls, complex, dual, perturbed calls, compared]
        self.more = False         # more code objects than MAX_CODES
        self.errors = 0
        self.kinds = {}           # type -> whether it is a student class with arithmetic
        self.watch_before = watch.others
        self.installed_fn, self.callback_errors = None, [0]
        self.base_count = 0
        try:
            for value in (*args, *kwargs.values()):
                self.keep_base(value, 0)
            owner = getattr(target, "__self__", None) if type(target) is types.MethodType \
                else None
            if owner is not None:
                attributes = object.__getattribute__(owner, "__dict__")
                if type(attributes) is dict:
                    for value in self.items(attributes, dict):
                        self.keep_base(value, 1)
        except Exception:
            self.errors += 1

    # -------------------------------------------------------------- the call's own numbers

    def keep_base(self, value, depth):
        t = type(value)
        if issubclass(t, _ndarray):
            if t is not _ndarray:
                value = _ndarray.view(value, _ndarray)
            if value.dtype.kind == "f" and value.dtype.itemsize <= 8:
                self.add_base(_asarray(value, dtype=_float64).ravel().copy())
        elif issubclass(t, float) or issubclass(t, _floating):
            if not issubclass(t, _floating) or value.dtype.itemsize <= 8:
                self.add_base(_asarray([as_float(value)], dtype=_float64))
        elif depth < 2 and issubclass(t, (tuple, list, dict)):
            for item in self.items(value, t):
                self.keep_base(item, depth + 1)

    def items(self, value, t):
        """The first ITEMS items of a tuple, list or dict (its values), read with the built-in
        methods (a student's subclass runs none of its own code here)."""
        items = tuple.__iter__(value) if issubclass(t, tuple) else list.__iter__(value) \
            if issubclass(t, list) else iter(dict.values(value))
        for index, item in enumerate(items):
            if index >= self.ITEMS:
                return
            yield item

    def add_base(self, flat):
        if self.base_count >= self.MAX_BASE or \
                self.base_elements + flat.size > self.MAX_BASE_ELEMENTS:
            return
        same_size = self.base.setdefault(flat.size, [])
        if not any(closeness(flat, known) == EQUAL for known in same_size):
            same_size.append(flat)
            self.base_count += 1
            self.base_elements += flat.size

    # ---------------------------------------------------------------------- one call seen

    def seen(self, code, frame):
        entry = self.functions.get(code)
        if entry is None:
            if len(self.functions) >= self.MAX_CODES:
                self.more = True
                return
            entry = self.functions[code] = [0, False, False, 0, 0]
        entry[0] += 1
        if entry[1] and entry[2] and entry[3] >= self.CAP:
            return
        if entry[4] > self.COMPARE_BUDGET and entry[0] % 32:
            return
        count = code.co_argcount + code.co_kwonlyargcount
        count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
        if not count:
            return
        local = frame.f_locals
        found = [False, False, False, 0]   # complex, dual, perturbed, numbers compared
        for name in code.co_varnames[:count]:
            if name in local:
                self.look(local[name], 0, found)
        entry[1] |= found[0]
        entry[2] |= found[1]
        entry[3] += found[2]
        entry[4] += found[3]

    def look(self, value, depth, found):
        t = type(value)
        if issubclass(t, _ndarray):
            if t is not _ndarray:  # a student's subclass: its own properties are not run
                value = _ndarray.view(value, _ndarray)
            kind = value.dtype.kind
            if kind == "c":
                found[0] = True
            elif kind == "O":
                found[1] = True
            elif kind == "f" and value.dtype.itemsize == 8 and value.size in self.base:
                self.compare(_asarray(value, dtype=_float64).ravel(), found)
        elif issubclass(t, (float, _floating)):  # float32 and smaller: rounding, not steps
            if 1 in self.base and (issubclass(t, float) or value.dtype.itemsize == 8):
                self.compare(_asarray([as_float(value)], dtype=_float64), found)
        elif issubclass(t, (complex, _complexfloating)):
            found[0] = True
        elif issubclass(t, (tuple, list, dict)):
            if depth < 2:
                for item in self.items(value, t):
                    self.look(item, depth + 1, found)
        elif self.is_dual(t):
            found[1] = True

    def compare(self, flat, found):
        """Mark ``found`` perturbed when ``flat`` equals none of the call's own numbers of its
        size and is close to one of them."""
        outcomes = []
        for known in self.base[flat.size]:
            found[3] += flat.size
            outcome = closeness(flat, known)
            if outcome == EQUAL:
                return
            outcomes.append(outcome)
        if CLOSE in outcomes:
            found[2] = True

    def is_dual(self, t):
        """Whether class ``t`` was defined in a student cell with arithmetic methods."""
        if t in self.kinds:
            return self.kinds[t]
        dual = False
        if len(self.kinds) < 256 and type(t) is type:
            for cls in type.__getattribute__(t, "__mro__"):
                attributes = type.__getattribute__(cls, "__dict__")
                for name in ARITHMETIC:
                    method = attributes.get(name)
                    code = getattr(method, "__code__", None) \
                        if type(method) is types.FunctionType else None
                    if code is not None and code.co_filename.startswith(STUDENT_FILE):
                        dual = True
            self.kinds[t] = dual
        return dual

    # ---------------------------------------------------------------- installing, removing

    def start(self):
        """Install the monitor (the record says "not installed" where that failed: on 3.12+,
        when student code has taken every free tool id)."""
        seen = self.seen
        errors = [0]
        self.callback_errors = errors
        if hasattr(sys, "monitoring"):
            monitoring = sys.monitoring
            disable = monitoring.DISABLE
            getframe = sys._getframe

            def on_start(code, offset):
                if not code.co_filename.startswith(STUDENT_FILE):
                    return disable
                try:
                    seen(code, getframe(1))
                except Exception:
                    errors[0] += 1
                return None

            if CallMonitor.tool_id is None or \
                    monitoring.get_tool(CallMonitor.tool_id) != self.TOOL_NAME:
                free = [i for i in (monitoring.PROFILER_ID, 3, 4, 5)
                        if monitoring.get_tool(i) is None]
                if not free:  # a student cell took them all: the record says not installed
                    self.errors += 1
                    return
                try:
                    monitoring.use_tool_id(free[0], self.TOOL_NAME)
                except ValueError:
                    self.errors += 1
                    return
                CallMonitor.tool_id = free[0]
            monitoring.register_callback(CallMonitor.tool_id, monitoring.events.PY_START,
                                         on_start)
            monitoring.set_events(CallMonitor.tool_id, monitoring.events.PY_START)
        else:
            def on_start(frame, event, arg):
                if event == "call":
                    code = frame.f_code
                    if code.co_filename.startswith(STUDENT_FILE):
                        try:
                            seen(code, frame)
                        except Exception:
                            errors[0] += 1

            sys.settrace(on_start)
        self.installed_fn = on_start

    def stop(self, completed):
        """Remove the monitor; the record of the call (``completed``: the target returned)."""
        installed = False
        if self.installed_fn is not None:
            if hasattr(sys, "monitoring"):
                monitoring, tool = sys.monitoring, CallMonitor.tool_id
                events = monitoring.events.PY_START
                installed = monitoring.get_tool(tool) == self.TOOL_NAME and \
                    monitoring.get_events(tool) == events
                try:
                    if monitoring.get_tool(tool) is None:  # freed by the student: take it back
                        monitoring.use_tool_id(tool, self.TOOL_NAME)
                    previous = monitoring.register_callback(tool, events, None)
                    installed = installed and previous is self.installed_fn
                    monitoring.set_events(tool, 0)
                except (ValueError, RuntimeError):  # the id taken by someone else meanwhile
                    installed = False
                    CallMonitor.tool_id = None
            else:
                installed = sys.gettrace() is self.installed_fn
                sys.settrace(None)
            self.errors += self.callback_errors[0]
        return self.record(installed, completed)

    def record(self, installed, completed):
        by_name = {}
        for code, (calls, cplx, dual, perturbed, _) in self.functions.items():
            name = str(getattr(code, "co_qualname", code.co_name))[:100]
            entry = by_name.setdefault(name, [0, False, False, 0])
            entry[0] += calls
            entry[1] |= cplx
            entry[2] |= dual
            entry[3] += perturbed
        names = sorted(by_name, key=lambda n: (-(by_name[n][1] or by_name[n][2]
                                                 or by_name[n][3] > 0), n))
        more = self.more or len(names) > self.MAX_NAMES
        return {"installed": bool(installed), "completed": bool(completed),
                "tampered": self.watch.others > self.watch_before, "more": bool(more),
                "errors": min(self.errors, self.CAP),
                "functions": [{"name": n, "calls": min(by_name[n][0], self.CAP),
                               "complex": by_name[n][1], "dual": by_name[n][2],
                               "perturbed": min(by_name[n][3], self.CAP)}
                              for n in names[:self.MAX_NAMES]]}


def monitor_codes():
    """The code objects allowed to set the trace function or the monitoring callback."""
    return {CallMonitor.start.__code__, CallMonitor.stop.__code__}


# ------------------------------------------------------------------------ the recursion limit

#: The recursion limit every graded call starts with: enough for the grader's own code in the
#: child (its frames and the wire's nesting stay under 50), and far below the contract's
#: 10,000-node chain, which a search recursing as deep as the graph must not finish.
CALL_RECURSION_LIMIT = 3000


def guard_recursion_limit():
    """Replace ``sys.setrecursionlimit`` for student code; returns the original, with which
    the service starts every graded call at ``CALL_RECURSION_LIMIT`` (so a limit a cell
    raised does not reach a graded call). While the notebook's cells run, the guard does what
    it is asked (a cell may run a deep recursion of its own); during a graded call, a limit
    above the grader's is ignored, so a recursion as deep as a hidden graph meets the
    RecursionError it meets in any call (and is diagnosed as such, not as a refusal). A
    tripwire, not a wall: the original can be recovered at Python level, and a limit raised
    that way and lowered again before the call returns is not seen."""
    original = sys.setrecursionlimit

    def setrecursionlimit(limit):
        if Running.cells or limit <= CALL_RECURSION_LIMIT:
            original(limit)

    sys.setrecursionlimit = setrecursionlimit
    return original


# ------------------------------------------------------------------------------- the service

class Service:
    def __init__(self, channel_in, channel_out, watch=None, set_recursion_limit=None):
        self.cin, self.cout = channel_in, channel_out
        self.namespace = {"__name__": "__main__", "np": np}
        self.kept = {}
        self.watch = watch or TraceWatch()
        self.monitor_record = None  # the record of the last monitored call
        self.set_recursion_limit = set_recursion_limit or sys.setrecursionlimit

    def keep(self, value):
        key = f"h{len(self.kept)}"
        self.kept[key] = value
        return key

    def handle(self, key):
        if key not in self.kept:
            raise KeyError(f"unknown handle {key}")
        return self.kept[key]

    def reply(self, message, value=None, with_value=False, args_after=None):
        """Send ``message`` with the call's value and arguments, within the wire's bounds (a
        reply the parent would refuse is sent as ``wire.TOO_LARGE`` instead)."""
        arrays, budget = [], wire.new_budget()
        if args_after is not None:  # the grader's own inputs: small
            message["args_after"] = wire.encode(args_after, arrays, budget=budget)
        if with_value:
            start = len(arrays)
            message["value"] = wire.encode(value, arrays, keep=self.keep, budget=budget)
            if len(json.dumps(message)) > wire.MAX_MESSAGE_BYTES // 2:  # long keys or texts
                del arrays[start:]
                message["value"] = dict(wire.TOO_LARGE)
        wire.send(self.cout, message, arrays)

    def exec_cell(self, message):
        code = compile(message["source"], f"<cell {message['index']}>", "exec")
        Running.cells = True
        try:
            exec(code, self.namespace)
        finally:
            Running.cells = False
        return {"ok": True}

    def target(self, spec):
        if "probe" in spec:
            return probes.PROBES[spec["probe"]]
        if "handle" in spec:
            obj = self.handle(spec["handle"])
        elif spec["name"] in self.namespace:
            obj = self.namespace[spec["name"]]
        else:
            raise NameError(f"name '{spec['name']}' is not defined")
        return getattr(obj, spec["attr"]) if spec.get("attr") else obj

    def call(self, message, arrays):
        self.monitor_record = None
        args = wire.decode(message.get("args"), arrays, self.handle, probes.PROBES) or []
        kwargs = wire.decode(message.get("kwargs"), arrays, self.handle, probes.PROBES) or {}
        target = self.target(message["target"])
        monitor = CallMonitor(target, args, kwargs, self.watch) \
            if message.get("monitor") is True else None
        self.set_recursion_limit(CALL_RECURSION_LIMIT)  # whatever a cell set
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            completed = False
            try:
                if monitor is not None:
                    monitor.start()
                # "read": the value the name holds, not a call (a by-hand answer, issue 18)
                result = target if message.get("read") is True else target(*args, **kwargs)
                completed = True
            finally:
                if monitor is not None:
                    self.monitor_record = monitor.stop(completed)
        reply = {"ok": True, "fp_warnings": floating_point_warnings(caught)}
        if monitor is not None:
            reply["monitor"] = self.monitor_record
        echo = args if message.get("echo_args") else None
        if message.get("keep"):
            reply["handle"] = self.keep(result)
        return reply, result, echo

    def serve(self):
        while True:
            message, arrays = wire.receive(self.cin)
            op = message.get("op")
            if op == "bye":
                return
            try:
                if op == "exec":
                    self.reply(self.exec_cell(message))
                elif op == "call":
                    reply, result, echo = self.call(message, arrays)
                    self.reply(reply, result, with_value=message.get("keep_only") is not True,
                               args_after=echo)
                elif op == "defined":
                    names = {n: type(self.namespace[n]).__name__ for n in message["names"]
                             if n in self.namespace}
                    self.reply({"ok": True, "defined": names})
                else:
                    self.reply({"ok": False, "error": "ProtocolError", "message": str(op)})
            except BaseException as error:  # the student's error, reported as data
                described = describe_error(error)
                if op == "call" and self.monitor_record is not None:
                    described["monitor"] = self.monitor_record
                self.reply(described)


def floating_point_warnings(caught):
    """The kinds of floating-point trouble NumPy warned about during a call, e.g. ['overflow']."""
    found = set()
    for item in caught:
        if issubclass(item.category, RuntimeWarning):
            text = str(item.message)
            found.update(word for word in wire.FP_WARNINGS if word in text)
    return sorted(found)


def describe_error(error):
    """The student's exception as a short record (its own __str__ may raise or lie)."""
    try:
        text = str(error).splitlines()[0][:300] if str(error) else ""
    except BaseException:
        text = ""
    names = [str(getattr(c, "__name__", "?"))[:100] for c in type(error).__mro__][:8]
    return {"ok": False, "error": names[0], "message": text, "mro": names}


def main():
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):  # nothing the child prints reaches a file or pipe of the parent
        os.dup2(devnull, fd)
    os.chdir(CONFIG["scratch"])
    try:
        walls = confine.confine(CONFIG)
    except Exception as error:  # a wall that can't be raised: no student code runs
        wire.send(CHANNEL_OUT, {"ok": False, "error": "ContainmentFailed",
                                "message": f"{type(error).__name__}: {error}"[:300]})
        return
    confine.libc = None  # no handle on the C library is left for student code to find
    for name in [m for m in sys.modules if m.split(".")[0] in {"ctypes", "_ctypes"}]:
        del sys.modules[name]
    sys.meta_path.insert(0, StubFinder())
    for name in [m for m in sys.modules if m.split(".")[0] in {"backproplab", *QUIET_PACKAGES}]:
        del sys.modules[name]
    set_recursion_limit = guard_recursion_limit()
    set_recursion_limit(CALL_RECURSION_LIMIT)
    sys.stdout = sys.stderr = Sink()
    watch = TraceWatch(monitor_codes())
    if CONFIG.get("tripwire", True):  # off only in the tests that prove the walls without it
        sys.addaudithook(make_audit_hook(CONFIG["scratch"],
                                         CONFIG["readable"] + CONFIG["listable"], watch))
    else:  # still count who sets a trace function: evidence for a monitored call
        sys.addaudithook(watch.hook)
    wire.send(CHANNEL_OUT, {"ok": True, "ready": True, "walls": walls})
    Service(CHANNEL_IN, CHANNEL_OUT, watch, set_recursion_limit).serve()


if __name__ == "__main__":
    main()
