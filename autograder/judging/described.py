"""A student's values described, never echoed: the one place feedback text meets student data.

Everything a student's code controls (the shape, length, dtype and values it returns, the
class and text of what it raises, the names it defines, the files and cells it submits) can
spell out a hidden input if feedback prints it unbounded: an empty array of shape
``(0, 535673910, 550801969)`` carries a float to 1e-16. So a message about a student's value
goes through one of these, which say what the grader saw in bounded terms:

- ``shape_against(got, expected)``: "3 axes where 2 were expected", "5 entries along axis 0
  where 3 were expected" (a length only up to ``length_bound(expected)``, else "more than");
- ``count_of(n, noun)`` / ``count_against(n, expected, noun)``: a count of the student's
  things, said only up to ``SMALL_COUNT`` (or twice what was expected), else "more than";
- ``factor_words(x)``: a constant factor to one significant digit, within ``FACTOR_RANGE``;
- ``error_words(e)``: a relative error as its power of ten;
- ``value_kind(value)`` / ``dtype_words(dtype)``: what a value is, in the grader's words
  (never a student class's name, a structured dtype's fields or a string's length);
- ``exception_name(error, mro)``: a built-in exception class, or the nearest built-in base
  of a class the student's code defined (its name is a string the student chose);
- ``own_name(name, allowed)``: a name only when it is one the grader gave.

How much a student can still say through one of these is a few bits (a length up to twice the
expected, a factor's one digit and decade, an error's decade): not a hidden float. The last
line is ``outgoing(text)``, run on every message where it leaves the grader (the report, so
the feedback HTML, the JSON and Gradescope's results.json): whatever slipped past the
helpers, a run of more than ``MAX_DIGITS`` digits is cut to a stand-in, unprintable
characters become '?', and the text is cut to ``MAX_MESSAGE`` characters. Pure Python and
NumPy; nothing else of the autograder is imported.
"""
import builtins
import math
import re

import numpy as np

#: A count of the student's things (items, values, entries, definitions) is said up to this.
SMALL_COUNT = 10
#: A factor is said (to one significant digit) only between these magnitudes.
FACTOR_RANGE = (0.01, 100.0)
#: A relative error below this is said as "below".
SMALLEST_ERROR = 1e-12
#: The last line: a run of more digits than this (commas between groups of three count as
#: one run) is not the grader's, and is cut.
MAX_DIGITS = 6
MAX_MESSAGE = 2000
LONG_NUMBER = re.compile(rf"\d{{1,3}}(?:,\d{{3}}){{2,}}|\d{{{MAX_DIGITS + 1},}}")
STAND_IN = "[a number]"

#: Exception classes whose names feedback may show: the builtins, the student package's
#: refusal, and NumPy's own. Any other name was made up by the student's code.
SHOWN_EXCEPTIONS = frozenset(
    [name for name, value in vars(builtins).items()
     if isinstance(value, type) and issubclass(value, BaseException)] +
    ["GraderOnly", "LinAlgError", "AxisError", "UFuncTypeError", "_UFuncNoLoopError",
     "_UFuncBinaryResolutionError", "_UFuncInputCastingError", "_UFuncOutputCastingError",
     "_ArrayMemoryError", "TooHardError", "DTypePromotionError"])

#: The dtypes a message may name; any other is described by its kind.
NAMED_DTYPES = frozenset(["bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                          "uint32", "uint64", "float16", "float32", "float64", "longdouble",
                          "float128", "float96"])
DTYPE_KINDS = {"b": "truth values", "i": "integers", "u": "unsigned integers",
               "f": "floats", "c": "complex numbers", "O": "Python objects", "U": "text",
               "S": "bytes", "V": "records or raw bytes", "M": "dates", "m": "time spans"}


# --------------------------------------------------------------------------------- counts

def count_of(n, noun, plural=None, limit=SMALL_COUNT):
    """``n`` of a student's things in words, said exactly only up to ``limit``:
    "no items", "1 item", "4 items", "more than 10 items"."""
    plural = plural or noun + "s"
    n = int(n)
    if n <= 0:
        return f"no {plural}"
    if n == 1:
        return f"1 {noun}"
    return f"{n} {plural}" if n <= limit else f"more than {limit} {plural}"


#: A part of one of the grader's own collections (nodes of a graph) is said exactly up to this
#: size, and beyond as a share to the nearest tenth.
MAX_EXACT_PART = 100


def part_of(k, total, noun):
    """``k`` of the grader's ``total`` things in words: "3 of the 12 nodes" for small
    collections, "about 40% of the 10,000 nodes" for large ones (``k`` is the student's)."""
    k, total = int(k), int(total)
    if total <= MAX_EXACT_PART or k in (0, total):
        return f"{k:,} of the {total:,} {noun}"
    return f"{percent_words(k / total, step=10)} of the {total:,} {noun}"


def percent_words(fraction, step=1):
    """A fraction the student's code set, to the nearest ``step`` percent: "about 40%"."""
    percent = step * round(100 * float(fraction) / step)
    if percent <= 0:
        return f"less than {step}%"
    if percent >= 100:
        return "almost 100%"
    return f"about {percent}%"


def length_bound(expected):
    """How long a student's length may be and still be said: twice the grader's own
    ``expected`` length, and at least ``SMALL_COUNT``."""
    return max(2 * int(expected), SMALL_COUNT)


def count_against(n, expected, noun, plural=None):
    """A student's count beside the grader's: "3 items where 2 were expected"."""
    plural = plural or noun + "s"
    said = count_of(n, noun, plural, limit=length_bound(expected))
    return f"{said} where {expected} {'was' if expected == 1 else 'were'} expected"


