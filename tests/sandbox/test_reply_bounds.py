"""Replies are bounded before they are parsed: whatever a student's function returns, or
whatever its code writes on the reply channel itself, the grading parent's memory stays within
a stated cap and the call's time counts the reading.

The attackers: a graded function returning a plain list of 4.9 million booleans (the child's
encoder sends "too many values" instead), and one that forges a 60 MB reply frame of empty
objects on the channel (the parent refuses it on its length, before json.loads makes an
object of any). Each is graded in a subprocess whose peak memory is compared with that of an
honest student graded the same way.
"""
import io
import json
import struct
import subprocess
import sys

import numpy as np
import pytest
from support import ROOT

from autograder.sandbox import wire

# What grading one student may add to the parent's peak memory over an honest one: the
# largest reply the wire accepts (its JSON, its arrays) read and decoded once.
PARENT_MEMORY_CAP_MB = 2 * (wire.MAX_MESSAGE_BYTES + wire.MAX_ARRAY_BYTES) // 2**20

HUGE_LIST = "def relu_forward(x):\n    return [True] * 4_900_000, None\n"
FORGED_FRAME = '''\
import sys, struct
def relu_forward(x):
    out = sys.modules["__main__"].CHANNEL_OUT
    body = b'{"ok": true, "value": {"s": [' + b'{},' * 20_000_000 + b'{}]}}'
    out.write(struct.pack(">I", len(body)) + body)
    out.flush()
    return x, None
'''

GRADE_ONE = '''\
import json, resource, sys
import numpy as np
from autograder.judging.registry import all_checks
from autograder.judging.grades import FunctionGrade
from autograder.judging.judge import Judge
from autograder.round.samples import reference_answer
from autograder.sandbox.runner import Limits, StudentProcess
answer = sys.stdin.read()
cells = ["import numpy as np", answer or reference_answer("relu_forward")]
with StudentProcess(list(enumerate(cells)), Limits(call_seconds=20, cell_seconds=20)) as proc:
    judge = Judge(proc, 1234)
    proc.begin("relu_forward")
    grade = FunctionGrade("relu_forward", 1.0, all_checks()["relu_forward"](judge))
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "report": grade.as_report()}))
'''


def graded_in_a_subprocess(answer):
    proc = subprocess.run([sys.executable, "-c", GRADE_ONE], input=answer, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def honest():
    return graded_in_a_subprocess("")


@pytest.mark.parametrize("answer", [HUGE_LIST, FORGED_FRAME], ids=["huge_list", "forged"])
def test_no_reply_inflates_the_grading_parent(honest, answer):
    attacked = graded_in_a_subprocess(answer)
    grown = attacked["peak_mb"] - honest["peak_mb"]
    assert grown < PARENT_MEMORY_CAP_MB, (grown, attacked["peak_mb"], honest["peak_mb"])
    assert attacked["report"]["score"] == 0.0
    assert honest["report"]["score"] == 1.0
    kinds = {c["kind"] for c in attacked["report"]["checks"]}
    assert kinds & {"wrong_type", "wrong_structure", "crashed", "bad_reply"}, kinds
    text = json.dumps(attacked["report"])
    assert "4900000" not in text and "4,900,000" not in text


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def test_receive_counts_values_before_parsing():
    many = b'{"ok": true, "value": {"s": [' + b"{}," * (wire.MAX_VALUES + 5) + b'{}]}}'
    assert len(many) < wire.MAX_MESSAGE_BYTES
    with pytest.raises(wire.WireError, match="values"):
        wire.receive(io.BytesIO(frame(many)))
    nulls = b'{"ok": true, "value": [' + b"null," * (wire.MAX_VALUES + 5) + b'null]}'
    with pytest.raises(wire.WireError, match="values"):
        wire.receive(io.BytesIO(frame(nulls)))


def test_receive_refuses_a_message_over_its_byte_limit_unread():
    stream = io.BytesIO(struct.pack(">I", wire.MAX_MESSAGE_BYTES + 1))
    with pytest.raises(wire.WireError, match="limit"):
        wire.receive(stream)
    assert stream.read() == b""  # nothing beyond the length was asked for


def test_receive_refuses_too_many_array_frames():
    with pytest.raises(wire.WireError, match="array count"):
        wire.receive(io.BytesIO(frame(json.dumps(
            {"ok": True, "n_arrays": wire.MAX_ARRAYS + 1}).encode())))


@pytest.mark.parametrize("value", [
    [True] * (wire.MAX_VALUES + 1),
    [np.float64(1.0)] * (wire.MAX_ARRAYS + 1),
    {f"k{i}": None for i in range(wire.MAX_VALUES + 1)},
    np.zeros(wire.MAX_ELEMENTS + 1, dtype=np.uint8),
    [np.zeros(wire.MAX_ARRAY_BYTES // 8 // 2 + 1)] * 2,
], ids=["bools", "numpy_scalars", "dict", "elements", "bytes"])
def test_encode_sends_what_is_too_large_as_too_many_values(value):
    arrays = [np.zeros(2)]
    tree = wire.encode(value, arrays)
    assert tree == wire.TOO_LARGE and len(arrays) == 1
    message, _ = wire.receive(io.BytesIO(send_bytes({"ok": True, "value": tree}, arrays)))
    assert isinstance(wire.decode(message["value"], []), wire.Opaque)


def test_encode_keeps_everything_within_the_bounds():
    value = {f"n{i}": float(i) for i in range(10_001)}  # a 10,000-node graph's gradients
    arrays = []
    tree = wire.encode(value, arrays)
    message, received = wire.receive(io.BytesIO(send_bytes({"ok": True, "value": tree}, arrays)))
    assert wire.decode(message["value"], received) == value


def send_bytes(message, arrays):
    buffer = io.BytesIO()
    wire.send(buffer, message, arrays)
    return buffer.getvalue()


def test_python_numbers_travel_inline_and_exact():
    """A Python float or int is JSON text (no frame of its own: a 10,000-node graph's
    gradients are one frame, not 10,000), and comes back bit for bit."""
    values = [0.1, -0.0, 5e-324, 1.7976931348623157e308, float("inf"), -float("inf"), 3,
              -2**70, 0.30000000000000004]
    arrays = []
    tree = wire.encode({"v": values, "nan": float("nan")}, arrays)
    assert arrays == []
    message, received = wire.receive(io.BytesIO(send_bytes({"ok": True, "value": tree}, arrays)))
    back = wire.decode(message["value"], received)
    assert [(type(v), np.float64(v).tobytes()) for v in back["v"]] == \
        [(type(v), np.float64(v).tobytes()) for v in values]
    assert np.isnan(back["nan"])
    with pytest.raises(wire.WireError):
        wire.decode({"n": "1.0", "scalar": "float"}, [])
    with pytest.raises(wire.WireError):
        wire.decode({"n": 1.5, "scalar": "int"}, [])
