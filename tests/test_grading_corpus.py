"""The grader's corpus: realistic wrong submissions, correct ones written very differently,
cheating attempts and broken files, each with the score and the diagnosis it must get.

One class of hw2_layers submissions is graded once (in parallel, through the whole
pipeline: gradebook, feedback, JSON); every case below is a test on its report.
"""
import json
import shutil

import nbformat
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from notebook_utils import ROOT

from autograder.round.pipeline import grade_all
from autograder.round.samples import (EINSUM_AFFINE, EINSUM_AFFINE_BACKWARD, LOOPS_RELU,
                                UNSTABLE_SOFTMAX, Sample, demo_class, reference_answer,
                                with_bug, write_submission)
from autograder.sandbox.runner import Limits

A = "hw2_layers"
FULL, ZERO = 1.0, 0.0

ALT = {
    "relu_backward": "def relu_backward(dout, cache):\n    return np.where(cache > 0, dout, 0.0)\n",
    "sigmoid_forward": ("def sigmoid_forward(x):\n    out = 0.5 * (1 + np.tanh(x / 2))\n"
                        "    return out, {'s': out}\n"),
    "sigmoid_backward": ("def sigmoid_backward(dout, cache):\n    s = cache['s']\n"
                         "    return dout * s * (1 - s)\n"),
    "softmax_loss": ("def softmax_loss(x, y):\n    from math import fsum\n"
                     "    z = x - x.max(axis=1, keepdims=True)\n"
                     "    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
                     "    n = x.shape[0]\n    onehot = np.eye(x.shape[1])[y]\n"
                     "    loss = -fsum((logp * onehot).ravel()) / n\n"
                     "    return loss, (np.exp(logp) - onehot) / n\n"),
}

HOSTILE = {  # each attack in a function of its own; the forward it needs stays honest
    "affine_backward": "def affine_backward(dout, cache):\n    import solutions\n    return solutions.affine_backward(dout, cache)\n",
    "relu_backward": "def relu_backward(dout, cache):\n    big = np.ones(int(40e9) // 8)\n    return dout * big[:1]\n",
    "leaky_relu_backward": "def leaky_relu_backward(dout, cache):\n    import os\n    os._exit(0)\n",
    "sigmoid_backward": "def sigmoid_backward(dout, cache):\n    from backproplab import gradcheck\n    return gradcheck.gradient_check(lambda s: s, [cache], [dout], dout)\n",
    "tanh_forward": "def tanh_forward(x):\n    import sys\n    sys.setrecursionlimit(100000)\n    return tanh_forward(x)\n",
    "softmax_loss": "def softmax_loss(x, y):\n    import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass\n",
    "mse_loss": ("def mse_loss(pred, target):\n"
                 f"    exec(open({str(ROOT / 'solutions' / 'losses.py')!r}).read())\n"
                 "    return mse_loss(pred, target)\n"),
    "bce_loss": "def bce_loss(prob, target):\n    import os\n    os.kill(os.getppid(), 9)\n",
    "backprop": "def backprop(layers, x, y, loss_fn):\n    import os\n    os.fork()\n",
}
HOSTILE_CELLS = [
    "np.allclose = lambda *a, **k: True\nimport builtins\nbuiltins.abs = lambda v: 0\n",
    "print('x' * 10_000_000)\nopen('/tmp/stolen', 'w').write('x')\n",
    "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
    "import os\nos._exit(3)\n",
]


