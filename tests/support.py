"""What the tests share: the repository's folders and notebooks, the test layers written for
the self-check tests, and the grading corpora (each assignment's class graded once per test
session through the real pipeline, see ``conftest.graded``).

An assignment's class is the demo's class of that assignment (with its cheat's honest twin)
and every ``CORPUS`` of the test modules in ``tests/assignments/<assignment>/`` (each module
holds the submissions that prove its function's checks, with what each must get); a module's
``edit_submissions(course)`` damages submissions by hand before grading.
"""
import dataclasses
import importlib.util
import inspect
import json
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import solutions
from autograder.judging.grades import FunctionGrade
from autograder.judging.judge import Judge
from autograder.judging.registry import all_checks
from autograder.judging.weights import TABLE
from autograder.round.demo_classes import demo_class
from autograder.round.pipeline import grade_all
from autograder.round.samples import write_submission
from autograder.sandbox.runner import Limits

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
ASSIGNMENTS = list(solutions.ASSIGNMENTS)
VOLATILE_NOTEBOOK_KEYS = ("widgets", "jupytext")
LIMITS = Limits(cell_seconds=4, call_seconds=4)


# ------------------------------------------------------------------------------- notebooks

def notebooks(folder, assignment):
    return sorted((Path(folder) / assignment).glob("*.ipynb"))


def comparable(path):
    """A notebook as JSON without the metadata that changes from run to run."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for key in VOLATILE_NOTEBOOK_KEYS:
        nb["metadata"].pop(key, None)
    nb["metadata"].get("language_info", {}).pop("version", None)
    return nb


def nbgrader_cells(path):
    """(grade_id, cell) for every cell with nbgrader metadata."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    return [(c["metadata"]["nbgrader"]["grade_id"], c) for c in nb["cells"]
            if "nbgrader" in c["metadata"]]


def source_text(cell):
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


# ---------------------------------------------- layers written for the self-check tests

def affine_forward(x, w, b):
    return x.reshape(len(x), -1) @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def softmax_loss(scores, y):
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = len(y)
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1
    return float(-np.log(p[np.arange(n), y]).mean()), dscores / n


def affine_inputs():
    """(x, w, b) of the affine test layer: x (4, 2, 3), w (6, 3), b (3,)."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 3)), rng.standard_normal(3)


# ---------------------------------------------------------------------- the grading corpora

def assignment_modules(assignment):
    """The test modules of ``tests/assignments/<assignment>/``, imported by the names pytest
    gives them (their file names), so that a module is never imported twice."""
    folder = TESTS / "assignments" / assignment
    if str(folder) not in sys.path:  # as pytest puts it: the modules import each other
        sys.path.insert(0, str(folder))
    found = []
    for path in sorted(folder.glob("test_*.py")):
        name = path.stem
        module = sys.modules.get(name)
        if module is None or Path(module.__file__).resolve() != path:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        found.append(module)
    return found


def corpus_module(assignment, name):
    """The test module ``name`` ("test_sigmoid") of ``tests/assignments/<assignment>/``."""
    return next(m for m in assignment_modules(assignment) if m.__name__ == name)


def expectations(assignment):
    """[(module name, Sample, {function: (fraction, kind)})]: every CORPUS submission of the
    assignment's test modules that has an EXPECTED entry, with it."""
    return [(m.__name__, s, m.EXPECTED[s.student]) for m in assignment_modules(assignment)
            for s in getattr(m, "CORPUS", []) if s.student in getattr(m, "EXPECTED", {})]


def honest_twin(sample):
    """A demo class's cheat without its cheating cells: the same wrong answer, handed in
    honestly."""
    return dataclasses.replace(sample, student=f"{sample.student}_honest", extra_cells=[],
                               attacks=())


def demo_students(assignment):
    """[Sample]: the demo's class of ``assignment`` and its cheat's honest twin."""
    return [*demo_class(assignment), *(honest_twin(s) for s in demo_class(assignment)
                                       if s.attacks)]


def corpus(assignment, demo=True):
    """[Sample] of ``assignment``'s class: the demo's class and its cheat's honest twin (with
    ``demo``), then every CORPUS of the assignment's test modules (each student once)."""
    samples = demo_students(assignment) if demo else []
    for module in assignment_modules(assignment):
        samples += getattr(module, "CORPUS", [])
    names = [s.student for s in samples]
    twice = sorted({n for n in names if names.count(n) > 1})
    assert not twice, f"{assignment}: students named twice: {twice}"
    return samples


def edits(assignment):
    """The hand-made damage the test modules of ``assignment`` do to their submissions
    (``edit_submissions(course)``), before the class is graded."""
    return [m.edit_submissions for m in assignment_modules(assignment)
            if hasattr(m, "edit_submissions")]


