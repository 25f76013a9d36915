"""Reports drawn from gradings' results: per-student feedback pages and the class report.

Beside the front doors, and like them outside the engine (the engine never
imports this package): everything here reads results dicts — results.json,
Gradescope's schema plus the kit's ``"autograder"`` block of fields
(:mod:`autograder.results`) — and the plain arrays a grading kept for its
pictures (:attr:`autograder.results.Grading.artifacts`, the student's values
beside the reference's). Fields, never sentences: why a grading could not
complete is a key of the engine's one table (``autograder.results.REASONS``),
and so are the seed, the assignment and the named mistakes. No student code
runs here and none is imported, nor the reference; every student-derived
string is cleaned (:func:`autograder.text.clean`) and HTML-escaped (Jinja2
autoescape).

From the command line (what ``grade-all --feedback OUT`` runs, in a process of its own)
------------------------------------------------------------------------------------------

``python -m reports RESULTS_DIR OUT [--assignment A]`` draws every page from a
results folder (``grade-all --results-dir``: ``<stem>.json`` and ``<stem>.npz``
per student, ``.grade-all/class.json`` naming the class; or any folder of
results.json files, each named after its student), for a class graded earlier
or on another machine. It prints the class summary; exit 2 when the folder
holds no results (:mod:`reports.__main__`).

The API
-------

``reports.feedback.write(student, results, dest, *, artifacts=None, seed=None, assignment=None, page=None)``
    → ``(html_path, md_path)``: ``dest/<page>.html`` (self-contained: inline
    CSS, pictures as ``data:`` URIs, no script, no network, a
    Content-Security-Policy that forbids every fetch) and ``dest/<page>.md``,
    ``<page>`` being :func:`page_name` of ``student`` (the name itself when it
    is a plain file name, else a sanitised name and a short hash; never
    ``class``). They show the total, every test with its points and message,
    the likely mistakes the tests named, the pictures (a reason where one
    cannot be drawn), what the code printed, the seed and the command that
    regrades with the same data. ``artifacts=None``: no pictures, and the page
    says the arrays were not kept. ``seed``/``assignment`` default to the
    results' fields.

``reports.classreport.write(assignment, results_by_student, dest, *, timings=None, pages=None, similar=None)``
    → ``(html_path, summary_text)``: ``dest/class.html`` and the text printed
    at the end of ``grade-all``: count, mean, median, a histogram of the
    totals, the pass rate of each test, **the named mistakes ranked by how
    many students made them** (with the students; root causes only), the
    gradings that could not complete (under their reasons' headings) and the
    zeros with their reasons, the pairs of similar submissions (``similar``, a
    :class:`reports.similarity.Comparison`), the slowest submissions (``timings``
    {student: seconds}, default each results' timing). Students with a page
    in ``dest`` are linked.

``reports.similarity.compare(assignment, texts, *, threshold=40, min_lines=8)``
    → a :class:`~reports.similarity.Comparison` of every pair of modules
    ``texts`` ({student: text}), the stub and the reference removed first;
    ``reports.similarity.write_pages(comparison, dest, assignment=..., pages=...)``
    writes each listed pair's side-by-side page (``similar_<hash>.html``).
    Evidence for a person to read: see :mod:`reports.similarity`.

``reports.write_all(assignment, results_by_student, dest, *, artifacts_by_student=None, seed=None, timings=None, pages=None, similar=None)``
    → ``summary_text``: every feedback page, the pairs' side-by-side pages, then the class report.
"""
from __future__ import annotations

from . import classreport, feedback, parse, similarity  # noqa: F401
from .feedback import page_name  # noqa: F401

__all__ = ["feedback", "classreport", "parse", "similarity", "page_name", "write_all"]


def write_all(assignment, results_by_student, dest, *, artifacts_by_student=None, seed=None, timings=None,
              pages=None, similar=None, late=None, rule=""):
    """Every student's feedback pages, the similar pairs' pages and the class report in ``dest``;
    returns the text summary.

    ``pages`` maps students to their pages' file stems (default :func:`page_name` of each);
    ``similar`` is a :class:`reports.similarity.Comparison` (None: nothing was compared);
    ``late`` {student: row} and ``rule``: the late policy ``python -m gradebook`` applied (its
    ``late.json``), which every page and the class report state.
    """
    for student, results in results_by_student.items():
        feedback.write(student, results, dest, artifacts=(artifacts_by_student or {}).get(student)
                       if artifacts_by_student is not None else None, seed=seed, assignment=assignment,
                       page=(pages or {}).get(student), late=(late or {}).get(student), rule=rule)
    if similar is not None:
        similarity.write_pages(similar, dest, assignment=assignment,
                               pages={s: (pages or {}).get(s) or page_name(s) for s in results_by_student})
    _, summary = classreport.write(assignment, results_by_student, dest, timings=timings, pages=pages,
                                   similar=similar, late=late, rule=rule)
    return summary
