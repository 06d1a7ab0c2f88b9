"""sigmoid_forward and sigmoid_backward, what proves the grader's checks: submissions written the
way students write them, each with its exact score and diagnosis (graded in the assignment's
class, support.py); its hidden recipes."""

import pytest
from support import (
    BY_HAND_ONLY,
    backward_share,
    corpus_test,
    forward_share,
    fraction,
    made,
)
from test_hw2_layers import assert_costs_its_points

from autograder.assignments.hw2_layers import sigmoid
from autograder.judging.recipes import HUGE
from autograder.round.samples import Sample, with_bug

A = "hw2_layers"

SIGMOID_EXP_NEG = {
    "sigmoid_forward": '''\
def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    cache = out
    return out, cache
''',
}


SIGMOID_EXP_RATIO = '''\
def sigmoid_forward(x):
    ex = np.exp(x)
    out = ex / (1 + ex)
    return out, out
'''


NUMERICAL_SIGMOID = {  # a "backward" that takes finite differences of the forward
    "sigmoid_forward": '''\
def sigmoid_forward(x):
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return out, x
''',
    "sigmoid_backward": '''\
def sigmoid_backward(dout, cache):
    x = cache.copy()
    h = 1e-5
    dx = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        plus = sigmoid_forward(x)[0]
        x[ix] = old - h
        minus = sigmoid_forward(x)[0]
        x[ix] = old
        dx[ix] = np.sum((plus - minus) * dout) / (2 * h)
        it.iternext()
    return dx
''',
}


SIGMOID_OF_ANY_NUMBER = '''\
def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    return out, x
'''


SIGMOID_COMPLEX_STEP = '''\
def sigmoid_backward(dout, cache):
    h = 1e-20
    return dout * sigmoid_forward(cache + 1j * h)[0].imag / h
'''


DUAL = '''\
class Dual:
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __add__(self, other):
        other = other if isinstance(other, Dual) else Dual(other, 0.0)
        return Dual(self.a + other.a, self.b + other.b)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.a, -self.b)

    def __mul__(self, other):
        other = other if isinstance(other, Dual) else Dual(other, 0.0)
        return Dual(self.a * other.a, self.a * other.b + self.b * other.a)

    __rmul__ = __mul__

    def __truediv__(self, other):
        other = other if isinstance(other, Dual) else Dual(other, 0.0)
        return Dual(self.a / other.a, (self.b * other.a - self.a * other.b) / other.a ** 2)

    def __rtruediv__(self, other):
        return Dual(other, 0.0) / self

    def exp(self):
        e = np.exp(self.a)
        return Dual(e, e * self.b)
'''


SIGMOID_DUAL_NUMBERS = DUAL + '''\


def sigmoid_backward(dout, cache):
    x = cache
    duals = np.empty(x.shape, dtype=object)
    for i in np.ndindex(x.shape):
        duals[i] = Dual(x[i], 1.0)
    out = sigmoid_forward(duals)[0]
    return dout * np.array([d.b for d in out.ravel()]).reshape(x.shape)
'''

