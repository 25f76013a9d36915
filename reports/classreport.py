"""The class report: ``DIR/class.html`` and a text summary for the terminal.

Count, mean and median of the totals and their histogram; per test the pass
rate; the mistakes the grader named, ranked by how many students made them,
with the students listed; the gradings that could not complete and the
zeros, with their reasons (each under the heading of its key in the engine's
table, :data:`autograder.results.REASONS`); the pairs of similar submissions
(:mod:`reports.similarity`, from the modules kept with the results); the
slowest submissions. Drawn from the results dicts' fields only (student names
and messages are cleaned, then escaped).
"""
from __future__ import annotations

import base64
import datetime as _dt
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder import files
from autograder.text import one_line

from . import figures, parse, similarity
from .feedback import late_context, page_name
from .templating import render

SLOWEST = 10


@dataclass
class Mistake:
    name: str  # the most frequent wording
    students: list = field(default_factory=list)
    tests: list = field(default_factory=list)
    wordings: dict = field(default_factory=dict)


@dataclass
class Summary:
    assignment: str
    count: int
    max_score: float
    totals: dict  # student -> total
    mean: float | None
    median: float | None
    bins: list  # (low, high, count)
    tests: list  # dicts: number, name, passed, carried, partial, count, rate, mean
    mistakes: list  # Mistake, most students first
    incomplete: list  # (student, label, detail)
    zeros: list  # (student, why) for completed gradings that earned 0
    slowest: list  # (student, seconds)
    seeds: list


def analyse(assignment, results_by_student, timings=None):
    """Everything the class report shows, as plain data (:class:`Summary`)."""
    students = sorted(results_by_student, key=str)
    totals = {s: parse.total(results_by_student[s]) for s in students}
    max_score = max((parse.max_total(r) for r in results_by_student.values()), default=0.0) or 100.0
    values = list(totals.values())
    mean = statistics.fmean(values) if values else None
    median = statistics.median(values) if values else None

    width = max_score / 10
    bins = []
    for i in range(10):
        low, high = i * width, (i + 1) * width
        last = i == 9
        bins.append((low, high, sum(1 for v in values if low <= v < high or (last and v >= high))))

    per_test, order = {}, []
    incomplete, zeros, mistakes, seeds = [], [], {}, set()
    for s in students:
        res = results_by_student[s]
        seed = parse.seed(res)
        if seed is not None:
            seeds.add(seed)
        why = parse.reason(res)
        if why is not None:
            incomplete.append((s, why[1], why[2]))
        elif totals[s] == 0:
            zeros.append((s, parse.zero_reason(res)))
        for t in parse.tests(res):
            if t.name not in per_test:
                per_test[t.name] = {"name": t.name, "max_score": t.max_score, "passed": 0, "carried": 0, "partial": 0,
                                    "count": 0, "points": 0.0}
                order.append(t.name)
            row = per_test[t.name]
            row["count"] += 1
            row["passed"] += t.passed and not t.carried
            row["carried"] += bool(t.passed and t.carried)
            row["partial"] += (0 < t.score < t.max_score)
            row["points"] += t.score
            for m in t.mistakes:
                key = parse.mistake_key(m)
                entry = mistakes.setdefault(key, Mistake(m))
                entry.wordings[m] = entry.wordings.get(m, 0) + 1
                if s not in entry.students:
                    entry.students.append(s)
                if t.name not in entry.tests:
                    entry.tests.append(t.name)
    tests = []
    for i, name in enumerate(order, 1):
        row = per_test[name]
        row["number"] = i
        row["rate"] = (row["passed"] + row["carried"]) / row["count"] if row["count"] else 0.0
        row["mean"] = row["points"] / row["count"] if row["count"] else 0.0
        tests.append(row)
    ranked = sorted(mistakes.values(), key=lambda m: (-len(m.students), m.name))
    for m in ranked:
        m.name = max(m.wordings, key=lambda w: (m.wordings[w], w))

    def seconds(s):
        if timings and s in timings:
            return parse.num(timings[s])
        return parse.timing(results_by_student[s])

    slowest = sorted(((s, seconds(s)) for s in students), key=lambda x: -x[1])[:SLOWEST]
    return Summary(one_line(assignment, limit=40), len(students), max_score, totals, mean, median, bins, tests,
                   ranked, incomplete, zeros, slowest, sorted(seeds))


