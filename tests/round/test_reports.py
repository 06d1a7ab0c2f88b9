"""export and stats over saved reports (a small hand-made class, no grading run needed)."""
import csv
import json
import shutil

from support import ROOT

from autograder.round import gradebook
from autograder.round.pipeline import save
from autograder.round.reports import export, saved_reports, stats_plot, stats_text

A = "hw2_layers"


def report(kind=None, flags=(), also=()):
    functions = {}
    for name in ["affine_forward", "affine_backward"]:
        bad = kind is not None and name == "affine_backward"
        functions[name] = {"score": 1.0 if bad else 4.0, "max_score": 4.0, "checks": [
            {"name": "matches the reference gradients", "score": 0.0 if bad else 4.0,
             "max_score": 4.0, "message": "m", "kind": kind if bad else "ok",
             "also": list(also) if bad else []}]}
    return {"score": sum(f["score"] for f in functions.values()), "max_score": 8.0,
            "functions": functions, "errors": [f["message"] for f in flags], "flags": list(flags)}


def test_export_and_stats(tmp_path):
    course = tmp_path
    shutil.copytree(ROOT / "source" / A, course / "source" / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    gradebook.ensure_assignment(course, A)
    broken = {"code": "not_json", "severity": "error", "message": "not JSON"}
    class_ = {"s1": report(), "s2": report("transposed"), "s3": report("transposed"),
              "s4": report("sign_flipped", flags=[broken], also=["transposed"])}
    for student, rep in class_.items():
        (course / "submitted" / student / A).mkdir(parents=True)
        save(course, A, student, rep)
        gradebook.record(course, A, student, rep)
    assert saved_reports(course, A) == class_
    text = stats_text(class_, A)
    # s4's check names two mistakes: both count (75% transposed, not 50%)
    assert "75% transposed in affine_backward" in text
    assert "25% sign flipped in affine_backward" in text
    assert "affine_forward" in text and "4/4" in text
    assert stats_plot(class_, A, course / "stats.png").stat().st_size > 1000
    path = export(course, "grades.csv")
    rows = {r["student_id"]: r for r in csv.DictReader(path.open()) if r["assignment"] == A}
    assert set(rows) == {"s1", "s2", "s3", "s4"}
    assert rows["s4"]["flags"] == "error: not_json"
    assert rows["s1"]["flags"] == "" and float(rows["s2"][f"{A}:affine_backward"]) == 1.0
    assert json.loads(json.dumps(rows["s1"]))


HOSTILE_IDS = ["=cmd", "+1", "-x", "@SUM(A1)", "a,b", '"quoted"', "'tick"]


def test_export_quotes_every_field_neutralises_formulas_and_round_trips_ids(tmp_path):
    course = tmp_path
    shutil.copytree(ROOT / "source" / A, course / "source" / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    gradebook.ensure_assignment(course, A)
    for i, student in enumerate(HOSTILE_IDS):
        rep = {**report(), "containment": "=namespaces" if i == 0 else "landlock"}
        rep["functions"]["affine_forward"]["score"] = 1.5
        (course / "submitted" / student / A).mkdir(parents=True)
        save(course, A, student, rep)
        gradebook.record(course, A, student, rep)
    (course / "grades.csv").write_text("an older export\n")
    path = export(course, "grades.csv")
    lines = path.read_text().splitlines()
    rows = list(csv.reader(lines))
    assert all(len(r) == len(rows[0]) for r in rows)
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    header, rows = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    assert header[:11] == ["assignment", "duedate", "timestamp", "student_id", "last_name",
                           "first_name", "email", "raw_score", "late_submission_penalty",
                           "score", "max_score"]
    ids = [r["student_id"] for r in rows if r["assignment"] == A]
    assert sorted(i[1:] if i.startswith("'") else i for i in ids) == sorted(HOSTILE_IDS)
    for value in (v for r in rows for v in r.values()):
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    mine = {r["student_id"]: r for r in rows if r["assignment"] == A}
    assert {"'=cmd", "'+1", "'-x", "'@SUM(A1)", "a,b", '"quoted"', "''tick"} == set(mine)
    assert float(mine["a,b"][f"{A}:affine_forward"]) == 1.5
    assert float(mine["a,b"]["score"]) == float(mine["a,b"]["raw_score"]) > 0
    assert mine["'=cmd"]["containment"] == "'=namespaces" and mine["a,b"]["containment"] == "landlock"
    before = path.read_text()
    try:
        export(course, "grades.csv", db_url=f"sqlite:///{tmp_path}/missing/dir/gradebook.db")
    except Exception:
        pass
    assert path.read_text() == before  # a failed export leaves the last one whole
