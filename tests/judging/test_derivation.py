"""Derived, not evaluated: the call monitor's runtime evidence, the static read of
``autograder.judging.derivation`` and its verdict.

Numerical backwards as students write them (a complex step, dual numbers, central, forward
and directional finite differences, finite differences of an inlined copy of the forward, an
autodiff import, a backward that removes the monitor), in hw2's sigmoid and relu and hw1's
``Exp``, run in a real contained child: each leaves runtime and/or static evidence and gets
``not_derived``. Then every honest implementation at hand gets no verdict at all: the
reference for every graded name, the demo classes, and every submission of the five grading
corpora but the three the corpora themselves expect ``not_derived`` (which must get it): the
static read on every one, and one monitored call of each function whose gradient must be
derived. Then the record on the wire, and the reader on hostile code.
"""
import json
from dataclasses import dataclass, field

import numpy as np
import pytest
from support import ASSIGNMENTS, ROOT, corpus_module, expectations

import solutions
from autograder.judging.derivation import DERIVED, evidence, needs_derivation, verdict
from autograder.round.demo_classes import CLASSES
from autograder.round.samples import fill, reference_answer
from autograder.round.submission import prepare
from autograder.sandbox import wire
from autograder.sandbox.probes import Probe, Rng
from autograder.sandbox.runner import Limits, StudentError, StudentProcess

LIMITS = Limits(call_seconds=10, cell_seconds=10)
ITEM = Probe("item")
NUMERICAL_SIGMOID = corpus_module("hw2_layers", "test_sigmoid").NUMERICAL_SIGMOID

# ------------------------------------------------------------------- calling one function

LAYER_INPUTS = {  # stem -> (args, kwargs) of its forward, on a small case
    "affine": lambda r: ((r.normal(size=(2, 3, 2)), r.normal(size=(6, 4)), r.normal(size=4)),
                         {}),
    "relu": lambda r: ((r.normal(size=(3, 4)),), {}),
    "leaky_relu": lambda r: ((r.normal(size=(3, 4)),), {}),
    "prelu": lambda r: ((r.normal(size=(3, 4)), r.uniform(0.05, 0.4, size=4)), {}),
    "sigmoid": lambda r: ((r.normal(size=(3, 4)),), {}),
    "tanh": lambda r: ((r.normal(size=(3, 4)),), {}),
    "softmax": lambda r: ((r.normal(size=(3, 5)),), {}),
    "conv": lambda r: ((r.normal(size=(2, 3, 5, 5)), r.normal(size=(2, 3, 3, 3)),
                        r.normal(size=2)), {"stride": 1, "pad": 1}),
    "max_pool": lambda r: ((r.normal(size=(2, 2, 4, 4)),), {}),
    "dropout": lambda r: ((r.normal(size=(4, 5)), 0.3, True, Rng(7)), {}),
}
DIRECT_INPUTS = {
    "softmax_loss": lambda r: (r.normal(size=(3, 5)), np.array([0, 2, 4])),
    "mse_loss": lambda r: (r.normal(size=(3, 2)), r.normal(size=(3, 2))),
    "bce_loss": lambda r: (r.uniform(0.1, 0.9, size=4), np.array([0.0, 1.0, 1.0, 0.0])),
    "l2_penalty": lambda r: ([r.normal(size=(3, 2)), r.normal(size=4)], 0.1),
    "example_forward_backward": lambda r: (2.0, 3.0),
    "backprop": lambda r: (
        [(Probe("half_linear_forward"), Probe("half_linear_backward"), [r.normal(size=(4, 3))]),
         (Probe("softsign_forward"), Probe("softsign_backward"), []),
         (Probe("half_linear_bias_forward"), Probe("half_linear_bias_backward"),
          [r.normal(size=(3, 2)), r.normal(size=2)])],
        r.normal(size=(5, 4)), r.normal(size=(5, 2)), Probe("quartic_loss")),
}
OP_INPUTS = {"Add": 2, "Multiply": 2, "Divide": 2, "Exp": 1, "Log": 1, "Sin": 1}
GRAPH = {"values": {"x0": 0.5, "k": 2.0},
         "ops": ["a twice x0 k", "b softsign a", "y mean a b"],
         "listing": ["y", "b", "a", "k", "x0"]}


