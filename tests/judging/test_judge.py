"""A judge no honest bug can crash, and replies validated before the judge sees them.

A student whose cells are the reference solution but for one function that returns NaN, inf,
a string, None, a ragged list, a huge or an object array, or raises an exception whose class
name is 4 MB long or spells out its input, is graded in a real contained process by the real
checks: the broken function's checks get a named diagnosis, every other function keeps its
exact score, nothing of the hidden inputs reaches the report or the feedback, and the
feedback stays under its cap. (The replies themselves: tests/sandbox/test_wire.py.)
"""
import json
import re

import pytest

import solutions
from autograder.assignments.hw2_layers import relu
from autograder.judging.grades import MAX_MESSAGE, CheckSpec, FunctionGrade
from autograder.judging.judge import Judge, failure, guarded, one_check
from autograder.judging.pairs import case_inputs
from autograder.judging.registry import all_checks
from autograder.round import feedback
from autograder.round.samples import reference_answer
from autograder.sandbox.runner import Limits, StudentError, StudentProcess

SEED = 424242
LIMITS = Limits(call_seconds=5, cell_seconds=5)
HW2 = solutions.ASSIGNMENTS["hw2_layers"]
MIXED = ["Add", "Multiply", "example_forward_backward", "dropout_forward", "dropout_backward",
         "l2_penalty", "sgd_step"]
PREAMBLE = ["import numpy as np"]


def grade_student(names, answers=None):
    """{name: FunctionGrade} of a student whose cells are the reference but for ``answers``."""
    answers = answers or {}
    sources = PREAMBLE + ([reference_answer("Operation")] if "Add" in names else [])
    sources += [answers.get(name, reference_answer(name)) for name in names]
    grades = {}
    with StudentProcess(list(enumerate(sources)), LIMITS) as proc:
        judge = Judge(proc, SEED)
        for name in names:
            proc.begin(name)
            grades[name] = FunctionGrade(name, 3.0, all_checks()[name](judge))
    return grades


def affected(names):
    """The functions a broken one may cost: itself, and the backward checked against it."""
    return set(names) | {n.replace("_forward", "_backward") for n in names}


def messages(report):
    return "\n".join(f"{c['name']}: {c['message']}" for f in report["functions"].values()
                     for c in f["checks"])


def report_of(grades):
    functions = {name: grade.as_report() for name, grade in grades.items()}
    return {"score": sum(f["score"] for f in functions.values()),
            "max_score": sum(f["max_score"] for f in functions.values()),
            "functions": functions, "flags": []}


@pytest.fixture(scope="module")
def reference_scores():
    return {group: {name: grade.score for name, grade in grade_student(names).items()}
            for group, names in (("hw2", HW2), ("mixed", MIXED))}


def hidden_values():
    """Strings of the hidden inputs relu_forward is called with (what must never leak)."""
    judge = Judge(None, SEED)
    pair = relu.PAIR
    values = []
    for case in pair.cases:
        (x,), _ = case_inputs(judge, pair, case)
        values += [v for v in x.ravel()[:6] if v != 0]
    return {text for v in values for text in (repr(float(v)), f"{v:.6f}", f"{v:.4f}")}


NAN_NEAR_SEEN = (  # NaN only close to a point seen before: only finite differences see it
    "LAST = {}\n"
    "def relu_forward(x):\n"
    "    out = np.maximum(x, 0.0)\n"
    "    prev = LAST.get(x.shape)\n"
    "    LAST[x.shape] = x.copy()\n"
    "    if prev is not None and 0 < np.max(np.abs(x - prev)) < 1e-3:\n"
    "        out = out * np.nan\n"
    "    return out, x\n")
NAMED_AFTER_INPUT = (
    "def relu_forward(x):\n"
    "    name = repr(x.ravel()[:6].tolist())\n"
    "    raise type(name, (ValueError,), {})(repr(x))\n")
RELU = "def relu_forward(x):\n    return {}, x\n"