def corpus():
    return [
        *[s for s in demo_class() if s.student in ("ada", "ben", "cleo", "hana")],
        Sample("alt", "correct, another formulation everywhere", answers=ALT),
        Sample("transposed", "dw transposed", answers={
            "affine_backward": with_bug("affine_backward", "dw = x_flat.T @ dout", "dw = (x_flat.T @ dout).T")}),
        Sample("unsummed", "db not summed", answers={
            "affine_backward": with_bug("affine_backward", "db = dout.sum(axis=0)", "db = dout")}),
        Sample("flat_dx", "dx left flattened", answers={
            "affine_backward": with_bug("affine_backward", "dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T")}),
        Sample("zeros", "relu derivative 1 at 0", answers={
            "relu_backward": with_bug("relu_backward", "(x > 0)", "(x >= 0)")}),
        Sample("sign", "sigmoid backward sign flipped", answers={
            "sigmoid_backward": with_bug("sigmoid_backward", "dx = dout * s", "dx = -dout * s")}),
        Sample("overflow", "softmax without the shift", answers={"softmax_loss": UNSTABLE_SOFTMAX}),
        Sample("batch", "mse gradient without 1/N", answers={
            "mse_loss": with_bug("mse_loss", "dpred = 2.0 * diff / n", "dpred = 2.0 * diff")}),
        Sample("double", "tanh gradient doubled", answers={
            "tanh_backward": with_bug("tanh_backward", "dx = dout * (1.0 - t * t)", "dx = 2 * dout * (1.0 - t * t)")}),
        Sample("mutates", "relu forward clips x in place", answers={
            "relu_forward": "def relu_forward(x):\n    np.maximum(x, 0.0, out=x)\n    return x.copy(), x.copy()\n"}),
        Sample("fwdbug", "sigmoid forward wrong, backward consistent with it", answers={
            "sigmoid_forward": "def sigmoid_forward(x):\n    out = np.tanh(x)\n    return out, out\n",
            "sigmoid_backward": "def sigmoid_backward(dout, cache):\n    return dout * (1 - cache * cache)\n"}),
        Sample("hostile", "attacks the grader from every function", answers=HOSTILE,
               extra_cells=HOSTILE_CELLS),
        Sample("zeros_everywhere", "forward and backward return zeros: consistent, but empty",
               answers={"relu_forward": "def relu_forward(x):\n    return np.zeros_like(x), x\n",
                        "relu_backward": "def relu_backward(dout, cache):\n    return np.zeros_like(dout)\n",
                        "mse_loss": "def mse_loss(pred, target):\n    return 0.0, np.zeros_like(pred)\n"}),
        Sample("twice", "affine_forward defined wrong, then right", extra_cells=[
            reference_answer("affine_forward")], answers={
                "affine_forward": "def affine_forward(x, w, b):\n    return x, (x, w)\n"}),
    ]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for sample in corpus():
        write_submission(course, A, sample)
    edits(course)
    limits = Limits(cell_seconds=4, call_seconds=4)
    reports = grade_all(course, A, jobs=2, json_path=course / "report.json", limits=limits,
                        progress=False)
    return course, reports


def edits(course):
    """Submissions damaged by hand: renamed, stray files, deleted and edited locked cells."""
    folder = course / "submitted"
    shutil.copytree(folder / "ada" / A, folder / "renamed" / A)
    (folder / "renamed" / A / f"{A}.ipynb").rename(folder / "renamed" / A / "my work (1).ipynb")
    (folder / "renamed" / A / "notes.txt").write_text("stray")
    shutil.copytree(folder / "ada" / A, folder / "tampered" / A)
    path = folder / "tampered" / A / f"{A}.ipynb"
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    locked = [c for c in cells if c["metadata"].get("nbgrader", {}).get("locked")
              and c["cell_type"] == "code" and not c["metadata"]["nbgrader"].get("grade")
              and not c["metadata"]["nbgrader"]["grade_id"].startswith("selfcheck_")]
    cells.remove(locked[0])                       # the set-up cell (imports) deleted
    tests = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]
    tests[0]["source"] = "pass"                   # a test cell edited
    cells.remove(tests[1])                        # a test cell deleted
    answer = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == "relu_forward")
    cells.append(json.loads(json.dumps(answer)))  # an answer cell duplicated
    path.write_text(json.dumps(nb))
    shutil.copytree(folder / "ada" / A, folder / "emptied" / A)
    (folder / "emptied" / A / f"{A}.ipynb").unlink()
    ada = folder / "ada" / A / f"{A}.ipynb"
    (folder / "oldformat" / A).mkdir(parents=True)
    v3 = nbformat.convert(nbformat.read(ada, as_version=4), 3)
    (folder / "oldformat" / A / f"{A}.ipynb").write_text(nbformat.writes(v3, version=3))
    (folder / "future" / A).mkdir(parents=True)
    future = json.loads(ada.read_text())
    future["nbformat"] = 9
    (folder / "future" / A / f"{A}.ipynb").write_text(json.dumps(future))


def fraction(report, name):
    f = report["functions"][name]
    return f["score"] / f["max_score"]


def kinds(report, name):
    return {c["kind"] for c in report["functions"][name]["checks"] if c["score"] < c["max_score"]}


