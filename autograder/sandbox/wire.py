"""Framing shared by the parent and the child: length-prefixed JSON and .npy frames.

Values cross as a JSON tree; arrays travel as separate ``np.save`` frames (never pickle):
``{"a": k}`` is the k-th array frame, ``{"f": x}`` a number, ``{"s": [...], "t": "tuple"}``
a sequence, ``{"d": {...}}`` a dict with string keys, ``{"h": id}`` an object kept in the
child (a cache, an Operation), ``{"p": name}`` one of the grader's probe functions (see
probes.py), ``{"rng": seed}`` a fresh ``numpy.random.Generator`` made in the child,
``{"str": text}`` a string, ``{"o": typename}`` anything else, ``null`` None.
This module imports only the standard library and NumPy: the child loads it by path.
"""
import io
import json
import struct

import numpy as np

HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024


class WireError(Exception):
    """The other side sent something that is not a well-formed frame."""


def write_frame(stream, payload: bytes):
    stream.write(HEADER.pack(len(payload)) + payload)


def read_exact(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise EOFError("the other side closed the channel")
        data += chunk
    return data


def read_frame(stream):
    (n,) = HEADER.unpack(read_exact(stream, HEADER.size))
    if n > MAX_FRAME:
        raise WireError(f"frame of {n} bytes is over the {MAX_FRAME} byte limit")
    return read_exact(stream, n)


def send(stream, message: dict, arrays=()):
    """Send a JSON message followed by its array frames."""
    message = {**message, "n_arrays": len(arrays)}
    write_frame(stream, json.dumps(message).encode())
    for array in arrays:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(array), allow_pickle=False)
        write_frame(stream, buffer.getvalue())
    stream.flush()


def receive(stream):
    """Read one message and its arrays: ``(message, [arrays])``."""
    try:
        message = json.loads(read_frame(stream))
    except (ValueError, UnicodeDecodeError) as error:
        raise WireError(f"malformed message: {error}") from None
    if not isinstance(message, dict):
        raise WireError("malformed message: not an object")
    count = message.get("n_arrays", 0)
    if not isinstance(count, int) or not 0 <= count <= 10_000:
        raise WireError("malformed message: bad array count")
    arrays = []
    for _ in range(count):
        try:
            arrays.append(np.load(io.BytesIO(read_frame(stream)), allow_pickle=False))
        except ValueError as error:
            raise WireError(f"malformed array: {error}") from None
    return message, arrays


def encode(value, arrays, keep=None, depth=0):
    """JSON tree for ``value``; arrays appended to ``arrays``; other objects kept by ``keep``."""
    if depth > 20:
        return {"o": "too deeply nested"}
    if value is None:
        return None
    if hasattr(value, "wire_ref"):
        return {"h": value.wire_ref}
    if hasattr(value, "wire_probe"):
        return {"p": value.wire_probe}
    if hasattr(value, "wire_rng"):
        return {"rng": int(value.wire_rng)}
    if isinstance(value, str):
        return {"str": value[:10_000]}
    if isinstance(value, (bool, np.bool_)):
        return {"f": bool(value)}
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        arrays.append(np.asarray(value))
        return {"a": len(arrays) - 1, "scalar": type(value).__name__}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return {"o": "ndarray of objects"}
        arrays.append(value)
        return {"a": len(arrays) - 1}
    if isinstance(value, (tuple, list)):
        return {"s": [encode(v, arrays, keep, depth + 1) for v in value],
                "t": "tuple" if isinstance(value, tuple) else "list"}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"d": {k: encode(v, arrays, keep, depth + 1) for k, v in value.items()}}
    if keep is not None:
        return {"h": keep(value), "o": type(value).__name__}
    return {"o": type(value).__name__}


class Opaque:
    """A value the child could not send as data (kept there, or of an unknown type)."""

    def __init__(self, typename, handle=None):
        self.typename, self.handle = typename, handle

    def __repr__(self):
        return f"<{self.typename}>"


def decode(tree, arrays, resolve=None, probes=None):
    """The inverse of ``encode`` on the receiving side: handles become ``resolve(id)``,
    probes ``probes[name]`` (only the child resolves probes)."""
    if tree is None:
        return None
    if not isinstance(tree, dict):
        raise WireError("malformed value")
    if "a" in tree:
        array = arrays[tree["a"]]
        if "scalar" in tree:
            kind = tree["scalar"]
            return int(array) if kind == "int" else float(array) if kind == "float" else array[()]
        return array
    if "f" in tree:
        return tree["f"]
    if "s" in tree:
        items = [decode(v, arrays, resolve, probes) for v in tree["s"]]
        return tuple(items) if tree.get("t") == "tuple" else items
    if "str" in tree:
        return str(tree["str"])
    if "rng" in tree and probes is not None:
        return np.random.default_rng(int(tree["rng"]))
    if "p" in tree and probes is not None:
        if tree["p"] not in probes:
            raise WireError(f"unknown probe {tree['p']!r}")
        return probes[tree["p"]]
    if "d" in tree:
        return {k: decode(v, arrays, resolve, probes) for k, v in tree["d"].items()}
    if "h" in tree and resolve is not None:
        return resolve(tree["h"])
    return Opaque(tree.get("o", "object"), tree.get("h"))
