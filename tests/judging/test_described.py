"""The sanitising layer (``judging/described.py``): what it says of a student's value is
bounded, whatever the value, and still says what kind of mistake it is.

Each property draws values a student's code could choose (huge or empty shapes, long lists,
factors and errors to full precision, made-up class and dtype names) and checks that no more
than a few digits of them, and none of their text, reach the words."""
import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograder.judging.described import (
    LONG_NUMBER,
    MAX_DIGITS,
    SMALL_COUNT,
    STAND_IN,
    count_against,
    count_of,
    dtype_words,
    error_words,
    exception_name,
    factor_words,
    length_bound,
    outgoing,
    outgoing_report,
    part_of,
    shape_against,
    value_kind,
)
from autograder.judging.diagnose import diagnose

NUMBERS = re.compile(r"\d+")
shapes = st.lists(st.integers(0, 2**40), min_size=0, max_size=8).map(tuple)
expected_shapes = st.lists(st.integers(1, 12), min_size=1, max_size=4).map(tuple)


def said_numbers(text):
    return [int(n) for n in NUMBERS.findall(text.replace(",", ""))]


@given(shapes, expected_shapes)
def test_a_shape_is_said_only_in_numbers_the_expected_shape_bounds(got, expected):
    words = shape_against(got, expected)
    bound = max(length_bound(max(expected)), 8, *expected)
    assert all(n <= bound for n in said_numbers(words)), words


def test_the_issues_shape_is_described_not_printed():
    words = shape_against((0, 535673910, 550801969), (4, 3))
    assert words == "3 axes and no entries at all where 2 were expected"
    assert shape_against((5, 3), (4, 3)) == \
        "5 entries along axis 0 (the rows) where 4 were expected"
    assert "more than 10 entries along axis 1" in shape_against((4, 99999), (4, 3))
    assert shape_against((3, 4), (4, 3)).startswith("shape (3, 4)")  # the expected, reversed


@given(st.integers(0, 10**9), st.integers(1, 20))
def test_counts_are_said_up_to_a_bound_of_the_graders_own(n, expected):
    words = count_against(n, expected, "item")
    assert all(k <= length_bound(expected) for k in said_numbers(words)), words
    assert ("more than" in words) == (n > length_bound(expected))
    assert all(k <= SMALL_COUNT for k in said_numbers(count_of(n, "value")))


@given(st.integers(0, 10**5), st.integers(1, 10**5))
def test_a_part_of_a_large_collection_is_a_share(k, total):
    k = min(k, total)
    words = part_of(k, total, "nodes")
    said = said_numbers(words)
    assert said[-1] == total  # the grader's own size
    assert all(n == total or n <= 100 or n == k and total <= 100 for n in said)


@given(st.floats(-1e300, 1e300, allow_nan=False).filter(lambda f: f != 0))
def test_a_factor_has_one_significant_digit_within_a_range(factor):
    words = factor_words(factor)
    digits = re.sub(r"[^0-9]", "", words.replace("0.0", "").replace("0.", ""))
    assert len(digits.strip("0")) <= 1 or "than" in words, words


@given(st.floats(0, 1))
def test_an_error_is_said_as_its_power_of_ten(error):
    words = error_words(error)
    assert re.fullmatch(r"about 1e-\d+|below 1e-12|of order 1", words), words


def test_dtypes_types_and_exceptions_are_said_in_the_graders_words():
    field = np.dtype([("ZQX535673910", "f8")])
    assert dtype_words(field) == "records or raw bytes"
    assert dtype_words(">f4") == "float32" and dtype_words("U99999") == "text"
    made = type("ZQX535673910", (), {})
    assert value_kind(made()) == "an object" and value_kind((1, 2)) == "a tuple"
    assert exception_name("ZQXError1234", ["ZQXError1234", "ValueError", "Exception"]) == \
        "an exception of a class defined in your code (a ValueError)"
    assert exception_name("KeyError", ["KeyError", "LookupError"]) == "KeyError"


def test_diagnose_says_nothing_a_student_chose():
    expected = np.ones((4, 3))
    texts = [diagnose(np.empty((0, 535673910, 550801969)), expected, function="f",
                      check="reference", what="out").message,
             diagnose([0.0] * 77777, expected, function="f", check="reference",
                      what="out").message,
             diagnose(expected * 7.654321, expected, function="f", check="reference",
                      what="out").message,
             diagnose(expected + np.eye(4, 3) * 0.0123456, expected, function="f",
                      check="reference", what="out").message,
             diagnose(np.full((123457, 2), np.nan), expected, function="f", check="reference",
                      what="out").message]
    for text in texts:
        assert all(n <= 12 or n in (1e-12,) for n in said_numbers(re.sub(r"e-\d+", "", text))), text


def test_the_last_line_cuts_long_numbers_and_keeps_the_graders():
    text = "shape (0, 535673910, 550801969); 1,234,567 of 10,000 nodes; h=1e-05; 0.12345678901"
    said = outgoing(text)
    assert "535673910" not in said and "1,234,567" not in said and "12345678901" not in said
    assert "10,000 nodes" in said and "h=1e-05" in said and said.count(STAND_IN) == 4
    assert not LONG_NUMBER.search(outgoing("9" * (MAX_DIGITS + 1)))
    assert outgoing("a\x00b\u202ec") == "a?b?c"
    report = {"functions": {"f": {"checks": [{"message": "x 12345678"}]}},
              "flags": [{"message": "y 87654321"}], "errors": ["z 99999999"]}
    assert "12345678" not in str(outgoing_report(report))
    assert "87654321" not in str(outgoing_report(report))
    assert "99999999" not in str(outgoing_report(report))


def test_the_last_line_reads_no_more_than_it_keeps():
    huge = "1" * 50_000_000
    said = outgoing(huge, limit=600)
    assert len(said) <= 600 and "1111111" not in said
    cut = "x" * 590 + "1234567890"  # a long run across the cut is still cut as a whole
    assert "123456" not in outgoing(cut, limit=596)