GRADED = ["affine_forward", "affine_backward", "relu_forward", "relu_backward",
          "leaky_relu_forward", "leaky_relu_backward", "sigmoid_forward", "sigmoid_backward",
          "tanh_forward", "tanh_backward", "softmax_loss", "mse_loss", "bce_loss", "backprop"]


@pytest.mark.parametrize("student", ["ada", "ben", "alt", "renamed", "tampered", "twice",
                                     "oldformat"])
def test_correct_submissions_get_full_marks_however_written(graded, student):
    report = graded[1][student]
    assert {n: fraction(report, n) for n in GRADED} == {n: FULL for n in GRADED}


def test_blank_notebook_scores_zero_and_says_not_implemented(graded):
    report = graded[1]["cleo"]
    for name in GRADED:
        assert fraction(report, name) == ZERO
        assert kinds(report, name) == {"not_implemented"}, name


# Backward checks weigh 3 (finite differences of your forward), 3 (reference, every case
# and gradient), 1 (shapes), 1 (arguments unchanged); forward 4 (values) and 1; losses 3, 3, 3,
# 1, and 1 for "stays finite without overflow" (softmax_loss, bce_loss, sigmoid and tanh
# forward). Shapes, arguments and stability pay only when the function earns value or
# gradient credit (a sign-flipped or doubled backward earns nothing). Hidden cases (see
# autograder/hidden_inputs.py): affine and the elementwise layers 4 each (the last one large),
# softmax_loss and mse_loss 4 (the last one large).
@pytest.mark.parametrize("student, function, kind, expected", [
    ("transposed", "affine_backward", "transposed", (3 * 2 / 3 + 3 * 8 / 12 + 0 + 1) / 8),
    ("unsummed", "affine_backward", "not_summed_over_batch", (3 * 2 / 3 + 3 * 8 / 12 + 0 + 1) / 8),
    # dx is right where x has one axis per example (2 of the 4 cases)
    ("flat_dx", "affine_backward", "wrong_shape", (3 + 3 * 10 / 12 + 0 + 1) / 8),
    ("zeros", "relu_backward", "wrong_at_zeros", (3 + 3 * 3 / 4 + 1 + 1) / 8),
    ("sign", "sigmoid_backward", "sign_flipped", 0.0),
    # NaN on the scores of magnitude 1e3 only; NumPy warns there (not stable)
    ("overflow", "softmax_loss", "overflow", (3 * 3 / 4 + 3 + 3 * 3 / 4 + 1 + 0) / 11),
    # dpred right on the batch of one only
    ("batch", "mse_loss", "scaled_by_batch", (3 + 0 + 3 * 1 / 4 + 1) / 10),
    ("double", "tanh_backward", "scaled_by_2", 0.0),
    ("mutates", "relu_forward", "input_mutated", (4 + 0) / 5),
    ("fwdbug", "sigmoid_forward", "wrong_values", 0.0),
])
def test_each_mistake_costs_its_points_and_is_named(graded, student, function, kind, expected):
    report = graded[1][student]
    assert fraction(report, function) == pytest.approx(expected, abs=1e-6), report["functions"][function]
    assert kind in kinds(report, function)
    others = [n for n in GRADED if n != function and not (student == "fwdbug" and n == "sigmoid_backward")]
    assert all(fraction(report, n) == FULL for n in others), \
        {n: fraction(report, n) for n in others if fraction(report, n) < FULL}


def test_zeros_from_forward_and_backward_earn_no_finite_difference_credit(graded):
    report = graded[1]["zeros_everywhere"]
    for name in ("relu_backward", "mse_loss"):
        checks = {c["name"]: c for c in report["functions"][name]["checks"]}
        fd = [c for n, c in checks.items() if "finite differences" in n][0]
        assert fd["score"] == 0 and fd["kind"] == "forward_ignores_input"
        assert fraction(report, name) <= 0.25


def test_a_backward_consistent_with_a_forward_that_is_never_right_earns_nothing(graded):
    """Finite differences of the student's own forward pay only when that forward is right on
    at least one hidden case (tests/test_corpus_layers.py has one that is, and is paid)."""
    checks = graded[1]["fwdbug"]["functions"]["sigmoid_backward"]["checks"]
    fd = next(c for c in checks if c["name"] == "matches finite differences of your forward")
    assert fd["score"] == 0 and fd["kind"] == "forward_wrong"
    assert fraction(graded[1]["fwdbug"], "sigmoid_backward") == ZERO


