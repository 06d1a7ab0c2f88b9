"""The contained child: what student code can't reach, and that failures cost only a call."""
import os

import numpy as np
import pytest

from autograder.sandbox.containment import ContainmentUnavailable, choose, doctor
from autograder.sandbox.runner import Limits, StudentError, StudentProcess
from support import ROOT

ATTEMPTS = {
    "read_solution": f"def f():\n    return open({str(ROOT / 'solutions' / 'layers.py')!r}).read()\n",
    "read_real_package": f"def f():\n    return open({str(ROOT / 'lib' / 'backproplab' / 'gradcheck.py')!r}).read()\n",
    "import_grader": "def f():\n    import autograder\n",
    "import_solutions": "def f():\n    import solutions\n",
    "editable_finder": "def f():\n    import importlib, sys\n    names = [p for p in sys.path]\n"
                       "    import __editable___backproplab_instructor_0_1_0_finder as m\n",
    "socket": "def f():\n    import socket\n    socket.create_connection(('127.0.0.1', 22))\n",
    "subprocess": "def f():\n    import subprocess\n    subprocess.run(['true'])\n",
    "write_outside": "def f():\n    open('/tmp/backproplab-escape', 'w').write('x')\n",
    "raise_limits": "def f():\n    import resource\n    resource.setrlimit(resource.RLIMIT_AS, (-1, -1))\n",
    "ctypes": "def f():\n    import ctypes\n    ctypes.CDLL(None).system(b'true')\n",
    "fast_conv": "def f():\n    from backproplab import conv_forward_fast\n    return conv_forward_fast(1, 2, 3)\n",
}


@pytest.fixture(scope="module")
def proc():
    with StudentProcess([(0, "import numpy as np\ndef ok(x):\n    return 2 * x\n")],
                        Limits(call_seconds=3, cell_seconds=3)) as p:
        yield p


@pytest.mark.parametrize("attempt", sorted(ATTEMPTS))
def test_student_code_cannot_reach_it(proc, attempt):
    proc.add_cell(100, ATTEMPTS[attempt])
    with pytest.raises(StudentError) as err:
        proc.call("f")
    assert err.value.kind == "exception"
    assert err.value.error in ("PermissionError", "ImportError", "ModuleNotFoundError",
                               "GraderOnly"), err.value
    assert proc.call("ok", np.arange(3.0)).tolist() == [0.0, 2.0, 4.0]


def test_a_crash_or_a_hang_costs_only_that_call(proc):
    proc.add_cell(101, "import os\ndef die():\n    os._exit(1)\ndef hang():\n    while True:\n        pass\n")
    proc.begin("die")
    with pytest.raises(StudentError) as err:
        proc.call("die")
    assert err.value.kind == "crashed"
    with pytest.raises(StudentError) as err:
        proc.call("hang")
    assert err.value.kind == "timeout"
    assert proc.call("ok", np.ones(2)).tolist() == [2.0, 2.0]


def test_values_cross_as_arrays_and_objects_stay_in_the_child(proc):
    proc.add_cell(102, "class Box:\n    pass\ndef make(x):\n    b = Box()\n    b.x = x\n    return (x * 3, b)\n"
                       "def unbox(b):\n    return b.x\n")
    handle, value = proc.call("make", np.ones(2), keep=True)
    assert value[0].tolist() == [3.0, 3.0] and type(value[1]).__name__ == "Handle"
    assert proc.call("unbox", value[1]).tolist() == [1.0, 1.0]
    from autograder.sandbox.probes import Probe
    box, _ = proc.call(Probe("item"), handle, 1, keep=True)
    assert proc.call("unbox", box).tolist() == [1.0, 1.0]


# ------------------------------------------------------- the walls, without the tripwire

