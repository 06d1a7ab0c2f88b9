"""``backproplab similarity``: copies can't hide behind wrappers, in many short functions, or
in a hostile file; what many students write alike is not a copy.

Each planted copy is compared beside honest controls in the same class: the wrappers followed
to any depth (by name, by attribute, by reference), a copier of seven short functions found by
the submission view (and not by the per-function view, which leaves short functions out), a
class where eight of ten write the same canonical two-line ``affine_backward`` not flagged,
and files built to exhaust the walk (ten thousand wrappers, a cycle, ten thousand tiny
functions) read in bounded time. Nothing here runs student code.
"""
import ast
import time

import pytest
from test_similarity import HW2, SOFTMAX_RENAMED, course_with, hw2_class, pairs_of

from autograder import similarity
from autograder.round.samples import Sample
from autograder.similarity import submissions
from autograder.similarity.units import UNIT_MAX_PIECES, Code, parse_into, units_of

# ------------------------------------------------------------------- helpers at any depth

CORE = SOFTMAX_RENAMED.replace("def softmax_loss(", "def _core(")

THREE_WRAPPERS = CORE + '''

def _w3(a, b):
    return _core(a, b)


def _w2(a, b):
    """Still the loss."""
    return _w3(a, b)


def _w1(a, b):
    return _w2(a, b)


def softmax_loss(x, y):
    """Softmax loss and its gradient."""
    return _w1(x, y)
'''

BY_ATTRIBUTE = CORE + '''

class Loss:
    def compute(self, a, b):
        return self._run(a, b)

    def _run(self, a, b):
        return _core(a, b)


class Holder:
    pass


def _w1(a, b):
    return Loss().compute(a, b)


tools = Holder()
tools.go = _w1


def softmax_loss(x, y):
    return tools._w1(x, y)
'''

BY_REFERENCE = CORE + '''

def _apply(f, *args):
    return f(*args)


def _w2(a, b):
    g = _core
    return g(a, b)


def softmax_loss(x, y):
    return _apply(_w2, x, y)
'''


def hiders():
    return [Sample("wrapper", "orig's softmax behind three one-line wrappers",
                   answers={"softmax_loss": THREE_WRAPPERS}),
            Sample("attribute", "behind a method and an attribute",
                   answers={"softmax_loss": BY_ATTRIBUTE}),
            Sample("reference", "passed as an argument and assigned to a variable",
                   answers={"softmax_loss": BY_REFERENCE})]


def test_a_copy_three_wrappers_deep_is_found_whole(tmp_path):
    """orig's softmax behind wrappers, a method, an argument: every hider pairs with orig at
    1.0 (the wrappers' own lines do not dilute it); ada (the reference) and vec (written
    otherwise) stay out of every pair."""
    result = similarity.analyse(course_with(tmp_path, HW2, hw2_class() + hiders()), HW2)
    pairs = pairs_of(result, "softmax_loss")
    for hider in ("wrapper", "attribute", "reference"):
        assert pairs.get(tuple(sorted((hider, "orig")))) == pytest.approx(1.0), (hider, pairs)
    assert all({"ada", "vec"}.isdisjoint(students) for students in pairs), pairs
    shown = result.units[("softmax_loss", "wrapper")].code
    assert all(f"def {name}(" in shown for name in ("softmax_loss", "_w1", "_w2", "_w3", "_core"))


def units(text, *names):
    code = Code()
    parse_into(code, text, "t")
    return units_of(names, code, "t"), code


def test_what_a_function_reaches_and_what_it_does_not():
    """Names it reads (not those it binds), its helpers' helpers, methods of the author's own
    classes by attribute, module-level lambdas; not a module's attribute (np.core is not the
    student's core), a local variable that shadows a helper, or given code."""
    text = '''
import numpy as np


def core(x):
    return x


def shadowed(x):
    return x


sq = lambda v: v * v


class Impl:
    def run(self, x):
        return self.step(x)

    def step(self, x):
        return sq(x)


def f(x):
    shadowed = 3
    return np.core(x) + Impl().run(x) + shadowed
'''
    shown = units(text, "f")[0]["f"].code
    assert "class Impl" in shown and "sq = lambda" in shown
    assert "def core" not in shown and "def shadowed" not in shown


def test_a_function_that_only_delegates_is_compared_by_what_it_delegates_to():
    found, _ = units(THREE_WRAPPERS, "softmax_loss")
    alone, _ = units(SOFTMAX_RENAMED, "softmax_loss")
    assert set(found["softmax_loss"].fingerprint.hashes) == set(alone["softmax_loss"]
                                                                  .fingerprint.hashes)
    assert found["softmax_loss"].size == alone["softmax_loss"].size
    own = "def softmax_loss(x, y):\n    return _w(np.asarray(x), y)\n" \
          "def _w(a, b):\n    return a.sum() + b\n"
    found, _ = units(own, "softmax_loss")   # not a plain forward: its own lines count
    assert found["softmax_loss"].size > units(own, "_w")[0]["_w"].size


