"""Framing shared by the parent and the child: length-prefixed JSON and raw array frames.

Values cross as a JSON tree; arrays travel as separate frames (never pickle), each a
fixed header (``ARRAY_MAGIC``, the dtype's kind and item size, C or Fortran order, the axes'
lengths) and the array's little-endian bytes (``array_frame``, ``load_array``):
``{"a": k}`` is the k-th array frame (a NumPy scalar too), ``{"n": x, "scalar": "float"}``
a Python int or float (inline: JSON's text of a float round-trips exactly), ``{"f": x}`` a
truth value, ``{"s": [...], "t": "tuple"}``
a sequence, ``{"d": {...}}`` a dict with string keys, ``{"h": id}`` an object kept in the
child (a cache, an Operation), ``{"p": name}`` one of the grader's probe functions (see
probes.py), ``{"rng": seed}`` a fresh ``numpy.random.Generator`` made in the child,
``{"str": text}`` a string, ``{"o": typename}`` anything else, ``null`` None.
This module imports only the standard library and NumPy: the child loads it by path.

Nothing that arrives is trusted, and every reply is bounded before it is parsed: its JSON is
at most ``MAX_MESSAGE_BYTES`` and ``MAX_VALUES`` values (counted on the bytes, before
``json.loads`` makes an object of any), its arrays at most ``MAX_ARRAYS`` frames,
``MAX_ELEMENTS`` numbers and ``MAX_ARRAY_BYTES`` together; ``receive`` reads an array's
header before NumPy makes anything of it and takes only plain arrays of booleans,
integers and floats (at most ``MAX_NDIM`` axes), caps the nesting of the JSON, and cuts the
strings a reply carries about an exception, and takes a monitored call's record
(``checked_monitor``) only with its fields, types and caps; ``decode`` takes only the forms
above, with array indices in range and short type names. Anything else is a ``WireError``,
whose message never repeats what was sent. ``encode`` keeps to the same bounds on the sending
side: a value too big to send becomes ``{"o": "too many values"}``, so an honest reply is
never refused.
"""
import json
import struct

import numpy as np

HEADER = struct.Struct(">I")
ARRAY_MAGIC = b"BPLA"
ARRAY_HEADER = struct.Struct("<4scBcB")  # magic, kind, item size, order (C/F), axes
AXIS = struct.Struct("<q")
SPLIT_WRITE_BYTES = 1 << 16  # a larger array is written apart from its header (no copy)
# The kinds of NumPy floating-point warning the child reports with each call's reply.
FP_WARNINGS = ("overflow", "invalid value", "divide by zero")
MAX_FRAME = 64 * 1024 * 1024
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # the JSON of one message (its arrays travel apart)
MAX_VALUES = 100_000           # values in one message's tree (hw1's 10,000-node chain: at
                               # most ~40,000, one string a node in a graph's spec)
MAX_ARRAYS = 30_000            # array frames of one message (a NumPy scalar travels as one)
MAX_NDIM = 8
MAX_ELEMENTS = 8_000_000       # numbers in all the arrays of one message
MAX_ARRAY_BYTES = 64 * 1024**2  # bytes in all the arrays of one message
MAX_DEPTH = 40                 # nesting of a value tree (encode stops at 20)
MAX_NAME = 100                 # a type name, an exception class name, a handle
MAX_TEXT = 300                 # an exception's message
MAX_MONITORED = 50             # functions in a monitored call's record
MAX_COUNT = 1000               # the counts of a monitored call's record are capped here
ARRAY_KINDS = "biuf"           # bool, int, uint, float
KIND_WORDS = {"c": "complex numbers", "O": "Python objects", "U": "text", "S": "bytes",
              "V": "records or raw bytes", "M": "dates", "m": "time spans"}


class WireError(Exception):
    """The other side sent something that is not a well-formed frame."""


def write_frame(stream, payload: bytes):
    stream.write(HEADER.pack(len(payload)) + payload)


def read_exact(stream, n):
    """``n`` bytes as a bytearray (grown in place: a large frame arrives in many chunks; an
    array is then made over it, writable, without a copy)."""
    data = bytearray()
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise EOFError("the other side closed the channel")
        data += chunk
    return data


def read_frame(stream, limit=MAX_FRAME):
    (n,) = HEADER.unpack(read_exact(stream, HEADER.size))
    if n > limit:
        raise WireError(f"a frame over the {limit} byte limit")
    return read_exact(stream, n)


def values_at_most(data):
    """An upper bound on the values a JSON text holds, counted without parsing it: every
    value of a tree is an object ``{`` or ``null``, and every sequence of n values has n - 1
    commas."""
    return data.count(b"{") + data.count(b",") + 1


