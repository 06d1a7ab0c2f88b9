"""Add, Multiply, Divide, Exp, Log and Sin, what proves the grader's checks: submissions written
the way students write them, each with its exact score and diagnosis (graded in the
assignment's class, support.py); the checks on the reference with realistic bugs swapped in."""

import pytest
from support import (
    bugged,
    checks_of,
    code_score,
    corpus_test,
    grade_reference,
    reference_source,
    reference_tests,
    replaced,
)

from autograder.round.samples import Sample

A = "hw1_graphs"

LOG_WITHOUT_INVERSE = '''class Log(Operation):
    def forward(self, a):
        return np.log(a)

    def backward(self, output_grad):
        a = self.inputs[0]
        return (output_grad,)
'''


DIVIDE_DB_SIGN = '''class Divide(Operation):
    def forward(self, a, b):
        return a / b

    def backward(self, output_grad):
        a, b = self.inputs
        da = output_grad / b
        db = output_grad * a / b**2
        return da, db
'''


EXP_WITH_THE_INPUT = '''class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, output_grad):
        a, = self.inputs
        return (output_grad * a,)
'''


EXP_WITH_MATH = '''import math

class Exp(Operation):
    def forward(self, a):
        return math.exp(a)

    def backward(self, output_grad):
        return (output_grad * self.value,)
'''


LOG_BY_FINITE_DIFFERENCES = '''class Log(Operation):
    def forward(self, a):
        return np.log(a)

    def backward(self, output_grad):
        a = self.inputs[0]
        h = 1e-6
        return (output_grad * (np.log(a + h) - np.log(a - h)) / (2 * h),)
'''


SIN_OF_THE_OUTPUT = '''class Sin(Operation):
    def forward(self, a):
        return np.sin(a)

    def backward(self, output_grad):
        return (output_grad * np.cos(self.value),)
'''


EXP_DERIVED_ONLY_WHEN_WATCHED = '''import sys


def watched():
    monitoring = getattr(sys, "monitoring", None)
    return sys.gettrace() is not None or (
        monitoring is not None and any(monitoring.get_tool(t) for t in range(6)))


class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, output_grad):
        (a,) = self.inputs
        if watched():
            return (output_grad * self.value,)
        return (output_grad * self.forward(a + 1e-30j).imag / 1e-30,)
'''


EXP_COMPLEX_STEP = '''class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, output_grad):
        (a,) = self.inputs
        return (output_grad * self.forward(a + 1e-30j).imag / 1e-30,)
'''


# An attacker (issue 17): no derivative of its own, the backward of any class the child holds
# whose forward gives exp at this input (the grader's graph ops once included an Exp), found
# through sys.modules, the frames' globals and the modules they hold; without one it passes
# output_grad on.
EXP_BORROWED = '''class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, output_grad):
        import sys
        places = [vars(m) for m in list(sys.modules.values())]
        frame = sys._getframe()
        while frame is not None:
            places.append(frame.f_globals)
            frame = frame.f_back
        places += [vars(v) for place in list(places) for v in list(place.values())
                   if isinstance(v, type(sys))]  # modules the child loaded by path
        for place in places:
            for thing in list(place.values()):
                if not (isinstance(thing, type) and thing.__name__ != "Exp" and
                        hasattr(thing, "forward") and hasattr(thing, "backward")):
                    continue
                try:
                    op = thing()
                    if np.allclose(op(*self.inputs), self.value, rtol=1e-12, atol=0):
                        return op.backward(output_grad)
                except Exception:
                    pass
        return (output_grad,)
'''


