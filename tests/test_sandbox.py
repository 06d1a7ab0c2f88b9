"""The contained child: what student code can't reach, and that failures cost only a call."""
import numpy as np
import pytest

from autograder.sandbox.runner import Limits, StudentError, StudentProcess
from notebook_utils import ROOT

ATTEMPTS = {
    "read_solution": f"def f():\n    return open({str(ROOT / 'solutions' / 'layers.py')!r}).read()\n",
    "read_real_package": f"def f():\n    return open({str(ROOT / 'lib' / 'backproplab' / 'fast_layers.py')!r}).read()\n",
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
