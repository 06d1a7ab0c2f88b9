"""hw2_layers as a class: students who write many of its functions their own way, the whole
class graded once through the pipeline (the ``graded`` fixture, see support.py: gradebook,
feedback, the JSON report), the submissions damaged by hand, the attacks, and what the
pipeline does with all of them.

Each function's own slips are in the module named by it (test_affine.py, ...); this class
holds them all, with the demo's class (ada, ben, cleo, hana, ...).
"""
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from support import ROOT, code_fraction, corpus_test, fraction

from autograder.round.pipeline import grade_all, report_path
from autograder.round.samples import Sample, reference_answer

A = "hw2_layers"
FULL, ZERO = 1.0, 0.0

PY2_SHIM = """\
from __future__ import print_function, division
try:
    xrange
except NameError:  # Python 3
    xrange = range
"""


PRELU_BACKWARD_LOOPS = '''\
def prelu_backward(dout, cache):
    x, alpha = cache
    N, D = x.shape
    dx = np.zeros((N, D))
    dalpha = np.zeros(D)
    for i in xrange(N):
        for j in xrange(D):
            if x[i, j] > 0:
                dx[i, j] = dout[i, j]
            else:
                dx[i, j] = alpha[j] * dout[i, j]
                dalpha[j] += x[i, j] * dout[i, j]
    return dx, dalpha
'''


LOOPS = {  # a student who writes every layer with explicit loops
    "affine_forward": '''\
def affine_forward(x, w, b):
    N = x.shape[0]
    D = int(np.prod(x.shape[1:]))
    M = w.shape[1]
    x_rows = x.reshape(N, D)
    out = np.zeros((N, M))
    for i in xrange(N):
        for j in xrange(M):
            out[i, j] = np.dot(x_rows[i], w[:, j]) + b[j]
    cache = (x, w, b)
    return out, cache
''',
    "affine_backward": '''\
def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_rows = x.reshape(N, -1)
    dx_rows = np.zeros_like(x_rows)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for i in xrange(N):
        dx_rows[i] = w.dot(dout[i])
        dw += np.outer(x_rows[i], dout[i])
        db += dout[i]
    dx = dx_rows.reshape(x.shape)
    return dx, dw, db
''',
    "relu_forward": '''\
def relu_forward(x):
    out = x.copy()
    flat = out.reshape(-1)
    for i in xrange(flat.shape[0]):
        if flat[i] < 0:
            flat[i] = 0.0
    cache = x
    return out, cache
''',
    "relu_backward": '''\
def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    flat_x, flat_dx = x.reshape(-1), dx.reshape(-1)
    for i in xrange(flat_x.shape[0]):
        if flat_x[i] <= 0:
            flat_dx[i] = 0.0
    return dx
''',
    "prelu_forward": '''\
def prelu_forward(x, alpha):
    N, D = x.shape
    out = np.empty((N, D))
    for i in xrange(N):
        for j in xrange(D):
            if x[i, j] > 0:
                out[i, j] = x[i, j]
            else:
                out[i, j] = alpha[j] * x[i, j]
    return out, (x, alpha)
''',
    "prelu_backward": PRELU_BACKWARD_LOOPS,
    "sigmoid_forward": '''\
import math

def sigmoid_forward(x):
    out = np.empty_like(x)
    for idx, v in np.ndenumerate(x):
        if v >= 0:
            out[idx] = 1.0 / (1.0 + math.exp(-v))
        else:
            e = math.exp(v)
            out[idx] = e / (1.0 + e)
    return out, out
''',
    "softmax_loss": '''\
def softmax_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in xrange(N):
        scores = x[i] - np.max(x[i])
        log_sum = np.log(np.sum(np.exp(scores)))
        loss += log_sum - scores[y[i]]
        dx[i] = np.exp(scores - log_sum)
        dx[i, y[i]] -= 1
    return loss / N, dx / N
''',
    "mse_loss": '''\
def mse_loss(pred, target):
    N = pred.shape[0]
    total = 0.0
    dpred = np.zeros_like(pred)
    for i in xrange(N):
        diff = pred[i] - target[i]
        total += np.sum(diff ** 2)
        dpred[i] = 2 * diff / N
    return total / N, dpred
''',
}


