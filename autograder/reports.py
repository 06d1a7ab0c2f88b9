"""What the class did, from the saved reports: CSV export and class statistics."""
import csv
import json
from collections import Counter
from pathlib import Path

import solutions

from .course import nbgrader
from .pipeline import report_path, students_of


def saved_reports(course, assignment):
    """{student: report} for every graded submission of ``assignment``."""
    reports = {}
    for student in students_of(course, assignment):
        path = report_path(course, assignment, student)
        if path.exists():
            reports[student] = json.loads(path.read_text())["report"]
    return reports


def export(course, out="grades.csv"):
    """nbgrader's CSV export plus one column per graded function and a flags column.

    A student whose submission could not be read shows its flags in ``flags``: a zero there
    is never silent."""
    course = Path(course)
    plain = course / ".nbgrader-export.csv"
    nbgrader(course, "export", "--to", str(plain))
    rows = list(csv.DictReader(plain.open()))
    plain.unlink()
    columns = list(rows[0].keys()) if rows else ["assignment", "student_id", "score", "max_score"]
    extra = [f"{a}:{name}" for a in solutions.ASSIGNMENTS for name in solutions.ASSIGNMENTS[a]]
    cache = {a: saved_reports(course, a) for a in solutions.ASSIGNMENTS}
    for row in rows:
        report = cache.get(row["assignment"], {}).get(row["student_id"])
        row["flags"] = "; ".join(f"{f['severity']}: {f['code']}" for f in (report or {}).get("flags", []))
        if report is None and row["assignment"] in cache:
            row["flags"] = "not graded by backproplab"
        for column in extra:
            assignment, name = column.split(":")
            if report and assignment == row["assignment"]:
                row[column] = report["functions"].get(name, {}).get("score", "")
            else:
                row[column] = ""
    with open(course / out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns + ["flags"] + extra)
        writer.writeheader()
        writer.writerows(rows)
    return course / out


NOT_ATTEMPTED = {"not_implemented", "unreadable_notebook", "not_defined", "no_check"}


def class_stats(reports, assignment):
    """Per function and check: how many passed; and the commonest diagnoses."""
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
            kinds = {c.get("kind", "?") for c in f["checks"] if c["score"] < c["max_score"] - 1e-9}
            for kind in kinds - {"ok"}:
                mistakes[(name, kind)] += 1
        rows.append((name, full, checks))
    common = [(count / n, name, kind) for (name, kind), count in mistakes.most_common()]
    return rows, common


def stats_text(reports, assignment):
    rows, common = class_stats(reports, assignment)
    n = len(reports)
    lines = [f"{assignment}: {n} students", "", f"{'function':22s} {'full marks':>10s}   checks passed"]
    for name, full, checks in rows:
        detail = ", ".join(f"{c} {done}/{total}" for c, (done, total) in checks.items())
        lines.append(f"{name:22s} {full:>4d}/{n:<5d}   {detail}")
    mistakes = [c for c in common if c[2] not in NOT_ATTEMPTED]
    missing = [c for c in common if c[2] in NOT_ATTEMPTED]
    lines += ["", "commonest mistakes:"]
    for share, name, kind in mistakes[:15]:
        lines.append(f"  {share:4.0%} {kind.replace('_', ' ')} in {name}")
    if missing:
        lines += ["", "not attempted or not readable:"]
        by_kind = {}
        for share, name, kind in missing:
            by_kind.setdefault((kind, round(share, 3)), []).append(name)
        for (kind, share), names in by_kind.items():
            lines.append(f"  {share:4.0%} {kind.replace('_', ' ')}: {', '.join(names)}")
    return "\n".join(lines)


def stats_plot(reports, assignment, path):
    """A bar chart of the share of students with full marks per function, with the
    commonest diagnosis of each function written beside its bar."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, common = class_stats(reports, assignment)
    n = max(len(reports), 1)
    top = {}
    for share, name, kind in common:
        if kind not in NOT_ATTEMPTED:
            top.setdefault(name, f"{share:.0%} {kind.replace('_', ' ')}")
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
