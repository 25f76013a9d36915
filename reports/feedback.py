"""A student's feedback: ``DIR/<student>.html`` (self-contained) and ``DIR/<student>.md``.

The page shows the total, every test with its points and message, the
mistakes the grader recognised, the pictures (:mod:`reports.figures`), what
the code printed and how to regrade with the same data. It is drawn from
the results dict and the grading's artifacts only; every string from them
is cleaned (:mod:`autograder.text`) and HTML-escaped by Jinja2's
autoescape. The page loads nothing: CSS inline, pictures as ``data:`` URIs,
no script, and a Content-Security-Policy that forbids any fetch.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import re
from pathlib import Path

from autograder import files
from autograder.text import file_stem, one_line

from . import figures, parse
from .templating import render



def page_name(student):
    """The file stem of a student's pages: :func:`autograder.text.file_stem` (the name itself
    when it is a plain file name, else a sanitised form with a short hash)."""
    return file_stem(student)


def regrade_command(assignment, seed):
    return f"python -m autograder grade {assignment} SUBMISSION --seed {seed}"


def late_context(late, rule):
    """The late policy's row of a student (``python -m gradebook``'s late.json) as the pages show it, or None."""
    if not rule or not isinstance(late, dict):
        return None

    def num(x):
        try:
            return _n(float(x))
        except (TypeError, ValueError):
            return ""

    return {"rule": one_line(rule, limit=600), "deadline": one_line(late.get("deadline") or "", limit=100),
            "submitted_at": one_line(late.get("submitted_at") or "", limit=60),
            "late_by": one_line(late.get("late_by") or "", limit=200),
            "evidence": one_line(late.get("evidence") or "", limit=400),
            "penalty": num(late.get("penalty") or 0), "charged": bool(late.get("penalty")),
            "raw": num(late.get("raw")) if late.get("raw") is not None else "",
            "total": num(late.get("total")) if late.get("total") is not None else ""}


def context(student, results, *, artifacts=None, seed=None, assignment=None, late=None, rule=""):
    """What both pages show, as plain cleaned data (the templates escape it).

    ``late`` / ``rule``: the student's row of a late policy and the rule applied (:func:`late_context`).
    """
    assignment = assignment or parse.assignment(results) or "assignment"
    stated = parse.seed(results)  # the seed the data were drawn with, as the engine wrote it
    seed = stated if stated is not None else seed
    tests = parse.tests(results)
    score, max_score = parse.total(results), parse.max_total(results)
    late = late_context(late, rule)
    if late and late["charged"] and late["total"]:  # the total is the score after the late penalty
        score = float(late["total"])
    reason = parse.reason(results)
    pics = figures.pictures(assignment, results, artifacts)
    shown = []
    for t in tests:
        hidden = t.visibility == "hidden"
        # the mistakes the test named (its field) are shown on their own, not twice in its message
        body = "\n".join(line for line in t.output.split("\n") if not _names(line, t.mistakes)).strip("\n")
        shown.append({"number": t.number, "name": t.name, "score": _n(t.score), "max_score": _n(t.max_score),
                      "status": t.status, "hidden": hidden, "message": "" if hidden else body,
                      "carried": t.carried,
                      "mistakes": [] if hidden else t.mistakes})
    return {
        "assignment": one_line(assignment, limit=40),
        "student": one_line(student, limit=200),
        "score": _n(score), "max_score": _n(max_score),
        "percent": 0 if not max_score else max(0.0, min(100.0, 100 * score / max_score)),
        "passed": sum(t.passed for t in tests), "count": len(tests),
        "carried": sum(t.passed and bool(t.carried) for t in tests),
        "tests": shown,
        "mistakes": list(dict.fromkeys(m for t in shown for m in t["mistakes"])),
        "reason": None if reason is None else {"label": reason[1], "detail": reason[2]},
        "pictures": [{"title": p.title, "caption": p.caption, "reason": p.reason,
                      "src": "data:image/png;base64," + base64.b64encode(p.png).decode("ascii") if p.png else ""}
                     for p in pics],
        "printed": parse.printed(results),
        "notes": parse.notes(results),
        "unisolated": parse.unisolated(results),
        "seed": seed,
        "regrade": regrade_command(one_line(assignment, limit=40), seed if seed is not None else "N"),
        "execution_time": parse.timing(results),
        "late": late,
        "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _n(x):
    return f"{x:g}"


_LIKELY = "Likely mistake:"


def _names(line, mistakes):
    """Whether ``line`` of a test's message is where it names one of ``mistakes`` (its field)."""
    return line.startswith(_LIKELY) and one_line(line[len(_LIKELY):].strip(), limit=400) in mistakes


