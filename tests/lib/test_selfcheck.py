"""backproplab.selfcheck: verdicts and diagnoses on small layers written here, right and buggy."""

import numpy as np
import pytest
from backproplab import away_from_kinks, check_function, check_layer, check_loss
from support import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
)

N, D, M = 4, 6, 3


# ------------------------- the test layers are support.py's (``xwb``, their inputs: conftest)

def _bug(change):
    """affine_backward with one of its gradients changed by ``change(dx, dw, db)``."""
    def backward(dout, cache):
        return change(*affine_backward(dout, cache))
    backward.__name__ = "affine_backward"
    return backward


def run(*args, **kwargs):
    return check_layer(*args, verbose=False, **kwargs)


# ------------------------------------------------------------------------------- right layers

def test_a_right_layer_looks_right_and_says_what_was_checked(xwb, capsys):
    copies = [a.copy() for a in xwb]
    result = check_layer(affine_forward, affine_backward, *xwb)
    out = capsys.readouterr().out
    assert result.ok and result.status == "looks right"
    assert [r.name for r in result.inputs] == ["x", "w", "b"]
    assert [r.shape for r in result.inputs] == [(N, 2, 3), (D, M), (M,)]
    assert all(r.verdict == "looks right" and r.error < 1e-7 for r in result.inputs)
    assert "finite differences of your affine_forward" in out and "hidden tests" in out
    assert "all tests passed" not in out.lower()
    for name in ("dx", "dw", "db"):
        assert name in out
    assert all(np.array_equal(a, c) for a, c in zip(xwb, copies))


def test_the_header_names_the_function_checked(xwb, capsys):
    assert run(affine_forward, affine_backward, *xwb).name == "affine_backward"
    check_layer(relu_forward, relu_backward, away_from_kinks(xwb[0]))
    assert capsys.readouterr().out.startswith("relu_backward: looks right")
    x = xwb[0]

    def sine(x):
        return np.sin(x)

    def sine_gradient(dout, x):
        return dout * np.cos(x)

    assert check_function(sine, sine_gradient, x, verbose=False).name == "sine_gradient"
    assert check_loss(softmax_loss, x.reshape(N, -1), np.zeros(N, int),
                      verbose=False).name == "softmax_loss"
    assert run(affine_forward, affine_backward, *xwb, name="mine").name == "mine"


def test_inputs_are_checked_along_random_directions_whatever_their_size():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((30, 40)), rng.standard_normal((40, 20)), rng.standard_normal(20)
    result = run(affine_forward, affine_backward, x, w, b)
    assert result.status == "looks right"
    bad = run(affine_forward, _bug(lambda dx, dw, db: (dx, -dw, db)), x, w, b)
    assert bad["w"].verdict == "wrong" and "sign" in " ".join(bad["w"].hints)


def test_relu_at_exact_zeros_is_not_a_false_failure(capsys):
    # every random direction crosses the kinks at the two exact zeros: the check can't tell,
    # says so and where to go, and does not call a right backward wrong
    x = np.array([[0.0, 1.0, -2.0], [0.0, 3e-6, -0.5]])
    result = check_layer(relu_forward, relu_backward, x)
    assert result.status == "inconclusive"
    assert "kink" in capsys.readouterr().out and "away_from_kinks" in str(result)
    assert run(relu_forward, relu_backward, away_from_kinks(x, rng=0)).status == "looks right"
    big = away_from_kinks(np.random.default_rng(2).standard_normal((40, 50)), rng=0)
    assert run(relu_forward, relu_backward, big).status == "looks right"


def test_keyword_arguments_and_fixed_inputs_are_passed_through():
    def leaky_forward(x, alpha=0.01):
        return np.where(x > 0, x, alpha * x), (x, alpha)

    def leaky_backward(dout, cache):
        x, alpha = cache
        return dout * np.where(x > 0, 1.0, alpha)

    x = np.random.default_rng(3).standard_normal((3, 4))
    assert run(leaky_forward, leaky_backward, x, alpha=0.2).status == "looks right"
    assert run(leaky_forward, leaky_backward, x, 0.2).inputs[0].name == "x"


def test_a_random_layer_sees_the_same_randomness_on_every_call():
    def dropout_forward(x, p, train, rng):
        mask = (rng.random(x.shape) >= p) / (1 - p)
        return x * mask, mask

    def dropout_backward(dout, cache):
        return dout * cache

    x = np.random.default_rng(4).standard_normal((5, 6))
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    result = run(dropout_forward, dropout_backward, x, 0.5, True, rng)
    assert result.status == "looks right", str(result)
    assert rng.bit_generator.state == state  # the student's generator is not advanced


