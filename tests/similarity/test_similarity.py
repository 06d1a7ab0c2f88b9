"""``backproplab similarity``: copies are found however they are disguised, code students can
reach is recognised, and the grading corpora's independently written answers are not flagged.

Every class here is a small course in a temporary folder, written with ``samples.py``; no
student code runs (the similarity report only parses it).
"""
import ast
import csv
import difflib
import io
import json
import os
import shutil

import pytest
from support import ROOT, corpus, corpus_module, expectations

import solutions
from autograder import similarity
from autograder.round import gradebook
from autograder.round.pipeline import save
from autograder.round.reports import export
from autograder.round.samples import Sample, reference_answer, write_submission
from autograder.similarity import compare

HW1, HW2, HW3 = "hw1_graphs", "hw2_layers", "hw3_cnn"
HW2_CLASS = corpus_module(HW2, "test_hw2_layers")   # LOOPS, VECTORISED, PY2_SHIM
HW3_CLASS = corpus_module(HW3, "test_hw3_cnn")      # CONV_LOOPS, IM2COL, STRIDED, ...
HW1_CLASS = corpus_module(HW1, "test_hw1_graphs")   # HW1_OTHER_WAYS


def course_with(tmp_path, assignment, samples):
    """A course holding every release (what students can reach) and ``samples``' submissions."""
    shutil.copytree(ROOT / "release", tmp_path / "release")
    shutil.copytree(ROOT / "source" / assignment, tmp_path / "source" / assignment)
    for sample in samples:
        write_submission(tmp_path, assignment, sample)
    return tmp_path


def pairs_of(result, function):
    return {m.students: m.similarity for m in result.pairs if m.function == function}


def sources_of(result, function, student):
    return {m.source: m.similarity for m in result.reachable
            if m.function == function and m.students == (student,)}


# ------------------------------------------------------------------------- disguised copies

SOFTMAX_RENAMED = '''\
def softmax_loss(scores, labels):
    """Softmax loss, computed one row at a time (my own)."""
    batch, classes = scores.shape
    total = 0.0
    grad = np.zeros_like(scores)
    for row in range(batch):
        z = scores[row] - np.max(scores[row])      # for stability
        lse = np.log(np.sum(np.exp(z)))
        total += lse - z[labels[row]]
        grad[row] = np.exp(z - lse)
        grad[row, labels[row]] -= 1
    return (total / batch,
            grad / batch)
'''

CONV_BACKWARD_REORDERED = '''\
def conv_backward(upstream, saved):
    # unpack what the forward pass kept
    inp, filt, bias, step, padding = saved
    num_filters, _, fh, fw = filt.shape
    num, chans, height, width = inp.shape
    _, _, out_h, out_w = upstream.shape
    grad_b = np.zeros_like(bias)
    grad_w = np.zeros_like(filt)
    debug = inp.shape[0] * 2
    padded = np.pad(inp, ((0, 0), (0, 0), (padding, padding), (padding, padding)), 'constant')
    grad_padded = np.zeros_like(padded)
    if False:
        print("checking", debug)
    for n in range(num):
        for f in range(num_filters):
            grad_b[f] += np.sum(upstream[n, f])
            for r in range(out_h):
                for c in range(out_w):
                    top, left = r * step, c * step
                    pass
                    grad_padded[n, :, top:top + fh, left:left + fw] += \\
                        filt[f] * upstream[n, f, r, c]
                    grad_w[f] += padded[n, :, top:top + fh, left:left + fw] * upstream[n, f, r, c]
    grad_x = grad_padded[:, :, padding:padding + height, padding:padding + width]
    return grad_x, grad_w, grad_b
'''


def hw2_class():
    return [Sample("ada", "the reference"),
            Sample("orig", "explicit loops", answers=HW2_CLASS.LOOPS, extra_cells=[HW2_CLASS.PY2_SHIM]),
            Sample("copier", "orig's softmax, renamed and reformatted",
                   answers={"softmax_loss": SOFTMAX_RENAMED}),
            Sample("vec", "vectorised", answers=HW2_CLASS.VECTORISED)]