# Each attack as student code that has got past the audit hook: only the operating system
# stands in its way. The answer must be an OS error, at both levels of containment.
RAW_ATTACKS = {
    "read_solutions": f"open({str(ROOT / 'solutions' / 'layers.py')!r}).read()",
    "list_root": "__import__('os').listdir('/')",
    "read_passwd": "open('/etc/passwd').read()",
    "read_site_packages": f"open({str(ROOT / 'autograder' / 'judging' / 'judge.py')!r}).read()",
    "write_stdlib": f"open({os.path.join(os.path.dirname(os.__file__), 'os.py')!r}, 'a').write('#')",
    "write_tmp": "open('/tmp/backproplab-escape', 'w').write('x')",
    "fork": "__import__('os').fork()",
    "exec": "__import__('os').execv('/usr/bin/true', ['true'])",
    "kill_parent": "__import__('os').kill(__import__('os').getppid(), 9)",
    "kill_everyone": "__import__('os').kill(-1, 9)",
    "socket_tcp": "__import__('socket').socket().connect(('127.0.0.1', 22))",
    "socket_unix": "__import__('socket').socket(__import__('socket').AF_UNIX)",
    "socket_udp": "__import__('socket').socket(__import__('socket').AF_INET, __import__('socket').SOCK_DGRAM)",
    "mkfifo": "__import__('os').mkfifo('pipe')",
    "setuid_root": "__import__('os').setuid(0) or __import__('os').setgid(0) or open('/root/x', 'w')",
    "raise_limits": "__import__('resource').setrlimit(__import__('resource').RLIMIT_NPROC, (-1, -1))",
    "proc_of_parent": "open(f'/proc/{__import__(\"os\").getppid()}/environ').read()",
    "subinterpreter": ("__import__('_xxsubinterpreters').run_string(__import__('_xxsubinterpreters')"
                       f".create(), 'open({str(ROOT / 'solutions' / 'layers.py')!r}).read()')"),
    "ptrace_via_ctypes": "__import__('ctypes').CDLL(None).ptrace(16, 1, 0, 0) == 0 or 1/0",
}
OS_ERRORS = ("PermissionError", "FileNotFoundError", "ModuleNotFoundError", "ValueError",
             "RunFailedError", "ZeroDivisionError", "OSError")


@pytest.fixture(scope="module", params=["namespaces", "landlock"])
def raw(request):
    os.environ["BACKPROPLAB_CONTAINMENT"] = request.param
    try:
        level = choose()
    finally:
        del os.environ["BACKPROPLAB_CONTAINMENT"]
    assert level.level == request.param
    cells = [(0, "def ok(x):\n    return 2 * x\n")]
    with StudentProcess(cells, Limits(call_seconds=5), containment=level, tripwire=False) as p:
        yield p


@pytest.mark.parametrize("attack", sorted(RAW_ATTACKS))
def test_the_operating_system_stops_it_without_the_tripwire(raw, attack):
    raw.add_cell(len(raw.cells) + 1, f"def attack():\n    return {RAW_ATTACKS[attack]}\n")
    with pytest.raises(StudentError) as err:
        raw.call("attack")
    assert err.value.kind == "exception" and err.value.error in OS_ERRORS, err.value
    assert raw.call("ok", np.arange(3.0)).tolist() == [0.0, 2.0, 4.0]
    assert not os.path.exists("/tmp/backproplab-escape")


def test_the_child_reports_its_walls():
    with StudentProcess([(0, "x = 1\n")], Limits()) as p:
        p.defined(["x"])
        walls = " | ".join(p.walls)
    assert "landlock ABI" in walls and "seccomp" in walls and "uid 19" in walls


def test_grading_refuses_without_containment_unless_told(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROPLAB_CONTAINMENT", "none")
    with pytest.raises(ContainmentUnavailable, match="--no-containment"):
        choose()
    assert choose(allow_none=True).level == "none"
    with pytest.raises(ContainmentUnavailable):
        StudentProcess([(0, "x = 1\n")])


def test_doctor_says_what_this_machine_offers():
    text = doctor()
    assert "Landlock: ABI" in text and "backproplab grade will use: namespaces" in text


def test_without_the_walls_the_same_attacks_succeed(monkeypatch):
    """The attacks above are real: at level none, with the tripwire off, they get through
    (so the tests that they fail can fail)."""
    monkeypatch.setenv("BACKPROPLAB_CONTAINMENT", "none")
    bare = choose(allow_none=True)
    monkeypatch.delenv("BACKPROPLAB_CONTAINMENT")
    cells = [(0, "".join(f"def {name}():\n    return {RAW_ATTACKS[name]}\n"
                         for name in ("read_solutions", "read_passwd", "list_root")))]
    with StudentProcess(cells, Limits(call_seconds=5), containment=bare, tripwire=False) as p:
        assert "def affine_forward" in p.call("read_solutions")
        assert "root:" in p.call("read_passwd")
        assert "etc" in p.call("list_root")
