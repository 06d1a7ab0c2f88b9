"""autograder.judging.diagnose: each kind of mistake, built from the expected array, is named as such.

Every mistake is constructed from a random expected array (random shape, scale and batch size):
transposed, times N, divided by N, times 2, halved, sign flipped, another constant factor, wrong
only at zeros or at ties, not summed over the batch, flattened, NaN, a missing path, a mutated
input. Every message must name the function and the check and must not show any value of the
expected array (``assert_no_leak``).
"""
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograder.assignments.hw2_layers import leaky_relu, relu
from autograder.assignments.hw3_cnn import max_pool
from autograder.judging.described import factor_words, shape_against
from autograder.judging.diagnose import (
    KINDS,
    TIE_RULE,
    ZERO_RULE,
    Diagnosis,
    diagnose,
    diagnose_missing_path,
    diagnose_mutation,
    relative_error,
)

FUNCTIONS = st.sampled_from(["affine_backward", "relu_backward", "softmax_loss", "backprop"])
CHECKS = st.sampled_from(["reference", "finite differences"])
FAST = settings(max_examples=30, deadline=None)


# --------------------------------------------------------------------------- leak detection

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def significant_digits(token):
    mantissa = re.split("[eE]", token)[0].lstrip("+-")
    if "." in mantissa:
        return len(mantissa.replace(".", "").lstrip("0"))
    return len(mantissa.strip("0"))  # 1200: two significant digits


def leaked_values(message, expected, min_digits=3):
    """Numbers in ``message`` with >= min_digits significant digits that some entry of
    ``expected`` (or its absolute value) rounds to at that precision."""
    values = np.abs(np.asarray(expected, dtype=float)).ravel()
    leaks = []
    for token in NUMBER.findall(message):
        digits = significant_digits(token)
        number = abs(float(token))
        if digits < min_digits or number == 0 or not math.isfinite(number):
            continue
        half_unit = 0.5 * 10.0 ** (math.floor(math.log10(number)) - digits + 1)
        if np.any(np.abs(values - number) <= half_unit * (1 + 1e-9)):
            leaks.append(token)
    return leaks


def test_leak_detector_catches_printed_values():
    expected = np.array([0.123456, -4.56789e-3, 1234.5678])
    for shown in ("0.1235", "0.123", "-4.568e-03", "0.00457", "1.23e+03", "1235", "1234.568"):
        assert leaked_values(f"value {shown} here", expected), shown
    assert not leaked_values("shape (3, 4), relative error 8.2e-01, 12 entries", expected)


# --------------------------------------------------------------------------- helpers

@st.composite
def arrays(draw, min_ndim=0, max_ndim=3, max_side=4, low=1e-2, high=1e2):
    """A generic float64 array: random signs, magnitudes in [0.1, 2) * scale, no exact zeros."""
    shape = tuple(draw(st.lists(st.integers(1, max_side), min_size=min_ndim, max_size=max_ndim)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = math.exp(draw(st.floats(math.log(low), math.log(high))))
    return generic(rng, shape, scale)


def generic(rng, shape, scale=1.0):
    signs = rng.choice([-1.0, 1.0], size=shape)
    return np.asarray(signs * rng.uniform(0.1, 2.0, size=shape) * scale, dtype=np.float64)


def run(got, expected, function="affine_backward", check="reference", what="dx", **kwargs):
    d = diagnose(got, expected, function=function, check=check, what=what, **kwargs)
    check_diagnosis(d, expected, function, check)
    return d


def check_diagnosis(d, expected, function, check):
    assert isinstance(d, Diagnosis)
    assert d.kind in KINDS
    assert function in d.message and check in d.message, d.message
    assert not leaked_values(d.message, expected), d.message


batch_sizes = st.integers(1, 12)


def other_rng(seed):
    """A generator for the test's own draws, never the stream that made ``expected``."""
    return np.random.default_rng((seed, 1))


# --------------------------------------------------------------------------- correct arrays

@FAST
@given(arrays(), batch_sizes, st.sampled_from(["exact", "relative", "absolute"]),
       st.integers(0, 2**32 - 1), FUNCTIONS, CHECKS)
def test_correct_arrays_are_ok(expected, n, noise, seed, function, check):
    rng = other_rng(seed)
    got = expected.copy()
    if noise == "relative":
        got += 1e-10 * np.max(np.abs(expected)) * rng.uniform(-1, 1, expected.shape)
    elif noise == "absolute":
        got += 1e-10 * rng.uniform(-1, 1, expected.shape)
    d = run(got, expected, function=function, check=check, batch_size=n,
            zero_mask=rng.random(expected.shape) < 0.3, tie_mask=rng.random(expected.shape) < 0.3)
    assert d.kind == "ok" and d.ok


def test_python_float_and_0d_loss_are_ok():
    assert run(1.2345678, np.float64(1.2345678), what="loss").kind == "ok"
    assert run(np.array(2.5), 2.5, what="loss").kind == "ok"


# --------------------------------------------------------------------------- transposes

@FAST
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1), FUNCTIONS, CHECKS)
def test_transposed_shape(rows, cols, seed, function, check):
    assume(rows != cols)
    expected = generic(other_rng(seed), (rows, cols))
    d = run(expected.T.copy(), expected, function=function, check=check, what="dw")
    assert d.kind == "transposed"
    assert f"{(cols, rows)}" in d.message and f"{(rows, cols)}" in d.message


