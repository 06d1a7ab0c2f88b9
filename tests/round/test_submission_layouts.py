"""Submission layouts that used to stop the whole grading run, or earn marks through a link.

A small hw2_layers class is graded once through the whole pipeline (two workers, nbgrader's
gradebook): two honest control students beside hostile layouts (a folder with a notebook's
name, JSON nested 100,000 deep, a 64 GiB sparse file and a link to one, the graded notebook
linked to the course's source, an assignment folder and a student folder linked to another
student's). The controls must score exactly what they score when graded alone, in the
report and in the gradebook; each hostile student is flagged and earns nothing it did not
compute; the run, and a re-run, complete.
"""
import json
import os
import shutil
import time

import pytest
from nbgrader.api import Gradebook
from support import ROOT

from autograder.round.pipeline import failed_students, grade_all
from autograder.round.samples import Sample, demo_class, write_submission
from autograder.sandbox.runner import Limits

A = "hw2_layers"
NB = f"{A}.ipynb"
CONTROLS = ("ada", "dev")   # correct; two realistic bugs
SPARSE_BYTES = 64 * 1024**3
LIMITS = Limits(cell_seconds=4, call_seconds=4)


def new_course(path):
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / A, path / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", path)
    for sample in demo_class():
        if sample.student in CONTROLS:
            write_submission(path, A, sample)
    return path


def deep_json(levels):
    return "[" * levels + "]" * levels


def hostile_layouts(course, outside):
    """{student: (expected score, flag code, what the flag must name)}; writes each layout."""
    submitted = course / "submitted"
    correct = lambda name: write_submission(course, A, Sample(name, "correct"))  # noqa: E731
    blank = lambda name: write_submission(course, A, Sample(name, "blank", all_blank=True))  # noqa: E731

    folder = correct("dirnb")
    (folder / "scratch.ipynb").mkdir()
    (folder / "scratch.ipynb" / "x.ipynb").write_text("{}")

    folder = blank("deep")
    (folder / "extra.ipynb").write_text(deep_json(100_000))

    sparse = outside / "sparse.bin"
    sparse.touch()
    os.truncate(sparse, SPARSE_BYTES)
    folder = blank("sparse")
    (folder / "big.ipynb").symlink_to(sparse)
    (folder / "data.bin").symlink_to(sparse)

    folder = blank("toolarge")
    os.truncate(folder / NB, SPARSE_BYTES)  # the graded notebook itself: 64 GiB of zeros

    folder = blank("linked_nb")
    (folder / NB).unlink()
    (folder / NB).symlink_to(course / "source" / A / NB)

    (submitted / "linked_hw").mkdir()
    (submitted / "linked_hw" / A).symlink_to(submitted / "ada" / A)
    (submitted / "linked_student").symlink_to(submitted / "ada")
    # a name the student chose is never said (issue 17): the flag says what kind of entry it is
    return {"dirnb": (None, "notebook_folder", "an entry of your submission (folder)"),  # ada's
            "deep": (0.0, "too_deep", "a notebook of another name"),
            "sparse": (0.0, "symlink", "an entry of your submission (symlink)"),
            "toolarge": (0.0, "too_large", NB),
            "linked_nb": (0.0, "symlink", NB),
            "linked_hw": (0.0, "symlink", f"linked_hw/{A}"),
            "linked_student": (0.0, "symlink", "linked_student")}


def gradebook_scores(course):
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        return {s.student.id: (s.score, s.code_score) for s in gb.assignment_submissions(A)}


def stamps(*paths):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in paths}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    alone = new_course(tmp_path_factory.mktemp("alone"))
    alone_reports = grade_all(alone, A, jobs=2, limits=LIMITS, progress=False)
    course = new_course(tmp_path_factory.mktemp("course"))
    expected = hostile_layouts(course, tmp_path_factory.mktemp("outside"))
    watched = [course / "source" / A / NB, course / "submitted" / "ada" / A / NB]
    before = stamps(*watched)
    reports = grade_all(course, A, jobs=2, limits=LIMITS, progress=False)
    return {"alone": (alone, alone_reports), "course": course, "reports": reports,
            "expected": expected, "untouched": before == stamps(*watched)}


def test_controls_keep_their_score_beside_hostile_layouts(graded):
    alone, alone_reports = graded["alone"]
    reports = graded["reports"]
    for student in CONTROLS:
        assert reports[student]["functions"] == alone_reports[student]["functions"]
        assert reports[student]["score"] == alone_reports[student]["score"]
    ours, theirs = gradebook_scores(graded["course"]), gradebook_scores(alone)
    assert {s: ours[s] for s in CONTROLS} == {s: theirs[s] for s in CONTROLS}
    assert reports["ada"]["score"] == reports["ada"]["max_score"] > 0
    assert 0 < reports["dev"]["score"] < reports["dev"]["max_score"]


@pytest.mark.parametrize("student", ["dirnb", "deep", "sparse", "toolarge", "linked_nb",
                                     "linked_hw", "linked_student"])
