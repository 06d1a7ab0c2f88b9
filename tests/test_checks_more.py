"""The hidden checks of hw1 (checks_graphs), hw2's backprop (checks_backprop) and hw4
(checks_training), run against the reference solutions as if they were a student's cells.

One contained student process serves the whole module: the reference earns full marks on every
function, then each realistic bug is swapped into the process (its cell re-run with the bug,
then with the reference again) and must cost marks with the expected diagnosis.
"""
import inspect
from contextlib import contextmanager

import pytest

import solutions
from autograder import checks_backprop, checks_graphs, checks_training
from autograder.judge import FunctionGrade, Judge
from autograder.sandbox.runner import StudentProcess

CHECKS = {**checks_graphs.checks(), **checks_backprop.checks(), **checks_training.checks()}
NAMES = [n for n in solutions.GRADED_NAMES if n in CHECKS]
SEED = 20240917


def source(name):
    return inspect.getsource(getattr(solutions, name))


@pytest.fixture(scope="module")
def student():
    """(process, {name: cell index}) with the reference solutions as the student's cells."""
    cells = [(0, "import numpy as np"), (1, inspect.getsource(solutions.Operation))]
    index = {}
    for name in NAMES:
        index[name] = len(cells)
        cells.append((len(cells), source(name)))
    with StudentProcess(cells) as proc:
        yield proc, index


def grade(proc, name):
    if hasattr(proc, "begin"):
        proc.begin(name)
    return FunctionGrade(name, 3.0, CHECKS[name](Judge(proc, SEED)))


@contextmanager
def bugged(student, name, replacements):
    """The student's cell of ``name`` with each ``old => new`` applied, for the block."""
    proc, index = student
    text = source(name)
    for old, new in replacements:
        assert old in text, f"the bug does not apply to {name}: {old!r}"
        text = text.replace(old, new)
    proc.run_cell(index[name], text)
    assert proc.outcomes[index[name]].ok, proc.outcomes[index[name]]
    try:
        yield
    finally:
        proc.run_cell(index[name], source(name))


def test_every_graded_name_of_hw1_hw2_backprop_hw4_has_checks():
    wanted = (solutions.ASSIGNMENTS["hw1_graphs"] + ["backprop"] +
              solutions.ASSIGNMENTS["hw4_training"])
    assert sorted(NAMES) == sorted(wanted)


@pytest.mark.parametrize("name", NAMES)
def test_reference_earns_full_marks(student, name):
    grade_ = grade(student[0], name)
    bad = [(c.name, c.kind, c.message) for c in grade_.checks if c.fraction < 1]
    assert grade_.score == pytest.approx(3.0), bad
    assert all(c.weight > 0 for c in grade_.checks)


