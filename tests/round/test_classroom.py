"""The classroom round trip, as on a JupyterHub, through a local exchange directory:
the instructor releases, a student fetches and submits, the instructor collects and grades."""
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from nbgrader.api import Gradebook
from support import ROOT

from autograder.cli import late_summary
from autograder.round.pipeline import grade_all
from autograder.round.reports import gradebook_rows, lateness_text, saved_reports
from autograder.round.samples import Sample, fill, with_bug, write_submission

A = "hw2_layers"


def run(args, cwd, user):
    env = {**os.environ, "USER": user, "LOGNAME": user, "PATH": os.path.dirname(sys.executable) + os.pathsep +
           os.environ["PATH"]}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
    return proc


def fetch_fill_submit(home, sample, graded):
    """A student's side: fetch the release, answer, submit (nbgrader writes the timestamp)."""
    student = home.name
    run(["fetch_assignment", A, "--course", "backproplab"], home, student)
    notebook = home / A / f"{A}.ipynb"
    notebook.write_text(json.dumps(fill(json.loads(notebook.read_text()), sample, graded)))
    run(["submit", A, "--course", "backproplab", "--student", student], home, student)


def test_release_fetch_submit_collect_grade_with_a_late_student(tmp_path):
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    homes = {name: tmp_path / name for name in ("alice", "bob")}
    course.mkdir()
    exchange.mkdir(mode=0o777)
    shutil.copytree(ROOT / "source" / A, course / "source" / A)
    shutil.copytree(ROOT / "release" / A, course / "release" / A)
    config = (f'c = get_config()\nc.CourseDirectory.course_id = "backproplab"\n'
              f'c.Exchange.root = "{exchange}"\n')
    # the late penalty nbgrader's LateSubmissionPlugin applies: the late notebook scores 0
    (course / "nbgrader_config.py").write_text(
        config + 'c.LateSubmissionPlugin.penalty_method = "zero"\n')
    for home in homes.values():
        home.mkdir()
        (home / "nbgrader_config.py").write_text(config)
    run(["generate_assignment", A, "--force"], course, "instructor")
    run(["release_assignment", A, "--force"], course, "instructor")
    graded = {"affine_forward", "affine_backward", "relu_forward", "relu_backward"}
    fetch_fill_submit(homes["alice"], Sample("alice", "dw transposed", answers={
        "affine_backward": with_bug("affine_backward", "dw = x_flat.T @ dout",
                                    "dw = (x_flat.T @ dout).T")}), graded)
    due = datetime.now(timezone.utc).replace(tzinfo=None)
    time.sleep(0.05)
    fetch_fill_submit(homes["bob"], Sample("bob", "right, but late"), graded)
    run(["db", "assignment", "add", A, f"--duedate={due.isoformat()} UTC"], course, "instructor")
    run(["collect", A], course, "instructor")
    assert (course / "submitted" / "alice" / A / f"{A}.ipynb").exists()
    assert (course / "submitted" / "bob" / A / "timestamp.txt").exists()

    reports = grade_all(course, A, jobs=1, progress=False)
    functions = reports["alice"]["functions"]
    assert functions["affine_forward"]["score"] == functions["affine_forward"]["max_score"]
    assert 0 < functions["affine_backward"]["score"] < functions["affine_backward"]["max_score"]
    assert functions["sigmoid_forward"]["score"] == 0  # still the released stub
    assert not [f for f in reports["alice"]["flags"] if f["code"] == "stray_files"]
    assert reports["alice"]["submission_time"]["seconds_late"] == 0
    assert reports["alice"]["submission_time"]["summary"] == "on time"
    bob = reports["bob"]["submission_time"]
    assert bob["seconds_late"] > 0 and bob["summary"].startswith("late by")
    assert bob["penalty"] == reports["bob"]["score"] > 0  # "zero": the penalty is the score

    # nbgrader's gradebook knows it as after `nbgrader autograde`: its own export says so
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        late = gb.find_submission(A, "bob")
        assert late.timestamp > due and late.total_seconds_late > 0
        assert late.late_submission_penalty == pytest.approx(reports["bob"]["score"])
        assert gb.find_submission(A, "alice").total_seconds_late == 0
    rows = {r["student_id"]: r for r in gradebook_rows(course)}
    assert float(rows["bob"]["score"]) == 0 and float(rows["bob"]["raw_score"]) > 0
    assert float(rows["alice"]["late_submission_penalty"]) == 0
    assert float(rows["alice"]["score"]) == pytest.approx(reports["alice"]["score"])

    # the instructor's summaries name the late student, and only them
    assert "late: 1 of 2 (bob late by" in late_summary(reports)
    text = lateness_text(course, A, None, saved_reports(course, A))
    assert text.startswith("late submissions: 1 of 2 (2 with a submission time)")
    assert "  bob: submitted" in text and "alice" not in text
    assert "late by" in (course / "feedback" / "bob" / A / "feedback.html").read_text()


def test_a_malformed_timestamp_is_flagged_and_nothing_graded_is_lost(tmp_path):
    course = tmp_path / "course"
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / A, course / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    write_submission(course, A, Sample("carol", "reference"))
    (course / "submitted" / "carol" / A / "timestamp.txt").write_text("yesterday-ish")
    report = grade_all(course, A, jobs=1, progress=False)["carol"]
    assert report["score"] == report["max_score"]
    flag = next(f for f in report["flags"] if f["code"] == "bad_timestamp")
    # names the file, and echoes nothing the student wrote in it (feedback leaks nothing)
    assert "timestamp.txt" in flag["message"] and "yesterday" not in flag["message"]
    assert report["submission_time"]["timestamp"] is None
    (course / "submitted" / "carol" / A / "timestamp.txt").write_text("2026-01-02 03:04:05 UTC")
    again = grade_all(course, A, jobs=1, progress=False)["carol"]
    assert not [f for f in again["flags"] if f["code"] == "bad_timestamp"]
    assert again["submission_time"]["timestamp"] == "2026-01-02 03:04:05 UTC"