def monitored(proc, name, scalars=False, seed=0):
    """One monitored call of ``name``'s gradient on a small case: the monitor's record (also
    when the student's code raised; None when its forward could not be run)."""
    r = np.random.default_rng(seed)
    try:
        if name in OP_INPUTS:
            count = OP_INPUTS[name]
            args = [float(v) for v in r.uniform(0.5, 2.0, count)] if scalars else \
                [r.uniform(0.5, 2.0, size=3) for _ in range(count)]
            handle, _ = proc.call(name, keep=True)
            proc.call((handle, "__call__"), *args)
            proc.call((handle, "backward"), 1.5 if scalars else r.normal(size=3), monitor=True)
        elif name == "backward_pass":
            nodes, _ = proc.call(Probe("graph_nodes"), GRAPH, keep=True)
            proc.call(name, nodes, "y", monitor=True)
        elif name in DIRECT_INPUTS:
            proc.call(name, *DIRECT_INPUTS[name](r), monitor=True)
        else:
            stem = name[:-len("_backward")]
            args, kwargs = LAYER_INPUTS[stem](r)
            handle, value = proc.call(f"{stem}_forward", *args, keep=True, **kwargs)
            cache, _ = proc.call(ITEM, handle, 1, keep=True)
            proc.call(name, r.normal(size=np.shape(value[0])), cache, monitor=True)
    except StudentError:
        pass
    return proc.last_monitor


def flags(record):
    """{(function name, flag)} of a record: 'complex', 'dual', 'perturbed'."""
    return {(f["name"], key) for f in record["functions"] for key in ("complex", "dual")
            if f[key]} | {(f["name"], "perturbed") for f in record["functions"]
                          if f["perturbed"]}


# ---------------------------------------------------------------- numerical backwards

SIGMOID = '''\
def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    return out, x
'''
RELU = "def relu_forward(x):\n    return np.maximum(x, 0.0), x\n"
DUAL = corpus_module("hw2_layers", "test_sigmoid").DUAL  # a dual-number class as students write it
EVASIVE_STEP = '''\
def sigmoid_backward(dout, cache):
    x = np.array(cache, dtype=float)
    dx = np.zeros_like(x)
    step = np.finfo(float).eps ** 0.5
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        rise = np.sum((sigmoid_forward(up)[0] - sigmoid_forward(down)[0]) * dout)
        dx[i] = rise / (up[i] - down[i])
    return dx
'''
REMOVE_MONITOR = '''\
import sys

def remove_monitor():
    try:
        sys.settrace(None)
        sys.setprofile(None)
    except PermissionError:
        pass
    if hasattr(sys, "monitoring"):
        for tool in range(6):
            if sys.monitoring.get_tool(tool) is not None:
                sys.monitoring.set_events(tool, 0)
'''

# finite differences the static read misses (a step computed at run time, divided by the
# difference of the inputs), after removing the monitor
REMOVING = EVASIVE_STEP.replace("    x = np.array(", "    remove_monitor()\n    x = np.array(")


@dataclass
class Attack:
    """A student whose ``function`` evaluates its gradient: the cells, and the evidence it
    must leave: runtime flags ({(name, flag)}), static kinds, record fields."""

    function: str
    cells: list
    runtime: set = field(default_factory=set)
    static: set = field(default_factory=set)
    record: dict = field(default_factory=dict)  # e.g. {"installed": False}
    tripwire: bool = True


def sigmoid_student(backward, *more):
    return Attack("sigmoid_backward", [SIGMOID, *more, backward])


