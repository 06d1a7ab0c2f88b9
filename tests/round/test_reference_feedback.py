"""The reference solution of every assignment, graded as a student's notebook: full marks,
and feedback without a single warning (the locked set-up cells run quietly in the contained
process: the stub package and the plotting stand-ins answer them)."""
import shutil

import pytest
from support import ROOT

import solutions
from autograder.round.feedback import render
from autograder.round.grading import grade_submission
from autograder.round.samples import Sample, write_submission


@pytest.mark.parametrize("assignment", list(solutions.ASSIGNMENTS))
def test_reference_gets_full_marks_and_feedback_without_warnings(tmp_path, assignment):
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / assignment, tmp_path / folder / assignment)
    write_submission(tmp_path, assignment, Sample("reference", "the reference"))
    report = grade_submission(tmp_path, assignment, "reference")
    assert report["flags"] == [] and report["errors"] == []
    assert report["score"] == report["max_score"] > 0
    feedback = render("reference", assignment, report)
    assert "class='flag'" not in feedback
    assert all(c["score"] == c["max_score"] for f in report["functions"].values()
               for c in f["checks"])