# ------------------------------------------------------------------------- hostile files

def cells(definitions, per=3000):
    return ["\n\n".join(definitions[i:i + per]) + "\n" for i in range(0, len(definitions), per)]


def hostile_class():
    n = 10_000
    chain = [f"def w{i}(x, y):\n    return w{i + 1}(x, y)" for i in range(n)]
    chain.append(SOFTMAX_RENAMED.replace("def softmax_loss(", f"def w{n}("))
    tiny = [f"def t{i}(x):\n    return x + {i}" for i in range(n)]
    methods = "class K:\n" + "\n".join(f"    def m{i}(self, x):\n        return self.m{i + 1}(x)"
                                       for i in range(3000))
    nested = "def softmax_loss(x, y):\n    return " + "w(" * 150 + "x" + ")" * 150 + "\n"
    return [
        Sample("deep", "10,000 wrappers deep", extra_cells=cells(chain),
               answers={"softmax_loss": "def softmax_loss(x, y):\n    return w0(x, y)\n"}),
        Sample("cycle", "helpers calling each other", answers={"softmax_loss": (
            "def softmax_loss(x, y):\n    return a(x, y)\n\n\ndef a(x, y):\n    return b(y, x)\n"
            "\n\ndef b(x, y):\n    return a(y, x) + softmax_loss(x, y)\n")}),
        Sample("tiny", "10,000 tiny functions, all reached", extra_cells=cells(tiny),
               answers={"softmax_loss": "def softmax_loss(x, y):\n    return sum(f(x) for f in ("
                        + ", ".join(f"t{i}" for i in range(n)) + ")), y\n"}),
        Sample("methods", "a class of 3,000 methods calling the next", extra_cells=[methods],
               answers={"softmax_loss": "def softmax_loss(x, y):\n    return K().m0(x), y\n"}),
        Sample("nested", "calls nested 150 deep", answers={"softmax_loss": nested})]


def test_hostile_files_neither_crash_nor_hang_the_run(tmp_path):
    """Beside the copy pair of the class: each hostile student costs a bounded walk, is listed
    as not fully compared where the walk stopped, and the copy is still found."""
    course = course_with(tmp_path, HW2, hw2_class() + hostile_class())
    start = time.process_time()
    result = similarity.analyse(course, HW2)
    seconds = time.process_time() - start
    assert seconds < 60, seconds
    assert ("copier", "orig") in pairs_of(result, "softmax_loss")
    for student in ("deep", "tiny", "methods"):
        assert any("not compared" in why for why in result.unreadable.get(student, [])), student
    assert "cycle" not in result.unreadable
    shown = units("\n\n".join(f"def w{i}(x):\n    return w{i + 1}(x)" for i in range(5000))
                  + "\n", "w0")[0]["w0"].code
    assert shown.count("def ") == UNIT_MAX_PIECES


# ------------------------------------------------------------- the submission-level view

CANONICAL_AFFINE_BACKWARD = '''\
def affine_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(axis=0)
'''

