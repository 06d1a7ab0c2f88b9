"""What every grading-corpus test module does the same way: grade its submissions through the
real pipeline, and read a function's score fraction and diagnosis kinds from a report."""
import shutil

import pytest
from notebook_utils import ROOT

from autograder.round.pipeline import grade_all
from autograder.round.samples import write_submission
from autograder.sandbox.runner import Limits

LIMITS = Limits(cell_seconds=4, call_seconds=4)


def grade_corpus(tmp_path_factory, corpus):
    """{assignment: {student: report}}: every submission of ``corpus`` ({assignment:
    [Sample]}) graded by ``grade_all`` in a fresh course per assignment."""
    reports = {}
    for assignment, samples in corpus.items():
        course = tmp_path_factory.mktemp(assignment)
        for folder in ("source", "release"):
            shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        for sample in samples:
            write_submission(course, assignment, sample)
        reports[assignment] = grade_all(course, assignment, jobs=2, limits=LIMITS,
                                        progress=False)
    return reports


def by_student(reports):
    """{student: report} from grade_corpus's {assignment: {student: report}}."""
    return {s: r for per_assignment in reports.values() for s, r in per_assignment.items()}


def fraction(report, name):
    f = report["functions"][name]
    return f["score"] / f["max_score"]


def kinds(report, name, also=True):
    """The diagnosis kinds of the function's checks that did not pay in full: each check's
    first kind, and with ``also`` every other mistake it names."""
    return {k for c in report["functions"][name]["checks"] if c["score"] < c["max_score"]
            for k in (c["kind"], *(c.get("also", ()) if also else ()))}


def assert_graded_as(report, expected, names, kinds_of=kinds):
    """``report`` grades every one of ``names`` and as ``expected`` ({function: (fraction,
    kind)}): each listed function its fraction (to 1e-6: scores are kept to 6 places) with a
    check that names its kind, every other function full marks, and no error."""
    assert not report["errors"], report["errors"]
    assert sorted(report["functions"]) == sorted(names)
    for name, (want, kind) in expected.items():
        assert fraction(report, name) == pytest.approx(want, abs=1e-6), report["functions"][name]
        assert kind in kinds_of(report, name), (name, kinds_of(report, name))
    others = [n for n in names if n not in expected]
    assert {n: fraction(report, n) for n in others} == {n: 1.0 for n in others}
