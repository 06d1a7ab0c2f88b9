"""The grader's rule, checked early: a graded function that calls backproplab fails its
self-check with the grader's message, while honest functions, the self-checks' own machinery
and the package outside a check work as before."""
import ast
import contextlib
import functools
import importlib
import inspect
import io
import json
import pkgutil

import backproplab
import backproplab.training
import matplotlib
import numpy as np
import pytest
from backproplab import GraderOnly, check_function, check_layer, check_loss, grading
from backproplab.gradcheck import away_from_kinks
from support import (
    ASSIGNMENTS,
    ROOT,
    affine_backward,
    affine_forward,
    notebooks,
    softmax_loss,
    source_text,
)

matplotlib.use("Agg")


def message(path):
    return (f"{path} is not available while grading: a graded function must compute its "
            f"result with your own code")


def graders_message(path):
    """The message of the grader's stub package (autograder/sandbox/child.py), read from its
    source: the child can't be imported outside a contained process."""
    tree = ast.parse((ROOT / "autograder" / "sandbox" / "child.py").read_text(encoding="utf-8"))
    refusing = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                    and n.name == "Refusing")
    raised = next(n.exc for n in ast.walk(refusing) if isinstance(n, ast.Raise)
                  and isinstance(n.exc, ast.Call) and n.exc.func.id == "GraderOnly")
    return "".join(part.value if isinstance(part, ast.Constant) else path
                   for part in raised.args[0].values)


# ------------------------------- helpers using the test layers (support.py; ``xwb``: conftest)

def backward_using_rel_error(dout, cache):
    dx, dw, db = affine_backward(dout, cache)
    backproplab.rel_error(dx, dx)  # "just checking", inside a graded function
    return dx, dw, db


def backward_using_gradient_check(dout, cache):
    x, w = cache
    dx, dw, db = affine_backward(dout, cache)
    backproplab.gradient_check(lambda w: x.reshape(len(x), -1) @ w, [w.copy()], [dw], dout)
    return dx, dw, db


def backward_using_away_from_kinks(dout, cache):
    x, w = cache
    dx, dw, db = affine_backward(dout, (away_from_kinks(x), w))  # "just tidying", in a graded function
    return dx, dw, db


# ------------------------------------------------------------------------------ the message

def test_the_message_is_the_graders():
    assert message("{path}") == graders_message("{path}")
    with pytest.raises(GraderOnly) as refused, grading():
        backproplab.rel_error(np.zeros(1), np.zeros(1))
    assert str(refused.value) == graders_message("backproplab.rel_error")
    assert issubclass(GraderOnly, RuntimeError)


# ------------------------------------------------------------ cheating functions fail, loudly

@pytest.mark.parametrize("backward, path", [
    (backward_using_rel_error, "backproplab.rel_error"),
    (backward_using_gradient_check, "backproplab.gradient_check"),
    (backward_using_away_from_kinks, "backproplab.away_from_kinks"),
])
def test_a_backward_calling_the_package_fails_its_self_check(xwb, capsys, backward, path):
    with pytest.raises(GraderOnly) as refused:
        check_layer(affine_forward, backward, *xwb)
    assert str(refused.value) == message(path)
    out = capsys.readouterr().out
    assert out.startswith(f"{backward.__name__}: not allowed")
    assert message(path) in " ".join(out.split())


def test_a_forward_calling_the_package_fails_its_self_check(xwb):
    def affine_forward_with_a_helper(x, w, b):
        backproplab.training.params_of([])
        return affine_forward(x, w, b)

    with pytest.raises(GraderOnly, match="^backproplab.training.params_of is not available"):
        check_layer(affine_forward_with_a_helper, affine_backward, *xwb, verbose=False)


def test_a_loss_and_a_gradient_function_calling_the_package_fail_their_self_checks():
    rng = np.random.default_rng(1)
    scores, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)

    def loss_with_a_check(scores, y):
        loss, dscores = softmax_loss(scores, y)
        backproplab.check_loss(softmax_loss, scores, y, verbose=False)
        return loss, dscores

    with pytest.raises(GraderOnly) as refused:
        check_loss(loss_with_a_check, scores, y, verbose=False)
    assert str(refused.value) == message("backproplab.check_loss")

    def cos_by_differences(dout, x):
        check = backproplab.gradient_check(np.sin, [x.copy()], [np.cos(x) * dout], dout)
        return np.cos(x) * dout if check.verdict == "pass" else 0 * x

    with pytest.raises(GraderOnly, match="backproplab.gradient_check is not"):
        check_function(np.sin, cos_by_differences, scores, verbose=False)


def test_the_check_refuses_even_when_the_first_call_is_fine(xwb):
    """A function that calls the package only sometimes (here: from its second call on) is
    caught too: every call of the student's function runs as when graded."""
    calls = []

    def forward(x, w, b):
        calls.append(1)
        if len(calls) > 1:
            backproplab.make_moons(10)
        return affine_forward(x, w, b)

    with pytest.raises(GraderOnly, match="backproplab.make_moons"):
        check_layer(forward, affine_backward, *xwb, verbose=False)
    assert len(calls) >= 2


# ---------------------------------------------------------------- honest work is unaffected

