"""The contained child: runs a student's cells, then answers "call this function" requests.

Started by ``runner.py`` (inside bubblewrap's namespaces where the machine has them, see
``containment.py``) as ``python -I -S -B child.py FD_IN FD_OUT``. It reads its config from
the parent's pipe, imports NumPy, then raises the walls of ``confine.py`` (a user of its
own, rlimits, Landlock, seccomp) before any student code runs. After that it replaces
``backproplab`` with a stub whose every function refuses (a graded function must use the
student's own code) and adds an audit hook (PEP 578) as a tripwire: it gives clear errors
for what the walls forbid anyway, and is not itself a wall.

It records and never judges: replies carry the student's arrays and exception names only.
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


CHANNEL_IN = os.fdopen(int(sys.argv[1]), "rb", buffering=0)
CHANNEL_OUT = os.fdopen(int(sys.argv[2]), "wb", buffering=0)
CONFIG = read_config(CHANNEL_IN)
sys.path[:] = CONFIG["sys_path"]

import numpy as np  # noqa: E402  (after the path is set)

wire = load_by_path("backproplab_wire", os.path.join(HERE, "wire.py"))
probes = load_by_path("backproplab_probes", os.path.join(HERE, "probes.py"))
confine = load_by_path("backproplab_confine", os.path.join(HERE, "confine.py"))


def make_audit_hook(scratch, readable):
    """The tripwire, its policy held in this closure (nothing student code can rebind)."""
    scratch = os.path.realpath(scratch)
    readable = tuple(os.path.realpath(p) for p in readable) + (scratch, "/dev/")
    blocked_events = frozenset({
        "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
        "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill", "pty.spawn",
        "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.settrace",
        "sys.setprofile", "sys._current_frames", "sys.addaudithook", "resource.setrlimit",
        "resource.prlimit", "os.setuid", "webbrowser.open", "os.fchdir", "os.chroot"})
    blocked_prefixes = ("socket.", "ctypes.", "_xxsubinterpreters.", "interpreters.")
    blocked_imports = frozenset({"_posixsubprocess", "multiprocessing", "pty", "solutions",
                                 "autograder", "_xxsubinterpreters", "_interpreters",
                                 "_xxinterpchannels", "ctypes", "_ctypes", "sqlite3"})
    writes = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

    def inside(path, folders):
        return any(path == f.rstrip("/") or path.startswith(f.rstrip("/") + "/") for f in folders)

    def audit(event, args):
        if event == "open":
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


# ------------------------------------------------------------------------------- the service

class Service:
    def __init__(self, channel_in, channel_out):
        self.cin, self.cout = channel_in, channel_out
        self.namespace = {"__name__": "__main__", "np": np}
        self.kept = {}

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
        args = wire.decode(message.get("args"), arrays, self.handle, probes.PROBES) or []
        kwargs = wire.decode(message.get("kwargs"), arrays, self.handle, probes.PROBES) or {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self.target(message["target"])(*args, **kwargs)
        reply = {"ok": True, "fp_warnings": floating_point_warnings(caught)}
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
                    self.reply(reply, result, with_value=True, args_after=echo)
                elif op == "defined":
                    names = {n: type(self.namespace[n]).__name__ for n in message["names"]
                             if n in self.namespace}
                    self.reply({"ok": True, "defined": names})
                else:
                    self.reply({"ok": False, "error": "ProtocolError", "message": str(op)})
            except BaseException as error:  # the student's error, reported as data
                self.reply(describe_error(error))


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
    sys.setrecursionlimit(3000)
    sys.stdout = sys.stderr = Sink()
    if CONFIG.get("tripwire", True):  # off only in the tests that prove the walls without it
        sys.addaudithook(make_audit_hook(CONFIG["scratch"],
                                         CONFIG["readable"] + CONFIG["listable"]))
    wire.send(CHANNEL_OUT, {"ok": True, "ready": True, "walls": walls})
    Service(CHANNEL_IN, CHANNEL_OUT).serve()


if __name__ == "__main__":
    main()
