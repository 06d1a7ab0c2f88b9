"""example_forward_backward, what proves the grader's checks: submissions written the way students
write them, each with its exact score and diagnosis (graded in the assignment's class,
support.py); the checks on the reference with realistic bugs swapped in."""

from support import (
    bugged,
    checks_of,
    code_score,
    corpus_test,
    grade_reference,
    reference_tests,
    replaced,
)

from autograder.round.samples import Sample

A = "hw1_graphs"

EXAMPLE_OVERWRITES_DB = '''def example_forward_backward(x, z):
    a = x * z
    b = np.log(x)
    c = np.sin(b)
    d = np.exp(a)
    e = a / b
    f = c / a
    y = d + e + f
    da = d + 1 / b - c / a**2
    db = -a / b**2
    dc = 1 / a
    db = dc * np.cos(b)
    dx = da * z + db / x
    dz = da * x
    return y, dx, dz
'''


EXAMPLE_COMPLEX_STEP = '''def lecture_y(x, z):
    a = x * z
    b = np.log(x)
    return np.exp(a) + a / b + np.sin(b) / a


def example_forward_backward(x, z):
    y = float(lecture_y(x, z).real)
    dx = float(lecture_y(x + 1e-30j, z).imag / 1e-30)
    dz = float(lecture_y(x, z + 1e-30j).imag / 1e-30)
    return y, dx, dz
'''

CORPUS = [
    Sample("g_example_db", "the example overwrites db (= where += belongs)",
           answers={"example_forward_backward": EXAMPLE_OVERWRITES_DB}),
    Sample("g_example_complex_step", "the example's derivatives by complex steps of its y",
           answers={"example_forward_backward": EXAMPLE_COMPLEX_STEP}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # values 3 (x=2, z=3), 4 (hidden points), 3 (finite differences of y), 1 (structure):
    # y and dy_dz right everywhere, dy_dx wrong everywhere
    "g_example_db": {"example_forward_backward": ((3 * 2 / 3 + 4 * 2 / 3 + 3 * 1 / 2 + 1 + 1) / 12,
                                                  "missing_path")},
    # y right everywhere and paid, and the numbers worked by hand; the derivatives are
    # evaluated, not derived
    "g_example_complex_step": {"example_forward_backward": ((3 / 3 + 4 / 3 + 0 + 1 + 1) / 12,
                                                            "not_derived")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["example_forward_backward"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "example misses the path through e (via a)": (
        "example_forward_backward", [("dd * d + de / b - df", "dd * d - df")], "missing_path"),
    "example overwrites db (path through e via b lost)": (
        "example_forward_backward", [("db = db + dc", "db = dc")], "missing_path"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)


# ------------------------------------------------------------ what the checks pay and say


def test_messages_never_show_hidden_values(reference_student):
    """Under a bug that fails several checks, no message prints a hidden float."""
    import re
    with bugged(reference_student, "example_forward_backward", [("dx = da * z + db / x",
                                                       "dx = da * z + db * x")]):
        grade = grade_reference(reference_student[0], "example_forward_backward")
    for check in grade.checks:
        # the only numbers allowed: counts, the public point (2, 3), errors in e-notation
        assert not re.search(r"\d\.\d{3,}", check.message), check.message


def test_gradients_consistent_with_a_y_that_misses_a_term_keep_their_credit(reference_student):
    """y without its term f = c/a (an honest slip: wrong at every point), dy_dx and dy_dz
    derived for that y: error carried forward, the finite-difference check pays in full."""
    with bugged(reference_student, "example_forward_backward", [
            ("y = d + e + f", "y = d + e"), ("dd = de = df = 1.0", "dd = de = 1.0\n    df = 0.0")]):
        grade = grade_reference(reference_student[0], "example_forward_backward")
    checks = checks_of(grade)
    assert checks["values at hidden points"].fraction == 0  # y and both gradients
    assert checks["gradients match finite differences of your y"].fraction == 1


def test_gradients_consistent_with_a_linear_y_pay_nothing(reference_student):
    """y = 2x + 3z (its inputs handed back, scaled) with its constant gradients: the same
    slopes at every point, where the example's change, so nothing was derived."""
    text = ("def example_forward_backward(x, z):\n"
            "    return 2.0 * x + 3.0 * z, 2.0, 3.0\n")
    with replaced(reference_student, "example_forward_backward", text):
        grade = grade_reference(reference_student[0], "example_forward_backward")
    fd = checks_of(grade)["gradients match finite differences of your y"]
    assert fd.fraction == 0 and fd.kind == "forward_trivial"
    assert code_score(grade) == 0  # only the numbers worked by hand pay