@FAST
@given(st.integers(2, 6), st.integers(0, 2**32 - 1), batch_sizes)
def test_transposed_square(side, seed, n):
    expected = generic(other_rng(seed), (side, side))
    d = run(expected.T.copy(), expected, what="dw", batch_size=n)
    assert d.kind == "transposed"
    assert "transpose" in d.message and "order of the factors" in d.message


def test_symmetric_square_is_ok_not_transposed():
    a = generic(np.random.default_rng(0), (4, 4))
    sym = a + a.T
    assert run(sym.T.copy(), sym).kind == "ok"


# --------------------------------------------------------------------------- constant factors

@FAST
@given(arrays(), st.integers(3, 12))
def test_scaled_by_batch(expected, n):
    d = run(expected * n, expected, batch_size=n)
    assert d.kind == "scaled_by_batch"
    assert "batch size" in d.message and str(n) in d.message


@FAST
@given(arrays(), st.integers(3, 12))
def test_scaled_by_inverse_batch(expected, n):
    d = run(expected / n, expected, batch_size=n)
    assert d.kind == "scaled_by_inverse_batch"
    assert "batch size" in d.message


@FAST
@given(arrays(), st.one_of(st.none(), st.integers(1, 1), st.integers(3, 12)),
       st.sampled_from([(2.0, "scaled_by_2"), (0.5, "scaled_by_half"), (-1.0, "sign_flipped")]))
def test_named_factors(expected, n, factor_kind):
    factor, kind = factor_kind
    assert run(expected * factor, expected, batch_size=n).kind == kind


@FAST
@given(arrays(), batch_sizes, st.sampled_from([3.7, -4.3, 0.23, 7.9, 13.0, -0.37, 1e4]))
def test_other_constant_factor_is_scaled_and_reported(expected, n, factor):
    assume(np.count_nonzero(expected) >= 2)
    assume(all(abs(factor - k) > 1e-2 * abs(k) for k in (n, 1 / n, n * n, 1 / (n * n))))
    d = run(expected * factor, expected, batch_size=n)
    assert d.kind == "scaled"
    assert factor_words(factor) in d.message  # one significant digit: the student's value


def test_factor_close_to_one_is_wrong_values_called_close():
    expected = generic(np.random.default_rng(1), (3, 4))
    d = run(expected * (1 + 1e-5), expected)
    assert d.kind == "wrong_values" and "close" in d.message


# --------------------------------------------------------------------------- batch size 1 and 2

@FAST
@given(arrays(), st.sampled_from([1.0, 2.0, 0.5, -1.0, 3.7]))
def test_batch_size_one_never_gives_a_batch_diagnosis(expected, factor):
    d = run(expected * factor, expected, batch_size=1)
    assert d.kind not in ("scaled_by_batch", "scaled_by_inverse_batch")
    if factor == 1.0:
        assert d.kind == "ok"  # "N times the expected" with N = 1 is just right


@FAST
@given(arrays())
def test_batch_size_two_prefers_the_batch_and_names_the_factor_two(expected):
    d = run(expected * 2, expected, batch_size=2)
    assert d.kind == "scaled_by_batch" and "factor 2" in d.message
    d = run(expected / 2, expected, batch_size=2)
    assert d.kind == "scaled_by_inverse_batch" and "factor 2" in d.message