# --------------------------------------------------------------------------------- shapes

def shape_against(got, expected):
    """How the shape ``got`` of a student's array differs from the grader's ``expected``
    (tuples of ints), in bounded words: the number of axes, or each axis whose length
    differs, or "its axes in reverse order"; "the expected shape" when they agree."""
    got, expected = tuple(int(n) for n in got), tuple(int(n) for n in expected)
    if got == expected:
        return "the expected shape"
    if len(got) != len(expected):
        axes = count_of(len(got), "axis", "axes", limit=8)
        entries = " and no entries at all" if got and 0 in got else ""
        return f"{axes}{entries} where {len(expected)} were expected"
    if len(got) >= 2 and got == expected[::-1]:
        return f"shape {got}, the expected shape's axes in reverse order"
    parts = [f"{count_of(g, 'entry', 'entries', limit=length_bound(e))} along "
             f"{axis_name(k, len(got))} where {e} {'was' if e == 1 else 'were'} expected"
             for k, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e]
    return "; ".join(parts)


def axis_name(k, ndim):
    """"axis 0 (the rows)" for 2-D arrays, "axis 2" otherwise."""
    if ndim == 2:
        return ("axis 0 (the rows)", "axis 1 (the columns)")[k]
    return f"axis {k}"


# --------------------------------------------------------------------------------- values

def factor_words(factor):
    """A constant factor a student's array is off by, to one significant digit and only
    within ``FACTOR_RANGE``: "about 3", "about -0.2", "more than 100", "less than 0.01"."""
    low, high = FACTOR_RANGE
    size = abs(float(factor))
    sign = "-" if factor < 0 else ""
    if size > high:
        return f"{'minus ' if sign else ''}more than {high:g}"
    if size < low:
        return f"{'minus ' if sign else ''}less than {low:g}"
    return f"about {sign}{float(f'{size:.1g}'):g}"


def error_words(error):
    """A relative error as its power of ten: "about 1e-3", "below 1e-12"."""
    error = float(error)
    if not math.isfinite(error):
        return "not a number"
    if error < SMALLEST_ERROR:
        return f"below 1e{round(math.log10(SMALLEST_ERROR))}"
    power = round(math.log10(error))
    return "of order 1" if power >= 0 else f"about 1e{power}"


def dtype_words(dtype):
    """A student's dtype as a message may name it: a standard numeric dtype's name (without
    its byte order), else the kind of values it holds ("text", "records or raw bytes")."""
    try:
        dtype = np.dtype(dtype)
    except Exception:
        return "an unknown dtype"
    if dtype.fields is None and dtype.subdtype is None and dtype.name in NAMED_DTYPES:
        return dtype.name
    return DTYPE_KINDS.get(dtype.kind, "values of an unusual kind")


BUILTIN_KINDS = {type(None): "None", bool: "a truth value", int: "a number",
                 float: "a number", complex: "a complex number", str: "a string",
                 bytes: "bytes", tuple: "a tuple", list: "a list", dict: "a dict",
                 np.ndarray: "a NumPy array"}


def value_kind(value):
    """What a value a student's code returned is, in the grader's words ("a tuple", "a
    string", "a NumPy array", "an object"); never the name of a class the student made."""
    for kind, words in BUILTIN_KINDS.items():
        if type(value) is kind:
            return words
    if isinstance(value, (np.generic,)):
        return "a NumPy number"
    return "an object"


# --------------------------------------------------------------------------------- names

def exception_name(error, mro=()):
    """The class of a student's exception as feedback may show it: ``error`` when it is a
    built-in one, else the nearest built-in class of ``mro`` it derives from."""
    if error in SHOWN_EXCEPTIONS:
        return error
    base = next((n for n in mro if n in SHOWN_EXCEPTIONS and
                 n not in ("Exception", "BaseException")), None)
    return "an exception of a class defined in your code" + (f" (a {base})" if base else "")


def exception_class(error):
    """``exception_name`` of an exception object: the student's (a StudentError, carrying
    the class name and bases the child reported) or one raised here."""
    if hasattr(error, "error") and hasattr(error, "mro"):
        return exception_name(error.error, error.mro)
    return exception_name(type(error).__name__, [c.__name__ for c in type(error).__mro__])


def own_name(name, allowed, stand_in="one of your functions"):
    """``name`` when it is one of ``allowed`` (names the grader gave), else ``stand_in``."""
    return name if name in allowed else stand_in


# ------------------------------------------------------------------------------ last line

def outgoing(text, limit=MAX_MESSAGE):
    """A message as it may leave the grader: unprintable characters as '?', every run of
    more than ``MAX_DIGITS`` digits replaced by ``STAND_IN``, at most ``limit`` characters."""
    text = str(text)[:limit + 64]  # a run of digits across the cut is still a long run here
    text = "".join(c if c.isprintable() else "?" for c in text)
    text = LONG_NUMBER.sub(STAND_IN, text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def outgoing_report(report):
    """A report with every text a student reads passed through ``outgoing``: each check's
    message, each flag's message and the errors (scores and names are the grader's)."""
    functions = {name: {**f, "checks": [{**c, "message": outgoing(c.get("message", ""))}
                                        for c in f.get("checks", [])]}
                 for name, f in report.get("functions", {}).items()}
    flags = [{**f, "message": outgoing(f.get("message", ""))} for f in report.get("flags", [])]
    errors = [outgoing(e) for e in report.get("errors", [])]
    return {**report, "functions": functions, "flags": flags, "errors": errors}