VECTORISED = {  # correct, with other formulations everywhere
    "affine_forward": '''\
def affine_forward(x, w, b):
    out = np.tensordot(x.reshape(len(x), -1), w, axes=1) + b
    return out, (x, w, b)
''',
    "affine_backward": '''\
def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.tensordot(dout, w, axes=(1, 1)).reshape(x.shape)
    dw = np.tensordot(x.reshape(len(x), -1), dout, axes=(0, 0))
    db = dout.sum(0)
    return dx, dw, db
''',
    "relu_forward": "def relu_forward(x):\n    return np.clip(x, 0, None), x\n",
    "relu_backward": "def relu_backward(dout, cache):\n    return dout * np.heaviside(cache, 0.0)\n",
    "leaky_relu_forward": '''\
def leaky_relu_forward(x, alpha=0.01):
    return np.maximum(alpha * x, x), (x, alpha)
''',
    "leaky_relu_backward": '''\
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)
''',
    "prelu_forward": '''\
def prelu_forward(x, alpha):
    slope = np.where(x > 0, 1.0, alpha[np.newaxis, :])
    return slope * x, (x, slope)
''',
    "prelu_backward": '''\
def prelu_backward(dout, cache):
    x, slope = cache
    dx = dout * slope
    dalpha = np.where(x > 0, 0.0, x * dout).sum(axis=0)
    return dx, dalpha
''',
    "sigmoid_forward": '''\
def sigmoid_forward(x):
    out = np.exp(-np.logaddexp(0.0, -x))   # 1 / (1 + e^-x) without overflow
    return out, out
''',
    "tanh_forward": "def tanh_forward(x):\n    return np.tanh(x), x\n",
    "tanh_backward": "def tanh_backward(dout, cache):\n    return dout * (1 - np.tanh(cache) ** 2)\n",
    "softmax_loss": '''\
def softmax_loss(x, y):
    n = len(y)
    log_norm = np.logaddexp.reduce(x, axis=1, keepdims=True)
    log_p = x - log_norm
    loss = -np.mean(log_p[np.arange(n), y])
    dx = np.exp(log_p)
    dx[np.arange(n), y] -= 1
    return loss, dx / n
''',
    "mse_loss": '''\
def mse_loss(pred, target):
    n = pred.shape[0]
    return np.sum(np.square(pred - target)) / n, 2 * (pred - target) / n
''',
    "bce_loss": '''\
def bce_loss(prob, target):
    p = np.clip(prob, 1e-10, 1 - 1e-10)
    n = prob.size
    loss = -np.sum(target * np.log(p) + (1 - target) * np.log1p(-p)) / n
    return loss, (p - target) / (p * (1 - p) * n)
''',
}


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


def edit_submissions(course):
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


