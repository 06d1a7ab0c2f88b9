"""The wire between the grader and the contained child, by hand: wire.receive and wire.decode
refuse malformed frames and replies, cap what one message may hold, and keep plain arrays."""
import io
import json
import struct

import numpy as np
import pytest

from autograder.sandbox import probes, wire


def stream(message, arrays=()):
    """A byte stream holding one message: a JSON frame (bytes or a dict) and array frames."""
    buffer = io.BytesIO()
    payload = message if isinstance(message, bytes) else json.dumps(
        {**message, "n_arrays": message.get("n_arrays", len(arrays))}).encode()
    wire.write_frame(buffer, payload)
    for array in arrays:
        wire.write_frame(buffer, array if isinstance(array, bytes) else frame(array))
    buffer.seek(0)
    return buffer


def frame(array):
    """The frame ``wire.send`` makes of ``array``."""
    header, data = wire.array_frame(array)
    return header + bytes(data)


def lying_header(shape, kind=b"f", itemsize=8, order=b"C"):
    """An array frame of 3 float64 numbers' bytes whose header claims ``shape`` (and
    ``kind``, ``itemsize``, ``order``)."""
    header = struct.pack("<4scBcB", b"BPLA", kind, itemsize, order, len(shape))
    return header + b"".join(struct.pack("<q", n) for n in shape) + bytes(24)


@pytest.mark.parametrize("frames", [
    pytest.param(stream(b"[" * 5_000_000), id="JSON nested millions deep"),
    pytest.param(stream(b"[1, 2]"), id="not an object"),
    pytest.param(stream(b"{\"ok\": tru"), id="not JSON"),
    pytest.param(stream({"ok": True, "n_arrays": -1}), id="negative array count"),
    pytest.param(stream({"ok": "yes"}), id="ok not a bool"),
    pytest.param(stream({"ok": False, "error": ["E"]}), id="error not a string"),
    pytest.param(stream({"ok": False, "error": "E", "mro": "E"}), id="mro not a list"),
    pytest.param(stream({"ok": True, "defined": {"f": 3}}), id="defined not names"),
    pytest.param(stream({"ok": True}, [np.ones(3, complex)]), id="complex"),
    pytest.param(stream({"ok": True}, [np.array(["a"])]), id="strings"),
    pytest.param(stream({"ok": True}, [np.zeros(2, [("a", "f8")])]), id="structured"),
    pytest.param(stream({"ok": True}, [np.zeros(2, "V8")]), id="void"),
    pytest.param(stream({"ok": True}, [np.array([None])]), id="objects"),
    pytest.param(stream({"ok": True}, [np.zeros((1,) * 9)]), id="nine axes"),
    pytest.param(stream({"ok": True}, [lying_header((10**12,))]), id="header claims 1e12"),
    pytest.param(stream({"ok": True}, [lying_header((2,))]), id="header claims fewer"),
    pytest.param(stream({"ok": True}, [lying_header((-3,))]), id="header claims -3"),
    pytest.param(stream({"ok": True}, [lying_header((3,), itemsize=3)]), id="item size 3"),
    pytest.param(stream({"ok": True}, [lying_header((3,), order=b"X")]), id="order X"),
    pytest.param(stream({"ok": True}, [lying_header((1,) * 9)]), id="header claims 9 axes"),
    pytest.param(stream({"ok": True}, [b"BPLA"]), id="header cut short"),
    pytest.param(stream({"ok": True}, [b"not an array frame"]), id="garbage frame"),
])
def test_receive_refuses_malformed_frames(frames):
    with pytest.raises(wire.WireError):
        wire.receive(frames)


def test_receive_caps_the_numbers_in_one_message(monkeypatch):
    monkeypatch.setattr(wire, "MAX_ELEMENTS", 10)
    with pytest.raises(wire.WireError):
        wire.receive(stream({"ok": True}, [np.zeros(6), np.zeros(6)]))
    message, arrays = wire.receive(stream({"ok": True}, [np.zeros(5), np.zeros(5)]))
    assert len(arrays) == 2


def test_receive_cuts_what_a_reply_says_about_an_exception():
    # as long as a message may be (wire.MAX_MESSAGE_BYTES; a longer one is refused unread)
    message, _ = wire.receive(stream({"ok": False, "error": "E" * 1_000_000,
                                      "mro": ["E" * 100_000] * 15, "message": "m\x00" * 10**5}))
    assert len(message["error"]) == wire.MAX_NAME and len(message["mro"]) == 8
    assert all(len(n) <= wire.MAX_NAME for n in message["mro"])
    assert len(message["message"]) == wire.MAX_TEXT and "\x00" not in message["message"]