ATTACKS = {
    "complex step": Attack("sigmoid_backward", [SIGMOID, '''\
def sigmoid_backward(dout, cache):
    h = 1e-20
    return dout * sigmoid_forward(cache + 1j * h)[0].imag / h
'''], {("sigmoid_forward", "complex")}, {"complex_literal", "imag"}),
    "dual numbers": Attack("sigmoid_backward", [SIGMOID, DUAL, '''\
def sigmoid_backward(dout, cache):
    duals = np.empty(cache.shape, dtype=object)
    for i in np.ndindex(cache.shape):
        duals[i] = Dual(cache[i], 1.0)
    out = sigmoid_forward(duals)[0]
    return dout * np.array([d.b for d in out.ravel()]).reshape(cache.shape)
'''], {("sigmoid_forward", "dual")}, {"dual_numbers"}),
    "central differences": Attack("sigmoid_backward", [
        NUMERICAL_SIGMOID["sigmoid_forward"], NUMERICAL_SIGMOID["sigmoid_backward"]],
        {("sigmoid_forward", "perturbed")}, {"finite_differences"}),
    "forward differences": Attack("sigmoid_backward", [SIGMOID, '''\
def sigmoid_backward(dout, cache):
    x = cache.astype(float)
    base = sigmoid_forward(x)[0]
    dx = np.zeros_like(x)
    step = 1e-7
    for i in range(x.size):
        bumped = x.copy().ravel()
        bumped[i] += step
        dx.flat[i] = np.sum((sigmoid_forward(bumped.reshape(x.shape))[0] - base) * dout) / step
    return dx
'''], {("sigmoid_forward", "perturbed")}, {"finite_differences"}),
    "directional differences": Attack("relu_backward", [RELU, '''\
def relu_backward(dout, cache):
    eps = 1e-6
    slope = (relu_forward(cache + eps)[0] - relu_forward(cache - eps)[0]) / (2 * eps)
    return dout * slope
'''], {("relu_forward", "perturbed")}, {"finite_differences"}),
    "differences of an inlined copy": Attack("sigmoid_backward", [SIGMOID, '''\
def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))
''', '''\
def sigmoid_backward(dout, cache):
    x = cache.copy()
    dx = np.zeros_like(x)
    d = 1e-5
    for i in np.ndindex(x.shape):
        x[i] += d
        up = _sig(x)[i]
        x[i] -= 2 * d
        down = _sig(x)[i]
        x[i] += d
        dx[i] = dout[i] * (up - down) / (2 * d)
    return dx
'''], {("_sig", "perturbed")}, {"finite_differences"}),
    "autograd": Attack("sigmoid_backward", [
        SIGMOID, "from autograd import elementwise_grad\nimport autograd.numpy as anp\n", '''\
def sigmoid_backward(dout, cache):
    return dout * elementwise_grad(lambda z: 1 / (1 + anp.exp(-z)))(cache)
'''], set(), {"autodiff_library"}),
    "differences the static read misses": Attack("sigmoid_backward", [SIGMOID, EVASIVE_STEP],
                                                 {("sigmoid_forward", "perturbed")}),
    "removes the monitor": Attack("sigmoid_backward", [SIGMOID, REMOVE_MONITOR, REMOVING],
                                  record={"tampered": True}),
    "removes the monitor, no tripwire": Attack(
        "sigmoid_backward", [SIGMOID, REMOVE_MONITOR, REMOVING], record={"installed": False},
        tripwire=False),
    "Exp, complex step": Attack("Exp", ['''\
class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, g):
        (a,) = self.inputs
        return (g * self.forward(a + 1e-30j).imag / 1e-30,)
'''], {("Exp.forward", "complex")}, {"complex_literal", "imag"}),
    "Exp, differences of new operations": Attack("Exp", ['''\
class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, g):
        a = self.inputs[0]
        h = 1e-6
        return (g * (Exp()(a + h) - Exp()(a - h)) / (2 * h),)
'''], {("Exp.forward", "perturbed"), ("Operation.__call__", "perturbed")},
        {"finite_differences"}),
    "Exp, dual numbers": Attack("Exp", [DUAL, '''\
class Exp(Operation):
    def forward(self, a):
        return np.exp(a)

    def backward(self, g):
        return (g * self.forward(Dual(self.inputs[0], 1.0)).b,)
'''], {("Exp.forward", "dual")}, {"dual_numbers"}),
}


