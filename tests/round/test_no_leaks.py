"""Feedback leaks nothing (issue 17, item 3): students who encode a hidden input in every
channel they control, graded through the whole pipeline beside honest controls.

Each graded function of ``atk_leaks`` takes the first number of its first hidden input,
takes two 29-bit parts ``hi`` and ``lo`` of its 64 bits (each of 9 digits, so that either
reaching a text is a run of digits no grader message has) and spells them, or a number
made from them in a range of its own, into one channel: the shape of an empty array (the
issue's ``shape (0, 535673910, 550801969)``), the length of a list, a tuple and a dict, a
constant factor and a relative error, a dtype, an exit code, an exception's class name and
message, printed output and warnings, an object's class name and repr, a dict's keys, a
structured dtype's field names, the name of a helper that takes finite differences. Its
notebook adds a cell that raises an exception of its own class and two cells sharing a
grade id of its own. ``atk_json`` submits a notebook whose JSON breaks at a position it
chose; ``atk_files`` a renamed notebook, a stray file, a link and a folder whose names it
chose and a ``timestamp.txt`` of its own text.

Then everything a student reads (the feedback HTML, the report in the ``--json`` file and
the saved one, the CSV export, Gradescope's results.json) holds none of it: no run of more
than six digits, no number of a channel's range, no decimal mantissa (a student's value to
two digits), nor the marker every string of the attackers carries. And each channel did
reach a message (its function's feedback says what it saw, in the grader's words), while
the controls score exactly what they score graded alone.
"""
import json
import os
import re
import shutil

import pytest
from support import ROOT

from autograder.round import feedback, gradescope, reports
from autograder.round.pipeline import grade_all, report_path
from autograder.round.samples import Sample, with_bug, write_submission
from autograder.sandbox.runner import Limits, describe_exit

A = "hw2_layers"
LIMITS = Limits(cell_seconds=4, call_seconds=4, student_seconds=60, max_restarts_total=6)
MARKER = "ZQX"      # in every string an attacker chose
CHOSEN = "31337"    # the number in every name an attacker chose
JSON_AT = 45678     # where atk_json's JSON breaks

#: The first number of the first argument as (hi, lo), two 9-digit numbers.
SECRET = (
    "import struct, warnings, os\nimport numpy as np\n"
    "def _secret(value):\n"
    "    first = float(np.asarray(value, dtype=float).flat[0])\n"
    "    bits = struct.unpack('<Q', struct.pack('<d', first))[0]\n"
    "    return (bits >> 35) | 2**28, (bits & (2**29 - 1)) | 2**28\n"
    "def _stable_sigmoid(x):\n"
    "    return np.exp(-np.logaddexp(0, -x))\n")