CORPUS = [
    Sample("c2_sigmoid_expneg", "sigmoid 1/(1 + exp(-x)): right values, overflows",
           answers=SIGMOID_EXP_NEG),
    Sample("c2_sigmoid_ratio", "sigmoid exp(x)/(1 + exp(x)): NaN for huge x",
           answers={"sigmoid_forward": SIGMOID_EXP_RATIO}),
    Sample("c2_numerical", "sigmoid backward by finite differences of the forward",
           answers=NUMERICAL_SIGMOID),
    Sample("sign", "sigmoid backward sign flipped", answers={
        "sigmoid_backward": with_bug("sigmoid_backward", "dx = dout * s", "dx = -dout * s")}),
    Sample("sig_echo", "sigmoid forward hands x back, backward dout", answers={
        "sigmoid_forward": "def sigmoid_forward(x):\n    return x.copy(), None\n",
        "sigmoid_backward": "def sigmoid_backward(dout, cache):\n    return dout.copy()\n"}),
    Sample("sig_half", "sigmoid forward a constant 0.5, backward zeros", answers={
        "sigmoid_forward": "def sigmoid_forward(x):\n    return np.full_like(x, 0.5), None\n",
        "sigmoid_backward": "def sigmoid_backward(dout, cache):\n    return 0 * dout\n"}),
    Sample("fwdbug", "sigmoid forward wrong, backward consistent with it", answers={
        "sigmoid_forward": "def sigmoid_forward(x):\n    out = np.tanh(x)\n    return out, out\n",
        "sigmoid_backward": ("def sigmoid_backward(dout, cache):\n"
                             "    return dout * (1 - cache * cache)\n")}),
    Sample("c2_complex_step", "sigmoid backward by a complex step of the forward (exact to "
           "rounding, one forward call)", answers={"sigmoid_forward": SIGMOID_OF_ANY_NUMBER,
                    "sigmoid_backward": SIGMOID_COMPLEX_STEP}),
    Sample("c2_dual_numbers", "sigmoid backward by dual numbers through the forward",
           answers={"sigmoid_forward": SIGMOID_OF_ANY_NUMBER,
                    "sigmoid_backward": SIGMOID_DUAL_NUMBERS}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "c2_sigmoid_expneg": {"sigmoid_forward": (forward_share(1, stable=0), "fp_warning")},
    # NaN at huge x; the backward, fed NaN by its cache there, loses that case
    "c2_sigmoid_ratio": {"sigmoid_forward": (forward_share(2 / 3, stable=0), "overflow"),
                         "sigmoid_backward": (backward_share(1, 3 / 4), "overflow")},
    "c2_numerical": {"sigmoid_backward": (BY_HAND_ONLY, "not_derived")},
    # evaluated, not derived: no gradient check pays (nor shapes or arguments); the numbers
    # worked by hand do
    # (their forward, 1/(1 + exp(-x)), overflows at huge x as c2_sigmoid_expneg's does)
    "c2_complex_step": {"sigmoid_forward": (forward_share(1, stable=0), "fp_warning"),
                        "sigmoid_backward": (BY_HAND_ONLY, "not_derived")},
    "c2_dual_numbers": {"sigmoid_forward": (forward_share(1, stable=0), "fp_warning"),
                        "sigmoid_backward": (BY_HAND_ONLY, "not_derived")},
    # trivial forwards (x handed back, a constant): the backward agreeing with them earns
    # nothing (but its numbers worked by hand)
    "sig_echo": {"sigmoid_forward": (0.0, "wrong_values"),
                 "sigmoid_backward": (BY_HAND_ONLY, "forward_trivial")},
    "sig_half": {"sigmoid_forward": (0.0, "wrong_values"),
                 "sigmoid_backward": (BY_HAND_ONLY, "forward_ignores_input")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


# Slips handed in beside the class (the grading corpus's first students): (student, function,
# its diagnosis kind, the fraction of its points it keeps). Backward checks weigh 3 (finite
# differences of your forward), 3 (reference, every case and gradient), 1 (shapes), 1
# (arguments unchanged); forward 4 (values) and 1; losses 3, 3, 3, 1, and 1 for "stays finite
# without overflow" (softmax_loss, bce_loss, sigmoid and tanh forward).
MISTAKES = [
    ("sign", "sigmoid_backward", "sign_flipped", BY_HAND_ONLY),
    ("fwdbug", "sigmoid_forward", "wrong_values", 0.0),
]


@pytest.mark.parametrize("student, function, kind, expected", MISTAKES)
def test_each_mistake_costs_its_points_and_is_named(graded, student, function, kind, expected):
    spared = ("sigmoid_backward",) if student == "fwdbug" else ()
    assert_costs_its_points(graded(A)[student], function, kind, expected, spared=spared)


def test_a_backward_consistent_with_an_honest_forward_keeps_its_credit(graded):
    """Error carried forward: tanh where sigmoid belongs is right nowhere, but it changes with
    x as sigmoid does (one slope per unit, none zero), and the backward derived for it keeps
    its finite-difference credit; the reference gradients are lost (it got 0.0 before)."""
    report = graded(A)["fwdbug"]
    checks = report["functions"]["sigmoid_backward"]["checks"]
    fd = next(c for c in checks if c["name"] == "matches finite differences of your forward")
    assert fd["score"] == fd["max_score"] and fd["kind"] == "ok"
    assert fraction(report, "sigmoid_backward") == pytest.approx(backward_share(1, 0), abs=1e-6)


def test_huge_inputs_always_overflow_exp_both_ways():
    for seed in range(40):
        (x,), _ = made(sigmoid.CASES, HUGE, seed)
        assert (x > 709).sum() == (x < -709).sum() == 3