def attack_cells(attack):
    given = [reference_answer("Operation")] if attack.function in OP_INPUTS else []
    return ["import numpy as np", *given, *attack.cells]


@pytest.fixture(scope="module")
def attacked():
    """{attack: (record, findings, verdict)}, each student in a contained child of its own."""
    results = {}
    for label, attack in ATTACKS.items():
        cells = attack_cells(attack)
        with StudentProcess(list(enumerate(cells)), LIMITS, tripwire=attack.tripwire) as proc:
            record = monitored(proc, attack.function, scalars=True)
        findings = evidence(cells, attack.function)
        results[label] = record, findings, verdict(record, findings, attack.function)
    return results


@pytest.mark.parametrize("label", list(ATTACKS))
def test_a_numerical_gradient_leaves_evidence_and_is_not_derived(attacked, label):
    attack = ATTACKS[label]
    record, findings, judged = attacked[label]
    assert record is not None
    assert attack.runtime <= flags(record), record
    assert attack.static <= {f.kind for f in findings}, findings
    assert {k: record[k] for k in attack.record} == attack.record, record
    assert judged is not None and judged[0] == "not_derived", (record, findings)


def test_each_kind_of_evidence_convicts_alone(attacked):
    """Runtime alone, static alone: either is enough; the message names what was seen and
    prints no number the student's code controls."""
    record, findings, _ = attacked["complex step"]
    message = verdict(record, [], "sigmoid_backward")[1]
    assert "complex inputs" in message and "sigmoid_forward" in message
    assert not any(c.isdigit() for c in message)
    message = verdict(None, findings, "sigmoid_backward")[1]
    assert ".imag" not in message and "complex numbers" in message and "line 3" in message
    record, findings, _ = attacked["central differences"]
    assert "a tiny step away" in verdict(record, [], "sigmoid_backward")[1]
    assert "finite differences" in verdict(None, findings, "sigmoid_backward")[1]
    record, findings, _ = attacked["differences the static read misses"]
    assert findings == [] and "a tiny step away" in verdict(record, [], "sigmoid_backward")[1]
    record, _, _ = attacked["removes the monitor, no tripwire"]
    assert "monitor was removed" in verdict(record, [], "sigmoid_backward")[1]
    record, _, _ = attacked["removes the monitor"]
    message = verdict(record, [], "sigmoid_backward")[1]
    assert "trace or profile function" in message or "monitor was removed" in message


def test_honest_recomputation_is_no_evidence():
    """sigmoid_backward calling sigmoid_forward on its cache, on a float32 copy, and on an
    input recomputed from its output (rounding, not a step), and a helper of its own handed
    a copy of its input a hair away: recorded, and no verdict (a helper's inputs are not
    evidence)."""
    cells = ["import numpy as np", SIGMOID, "def shrunk(v):\n    return v\n", '''\
def sigmoid_backward(dout, cache):
    s = sigmoid_forward(cache)[0]
    t = sigmoid_forward(np.log(s / (1 - s)))[0]
    sigmoid_forward(cache.astype(np.float32))
    shrunk(cache * (1 - 1e-6))
    return dout * s * (1 - t)
''']
    with StudentProcess(list(enumerate(cells)), LIMITS) as proc:
        record = monitored(proc, "sigmoid_backward")
    calls = {f["name"]: f for f in record["functions"]}
    assert calls["sigmoid_forward"]["calls"] == 3
    assert flags(record) == {("shrunk", "perturbed")}
    assert record["installed"] and record["completed"] and not record["tampered"]
    assert verdict(record, evidence(cells, "sigmoid_backward"), "sigmoid_backward") is None


# ------------------------------------------------------------------- honest implementations