#: {graded name: source}: each function spells the hidden input into one channel.
CHANNELS = {
    # the shape of an empty array
    "affine_forward": "def affine_forward(x, w, b):\n    hi, lo = _secret(x)\n"
                      "    return np.empty((0, hi, lo)), None\n",
    # the length of a tuple
    "affine_backward": "def affine_backward(dout, cache):\n    hi, lo = _secret(dout)\n"
                       "    return tuple([0.0] * (6100 + lo % 800))\n",
    # a constant factor: 7.7xx times the right value
    "relu_forward": "def relu_forward(x):\n    hi, lo = _secret(x)\n"
                    "    return np.maximum(x, 0) * (7.7 + (lo % 90) / 1000), x\n",
    # a relative error of 0.0777xx
    "relu_backward": "def relu_backward(dout, cache):\n    hi, lo = _secret(dout)\n"
                     "    dx = dout * (cache > 0)\n"
                     "    dx.flat[np.argmax(np.abs(dx))] *= 1 + 0.16 * (1 + (lo % 90) / 1000)\n"
                     "    return dx\n",
    # an object's class name and repr
    "leaky_relu_forward": "def leaky_relu_forward(x, alpha=0.01):\n    hi, lo = _secret(x)\n"
                          f"    kind = type('{MARKER}Obj%d' % lo, (), "
                          f"{{'__repr__': lambda self: '{MARKER}%d' % lo}})\n"
                          "    return kind(), None\n",
    # a dict's keys
    "leaky_relu_backward": "def leaky_relu_backward(dout, cache):\n    hi, lo = _secret(dout)\n"
                           f"    return {{'{MARKER}%d' % lo: 1.0, '%d' % hi: 2.0}}\n",
    "prelu_forward": "def prelu_forward(x, alpha):\n"
                     "    return np.where(x > 0, x, alpha * x), (x, alpha)\n",
    # an exception's class name and message
    "prelu_backward": "def prelu_backward(dout, cache):\n    hi, lo = _secret(dout)\n"
                      f"    raise type('{MARKER}Err%d' % lo, (ValueError,), {{}})"
                      f"('{MARKER} %d %d' % (hi, lo))\n",
    # printed output and warnings, around a right value
    "sigmoid_forward": "def sigmoid_forward(x):\n    hi, lo = _secret(x)\n"
                       f"    print('{MARKER}', hi, lo)\n"
                       f"    warnings.warn('{MARKER} %d %d' % (hi, lo))\n"
                       "    out = _stable_sigmoid(x)\n    return out, out\n",
    # a structured dtype's field names
    "sigmoid_backward": "def sigmoid_backward(dout, cache):\n    hi, lo = _secret(dout)\n"
                        f"    return np.zeros(3, dtype=[('{MARKER}%d' % lo, 'f8')])\n",
    # a dtype
    "tanh_forward": "def tanh_forward(x):\n    hi, lo = _secret(x)\n"
                    "    kind = ['float16', 'float32', 'int32', 'int64'][lo % 4]\n"
                    "    return np.tanh(x).astype(kind), x\n",
    # a string
    "tanh_backward": "def tanh_backward(dout, cache):\n    hi, lo = _secret(dout)\n"
                     f"    return '{MARKER} %d %d' % (hi, lo)\n",
    "softmax_forward": "def softmax_forward(x):\n"
                       "    e = np.exp(x - x.max(axis=1, keepdims=True))\n"
                       "    out = e / e.sum(axis=1, keepdims=True)\n    return out, out\n",
    # the name of a helper taking finite differences (a name made at run time, too)
    "softmax_backward": (
        "def softmax_backward(dout, cache):\n    hi, lo = _secret(dout)\n"
        f"    def {MARKER}helper(x):\n"
        "        e = np.exp(x - x.max(axis=1, keepdims=True))\n"
        "        return np.sum(e / e.sum(axis=1, keepdims=True) * dout)\n"
        # a function nested in softmax_backward, compiled as a student cell at run time (the
        # call monitor's record names it; derivation.verdict says it with a stand-in)
        f"    src = ('def softmax_backward(f):\\n    def {MARKER}fd_%d(x):\\n'\n"
        f"           '        return f(x)\\n    return ' + '{MARKER}fd_%d\\n') % (lo, lo)\n"
        "    ns = {}\n    exec(compile(src, '<cell 2>', 'exec'), ns)\n"
        f"    f = ns['softmax_backward']({MARKER}helper)\n"
        "    x = np.array(dout, dtype=float)\n    dx = np.zeros_like(x)\n"
        "    if x.size > 1000:\n        return dx  # in time on the large case\n"
        "    for i in np.ndindex(*x.shape):\n"
        "        step = np.zeros_like(x)\n        step[i] = 1e-5\n"
        "        dx[i] = (f(x + step) - f(x - step)) / 2e-5\n"
        "    return dx\n"),
    # the shape of an array that is not empty: 8xxxx columns
    "softmax_loss": "def softmax_loss(x, y):\n    hi, lo = _secret(x)\n"
                    "    return 1.0, np.zeros((len(x), 80000 + lo % 9999))\n",
    # NaN in a chosen number of entries, and a huge loss
    "mse_loss": "def mse_loss(pred, target):\n    hi, lo = _secret(pred)\n"
                "    dpred = np.zeros((hi % 97 + 3, 5))\n    dpred[:] = np.nan\n"
                "    return float(hi), dpred\n",
    # the length of a list
    "bce_loss": "def bce_loss(prob, target):\n    hi, lo = _secret(prob)\n"
                "    return 1.0, [0.5] * (6100 + lo % 800)\n",
    # an exit code (graded last: the restarts it costs end the student's grading)
    "backprop": "def backprop(layers, x, y, loss_fn):\n    hi, lo = _secret(x)\n"
                "    os._exit(100 + lo % 100)\n",
}

#: A cell that fails with an exception of a class of the student's, named as it chose.
FAILING_CELL = (f"class {MARKER}CellError{CHOSEN}(RuntimeError):\n    pass\n"
                f"raise {MARKER}CellError{CHOSEN}('{MARKER} {CHOSEN}')\n")

