"""judging/carried.py, the rule of error carried forward, on the finite differences of real
functions taken with the judge's own ``differentiate`` and probing policies: how a forward
depends on its input (ignores it, echoes it, as the reference does, otherwise) and when
gradients consistent with it are paid."""
import numpy as np
import pytest

from autograder.judging.carried import Attempt, carried, dependence_along, named_slip
from autograder.judging.diagnose import Diagnosis
from autograder.judging.finite_differences import (
    differentiate,
    few_directions,
    sampled_coordinates,
)
from autograder.judging.pairs import FD


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def classify(forward, x, reference_grad, dout, probing):
    """``dependence_along`` of ``forward`` at ``x``, its output weighted by ``dout``."""
    rng = np.random.default_rng(3)
    probes = probing(x.shape, rng)
    (derivatives,), _ = differentiate([lambda t: float(np.sum(forward(t) * dout))], [x],
                                      [probes], rng, function="f")
    return dependence_along(derivatives, probes, reference_grad, dout)


X = np.random.default_rng(0).uniform(0.2, 2.0, (4, 5)) * np.resize([1, -1], (4, 5))
DOUT = np.random.default_rng(1).standard_normal((4, 5))
SIGMOID_GRAD = DOUT * sigmoid(X) * (1 - sigmoid(X))
PROBINGS = [few_directions, sampled_coordinates]


@pytest.mark.parametrize("probing", PROBINGS)
@pytest.mark.parametrize("forward, expected", [
    (sigmoid, "alike"),                          # right
    (lambda x: 2 * sigmoid(x), "alike"),         # a named slip
    (np.tanh, "alike"),                          # another function, one slope per unit
    (lambda x: x.copy(), "echo"),                # its input handed back
    (lambda x: 3 * x + 1, "echo"),               # scaled and shifted
    (lambda x: np.full_like(x, 0.5), "ignores"),  # a constant
    (np.zeros_like, "ignores"),                  # zero
])
def test_how_a_forward_depends_on_its_input(forward, expected, probing):
    assert classify(forward, X, SIGMOID_GRAD, DOUT, probing) == expected


def test_a_forward_that_ignores_some_entries_is_unlike_along_coordinates():
    """Along coordinates the Jacobian pattern shows: a sigmoid of the first row only."""
    def first_row(x):
        out = np.zeros_like(x)
        out[0] = sigmoid(x[0])
        return out
    assert classify(first_row, X, SIGMOID_GRAD, DOUT, sampled_coordinates) == "unlike"


def test_an_echo_is_no_echo_where_the_reference_is_one():
    """Add's reference hands its input back: a right Add is alike, not trivial."""
    assert classify(lambda x: x + 1.0, X, DOUT, DOUT, sampled_coordinates) == "alike"


def test_a_single_scalar_probe_tells_no_echo():
    x = np.array(0.7)
    assert classify(lambda t: t, x, np.exp(x) * 1.3, 1.3, sampled_coordinates) == "alike"


def test_without_a_reference_pattern_a_forward_only_depends():
    """Dropout's mask is the student's own: only the trivial forwards are told apart."""
    rng = np.random.default_rng(5)
    probes = sampled_coordinates(X.shape, rng)
    mask = rng.random(X.shape) > 0.3
    for forward, expected in ((lambda t: t * mask, "depends"), (lambda t: t.copy(), "echo"),
                              (np.zeros_like, "ignores")):
        (d,), _ = differentiate([lambda t, f=forward: float(np.sum(f(t) * DOUT))], [X],
                                [probes], rng, function="dropout_forward")
        assert dependence_along(d, probes, None, DOUT) == expected


def attempt(right=False, slip=None, cases=()):
    a = Attempt(right=right, slip=slip)
    for case in cases:
        a.saw_dependence(case)
    return a


@pytest.mark.parametrize("seen, honest, kind", [
    (attempt(right=True, cases=[["alike"]]), True, "ok"),
    (attempt(slip="scaled_by_2", cases=[["alike"]]), True, "ok"),
    (attempt(cases=[["alike", "ignores"]]), True, "ok"),      # affine without its bias
    (attempt(cases=[["unlike"]]), False, "forward_wrong"),
    (attempt(slip="not_scaled", cases=[["depends"]]), True, "ok"),
    (attempt(slip="not_scaled", cases=[["echo"]]), False, "forward_trivial"),
    (attempt(right=True, cases=[["ignores", "ignores"]]), False, "forward_trivial"),
    (attempt(slip="scaled_by_2", cases=[["alike"], ["echo"]]), False, "forward_trivial"),
    (attempt(), False, "forward_wrong"),
])
def test_consistent_gradients_are_paid_for_an_honest_attempt_only(seen, honest, kind):
    check = FD.check(1.0, "every gradient agrees with finite differences of your own forward.")
    paid = carried(check, seen, "relu_backward")
    assert seen.honest == honest
    assert paid.kind == kind and paid.fraction == (1.0 if honest else 0.0)
    if not honest:
        assert paid.message.startswith("relu_backward: ")


def test_a_check_that_pays_nothing_keeps_its_own_diagnosis():
    check = FD.failed(Diagnosis("sign_flipped", "relu_backward: the sign."))
    assert carried(check, attempt(), "relu_backward").kind == "sign_flipped"


@pytest.mark.parametrize("kind, named", [
    ("scaled_by_2", True), ("softmax_wrong_axis", True), ("not_scaled", True),
    ("wrong_values", False), ("all_zeros", False), ("ok", False), ("wrong_shape", False)])
def test_which_kinds_name_a_slip(kind, named):
    assert named_slip(kind) == named


def test_every_check_that_pays_finite_difference_credit_goes_through_the_rule():
    """Every module that declares or uses an ``fd`` check measures its forward with carried.py
    (one rule, not one per function)."""
    import re
    from pathlib import Path

    import autograder
    root = Path(autograder.__file__).parent
    uses_fd = [p for p in root.rglob("*.py")
               if re.search(r'CheckSpec\([^)]*"fd"', p.read_text())
               or re.search(r"from \.+judging\.pairs import[^\n]*\bFD\b", p.read_text())]
    assert len(uses_fd) >= 6, uses_fd
    missing = [p.name for p in uses_fd if "carried" not in p.read_text()]
    assert not missing, missing
