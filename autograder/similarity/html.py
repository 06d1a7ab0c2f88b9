"""The HTML report: the ranked matches, then each pair's two functions side by side with the
parts they share marked; then the pairs of submissions, each with its shared functions side
by side. Every student string (ids, code, file names) is escaped."""
from html import escape

from . import compare

DETAILS_MAX = 300   # matches shown side by side (the table lists every one)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; }
table.ranked td, table.ranked th { padding: 0.2em 0.8em; text-align: left; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; margin-bottom: 2em; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 0.85em; }
pre span { display: block; white-space: pre; }
pre span.same { background: #ffe08a; }
"""


def marked_lines(unit, shared):
    """Line numbers (1-based, in ``unit.code``) covered by a shared fingerprint."""
    lines = set()
    for digest in shared:
        for first, last in unit.fingerprint.hashes.get(digest, ()):
            lines.update(range(first, last + 1))
    return lines


def code_block(unit, shared):
    marked = marked_lines(unit, shared)
    rows = [f'<span class="same">{escape(line) or " "}</span>' if number in marked
            else f"<span>{escape(line) or ' '}</span>"
            for number, line in enumerate(unit.code.splitlines(), 1)]
    return "<pre>" + "".join(rows) + "</pre>"


def who(match):
    return match.students + ((match.source,) if match.source else ())


def side_by_side(result, match, number):
    left, right = (result.units[(match.function, author)] for author in who(match))
    heads = [escape(author) for author in who(match)]
    return (f'<h3 id="m{number}">{number}. {escape(match.function)}: {heads[0]} ~ {heads[1]} '
            f"({match.similarity:.2f})</h3>" + two_units(heads, left, right, match.shared))


def two_units(heads, left, right, shared):
    return (f'<div class="pair"><div><b>{heads[0]}</b>{code_block(left, shared)}</div>'
            f'<div><b>{heads[1]}</b>{code_block(right, shared)}</div></div>')


def submission_pair(result, match, number):
    """One pair of submissions: each function they share, side by side."""
    heads = [escape(student) for student in match.students]
    parts = [(f'<h3 id="s{number}">{number}. {heads[0]} ~ {heads[1]} ({match.score:.2f}, '
              f"{len(match.functions)} functions)</h3>")]
    for function, share in match.functions.items():
        left, right = (result.units[(function, s)] for s in match.students)
        parts.append(f"<h4>{escape(function)} ({share:.2f})</h4>"
                     + two_units(heads, left, right, match.shared[function]))
    return "".join(parts)


def submissions_section(result):
    rows = "".join(f'<tr><td><a href="#s{i}">{m.score:.2f}</a></td>'
                   f"<td>{len(m.functions)}</td><td>{escape(' ~ '.join(m.students))}</td>"
                   f"<td>{escape(', '.join(m.functions))}</td></tr>"
                   for i, m in enumerate(result.submissions, 1))
    details = "".join(submission_pair(result, m, i)
                      for i, m in enumerate(result.submissions[:DETAILS_MAX], 1))
    intro = (f"<h2>Submissions</h2><p>Pairs of students scored over every graded function, "
             "short ones too: each function whose rare code (what few classmates wrote, less "
             "the reference and the skeleton) the two mostly share adds up to 1, less the "
             f"more common that code is. Pairs at or above {result.submission_threshold:g}."
             "</p>")
    if not rows:
        return intro + "<p>No pair at or above the threshold.</p>"
    return (intro + "<table class='ranked'><tr><th>score</th><th>functions</th><th>who</th>"
            f"<th>shared</th></tr>{rows}</table>" + details)


def report(result):
    """The whole page as a string."""
    matches = compare.ranked(result.pairs + result.reachable)
    rows = "".join(f'<tr><td><a href="#m{i}">{m.similarity:.2f}</a></td>'
                   f"<td>{escape(m.function)}</td><td>{escape(' ~ '.join(who(m)))}</td></tr>"
                   for i, m in enumerate(matches, 1))
    details = "".join(side_by_side(result, m, i)
                      for i, m in enumerate(matches[:DETAILS_MAX], 1))
    unread = "".join(f"<li>{escape(s)}: {escape('; '.join(why))}</li>"
                     for s, why in sorted(result.unreadable.items()))
    title = escape(f"Similarity in {result.assignment}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{STYLE}</style></head><body><h1>{title}</h1>"
            f"<p>{len(result.students)} students; pairs and matches with code students can "
            f"reach at or above {result.threshold:g}. Marked lines share what the reference, "
            "the skeleton and the rest of the class do not.</p>"
            + (f"<table class='ranked'><tr><th>similarity</th><th>function</th><th>who</th>"
               f"</tr>{rows}</table>" if rows else "<p>Nothing at or above the threshold.</p>")
            + (f"<h2>Not (fully) compared</h2><ul>{unread}</ul>" if unread else "")
            + details + submissions_section(result) + "</body></html>\n")