# Ways to write the short hw2 functions (none is the reference's): each student of the class
# below writes one of them, no two students the same one.
SHORT = {
    "relu_forward": [
        "return np.clip(x, 0, None), x",
        "out = x.copy()\n    out[out < 0] = 0\n    return out, x",
        "return x * (x > 0), x",
        "return (np.abs(x) + x) / 2, x",
        "out = np.zeros_like(x)\n    np.maximum(x, 0, out=out)\n    return out, x",
        "return np.where(x > 0, x, 0.0), x",
    ],
    "relu_backward": [
        "return dout * np.heaviside(cache, 0.0)",
        "dx = dout.copy()\n    dx[cache <= 0] = 0\n    return dx",
        "return np.where(cache > 0, dout, 0.0)",
        "return dout * (np.sign(cache) > 0)",
        "mask = (cache > 0).astype(dout.dtype)\n    return mask * dout",
        "dx = np.array(dout, copy=True)\n    dx[~(cache > 0)] = 0.0\n    return dx",
    ],
    "leaky_relu_forward": [
        "return np.maximum(alpha * x, x), (x, alpha)",
        "out = x.copy()\n    out[x <= 0] *= alpha\n    return out, (x, alpha)",
        "slope = np.where(x > 0, 1.0, alpha)\n    return x * slope, (x, alpha)",
        "return x * ((x > 0) + alpha * (x <= 0)), (x, alpha)",
        "return np.maximum(x, 0) + alpha * np.minimum(x, 0), (x, alpha)",
        "return np.select([x > 0], [x], alpha * x), (x, alpha)",
    ],
    "leaky_relu_backward": [
        "x, alpha = cache\n    return np.where(x > 0, dout, alpha * dout)",
        "x, alpha = cache\n    dx = dout.copy()\n    dx[x <= 0] *= alpha\n    return dx",
        "x, a = cache\n    return dout * ((x > 0) + a * (x <= 0))",
        "x, alpha = cache\n    g = np.ones_like(x)\n    g[x <= 0] = alpha\n    return dout * g",
        "x, alpha = cache\n    return dout * np.select([x > 0], [1.0], alpha)",
        "x, alpha = cache\n    return np.choose((x > 0).astype(int), [alpha * dout, dout])",
    ],
    "sigmoid_backward": [
        "s = cache\n    return dout * (s - s ** 2)",
        "return dout * cache - dout * cache * cache",
        "grad = cache * (1.0 - cache)\n    return grad * dout",
        "s = cache\n    return np.multiply(dout, s * np.subtract(1.0, s))",
        "return dout * np.exp(np.log(cache) + np.log1p(-cache))",
        "return dout / (1.0 / cache + 1.0 / (1.0 - cache)) / (cache * (1.0 - cache)) ** 0",
    ],
    "tanh_forward": [
        "return np.tanh(x), np.tanh(x)",
        "e = np.exp(2 * x)\n    out = (e - 1) / (e + 1)\n    return out, out",
        "out = 2.0 / (1.0 + np.exp(-2.0 * x)) - 1.0\n    return out, out",
        "out = np.sinh(x) / np.cosh(x)\n    return out, out",
        "t = 1.0 - 2.0 / (np.exp(2.0 * x) + 1.0)\n    return t, t",
        "y = np.tanh(x)\n    return y, {'out': y}",
    ],
    "tanh_backward": [
        "return dout - dout * cache ** 2",
        "return dout * (1.0 - np.square(cache))",
        "t = cache\n    return dout * (1 + t) * (1 - t)",
        "return dout / np.cosh(np.arctanh(cache)) ** 2",
        "return np.multiply(dout, np.subtract(1, np.power(cache, 2)))",
        "return dout * (1 - cache['out'] ** 2)",
    ],
    "mse_loss": [
        ("n = pred.shape[0]\n    "
         "return np.sum(np.square(pred - target)) / n, 2 * (pred - target) / n"),
        ("diff = pred - target\n    n = len(pred)\n    return float((diff ** 2).sum() / n), "
         "diff * (2.0 / n)"),
        "n = pred.shape[0]\n    r = pred - target\n    return np.vdot(r, r) / n, 2 * r / n",
        ("err = target - pred\n    n = pred.shape[0]\n    return np.linalg.norm(err) ** 2 / n, "
         "-2 * err / n"),
        ("m = len(pred)\n    e = (pred - target).ravel()\n    return e.dot(e) / m, "
         "(2 / m) * (pred - target)"),
        ("k = pred.shape[0]\n    sq = np.power(pred - target, 2)\n    return sq.sum() / k, "
         "np.subtract(pred, target) * 2 / k"),
    ],
}
SIGNATURES = {"relu_forward": "x", "relu_backward": "dout, cache",
              "leaky_relu_forward": "x, alpha=0.01", "leaky_relu_backward": "dout, cache",
              "sigmoid_backward": "dout, cache", "tanh_forward": "x",
              "tanh_backward": "dout, cache", "mse_loss": "pred, target"}


def short_answer(name, way):
    return f"def {name}({SIGNATURES[name]}):\n    {SHORT[name][way]}\n"


