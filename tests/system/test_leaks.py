"""Nothing leaks to students: release/ and the student package hold no solution body and
no hidden-test marker (DESIGN.md rule 4)."""
import re
from pathlib import Path

import pytest
from support import ROOT, source_text

import json

REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN_MARKERS = ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "run_hidden_check",
                  "notebook_tests", "BEGIN SOLUTION", "END SOLUTION", "import solutions",
                  "from solutions"]
# Lines too generic to be evidence of a leak on their own (they say nothing of a derivation).
GENERIC = {"x, w = cache", "return a + b", "(a,) = self.inputs", "a, b = self.inputs",
           "n = x.shape[0]", "mask = cache", "s = cache", "t = cache", "x = cache",
           "cache = x", "cache = out", "return a * b", "return a / b", "cache = mask",
           "if mask is none:", "n = pred.shape[0]", "n = prob.shape[0]", "out = x * mask",
           "return grad", "for forward, _, params in layers:", "losses = []"}
ALLOWED = set()  # (where, line) pairs a reviewer has judged not to be a leak: none today


def normalize(line):
    return " ".join(line.split()).lower()


def solution_lines():
    """Every distinctive line of every solution region of solutions/*.py."""
    lines = set()
    for path in (ROOT / "solutions").glob("*.py"):
        for region in REGION.findall(path.read_text()):
            for line in region.splitlines():
                line = normalize(line)
                if len(line) >= 10 and line not in GENERIC and not line.startswith("#"):
                    lines.add(line)
    return lines


def student_texts():
    """(where, normalized lines) for every released notebook cell and student package file."""
    for path in sorted((ROOT / "release").rglob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            yield f"{path.relative_to(ROOT)} cell {i + 1}", source_text(cell)
    for path in sorted((ROOT / "lib" / "backproplab").rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text()


def test_the_scan_has_something_to_find():
    assert len(solution_lines()) > 60
    assert len(list(student_texts())) > 50


@pytest.mark.parametrize("marker", HIDDEN_MARKERS)
def test_no_hidden_marker_reaches_students(marker):
    hits = [where for where, text in student_texts() if marker.lower() in text.lower()]
    assert not hits, f"{marker!r} found in {hits}"


def test_no_solution_line_reaches_students():
    secret = solution_lines()
    hits = [(where, line) for where, text in student_texts()
            for line in map(normalize, text.splitlines())
            if line in secret and (where, line) not in ALLOWED]
    assert not hits, f"solution lines found: {hits}"


def test_the_scan_catches_a_planted_leak(tmp_path):
    region = REGION.findall((ROOT / "solutions" / "layers.py").read_text())[1]
    planted = {normalize(line) for line in region.splitlines()}
    assert planted & solution_lines()


# ------------------------------------------------- answers after the attempt (issue 18, item 2)
# Each answer a student must find is shown only after the answer cell's self-check, folded
# (<details>, or a code cell whose source is collapsed), or not at all. For each graded item,
# the strings that would give its answer away may not appear in any cell before its self-check
# (folded text left out).
FOLD = re.compile(r"<details>.*?</details>", re.S)
BEFORE_THE_ATTEMPT = {
    ("hw1_graphs", "selfcheck_example_forward_backward"): ["1208.38", "809.707", "404.85",
                                                          "-12.36"],
    ("hw1_graphs", "selfcheck_backward_pass"): ["return output_grad, output_grad`",
                                               "return output_grad, output_grad\n"],
    ("hw2_layers", "selfcheck_affine_backward"): [r"A^\top \bar Y", r"\bar Y X^\top",
                                                  r"\bar X = \overline{\text{out}}\, W^\top"],
    ("hw2_layers", "selfcheck_softmax_loss"): ["p - one_hot", "p - \\text{onehot}",
                                               "(p - onehot", "p_j - [j = y_n]"],
    ("hw3_cnn", "selfcheck_max_pool_backward"): ["np.argmax", "argmax("],
    ("hw4_training", "selfcheck_init_weights"): [r"\sqrt{2/\text{fan-in}}",
                                                 r"\sqrt{1/\text{fan-in}}", r"\sigma^2 = 2/n",
                                                 r"\sigma^2 = 1/n", "sqrt(2 / fan_in)",
                                                 "sqrt(1 / fan_in)"],
    ("hw4_training", "selfcheck_train_epoch"): ["order[i:i + batch_size]",
                                                "range(0, N, batch_size)"],
    ("hw4_training", "why_zeros_init"): [],
    # the numbers worked by hand (judging/by_hand.py): asked for, never shown before the
    # self-check that says whether they are right
    ("hw1_graphs", "selfcheck_by_hand_example_forward_backward"): ["1208.38", "809.707",
                                                                   "404.85", "-12.36"],
    ("hw2_layers", "selfcheck_by_hand_affine"): ["(-5, 4)", "-5\\\\ 4"],
    ("hw2_layers", "selfcheck_by_hand_prelu"): ["0.4], [-0.1", "(3, -4)"],
    ("hw2_layers", "selfcheck_by_hand_softmax_loss"): ["-0.335", "0.4076"],
    ("hw2_layers", "selfcheck_by_hand_bce_loss"): ["0.1643", "-0.556", "0.625"],
    ("hw3_cnn", "selfcheck_by_hand_conv"): ["[[3, 7], [0, 2]]", "3 & 7"],
    ("hw4_training", "selfcheck_by_hand_l2_penalty"): ["1.4", "0.6]]"],
}


def visible_before(assignment, grade_id):
    """The text of every cell of the released notebook before the cell ``grade_id``, with
    folded parts left out."""
    [path] = sorted((ROOT / "release" / assignment).glob("*.ipynb"))
    cells = json.loads(path.read_text())["cells"]
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in cells]
    assert grade_id in ids, f"{assignment} has no cell {grade_id}"
    for cell in cells[:ids.index(grade_id)]:
        if cell["metadata"].get("jupyter", {}).get("source_hidden"):
            continue
        text = source_text(cell)
        yield FOLD.sub(" ", text) if cell["cell_type"] == "markdown" else text


@pytest.mark.parametrize("assignment, grade_id", list(BEFORE_THE_ATTEMPT))
def test_no_answer_shows_before_its_self_check(assignment, grade_id):
    shown = [pattern for text in visible_before(assignment, grade_id)
             for pattern in BEFORE_THE_ATTEMPT[(assignment, grade_id)] if pattern in text]
    assert not shown, f"{assignment}: before {grade_id}: {sorted(set(shown))}"


def test_the_planted_bugs_are_built_in_a_folded_cell_before_their_question():
    """hw4's written answer planted_bugs asks what was planted in networks A, B and C: the cell
    that plants them is collapsed, and nothing else before the answer shows how."""
    [path] = sorted((ROOT / "release" / "hw4_training").glob("*.ipynb"))
    cells = json.loads(path.read_text())["cells"]
    [planting] = [c for c in cells if "suspects = {" in source_text(c)]
    assert planting["metadata"].get("jupyter", {}).get("source_hidden") is True
    shown = [p for text in visible_before("hw4_training", "planted_bugs")
             for p in ('scheme="normal", seed=1', "p * 0.05", "p - 20") if p in text]
    assert not shown, shown