# --------------------------------------------------------------------------- kinks

@FAST
@given(arrays(min_ndim=1), st.integers(0, 2**32 - 1),
       st.sampled_from(["relu_backward", "leaky_relu_backward", "some_backward"]))
def test_wrong_at_zeros(reference, seed, function):
    rng = other_rng(seed)
    zeros = rng.random(reference.shape) < 0.4
    zeros.flat[rng.integers(reference.size)] = True
    expected = np.where(zeros, 0.0, reference)  # the contract's value at the kink
    got = np.where(zeros, generic(rng, reference.shape), expected)  # the student's
    rule = {"relu_backward": relu.ZERO_RULE, "leaky_relu_backward": leaky_relu.ZERO_RULE}
    d = run(got, expected, function=function, zero_mask=zeros, zero_rule=rule.get(function))
    assert d.kind == "wrong_at_zeros"
    assert "exactly 0" in d.message
    if function == "relu_backward":
        assert "derivative of relu at exactly 0 is 0" in d.message
    if function == "some_backward":
        assert ZERO_RULE in d.message


@FAST
@given(arrays(min_ndim=1), st.integers(0, 2**32 - 1))
def test_wrong_at_ties(expected, seed):
    rng = other_rng(seed)
    ties = rng.random(expected.shape) < 0.3
    ties.flat[rng.integers(expected.size)] = True
    got = expected.copy()
    got[ties] = generic(rng, (int(ties.sum()),)) + 3 * np.max(np.abs(expected))  # all differ
    d = run(got, expected, function="max_pool_backward", zero_mask=None, tie_mask=ties,
            tie_rule=max_pool.TIE_RULE)
    assert d.kind == "wrong_at_ties"
    assert "first in row-major order" in d.message
    assert TIE_RULE in run(got, expected, function="f", tie_mask=ties).message


@FAST
@given(st.integers(4, 30), st.integers(0, 2**32 - 1))
def test_wrong_everywhere_with_masks_is_wrong_values(size, seed):
    rng = other_rng(seed)
    expected = generic(np.random.default_rng(seed), (size,))
    got = generic(rng, expected.shape)
    mask = rng.random(expected.shape) < 0.5
    assume(mask.any() and not mask.all())
    d = run(got, expected, zero_mask=mask, tie_mask=~mask)
    assert d.kind == "wrong_values"
    assert "relative error" in d.message


# --------------------------------------------------------------------------- shapes

@FAST
@given(arrays(max_ndim=2), st.integers(2, 12), st.integers(0, 2**32 - 1),
       st.sampled_from(["sum", "mean"]))
def test_not_summed_over_batch(expected, n, seed, reduction):
    rng = other_rng(seed)
    rows = generic(rng, (n,) + expected.shape)
    if reduction == "sum":
        rows[-1] = expected - rows[:-1].sum(axis=0)
    else:
        rows[-1] = n * expected - rows[:-1].sum(axis=0)
    d = run(rows, expected, what="db", batch_size=n)
    assert d.kind == "not_summed_over_batch"
    assert "extra leading axis as long as the batch" in d.message
    assert str(expected.shape) in d.message


@FAST
@given(st.integers(1, 5), st.lists(st.integers(2, 4), min_size=2, max_size=3),
       st.integers(0, 2**32 - 1))
def test_flattened_input_gradient_is_wrong_shape_with_reshape_hint(n, dims, seed):
    expected = generic(other_rng(seed), (n, *dims))
    d = run(expected.reshape(n, -1), expected, batch_size=n)
    assert d.kind == "wrong_shape"
    assert "reshaped" in d.message and "values are right" in d.message


def test_keepdims_is_wrong_shape_not_unsummed():
    expected = generic(np.random.default_rng(2), (5,))
    d = run(expected[None, :], expected, what="db", batch_size=4)
    assert d.kind == "wrong_shape"


@FAST
@given(arrays(min_ndim=1), arrays(min_ndim=1))
def test_other_shape_mismatch_describes_the_shape_against_the_expected_one(expected, other):
    assume(other.shape != expected.shape and other.size != expected.size)
    assume(other.shape != expected.shape[::-1])
    assume(other.shape[1:] != expected.shape)
    d = run(other, expected)
    assert d.kind == "wrong_shape"
    assert shape_against(other.shape, expected.shape) in d.message
    assert str(expected.shape) in d.message