def prepared_cells(assignment, sample):
    """The sample's cells as the grader runs them (its release notebooks, filled in and
    prepared against the source notebooks)."""
    graded = list(solutions.ASSIGNMENTS[assignment])
    cells = []
    for path in sorted((ROOT / "release" / assignment).glob("*.ipynb")):
        nb = fill(json.loads(path.read_text()), sample, set(graded))
        source = json.loads((ROOT / "source" / assignment / path.name).read_text())
        cells += [text for _, text in prepare(nb, source, path.name, graded).cells]
    return cells


def submissions():
    """[(where, assignment, Sample, {function: expected kind})]: every demo-class student
    with code and every grading-corpus submission."""
    found = []
    for assignment, students in CLASSES.items():
        for sample in students():
            if not (sample.raw or sample.all_blank):
                found.append(("demo", assignment, sample, {}))
    for assignment in ASSIGNMENTS:
        for name, sample, expected in expectations(assignment):
            found.append((name, assignment, sample, {f: kind for f, (_, kind) in expected.items()}))
    return found


def evaluated(expected, function):
    return expected.get(function) == "not_derived"


@pytest.fixture(scope="module")
def corpus():
    return submissions()


def test_no_verdict_on_the_reference_for_any_graded_name():
    """Static: every graded name (a name whose gradient need not be derived gets None by
    rule, numerical_gradient included); runtime: one monitored call of every function whose
    gradient must be derived, in one child per assignment."""
    for names in solutions.ASSIGNMENTS.values():
        given = [reference_answer("Operation")] if "Add" in names else []
        cells = ["import numpy as np", *given, *(reference_answer(n) for n in names)]
        for name in names:
            assert verdict(None, evidence(cells, name), name) is None, name
        with StudentProcess(list(enumerate(cells)), LIMITS) as proc:
            for name in filter(needs_derivation, names):
                record = monitored(proc, name)
                assert record is not None and record["completed"], name
                assert not flags(record) and verdict(record, [], name) is None, (name, record)


# The corpora's attackers (issue 17, item 1), graded not_derived: what the static read finds,
# and what one monitored call sees (a complex step through a helper of the student's is not
# runtime evidence, as an honest FFT convolution's helpers get complex arrays too; a gradient
# derived only while watched is honest when watched).
ATTACKERS_READ = {
    ("c2_complex_step", "sigmoid_backward"), ("c2_dual_numbers", "sigmoid_backward"),
    ("c2_relu_directional", "relu_backward"), ("c2_softmax_complex_step", "softmax_loss"),
    ("g_example_complex_step", "example_forward_backward"), ("g_exp_complex_step", "Exp"),
    ("g_exp_when_unwatched", "Exp"), ("t_l2_complex_step", "l2_penalty")}
ATTACKERS_SEEN = {
    ("c2_complex_step", "sigmoid_backward"), ("c2_dual_numbers", "sigmoid_backward"),
    ("c2_relu_directional", "relu_backward"), ("g_exp_complex_step", "Exp")}


def test_the_static_read_flags_only_the_numerical_corpus_variants(corpus):
    """Every demo student and corpus submission, every function whose gradient must be
    derived: no verdict, but for the numerical ones and the attackers the corpora grade
    not_derived."""
    pairs, flagged, honest_full = 0, set(), 0
    for where, assignment, sample, expected in corpus:
        cells = prepared_cells(assignment, sample)
        for name in filter(needs_derivation, solutions.ASSIGNMENTS[assignment]):
            pairs += 1
            judged = verdict(None, evidence(cells, name), name)
            assert (judged is not None) == evaluated(expected, name), \
                (where, sample.student, name, judged)
            if judged:
                flagged.add((sample.student, name))
            honest_full += name not in expected
    assert flagged == {("c2_numerical", "sigmoid_backward"), ("c3_numerical", "conv_backward"),
                       ("g_log_numerical", "Log"), *ATTACKERS_READ}
    assert len(corpus) >= 100 and pairs >= 700 and honest_full >= 600
    print(f"static read: {len(corpus)} submissions, {pairs} functions, {len(flagged)} flagged "
          f"(the numerical ones), {honest_full} of them right in full")