CORPUS = [
    Sample("g_exp_borrowed", "Exp.backward borrows the backward of any op of the grader's "
           "that computes exp", answers={"Exp": EXP_BORROWED}),
    Sample("g_log_inverse", "Log.backward forgets 1/a",
           answers={"Log": LOG_WITHOUT_INVERSE}),
    Sample("g_divide_sign", "Divide's db without its minus sign",
           answers={"Divide": DIVIDE_DB_SIGN}),
    Sample("g_exp_input", "Exp.backward multiplies by the input, not the output",
           answers={"Exp": EXP_WITH_THE_INPUT}),
    Sample("g_exp_math", "Exp with math.exp: scalars only",
           answers={"Exp": EXP_WITH_MATH}),
    Sample("g_log_numerical", "Log.backward by finite differences, nothing derived",
           answers={"Log": LOG_BY_FINITE_DIFFERENCES}),
    Sample("g_sin_output", "Sin.backward takes the cosine of the output",
           answers={"Sin": SIN_OF_THE_OUTPUT}),
    Sample("g_exp_complex_step", "Exp.backward by a complex step of its own forward",
           answers={"Exp": EXP_COMPLEX_STEP}),
    Sample("g_exp_when_unwatched", "Exp.backward derived while the grader watches its calls, "
           "a complex step otherwise", answers={"Exp": EXP_DERIVED_ONLY_WHEN_WATCHED}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # finds no op of the grader's that computes exp (the graphs' ops are not graded ones), so
    # output_grad goes on unchanged; with the old probes (GraphExp) it had full marks
    "g_exp_borrowed": {"Exp": ((4 + 0 + 0 + 1 + 1 + 1) / 13, "wrong_local_derivative")},
    "g_log_inverse": {"Log": ((4 + 0 + 0 + 1 + 1 + 1) / 13, "wrong_local_derivative")},
    "g_divide_sign": {"Divide": ((4 + 3 / 2 + 3 / 2 + 1 + 1 + 1) / 13, "sign_flipped")},
    "g_exp_input": {"Exp": ((4 + 0 + 0 + 1 + 1 + 1) / 13, "wrong_local_derivative")},
    # right on scalars only: a third of the values, the structure and self.value, half of
    # the finite differences (scalars and matrices)
    "g_exp_math": {"Exp": ((4 / 3 + 3 / 3 + 3 / 2 + 1 / 3 + 1 / 3 + 1) / 13, "raised")},
    # neither the reference gradients nor the consistency with its own forward pay
    "g_log_numerical": {"Log": ((4 + 0 + 0 + 1 + 1 + 1) / 13, "not_derived")},
    "g_sin_output": {"Sin": ((4 + 0 + 0 + 1 + 1 + 1) / 13, "wrong_local_derivative")},
    # evaluated, not derived: the forward values, structure, self.value and the numbers
    # worked by hand pay
    "g_exp_complex_step": {"Exp": ((4 + 0 + 0 + 1 + 1 + 1) / 13, "not_derived")},
    "g_exp_when_unwatched": {"Exp": ((4 + 0 + 0 + 1 + 1 + 1) / 13, "not_derived")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["Add", "Multiply", "Divide", "Exp", "Log", "Sin"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "Add overrides __call__ without self.value": (
        "Add", [("def backward(self", "def __call__(self, *args):\n        self.inputs = args\n"
                 "        return self.forward(*args)\n\n    def backward(self")], "value_not_set"),
    "Multiply backward swaps the inputs": (
        "Multiply", [("output_grad * b, output_grad * a", "output_grad * a, output_grad * b")],
        "swapped"),
    "Multiply backward ignores output_grad": (
        "Multiply", [("output_grad * b, output_grad * a", "b, a")], "ignores_upstream"),
    "Divide backward misses the minus sign": (
        "Divide", [("-output_grad * a / (b * b)", "output_grad * a / (b * b)")], "sign_flipped"),
    "Divide backward forgets the square of b": (
        "Divide", [("-output_grad * a / (b * b)", "-output_grad * a / b")],
        "wrong_local_derivative"),
    "Exp backward returns a bare value": (
        "Exp", [("(output_grad * self.value,)", "output_grad * self.value")], "bare_value"),
    "Exp backward uses the input instead of the output": (
        "Exp", [("(output_grad * self.value,)", "(output_grad * self.inputs[0],)")],
        "wrong_local_derivative"),
    "Exp backward takes finite differences of forward": (
        "Exp", [("(output_grad * self.value,)",
                 "(output_grad * (self.forward(self.inputs[0] + 1e-5)\n"
                 "                        - self.forward(self.inputs[0] - 1e-5)) / 2e-5,)")],
        "not_derived"),
    "Log backward multiplies by a": (
        "Log", [("(output_grad / a,)", "(output_grad * a,)")], "wrong_local_derivative"),
    "Log backward forgets 1/a": (
        "Log", [("(output_grad / a,)", "(output_grad,)")], "wrong_local_derivative"),
    "Sin backward takes the cosine of the output": (
        "Sin", [("np.cos(a)", "np.cos(self.value)")], "wrong_local_derivative"),
    "Sin backward returns two gradients": (
        "Sin", [("(output_grad * np.cos(a),)", "(output_grad * np.cos(a), output_grad)")],
        "wrong_count"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)


# ------------------------------------------------------------ what the checks pay and say


def test_consistency_with_a_forward_with_a_named_slip_keeps_its_credit(reference_student):
    """Exp's forward doubled everywhere (a slip the judge names, scaled_by_2), its backward
    consistent with it: error carried forward, the finite-difference credit is kept (3 of
    13, the structure checks 2 of 13 with it, and the numbers worked by hand 1 of 13), the forward's values and the reference
    gradients are lost."""
    with bugged(reference_student, "Exp", [("return np.exp(a)", "return 2 * np.exp(a)")]):
        grade = grade_reference(reference_student[0], "Exp")
    checks = checks_of(grade)
    assert checks["backward matches finite differences of your forward"].fraction == 1
    assert checks["forward values on hidden inputs"].kind == "scaled_by_2"
    assert grade.score == pytest.approx(3.0 * 6 / 13)  # fd, structure, self.value, by hand


@pytest.mark.parametrize("forward, backward", [
    ("return a", "return (output_grad,)"),                     # the input handed back
    ("return 3.0 * a + 1.0", "return (3.0 * output_grad,)"),   # scaled and shifted
    ("return 0.0 * a + 1.0", "return (0.0 * output_grad,)"),   # a constant
])
def test_consistency_with_a_trivial_forward_pays_nothing(reference_student, forward, backward):
    """Exp's forward replaced by a trivial one (its input echoed, or a constant), its backward
    consistent with it: the agreement shows nothing derived, so nothing is paid."""
    text = ("class Exp(Operation):\n    def forward(self, a):\n        " + forward +
            "\n\n    def backward(self, output_grad):\n        a, = self.inputs\n        " +
            backward + "\n")
    with replaced(reference_student, "Exp", text):
        grade = grade_reference(reference_student[0], "Exp")
    fd = checks_of(grade)["backward matches finite differences of your forward"]
    assert fd.fraction == 0 and fd.kind in ("forward_trivial", "forward_ignores_input")
    assert code_score(grade) == 0  # only the numbers worked by hand pay


def test_consistency_with_a_forward_right_somewhere_pays(reference_student):
    """A Log whose forward fails on arrays (math.log) keeps finite-difference credit for the
    scalars, where its forward is right."""
    with bugged(reference_student, "Log", [("np.log(a)", "math.log(a)")]):
        reference_student[0].run_cell(0, "import numpy as np\nimport math")
        fd = checks_of(grade_reference(reference_student[0], "Log"))[
            "backward matches finite differences of your forward"]
    assert fd.fraction == 0.5


REMEMBERS_PROBES = """\
SEEN = []

class Multiply(Operation):
    def forward(self, a, b):
        for a0, b0 in SEEN:  # next to a point seen before: agree with the backward below
            if np.shape(a0) == np.shape(a) and np.allclose(a, a0, rtol=0, atol=1e-4) \\
                    and np.allclose(b, b0, rtol=0, atol=1e-4):
                return a0 * b0 + (a - a0) + (b - b0)
        SEEN.append((np.copy(a), np.copy(b)))
        return a * b

    def backward(self, output_grad):
        return output_grad, output_grad
"""


COUNTS_CALLS = """\
CALLS = [0]

class Multiply(Operation):
    def forward(self, a, b):
        CALLS[0] += 1
        return a * b + 1e-3 * (CALLS[0] % 2)

    def backward(self, output_grad):
        a, b = self.inputs
        return output_grad * b, output_grad * a
"""


@pytest.mark.parametrize("forward, caught_by", [
    (REMEMBERS_PROBES, "changes like another function next to it"),
    (COUNTS_CALLS, "two different values for the same input")])
def test_a_forward_that_games_finite_differences_is_caught(reference_student, forward, caught_by):
    with replaced(reference_student, "Multiply", forward):
        fd = checks_of(grade_reference(reference_student[0], "Multiply"))[
            "backward matches finite differences of your forward"]
    assert fd.fraction == 0 and fd.kind == "inconsistent_forward", fd.message
    assert caught_by in fd.message


def test_every_distinct_mistake_of_a_check_is_named(reference_student):
    """Divide's da multiplied where it should divide, and db's sign flipped."""
    with bugged(reference_student, "Divide", [("output_grad / b, -output_grad * a / (b * b)",
                                     "output_grad * b, output_grad * a / (b * b)")]):
        ref = checks_of(grade_reference(reference_student[0], "Divide"))[
            "backward matches the reference gradients"]
    assert ref.kind == "sign_flipped" and ref.also == ("wrong_values",)
    assert "opposite sign" in ref.message and "Also:" in ref.message


def test_a_mistake_is_reported_on_the_case_that_shows_it_best(reference_student):
    """Log's gradient off by 0.001 in the denominator is barely visible at the scalar's
    a > 2.6 and plain at the arrays' a < 0.6: it is reported where it is plain."""
    with bugged(reference_student, "Log", [("(output_grad / a,)", "(output_grad / (a + 0.001),)")]):
        ref = checks_of(grade_reference(reference_student[0], "Log"))[
            "backward matches the reference gradients"]
    assert ref.fraction == 0 and "It is close" not in ref.message, ref.message


def test_zeros_forward_and_backward_earn_no_finite_difference_credit(reference_student):
    """Consistency with a forward that ignores its inputs is not evidence of a gradient."""
    proc, index = reference_student
    zero_multiply = ("class Multiply(Operation):\n    def forward(self, a, b):\n"
                     "        return 0.0 * a * b\n    def backward(self, output_grad):\n"
                     "        a, b = self.inputs\n        return 0.0 * a, 0.0 * b\n")
    proc.run_cell(index["Multiply"], zero_multiply)
    try:
        checks = {c.name: c for c in grade_reference(proc, "Multiply").checks}
    finally:
        proc.run_cell(index["Multiply"], reference_source("Multiply"))
    fd = [c for name, c in checks.items() if "finite differences" in name][0]
    assert fd.fraction == 0 and fd.kind == "forward_ignores_input"
