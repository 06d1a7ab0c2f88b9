"""What the class did, from nbgrader's gradebook and the saved reports: CSV export and class
statistics."""
import csv
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

import solutions

from ..judging import registry
from ..similarity import best_match_text, saved_result
from . import gradebook
from .pipeline import report_path, students_of


def saved_reports(course, assignment):
    """{student: report} for every graded submission of ``assignment`` (an unreadable saved
    report is left out, as if not graded)."""
    reports = {}
    for student in students_of(course, assignment):
        path = report_path(course, assignment, student)
        try:
            reports[student] = json.loads(path.read_text())["report"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return reports


NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name",
                    "first_name", "email", "raw_score", "late_submission_penalty", "score",
                    "max_score"]  # the columns of nbgrader's CsvExportPlugin, in its order
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def gradebook_rows(course, db_url=None):
    """One row per assignment and student from nbgrader's gradebook, as nbgrader's own CSV
    export computes it (a student without a submission scores 0)."""
    rows = []
    with Gradebook(gradebook.db_url(course, db_url)) as gb:
        for assignment in gb.assignments:
            for student in gb.students:
                row = {"assignment": assignment.name, "duedate": assignment.duedate,
                       "student_id": student.id, "last_name": student.last_name,
                       "first_name": student.first_name, "email": student.email,
                       "max_score": assignment.max_score, "timestamp": None, "raw_score": 0.0,
                       "late_submission_penalty": 0.0, "score": 0.0}
                try:
                    submission = gb.find_submission(assignment.name, student.id)
                except MissingEntry:
                    rows.append(row)
                    continue
                penalty = submission.late_submission_penalty or 0.0
                # to 6 places, as every score of a report (the gradebook's sum of floats
                # would print as 7.1262609999999995)
                row.update(timestamp=submission.timestamp, raw_score=round(submission.score, 6),
                           late_submission_penalty=penalty,
                           score=round(max(0.0, submission.score - penalty), 6))
                rows.append(row)
    return rows