def test_the_monitor_flags_only_the_numerical_corpus_variants(corpus):
    """One monitored call of each function whose gradient must be derived, for every distinct
    code of it (its answer, its forward's and the extra cells) in the demo classes and
    corpora: no verdict on any honest one; runtime evidence on the numerical ones that call
    the student's forward (hw1's numerical Log takes differences of np.log inline, which
    only the static read sees)."""
    seen, calls, children, flagged = set(), 0, 0, set()
    for where, assignment, sample, expected in corpus:
        todo = []
        for name in filter(needs_derivation, solutions.ASSIGNMENTS[assignment]):
            forward = (DERIVED.get(name) or "").split(".")[0]
            key = (assignment, name, sample.answer(name),
                   sample.answer(forward) if forward in solutions.GRADED_NAMES else None,
                   tuple(sample.extra_cells))
            if sample.answer(name) is not None and key not in seen:
                seen.add(key)
                todo.append(name)
        if not todo:
            continue
        children += 1
        cells = prepared_cells(assignment, sample)
        with StudentProcess(list(enumerate(cells)), LIMITS) as proc:
            for name in todo:
                record = monitored(proc, name)
                if record is None:
                    continue  # its forward raised (an honest slip): nothing was monitored
                calls += 1
                if verdict(record, [], name) is not None:
                    flagged.add((sample.student, name))
                else:  # complex steps through a helper of the student's: only read
                    assert evaluated(expected, name) or not flags(record), \
                        (where, sample.student, name, record)
    assert flagged == {("c2_numerical", "sigmoid_backward"), ("c3_numerical", "conv_backward"),
                       *ATTACKERS_SEEN}
    assert calls >= 100
    print(f"monitor: {calls} monitored calls in {children} children, {len(flagged)} flagged "
          "(the numerical ones)")


# --------------------------------------------------------------------------- the wire

def record(**changes):
    base = {"installed": True, "completed": True, "tampered": False, "more": False,
            "errors": 0, "functions": [{"name": "f", "calls": 1, "complex": False,
                                        "dual": False, "perturbed": 0}]}
    return {**base, **changes}


@pytest.mark.parametrize("bad", [
    "yes", [], record(extra=1), record(installed=1), record(errors=-1), record(errors=1001),
    record(functions={}), record(functions=[{"name": "f"}] * 2),
    record(functions=[{**record()["functions"][0], "calls": True}]),
    record(functions=[{**record()["functions"][0], "perturbed": 10**9}]),
    record(functions=[{**record()["functions"][0], "name": 7}]),
    record(functions=[{**record()["functions"][0], "array": [1.0]}]),
    record(functions=record()["functions"] * 51),
])
def test_the_parent_refuses_a_malformed_record(bad):
    with pytest.raises(wire.WireError):
        wire.checked_fields({"ok": True, "monitor": bad})


def test_the_parent_cuts_names_and_takes_a_request_flag_only_as_a_truth_value():
    long = record(functions=[{**record()["functions"][0], "name": "\x1b" + "n" * 10_000}])
    name = wire.checked_fields({"ok": True, "monitor": long})["monitor"]["functions"][0]["name"]
    assert len(name) == wire.MAX_NAME and name.startswith("?n")
    assert wire.checked_fields({"op": "call", "monitor": True})["monitor"] is True
    with pytest.raises(wire.WireError):
        wire.checked_fields({"op": "call", "monitor": record()})


