"""The small cases worked by hand (judging/by_hand.py): read from a real contained child, judged
with their slips, paid as the same share by the grader and by the in-notebook hidden test, and
self-checked by digests that hold no number.

Each backward's own slips on its corpus are in its test module (hw2's affine in
tests/assignments/hw2_layers/test_affine.py, through the whole pipeline); here every case of
every assignment is run once in one child."""
import contextlib
import io
import json

import numpy as np
import pytest
from support import ROOT, nbgrader_cells, notebooks

import solutions
from autograder.course.notebook_tests import run_hidden_check
from autograder.judging import by_hand, registry
from autograder.judging.by_hand import BY_HAND, ByHand, digest, literal
from autograder.judging.grades import FunctionGrade
from autograder.judging.judge import Judge
from autograder.judging.registry import all_checks, by_hand_cases, by_hand_names
from autograder.round.samples import reference_answer
from autograder.sandbox.runner import StudentProcess
from backproplab import by_hand as selfcheck

CASES = sorted(((c.backward, c) for a in solutions.ASSIGNMENTS
                for c in by_hand.cases(registry.modules(a))), key=lambda pair: pair[0])
BACKWARDS = [name for name, _ in CASES]
CASE = dict(CASES)
POINTS = 4.0


def answer_of(case, **changes):
    """Source setting ``case``'s variable to the reference's numbers with ``changes``
    ({key: value, or None to leave the key out})."""
    numbers = {k: v.tolist() for k, v in case.whole().items()}
    for key, value in changes.items():
        numbers.pop(key) if value is None else numbers.__setitem__(key, value)
    return f"{case.variable} = {json.dumps(numbers)}"


#: Every by-hand answer as the reference notebook has it: the scratch cell's own text, so that
#: a test that changed or deleted an answer puts them all back.
RESET = "\n".join(reference_answer(v) for a in solutions.ASSIGNMENTS for v in by_hand_names(a))


@pytest.fixture(scope="module")
def student():
    """(process, index of the scratch cell): every graded reference function and every by-hand
    answer as the reference notebook has them, in a real contained child."""
    cells = [(0, "import numpy as np"), (1, reference_answer("Operation"))]
    for name in solutions.GRADED_NAMES:
        cells.append((len(cells), reference_answer(name)))
    cells.append((len(cells), RESET))
    with StudentProcess(cells) as proc:
        proc.ensure_started()
        yield proc, len(cells) - 1


def by_hand_check(proc, case):
    return case.check(Judge(proc, 7))


@contextlib.contextmanager
def cell(student, source):
    """The scratch cell run with ``source`` for the block, then every answer put back."""
    proc, index = student
    proc.run_cell(index, source)
    assert proc.outcomes[index].ok, proc.outcomes[index]
    try:
        yield proc
    finally:
        proc.run_cell(index, RESET)


# ------------------------------------------------------------------------ the cases declared

def test_every_graded_backward_of_the_issue_has_a_case():
    wanted = {"Add", "Multiply", "Divide", "Exp", "Log", "Sin", "example_forward_backward",
              "affine_backward", "relu_backward", "leaky_relu_backward", "prelu_backward",
              "sigmoid_backward", "tanh_backward", "softmax_backward", "softmax_loss",
              "mse_loss", "bce_loss", "conv_backward", "max_pool_backward", "dropout_backward",
              "l2_penalty"}
    assert set(BACKWARDS) == wanted


@pytest.mark.parametrize("stem", sorted(by_hand_cases()))
def test_the_answer_cell_of_the_source_holds_the_references_numbers(stem):
    case = by_hand_cases()[stem]
    namespace = {}
    exec(reference_answer(case.variable), namespace)
    got = namespace[case.variable]
    assert set(got) == set(case.whole())
    for key, value in case.whole().items():
        assert np.allclose(np.asarray(got[key], dtype=float), value, rtol=1e-5, atol=1e-9), key