# case: (names, {name: source}, {graded name: {check title: diagnosis kind}}, names whose
# score may change besides the broken one)
CASES = {
    "forward returns NaN": (HW2, {"relu_forward": RELU.format("x * np.nan")}, {
        "relu_forward": {"values on hidden inputs": "nan_or_inf"},
        "relu_backward": {"matches finite differences of your forward": "not_finite"}}),
    "forward returns NaN only near a point it saw": (HW2, {"relu_forward": NAN_NEAR_SEEN}, {
        "relu_backward": {"matches finite differences of your forward": "not_finite"}}),
    "forward returns inf": (HW2, {"relu_forward": RELU.format("x * np.inf")}, {
        "relu_forward": {"values on hidden inputs": "nan_or_inf"},
        "relu_backward": {"matches finite differences of your forward": "not_finite"}}),
    "forward returns a string": (HW2, {"relu_forward": RELU.format("'not done'")}, {
        "relu_forward": {"values on hidden inputs": "not_numeric"},
        "relu_backward": {"matches finite differences of your forward": "not_numeric"}}),
    "forward returns None": (HW2, {"relu_forward": "def relu_forward(x):\n    return None\n"}, {
        "relu_forward": {"values on hidden inputs": "wrong_structure"},
        "relu_backward": {"matches finite differences of your forward": "wrong_structure"}}),
    "forward returns a ragged list": (HW2, {"relu_forward": RELU.format("[[1.0, 2.0], [3.0]]")}, {
        "relu_forward": {"values on hidden inputs": "not_numeric"},
        "relu_backward": {"matches finite differences of your forward": "not_numeric"}}),
    "forward returns a huge array": (HW2, {"relu_forward": RELU.format("np.zeros(6_000_000)")}, {
        "relu_forward": {"values on hidden inputs": "wrong_shape"},
        "relu_backward": {"matches finite differences of your forward": "raised"}}),
    "forward returns an array beyond the wire's caps": (
        HW2, {"relu_forward": RELU.format("np.zeros((1,) * 9)")}, {
            "relu_forward": {"values on hidden inputs": "crashed"},
            "relu_backward": {"matches finite differences of your forward": "crashed"}}),
    "forward returns an object array": (
        HW2, {"relu_forward": RELU.format("np.array([object()] * 3)")}, {
            "relu_forward": {"values on hidden inputs": "not_numeric"},
            "relu_backward": {"matches finite differences of your forward": "not_numeric"}}),
    "forward returns complex numbers": (HW2, {"relu_forward": RELU.format("x + 0j")}, {
        "relu_forward": {"values on hidden inputs": "crashed"}}),
    "forward returns an object of a class with a 200-character name": (
        HW2, {"relu_forward": RELU.format("type('K' * 200, (), {})()")}, {
            "relu_forward": {"values on hidden inputs": "bad_reply"}}),
    "forward raises a class with a 4 MB name": (
        HW2, {"relu_forward": "def relu_forward(x):\n    raise type('E' * 4_000_000, (Exception,), {})()\n"},
        {"relu_forward": {"values on hidden inputs": "raised"},
         "relu_backward": {"matches finite differences of your forward": "raised"}}),
    "forward raises a class named after its input": (HW2, {"relu_forward": NAMED_AFTER_INPUT}, {
        "relu_forward": {"values on hidden inputs": "raised"}}),
    "backward returns a ragged gradient": (HW2, {"affine_backward": (
        "def affine_backward(dout, cache):\n    x, w = cache\n"
        "    return [[1.0, 2.0], [3.0]], x.reshape(len(x), -1).T @ dout, dout.sum(axis=0)\n")}, {
        "affine_backward": {"matches finite differences of your forward": "not_numeric",
                            "gradient shapes": "not_numeric"}}),
    "backward returns a tuple of the wrong length": (HW2, {"affine_backward": (
        "def affine_backward(dout, cache):\n    x, w = cache\n    return dout @ w.T, None\n")}, {
        "affine_backward": {"matches the reference gradients": "wrong_structure"}}),
    "loss returns NaN": (HW2, {"softmax_loss": "def softmax_loss(x, y):\n    return np.nan, x\n"}, {
        "softmax_loss": {"loss values on hidden inputs": "nan_or_inf",
                         "gradient matches finite differences of your loss": "not_finite"}}),
    "loss returns a string": (HW2, {"mse_loss": "def mse_loss(p, t):\n    return 'small', p - t\n"}, {
        "mse_loss": {"loss values on hidden inputs": "not_numeric",
                     "gradient matches finite differences of your loss": "not_numeric"}}),
    "op forward returns NaN": (MIXED, {"Multiply": (
        "class Multiply(Operation):\n    def forward(self, a, b):\n        return a * b * np.nan\n"
        "    def backward(self, g):\n        a, b = self.inputs\n        return g * b, g * a\n")}, {
        "Multiply": {"backward matches finite differences of your forward": "not_finite"}}),
    "example returns NaN": (MIXED, {"example_forward_backward": (
        "def example_forward_backward(x, z):\n    return float('nan'), 1.0, 2.0\n")}, {
        "example_forward_backward": {"gradients match finite differences of your y": "not_finite"}}),
    "dropout forward returns inf": (MIXED, {"dropout_forward": (
        "def dropout_forward(x, p, train, rng):\n    return x * np.inf, None\n")}, {
        "dropout_forward": {"kept units scaled as inverted dropout asks": "nan_or_inf"},
        "dropout_backward": {"matches finite differences of your forward": "forward_unusable"}}),
    "l2 loss returns NaN": (MIXED, {"l2_penalty": (
        "def l2_penalty(params, reg):\n    return np.nan, [2 * reg * p for p in params]\n")}, {
        "l2_penalty": {"grads match finite differences of your loss": "not_finite"}}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_honest_bug_costs_only_its_own_checks(reference_scores, case):
    names, answers, expected = CASES[case]
    grades = grade_student(names, answers)
    reference = reference_scores["hw2" if names is HW2 else "mixed"]
    broken = affected(set(expected) | set(answers))
    for name, kinds in expected.items():
        checks = {c.name: c for c in grades[name].checks}
        for title, kind in kinds.items():
            assert checks[title].kind == kind and checks[title].fraction < 1, \
                (name, title, checks[title])
        assert not any(c.kind == "grader_error" for c in checks.values()), checks
    others = {n: grades[n].score for n in names if n not in broken}
    assert others == {n: reference[n] for n in others}
    report = report_of(grades)
    for function in report["functions"].values():
        assert all(len(c["message"]) <= MAX_MESSAGE for c in function["checks"])
    text = messages(report)
    html = feedback.render("student", "assignment", report)
    assert len(html.encode()) < 100_000 and len(json.dumps(report)) < 100_000
    for leak in hidden_values():
        assert leak not in text and leak not in html, leak
    assert not re.search(r"\d\.\d{5,}", text), "a hidden float in a message"
    assert "EEEEEEEEEE" not in text and "KKKKKKKKKK" not in text


def test_a_class_named_after_the_input_is_not_shown(reference_scores):
    grades = grade_student(["relu_forward"], {"relu_forward": NAMED_AFTER_INPUT})
    message = grades["relu_forward"].checks[0].message
    assert "a class defined in your code (a ValueError)" in message, message
    assert "[" not in message


def test_failure_shows_only_builtin_exception_names():
    made_up = StudentError("exception", "E_0.123: 0.123", error="E_0.123",
                           mro=["E_0.123", "KeyError", "LookupError", "Exception"])
    assert "0.123" not in failure(made_up, "f").message
    assert "(a KeyError)" in failure(made_up, "f").message
    builtin = StudentError("exception", "ValueError: x = 0.123", error="ValueError",
                           mro=["ValueError", "Exception"])
    message = failure(builtin, "f").message
    assert "raised ValueError" in message and "0.123" not in message
    crashed = StudentError("crashed", "the grading process stopped\n" + "secret " * 10_000)
    assert "secret" not in failure(crashed, "f").message


def test_an_unforeseen_failure_costs_only_its_check_or_function():
    def broken(*args):
        raise ValueError("a value the judge did not foresee: 0.123456")
    check = one_check(CheckSpec("a check", "value", 2))(broken)(None)
    assert (check.weight, check.fraction, check.kind) == (2, 0.0, "grader_error")
    [check] = guarded(broken, "f")(Judge(None, SEED))
    assert check.kind == "grader_error" and "0.123456" not in check.message

    def raising(kind):
        def check(judge):
            raise StudentError(kind, "E: 0.5", error="E", mro=["E", "Exception"])
        return check
    [check] = guarded(raising("exception"), "f")(Judge(None, SEED))
    assert check.kind == "raised" and "0.5" not in check.message
    with pytest.raises(StudentError):  # out of time: the grading loop says so
        guarded(raising("budget"), "f")(Judge(None, SEED))


def test_feedback_is_capped_whatever_the_report_holds():
    check = {"name": "c", "score": 0.0, "max_score": 1.0, "message": "<" * 1_000_000}
    report = {"score": 0.0, "max_score": 1.0, "flags": [{"message": "x" * 1_000_000}],
              "functions": {f"f{i}": {"score": 0.0, "max_score": 1.0, "checks": [check] * 50}
                            for i in range(200)}}
    html = feedback.render("s", "a", report)
    assert len(html.encode()) <= feedback.MAX_HTML
    assert "cut short" in html and "x" * (feedback.MAX_TEXT + 1) not in html
