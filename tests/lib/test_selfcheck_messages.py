"""Self-checks name the real mistake (issue 18, item 5): a corpus of wrong answers, each run
through the notebook's own self-check cell (the source notebook, every other answer filled in
by the reference), and the message it must print. Like the grading corpus, one wrong
implementation per case; unlike it, the judge is the student-facing self-check.
"""
import contextlib
import io
import json
import shutil

import nbformat
import pytest
from support import ROOT, notebooks, source_text

EAGER_RECURSION = '''def backward_pass(nodes, output):
    grads = {output: 1.0}

    def send(name):
        op, parents = nodes[name]
        if op is None:
            return
        for parent, share in zip(parents, op.backward(grads[name])):
            grads[parent] = grads.get(parent, 0.0) + share
            send(parent)

    send(output)
    return grads
'''

DX_NOT_PASSED_ON = '''def backprop(layers, x, y, loss_fn):
    caches, out = [], x
    for forward, _, params in layers:
        out, cache = forward(out, *params)
        caches.append(cache)
    loss, dout = loss_fn(out, y)
    grads = []
    for (_, backward, params), cache in zip(reversed(layers), reversed(caches)):
        if params:
            dx, *dparams = backward(dout, cache)
            grads.append(tuple(dparams))
        else:
            dx = backward(dout, cache)
            grads.append(())
    return loss, grads[::-1]
'''

DIAGONAL_ONLY = '''def softmax_backward(dout, cache):
    y = cache
    return dout * y * (1 - y)
'''

SOFTMAX_FORWARD_CACHING_Y = '''def softmax_forward(x):
    shifted = x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    y = e / e.sum(axis=1, keepdims=True)
    return y, y
'''


def notebook_cells(path):
    """(grade_id, source, tags) of the code cells a student runs, hidden tests left out."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if cell["cell_type"] == "code" and not grade_id.startswith("test_"):
            yield grade_id, source_text(cell), cell["metadata"].get("tags", [])


def self_check_output(assignment, name, answers, monkeypatch):
    """Run the source notebook of ``assignment`` (demonstrations skipped) with the answer
    cells of ``answers`` replaced by the code given, up to and including the self-check of
    ``name``; return what that self-check printed."""
    (path,) = notebooks(ROOT / "source", assignment)
    monkeypatch.chdir(path.parent)
    namespace = {"__name__": "__main__"}
    for grade_id, source, tags in notebook_cells(path):
        if "demo" in tags:
            continue
        source = answers.get(grade_id, source)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"{path.name}:{grade_id or 'cell'}", "exec"), namespace)
        if grade_id == f"selfcheck_{name}":
            return " ".join(out.getvalue().split())
    raise AssertionError(f"{assignment} has no self-check for {name}")


def test_a_recursive_backward_pass_is_told_its_order_not_to_add_every_share(monkeypatch):
    said = self_check_output("hw1_graphs", "backward_pass", {"backward_pass": EAGER_RECURSION},
                             monkeypatch)
    assert "the backward of a ran 3 times" in said
    assert "as soon as one share has arrived" in said and "reverse topological order" in said
    assert "add every share" not in said


def test_a_backprop_that_never_passes_dx_on_is_told_so_not_a_raw_error(monkeypatch):
    said = self_check_output("hw2_layers", "backprop", {"backprop": DX_NOT_PASSED_ON},
                             monkeypatch)
    assert ("problem: layer 3 (leaky_relu_backward) output an array of shape (4, 4), but its "
            "backward was handed an upstream gradient of shape (4, 3), the loss's own gradient "
            "dscores") in said
    assert "is it passed on" in said and "ValueError" not in said


def test_a_softmax_backward_with_only_the_jacobians_diagonal_is_named(monkeypatch):
    said = self_check_output("hw2_layers", "softmax_backward",
                             {"softmax_forward": SOFTMAX_FORWARD_CACHING_Y,
                              "softmax_backward": DIAGONAL_ONLY}, monkeypatch)
    assert "softmax_backward: wrong" in said
    assert "only the diagonal of the Jacobian is used" in said


def test_a_right_softmax_backward_and_backprop_get_no_such_message(monkeypatch):
    said = self_check_output("hw2_layers", "backprop", {}, monkeypatch)
    assert "problem" not in said and "Checked: the gradient backprop returns" in said
    said = self_check_output("hw1_graphs", "backward_pass", {}, monkeypatch)
    assert "9 of 9 checks agree" in said


# ------------------------------------------------------------------ hw3's loader of hw2

def hw2_notebook(tmp_path, answers):
    """A copy of the released hw2 notebook whose answer cells hold the reference solutions,
    except those of ``answers`` (name -> code), in a folder beside an hw3 folder."""
    from autograder.round.samples import reference_answer
    nb = nbformat.read(ROOT / "release" / "hw2_layers" / "hw2_layers.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            name = meta["grade_id"]
            cell.source = answers.get(name) or reference_answer(name)
    (tmp_path / "hw2_layers").mkdir()
    nbformat.write(nb, tmp_path / "hw2_layers" / "hw2_layers.ipynb")
    shutil.copytree(ROOT / "source" / "hw3_cnn", tmp_path / "hw3_cnn")
    return tmp_path / "hw3_cnn"


def hw3_loader_output(folder, monkeypatch):
    """What hw3's cell that loads the hw2 functions prints, run from ``folder``."""
    (path,) = notebooks(ROOT / "source", "hw3_cnn")
    monkeypatch.chdir(folder)
    namespace = {"__name__": "__main__"}
    for grade_id, source, tags in notebook_cells(path):
        if "demo" in tags and "functions_from_notebook(HW2_PATH" not in source:
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"{path.name}:{grade_id or 'cell'}", "exec"), namespace)
        if "functions_from_notebook(HW2_PATH" in source:
            return " ".join(out.getvalue().split()), namespace
    raise AssertionError("hw3 has no cell loading hw2")


SOFTMAX_LOSS_ON_OWN_SOFTMAX = '''def softmax_loss(x, y):
    p, _ = softmax_forward(x)
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dx = p.copy()
    dx[np.arange(n), y] -= 1
    return float(-log_p[np.arange(n), y].mean()), dx / n
'''

UNFINISHED_SOFTMAX_FORWARD = '''def softmax_forward(x):
    # YOUR CODE HERE
    raise NotImplementedError()
'''


def test_hw3_loads_an_hw2_softmax_loss_that_calls_the_students_own_softmax_forward(
        tmp_path, monkeypatch):
    folder = hw2_notebook(tmp_path, {"softmax_loss": SOFTMAX_LOSS_ON_OWN_SOFTMAX})
    said, namespace = hw3_loader_output(folder, monkeypatch)
    assert said.startswith("Loaded your affine_forward"), said
    assert "NameError" not in said and namespace["hw2"] is not None


def test_hw3_blames_the_hw2_function_at_fault_not_the_one_that_calls_it(tmp_path, monkeypatch):
    folder = hw2_notebook(tmp_path, {"softmax_loss": SOFTMAX_LOSS_ON_OWN_SOFTMAX,
                                     "softmax_forward": UNFINISHED_SOFTMAX_FORWARD})
    said, namespace = hw3_loader_output(folder, monkeypatch)
    assert said.startswith("softmax_forward in ../hw2_layers/hw2_layers.ipynb is not "
                           "implemented yet"), said
    assert namespace["hw2"] is None