def send(stream, message: dict, arrays=()):
    """Send a JSON message followed by its array frames."""
    message = {**message, "n_arrays": len(arrays)}
    payload = json.dumps(message).encode()
    out = bytearray(HEADER.pack(len(payload)) + payload)  # small frames leave in one write
    for array in arrays:
        header, data = array_frame(array)
        out += HEADER.pack(len(header) + len(data)) + header
        if len(data) < SPLIT_WRITE_BYTES:
            out += data
        else:
            stream.write(out)
            stream.write(data)
            out = bytearray()
    if out:
        stream.write(out)
    stream.flush()


def array_frame(array):
    """(header, data) of one array frame: ``ARRAY_HEADER`` and the lengths of the axes, then
    the array's bytes, little-endian, in its own order (C, or Fortran for an array that is
    only Fortran-contiguous). The kind and size are sent as they are: ``load_array`` on the
    other side refuses what it does not read."""
    array = np.asarray(array)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    order = b"F" if array.flags.f_contiguous and not array.flags.c_contiguous else b"C"
    kind = array.dtype.kind.encode("ascii", "replace")[:1]
    header = ARRAY_HEADER.pack(ARRAY_MAGIC, kind, min(array.dtype.itemsize, 255), order,
                               min(array.ndim, 255))
    header += b"".join(AXIS.pack(n) for n in array.shape[:255])
    if array.dtype.hasobject or array.dtype.fields is not None:
        return header, b""  # refused on arrival by its kind; no object is ever serialised
    if order == b"C" and array.flags.c_contiguous and array.nbytes >= SPLIT_WRITE_BYTES:
        return header, memoryview(array.reshape(-1)).cast("B")
    return header, array.tobytes(order=order.decode())