# --------------------------------------------------------------------------- not finite, not arrays

@FAST
@given(arrays(), st.integers(0, 2**32 - 1), st.sampled_from([np.nan, np.inf, -np.inf]),
       st.booleans())
def test_nan_or_inf(expected, seed, bad, huge_inputs):
    rng = other_rng(seed)
    got = np.array(expected, copy=True)
    got.flat[rng.integers(got.size)] = bad
    d = run(got, expected, hint_overflow=huge_inputs)
    assert d.kind == ("overflow" if huge_inputs else "nan_or_inf")
    if huge_inputs:
        assert "exp" in d.message


@pytest.mark.parametrize("got, kind", [
    (None, "returned_none"),
    ("0.5", "not_numeric"),
    ((np.zeros(3), np.zeros(3)), "not_numeric"),
    ([1.0, 2.0, 3.0], "not_numeric"),
    (np.array([object(), object(), object()]), "not_numeric"),
    (np.ones(3) * 1j, "not_numeric"),
    ({"dx": 1}, "not_numeric"),
    (NotImplementedError(), "not_implemented"),
    (ZeroDivisionError("secret 0.1234567"), "raised"),
])
def test_values_that_are_not_arrays(got, kind):
    expected = np.array([0.1234567, -2.345678, 3.456789])
    d = run(got, expected)
    assert d.kind == kind
    assert "0.1234567" not in d.message  # an exception's text is never shown


def test_integer_and_float32_dtypes_are_pointed_out():
    expected = np.array([0.75, -1.25, 2.5])
    d = run(np.array([0, -1, 2]), expected)
    assert d.kind == "wrong_values" and "int64" in d.message
    d = run((expected + 0.1).astype(np.float32), expected)
    assert d.kind == "wrong_values" and "float32" in d.message


def test_expected_must_be_finite():
    with pytest.raises(ValueError):
        diagnose(np.zeros(2), np.array([1.0, np.nan]), function="f", check="c", what="dx")


# --------------------------------------------------------------------------- edge cases

@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3)])
@pytest.mark.parametrize("n", [None, 1, 2, 5])
def test_expected_all_zeros(shape, n):
    expected = np.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run(np.zeros(shape), expected, batch_size=n).kind == "ok"
        assert run(np.full(shape, 1e-13), expected, batch_size=n).kind == "ok"
        d = run(np.full(shape, 0.5), expected, batch_size=n, zero_mask=np.zeros(shape, bool))
        assert d.kind == "wrong_values"


@FAST
@given(arrays(), st.integers(0, 2**32 - 1))
def test_all_zeros_returned(expected, seed):
    d = run(np.zeros_like(expected), expected, zero_mask=other_rng(seed).random(
        expected.shape) < 0.2)
    assert d.kind == "all_zeros"


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_one_entry_near_a_named_factor_by_chance_is_wrong_values(shape):
    """One number is a multiple of any other: within 1e-3 of 2 (tan a for a Sin gradient that
    takes the output, under 1 seed in ~180) is chance, not the factor 2 of a slip, which is
    exact; on an array, the same factor at every entry is no chance."""
    expected = np.full(shape, 0.8137)
    for factor in (2 * (1 + 4e-4), 0.5 * (1 - 4e-4), -(1 + 4e-4)):
        assert run(expected * factor, expected, batch_size=5).kind == "wrong_values"
    assert run(expected * 5 * (1 + 4e-4), expected, batch_size=5).kind == "wrong_values"
    array = np.array([0.8137, -1.9, 2.4])
    assert run(array * 2 * (1 + 4e-4), array).kind == "scaled_by_2"


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_one_element_arrays(shape):
    expected = np.full(shape, 0.8137)
    assert run(expected * 5, expected, batch_size=5).kind == "scaled_by_batch"
    assert run(expected / 5, expected, batch_size=5).kind == "scaled_by_inverse_batch"
    assert run(-expected, expected).kind == "sign_flipped"
    assert run(expected * 2, expected).kind == "scaled_by_2"
    assert run(expected.T.copy(), expected).kind == "ok"
    # any one number is a multiple of another: an arbitrary factor says nothing
    assert run(expected * 3.7, expected, batch_size=5).kind == "wrong_values"


