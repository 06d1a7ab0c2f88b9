"""Sample submissions: a released notebook with its answer cells filled in.

Used by ``backproplab demo`` and by the tests' corpus. A sample is a set of answers
(graded name -> source code) and, optionally, extra cells appended to the notebook and a
transformation of the whole file. Answers default to the reference solution with its
solution markers removed; a bug is the reference with one replacement applied.
"""
import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import solutions

MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\n", re.M)


def reference_answer(name):
    return MARKER.sub("", inspect.getsource(getattr(solutions, name)))


def with_bug(name, old, new):
    source = reference_answer(name)
    if old not in source:
        raise ValueError(f"bug for {name}: {old!r} is not in the reference")
    return source.replace(old, new)


@dataclass
class Sample:
    """A student's submission, described by what differs from the reference."""

    student: str
    what: str
    answers: dict = field(default_factory=dict)    # name -> source (others: reference)
    blank: tuple = ()                                # names left as released (not implemented)
    all_blank: bool = False
    extra_cells: list = field(default_factory=list)  # code appended after the answers
    raw: str = ""                                    # the file's whole text, when broken

    def answer(self, name):
        if self.all_blank or name in self.blank:
            return None
        return self.answers.get(name, reference_answer(name))


def fill(release_nb, sample, graded):
    """The release notebook with the sample's answers in its answer cells."""
    nb = json.loads(json.dumps(release_nb))
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in graded and cell["cell_type"] == "code":
            code = sample.answer(gid)
            if code is not None:
                cell["source"] = code
    for code in sample.extra_cells:
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                            "outputs": [], "source": code, "id": f"extra-{len(nb['cells'])}"})
    return nb


def write_submission(course, assignment, sample):
    """Write ``submitted/<student>/<assignment>/<notebook>.ipynb`` for each released notebook."""
    graded = set(solutions.ASSIGNMENTS[assignment])
    out = Path(course) / "submitted" / sample.student / assignment
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((Path(course) / "release" / assignment).glob("*.ipynb")):
        if sample.raw:
            (out / path.name).write_text(sample.raw)
            continue
        nb = fill(json.loads(path.read_text()), sample, graded)
        (out / path.name).write_text(json.dumps(nb, indent=1))
    return out


# -------------------------------------------------------------------- the demo's class (hw2)

EINSUM_AFFINE = '''\
def affine_forward(x, w, b):
    flat = x.reshape(len(x), -1)
    return np.einsum("nd,dm->nm", flat, w) + b, {"x": x, "w": w}
'''
EINSUM_AFFINE_BACKWARD = '''\
def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)
    dw = np.einsum("nd,nm->dm", x.reshape(len(x), -1), dout)
    return dx, dw, np.einsum("nm->m", dout)
'''
LOOPS_RELU = '''\
def relu_forward(x):
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        out[i] = x[i] if x[i] > 0 else 0.0
    return out, x.copy()
'''
UNSTABLE_SOFTMAX = '''\
def softmax_loss(x, y):
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    n = len(x)
    loss = -np.log(p[np.arange(n), y]).mean()
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return float(loss), dx / n
'''
CHEATING_CELLS = [
    "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None",
    "get_ipython().input_transformers_cleanup.append(lambda lines: [])",
    "import builtins\nbuiltins.__import__('os')._exit(0)",
]


def demo_class():
    """Eight students of hw2_layers: right, blank, realistic bugs, a cheat, a broken file."""
    return [
        Sample("ada", "correct, as the reference writes it"),
        Sample("ben", "correct, written differently (einsum, dict caches, loops)",
               answers={"affine_forward": EINSUM_AFFINE, "affine_backward": EINSUM_AFFINE_BACKWARD,
                        "relu_forward": LOOPS_RELU}),
        Sample("cleo", "handed in the notebook untouched", all_blank=True),
        Sample("dev", "transposed dw, db not summed over the batch", answers={
            "affine_backward": with_bug("affine_backward", "dw = x_flat.T @ dout",
                                        "dw = (x_flat.T @ dout).T").replace(
                "db = dout.sum(axis=0)", "db = dout")}),
        Sample("eve", "relu gradient wrong at 0, sigmoid sign flipped", answers={
            "relu_backward": with_bug("relu_backward", "(x > 0)", "(x >= 0)"),
            "sigmoid_backward": with_bug("sigmoid_backward", "dx = dout * s", "dx = -dout * s")}),
        Sample("finn", "softmax without the max shift, mse without 1/N", answers={
            "softmax_loss": UNSTABLE_SOFTMAX,
            "mse_loss": with_bug("mse_loss", "dpred = 2.0 * diff / n", "dpred = 2.0 * diff")}),
        Sample("gus", "wrong relu, then tries to cheat (patches numpy and IPython, exits)",
               answers={"relu_forward": "def relu_forward(x):\n    return x, x\n"},
               extra_cells=CHEATING_CELLS),
        Sample("hana", "a notebook that is not valid JSON", raw='{"cells": [ {"cell_type": '),
    ]
