"""``backproplab demo``: a whole grading round in a fresh course directory.

Builds and releases an assignment, writes that assignment's class of sample submissions
(``demo_classes``: right, blank, its realistic bugs, a cheat, a broken file), grades them in
parallel and prints the table.
"""
import shutil
import time
from pathlib import Path

import solutions

from .. import course as steps
from ..sandbox.containment import choose
from .demo_classes import demo_class
from .pipeline import grade_all
from .samples import write_submission

MARKER = ".backproplab-demo"


def fresh_course(path):
    path = Path(path).resolve()
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise steps.CourseError(f"{path} exists and is not a demo course; pick another "
                                    "--course")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("made by backproplab demo; safe to delete\n")
    return path


def short(kind):
    return kind.replace("_", " ")


def table(reports, assignment, samples):
    names = solutions.ASSIGNMENTS[assignment]
    what = {s.student: s.what for s in samples}
    lines = [f"{'student':8s} {'score':>11s}  {'per function (points)':<}"]
    for student, report in reports.items():
        scores = " ".join(f"{report['functions'][n]['score']:4.1f}" for n in names)
        lines.append(f"{student:8s} {report['score']:5.1f}/{report['max_score']:<5.1f}  {scores}")
    lines.append("")
    lines.append("columns: " + ", ".join(f"{i + 1}={n}" for i, n in enumerate(names)))
    lines.append("")
    for student, report in reports.items():
        lines.append(f"{student} ({what.get(student, '')}):")
        for flag in report.get("flags", []):
            lines.append(f"    [{flag['severity']}] {flag['message']}")
        wrong = [(n, f) for n, f in report["functions"].items()
                 if f["score"] < f["max_score"] - 1e-9]
        kinds = {}
        for n, f in wrong:
            # a check that passed but is not paid (gated) is no mistake of its own
            bad = [c for c in f["checks"] if c["score"] < c["max_score"] - 1e-9
                   and c["kind"] != "ok"]
            named = (k for c in bad for k in (c["kind"], *c.get("also", ())))
            kinds[n] = ", ".join(dict.fromkeys(map(short, named))) if bad else "?"
        if not wrong and not report.get("flags"):
            lines.append("    full marks")
        elif wrong:
            same = set(kinds.values())
            if len(wrong) == len(names) and len(same) == 1:
                lines.append(f"    every function: {same.pop()}")
            else:
                lines.append("    " + "; ".join(f"{n}: {k}" for n, k in kinds.items()))
    return "\n".join(lines)


def run(course="demo-course", assignment="hw2_layers", jobs=2):
    start = time.monotonic()
    containment = choose(allow_none=True)  # the demo grades only its own sample class
    if containment.level == "none":
        print("containment: NONE. This machine offers no operating-system containment "
              "(`backproplab doctor` says what is missing); the demo grades only its own "
              "sample class, and `backproplab grade` would refuse to run student code.")
    else:
        print(f"containment: {containment.label}")
    course = fresh_course(course)
    print(f"course directory: {course}")
    steps.ensure_config(course)
    steps.build(course, [assignment])
    steps.release(course, [assignment])
    print(f"built and released {assignment} ({time.monotonic() - start:.1f} s)")
    samples = demo_class(assignment)
    for sample in samples:
        write_submission(course, assignment, sample)
    print(f"wrote {len(samples)} submissions to submitted/; grading with {jobs} jobs ...")
    t = time.monotonic()
    reports = grade_all(course, assignment, jobs=jobs, json_path=course / "grades.json",
                        containment=containment)
    print(f"graded {len(reports)} submissions in {time.monotonic() - t:.1f} s\n")
    print(table(reports, assignment, samples))
    print(f"\ngradebook: {course / 'gradebook.db'} (nbgrader formgrader reads it)")
    print(f"feedback:  {course / 'feedback'}/<student>/{assignment}/feedback.html")
    print(f"report:    {course / 'grades.json'}")
    return reports
