"""export and stats over saved reports (a small hand-made class, no grading run needed)."""
import csv
import json
import shutil

from notebook_utils import ROOT

from autograder import gradebook
from autograder.pipeline import save
from autograder.reports import export, saved_reports, stats_plot, stats_text

A = "hw2_layers"


def report(kind=None, flags=()):
    functions = {}
    for name in ["affine_forward", "affine_backward"]:
        bad = kind is not None and name == "affine_backward"
        functions[name] = {"score": 1.0 if bad else 4.0, "max_score": 4.0, "checks": [
            {"name": "matches the reference gradients", "score": 0.0 if bad else 4.0,
             "max_score": 4.0, "message": "m", "kind": kind if bad else "ok"}]}
    return {"score": sum(f["score"] for f in functions.values()), "max_score": 8.0,
            "functions": functions, "errors": [f["message"] for f in flags], "flags": list(flags)}


def test_export_and_stats(tmp_path):
    course = tmp_path
    shutil.copytree(ROOT / "source" / A, course / "source" / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    gradebook.ensure_assignment(course, A)
    broken = {"code": "not_json", "severity": "error", "message": "not JSON"}
    class_ = {"s1": report(), "s2": report("transposed"), "s3": report("transposed"),
              "s4": report("sign_flipped", flags=[broken])}
    for student, rep in class_.items():
        (course / "submitted" / student / A).mkdir(parents=True)
        save(course, A, student, rep)
        gradebook.record(course, A, student, rep)
    assert saved_reports(course, A) == class_
    text = stats_text(class_, A)
    assert "50% transposed in affine_backward" in text
    assert "affine_forward" in text and "4/4" in text
    assert stats_plot(class_, A, course / "stats.png").stat().st_size > 1000
    path = export(course, "grades.csv")
    rows = {r["student_id"]: r for r in csv.DictReader(path.open()) if r["assignment"] == A}
    assert set(rows) == {"s1", "s2", "s3", "s4"}
    assert rows["s4"]["flags"] == "error: not_json"
    assert rows["s1"]["flags"] == "" and float(rows["s2"][f"{A}:affine_backward"]) == 1.0
    assert json.loads(json.dumps(rows["s1"]))