@dataclasses.dataclass
class GradedClass:
    """An assignment's class graded through ``grade_all``: the course folder, the reports by
    student, and the JSON report ``--json`` writes."""

    course: Path
    reports: dict

    def __getitem__(self, student):
        return self.reports[student]


def grade_class(course, assignment, samples, damage=()):
    """The class ``samples`` of ``assignment``, graded in ``course`` (a fresh folder)."""
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for sample in samples:
        write_submission(course, assignment, sample)
    for edit in damage:
        edit(course)
    reports = grade_all(course, assignment, jobs=2, json_path=course / "report.json",
                        limits=LIMITS, progress=False)
    return GradedClass(course, reports)


def fraction(report, name):
    f = report["functions"][name]
    return f["score"] / f["max_score"]


BY_HAND_TITLE = "numbers worked by hand"  # judging/by_hand.py's check


def code_fraction(report, name):
    """The fraction of ``name``'s points in ``report`` its code earned: what its numbers worked
    by hand earned left out."""
    function = report["functions"][name]
    hand = sum(c["score"] for c in function["checks"] if c["name"] == BY_HAND_TITLE)
    return round((function["score"] - hand) / function["max_score"], 6)


def code_score(grade):
    """A FunctionGrade's score less what its numbers worked by hand earned."""
    hand = sum(c["score"] for c in grade.as_report()["checks"] if c["name"] == BY_HAND_TITLE)
    return round(grade.score - hand, 6)


def kinds(report, name, also=True):
    """The diagnosis kinds of the function's checks that did not pay in full: each check's
    first kind, and with ``also`` every other mistake it names."""
    return {k for c in report["functions"][name]["checks"] if c["score"] < c["max_score"]
            for k in (c["kind"], *(c.get("also", ()) if also else ()))}


def assert_graded_as(report, expected, names, also=True):
    """``report`` grades every one of ``names`` and as ``expected`` ({function: (fraction,
    kind)}): each listed function its fraction (to 1e-6: scores are kept to 6 places) with a
    check that names its kind (its first kind only, without ``also``), every other function
    full marks, and no error."""
    assert not report["errors"], report["errors"]
    assert sorted(report["functions"]) == sorted(names)
    for name, (want, kind) in expected.items():
        assert fraction(report, name) == pytest.approx(want, abs=1e-6), report["functions"][name]
        assert kind in kinds(report, name, also), (name, kinds(report, name, also))
    others = [n for n in names if n not in expected]
    assert {n: fraction(report, n) for n in others} == {n: 1.0 for n in others}


# ------------------------------------------------------------ recipes, and the checks' shares

def made(cases, name, seed):
    """(args, kwargs) of the case called ``name`` of ``cases``, drawn with ``seed``."""
    case = next(c for c in cases if c.name == name)
    return case.make(np.random.default_rng([seed, 5]))


def assert_shape_classes(cases, window):
    """Every case of a windowed layer is what its tags say: non-square windows exactly where
    tagged, sizes that do not divide by the stride exactly where tagged, H != W and no batch
    of two anywhere. ``window(args, kwargs)`` gives (height, width) of a case's window."""
    for case in cases:
        args, kw = case.make(np.random.default_rng(0))
        (h, w), (wh, ww) = args[0].shape[2:], window(args, kw)
        pad, stride = kw.get("pad", 0), kw.get("stride", 1)
        remainder = {(h + 2 * pad - wh) % stride, (w + 2 * pad - ww) % stride}
        assert (wh != ww) == case.has("non_square"), case.name
        assert (remainder != {0}) == case.has("non_divisible"), case.name
        assert h != w and args[0].shape[0] != 2, case.name


# The share of a function's points its checks pay (judging/pairs.py and losses.py: forward
# values 4, arguments 1, stays finite 1 for the stable ones; backward: finite differences of
# your forward 3, reference 3, shapes 1, arguments 1; losses: values 3, finite differences 3,
# gradient 3, arguments 1, stays finite 1 for softmax_loss and bce_loss; every backward and loss:
# the numbers worked by hand 1). Shapes, arguments and stability pay only with value or
# gradient credit.
def backward_share(fd, reference, shapes=1, mutation=1, by_hand=1):
    """The backward's share; ``by_hand``: the fraction of the numbers worked by hand that
    are right (weight 1, judging/by_hand.py; a corpus submission carries the reference's
    numbers unless it says otherwise)."""
    return (3 * fd + 3 * reference + shapes + mutation + by_hand) / 9


def forward_share(values, mutation=1, stable=None):
    if stable is None:
        return (4 * values + mutation) / 5
    return (4 * values + mutation + stable) / 6


def loss_share(values, fd, grad, mutation=1, stable=None, by_hand=1):
    if stable is None:
        return (3 * values + 3 * fd + 3 * grad + mutation + by_hand) / 11
    return (3 * values + 3 * fd + 3 * grad + mutation + stable + by_hand) / 12