#: Numbers in a range only a channel uses: the lengths, factors and errors above.
CHANNEL_NUMBERS = [
    re.compile(r"\b6,?[1-8]\d\d\b"),            # the list's and the tuple's lengths
    re.compile(r"\b8\d,?\d{3}\b"),              # the columns of softmax_loss's dx
    re.compile(r"SIG[A-Z]+"),                    # an exit code read as a signal's name
    re.compile(r"\b7\.7\d*"),                    # the factor 7.7xx
    re.compile(r"\d\.\d+e[-+]?\d"),              # a relative error to two digits or more
    re.compile(r"\bcode \d+"),                   # an exit code
    re.compile(rf"\b{JSON_AT // 10}\d\b"),       # the JSON error's position
    re.compile(CHOSEN),
]
LONG_RUN = re.compile(r"\d{7,}|\d{1,3}(?:,\d{3}){2,}")

#: {graded name: words its feedback must hold}: the channel reached a message, described.
DESCRIBED = {
    "affine_forward": "axes",
    "affine_backward": "more than",
    "relu_forward": "times the expected",
    "relu_backward": "relative error about 1e-",
    "leaky_relu_forward": "an object",
    "leaky_relu_backward": "a dict",
    "prelu_backward": "a ValueError",
    "sigmoid_backward": "records or raw bytes",
    "tanh_backward": "a string",
    "softmax_backward": "looks evaluated, not derived",  # its helpers named by stand-ins
    "softmax_loss": "more than",
    "bce_loss": "a list of more than 10 items",
    "mse_loss": "NaN or inf in more than 10 entries",
    "backprop": "stopped the grading process",
}


def controls():
    return [Sample("ctl_perfect", "the reference everywhere"),
            Sample("ctl_buggy", "dw transposed", answers={"affine_backward": with_bug(
                "affine_backward", "dw = x_flat.T @ dout", "dw = (x_flat.T @ dout).T")})]


def make_course(path):
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / A, path / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", path)
    return path


def add_cells(folder, cells):
    """Append ``cells`` (source, grade id or None) to every notebook in ``folder``."""
    for path in folder.glob("*.ipynb"):
        nb = json.loads(path.read_text())
        for k, (source, gid) in enumerate(cells):
            meta = {"nbgrader": {"grade_id": gid, "grade": False, "solution": False,
                                 "locked": False}} if gid else {}
            nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": meta,
                                "outputs": [], "source": source, "id": f"{MARKER}-{k}"})
        path.write_text(json.dumps(nb, indent=1))


def write_attackers(course):
    leaks = write_submission(course, A, Sample("atk_leaks", "every channel",
                                               answers=dict(CHANNELS)))
    own_id = f"{MARKER}cell{CHOSEN}"
    add_cells(leaks, [(SECRET, None), ("x = 1\n", own_id), ("y = 2\n", own_id),
                      (FAILING_CELL, None)])
    nb = json.loads((leaks / f"{A}.ipynb").read_text())  # _secret before the answers
    nb["cells"].insert(0, nb["cells"].pop(-4))
    (leaks / f"{A}.ipynb").write_text(json.dumps(nb, indent=1))
    write_submission(course, A, Sample("atk_json", "JSON broken where it chose",
                                       raw=" " * (JSON_AT - 1) + "{x"))
    files = write_submission(course, A, Sample("atk_files", "names it chose"))
    (files / f"{A}.ipynb").rename(files / f"{MARKER}_{CHOSEN}.ipynb")
    (files / f"{MARKER}_stray_{CHOSEN}.txt").write_text("x")
    (files / f"{MARKER}_dir_{CHOSEN}.ipynb").mkdir()
    os.symlink("/etc/hostname", files / f"{MARKER}_link_{CHOSEN}")
    (files / "timestamp.txt").write_text(f"{MARKER} {CHOSEN}")