def cell(value):
    """A CSV cell no spreadsheet runs as a formula: numbers as numbers, None as empty, text
    starting with = + - @ a tab, CR or ' behind a ' (strip one leading ' to read it back)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value)) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def flags_text(report):
    if report is None:
        return "not graded by backproplab"
    return "; ".join(f"{f['severity']}: {f['code']}" for f in report.get("flags", []))


def export(course, out="grades.csv", db_url=None):
    """nbgrader's CSV export (built from its gradebook) plus one column per graded function,
    a ``flags`` column (a zero there is never silent), the ``containment`` the student's
    code ran under and ``similarity``: the highest match of the last ``backproplab
    similarity`` run, of one function and of the whole submission (``0.93 hw2_layers
    affine_backward ~ bob; 3.10 hw2_layers submission (6 functions) ~ carol``), empty below
    the thresholds.
    Every field is quoted and no cell is a formula; the file is replaced whole, so a failure
    never truncates an existing export."""
    course = Path(course)
    extra = [f"{a}:{name}" for a in solutions.ASSIGNMENTS for name in solutions.ASSIGNMENTS[a]]
    cache = {a: saved_reports(course, a) for a in solutions.ASSIGNMENTS}
    similar = {a: saved_result(course, a) for a in solutions.ASSIGNMENTS}
    rows = gradebook_rows(course, db_url)
    for row in rows:
        report = cache.get(row["assignment"], {}).get(row["student_id"])
        row["flags"] = flags_text(report) if row["assignment"] in cache else ""
        row["containment"] = (report or {}).get("containment")
        row["similarity"] = best_match_text(similar.get(row["assignment"]), row["assignment"],
                                            row["student_id"])
        for column in extra:
            assignment, name = column.split(":", 1)
            function = (report or {}).get("functions", {}).get(name, {}) \
                if assignment == row["assignment"] else {}
            row[column] = function.get("score")
    target = course / out
    handle = tempfile.NamedTemporaryFile("w", newline="", encoding="utf-8", delete=False,
                                         dir=target.parent, prefix=f".{target.name}.")
    try:
        with handle:
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
            columns = NBGRADER_COLUMNS + ["flags", "containment", "similarity"] + extra
            writer.writerow(columns)
            writer.writerows([cell(row[c]) for c in columns] for row in rows)
        os.replace(handle.name, target)
    except BaseException:
        os.unlink(handle.name)
        raise
    return target


def declared_kinds():
    """{kind: Kind} of every kind the grader declares (judging/kinds.py and the assignments')."""
    return registry.all_kinds()


def not_attempted():
    """The kinds that say there was nothing to grade (their declared group)."""
    return {name for name, kind in declared_kinds().items() if kind.group == "not_attempted"}


def label(kind):
    """How statistics name a kind (one an older grader gave, no longer declared, as it is)."""
    found = declared_kinds().get(kind)
    return found.label if found else kind.replace("_", " ")


def class_stats(reports, assignment):
    """Per function and check: how many passed; and the commonest diagnoses (every distinct
    mistake a check names counts, not only its first)."""
    names = solutions.ASSIGNMENTS[assignment]
    n = len(reports)
    rows, mistakes = [], Counter()
    for name in names:
        functions = [r["functions"][name] for r in reports.values() if name in r["functions"]]
        full = sum(f["score"] >= f["max_score"] - 1e-9 and f["max_score"] > 0 for f in functions)
        checks = {}
        for f in functions:
            for c in f["checks"]:
                passed = c["score"] >= c["max_score"] - 1e-9
                done, total = checks.get(c["name"], (0, 0))
                checks[c["name"]] = (done + passed, total + 1)
            kinds = {kind for c in f["checks"] if c["score"] < c["max_score"] - 1e-9
                     for kind in [c.get("kind", "?"), *(c.get("also") or [])]}
            for kind in kinds - {"ok"}:
                mistakes[(name, kind)] += 1
        rows.append((name, full, checks))
    common = [(count / n, name, kind) for (name, kind), count in mistakes.most_common()]
    return rows, common


def stats_text(reports, assignment):
    rows, common = class_stats(reports, assignment)
    n = len(reports)
    skipped = not_attempted()
    lines = [f"{assignment}: {n} students", "",
             f"{'function':22s} {'full marks':>10s}   checks passed"]
    for name, full, checks in rows:
        detail = ", ".join(f"{c} {done}/{total}" for c, (done, total) in checks.items())
        lines.append(f"{name:22s} {full:>4d}/{n:<5d}   {detail}")
    mistakes = [c for c in common if c[2] not in skipped]
    missing = [c for c in common if c[2] in skipped]
    lines += ["", "commonest mistakes:"]
    for share, name, kind in mistakes[:15]:
        lines.append(f"  {share:4.0%} {label(kind)} in {name}")
    if missing:
        lines += ["", "not attempted or not readable:"]
        by_kind = {}
        for share, name, kind in missing:
            by_kind.setdefault((kind, round(share, 3)), []).append(name)
        for (kind, share), names in by_kind.items():
            lines.append(f"  {share:4.0%} {label(kind)}: {', '.join(names)}")
    shown = dict.fromkeys(kind for _, _, kind in mistakes[:15] + missing)
    meanings = [(label(k), declared_kinds()[k].meaning) for k in shown if k in declared_kinds()]
    if meanings:
        lines += ["", "what they mean:"] + [f"  {name}: {meaning}" for name, meaning in meanings]
    return "\n".join(lines)


def lateness_text(course, assignment, db_url, reports):
    """Who handed ``assignment`` in late, from the gradebook (nbgrader's due date, extensions
    and penalties as they are now), for the graded students of ``reports``."""
    times = gradebook.submission_times(course, assignment, db_url, set(reports))
    late = sorted((s, t) for s, t in times.items() if t.late)
    timed = sum(1 for t in times.values() if t.timestamp is not None)
    lines = [f"late submissions: {len(late)} of {len(reports)} ({timed} with a submission time)"]
    lines += [f"  {student}: submitted {t.timestamp:%Y-%m-%d %H:%M} UTC, {t.describe()}"
              for student, t in late]
    return "\n".join(lines)


def stats_plot(reports, assignment, path):
    """A bar chart of the share of students with full marks per function, with the
    commonest diagnosis of each function written beside its bar."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, common = class_stats(reports, assignment)
    n = max(len(reports), 1)
    top, skipped = {}, not_attempted()
    for share, name, kind in common:
        if kind not in skipped:
            top.setdefault(name, f"{share:.0%} {label(kind)}")
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.5))
    names = [r[0] for r in rows][::-1]
    shares = [r[1] / n for r in rows][::-1]
    ax.barh(names, shares, color="#4c72b0")
    for y, name in enumerate(names):
        if name in top:
            ax.text(1.02, y, top[name], va="center", fontsize=8, transform=ax.get_yaxis_transform())
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of students with full marks")
    ax.set_title(f"{assignment}: what the class got right ({len(reports)} students)")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