CORPUS = [
    Sample("c2_loops", "explicit loops everywhere, Python-2 shims", answers=LOOPS,
           extra_cells=[PY2_SHIM]),
    Sample("c2_vectorised", "other vectorised formulations, stable sigmoid and softmax",
           answers=VECTORISED),
    Sample("alt", "correct, another formulation everywhere", answers=ALT),
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

# {student: {function: (fraction of its points, the diagnosis kind it must show)}};
# every other function of the assignment gets full marks.
EXPECTED = {
    "c2_loops": {},
    "c2_vectorised": {},
}


def kinds(report, name):
    """The first kind of each check of ``name`` that did not pay in full."""
    return {c["kind"] for c in report["functions"][name]["checks"] if c["score"] < c["max_score"]}


GRADED = ["affine_forward", "affine_backward", "relu_forward", "relu_backward",
          "leaky_relu_forward", "leaky_relu_backward", "sigmoid_forward", "sigmoid_backward",
          "tanh_forward", "tanh_backward", "softmax_loss", "mse_loss", "bce_loss", "backprop"]


def assert_costs_its_points(report, function, kind, expected, spared=()):
    """A slip in ``function`` costs it ``expected`` (a fraction of its points) and is named
    ``kind`` (a check's first kind); every other function of GRADED but ``spared`` keeps
    full marks. The test modules of hw2's functions use it for their slips."""
    assert fraction(report, function) == pytest.approx(expected, abs=1e-6), \
        report["functions"][function]
    assert kind in kinds(report, function)
    others = [n for n in GRADED if n != function and n not in spared]
    assert all(fraction(report, n) == FULL for n in others), \
        {n: fraction(report, n) for n in others if fraction(report, n) < FULL}


test_each_submission_gets_its_exact_scores_and_diagnoses = corpus_test(A, EXPECTED)


@pytest.mark.parametrize("student", ["ada", "ben", "alt", "renamed", "tampered", "twice",
                                     "oldformat"])
def test_correct_submissions_get_full_marks_however_written(graded, student):
    report = graded(A)[student]
    assert {n: fraction(report, n) for n in GRADED} == {n: FULL for n in GRADED}


def test_blank_notebook_scores_zero_and_says_not_implemented(graded):
    report = graded(A)["cleo"]
    for name in GRADED:
        assert fraction(report, name) == ZERO
        assert kinds(report, name) - {"by_hand_blank"} == {"not_implemented"}, name


def test_zeros_from_forward_and_backward_earn_no_finite_difference_credit(graded):
    report = graded(A)["zeros_everywhere"]
    for name in ("relu_backward", "mse_loss"):
        checks = {c["name"]: c for c in report["functions"][name]["checks"]}
        fd = [c for n, c in checks.items() if "finite differences" in n][0]
        assert fd["score"] == 0 and fd["kind"] == "forward_ignores_input"
        assert fraction(report, name) <= 0.25


@pytest.mark.parametrize("function, kind", [
    ("affine_backward", "forbidden"), ("relu_backward", "memory"),
    ("leaky_relu_backward", "crashed"), ("sigmoid_backward", "uses_student_package"),
    ("tanh_forward", "recursion"), ("tanh_backward", "recursion"), ("softmax_loss", "timeout"),
    ("mse_loss", "forbidden"), ("bce_loss", "forbidden"), ("backprop", "forbidden"),
])
def test_attacks_earn_nothing_and_are_named(graded, function, kind):
    report = graded(A)["hostile"]
    # the attack earns nothing; its numbers worked by hand (the reference's) are paid as usual
    assert code_fraction(report, function) == ZERO, report["functions"][function]
    assert kind in kinds(report, function)


def test_attacks_do_not_touch_the_honest_functions(graded):
    report = graded(A)["hostile"]
    for name in ("affine_forward", "relu_forward", "leaky_relu_forward", "sigmoid_forward"):
        assert fraction(report, name) == FULL, report["functions"][name]
    assert {"cell_failed"} <= {f["code"] for f in report["flags"]}
    assert not Path("/tmp/stolen").exists()


def test_broken_and_missing_notebooks_are_flagged_not_silently_zero(graded):
    course, reports = graded(A).course, graded(A).reports
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
    reports = graded(A).reports
    assert "renamed" in {f["code"] for f in reports["renamed"]["flags"]}
    assert "stray_files" in {f["code"] for f in reports["renamed"]["flags"]}
    tampered = {f["code"] for f in reports["tampered"]["flags"]}
    assert {"locked_cell_deleted", "duplicated_cell"} <= tampered
    assert "defined_twice" in {f["code"] for f in reports["twice"]["flags"]}


def test_feedback_shows_diagnoses_but_no_hidden_test_or_reference(graded):
    page = (graded(A).course / "feedback" / "transposed" / A / "feedback.html").read_text()
    assert "transpose" in page and "affine_backward" in page
    for secret in ("BEGIN HIDDEN", "run_hidden_check", "x_flat.T @ dout", "solutions"):
        assert secret not in page


def test_json_report_has_the_documented_shape(graded):
    course, reports = graded(A).course, graded(A).reports
    data = json.loads((course / "report.json").read_text())
    student = data["students"]["ada"]
    assert {"score", "max_score", "functions", "errors"} <= set(student)
    check = student["functions"]["affine_backward"]["checks"][0]
    assert {"name", "score", "max_score", "message"} <= set(check)
    assert set(data["students"]) == set(reports)


def test_regrading_is_idempotent_and_a_killed_run_resumes(graded):
    course, reports = graded(A).course, graded(A).reports
    paths = {s: report_path(course, A, s) for s in reports}
    stamps = {s: p.stat().st_mtime_ns for s, p in paths.items()}
    paths["zeros"].unlink()                       # as if the run was killed before "zeros"
    again = grade_all(course, A, jobs=1, progress=False)
    assert set(again) == set(reports)
    assert {s: r["functions"] for s, r in again.items()} == \
        {s: r["functions"] for s, r in reports.items()}
    regraded = {s for s, p in paths.items() if p.stat().st_mtime_ns != stamps[s]}
    assert regraded == {"zeros"}
