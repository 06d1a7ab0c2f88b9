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
from autograder.assignments.hw1_graphs import operations as checks_graphs
from autograder.assignments.hw2_layers import backprop as checks_backprop
from autograder.assignments.hw4_training import train_epoch as checks_training
from autograder.judging.judge import FunctionGrade, Judge
from autograder.judging.weights import TABLE
from autograder.sandbox.runner import StudentProcess

CHECKS = {**checks_graphs.checks(), **checks_backprop.checks(), **checks_training.checks()}
NAMES = [n for n in solutions.GRADED_NAMES if n in CHECKS]
SEED = 20240917
SEEDS = range(6)  # other students: the same code must get the same score and diagnoses


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


def grade(proc, name, seed=SEED):
    if hasattr(proc, "begin"):
        proc.begin(name)
    return FunctionGrade(name, 3.0, CHECKS[name](Judge(proc, seed)))


@contextmanager
def replaced(student, name, text):
    """The student's cell of ``name`` replaced by ``text``, for the block."""
    proc, index = student
    proc.run_cell(index[name], text)
    assert proc.outcomes[index[name]].ok, proc.outcomes[index[name]]
    try:
        yield
    finally:
        proc.run_cell(index[name], source(name))


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
    for seed in (SEED, *SEEDS):
        grade_ = grade(student[0], name, seed)
        bad = [(c.name, c.kind, c.message) for c in grade_.checks if c.fraction < 1]
        assert grade_.score == pytest.approx(3.0), (seed, bad)
        assert all(c.weight > 0 for c in grade_.checks)
        assert all(c.name in TABLE for c in grade_.checks)


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
        "Log", [("(output_grad / a,)", "(output_grad * a,)")], "wrong_local_derivative"),
    "Log backward forgets 1/a": (
        "Log", [("(output_grad / a,)", "(output_grad,)")], "wrong_local_derivative"),
    "Exp backward uses the input instead of the output": (
        "Exp", [("(output_grad * self.value,)", "(output_grad * self.inputs[0],)")],
        "wrong_local_derivative"),
    "Sin backward takes the cosine of the output": (
        "Sin", [("np.cos(a)", "np.cos(self.value)")], "wrong_local_derivative"),
    "Divide backward forgets the square of b": (
        "Divide", [("-output_grad * a / (b * b)", "-output_grad * a / b")],
        "wrong_local_derivative"),
    "Exp backward takes finite differences of forward": (
        "Exp", [("(output_grad * self.value,)",
                 "(output_grad * (self.forward(self.inputs[0] + 1e-5)\n"
                 "                        - self.forward(self.inputs[0] - 1e-5)) / 2e-5,)")],
        "not_derived"),
    "Multiply backward ignores output_grad": (
        "Multiply", [("output_grad * b, output_grad * a", "b, a")], "ignores_upstream"),
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
    "numerical_gradient leaves x moved after each entry": (
        "numerical_gradient", [("        x[i] = saved\n", "")], "x_not_restored"),
    "numerical_gradient moves every entry at once": (
        "numerical_gradient", [("f_plus = f(x)", "f_plus = f(x + h)"),
                               ("f_minus = f(x)", "f_minus = f(x - h)"),
                               ("x[i] = saved + h", "pass"), ("x[i] = saved - h", "pass")],
        "moves_every_entry"),
    "numerical_gradient flattens": (
        "numerical_gradient", [("return grad", "return grad.ravel()")], "wrong_shape"),
    "topological_order returns the reverse": (
        "topological_order", [("    return order\n", "    return order[::-1]\n")],
        "reversed_order"),
    "backward_pass stores each share with =": (
        "backward_pass", [("grads[parent] + local if parent in grads else local", "local")],
        "overwrote_gradient"),
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
        "step_count_not_advanced"),
    "adam's step count starts one too high": (
        "adam_step", [('"t": 0,', '"t": 1,')], "step_count_off_by_one"),
    "adam corrects the step count after using it": (
        "adam_step", [('t = state["t"] + 1', 't = state["t"]'),
                      ('new_state = {"t": t,', 'new_state = {"t": t + 1,')], "step_count_zero"),
    "adam corrects m only": (
        "adam_step", [("(np.sqrt(vi / (1 - beta2**t)) + eps)", "(np.sqrt(vi) + eps)")],
        "bias_correction_one_moment"),
    "adam corrects v only": (
        "adam_step", [("(mi / (1 - beta1**t))", "mi")], "bias_correction_one_moment"),
    "adam keeps only the last gradient as m": (
        "adam_step", [("beta1 * m + (1 - beta1) * g", "(1 - beta1) * g")], "state_not_carried"),
    "momentum keeps the whole velocity": (
        "sgd_momentum_step", [("momentum * v - lr * g", "v - lr * g")], "momentum_ignored"),
    "momentum ignores lr": (
        "sgd_momentum_step", [("momentum * v - lr * g", "momentum * v - g")], "ignores_lr"),
    "momentum moves params by the old velocity": (
        "sgd_momentum_step", [("p + v for p, v in zip(params, new_velocities)",
                               "p + v for p, v in zip(params, velocities)")], "old_velocity"),
    "sgd climbs the gradient": (
        "sgd_step", [("p - lr * g", "p + lr * g")], "gradient_sign"),
    "sgd ignores lr": (
        "sgd_step", [("p - lr * g", "p - g")], "ignores_lr"),
    "sgd returns the step": (
        "sgd_step", [("p - lr * g", "-lr * g")], "returns_step"),
    "dropout backward draws a new mask": (
        "dropout_backward", [("dx = dout * mask", "dx = dout * (np.random.random(dout.shape) "
                              ">= 0.5) * mask.max()")], "different_mask"),
    "dropout backward ignores the mask": (
        "dropout_backward", [("dx = dout * mask", "dx = dout * mask.max()")], "ignores_mask"),
    "he with sqrt(1/fan_in)": (
        "init_weights", [('"he": np.sqrt(2.0 / fan_in)', '"he": np.sqrt(1.0 / fan_in)')],
        "wrong_std"),
    "xavier with sqrt(2/fan_in)": (
        "init_weights", [('"xavier": np.sqrt(1.0 / fan_in)', '"xavier": np.sqrt(2.0 / fan_in)')],
        "wrong_std"),
    "init raises KeyError for an unknown scheme": (
        "init_weights", [("raise ValueError", "raise KeyError")], "wrong_exception"),
    "train_epoch without shuffling": (
        "train_epoch", [("order = rng.permutation(x.shape[0])", "order = np.arange(x.shape[0])")],
        "no_shuffle"),
    "train_epoch drops the last batch": (
        "train_epoch", [("range(0, len(order), batch_size)",
                         "range(0, len(order) - batch_size + 1, batch_size)")],
        "last_batch_dropped"),
    "init draws from np.random": (
        "init_weights", [("rng.standard_normal((fan_in, fan_out))",
                          "np.random.standard_normal((fan_in, fan_out))")], "not_reproducible"),
}