#: A backward (or a loss) whose code earns nothing, handed in with the right numbers by hand.
BY_HAND_ONLY = backward_share(0, 0, shapes=0, mutation=0)
LOSS_BY_HAND_ONLY = loss_share(0, 0, 0, mutation=0)


# ------------------------------------- the checks, run on the reference in one student process

CHECK_SEED = 20240917
CHECK_SEEDS = range(6)  # other students: the same code must get the same score and diagnoses


def reference_source(name):
    return inspect.getsource(getattr(solutions, name))


def grade_reference(proc, name, seed=CHECK_SEED):
    """The FunctionGrade (out of 3 points) of ``name`` in the student process ``proc``."""
    if hasattr(proc, "begin"):
        proc.begin(name)
    return FunctionGrade(name, 3.0, all_checks()[name](Judge(proc, seed)))


def checks_of(grade):
    return {c.name: c for c in grade.checks}


@contextmanager
def replaced(student, name, text):
    """The cell of ``name`` in the reference student (see conftest) replaced by ``text``, for
    the block."""
    proc, index = student
    proc.run_cell(index[name], text)
    assert proc.outcomes[index[name]].ok, proc.outcomes[index[name]]
    try:
        yield
    finally:
        proc.run_cell(index[name], reference_source(name))


@contextmanager
def bugged(student, name, replacements):
    """The cell of ``name`` in the reference student with each ``old => new`` applied."""
    text = reference_source(name)
    for old, new in replacements:
        assert old in text, f"the bug does not apply to {name}: {old!r}"
        text = text.replace(old, new)
    with replaced(student, name, text):
        yield


def outcome(grade):
    """(score, the kinds of the checks not fully paid): what must not depend on the seed."""
    return grade.score, tuple(c.kind for c in grade.checks if grade.paid(c) < 1)


def assert_the_reference_earns_full_marks(student, name):
    for seed in (CHECK_SEED, *CHECK_SEEDS):
        grade = grade_reference(student[0], name, seed)
        bad = [(c.name, c.kind, c.message) for c in grade.checks if c.fraction < 1]
        assert grade.score == pytest.approx(3.0), (seed, bad)
        assert all(c.weight > 0 for c in grade.checks)
        assert all(c.name in TABLE for c in grade.checks)


def assert_the_bug_costs_marks_whatever_the_seed(student, name, replacements, kind):
    """A realistic bug (``replacements`` of the reference's text) costs ``name`` marks with
    ``kind`` among the failed checks, and the same score and kinds under other seeds."""
    with bugged(student, name, replacements):
        grade = grade_reference(student[0], name)
        others = {outcome(grade_reference(student[0], name, seed)) for seed in CHECK_SEEDS}
    failed = {c.kind for c in grade.checks if c.fraction < 1}
    assert grade.score < 3.0
    assert kind in failed, [(c.name, c.kind, c.message) for c in grade.checks]
    assert others == {outcome(grade)}


# -------------------------------------------- the tests every module of tests/assignments has

def corpus_test(assignment, expected, also=True):
    """The test that each submission of a module's CORPUS gets its EXPECTED scores and kinds
    (``assert_graded_as``; ``also``: a kind among every mistake a check names, not only its
    first). A module binds it: ``test_each_submission_... = corpus_test(A, EXPECTED)``."""
    @pytest.mark.parametrize("student", list(expected))
    def test_each_submission_gets_its_exact_scores_and_diagnoses(graded, student):
        assert_graded_as(graded(assignment)[student], expected[student],
                         solutions.ASSIGNMENTS[assignment], also)
    return test_each_submission_gets_its_exact_scores_and_diagnoses


def reference_tests(names, bugs):
    """The tests of a module whose checks run on the reference in one student process: the
    reference earns full marks whatever the seed, each of ``bugs`` ({title: (graded name,
    [(old, new), ...], the kind expected among the failed checks)}) costs marks with its
    diagnosis whatever the seed, and every function of ``names`` has a bug."""
    @pytest.mark.parametrize("name", names)
    def test_the_reference_earns_full_marks_whatever_the_seed(reference_student, name):
        assert_the_reference_earns_full_marks(reference_student, name)

    @pytest.mark.parametrize("bug", list(bugs))
    def test_bug_costs_marks_with_its_diagnosis_whatever_the_seed(reference_student, bug):
        assert_the_bug_costs_marks_whatever_the_seed(reference_student, *bugs[bug])

    def test_every_function_has_a_bug():
        assert {name for name, _, _ in bugs.values()} == set(names)
    return (test_the_reference_earns_full_marks_whatever_the_seed,
            test_bug_costs_marks_with_its_diagnosis_whatever_the_seed,
            test_every_function_has_a_bug)