@pytest.mark.parametrize("assignment", list(solutions.ASSIGNMENTS))
def test_the_source_notebook_asks_for_each_answer_and_the_release_strips_it(assignment):
    for folder, answered in (("source", True), ("release", False)):
        cells = {gid: "".join(cell["source"]) for path in notebooks(ROOT / folder, assignment)
                 for gid, cell in nbgrader_cells(path)}
        for variable in by_hand_names(assignment):
            assert f"selfcheck_{variable}" in cells, (folder, variable)
            assert (f"{variable} = {{" in cells[variable]) == answered, (folder, variable)
            assert ("raise NotImplementedError()" in cells[variable]) != answered


def test_literals_are_plain_numbers():
    assert literal(np.array([[2.0, -1.0], [0.125, 1 / 3]])) == "[[2, -1], [0.125, 0.333333]]"
    assert literal(np.float64(-0.5)) == "-0.5"


# ----------------------------------------------------------------- the grader, in a real child

@pytest.mark.parametrize("name", BACKWARDS)
def test_the_reference_earns_full_marks_with_its_numbers_and_the_share_is_the_notebooks(
        student, name):
    grade = FunctionGrade(name, POINTS, all_checks()[name](Judge(student[0], 11)))
    by_hand = [c for c in grade.checks if c.name == BY_HAND.title]
    assert len(by_hand) == 1 and by_hand[0].fraction == 1.0, by_hand
    assert grade.score == pytest.approx(POINTS), [(c.name, c.kind) for c in grade.checks]
    # the in-notebook hidden test pays the by-hand answer the same share of the points
    assert CASE[name].share == pytest.approx(BY_HAND.weight / sum(c.weight for c in grade.checks))


@pytest.mark.parametrize("name", BACKWARDS)
def test_a_blank_answer_scores_nothing_there_and_says_so(student, name):
    case = CASE[name]
    with cell(student, f"del {case.variable}") as proc:
        result = by_hand_check(proc, case)
    assert (result.fraction, result.kind) == (0.0, "by_hand_blank")
    assert name in result.message and case.variable in result.message


def slips(case):
    """(label, changes, kind, fraction) of the slips every case can show."""
    expected = case.expected()
    key, value = next(iter(expected.items()))
    found = [("missing", {key: None}, "by_hand_missing_entry", 1 - 1 / len(expected))]
    if np.any(value):
        found.append(("sign", {key: (-value).tolist()}, "sign_flipped", 1 - 1 / len(expected)))
    matrices = [(k, v) for k, v in expected.items() if v.ndim == 2 and v.shape[0] != v.shape[1]]
    if matrices:
        k, v = matrices[0]
        found.append(("transposed", {k: v.T.tolist()}, "transposed", 1 - 1 / len(expected)))
    return found


@pytest.mark.parametrize("name, label, changes, kind, fraction",
                         [(name, *slip) for name, case in CASES for slip in slips(case)])
def test_each_slip_by_hand_is_named_and_costs_its_array(student, name, label, changes, kind,
                                                        fraction):
    case = CASE[name]
    with cell(student, answer_of(case, **changes)) as proc:
        result = by_hand_check(proc, case)
    assert result.kind == kind, result.message
    assert result.fraction == pytest.approx(fraction)
    assert name in result.message


def test_a_batch_factor_missing_by_hand_is_named():
    case = CASE["mse_loss"]
    dpred = (case.expected()["dpred"] * 2).tolist()  # forgot the 1/N of N = 2
    namespace = {case.variable: {"loss": 7.0, "dpred": dpred}}
    fraction, wrong = case.fraction_in(namespace)
    assert fraction == 0.5 and "2 times too large" in wrong[0]