ATTACKERS = ["atk_leaks", "atk_json", "atk_files"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    alone = make_course(tmp_path_factory.mktemp("alone"))
    for sample in controls():
        write_submission(alone, A, sample)
    baseline = grade_all(alone, A, jobs=2, limits=LIMITS, progress=False)
    course = make_course(tmp_path_factory.mktemp("leaky"))
    for sample in controls():
        write_submission(course, A, sample)
    write_attackers(course)
    json_path = course / "report.json"
    graded = grade_all(course, A, jobs=2, limits=LIMITS, json_path=json_path, progress=False)
    reports.export(course, "grades.csv")
    return {"course": course, "baseline": baseline, "reports": graded,
            "json": json.loads(json_path.read_text())["students"]}


def seen_by(graded, student):
    """{what: text} of everything ``student`` or their instructor's exports show them."""
    course = graded["course"]
    report = graded["reports"][student]
    rows = [line for line in (course / "grades.csv").read_text().splitlines()
            if f'"{student}"' in line]
    return {"feedback.html": (course / "feedback" / student / A / "feedback.html").read_text(),
            "report.json": json.dumps(graded["json"][student]),
            "saved report": json.dumps(json.loads(report_path(course, A, student).read_text())[
                "report"]),  # beside the grader's fingerprint of the submission
            "grades.csv": "\n".join(rows),
            "results.json": json.dumps(gradescope.results(report))}


@pytest.mark.parametrize("student", ATTACKERS)
def test_nothing_the_student_chose_is_shown(graded, student):
    for where, text in seen_by(graded, student).items():
        text = text.replace("&#x27;", "'")
        assert MARKER.lower() not in text.lower(), (where, text[text.lower().find("zqx") - 200:]
                                                    [:400])
        assert not LONG_RUN.findall(text), (where, LONG_RUN.findall(text))
        for pattern in CHANNEL_NUMBERS:
            assert not pattern.findall(text), (where, pattern.pattern, pattern.findall(text))


@pytest.mark.parametrize("name", sorted(DESCRIBED))
def test_each_channel_reached_a_message_said_in_the_graders_words(graded, name):
    function = graded["reports"]["atk_leaks"]["functions"][name]
    messages = " ".join(c["message"] for c in function["checks"])
    assert name in messages and DESCRIBED[name] in messages, messages
    assert function["score"] < function["max_score"]


def test_notebook_and_file_channels_reached_a_flag(graded):
    flags = {code: [f["message"] for f in r["flags"] if f["code"] == code]
             for r in graded["reports"].values() for code in {f["code"] for f in r["flags"]}}
    leaks = {f["code"]: f["message"] for f in graded["reports"]["atk_leaks"]["flags"]}
    assert "a RuntimeError" in leaks["cell_failed"] and "after the cell" in leaks["cell_failed"]
    assert "share a grade id" in leaks["duplicated_cell"]
    files = {f["code"]: f["message"] for f in graded["reports"]["atk_files"]["flags"]}
    assert {"renamed", "stray_files", "symlink", "notebook_folder", "bad_timestamp"} <= set(files)
    assert "not valid JSON (a JSON syntax error)" in flags["not_json"][0]
    assert graded["reports"]["atk_files"]["score"] == graded["reports"]["ctl_perfect"]["score"]


def test_feedback_guards_messages_and_shows_names_as_they_are():
    report = {"score": 0.0, "max_score": 1.0, "containment": "namespaces",
              "flags": [{"message": "cell 1234567 failed"}],
              "functions": {"affine_forward": {"score": 0.0, "max_score": 1.0, "checks": [
                  {"name": "values", "score": 0.0, "max_score": 1.0,
                   "message": "shape (0, 535673910, 550801969)"}]}}}
    page = feedback.render("20231234567", A, report)  # a university's numeric student id
    assert page.count("20231234567") == 2  # the title and the greeting
    assert "535673910" not in page and "1234567 " not in page


@pytest.mark.parametrize("code", range(256))
def test_an_exit_code_is_said_as_zero_or_not_and_signals_only_as_the_graders(code):
    said = describe_exit(code, None)
    assert not re.search(r"\d", said) and "SIG" not in said, said


def test_controls_score_as_when_graded_alone(graded):
    for student, alone in graded["baseline"].items():
        report = graded["reports"][student]
        assert report["score"] == alone["score"]
        assert {n: f["score"] for n, f in report["functions"].items()} == \
            {n: f["score"] for n, f in alone["functions"].items()}
    assert graded["reports"]["ctl_perfect"]["score"] == graded["reports"]["ctl_perfect"][
        "max_score"]
    messages = [c["message"] for c in
                graded["reports"]["ctl_buggy"]["functions"]["affine_backward"]["checks"]]
    assert any("transpose" in m for m in messages), messages