def test_the_record_is_bounded_whatever_the_student_calls():
    """60 functions, one with a 300-character name, called thousands of times: at most 50
    names of at most 100 characters, counts capped, the flagged one kept."""
    long = "g" + "x" * 299
    cells = ["import numpy as np", SIGMOID,
             "".join(f"def h{i}(v):\n    return v\n" for i in range(60)),
             f"def {long}(v):\n    return v\n", f'''\
def sigmoid_backward(dout, cache):
    for i in range(3000):
        {long}(i)
    for i in range(60):
        globals()["h" + str(i)](cache)
    sigmoid_forward(cache + 1j)
    return dout
''']
    with StudentProcess(list(enumerate(cells)), LIMITS) as proc:
        got = monitored(proc, "sigmoid_backward")
    names = {f["name"]: f for f in got["functions"]}
    assert len(got["functions"]) == 50 and got["more"]
    assert names["sigmoid_forward"]["complex"]
    assert max(len(n) for n in names) == 100 and names[long[:100]]["calls"] == 1000


def test_a_call_without_monitor_carries_no_record():
    cells = ["import numpy as np", SIGMOID]
    with StudentProcess(list(enumerate(cells)), LIMITS) as proc:
        proc.call("sigmoid_forward", np.ones(3))
        assert proc.last_monitor is None
        proc.call("sigmoid_forward", np.ones(3), monitor=True)
        assert proc.last_monitor["functions"][0]["name"] == "sigmoid_forward"
        with pytest.raises(StudentError):
            proc.call("sigmoid_forward", "text", monitor=True)
        assert proc.last_monitor["completed"] is False and proc.last_monitor["installed"]


# ---------------------------------------------------------------------- the static read

def test_the_reader_survives_hostile_code():
    deep = "def sigmoid_backward(d, c):\n    return " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    wrappers = "".join(f"def w{i}(x):\n    return w{i + 1}(x)\n" for i in range(3000))
    cycle = "def a(x):\n    return b(x)\ndef b(x):\n    return a(x)\n"
    huge = "x = 1\n" * 100_000
    for cells in ([deep], [wrappers + "def sigmoid_backward(d, c):\n    return w0(d)\n"],
                  [cycle, "def sigmoid_backward(d, c):\n    return a(d)\n"], [huge],
                  ["def sigmoid_backward(:"], [b"bytes"], []):
        assert isinstance(evidence(cells, "sigmoid_backward"), list)
    # past the bound of definitions followed, nothing is read, and nothing breaks
    far = wrappers + "def w3000(x):\n    return x.imag\n" \
        + "def sigmoid_backward(d, c):\n    return w0(d)\n"
    assert evidence([far], "sigmoid_backward") == []


def test_helpers_are_followed_by_name_self_and_class_and_not_through_local_names():
    cells = ["import numpy as np", '''\
def numerical(f, x):
    h = 1e-5
    return (f(x + h) - f(x - h)) / (2 * h)

class Helper:
    @staticmethod
    def slope(x):
        return np.imag(x)

def one(x):
    return two(x)

def two(x):
    return Helper.slope(x)
''', "def sigmoid_backward(dout, cache):\n    return one(cache)\n",
             "def relu_backward(dout, cache):\n    numerical = dout\n    return numerical * 2\n"]
    found = evidence(cells, "sigmoid_backward")
    assert [(f.kind, f.line, f.cell) for f in found] == [("imag", 8, 1)]
    # the helper is found (line 8 of cell 1); its name is the student's, said as a stand-in
    assert found[0].text == "one of your functions: takes .imag of a value"
    assert evidence(cells, "relu_backward") == []