def test_reading_the_answer_never_calls_it_and_stays_within_the_wires_bounds(student):
    case = CASE["affine_backward"]
    called = f"def {case.variable}():\n    import os\n    os._exit(3)\n"
    with cell(student, called) as proc:
        result = by_hand_check(proc, case)
        assert (result.fraction, result.kind) == (0.0, "wrong_structure")
        assert proc.call("affine_forward", np.ones((1, 2)), np.ones((2, 1)), np.ones(1))
    huge = f"{case.variable} = {{'dx': [0.0] * 2_000_000, 'dw': 1, 'db': 1}}"
    with cell(student, huge) as proc:
        result = by_hand_check(proc, case)
    assert result.fraction == 0.0


def test_numbers_that_are_not_plain_are_refused(student):
    case = CASE["affine_backward"]
    source = f"{case.variable} = {{'dx': 'two', 'dw': [[None], [4]], 'db': [float('nan')]}}"
    with cell(student, source) as proc:
        result = by_hand_check(proc, case)
    assert (result.fraction, result.kind) == (0.0, "not_numeric")


# ------------------------------------------------------------- the in-notebook hidden test

def reference_namespace():
    namespace = {"np": np}
    exec(reference_answer("Operation"), namespace)
    for name in solutions.GRADED_NAMES:
        exec(reference_answer(name), namespace)
    return namespace


@pytest.mark.parametrize("name", BACKWARDS)
def test_the_in_notebook_test_pays_the_graders_share(name):
    case = CASE[name]
    namespace = reference_namespace()
    exec(reference_answer(case.variable), namespace)
    assert run_hidden_check(name, namespace, points=POINTS) is None  # all right: full points
    namespace.pop(case.variable)
    with contextlib.redirect_stdout(io.StringIO()) as said:
        earned = run_hidden_check(name, namespace, points=POINTS)
    assert earned == pytest.approx(POINTS * (1 - case.share), abs=1e-6)
    assert case.variable in said.getvalue()
    namespace[name] = None  # the code gone too: nothing earned, the cell fails
    with pytest.raises(AssertionError):
        run_hidden_check(name, namespace, points=POINTS)


def test_the_in_notebook_test_pays_right_numbers_alone():
    case = CASE["affine_backward"]
    namespace = {"np": np}
    exec(reference_answer(case.variable), namespace)
    with contextlib.redirect_stdout(io.StringIO()):
        earned = run_hidden_check("affine_backward", namespace, points=POINTS)
    assert earned == pytest.approx(POINTS * case.share)


# ------------------------------------------------------------------------- the self-check

@pytest.mark.parametrize("stem", sorted(by_hand_cases()))
def test_the_self_check_says_which_arrays_are_right_without_their_numbers(stem):
    case = by_hand_cases()[stem]
    digests = case.digests()
    assert digests == {k: selfcheck.digest(v) for k, v in case.whole().items()}
    right = {k: v.tolist() for k, v in case.whole().items()}
    with contextlib.redirect_stdout(io.StringIO()) as said:
        assert selfcheck.check_by_hand(case.variable, right, digests) == len(digests)
    key = next(iter(right))
    wrong = dict(right, **{key: (np.asarray(right[key]) + 1).tolist()})
    with contextlib.redirect_stdout(io.StringIO()) as said:
        assert selfcheck.check_by_hand(case.variable, wrong, digests) == len(digests) - 1
    assert f"[{key!r}]: not right yet" in said.getvalue()
    for value in case.whole().values():  # no number of the answer is printed or held
        for number in [literal(x) for x in np.ravel(value) if "." in literal(x)]:
            assert number not in said.getvalue() and number not in case.selfcheck_source()


def test_the_digests_agree_on_rounding_to_three_significant_digits():
    assert digest([0.16425]) == selfcheck.digest([0.1643]) != selfcheck.digest([0.1653])
    assert digest([-0.0]) == selfcheck.digest([0.0])
    assert digest([[1.0, 2.0]]) != selfcheck.digest([1.0, 2.0])  # the shape counts


def test_a_case_declares_its_share_from_its_weight():
    case = ByHand("affine_backward", "affine", lambda: {"dx": 1.0}, beside=3.0)
    assert case.share == pytest.approx(1 / 4)