def _g(x, digits=3):
    return "–" if x is None else f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:.0f}"


def histogram_png(summary):
    fig = figures._figure(6.4, 2.6, left=0.1, bottom=0.19, top=0.86)
    ax = fig.add_subplot()
    values = np.array(list(summary.totals.values()), dtype=float)
    edges = np.linspace(0, summary.max_score, 11)
    ax.hist(np.clip(values, 0, summary.max_score), bins=edges, color=figures.REF, edgecolor="white")
    ax.set_xlabel("total points")
    ax.set_ylabel("students")
    ax.set_xlim(0, summary.max_score)
    ax.yaxis.get_major_locator().set_params(integer=True)
    if summary.mean is not None:
        ax.axvline(summary.mean, color=figures.YOURS, lw=1.5, label=f"mean {summary.mean:.1f}")
        ax.axvline(summary.median, color="#333", lw=1.5, ls="--", label=f"median {summary.median:.1f}")
        fig.legend(fontsize=8, loc="upper center", ncols=2, frameon=False)
    return figures.to_png(fig)


def text_summary(summary, html_path=None, similar=None, width=40):
    """The summary printed at the end of ``grade-all`` (plain text; names cleaned)."""
    s = summary
    out = [f"Class report — {s.assignment}: {s.count} graded"]
    if not s.count:
        return "\n".join(out + ["  (no gradings)"])
    out.append(f"  mean {s.mean:.1f}, median {s.median:.1f}, min {min(s.totals.values()):g}, "
               f"max {max(s.totals.values()):g} (of {s.max_score:g})")
    top = max(c for _, _, c in s.bins) or 1
    out.append("  totals:")
    for low, high, count in s.bins:
        bar = "█" * round(width * count / top) if count else ""
        out.append(f"    {low:>5g}–{high:<5g} {bar} {count}")
    out.append("  pass rate per test (lowest first):")
    for t in sorted(s.tests, key=lambda t: (t["rate"], t["number"])):
        own = f" ({t['carried']} on their own parts)" if t.get("carried") else ""
        out.append(f"    T{t['number']:<3} {100 * t['rate']:5.1f} %  {one_line(t['name'], limit=90)}{own}")
    if s.mistakes:
        out.append("  mistakes the grader named, by how many students made them:")
        for m in s.mistakes[:15]:
            names = ", ".join(one_line(x, limit=40) for x in m.students[:5]) + (", …" if len(m.students) > 5 else "")
            out.append(f"    {m.name}: {len(m.students)} of {s.count} students ({names})")
        if len(s.mistakes) > 15:
            out.append(f"    … and {len(s.mistakes) - 15} more in the HTML report")
    else:
        out.append("  no mistake named by the grader")
    if s.incomplete:
        by = {}
        for _, label, _ in s.incomplete:
            by[label] = by.get(label, 0) + 1
        out.append(f"  could not complete: {len(s.incomplete)} (" +
                   ", ".join(f"{label} {n}" for label, n in sorted(by.items(), key=lambda x: -x[1])) + ")")
        for student, label, detail in s.incomplete[:10]:
            out.append(f"    {one_line(student, limit=40)}: {label}: {one_line(detail, limit=100)}")
    if s.zeros:
        out.append(f"  zeros (graded, every test failed): {len(s.zeros)}")
        for student, why in s.zeros[:10]:
            out.append(f"    {one_line(student, limit=40)}: {one_line(why, limit=100)}")
    if similar is not None:
        out.extend(similarity.summary_lines(similar))
    out.append("  slowest: " + ", ".join(f"{one_line(x, limit=40)} {t:.1f} s" for x, t in s.slowest[:5]))
    if html_path:
        out.append(f"  report: {html_path}")
    return "\n".join(out)


