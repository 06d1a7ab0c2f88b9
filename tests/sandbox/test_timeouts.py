"""Students whose calls time out again and again are given up on soon, at the default limits,
while a student with one endless function, or a slow numerical backward, loses only that
function's points."""
import shutil

import pytest
from support import ROOT

import solutions
from autograder.round.pipeline import grade_all
from autograder.round.samples import Sample, write_submission
from autograder.sandbox.runner import Limits

A = "hw2_layers"
GRADED = solutions.ASSIGNMENTS[A]
SLEEPS = "import time\n" + "".join(
    f"def {name}(*args, **kwargs):\n    time.sleep(1000)\n" for name in GRADED)
ENDLESS_RELU = "def relu_backward(dout, cache):\n    while True:\n        pass\n"
NUMERICAL_RELU = '''\
def relu_backward(dout, cache):
    x = cache
    dx = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + 1e-6
        up = relu_forward(x)[0]
        x[i] = old - 1e-6
        down = relu_forward(x)[0]
        x[i] = old
        dx[i] = np.sum((up - down) * dout) / 2e-6
    return dx
'''
STUDENTS = [
    Sample("sleeper", "every function sleeps", all_blank=True, extra_cells=[SLEEPS]),
    Sample("endless", "relu_backward never returns", answers={"relu_backward": ENDLESS_RELU}),
    Sample("numerical", "relu_backward by finite differences",
           answers={"relu_backward": NUMERICAL_RELU}),
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    course = tmp_path_factory.mktemp("timeouts")
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    for sample in STUDENTS:
        write_submission(course, A, sample)
    return grade_all(course, A, jobs=2, limits=Limits(), progress=False)


def test_a_student_whose_every_call_sleeps_costs_at_most_15_seconds(reports):
    report = reports["sleeper"]
    assert report["timing"]["total"] < 15, report["timing"]
    assert report["score"] == 0.0
    kinds = [c["kind"] for f in report["functions"].values() for c in f["checks"]]
    assert "timeout" in kinds and kinds.count("time_budget") >= len(GRADED) - 2
    messages = " ".join(c["message"] for f in report["functions"].values()
                        for c in f["checks"])
    assert "timed out again and again" in messages


@pytest.mark.parametrize("student", ["endless", "numerical"])
def test_one_slow_function_costs_only_its_own_points(reports, student):
    report = reports[student]
    lost = {n for n, f in report["functions"].items() if f["score"] < f["max_score"]}
    assert lost == {"relu_backward"}, lost
    kinds = {c["kind"] for c in report["functions"]["relu_backward"]["checks"]}
    assert kinds & {"timeout", "not_derived"}, kinds
    assert "time_budget" not in {c["kind"] for f in report["functions"].values()
                                 for c in f["checks"]}