def write(student, results, dest, *, artifacts=None, seed=None, assignment=None, page=None, late=None, rule=""):
    """Write ``dest/<student>.html`` and ``dest/<student>.md``; return both paths.

    ``results`` is the results.json dict, ``artifacts`` the grading's
    :attr:`autograder.results.Grading.artifacts` (``None``: no pictures, and
    the page says why), ``seed`` the seed the data were drawn with when the
    results do not state it (every grading of this kit's engine does: a
    resumed class may hold gradings of several seeds).
    The file stem is ``page`` (unique in the class, as grade-all gives it), else
    :func:`page_name` of ``student``. ``late`` / ``rule``: the student's row of a late policy and
    the rule applied (the page states both: the total after the penalty, and why).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    ctx = context(student, results, artifacts=artifacts, seed=seed, assignment=assignment, late=late, rule=rule)
    stem = page or page_name(student)
    html_path, md_path = dest / f"{stem}.html", dest / f"{stem}.md"
    files.write_atomic(html_path, render("feedback.html.j2", **ctx))
    files.write_atomic(md_path, markdown(ctx))
    return html_path, md_path


# ---------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*\[\]|#!{}~])")


def md_text(text):
    """Inline Markdown text that renders as itself: no markup, no raw HTML (``<`` is ``&lt;``)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(one_line(text, limit=2000), quote=False))


def md_block(text, lang="text"):
    """A fenced code block whose fence no run of backticks inside can close."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def markdown(ctx):
    a, out = ctx["assignment"], []
    out.append(f"# {md_text(a)}: feedback for {md_text(ctx['student'])}\n")
    out.append(f"**Total: {ctx['score']} / {ctx['max_score']} points** "
               f"({ctx['passed']} of {ctx['count']} tests passed"
               + (f", {ctx['carried']} on your own parts" if ctx["carried"] else "")
               + (f"; {ctx['late']['raw']} before the late penalty" if ctx["late"] and ctx["late"]["charged"] else "")
               + ")\n")
    late = ctx["late"]
    if late:
        out.append("## Late policy\n")
        out.append(f"{md_text(late['rule'])}\n")
        out.append(f"- Your deadline: {md_text(late['deadline'])}")
        out.append(f"- Submitted: {md_text(late['submitted_at'] or 'time unknown')}"
                   + (f" ({md_text(late['late_by'])})" if late["late_by"] else ""))
        out.append(f"- Evidence: {md_text(late['evidence'])}")
        if late["charged"]:
            out.append(f"- **Penalty: −{late['penalty']} points: total {late['total']} (before the penalty "
                       f"{late['raw']})**")
        out.append("")
    if ctx["unisolated"]:
        out.append(f"> **Graded without isolation:** {md_text(ctx['unisolated'])}\n")
    if ctx["reason"]:
        out.append(f"> **The grading could not complete — {md_text(ctx['reason']['label'])}:** "
                   f"{md_text(ctx['reason']['detail'])}\n")
    if ctx["mistakes"]:
        out.append("## Mistakes the grader recognised\n")
        out.extend(f"- {md_text(m)}" for m in ctx["mistakes"])
        out.append("")
    out.append("## Tests\n")
    out.append("| | points | test |\n|---|---:|---|")
    mark = {"pass": "✓", "carried": "✓↪", "partial": "◐", "fail": "✗"}
    for t in ctx["tests"]:
        out.append(f"| {mark[t['status']]} | {t['score']} / {t['max_score']} | {md_text(t['name'])} |")
    out.append("")
    for t in ctx["tests"]:
        if t["status"] == "pass":
            continue
        out.append(f"### {mark[t['status']]} {md_text(t['name'])} — {t['score']} / {t['max_score']}\n")
        if t["hidden"]:
            out.append("(this test's message is hidden)\n")
            continue
        if t["message"]:
            out.append(md_block(t["message"]) + "\n")
        out.extend(f"**Likely mistake:** {md_text(m)}\n" for m in t["mistakes"])
    out.append("## Pictures\n")
    for p in ctx["pictures"]:
        out.append(f"- **{md_text(p['title'])}**: " + (f"in the HTML page. {md_text(p['caption'])}" if p["src"]
                                                       else md_text(p["reason"])))
    if not ctx["pictures"]:
        out.append("(none for this assignment)")
    out.append("")
    if ctx["notes"]:
        out.append("## Notes from the grader\n")
        out.extend(f"- {md_text(n)}" for n in ctx["notes"])
        out.append("")
    out.append("## What your code printed\n")
    out.append((md_block(ctx["printed"]) if ctx["printed"] else "Nothing.") + "\n")
    out.append("## Regrade with the same data\n")
    out.append(f"The test data were drawn with seed **{ctx['seed']}**. From the kit's folder:\n")
    out.append(md_block(ctx["regrade"], "sh") + "\n")
    return "\n".join(out)
