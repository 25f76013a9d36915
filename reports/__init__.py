"""Reports drawn from gradings' results: per-student feedback pages and the class report.

Beside the front doors, and like them outside the engine: everything here
reads results dicts (the Gradescope ``results.json`` schema that
:meth:`autograder.engine.Report.to_gradescope` returns, plus an optional
``"reason"``) and the plain arrays a grading kept for its pictures
(:attr:`autograder.engine.Report.artifacts`). No student code runs here and
none is imported; every student-derived string is cleaned
(:func:`autograder.text.clean`) and HTML-escaped (Jinja2 autoescape).

The API ``grade-all --feedback DIR`` calls
------------------------------------------

``reports.feedback.write(student, results, dest, *, artifacts=None, seed=None, assignment=None)``
    → ``(html_path, md_path)``: ``dest/<page>.html`` (self-contained: inline
    CSS, pictures as ``data:`` URIs, no script, no network, a
    Content-Security-Policy that forbids every fetch) and ``dest/<page>.md``,
    ``<page>`` being :func:`page_name` of ``student`` (the name itself when it
    is a plain file name, else a sanitised name and a short hash; never
    ``class``). They show the total, every test with its points and message,
    the likely mistakes the tests named, the pictures (a reason where one
    cannot be drawn), what the code printed, the seed and the command that
    regrades with the same data. ``artifacts=None``: no pictures, and the page
    says the arrays were not kept. ``seed``/``assignment`` default to what the
    results' output says.

``reports.classreport.write(assignment, results_by_student, dest, *, timings=None)``
    → ``(html_path, summary_text)``: ``dest/class.html`` and the text printed
    at the end of ``grade-all``: count, mean, median, a histogram of the
    totals, the pass rate of each test, **the named mistakes ranked by how
    many students made them** (with the students), the gradings that could
    not complete and the zeros with their reasons, the slowest submissions
    (``timings`` {student: seconds}, default each results'
    ``execution_time``). Students with a page in ``dest`` are linked.

``reports.write_all(assignment, results_by_student, dest, *, artifacts_by_student=None, seed=None, timings=None)``
    → ``summary_text``: every feedback page, then the class report.

``results["reason"]`` (set by ``grade-all``) or ``results["autograder"]["reason"]``
(written by the engine in results.json): why the grading could not complete,
in words starting with its kind — "missing module", "syntax error",
"forbidden import", "import timeout", "time budget used up", "grader
failure" …; "" when it completed. The reason is read from these fields only,
never from the tests' messages or what the code printed, which a submission
controls (:func:`reports.parse.reason`).

Artifacts are picklable (NumPy arrays, floats, strings): a pool or Dask
worker returns them beside ``to_gradescope()``. To keep them for a resumed
run: ``reports.artifacts.save(path, report.artifacts)`` / ``reports.artifacts.load(path)``.
"""
from __future__ import annotations

from . import artifacts, classreport, feedback, parse  # noqa: F401
from .feedback import page_name  # noqa: F401

__all__ = ["feedback", "classreport", "artifacts", "parse", "page_name", "write_all"]


def write_all(assignment, results_by_student, dest, *, artifacts_by_student=None, seed=None, timings=None):
    """Every student's feedback pages and the class report in ``dest``; returns the text summary."""
    for student, results in results_by_student.items():
        feedback.write(student, results, dest, artifacts=(artifacts_by_student or {}).get(student)
                       if artifacts_by_student is not None else None, seed=seed, assignment=assignment)
    _, summary = classreport.write(assignment, results_by_student, dest, timings=timings)
    return summary