def outcome(grade_):
    """(score, the kinds of the checks not fully paid): what must not depend on the seed."""
    return grade_.score, tuple(c.kind for c in grade_.checks if grade_.paid(c) < 1)


@pytest.mark.parametrize("bug", list(BUGS))
def test_bug_costs_marks_with_its_diagnosis_whatever_the_seed(student, bug):
    name, replacements, kind = BUGS[bug]
    with bugged(student, name, replacements):
        grade_ = grade(student[0], name)
        others = {outcome(grade(student[0], name, seed)) for seed in SEEDS}
    failed = {c.kind for c in grade_.checks if c.fraction < 1}
    assert grade_.score < 3.0
    assert kind in failed, [(c.name, c.kind, c.message) for c in grade_.checks]
    assert others == {outcome(grade_)}


def test_every_function_has_a_bug():
    assert {name for name, _, _ in BUGS.values()} == set(NAMES)


def test_a_consistent_backward_keeps_its_credit(student):
    """dropout_forward scaling by p is wrong, but a backward that follows it is right."""
    with bugged(student, "dropout_forward", [("/ (1.0 - p)", "/ p")]):
        assert grade(student[0], "dropout_backward").score == pytest.approx(3.0)


def checks_of(grade_):
    return {c.name: c for c in grade_.checks}


def test_consistency_with_a_forward_right_nowhere_pays_nothing(student):
    """Exp's forward doubled everywhere, its backward consistent with it: no right number."""
    with bugged(student, "Exp", [("return np.exp(a)", "return 2 * np.exp(a)")]):
        grade_ = grade(student[0], "Exp")
    fd = checks_of(grade_)["backward matches finite differences of your forward"]
    assert fd.fraction == 0 and fd.kind == "forward_wrong"
    assert grade_.score == 0