def similar_context(comparison, student):
    """The similarity section's data for the template (``comparison``: a
    :class:`reports.similarity.Comparison`, or None when no modules were given)."""
    c = comparison
    if c is None:
        c = similarity.Comparison(problem="no submitted code was given to compare (grade-all keeps each "
                                          "student's module in its --results-dir; python -m reports compares them)")
    return {
        "problem": c.problem or "", "threshold": f"{c.threshold:g}", "min_lines": c.min_lines,
        "settings": similarity.settings_text(), "compared": len(c.texts), "seconds": f"{c.seconds:.1f}",
        "pairs": [{"a": student(p.a), "b": student(p.b), "share_a": f"{100 * p.share_a:.0f}",
                   "share_b": f"{100 * p.share_b:.0f}", "lines": p.lines, "page": p.page} for p in c.pairs],
        "more": max(0, c.eligible - len(c.pairs)),
        "empty": [student(x) for x in c.empty],
        "identical": [[student(x) for x in group] for group in c.identical],
        "not_compared": [{**student(x), "why": why} for x, why in c.not_compared],
        "cut": [student(x) for x in c.cut], "max_chars": f"{similarity.MAX_CHARS:,}",
    }


def write(assignment, results_by_student, dest, *, timings=None, pages=None, similar=None, late=None,
          rule=""):
    """Write ``dest/class.html``; return ``(html_path, summary_text)``.

    ``results_by_student`` maps each student (folder name) to the results
    dict of their grading; ``timings`` maps students to wall-clock seconds
    (default: the results' timing, :func:`reports.parse.timing`).
    A student whose feedback page is in ``dest`` is linked to it: ``pages`` maps students to
    their pages' stems (default: :func:`~reports.feedback.page_name` of the name). ``similar``
    is the similarity section's :class:`reports.similarity.Comparison` (its pair pages written
    first, :func:`reports.similarity.write_pages`); None: the section says nothing was compared.
    ``late`` {student: row} and ``rule``: the late policy applied; the report states the rule and
    lists each student's submission time, lateness, penalty and the evidence of the time.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    s = analyse(assignment, results_by_student, timings)
    path = dest / "class.html"

    def student(name):
        page = f"{(pages or {}).get(name) or page_name(name)}.html"
        return {"name": one_line(name, limit=200), "href": page if (dest / page).exists() else ""}

    ctx = {
        "assignment": s.assignment, "count": s.count, "max_score": f"{s.max_score:g}",
        "mean": _g(s.mean), "median": _g(s.median),
        "min": _g(min(s.totals.values())) if s.count else "–", "max": _g(max(s.totals.values())) if s.count else "–",
        "histogram": "data:image/png;base64," + base64.b64encode(histogram_png(s)).decode("ascii") if s.count else "",
        "bins": [{"low": f"{lo:g}", "high": f"{hi:g}", "count": c} for lo, hi, c in s.bins],
        "tests": [{**t, "rate_pct": f"{100 * t['rate']:.0f}", "mean": f"{t['mean']:.2g}",
                   "max_score": f"{t['max_score']:g}"} for t in s.tests],
        "mistakes": [{"name": m.name, "n": len(m.students), "students": [student(x) for x in m.students],
                      "tests": m.tests, "others": sorted(w for w in m.wordings if w != m.name)}
                     for m in s.mistakes],
        "incomplete": [{**student(x), "label": label, "detail": detail} for x, label, detail in s.incomplete],
        "zeros": [{**student(x), "why": why} for x, why in s.zeros],
        "slowest": [{**student(x), "seconds": f"{t:.1f}"} for x, t in s.slowest],
        "students": [{**student(x), "total": f"{s.totals[x]:g}",
                      "reason": next((label for y, label, _ in s.incomplete if y == x), "")}
                     for x in sorted(s.totals, key=lambda x: (-s.totals[x], str(x)))],
        "seeds": ", ".join(map(str, s.seeds)) or "unknown",
        "similar": similar_context(similar, student),
        "late": {"rule": one_line(rule, limit=600),
                 "rows": [{**student(x), **late_context((late or {}).get(x), rule)}
                          for x in sorted(late or {}) if late_context((late or {}).get(x), rule)]} if rule else None,
        "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    files.write_atomic(path, render("class.html.j2", **ctx))
    return path, text_summary(s, path, similar)
