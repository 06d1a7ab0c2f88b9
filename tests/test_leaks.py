"""Nothing leaks to students: release/ and the student package hold no solution body and
no hidden-test marker (DESIGN.md rule 4)."""
import re
from pathlib import Path

import pytest
from notebook_utils import ROOT, source_text

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