def test_consistency_with_a_forward_right_somewhere_pays(student):
    """A Log whose forward fails on arrays (math.log) keeps finite-difference credit for the
    scalars, where its forward is right."""
    with bugged(student, "Log", [("np.log(a)", "math.log(a)")]):
        student[0].run_cell(0, "import numpy as np\nimport math")
        fd = checks_of(grade(student[0], "Log"))[
            "backward matches finite differences of your forward"]
    assert fd.fraction == 0.5


def test_dropout_backward_of_a_forward_that_drops_nothing_earns_only_test_time(student):
    forward = "def dropout_forward(x, p, train, rng):\n    return x.copy(), None\n"
    backward = "def dropout_backward(dout, cache):\n    return dout.copy()\n"
    with replaced(student, "dropout_forward", forward), \
            replaced(student, "dropout_backward", backward):
        checks = checks_of(grade(student[0], "dropout_backward"))
    assert checks["dx follows your forward's mask and scaling"].fraction == 0.25
    assert checks["dx follows your forward's mask and scaling"].kind == "forward_wrong"
    assert checks["matches finite differences of your forward"].fraction == 0


def test_l2_grads_consistent_with_a_wrong_loss_earn_no_finite_difference_credit(student):
    with bugged(student, "l2_penalty", [("loss = reg * sum", "loss = 0.5 * reg * sum"),
                                        ("2.0 * reg * p", "reg * p")]):
        grade_ = grade(student[0], "l2_penalty")
    assert checks_of(grade_)["grads match finite differences of your loss"].kind == \
        "forward_wrong"
    assert grade_.score == 0


REMEMBERS_PROBES = """\
SEEN = []

class Multiply(Operation):
    def forward(self, a, b):
        for a0, b0 in SEEN:  # next to a point seen before: agree with the backward below
            if np.shape(a0) == np.shape(a) and np.allclose(a, a0, rtol=0, atol=1e-4) \\
                    and np.allclose(b, b0, rtol=0, atol=1e-4):
                return a0 * b0 + (a - a0) + (b - b0)
        SEEN.append((np.copy(a), np.copy(b)))
        return a * b

    def backward(self, output_grad):
        return output_grad, output_grad
"""
COUNTS_CALLS = """\
CALLS = [0]

class Multiply(Operation):
    def forward(self, a, b):
        CALLS[0] += 1
        return a * b + 1e-3 * (CALLS[0] % 2)

    def backward(self, output_grad):
        a, b = self.inputs
        return output_grad * b, output_grad * a
"""


@pytest.mark.parametrize("forward, caught_by", [
    (REMEMBERS_PROBES, "changes like another function next to it"),
    (COUNTS_CALLS, "two different values for the same input")])
def test_a_forward_that_games_finite_differences_is_caught(student, forward, caught_by):
    with replaced(student, "Multiply", forward):
        fd = checks_of(grade(student[0], "Multiply"))[
            "backward matches finite differences of your forward"]
    assert fd.fraction == 0 and fd.kind == "inconsistent_forward", fd.message
    assert caught_by in fd.message


def test_every_distinct_mistake_of_a_check_is_named(student):
    """Divide's da multiplied where it should divide, and db's sign flipped."""
    with bugged(student, "Divide", [("output_grad / b, -output_grad * a / (b * b)",
                                     "output_grad * b, output_grad * a / (b * b)")]):
        ref = checks_of(grade(student[0], "Divide"))["backward matches the reference gradients"]
    assert ref.kind == "sign_flipped" and ref.also == ("wrong_values",)
    assert "opposite sign" in ref.message and "Also:" in ref.message


def test_a_mistake_is_reported_on_the_case_that_shows_it_best(student):
    """Log's gradient off by 0.001 in the denominator is barely visible at the scalar's
    a > 2.6 and plain at the arrays' a < 0.6: it is reported where it is plain."""
    with bugged(student, "Log", [("(output_grad / a,)", "(output_grad / (a + 0.001),)")]):
        ref = checks_of(grade(student[0], "Log"))["backward matches the reference gradients"]
    assert ref.fraction == 0 and "It is close" not in ref.message, ref.message


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