def receive(stream):
    """Read one message and its arrays: ``(message, [arrays])``, validated (see above)."""
    data = read_frame(stream, MAX_MESSAGE_BYTES)
    if values_at_most(data) > MAX_VALUES:
        raise WireError(f"a message of more than {MAX_VALUES} values")
    try:
        message = json.loads(data)
    except RecursionError:
        raise WireError("a message nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise WireError("a message that is not well-formed JSON") from None
    if not isinstance(message, dict):
        raise WireError("a message that is not a JSON object")
    count = message.get("n_arrays", 0)
    if type(count) is not int or not 0 <= count <= MAX_ARRAYS:
        raise WireError("a message with a bad array count")
    message = checked_fields(message)
    arrays, elements, size = [], 0, 0
    for _ in range(count):
        array = load_array(read_frame(stream))
        elements, size = elements + array.size, size + array.nbytes
        if elements > MAX_ELEMENTS or size > MAX_ARRAY_BYTES:
            raise WireError(f"arrays of more than {MAX_ELEMENTS} numbers or "
                            f"{MAX_ARRAY_BYTES >> 20} MB in one reply")
        arrays.append(array)
    return message, arrays


def load_array(frame):
    """One array frame (``array_frame``) as a writable array over the frame's own bytes, its
    header checked before anything is made of them."""
    if len(frame) < ARRAY_HEADER.size or bytes(frame[:4]) != ARRAY_MAGIC:
        raise WireError("an array frame whose header is not the grader's array header")
    _, kind, itemsize, order, ndim = ARRAY_HEADER.unpack_from(frame)
    kind = kind.decode("latin-1")
    if kind not in ARRAY_KINDS:
        what = KIND_WORDS.get(kind, "values of an unknown kind")
        raise WireError(f"an array of {what}; the grader reads arrays of booleans, integers "
                        "and floats only")
    if ndim > MAX_NDIM:
        raise WireError(f"an array of more than {MAX_NDIM} axes")
    offset = ARRAY_HEADER.size + ndim * AXIS.size
    if order not in (b"C", b"F") or len(frame) < offset:
        raise WireError("an array frame whose header is not the grader's array header")
    try:
        dtype = np.dtype(f"<{kind}{itemsize}")
    except TypeError:
        raise WireError("an array frame whose item size is not one of its kind's") from None
    shape = tuple(AXIS.unpack_from(frame, ARRAY_HEADER.size + i * AXIS.size)[0]
                  for i in range(ndim))
    count = 1
    for n in shape:
        if n < 0:
            raise WireError("an array frame whose header gives a negative length")
        count *= n
    if dtype.kind != kind or dtype.itemsize != itemsize or count > MAX_ELEMENTS or \
            count * itemsize != len(frame) - offset:
        raise WireError("an array frame whose size does not match its header, or is over "
                        f"the limit of {MAX_ELEMENTS} numbers")
    if not isinstance(frame, bytearray):
        frame = bytearray(frame)  # a writable array, as np.load made
    flat = np.frombuffer(frame, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order=order.decode())


def short(text, limit):
    """``text`` cut to ``limit`` characters, every unprintable character a '?'."""
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


def checked_fields(message):
    """The message with the fields a reply may carry about a student's exception type-checked
    and cut short (a class name can be megabytes long, or spell out an input)."""
    def text(key, limit):
        if key in message:
            if not isinstance(message[key], str):
                raise WireError(f"a message whose {key!r} is not a string")
            message[key] = short(message[key], limit)
    if "ok" in message and not isinstance(message["ok"], bool):
        raise WireError("a message whose 'ok' is not true or false")
    text("error", MAX_NAME)
    text("message", MAX_TEXT)
    text("handle", MAX_NAME)
    if "mro" in message:
        mro = message["mro"]
        if not isinstance(mro, list) or not all(isinstance(n, str) for n in mro):
            raise WireError("a message whose 'mro' is not a list of names")
        message["mro"] = [short(n, MAX_NAME) for n in mro[:8]]
    if "defined" in message:
        defined = message["defined"]
        if not isinstance(defined, dict) or not all(isinstance(t, str) for t in defined.values()):
            raise WireError("a message whose 'defined' is not a table of type names")
        message["defined"] = {short(k, MAX_NAME): short(t, MAX_NAME) for k, t in defined.items()}
    if "monitor" in message:  # a request's flag, or a reply's record
        if "op" in message:
            if not isinstance(message["monitor"], bool):
                raise WireError("a request whose 'monitor' is not true or false")
        else:
            message["monitor"] = checked_monitor(message["monitor"])
    return message


MONITOR_FLAGS = ("installed", "completed", "tampered", "more")
MONITOR_FUNCTION = {"name": str, "calls": int, "complex": bool, "dual": bool, "perturbed": int}


def checked_monitor(record):
    """A monitored call's record (child.py's ``CallMonitor.record``), checked field by field:
    four truth values, a capped error count and at most ``MAX_MONITORED`` functions, each a
    name of at most ``MAX_NAME`` printable characters, two capped counts and two truth
    values. Nothing else may ride along."""
    def count(value):
        return type(value) is int and 0 <= value <= MAX_COUNT

    bad = WireError("a message whose 'monitor' is not a call record")
    if not isinstance(record, dict) or set(record) != {*MONITOR_FLAGS, "errors", "functions"}:
        raise bad
    if not all(type(record[k]) is bool for k in MONITOR_FLAGS) or not count(record["errors"]):
        raise bad
    functions = record["functions"]
    if not isinstance(functions, list) or len(functions) > MAX_MONITORED:
        raise bad
    checked = []
    for entry in functions:
        if not isinstance(entry, dict) or set(entry) != set(MONITOR_FUNCTION):
            raise bad
        for key, kind in MONITOR_FUNCTION.items():
            if type(entry[key]) is not kind or (kind is int and not count(entry[key])):
                raise bad
        checked.append({**entry, "name": short(entry["name"], MAX_NAME)})
    return {**{k: record[k] for k in MONITOR_FLAGS}, "errors": record["errors"],
            "functions": checked}


class TooLarge(Exception):
    """A value over the bounds ``receive`` enforces."""


def new_budget():
    """What one message may still carry: [values, array frames, numbers, array bytes]."""
    return [MAX_VALUES - 10, MAX_ARRAYS - 10, MAX_ELEMENTS, MAX_ARRAY_BYTES]


TOO_LARGE = {"o": "too many values"}


def encode(value, arrays, keep=None, budget=None):
    """JSON tree for ``value``; arrays appended to ``arrays``; other objects kept by ``keep``.
    A value over the wire's bounds (values, arrays, numbers, bytes; ``budget``, shared by the
    values of one message) is sent as ``TOO_LARGE``, with none of its arrays."""
    start, budget = len(arrays), new_budget() if budget is None else budget
    try:
        return encode_tree(value, arrays, keep, 0, budget)
    except TooLarge:
        del arrays[start:]
        return dict(TOO_LARGE)


def spend(budget, values=1, arrays=0, elements=0, nbytes=0):
    for i, amount in enumerate((values, arrays, elements, nbytes)):
        budget[i] -= amount
        if budget[i] < 0:
            raise TooLarge


def encode_tree(value, arrays, keep, depth, budget):
    spend(budget)
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
    if type(value) in (int, float):  # inline: exact (repr round-trips), and no frame of its own
        return {"n": value, "scalar": type(value).__name__}
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        spend(budget, 0, 1, 1, 8)
        arrays.append(np.asarray(value))
        return {"a": len(arrays) - 1, "scalar": type(value).__name__}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return {"o": "ndarray of objects"}
        spend(budget, 0, 1, value.size, value.nbytes)
        arrays.append(value)
        return {"a": len(arrays) - 1}
    if isinstance(value, (tuple, list)):
        spend(budget, len(value))  # before walking a sequence too long to send
        return {"s": [encode_tree(v, arrays, keep, depth + 1, budget) for v in value],
                "t": "tuple" if isinstance(value, tuple) else "list"}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        spend(budget, len(value))
        return {"d": {k: encode_tree(v, arrays, keep, depth + 1, budget)
                      for k, v in value.items()}}
    if keep is not None:
        return {"h": keep(value), "o": type(value).__name__}
    return {"o": type(value).__name__}


class Opaque:
    """A value the child could not send as data (kept there, or of an unknown type)."""

    def __init__(self, typename, handle=None):
        self.typename, self.handle = typename, handle

    def __repr__(self):
        return f"<{self.typename}>"


FORMS = {frozenset(keys) for keys in (
    {"a"}, {"a", "scalar"}, {"n", "scalar"}, {"f"}, {"s"}, {"s", "t"}, {"str"}, {"d"},
    {"rng"}, {"p"},
    {"h"}, {"h", "o"}, {"o"})}


def decode(tree, arrays, resolve=None, probes=None, depth=0):
    """The inverse of ``encode`` on the receiving side: handles become ``resolve(id)``,
    probes ``probes[name]`` (only the child resolves probes, and makes generators).
    Raises WireError on anything ``encode`` does not make."""
    if tree is None:
        return None
    if not isinstance(tree, dict) or frozenset(tree) not in FORMS:
        raise WireError("a value of an unknown form")
    if depth > MAX_DEPTH:
        raise WireError("a value nested too deeply")
    if "a" in tree:
        return array_value(tree, arrays)
    if "n" in tree:
        return inline_number(tree)
    if "f" in tree:
        if not isinstance(tree["f"], bool):
            raise WireError("a truth value that is not true or false")
        return tree["f"]
    if "s" in tree:
        if not isinstance(tree["s"], list) or tree.get("t", "list") not in ("list", "tuple"):
            raise WireError("a malformed sequence")
        items = [decode(v, arrays, resolve, probes, depth + 1) for v in tree["s"]]
        return tuple(items) if tree.get("t") == "tuple" else items
    if "str" in tree:
        if not isinstance(tree["str"], str) or len(tree["str"]) > 10_000:
            raise WireError("a malformed string")
        return tree["str"]
    if "d" in tree:
        if not isinstance(tree["d"], dict):
            raise WireError("a malformed dict")
        return {k: decode(v, arrays, resolve, probes, depth + 1) for k, v in tree["d"].items()}
    if "rng" in tree or "p" in tree:
        return probe_value(tree, probes)
    handle, typename = tree.get("h"), tree.get("o", "object")
    for name in (handle, typename):
        if name is not None and not (isinstance(name, str) and len(name) <= MAX_NAME):
            raise WireError(f"a type name or handle that is not a string of at most {MAX_NAME} "
                            "characters")
    if handle is not None and resolve is not None:
        return resolve(handle)
    return Opaque(typename, handle)


def inline_number(tree):
    """A Python int or float sent inline (``{"n": 2.5, "scalar": "float"}``)."""
    number, kind = tree["n"], tree["scalar"]
    if kind == "float" and type(number) in (int, float):  # JSON writes 2.0 as 2.0, 1e16 as 1e+16
        return float(number)
    if kind == "int" and type(number) is int:
        return number
    raise WireError("a malformed number")


def array_value(tree, arrays):
    index = tree["a"]
    if type(index) is not int or not 0 <= index < len(arrays):
        raise WireError("an array index out of range")
    array = arrays[index]
    if "scalar" not in tree:
        return array
    kind = tree["scalar"]
    if not isinstance(kind, str) or len(kind) > MAX_NAME or array.ndim != 0:
        raise WireError("a malformed number")
    return int(array) if kind == "int" else float(array) if kind == "float" else array[()]


def probe_value(tree, probes):
    """A generator or a probe function: only the child makes them from a message."""
    if probes is None:
        raise WireError("a probe or generator in a reply")
    if "rng" in tree:
        if type(tree["rng"]) is not int:
            raise WireError("a malformed generator seed")
        return np.random.default_rng(tree["rng"])
    if not isinstance(tree["p"], str) or tree["p"] not in probes:
        raise WireError("an unknown probe")
    return probes[tree["p"]]