def test_a_renamed_and_reformatted_copy_is_found(tmp_path):
    result = similarity.analyse(course_with(tmp_path, HW2, hw2_class()), HW2)
    pairs = pairs_of(result, "softmax_loss")
    assert pairs.get(("copier", "orig"), 0) >= result.threshold, pairs
    assert set(pairs) == {("copier", "orig")}, pairs


def test_a_copy_defined_under_another_name_or_inside_a_block_is_found(tmp_path):
    hidden = ("if True:\n" + "".join(f"    {line}\n" for line in
                                   SOFTMAX_RENAMED.replace("def softmax_loss(", "def\tmine(")
                                   .splitlines()) + "softmax_loss = mine\n")
    hider = Sample("hider", "hides it", answers={"softmax_loss": hidden})
    course = course_with(tmp_path, HW2, [*hw2_class()[:2], hider])
    result = similarity.analyse(course, HW2)
    assert pairs_of(result, "softmax_loss").get(("hider", "orig"), 0) >= result.threshold


def test_reordered_statements_dead_code_and_comments_do_not_hide_a_copy(tmp_path):
    loops = {"conv_forward": HW3_CLASS.CONV_LOOPS, "conv_backward": HW3_CLASS.CONV_BACKWARD_LOOPS}
    course = course_with(tmp_path, HW3, [
        Sample("orig", "naive loops", answers=loops, extra_cells=[HW3_CLASS.PY2_SHIM]),
        Sample("copier", "orig's conv backward, shuffled and padded with dead code",
               answers={"conv_backward": CONV_BACKWARD_REORDERED}),
        Sample("im2col", "im2col", answers=HW3_CLASS.IM2COL),
        Sample("strided", "strided", answers=HW3_CLASS.STRIDED)])
    result = similarity.analyse(course, HW3)
    pairs = pairs_of(result, "conv_backward")
    assert pairs.get(("copier", "orig"), 0) >= 0.9, pairs
    assert set(pairs) == {("copier", "orig")}, pairs


# --------------------------------------------------------------- code students can reach

NUMERICAL_FROM_GRADCHECK = '''\
from contextlib import contextmanager


@contextmanager
def shifted(a, where, by):
    keep = np.copy(a[where])
    a[where] = keep + by
    try:
        yield
    finally:
        a[where] = keep


def numerical_gradient(f, x, h=1e-5):
    g = np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        with shifted(x, k, h):
            up = f(x)
        with shifted(x, k, -h):
            down = f(x)
        g[k] = (up - down) / (2 * h)
    return g
'''


# The plain central differences the student package held until issue 18 (hw1's answer, which
# the package no longer has): planted here as a file students could reach, to show that such a
# copy is found.
REACHABLE_CENTRAL_DIFFERENCES = '''\
import numpy as np
from contextlib import contextmanager


@contextmanager
def _nudged(x, index, delta):
    old = np.copy(x[index])
    x[index] = old + delta
    try:
        yield
    finally:
        x[index] = old


def _central_differences(F, x, h):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        with _nudged(x, index, h):
            plus = F()
        with _nudged(x, index, -h):
            minus = F()
        grad[index] = (plus - minus) / (2 * h)
    return grad
'''


def fast_conv_as_hw3():
    """hw4's released fast conv pasted into hw3 under the graded name."""
    text = (ROOT / "release" / "hw4_training" / "fast_layers.py").read_text()
    return text.replace("def conv_forward_fast(", "def conv_forward(")


def test_copies_of_the_student_package_and_of_a_release_are_found(tmp_path):
    hw1 = course_with(tmp_path / "one", HW1, [
        Sample("ada", "the reference"),
        Sample("other", "written otherwise", answers=HW1_CLASS.HW1_OTHER_WAYS),
        Sample("packer", "a reachable file's central differences, renamed",
               answers={"numerical_gradient": NUMERICAL_FROM_GRADCHECK})])
    (hw1 / "release" / HW1 / "gradcheck_copy.py").write_text(REACHABLE_CENTRAL_DIFFERENCES)
    found = sources_of(similarity.analyse(hw1, HW1), "numerical_gradient", "packer")
    assert found.get(f"release/{HW1}/gradcheck_copy.py:_central_differences", 0) >= 0.6, found
    hw3 = course_with(tmp_path / "three", HW3, [
        Sample("ada", "the reference"),
        Sample("early", "hw4's fast conv, pasted into hw3",
               answers={"conv_forward": fast_conv_as_hw3()})])
    result = similarity.analyse(hw3, HW3)
    found = sources_of(result, "conv_forward", "early")
    assert found.get("release/hw4_training/fast_layers.py:conv_forward_fast", 0) >= 0.9, found
    assert not sources_of(result, "conv_forward", "ada")