def test_check_loss_on_a_right_loss():
    rng = np.random.default_rng(6)
    scores, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    result = check_loss(softmax_loss, scores, y, verbose=False)
    assert result.status == "looks right" and result.inputs[0].name == "scores"


def test_check_function_on_a_plain_function():
    x = np.random.default_rng(7).standard_normal((3, 3))
    ok = check_function(np.sin, lambda dout, x: dout * np.cos(x), x, verbose=False)
    assert ok.status == "looks right"
    bad = check_function(lambda x: x**2, lambda dout, x: dout * x, x, verbose=False)
    assert bad.status == "wrong" and "half" in " ".join(bad.hints())


# ---------------------------------------------------------------------------- diagnoses

@pytest.mark.parametrize("change, name, words", [
    (lambda dx, dw, db: (dx, dw.T, db), "w", "transposed"),
    (lambda dx, dw, db: (dx, dw, np.tile(db, (N, 1))), "b", "sum over the batch"),
    (lambda dx, dw, db: (dx.reshape(N, -1), dw, db), "x", "reshape it back"),
    (lambda dx, dw, db: (dx, dw, db[:2]), "b", "expected (3,)"),
])
def test_wrong_shapes_are_explained(xwb, change, name, words):
    result = run(affine_forward, _bug(change), *xwb)
    assert result.status == "wrong"
    assert result[name].verdict == "wrong shape"
    assert words in " ".join(result[name].hints)
    assert all(r.verdict == "looks right" for r in result.inputs if r.name != name)


@pytest.mark.parametrize("change, name, words", [
    (lambda dx, dw, db: (-dx, dw, db), "x", "wrong sign"),
    (lambda dx, dw, db: (dx, dw * N, db), "w", "N = 4 times too large"),
    (lambda dx, dw, db: (dx, dw, db / N), "b", "1/N = 1/4"),
    (lambda dx, dw, db: (dx * 2, dw, db), "x", "twice"),
    (lambda dx, dw, db: (dx, dw * 0, db), "w", "zero"),
    (lambda dx, dw, db: (dx, dw, db * 3), "b", "3 times"),
    (lambda dx, dw, db: (dx, dw + 0.1, db), "w", "not by a simple factor"),
])
def test_wrong_values_get_a_diagnosis(xwb, change, name, words):
    result = run(affine_forward, _bug(change), *xwb)
    assert result.status == "wrong"
    assert result[name].verdict == "wrong" and result[name].error > 1e-5
    assert words in " ".join(result[name].hints), result[name].hints


def test_sign_and_batch_size_together():
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)
    result = run(affine_forward, _bug(lambda dx, dw, db: (dx, dw, -db * 5)), x, w, b)
    hints = " ".join(result["b"].hints)
    assert "wrong sign" in hints and "N = 5 times" in hints


def test_a_transposed_square_gradient_is_recognised():
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 5)), rng.standard_normal(5)
    result = run(affine_forward, _bug(lambda dx, dw, db: (dx, dw.T, db)), x, w, b)
    assert result["w"].verdict == "wrong"
    assert "transpose" in " ".join(result["w"].hints)


def test_loss_without_the_batch_average_is_diagnosed():
    def unaveraged(scores, y):
        loss, dscores = softmax_loss(scores, y)
        return loss, dscores * len(y)

    rng = np.random.default_rng(10)
    scores, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    result = check_loss(unaveraged, scores, y, verbose=False)
    assert result.status == "wrong" and "N = 6 times too large" in " ".join(result.hints())


def test_loss_that_is_not_a_number_is_diagnosed():
    def per_sample(scores, y):
        return scores.sum(axis=1), np.ones_like(scores)

    result = check_loss(per_sample, np.ones((3, 2)), np.zeros(3, int), verbose=False)
    assert result.status == "wrong" and "one number" in result.problems[0]


# ------------------------------------------------------ crashes, mutations, NaN, return values

def test_not_implemented_prints_a_plain_message_then_stops_the_notebook(xwb, capsys):
    def affine_backward(dout, cache):
        raise NotImplementedError

    with pytest.raises(NotImplementedError, match="not implemented yet: affine_backward"):
        check_layer(affine_forward, affine_backward, *xwb)
    assert "not implemented yet: affine_backward" in capsys.readouterr().out

    def relu_forward(x):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError, match="relu_forward"):
        run(relu_forward, relu_backward, xwb[0])