def test_receive_keeps_plain_arrays():
    arrays = [np.arange(6.0).reshape(2, 3), np.array(True), np.arange(4, dtype=np.uint8),
              np.asfortranarray(np.ones((2, 3), np.float32)), np.zeros((0, 5)),
              np.arange(12.0).reshape(3, 4)[:, ::2], np.float16(1.5), np.longdouble(1) / 3,
              np.arange(70_000.0).reshape(350, 200)]  # past SPLIT_WRITE_BYTES: written apart
    buffer = io.BytesIO()
    wire.send(buffer, {"ok": True}, arrays)
    buffer.seek(0)
    message, got = wire.receive(buffer)
    assert message["ok"] and all(np.array_equal(a, b) and np.shape(a) == b.shape and
                                 np.asarray(a).dtype == b.dtype and b.flags.writeable
                                 for a, b in zip(arrays, got))
    assert got[3].flags.f_contiguous  # a Fortran-ordered array stays so


def test_big_endian_arrays_arrive_with_their_values():
    big = np.arange(5, dtype=">i4")
    _, (got,) = wire.receive(stream({"ok": True}, [big]))
    assert np.array_equal(got, big) and got.dtype == np.int32


@pytest.mark.parametrize("tree, n_arrays", [
    ([1, 2], 0), ("text", 0), ({"a": 0, "zzz": 1}, 1), ({"a": 3}, 1), ({"a": -1}, 1),
    ({"a": True}, 1), ({"a": "0"}, 1), ({"o": "K" * 101}, 0), ({"o": 5}, 0),
    ({"h": "h" * 101, "o": "Box"}, 0), ({"h": ["h0"]}, 0), ({"p": "item"}, 0), ({"rng": 3}, 0),
    ({"s": {"a": 0}}, 1), ({"s": [], "t": "set"}, 0), ({"str": ["x"]}, 0),
    ({"str": "x" * 10_001}, 0), ({"f": [1]}, 0), ({"d": [1]}, 0), ({"d": {"k": 5}}, 0),
    ({"a": 0, "scalar": "float"}, 1), ({"a": 0, "scalar": ["int"]}, 1), ({}, 0),
])
def test_decode_refuses_what_encode_does_not_make(tree, n_arrays):
    arrays = [np.zeros(3)] * n_arrays
    with pytest.raises(wire.WireError):
        wire.decode(tree, arrays, resolve=lambda key: key)


def test_decode_refuses_deep_trees():
    tree = None
    for _ in range(wire.MAX_DEPTH + 5):
        tree = {"s": [tree]}
    with pytest.raises(wire.WireError):
        wire.decode(tree, [])


def test_encode_and_decode_still_agree():
    value = (np.arange(3.0), 2, 2.5, np.float32(1.5), True, None, "text", [1.0, (2, 3)],
             {"m": np.ones((2, 2)), "t": 3})
    arrays = []
    tree = json.loads(json.dumps(wire.encode(value, arrays)))
    got = wire.decode(tree, [wire.load_array(frame(a)) for a in arrays])
    assert got[1:3] == (2, 2.5) and got[3] == np.float32(1.5) and got[4:7] == (True, None, "text")
    assert np.array_equal(got[0], value[0]) and got[7] == [1.0, (2, 3)]
    assert np.array_equal(got[8]["m"], np.ones((2, 2))) and got[8]["t"] == 3
    opaque = wire.decode({"h": "h0", "o": "Box"}, [])
    assert opaque.typename == "Box" and opaque.handle == "h0"
    assert wire.decode({"h": "h0", "o": "Box"}, [], resolve=lambda key: ("kept", key)) == \
        ("kept", "h0")


def test_the_child_side_still_resolves_probes_and_generators():
    assert wire.decode({"p": "item"}, [], probes=probes.PROBES) is probes.item
    rng = wire.decode({"rng": 7}, [], probes=probes.PROBES)
    assert rng.random() == np.random.default_rng(7).random()
    with pytest.raises(wire.WireError):
        wire.decode({"p": "os.system"}, [], probes=probes.PROBES)