# ------------------------------------------------------- the corpora: precision and size

def corpus_samples():
    """{assignment: [Sample]} of every grading corpus (and the four demo students hw2's
    grading corpus holds)."""
    found = {a: corpus(a, demo=False) for a in solutions.ASSIGNMENTS}
    found[HW2] += [s for s in corpus(HW2) if s.student in ("ada", "ben", "cleo", "hana")]
    return found


EXPECTED = {}  # the first expectation of a name wins, as it always has (e_in_place: hw1's)
for _assignment in solutions.ASSIGNMENTS:
    for _, _sample, _expected in expectations(_assignment):
        EXPECTED.setdefault(_sample.student, _expected)


def expected_full_marks(student, name):
    if student in EXPECTED:
        return name not in EXPECTED[student]
    return student in {"alt", "ben"}   # hw2's class: the correct ones


def plain(text):
    """The code of ``text`` as Python prints it back: no docstring, comment or layout."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def same_text(a, b, ratio=0.8):
    return difflib.SequenceMatcher(None, plain(a), plain(b)).ratio() >= ratio


def independent_correct_variants(samples, name):
    """{text: student} of the correct answers to ``name`` written independently: the
    reference, and each correct answer that is not the same text as one before it (the
    reference without its docstring, bce clipped with another eps: counted once)."""
    texts = {reference_answer(name): "reference"}
    for sample in samples:
        if name in sample.answers and expected_full_marks(sample.student, name):
            text = sample.answers[name]
            if not any(same_text(text, t) for t in texts):
                texts[text] = sample.student
    return texts


def variant_classes():
    """{assignment: [Sample]}: one student per independent correct variant of each graded
    function (the other functions as the reference), and the count of variants."""
    classes, count = {}, 0
    for assignment, samples in corpus_samples().items():
        shims = [HW2_CLASS.PY2_SHIM]
        students = []
        for name in solutions.ASSIGNMENTS[assignment]:
            if not hasattr(solutions, name):
                continue
            variants = independent_correct_variants(samples, name)
            count += len(variants)
            students += [Sample(f"{name}-{who}", "variant", answers={name: text},
                                extra_cells=shims) for text, who in variants.items()]
        classes[assignment] = students
    return classes, count


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    classes, count = variant_classes()
    results = {}
    for assignment, samples in classes.items():
        course = course_with(tmp_path_factory.mktemp(assignment), assignment, samples)
        results[assignment] = similarity.analyse(course, assignment)
    return results, count


def test_independently_written_correct_variants_are_not_flagged(variants):
    """Neither per function nor per submission (where short functions count too)."""
    results, count = variants
    assert count >= 60   # the corpora hold many ways to write each function
    flagged = [m for r in results.values() for m in r.pairs + r.reachable]
    assert not flagged, [(m.function, m.students, m.source, m.similarity) for m in flagged]
    flagged = [m for r in results.values() for m in r.submissions]
    assert not flagged, [(m.students, m.functions, m.score) for m in flagged]


def test_variants_stay_apart_from_the_reference_even_when_it_is_not_discounted(tmp_path):
    """The reference is discounted in a run; here it is not, so the score says how far the
    fingerprints alone keep an independent answer from it."""
    from autograder.similarity.units import Code, parse_into, units_of

    def fingerprints(text, name):
        code = Code()
        parse_into(code, text, name)
        unit = units_of([name], code, name)[name]
        return set(unit.fingerprint.hashes) if unit.size >= compare.MIN_SIZE else set()

    worst = []
    for assignment, samples in corpus_samples().items():
        for name in solutions.ASSIGNMENTS[assignment]:
            if not hasattr(solutions, name):
                continue
            reference = fingerprints(reference_answer(name), name)
            for text, who in independent_correct_variants(samples, name).items():
                mine = fingerprints(text, name)
                if who == "reference" or len(mine) < compare.MIN_FINGERPRINTS or not reference:
                    continue
                worst.append((2 * len(mine & reference) / (len(mine) + len(reference)), name, who))
    assert worst and max(worst)[0] < compare.THRESHOLD, max(worst)


def test_functions_too_short_to_differ_are_not_reported(tmp_path):
    short = "def relu_forward(x):\n    return np.clip(x, 0.0, None), x\n"
    renamed = "def relu_forward(inp):\n    # mine\n    return np.clip(inp, 0.0, None), inp\n"
    course = course_with(tmp_path, HW2, [Sample("a", "short", answers={"relu_forward": short}),
                                         Sample("b", "short", answers={"relu_forward": renamed})])
    result = similarity.analyse(course, HW2, threshold=0.0)
    assert not pairs_of(result, "relu_forward")
    assert result.not_compared["relu_forward"] == 2


# ----------------------------------------------------------------------- outputs and export

def test_run_writes_the_json_of_the_issue_the_table_and_the_html(tmp_path):
    course = course_with(tmp_path / "c", HW2, hw2_class())
    out = io.StringIO()
    assert similarity.run(course, HW2, json_path=tmp_path / "sim.json", out=out) == 0
    data = json.loads((tmp_path / "sim.json").read_text())
    assert list(data) == ["assignment", "threshold", "pairs", "reachable",
                          "submission_threshold", "submissions"]
    assert data["assignment"] == HW2 and data["threshold"] == compare.THRESHOLD
    assert data["pairs"] and all(list(p) == ["function", "students", "similarity"]
                                 for p in data["pairs"])
    assert {"function": "softmax_loss", "students": ["copier", "orig"]} in \
        [{k: p[k] for k in ("function", "students")} for p in data["pairs"]]
    assert all(p["similarity"] >= data["threshold"] for p in data["pairs"])
    assert data["reachable"] == []
    assert json.loads((course / "similarity" / f"{HW2}.json").read_text()) == data
    text = out.getvalue()
    assert "softmax_loss" in text and "copier ~ orig" in text
    page = (course / "similarity" / f"{HW2}.html").read_text()
    assert "lse = np.log(np.sum(np.exp(z)))" in page and 'class="same"' in page


def test_run_without_submissions_exits_1(tmp_path):
    course = course_with(tmp_path, HW2, [])
    assert similarity.run(course, HW2, out=io.StringIO()) == 1


def test_unreadable_and_unparseable_submissions_are_listed_not_fatal(tmp_path):
    deep = "def softmax_loss(x, y):\n    return " + "-" * 100_000 + "x\n"
    course = course_with(tmp_path, HW2, hw2_class() + [
        Sample("broken", "not JSON", raw='{"cells": [ {"cell_type": '),
        Sample("syntax", "a cell that does not parse",
               answers={"softmax_loss": "def softmax_loss(x, y):\n    return (((\n"}),
        Sample("deep", "nested deeper than the parser goes", answers={"softmax_loss": deep})])
    folder = course / "submitted" / "linked" / HW2
    folder.mkdir(parents=True)
    os.symlink(course / "submitted" / "orig" / HW2 / f"{HW2}.ipynb", folder / f"{HW2}.ipynb")
    out = io.StringIO()
    assert similarity.run(course, HW2, out=out) == 0
    result = similarity.analyse(course, HW2)
    assert {"broken", "syntax", "deep", "linked"} <= set(result.unreadable)
    assert "symbolic link" in " ".join(result.unreadable["linked"])
    assert ("copier", "orig") in pairs_of(result, "softmax_loss")
    assert "not (fully) compared" in out.getvalue() and "broken" in out.getvalue()


def test_hostile_ids_and_code_are_escaped_in_the_html(tmp_path):
    hostile = SOFTMAX_RENAMED.replace("# for stability", "# </pre><script>alert(2)</script>")
    course = course_with(tmp_path, HW2, hw2_class() + [
        Sample("<script>alert(1)", "copies too", answers={"softmax_loss": hostile})])
    assert similarity.run(course, HW2, out=io.StringIO()) == 0
    page = (course / "similarity" / f"{HW2}.html").read_text()
    assert "&lt;script&gt;alert(1)" in page and "&lt;/pre&gt;&lt;script&gt;alert(2)" in page
    assert "<script>" not in page


def test_export_has_a_similarity_column(tmp_path):
    course = course_with(tmp_path, HW2, hw2_class())
    shutil.copy(ROOT / "nbgrader_config.py", course)
    gradebook.ensure_assignment(course, HW2)
    for student in ("ada", "orig", "copier", "vec"):
        rep = {"score": 1.0, "max_score": 1.0, "functions": {}, "errors": [], "flags": []}
        save(course, HW2, student, rep)
        gradebook.record(course, HW2, student, rep)
    rows = lambda: {r["student_id"]: r["similarity"] for r in csv.DictReader(  # noqa: E731
        export(course, "grades.csv").open()) if r["assignment"] == HW2}
    assert set(rows().values()) == {""}   # before any similarity run
    similarity.run(course, HW2, out=io.StringIO())
    found = rows()
    score = next(p["similarity"] for p in similarity.saved_result(course, HW2)["pairs"]
                 if p["students"] == ["copier", "orig"] and p["function"] == "softmax_loss")
    assert found["copier"] == f"{score:.2f} {HW2} softmax_loss ~ orig"
    assert found["orig"] == f"{score:.2f} {HW2} softmax_loss ~ copier"
    assert found["ada"] == found["vec"] == ""


def test_the_best_match_names_a_source_and_no_cell_is_a_formula():
    saved = {"pairs": [{"function": "f", "students": ["a", "=b"], "similarity": 0.7}],
             "reachable": [{"function": "g", "student": "a", "source": "lib/x.py:g",
                            "similarity": 0.9}]}
    assert similarity.best_match_text(saved, HW2, "a") == f"0.90 {HW2} g ~ lib/x.py:g"
    assert similarity.best_match_text(saved, HW2, "=b") == f"0.70 {HW2} f ~ a"
    assert similarity.best_match_text(None, HW2, "a") == ""


def test_pairs_come_from_the_index_not_from_every_pair():
    """Sets that share nothing are never scored; identical sets are scored once."""
    sets = {f"s{i}": frozenset(range(10 * i, 10 * i + 8)) for i in range(200)}
    sets["twin"] = sets["s3"]
    matches = compare.similar_pairs("f", sets, 0.5)
    assert [(m.students, m.similarity) for m in matches] == [(("s3", "twin"), 1.0)]


def test_fingerprints_forget_names_layout_order_and_dead_code():
    from autograder.similarity.units import Code, parse_into, units_of

    def hashes(text):
        code = Code()
        parse_into(code, text, "t")
        return set(units_of(["f"], code, "t")["f"].fingerprint.hashes)

    base = "def f(a, b):\n    c = a * 2 + b\n    d = np.sum(a ** 2)\n    return c - d, a > b\n"
    same = ('def f(p, q):\n    """doc"""\n    tmp = 3  # dead\n    r = np.sum(p ** 2)\n'
            "    s = (q + 2 * p)\n    if False:\n        r = 0\n    pass\n"
            "    return s - r, q < p\n")
    assert hashes(base) == hashes(same)
    other = "def f(a, b):\n    c = a * 3 + b\n    d = np.sum(a ** 2)\n    return c - d, a > b\n"
    assert hashes(base) != hashes(other)


def test_the_corpora_themselves_flag_only_answers_made_from_one_another(tmp_path):
    """Run on each corpus as it is: every flagged pair is two texts derived from one another
    (a bug planted by editing the same loops, bce with another eps), never two texts
    written independently."""
    for assignment, samples in corpus_samples().items():
        course = course_with(tmp_path / assignment, assignment, samples)
        result = similarity.analyse(course, assignment)
        assert not result.reachable
        answers = {s.student: s for s in samples}
        for match in result.pairs:
            a, b = (answers[s].answer(match.function) for s in match.students)
            assert same_text(a, b, ratio=0.6), match
        for match in result.submissions:
            for function in match.functions:
                a, b = (answers[s].answer(function) for s in match.students)
                assert same_text(a, b, ratio=0.6), (match, function)