@pytest.mark.parametrize("function, kind", [
    ("affine_backward", "forbidden"), ("relu_backward", "memory"),
    ("leaky_relu_backward", "crashed"), ("sigmoid_backward", "uses_student_package"),
    ("tanh_forward", "recursion"), ("tanh_backward", "recursion"), ("softmax_loss", "timeout"),
    ("mse_loss", "forbidden"), ("bce_loss", "forbidden"), ("backprop", "forbidden"),
])
def test_attacks_earn_nothing_and_are_named(graded, function, kind):
    report = graded[1]["hostile"]
    assert fraction(report, function) == ZERO, report["functions"][function]
    assert kind in kinds(report, function)


def test_attacks_do_not_touch_the_honest_functions(graded):
    report = graded[1]["hostile"]
    for name in ("affine_forward", "relu_forward", "leaky_relu_forward", "sigmoid_forward"):
        assert fraction(report, name) == FULL, report["functions"][name]
    assert {"cell_failed"} <= {f["code"] for f in report["flags"]}
    assert not Path("/tmp/stolen").exists()


def test_broken_and_missing_notebooks_are_flagged_not_silently_zero(graded):
    course, reports = graded
    assert "old_nbformat" in {f["code"] for f in reports["oldformat"]["flags"]}
    for student, code in [("hana", "not_json"), ("emptied", "missing_notebook"),
                          ("future", "bad_nbformat")]:
        report = reports[student]
        assert code in {f["code"] for f in report["flags"]}
        assert report["errors"]
        assert all(kinds(report, n) == {"unreadable_notebook"} for n in GRADED)
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        grades = gb.find_submission(A, "hana").notebooks[0].grades
        tests = [g for g in grades if g.name.startswith("test_")]
        assert tests and all(g.auto_score is None and g.needs_manual_grade for g in tests)
        ada = gb.find_submission(A, "ada")
        assert ada.code_score == ada.max_code_score > 0
    assert (course / "autograded" / "ada" / A / f"{A}.ipynb").exists()  # for formgrader
    assert not (course / "autograded" / "hana" / A / f"{A}.ipynb").exists()


def test_odd_submissions_are_graded_with_warnings(graded):
    reports = graded[1]
    assert "renamed" in {f["code"] for f in reports["renamed"]["flags"]}
    assert "stray_files" in {f["code"] for f in reports["renamed"]["flags"]}
    tampered = {f["code"] for f in reports["tampered"]["flags"]}
    assert {"locked_cell_deleted", "duplicated_cell"} <= tampered
    assert "defined_twice" in {f["code"] for f in reports["twice"]["flags"]}


def test_feedback_shows_diagnoses_but_no_hidden_test_or_reference(graded):
    course, _ = graded
    page = (course / "feedback" / "transposed" / A / "feedback.html").read_text()
    assert "transpose" in page and "affine_backward" in page
    for secret in ("BEGIN HIDDEN", "run_hidden_check", "x_flat.T @ dout", "solutions"):
        assert secret not in page


def test_json_report_has_the_documented_shape(graded):
    course, reports = graded
    data = json.loads((course / "report.json").read_text())
    student = data["students"]["ada"]
    assert {"score", "max_score", "functions", "errors"} <= set(student)
    check = student["functions"]["affine_backward"]["checks"][0]
    assert {"name", "score", "max_score", "message"} <= set(check)
    assert set(data["students"]) == set(reports)


def test_regrading_is_idempotent_and_a_killed_run_resumes(graded):
    from autograder.round.pipeline import report_path
    course, reports = graded
    paths = {s: report_path(course, A, s) for s in reports}
    stamps = {s: p.stat().st_mtime_ns for s, p in paths.items()}
    paths["zeros"].unlink()                       # as if the run was killed before "zeros"
    again = grade_all(course, A, jobs=1, progress=False)
    assert set(again) == set(reports)
    assert {s: r["functions"] for s, r in again.items()} == \
        {s: r["functions"] for s, r in reports.items()}
    regraded = {s for s, p in paths.items() if p.stat().st_mtime_ns != stamps[s]}
    assert regraded == {"zeros"}
