"""Feedback for a student: per function, each check's name, score and diagnosis.

Never the hidden tests' source, inputs or the reference's values: only what the report
holds, which the judge wrote for students to read. Its size is bounded whatever the report
holds: each text is cut to ``MAX_TEXT`` characters, the page to ``MAX_HTML`` bytes; and every
text passes ``described.outgoing`` again, the last line against a student's number."""
import html
from pathlib import Path

from ..judging.described import outgoing

MAX_TEXT = 600
MAX_HTML = 1_000_000

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
td, th { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
.full { color: #176f2c; } .part { color: #9a6700; } .none { color: #b42318; }
.flag { background: #fff4e5; padding: .5rem .8rem; border-left: 4px solid #9a6700; }
"""


def css_class(score, max_score):
    return "full" if max_score and score >= max_score - 1e-9 else "part" if score > 0 else "none"


def clip(text, limit=MAX_TEXT):
    """``text`` HTML-escaped, cut to ``limit`` characters first."""
    text = str(text)
    return html.escape(text if len(text) <= limit else text[:limit - 3] + "...")


def said(text, limit=MAX_TEXT):
    """A message of the judge's as ``clip`` shows it, after the last line's guard
    (``described.outgoing``: no long run of digits, nothing unprintable). Names (the
    student's id, the assignment's, a function's) are shown as they are."""
    return clip(outgoing(text, limit), limit)


def bounded(parts, limit=MAX_HTML):
    """The parts joined, the tail beyond ``limit`` bytes replaced by a note."""
    note = ("<p class='flag'>This feedback was cut short: it was longer than "
            f"{limit // 1000} kB. The total score at the top is complete.</p>")
    kept, size, in_table = [], len(note.encode()) + 10, False
    for part in parts:
        size += len(part.encode()) + 1
        if size > limit:
            return "\n".join(kept + (["</table>"] if in_table else []) + [note])
        kept.append(part)
        in_table = "<table>" in part or (in_table and part != "</table>")
    return "\n".join(kept)


def render(student, assignment, report):
    e = clip
    parts = [f"<!doctype html><meta charset='utf-8'><title>{e(assignment)}: {e(student)}</title>",
             f"<style>{STYLE}</style><h1>{e(assignment)}</h1>",
             f"<p>Student <b>{e(student)}</b>: <b>{report['score']:.2f}</b> of "
             f"{report['max_score']:.2f} points from the hidden tests. Written answers are "
             "graded by hand.</p>",
             f"<p class='containment'>Your code ran in a contained process: "
             f"{e(str(report.get('containment', 'not recorded')))}.</p>"]
    when = report.get("submission_time") or {}
    if when.get("timestamp"):
        parts.append(f"<p class='submitted'>Submitted {e(when['timestamp'])}: "
                     f"{e(when['summary'])}.</p>")
    for flag in report.get("flags", []):
        parts.append(f"<p class='flag'>{said(flag['message'])}</p>")
    for name, function in report["functions"].items():
        cls = css_class(function["score"], function["max_score"])
        parts.append(f"<h2 class='{cls}'>{e(name)}: {function['score']:.2f} / "
                     f"{function['max_score']:.2f}</h2><table><tr><th>check</th><th>points</th>"
                     "<th>what we saw</th></tr>")
        for check in function["checks"]:
            c = css_class(check["score"], check["max_score"])
            parts.append(f"<tr><td>{e(check['name'])}</td><td class='{c}'>{check['score']:.2f} / "
                         f"{check['max_score']:.2f}</td><td>{said(check['message'])}</td></tr>")
        parts.append("</table>")
    return bounded(parts)


def write(course, assignment, student, report):
    path = Path(course) / "feedback" / student / assignment / "feedback.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(student, assignment, report), encoding="utf-8")
    return path