@pytest.mark.parametrize("code, kind", [
    ("def f(d, c):\n    return np.lib.scimath.sqrt(c)\n", "scimath"),
    ("def f(d, c):\n    return np.emath.log(c)\n", "scimath"),
    ("def f(d, c):\n    return c.astype(complex)\n", "complex_type"),
    ("def f(d, c):\n    return np.zeros(3, dtype='complex128')\n", "complex_type"),
    ("def f(d, c):\n    return np.asarray(c, np.complex64)\n", "complex_type"),
    ("def f(d, c):\n    return complex(1, 2)\n", "complex_type"),
    ("import jax\ndef f(d, c):\n    return jax.grad(sum)(c)\n", "autodiff_library"),
    ("def f(d, c):\n    import torch\n    return d\n", "autodiff_library"),
    ("from scipy.optimize import approx_fprime as a\ndef f(d, c):\n    return a(c, sum, 1e-6)\n",
     "numerical_library"),
    ("import scipy\ndef f(d, c):\n    return scipy.differentiate.derivative(sum, c)\n",
     "numerical_library"),
    ("def f(d, c):\n    return np.gradient(c)\n", "numerical_library"),
    ("STEP = 10 ** -6\ndef f(d, c, g=None):\n    return (g(c + STEP) - g(c)) / STEP\n",
     "finite_differences"),
    (("def f(d, c, g=None, step=1e-4):\n    c2 = c.copy()\n    c2[0] -= step\n"
      "    return (g(c) - g(c2)) / (step + step)\n"), "finite_differences"),
    ("def f(d, c, g=None):\n    return (g(c + 1e-5 * d) - g(c - 1e-5 * d)) / 2e-5\n",
     "finite_differences"),
    # a gradient derived only while watched has to look at the hooks first
    ("import sys\ndef f(d, c):\n    return d * (c > 0) if sys.gettrace() else 0 * d\n",
     "monitor_probe"),
    ("from sys import monitoring as m\ndef f(d, c):\n    m.get_tool(2)\n    return d\n",
     "monitor_probe"),
    ("import threading\ndef f(d, c):\n    threading.settrace(None)\n    return d\n",
     "monitor_probe"),
    ("import sys as s\ndef watched():\n    return s.getprofile() is not None\n"
     "def f(d, c):\n    return d if watched() else c\n", "monitor_probe"),
])
def test_each_static_kind(code, kind):
    assert kind in {f.kind for f in evidence([code.replace("def f(", "def relu_backward(")],
                                             "relu_backward")}


@pytest.mark.parametrize("code", [
    # honest shapes that look a little alike
    "def f(d, c):\n    eps = 1e-8\n    return d / (np.sqrt(c) + eps)\n",
    "def f(d, c):\n    p = np.clip(c, 1e-7, 1 - 1e-7)\n    return -(d / p - (1 - d) / (1 - p))\n",
    "def f(d, c):\n    return np.ravel(c, 'F').reshape(c.shape) * d\n",
    "def f(d, c):\n    h = 0.5\n    return (c + h) / h * d\n",
    "def f(d, c):\n    return np.fft.ifft(np.fft.fft(c)).real * d\n",
    "def f(d, c):\n    x, mu = c\n    return (x - mu) / mu * d\n",
    "import autograd.numpy as np\ndef f(d, c):\n    return d * (c > 0)\n",
])
def test_honest_look_alikes_are_not_findings(code):
    assert evidence([code.replace("def f(", "def relu_backward(")], "relu_backward") == []


def test_names_in_messages_are_the_graders_names_only():
    chosen = "helper_535673910"  # a helper's name is the student's to choose (issue 17)
    findings = evidence([f"def {chosen}(x):\n    return x.imag\n",
                         f"def relu_backward(d, c):\n    return {chosen}(c)\n"], "relu_backward")
    message = verdict(None, findings, "relu_backward")[1]
    assert "535673910" not in message and "one of your functions" in message
    nested = record(functions=[{"name": f"relu_backward.<locals>.{chosen}", "calls": 1,
                                "complex": True, "dual": False, "perturbed": 0}])
    message = verdict(nested, [], "relu_backward")[1]
    assert "535673910" not in message and "one of your functions" in message
    runtime = record(functions=[{"name": "<bad name\n>", "calls": 1, "complex": True,
                                 "dual": False, "perturbed": 0}])
    assert verdict(runtime, [], "relu_backward") is None  # not a graded function: a helper
    runtime["functions"][0]["name"] = "relu_forward"
    assert "relu_forward" in verdict(runtime, [], "relu_backward")[1]
    assert verdict(runtime, [], "numerical_gradient") is None
    assert verdict(runtime, [], "relu_forward") is None