# --------------------------------------------------------------------------- missing paths

@FAST
@given(arrays(max_ndim=2), st.integers(2, 4), st.integers(0, 2**32 - 1), st.integers(1, 2))
def test_missing_path(shape_source, n_paths, seed, n_missing):
    assume(n_missing < n_paths)
    rng = other_rng(seed)
    names = ["d = exp(a)", "e = a/b", "f = c/a", "x -> b"][:n_paths]
    paths = {name: generic(rng, shape_source.shape) for name in names}
    expected = sum(paths.values())
    missing = [str(m) for m in rng.choice(names, size=n_missing, replace=False)]
    got = expected - sum(paths[name] for name in missing)
    d = diagnose_missing_path(got, expected, paths, function="example_forward_backward",
                              check="finite differences", what="dy_dx")
    check_diagnosis(d, expected, "example_forward_backward", "finite differences")
    assert d.kind == "missing_path"
    for name in missing:
        assert name in d.message
    assert "collects a gradient from each" in d.message


@FAST
@given(arrays(min_ndim=1, max_ndim=2), st.integers(0, 2**32 - 1))
def test_missing_path_falls_back_to_diagnose(expected, seed):
    rng = other_rng(seed)
    paths = {"e = a/b": generic(rng, expected.shape), "f = c/a": generic(rng, expected.shape)}
    kw = dict(function="backprop", check="reference", what="dw")
    assert diagnose_missing_path(expected.copy(), expected, paths, **kw).kind == "ok"
    assert diagnose_missing_path(-expected, expected, paths, **kw).kind == "sign_flipped"
    assert diagnose_missing_path(None, expected, paths, **kw).kind == "returned_none"
    assert diagnose_missing_path(expected * 4, expected, paths, batch_size=4,
                                 **kw).kind == "scaled_by_batch"


# --------------------------------------------------------------------------- mutation

@FAST
@given(arrays(), st.integers(0, 2**32 - 1))
def test_mutation(before, seed):
    rng = other_rng(seed)
    after = before.copy()
    d = diagnose_mutation(before, after, function="relu_forward", argname="x")
    assert d.kind == "ok" and "relu_forward" in d.message
    after.flat[rng.integers(after.size)] += 1.0
    d = diagnose_mutation(before, after, function="relu_forward", argname="x")
    assert d.kind == "input_mutated"
    assert "relu_forward" in d.message and "x" in d.message
    assert not leaked_values(d.message, before)


def test_mutation_of_parameter_lists_and_nan():
    params = [np.array([1.0, np.nan]), np.ones((2, 2))]
    same = [p.copy() for p in params]
    assert diagnose_mutation(params, same, function="sgd_step", argname="params").kind == "ok"
    changed = [p.copy() for p in params]
    changed[1][0, 0] = 0.0
    d = diagnose_mutation(params, changed, function="sgd_step", argname="params")
    assert d.kind == "input_mutated"
    assert diagnose_mutation(params, params[:1], function="sgd_step",
                             argname="params").kind == "input_mutated"
    assert diagnose_mutation(np.ones(3), np.ones((3, 1)), function="f",
                             argname="x").kind == "input_mutated"


# --------------------------------------------------------------------------- relative_error

@FAST
@given(arrays(), st.integers(0, 2**32 - 1))
def test_relative_error(a, seed):
    b = generic(other_rng(seed), a.shape)
    assert relative_error(a, a) == 0.0
    assert 0.0 <= relative_error(a, b) <= 1.0
    assert relative_error(a, b) == pytest.approx(relative_error(b, a))
    assert relative_error(a, -a) == pytest.approx(1.0)


def test_relative_error_safe_at_zero_and_huge_and_shapes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
        assert relative_error(np.zeros(0), np.zeros(0)) == 0.0
        assert relative_error(np.array([1e308]), np.array([-1e308])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))


# --------------------------------------------------------------------------- no leaks, no crash