def test_hostile_layout_is_flagged_and_earns_nothing_it_did_not_compute(graded, student):
    score, code, name = graded["expected"][student]
    report = graded["reports"][student]
    score = graded["reports"]["ada"]["score"] if score is None else score
    assert report["score"] == score, report["flags"]
    flags = [f for f in report["flags"] if f["code"] == code]
    assert flags and any(name in f["message"] for f in flags), report["flags"]
    assert gradebook_scores(graded["course"])[student][0] == score
    feedback = graded["course"] / "feedback" / student / A / "feedback.html"
    assert name.split("/")[-1] in feedback.read_text()


def test_nothing_is_written_through_a_link_and_nobody_failed(graded):
    course = graded["course"]
    assert graded["untouched"]
    assert failed_students(graded["reports"]) == []
    assert set(graded["reports"]) == set(CONTROLS) | set(graded["expected"])
    for student in ("linked_hw", "linked_student"):
        assert not (course / "autograded" / student / A / NB).exists()
    assert not (course / "autograded" / "toolarge" / A / NB).exists()
    copied = course / "autograded" / "dirnb" / A
    assert (copied / NB).is_file() and not (copied / "scratch.ipynb").exists()


def test_export_shows_the_refused_and_flagged(graded):
    import csv
    from autograder.round.reports import export
    rows = {r["student_id"]: r for r in csv.DictReader(export(graded["course"]).open())}
    for student, (_, code, _) in graded["expected"].items():
        assert code in rows[student]["flags"], rows[student]
    assert rows["ada"]["flags"] == "" and float(rows["ada"]["score"]) > 0


def test_a_rerun_completes_with_the_same_reports(graded):
    again = grade_all(graded["course"], A, jobs=2, limits=LIMITS, progress=False)
    strip = lambda reports: {s: {k: v for k, v in r.items() if k != "timing"}  # noqa: E731
                             for s, r in reports.items()}
    assert strip(again) == strip(graded["reports"])


def test_json_nested_deep_or_big_is_flagged_not_read(tmp_path):
    from autograder.round.submission import JSON_MAX_DEPTH, load_notebook
    for text, code in [(deep_json(JSON_MAX_DEPTH + 1), "too_deep"),
                       (deep_json(100_000), "too_deep"),
                       ('{"cells": [], "nbformat": 4, "x": ' + deep_json(50) + "}", None)]:
        path = tmp_path / "n.ipynb"
        path.write_text(text)
        flags = []
        load_notebook(path, flags)
        assert [f.code for f in flags] == ([code] if code else [])


# ------------------------------------------ the worker pool: a stuck or dying worker (no sandbox)

def fake_grade(course, assignment, student, limits, containment=None):
    """Stands in for grading in the pool's workers (forked after the patch): hangs, dies or
    answers at once, by the student's name."""
    if student.startswith("stuck"):
        time.sleep(3600)
    if student.startswith("dies"):
        os._exit(1)
    time.sleep(0.2)
    return {"score": 1.0, "max_score": 1.0, "functions": {}, "errors": [], "flags": []}


def test_a_stuck_or_dying_worker_costs_only_its_student(monkeypatch):
    from autograder.round import pipeline
    monkeypatch.setattr(pipeline, "safe_grade", fake_grade)
    monkeypatch.setattr(pipeline, "MARGIN_SECONDS", 0)
    limits = Limits(student_seconds=2, startup_seconds=0)
    reports = {}
    start = time.monotonic()
    pipeline.grade_in_workers("/nonexistent", A, ["a", "stuck", "b", "dies", "c", "d"], limits,
                              None, 2, reports.__setitem__)
    assert time.monotonic() - start < 30
    assert {s: r["score"] for s, r in reports.items() if not r["flags"]} == \
        {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}
    assert failed_students(reports) == ["dies", "stuck"]
    assert [f["code"] for f in reports["stuck"]["flags"]] == ["time_budget"]
    assert "time budget used up" in reports["stuck"]["errors"][0]
    assert [f["code"] for f in reports["dies"]["flags"]] == ["grading_failed"]


def test_junk_in_a_notebook_is_read_without_raising(tmp_path):
    from autograder.round.submission import load_notebook, prepare
    source = json.loads((ROOT / "source" / A / NB).read_text())
    junk = [{"cell_type": "code", "metadata": [], "source": "x = 1"},
            {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": ["a"]}}, "source": [1, 2]},
            {"cell_type": "code", "metadata": {"tags": "demo", "nbgrader": []}, "source": {}},
            {"cell_type": "code", "metadata": {}, "source": "(" * 500 + ")" * 500},
            {"cell_type": "code", "metadata": {}, "source": "x\0 = 1"}, 7, None]
    path = tmp_path / NB
    path.write_text(json.dumps({"cells": junk, "nbformat": 4, "n": int("9" * 4000)}))
    flags = []
    prepared = prepare(load_notebook(path, flags), source, NB, ["affine_forward"])
    assert flags == [] and len(prepared.cells) > 5
    path.write_text('{"cells": [], "nbformat": 4, "n": ' + "9" * 5000 + "}")
    assert load_notebook(path, flags) is None and flags[0].code == "not_json"
