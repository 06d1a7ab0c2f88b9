"""numerical_gradient, what proves the grader's checks: submissions written the way students write
them, each with its exact score and diagnosis (graded in the assignment's class, support.py);
the checks on the reference with realistic bugs swapped in."""

from support import corpus_test, reference_tests

from autograder.round.samples import Sample

A = "hw1_graphs"

NG_ONE_SIDED = '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    fx = f(x)
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xp[i] += h
        grad[i] = (f(xp) - fx) / h
    return grad
'''


NG_FIXED_STEP = '''def numerical_gradient(f, x, h=1e-5):
    eps = 1e-5
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        grad[i] = (f(xp) - f(xm)) / (2 * eps)
    return grad
'''


NG_IN_PLACE = '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        fp = f(x)
        x[i] -= 2 * h
        fm = f(x)
        x[i] += h
        grad[i] = (fp - fm) / (2 * h)
    return grad
'''


CORPUS = [
    Sample("g_ng_one_sided", "numerical_gradient with forward differences",
           answers={"numerical_gradient": NG_ONE_SIDED}),
    Sample("g_ng_fixed_step", "numerical_gradient ignores h",
           answers={"numerical_gradient": NG_FIXED_STEP}),
    Sample("g_ng_in_place", "numerical_gradient moves x in place and back by +h, -2h, "
           "+h (rounding leaves x changed)", answers={"numerical_gradient": NG_IN_PLACE}),
]

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    # 4 (hidden functions), 3 (central), 2 (uses h), 1 (shape), 1 (arguments unchanged)
    "g_ng_one_sided": {"numerical_gradient": ((0 + 0 + 2 + 1 + 1) / 11,
                                              "one_sided_differences")},
    # central differences are central, whatever the step
    "g_ng_fixed_step": {"numerical_gradient": ((4 + 3 + 0 + 1 + 1) / 11, "ignores_h")},
    "g_ng_in_place": {"numerical_gradient": ((4 + 3 + 2 + 1 + 0) / 11, "input_mutated")},
}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED, also=False)


# ---------------------------------------- the checks on the reference, with realistic bugs

NAMES = ["numerical_gradient"]


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "numerical_gradient with forward differences": (
        "numerical_gradient", [("(f_plus - f_minus) / (2 * h)", "(f_plus - f(x)) / h")],
        "one_sided_differences"),
    "numerical_gradient mutates x": (
        "numerical_gradient", [("x = np.array(x, dtype=np.float64)",
                                "x = np.asarray(x, dtype=np.float64)"),
                               ("        x[i] = saved\n", "")], "input_mutated"),
    "numerical_gradient ignores h": (
        "numerical_gradient", [("saved + h", "saved + 1e-5"), ("saved - h", "saved - 1e-5"),
                               ("(2 * h)", "(2 * 1e-5)")], "ignores_h"),
    "numerical_gradient leaves x moved after each entry": (
        "numerical_gradient", [("        x[i] = saved\n", "")], "x_not_restored"),
    "numerical_gradient moves every entry at once": (
        "numerical_gradient", [("f_plus = f(x)", "f_plus = f(x + h)"),
                               ("f_minus = f(x)", "f_minus = f(x - h)"),
                               ("x[i] = saved + h", "pass"), ("x[i] = saved - h", "pass")],
        "moves_every_entry"),
    "numerical_gradient flattens": (
        "numerical_gradient", [("return grad", "return grad.ravel()")], "wrong_shape"),
}


(test_the_reference_earns_full_marks_whatever_the_seed,
 test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
 test_every_function_has_a_bug) = reference_tests(NAMES, BUGS)