MISTAKES = {
    "ok": lambda e, rng, n: e.copy(),
    "transposed": lambda e, rng, n: e.T.copy(),
    "times_n": lambda e, rng, n: e * n,
    "over_n": lambda e, rng, n: e / n,
    "twice": lambda e, rng, n: 2 * e,
    "half": lambda e, rng, n: e / 2,
    "negated": lambda e, rng, n: -e,
    "factor": lambda e, rng, n: 3.7 * e,
    "near": lambda e, rng, n: e * (1 + 3e-4),
    "random": lambda e, rng, n: generic(rng, e.shape, np.max(np.abs(e))),
    "zeros": lambda e, rng, n: np.zeros_like(e),
    "unsummed": lambda e, rng, n: np.broadcast_to(e / n, (n,) + e.shape).copy(),
    "flattened": lambda e, rng, n: e.reshape(-1),
    "nan": lambda e, rng, n: np.where(rng.random(e.shape) < 0.5, np.nan, e),
    "wrong_size": lambda e, rng, n: generic(rng, (e.size + 1,)),
}


@settings(max_examples=80, deadline=None)
@given(arrays(low=1000, high=20000), st.integers(3, 12), st.sampled_from(sorted(MISTAKES)),
       st.integers(0, 2**32 - 1))
def test_messages_never_show_expected_values_strict(expected, n, mistake, seed):
    """Expected values of magnitude >= 100 while every figure a message may show (shape, batch
    size, count, factor, relative error) is smaller: no number of any precision may match."""
    rng = other_rng(seed)
    got = MISTAKES[mistake](expected, rng, n)
    d = run(got, expected, batch_size=n, zero_mask=rng.random(expected.shape) < 0.3)
    assert not leaked_values(d.message, expected, min_digits=1), (mistake, d.message)


@FAST
@given(arrays(), st.one_of(arrays(), st.just(np.array([np.inf, 1.0])),
                           st.just(np.array([[1.0, np.nan]]))),
       st.one_of(st.none(), batch_sizes), st.booleans())
def test_diagnose_never_raises_on_student_values(expected, got, n, with_masks):
    masks = {}
    if with_masks:
        masks = dict(zero_mask=np.ones(expected.shape, bool), tie_mask=np.zeros(expected.shape,
                                                                                bool))
    run(got, expected, batch_size=n, **masks)


# --------------------------------------------------------------------------- buggy code, named

from autograder.judging.diagnose import diagnose_fp_warnings, diagnose_window_shape  # noqa: E402

FP_WORDS = ("overflow", "invalid value", "divide by zero")