# (graded name, [(old, new), ...], the diagnosis kind expected among the failed checks)
BUGS = {
    "Add overrides __call__ without self.value": (
        "Add", [("def backward(self", "def __call__(self, *args):\n        self.inputs = args\n"
                 "        return self.forward(*args)\n\n    def backward(self")], "value_not_set"),
    "Multiply backward swaps the inputs": (
        "Multiply", [("output_grad * b, output_grad * a", "output_grad * a, output_grad * b")],
        "swapped"),
    "Divide backward misses the minus sign": (
        "Divide", [("-output_grad * a / (b * b)", "output_grad * a / (b * b)")], "sign_flipped"),
    "Exp backward returns a bare value": (
        "Exp", [("(output_grad * self.value,)", "output_grad * self.value")], "bare_value"),
    "Log backward multiplies by a": (
        "Log", [("(output_grad / a,)", "(output_grad * a,)")], "wrong_values"),
    "Sin backward returns two gradients": (
        "Sin", [("(output_grad * np.cos(a),)", "(output_grad * np.cos(a), output_grad)")],
        "wrong_count"),
    "example misses the path through e (via a)": (
        "example_forward_backward", [("dd * d + de / b - df", "dd * d - df")], "missing_path"),
    "example overwrites db (path through e via b lost)": (
        "example_forward_backward", [("db = db + dc", "db = dc")], "missing_path"),
    "numerical_gradient with forward differences": (
        "numerical_gradient", [("(f_plus - f_minus) / (2 * h)", "(f_plus - f(x)) / h")],
        "one_sided_differences"),
    "numerical_gradient mutates x": (
        "numerical_gradient", [("x = np.array(x, dtype=np.float64)",
                                "x = np.asarray(x, dtype=np.float64)"),
                               ("        x[i] = saved\n", "")], "input_mutated"),
    "numerical_gradient ignores h": (
        "numerical_gradient", [("saved + h", "saved + 1e-5"), ("saved - h", "saved - 1e-5"),
                               ("(2 * h)", "(2 * 1e-5)")], "ignores_h"),
    "numerical_gradient flattens": (
        "numerical_gradient", [("return grad", "return grad.ravel()")], "wrong_shape"),
    "backprop reverses grads": (
        "backprop", [("grads = [()] * len(layers)", "grads = []"),
                     ("grads[i] = tuple(dparams)", "grads.append(tuple(dparams))"),
                     ("dout = backward(dout, caches[i])",
                      "dout = backward(dout, caches[i])\n            grads.append(())")],
        "reversed_order"),
    "backprop does not pass dout on": (
        "backprop", [("dout, *dparams = backward(dout, caches[i])",
                      "_, *dparams = backward(dout, caches[i])")], "upstream_not_passed"),
    "backprop keeps dx among the grads": (
        "backprop", [("grads[i] = tuple(dparams)", "grads[i] = (dout, *dparams)")],
        "includes_dx"),
    "backprop puts None for a layer without params": (
        "backprop", [("grads = [()] * len(layers)", "grads = [None] * len(layers)")],
        "paramless_entry"),
    "dropout scales by p": (
        "dropout_forward", [("/ (1.0 - p)", "/ p")], "scaled_by_p"),
    "dropout does not scale": (
        "dropout_forward", [("/ (1.0 - p)", "* 1.0")], "not_scaled"),
    "dropout takes p as the keep probability": (
        "dropout_forward", [(">= p) / (1.0 - p)", "< p) / p")], "p_is_keep_probability"),
    "dropout draws from np.random": (
        "dropout_forward", [("rng.random(x.shape)", "np.random.random(x.shape)")],
        "not_reproducible"),
    "dropout scales at test time": (
        "dropout_forward", [("return x.copy(), None", "return x * (1 - p), None")],
        "scaled_at_test_time"),
    "dropout backward forgets the scaling": (
        "dropout_backward", [("dx = dout * mask", "dx = dout * (mask > 0)")], "unscaled_mask"),
    "l2 loss with a factor 1/2": (
        "l2_penalty", [("loss = reg * sum", "loss = 0.5 * reg * sum")], "scaled_by_half"),
    "sgd updates in place": (
        "sgd_step", [("new_params = [p - lr * g for p, g in zip(params, grads)]",
                      "for p, g in zip(params, grads):\n        p -= lr * g\n"
                      "    new_params = params")], "input_mutated"),
    "momentum adds lr * g": (
        "sgd_momentum_step", [("momentum * v - lr * g", "momentum * v + lr * g")],
        "gradient_sign"),
    "adam without bias correction": (
        "adam_step", [("(mi / (1 - beta1**t)) / (np.sqrt(vi / (1 - beta2**t)) + eps)",
                       "mi / (np.sqrt(vi) + eps)")], "missing_bias_correction"),
    "adam does not count steps": (
        "adam_step", [('new_state = {"t": t,', 'new_state = {"t": state["t"],')],
        "state_not_carried"),
    "xavier with sqrt(2/fan_in)": (
        "init_weights", [('"xavier": np.sqrt(1.0 / fan_in)', '"xavier": np.sqrt(2.0 / fan_in)')],
        "wrong_std"),
    "init raises KeyError for an unknown scheme": (
        "init_weights", [("raise ValueError", "raise KeyError")], "wrong_exception"),
    "init draws from np.random": (
        "init_weights", [("rng.standard_normal((fan_in, fan_out))",
                          "np.random.standard_normal((fan_in, fan_out))")], "not_reproducible"),
}


@pytest.mark.parametrize("bug", list(BUGS))
def test_bug_costs_marks_with_its_diagnosis(student, bug):
    name, replacements, kind = BUGS[bug]
    with bugged(student, name, replacements):
        grade_ = grade(student[0], name)
    failed = {c.kind for c in grade_.checks if c.fraction < 1}
    assert grade_.score < 3.0
    assert kind in failed, [(c.name, c.kind, c.message) for c in grade_.checks]


def test_every_function_has_a_bug():
    assert {name for name, _, _ in BUGS.values()} == set(NAMES)


def test_a_consistent_backward_keeps_its_credit(student):
    """dropout_forward scaling by p is wrong, but a backward that follows it is right."""
    with bugged(student, "dropout_forward", [("/ (1.0 - p)", "/ p")]):
        assert grade(student[0], "dropout_backward").score == pytest.approx(3.0)


def test_messages_never_show_hidden_values(student):
    """Under a bug that fails several checks, no message prints a hidden float."""
    import re
    with bugged(student, "example_forward_backward", [("dx = da * z + db / x",
                                                       "dx = da * z + db * x")]):
        grade_ = grade(student[0], "example_forward_backward")
    for check in grade_.checks:
        # the only numbers allowed: counts, the public point (2, 3), errors in e-notation
        assert not re.search(r"\d\.\d{3,}", check.message), check.message


def test_zeros_forward_and_backward_earn_no_finite_difference_credit(student):
    """Consistency with a forward that ignores its inputs is not evidence of a gradient."""
    proc, index = student
    zero_multiply = ("class Multiply(Operation):\n    def forward(self, a, b):\n"
                     "        return 0.0 * a * b\n    def backward(self, output_grad):\n"
                     "        a, b = self.inputs\n        return 0.0 * a, 0.0 * b\n")
    proc.run_cell(index["Multiply"], zero_multiply)
    try:
        checks = {c.name: c for c in grade(proc, "Multiply").checks}
    finally:
        proc.run_cell(index["Multiply"], source("Multiply"))
    fd = [c for name, c in checks.items() if "finite differences" in name][0]
    assert fd.fraction == 0 and fd.kind == "forward_ignores_input"