def renamed(text, tag):
    """``text`` with every name it binds renamed and laid out again (as a copier would)."""
    tree = ast.parse(text)
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Store)} | {a.arg for a in ast.walk(tree)
                                                  if isinstance(a, ast.arg)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in bound:
            node.id = f"{node.id}_{tag}"
        elif isinstance(node, ast.arg):
            node.arg = f"{node.arg}_{tag}"
    return ast.unparse(tree) + "\n"


def canonical_class():
    """Ten students: s0..s7 write the same canonical two-line affine_backward (each with
    names of their own), s8 and s9 the reference; s0..s5 also write each short function
    their own way (no two alike), the others keep the reference there."""
    students = []
    for i in range(10):
        answers = {name: renamed(short_answer(name, i), f"s{i}")
                   for name in SHORT if i < len(SHORT[name])}
        if i < 8:
            answers["affine_backward"] = renamed(CANONICAL_AFFINE_BACKWARD, f"s{i}")
        students.append(Sample(f"s{i}", "independent, canonical affine_backward",
                               answers=answers))
    return students


@pytest.fixture(scope="module")
def canonical(tmp_path_factory):
    course = course_with(tmp_path_factory.mktemp("canonical"), HW2, canonical_class())
    return similarity.analyse(course, HW2, submission_threshold=0.0)


def test_a_class_writing_the_canonical_affine_backward_is_not_flagged(canonical):
    """28 pairs share the canonical affine_backward whole, and nothing else: what 8 of 10
    wrote is the class's idiom, no evidence in either view (even at threshold 0 in the
    submission view)."""
    assert not canonical.submissions and not canonical.pairs and not canonical.reachable


COPIED = ["relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward",
          "sigmoid_backward", "tanh_forward", "tanh_backward"]


def test_a_copier_of_seven_short_functions_is_found_by_the_submission_view(tmp_path):
    """The canonical class plus a copier of s5's seven short functions (renamed, laid out
    again): one pair in the submission view, copier ~ s5, naming those functions; none in
    the per-function view, even at 0.01, since each function is too short to tell."""
    original = next(s for s in canonical_class() if s.student == "s5")
    copier = Sample("copier", "s5's short functions, renamed", answers={
        name: renamed(original.answers[name], "cp") for name in COPIED})
    course = course_with(tmp_path, HW2, canonical_class() + [copier])
    result = similarity.analyse(course, HW2)
    assert [(m.students, set(m.functions)) for m in result.submissions] == \
        [(("copier", "s5"), set(COPIED))], result.submissions
    assert not similarity.analyse(course, HW2, threshold=0.01).pairs


def test_three_short_functions_in_common_are_not_enough(tmp_path):
    """A student who happens to write three short functions as a classmate does (the rest
    their own) is below the threshold, though scored: the aggregate needs more functions of
    rare code than coincidence gives."""
    original = next(s for s in canonical_class() if s.student == "s5")
    twin = Sample("twin", "three of s5's ways", answers={
        name: renamed(original.answers[name], "tw") for name in COPIED[:3]})
    course = course_with(tmp_path, HW2, canonical_class() + [twin])
    result = similarity.analyse(course, HW2, submission_threshold=0.0)
    assert [m.students for m in result.submissions] == [("s5", "twin")]
    assert 1 < result.submissions[0].score < submissions.THRESHOLD, result.submissions


def test_the_submission_view_in_the_table_json_html_and_export(tmp_path):
    import csv
    import dataclasses
    import io
    import json
    import shutil

    from support import ROOT

    from autograder.round import gradebook
    from autograder.round.pipeline import save
    from autograder.round.reports import export

    class_ = [dataclasses.replace(s, answers={n: a for n, a in s.answers.items()
                                              if n != "affine_backward"})
              for s in canonical_class()[4:8]]   # four alone would be no idiom
    copier = Sample("copier", "s5's short functions", answers={
        name: renamed(class_[1].answers[name], "cp") for name in COPIED})
    course = course_with(tmp_path / "c", HW2, class_ + [copier])
    out = io.StringIO()
    assert similarity.run(course, HW2, json_path=tmp_path / "sim.json", out=out) == 0
    data = json.loads((tmp_path / "sim.json").read_text())
    (found,) = data["submissions"]
    assert list(found) == ["students", "functions", "score"]
    assert found["students"] == ["copier", "s5"] and set(found["functions"]) == set(COPIED)
    assert found["score"] >= data["submission_threshold"] == submissions.THRESHOLD
    assert "copier ~ s5" in out.getvalue() and "7 functions" in out.getvalue()
    page = (course / "similarity" / f"{HW2}.html").read_text()
    assert "Submissions" in page and 'class="same"' in page
    shutil.copy(ROOT / "nbgrader_config.py", course)
    gradebook.ensure_assignment(course, HW2)
    for student in ("s4", "s5", "s6", "s7", "copier"):
        rep = {"score": 1.0, "max_score": 1.0, "functions": {}, "errors": [], "flags": []}
        save(course, HW2, student, rep)
        gradebook.record(course, HW2, student, rep)
    rows = {r["student_id"]: r["similarity"] for r in csv.DictReader(
        export(course, "grades.csv").open()) if r["assignment"] == HW2}
    assert rows["copier"] == f"{found['score']:.2f} {HW2} submission (7 functions) ~ s5"
    assert rows["s5"].endswith("~ copier") and rows["s4"] == rows["s6"] == ""