def calling(function, *args):
    """(result, floating-point warnings) of ``function(*args)``, as the contained process
    records them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args)
    return result, sorted({w for item in caught if issubclass(item.category, RuntimeWarning)
                           for w in FP_WORDS if w in str(item.message)})


def softmax_log_of_probabilities(x, y):  # shifts, then takes the log of a probability
    e = np.exp(x - x.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(y)), y]))


def softmax_unshifted(x, y):
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(y)), y]))


def softmax_log_softmax(x, y):
    z = x - x.max(axis=1, keepdims=True)
    return -np.mean((z - np.log(np.exp(z).sum(axis=1, keepdims=True)))[np.arange(len(y)), y])


def test_log_of_an_underflowed_probability_is_named_not_overflow():
    x = np.array([[900.0, 20.0, -300.0], [750.0, 749.0, 748.0]])
    y = np.array([1, 0])  # the first label's probability is exp(-880): 0 in float64
    expected = softmax_log_softmax(x, y)
    got, warned = calling(softmax_log_of_probabilities, x, y)
    assert warned == ["divide by zero"]
    d = run(got, expected, function="softmax_loss", what="loss", hint_overflow=True,
            fp_warnings=warned)
    assert d.kind == "log_of_zero" and "underflow" in d.message and "log" in d.message
    assert "no large positive number" not in d.message
    got, warned = calling(softmax_unshifted, x, y)
    assert "overflow" in warned
    d = run(got, expected, function="softmax_loss", what="loss", hint_overflow=True,
            fp_warnings=warned)
    assert d.kind == "overflow" and "exp" in d.message


def test_overflow_advice_can_be_the_callers():
    d = run(np.array([np.inf, 1.0]), np.array([2.0, 1.0]), function="bce_loss", what="dprob",
            hint_overflow="keep p away from 0", fp_warnings=["overflow"])
    assert d.kind == "overflow" and "keep p away from 0" in d.message


def sigmoid_exp_neg(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_stable(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def bce_unclipped_gradient(p, t):
    return -(t / p - (1 - t) / (1 - p)) / len(p)


def test_floating_point_warnings_where_the_contract_asks_for_none():
    x = np.array([-1500.0, -3.0, 0.5, 1200.0])
    got, warned = calling(sigmoid_exp_neg, x)
    assert np.allclose(got, sigmoid_stable(x), rtol=1e-12, atol=0)  # right values, but...
    d = diagnose_fp_warnings(warned, function="sigmoid_forward", check="huge inputs")
    assert d.kind == "fp_warning" and "overflow" in d.message and "sigmoid_forward" in d.message
    _, warned = calling(sigmoid_stable, x)
    assert diagnose_fp_warnings(warned, function="sigmoid_forward", check="huge inputs").ok
    got, warned = calling(bce_unclipped_gradient, np.array([1e-312, 0.3]), np.array([1.0, 0.0]))
    d = diagnose_fp_warnings(warned, function="bce_loss", check="tiny p",
                             finite=bool(np.all(np.isfinite(got))), advice="clip p")
    assert d.kind == "fp_warning" and "overflow" in d.message and "clip p" in d.message
    d = diagnose_fp_warnings([], function="f", check="c", finite=False)
    assert d.kind == "fp_warning" and "NaN or inf" in d.message


def pool_width_from_height(x, ph, pw, s):  # the output width computed from pool_height
    n, c, h, w = x.shape
    out = np.zeros((n, c, 1 + (h - ph) // s, 1 + (w - ph) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out


def pool_right(x, ph, pw, s):
    n, c, h, w = x.shape
    out = np.zeros((n, c, 1 + (h - ph) // s, 1 + (w - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out


def conv_size_rounded_up(h, w, hh, ww, stride, pad):
    return (int(np.ceil((h + 2 * pad - hh) / stride)) + 1,
            int(np.ceil((w + 2 * pad - ww) / stride)) + 1)


@pytest.mark.parametrize("h, w, ph, pw, s", [(9, 8, 3, 2, 3), (7, 6, 3, 2, 2), (5, 7, 2, 3, 1)])
def test_a_window_width_taken_from_its_height_is_named(h, w, ph, pw, s):
    x = np.random.default_rng(0).standard_normal((2, 3, h, w))
    got, expected = pool_width_from_height(x, ph, pw, s), pool_right(x, ph, pw, s)
    d = diagnose_window_shape(got, expected, function="max_pool_forward", check="reference",
                              what="out", size=(h, w), window=(ph, pw), stride=s)
    assert d.kind == "non_square_window" and "not square" in d.message
    assert d.kind in KINDS and "max_pool_forward" in d.message
    assert diagnose_window_shape(expected, expected, function="f", check="c", what="out",
                                 size=(h, w), window=(ph, pw), stride=s) is None


@pytest.mark.parametrize("h, w, hh, ww, stride, pad", [(8, 6, 3, 3, 2, 1), (9, 12, 2, 2, 3, 0)])
def test_an_output_size_rounded_up_is_named(h, w, hh, ww, stride, pad):
    expected = np.zeros((2, 3, 1 + (h + 2 * pad - hh) // stride, 1 + (w + 2 * pad - ww) // stride))
    got = np.zeros((2, 3, *conv_size_rounded_up(h, w, hh, ww, stride, pad)))
    d = diagnose_window_shape(got, expected, function="conv_forward", check="reference",
                              what="out", size=(h, w), window=(hh, ww), stride=stride, pad=pad,
                              noun="filters")
    assert d.kind == "non_divisible_size" and "round" in d.message and d.kind in KINDS
    other = np.zeros(expected.shape[:2] + (7, 7))  # a shape no window mistake gives
    assert diagnose_window_shape(other, expected, function="f", check="c", what="out",
                                 size=(h, w), window=(hh, ww), stride=stride, pad=pad) is None


def test_a_warning_of_log_of_zero_alone_is_not_told_about_exp():
    x, y = np.array([[900.0, 20.0, -300.0]]), np.array([1])
    _, warned = calling(softmax_log_of_probabilities, x, y)
    d = diagnose_fp_warnings(warned, function="softmax_loss", check="scores of magnitude 1e3")
    assert d.kind == "fp_warning" and "underflow" in d.message
    assert "no large positive number" not in d.message