def test_other_crashes_are_reported_with_the_line(xwb):
    def affine_backward(dout, cache):
        return 1 / 0

    result = run(affine_forward, affine_backward, *xwb)
    assert result.status == "crashed"
    assert "ZeroDivisionError" in result.problems[0] and "line" in result.problems[0]


def test_modifying_an_argument_is_reported(xwb):
    def relu_forward(x):
        x[x < 0] = 0
        return x, x

    def backward_changing_dout(dout, cache):
        dout[cache <= 0] = 0
        return dout

    x = xwb[0]
    x0 = x.copy()
    result = run(relu_forward, relu_backward, x)
    assert result.status == "wrong" and "changed its argument x" in result.problems[0]
    assert result["x"].verdict == "looks right"  # the values are still checked, on copies
    result = run(lambda x: (np.maximum(x, 0), x), backward_changing_dout, x)
    assert "changed its argument dout" in result.problems[0]
    assert np.array_equal(x, x0)


def test_nan_and_inf_are_reported(xwb):
    def nan_forward(x):
        return np.log(x), x

    with np.errstate(invalid="ignore"):
        result = run(nan_forward, lambda dout, x: dout / x, xwb[0])
    assert result.status == "wrong" and "NaN or inf" in result.problems[0]
    inf_grad = run(relu_forward, lambda dout, x: dout * np.inf, xwb[0])
    assert inf_grad["x"].verdict == "not finite"


def test_wrong_return_values_are_explained(xwb):
    result = run(lambda x: np.maximum(x, 0), relu_backward, xwb[0])
    assert result.status == "wrong" and "(out, cache)" in result.problems[0]
    result = run(affine_forward, lambda dout, cache: affine_backward(dout, cache)[:2], *xwb)
    assert "3 gradients, one per input: x, w, b" in result.problems[0]
    result = run(relu_forward, lambda dout, x: (dout * (x > 0),), xwb[0])
    assert "dx alone" in result.problems[0]
    missing = run(affine_forward, _bug(lambda dx, dw, db: (dx, None, db)), *xwb)
    assert missing["w"].verdict == "missing" and "return" in missing["w"].hints[0]


# ------------------------------------------ a layer with a parameter of its own (as PReLU is)

def sloped_forward(x, alpha):
    """An activation with one slope per feature (x: (N, D), alpha: (D,)), written here."""
    return np.maximum(x, 0) + alpha * np.minimum(x, 0), (x, alpha)


def sloped_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha), (dout * np.minimum(x, 0)).sum(axis=0)


def sloped_unsummed(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha), dout * np.minimum(x, 0)


def sloped_averaged(dout, cache):
    dx, dalpha = sloped_backward(dout, cache)
    return dx, dalpha / len(dout)


@pytest.fixture
def x_alpha():
    rng = np.random.default_rng(12)
    return away_from_kinks(rng.standard_normal((N, 5)), margin=0.1), rng.uniform(0.05, 0.4, 5)


def test_a_layer_returning_dx_and_its_parameter_gradient_is_checked_for_both(x_alpha):
    copies = [a.copy() for a in x_alpha]
    result = run(sloped_forward, sloped_backward, *x_alpha)
    assert result.ok and [r.name for r in result.inputs] == ["x", "alpha"]
    assert [r.shape for r in result.inputs] == [(N, 5), (5,)]
    assert all(np.array_equal(a, c) for a, c in zip(x_alpha, copies))


@pytest.mark.parametrize("backward, words", [(sloped_unsummed, "sum over the batch"),
                                             (sloped_averaged, "1/N = 1/4")])
def test_a_parameter_gradient_not_summed_over_the_batch_is_explained(x_alpha, backward, words):
    result = run(sloped_forward, backward, *x_alpha)
    assert result.status == "wrong" and result["x"].verdict == "looks right"
    assert words in " ".join(result["alpha"].hints), result["alpha"].hints


def test_a_forward_that_changes_its_parameter_in_place_is_reported(x_alpha):
    def forward(x, alpha):
        alpha.shape = (1, -1)
        return sloped_forward(x, alpha)

    result = run(forward, lambda dout, cache: sloped_backward(dout, (cache[0], cache[1][0])),
                 *x_alpha)
    assert result.status == "wrong" and "changed its argument alpha" in result.problems[0]
    assert x_alpha[1].shape == (5,)