def test_honest_functions_pass_as_before_and_the_package_works_outside(xwb, capsys):
    result = check_layer(affine_forward, affine_backward, *xwb)
    assert result.ok and result.status == "looks right"
    assert "not allowed" not in capsys.readouterr().out
    assert check_loss(softmax_loss, xwb[0].reshape(4, -1), np.array([0, 1, 2, 3]),
                      verbose=False).ok
    with pytest.raises(GraderOnly):
        check_layer(affine_forward, backward_using_rel_error, *xwb, verbose=False)
    assert not backproplab.is_grading()
    assert backproplab.rel_error(np.ones(2), np.ones(2)) == 0.0  # after a refusal too
    assert check_layer(affine_forward, affine_backward, *xwb, verbose=False).ok


def test_grading_is_undone_on_errors_and_nests():
    with pytest.raises(ZeroDivisionError), grading():
        1 / 0
    assert not backproplab.is_grading()
    assert backproplab.rel_error(np.ones(1), np.ones(1)) == 0.0
    with grading():
        inner = backproplab.rules._grading()
        with inner:
            assert backproplab.rules._GRADING.get()
        assert backproplab.rules._GRADING.get()
    assert not backproplab.is_grading()


def test_functions_keep_their_names_signatures_and_documentation():
    from backproplab import gradcheck, selfcheck
    assert backproplab.rel_error.__name__ == "rel_error"
    assert "relative error" in backproplab.rel_error.__doc__
    assert list(inspect.signature(check_layer).parameters)[:2] == ["forward", "backward"]
    assert selfcheck.gradient_check is gradcheck.gradient_check is backproplab.gradient_check


# ------------------------------------------------------- every public name, every module

def package_modules():
    return [importlib.import_module(f"backproplab.{m.name}")
            for m in pkgutil.iter_modules(backproplab.__path__)]


def public_callables():
    for module in package_modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield module.__name__, name, obj


def test_every_public_function_and_class_of_every_module_refuses_while_grading():
    seen = []
    for module_name, name, obj in public_callables():
        path = f"backproplab.{name}" if vars(backproplab).get(name) is obj \
            else f"{module_name}.{name}"
        with pytest.raises(GraderOnly) as refused, grading():
            obj()  # refused before its arguments are even looked at
        assert str(refused.value) == message(path), path
        seen.append(path)
    assert {"backproplab.check_layer", "backproplab.grading", "backproplab.Graph",
            "backproplab.plots.plot_history", "backproplab.widgets.Playground",
            "backproplab.training.fit", "backproplab.functions_from_notebook"} <= set(seen)


# ------------------------------------------ the self-checks of the notebooks, as students run them

def cheats(obj):
    """Versions of ``obj`` (a graded function, or an Operation class) that call
    backproplab.rel_error: the function first, a class in its forward or in its backward."""
    def peek():
        backproplab.rel_error(np.zeros(1), np.zeros(1))

    if inspect.isclass(obj):
        return [type(obj.__name__, (obj,), {
                    "forward": lambda self, *args: (peek(), obj.forward(self, *args))[1]}),
                type(obj.__name__, (obj,), {
                    "backward": lambda self, grad: (peek(), obj.backward(self, grad))[1]})]

    @functools.wraps(obj)
    def cheat(*args, **kwargs):
        peek()
        return obj(*args, **kwargs)
    return [cheat]


def notebook_cells(path):
    """(kind, graded name, source) of the code cells a student runs, demonstrations left out:
    kind is "selfcheck" for a self-check cell, else "cell"; hidden-test cells are skipped."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if cell["cell_type"] != "code" or "demo" in cell["metadata"].get("tags", []) \
                or grade_id.startswith("test_"):
            continue
        if grade_id.startswith("selfcheck_"):
            yield "selfcheck", grade_id.removeprefix("selfcheck_"), source_text(cell)
        else:
            yield "cell", None, source_text(cell)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_notebook_self_check_fails_with_the_graders_message(assignment, monkeypatch):
    """Run each source notebook's cells (the solutions filled in, demonstrations skipped); run
    every self-check once honestly and once with its graded function calling the package."""
    (path,) = notebooks(ROOT / "source", assignment)
    monkeypatch.chdir(path.parent)
    namespace = {"__name__": "__main__"}
    checked = []
    with contextlib.redirect_stdout(io.StringIO()):
        for kind, name, source in notebook_cells(path):
            code = compile(source, f"{path.name}:{name or 'cell'}", "exec")
            exec(code, namespace)
            if kind != "selfcheck":
                continue
            honest = namespace[name]
            if not callable(honest):  # numbers worked by hand (by_hand_<stem>): nothing to call
                continue
            for cheat in cheats(honest):
                namespace[name] = cheat
                try:
                    exec(code, namespace)
                except GraderOnly as error:
                    refused = str(error)
                else:
                    refused = "nothing: the self-check ran without refusing"
                finally:
                    namespace[name] = honest
                assert refused == message("backproplab.rel_error"), \
                    f"the self-check of {name}, with {name} calling backproplab, raised {refused}"
            checked.append(name)
    assert checked, f"{path.name} has no self-check"
