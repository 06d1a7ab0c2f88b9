"""The contained child: runs a student's cells, then answers "call this function" requests.

Started by ``runner.py`` as ``python -I -S child.py CONFIG`` (no site, no user paths), after
the parent has put it in its own network namespace and dropped root where it can. Before any
student code runs it lowers its resource limits, replaces ``backproplab`` with a stub whose
every function refuses to run (a graded function must use the student's own code), and
installs an audit hook (PEP 578, which Python code cannot remove) that refuses processes,
sockets, ctypes, tracing, raising limits, and files outside the few folders it needs.

It records and never judges: replies carry the student's arrays and exception names only.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import resource
import sys
import types

CONFIG = json.loads(open(sys.argv[1], encoding="utf-8").read())
sys.path[:] = CONFIG["sys_path"]

import numpy as np  # noqa: E402  (after the path is set)



def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wire = load_by_path("backproplab_wire", CONFIG["wire"])
probes = load_by_path("backproplab_probes", CONFIG["probes"])

WORKDIR = os.path.realpath(CONFIG["workdir"])
READABLE = tuple(os.path.realpath(p) for p in CONFIG["readable"]) + (WORKDIR,)
DENIED = tuple(os.path.realpath(p) for p in CONFIG["denied"])
BLOCKED_EVENTS = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill", "pty.spawn",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.settrace",
    "sys.setprofile", "sys._current_frames", "sys.addaudithook", "resource.setrlimit",
    "resource.prlimit", "os.setuid", "webbrowser.open",
}
BLOCKED_PREFIXES = ("socket.", "ctypes.")
# subprocess itself may be imported (matplotlib does), but not the module that forks for it.
BLOCKED_IMPORTS = {"_posixsubprocess", "multiprocessing", "pty",
                   "solutions", "autograder"}
FS_EVENTS = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.truncate", "os.chmod",
             "os.chown", "os.symlink", "os.link", "os.utime", "os.chdir", "shutil.rmtree",
             "shutil.copyfile", "shutil.move", "os.listdir", "os.scandir"}


class GraderOnly(RuntimeError):
    """Raised by the stub backproplab: graded code must not call the student package."""


def resolve(path):
    return os.path.realpath(os.path.join(WORKDIR, os.fsdecode(path)))


def readable(path):
    return path.startswith(READABLE) and not path.startswith(DENIED)


def check_open(args):
    path, mode, flags = (list(args) + [None, None, 0])[:3]
    if isinstance(path, int):
        return
    full = resolve(path)
    writing = bool((flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC))
    writing = writing or (isinstance(mode, str) and any(c in mode for c in "wax+"))
    if writing and not full.startswith(WORKDIR + os.sep):
        raise PermissionError(f"writing {os.fsdecode(path)} is not allowed while grading")
    if not writing and not readable(full) and full not in ("/dev/null", "/dev/urandom"):
        raise PermissionError(f"reading {os.fsdecode(path)} is not allowed while grading")


def audit(event, args):
    if event == "open":
        check_open(args)
    elif event in BLOCKED_EVENTS or event.startswith(BLOCKED_PREFIXES):
        raise PermissionError(f"{event} is not allowed while grading")
    elif event == "import" and args[0].split(".")[0] in BLOCKED_IMPORTS:
        raise ImportError(f"importing {args[0]} is not allowed while grading")
    elif event in FS_EVENTS:
        for arg in args[:2]:
            if isinstance(arg, (str, bytes, os.PathLike)):
                full = resolve(arg)
                if not (full == WORKDIR or full.startswith(WORKDIR + os.sep) or
                        (event in ("os.listdir", "os.scandir") and readable(full))):
                    raise PermissionError(f"{event} outside the grading folder is not allowed")
    elif event == "object.__setattr__" and len(args) > 1 and args[1] == "__code__":
        raise PermissionError("replacing a function's code is not allowed while grading")


# ------------------------------------------------------------------ the stub student package

class Refusing:
    """Any name of the student package: calling it (or anything reached from it) refuses."""

    def __init__(self, path):
        self._path = path

    def __call__(self, *args, **kwargs):
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


class QuietModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Anything()


# Plots, widgets and progress bars are never graded: they become silent stand-ins, which
# also spares every child the second it takes to import them.
QUIET_PACKAGES = {"matplotlib", "ipywidgets", "IPython", "tqdm", "mpl_toolkits"}


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


# ------------------------------------------------------------------------------ confinement

class Refused:
    """Stands in for a module student code must not reach."""

    def __getattr__(self, name):
        raise PermissionError("starting processes is not allowed while grading")


def disarm_subprocess():
    """subprocess.Popen is audited, but its fork helper is not: take the helper away."""
    import subprocess
    subprocess._posixsubprocess = Refused()
    sys.modules.pop("_posixsubprocess", None)


def set_limits(limits):
    def lower(kind, value):
        if value is not None:
            soft, hard = resource.getrlimit(kind)
            new = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (new, new + (1 if kind == resource.RLIMIT_CPU else 0)))
    lower(resource.RLIMIT_AS, limits.get("memory_bytes"))
    lower(resource.RLIMIT_CPU, limits.get("cpu_seconds"))
    lower(resource.RLIMIT_FSIZE, limits.get("file_bytes"))
    lower(resource.RLIMIT_NOFILE, 64)
    if os.getuid() != 0:
        lower(resource.RLIMIT_NPROC, limits.get("processes"))


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
        arrays = []
        if with_value:
            message["value"] = wire.encode(value, arrays, keep=self.keep)
        if args_after is not None:
            message["args_after"] = wire.encode(args_after, arrays)
        wire.send(self.cout, message, arrays)

    def exec_cell(self, message):
        code = compile(message["source"], f"<cell {message['index']}>", "exec")
        exec(code, self.namespace)
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
        result = self.target(message["target"])(*args, **kwargs)
        echo = args if message.get("echo_args") else None
        if message.get("keep"):
            return {"ok": True, "handle": self.keep(result)}, result, echo
        return {"ok": True}, result, echo

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
                kind = type(error).__name__
                text = str(error).splitlines()[0][:300] if str(error) else ""
                self.reply({"ok": False, "error": kind, "message": text,
                            "mro": [c.__name__ for c in type(error).__mro__][:8]})


def main():
    channel_in = os.fdopen(CONFIG["fd_in"], "rb", buffering=0)
    channel_out = os.fdopen(CONFIG["fd_out"], "wb", buffering=0)
    os.chdir(WORKDIR)
    sys.meta_path.insert(0, StubFinder())
    for name in [m for m in sys.modules if m.split(".")[0] in {"backproplab", *QUIET_PACKAGES}]:
        del sys.modules[name]
    set_limits(CONFIG["limits"])
    disarm_subprocess()
    sys.setrecursionlimit(3000)
    sys.stdout = sys.stderr = Sink()
    sys.addaudithook(audit)
    wire.send(channel_out, {"ok": True, "ready": True})
    Service(channel_in, channel_out).serve()


if __name__ == "__main__":
    main()
