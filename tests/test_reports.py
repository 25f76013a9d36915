"""The reports: feedback pages and the class report (reports/), and the artifacts behind the pictures.

Most tests build small results through the engine's own writer
(:class:`autograder.results.Grading`, what every grading writes); one grades
a real submission to follow the arrays from a hidden test to the picture.
The pages are checked as rendered HTML: in a real headless Chromium
(Debian's package) when one is installed, and always with the standard
library's HTML parser; each test says which ran.
"""
import ast
import base64
import json
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import numpy as np
import pytest

import reports
from autograder import batch, catalog, engine, results
from autograder.paths import ROOT
from autograder.results import REASONS, Grading, Mistake, named_mistakes
from reports import classreport, feedback, figures, parse
from samples.submissions import apply, catalogue, write
from tests.helpers import Page, check_inert, chromium, needs_chromium

HOSTILE_NAME = "<script>alert('name')</script>&amp;\x1b[2J"
HOSTILE_PRINT = ("<script>alert('printed')</script><img src=http://127.0.0.1:9/p.png onerror=alert(1)>\n"
                 "\x1b[31mred\x1b[0m \u202eevil\r")


def grading_for(assignment="mle", *, fail=None, output_extra="", seed=1234, reason="", time=1.0, kinds=None):
    """A :class:`Grading` with every test of ``assignment`` passed but those in ``fail`` {function: message}.

    A failed test names the mistakes its message names, as the engine records a hidden test's
    check (:func:`autograder.results.named_mistakes`); ``kinds`` {function: how the code failed it};
    ``reason`` a key of :data:`autograder.results.REASONS`.
    """
    fail, kinds = fail or {}, kinds or {}
    grading = Grading(assignment, "submission", seed, execution_time=time, reason=reason)
    for part in catalog.parts(assignment):
        for t in part.tests:
            message = fail.get(t.function)
            grading.tests.append(results.TestResult(
                t.function, t.result_name, t.points, "visible", score=0.0 if message is not None else t.points,
                output=message or "", function=t.function, failure=kinds.get(t.function, ""),
                mistakes=[Mistake(m) for m in named_mistakes(message or "")]))
    grading.output = (f"{assignment}: {grading.score:g} / {grading.max_score:g} points.\nData for this run were drawn "
                      f"with seed {seed} (regrade: python -m autograder grade {assignment} SUBMISSION --seed {seed})."
                      + output_extra)
    return grading


def results_for(assignment="mle", **kwargs):
    """The results.json dict of :func:`grading_for`, as the engine writes it."""
    return grading_for(assignment, **kwargs).to_gradescope()


VARIANCE = ("gaussian_mle(x)[1] (the variance) with n=2: expected 0.48, got 0.96 (tolerance: relative 1e-06)\n"
            "Likely mistake: variance divided by n−1; the MLE divides by n")
STUB = "{} is not implemented yet (it raises NotImplementedError)"


def stubbed(fail, **kwargs):
    """A stub's results as the engine writes them: every failed test failed with ``not_implemented``."""
    return results_for(fail=fail, kinds=dict.fromkeys(fail, "not_implemented"), **kwargs)


# ---------------------------------------------------------------------------- names and parsing


def test_page_names_are_file_names_and_never_collide():
    assert feedback.page_name("alice_01") == "alice_01"
    assert feedback.page_name("a.b@uni.edu") == "a.b@uni.edu"
    odd = ["class", "Class", "../etc", "..", "a b", "a/b", "a\\b", HOSTILE_NAME, "é", "-rf", ".hidden", "x."]
    stems = [feedback.page_name(n) for n in odd]
    for stem in stems:
        assert re.fullmatch(r"[A-Za-z0-9][\w.@+-]*", stem) and stem.lower() != "class" and ".." not in stem, stem
    assert len(set(stems)) == len(stems)
    assert feedback.page_name("a b") != feedback.page_name("a_b")


def every_test(message):
    return {t.function: message for p in catalog.parts("mle") for t in p.tests}


def test_every_reason_the_engine_can_give_lands_under_its_own_heading(tmp_path):
    """Each key of the engine's one table (generated, not copied) goes through the engine's writer,
    parse and the class report, and is filed under its own heading (one heading per key)."""
    from autograder.sandbox import StudentCodeError

    kinds = re.findall(r"\w+", StudentCodeError.__doc__.split("one of:", 1)[1].split(".")[0])
    assert "syntax" in kinds and "crash" in kinds  # the kinds an import can fail with, as documented
    produced = {results.import_failure_reason(k) for k in kinds} | {"missing", "refused", results.BUDGET,
                                                                   results.GRADER_FAILURE}
    assert produced <= set(REASONS), produced - set(REASONS)
    headings = [r.heading for r in REASONS.values()]
    assert len(set(headings)) == len(headings) and parse.OTHER_HEADING not in headings
    cls = {f"s_{key}": results_for(fail=every_test("your module could not be imported: …"), reason=key)
           for key in REASONS}
    cls["s_ok"] = results_for()
    for key in REASONS:
        assert parse.reason(cls[f"s_{key}"]) == (key, REASONS[key].heading, REASONS[key].text), key
    summary = classreport.analyse("mle", cls)
    assert {student: label for student, label, _ in summary.incomplete} == \
        {f"s_{key}": REASONS[key].heading for key in REASONS}
    html_path, text = classreport.write("mle", cls, tmp_path)
    page = html_path.read_text()
    rows = {student: unescape(label) for student, label in
            re.findall(r'<tr><td><span class="name">(s_\w+)</span></td><td><b>([^<]*)</b>', page)}
    assert rows == {f"s_{key}": REASONS[key].heading for key in REASONS}
    line = next(ln for ln in text.splitlines() if "could not complete:" in ln)
    assert f"could not complete: {len(REASONS)} (" in line
    assert all(f"{r.heading} 1" in line for r in REASONS.values()), line


def test_reasons_are_read_from_the_engines_field_never_from_output_text(tmp_path):
    # results of an older kit: the reason as a phrase, no key — "other", labelled so, never a crash
    for old in ({"score": 0, "tests": [], "output": "", "autograder": {"reason": "syntax error"}},
                {"score": 0, "tests": [], "output": "", "reason": "import error"},  # an older grade-all's
                {"score": 0, "tests": [], "output": "", "autograder": {"reason_key": "from_the_future"}}):
        key, label, detail = parse.reason(old)
        assert key == "other" and label == parse.OTHER_HEADING and detail, old
        html_path, _ = feedback.write("old", old, tmp_path, assignment="mle")
        assert parse.OTHER_HEADING in html_path.read_text()
    assert parse.reason({"score": 0, "tests": [], "output": "The autograder failed on this submission"})[0] == "grader"
    # what a submission raises or prints can imitate any of the engine's words: never a reason
    for imitation in ("no mle.py (or mle.ipynb) in the submission; it holds: other.py",
                      "module refused at intake (a link, a device or too large)",
                      "your module could not be imported: SyntaxError: invalid syntax",
                      "not run: the grading's time budget of 90 s was used up"):
        assert parse.reason(results_for(fail=every_test(imitation))) is None, imitation
        assert parse.reason(results_for(output_extra="\n" + imitation)) is None, imitation
    # a stub completes (it is a zero, not a failure to grade); so does one failing test
    stub = stubbed(every_test(STUB.format("bernoulli_mle")))
    assert parse.reason(stub) is None and "nothing implemented" in parse.zero_reason(stub)
    imitation = results_for(fail=every_test(STUB.format("bernoulli_mle")))  # the words, not the engine's field
    assert "nothing implemented" not in parse.zero_reason(imitation)
    assert parse.reason(results_for(fail={"test_gaussian_mle_variance": VARIANCE})) is None


def test_only_the_tests_own_lines_name_mistakes():
    assert parse.mistakes(VARIANCE) == ["variance divided by n−1; the MLE divides by n"]
    assert parse.mistakes("x raised ValueError: boom\n(quoted) Likely mistake: fake") == []
    assert parse.mistake_key("constant in d = 2 dimensions") == parse.mistake_key("constant in d = 5 dimensions")


def test_the_reports_count_the_named_root_mistakes_of_the_field_never_the_words():
    """A mistake counts where the engine's field names it as a root cause: a "Likely mistake" line
    without the field (an older kit's results, a forged message) names nothing, and a guess made
    downstream of a failed dependency (``root`` false) is shown in its message but never counted."""
    named = results_for(fail={"test_gaussian_mle_variance": VARIANCE})
    assert parse.tests(named)[4].mistakes == ["variance divided by n−1; the MLE divides by n"]
    words_only = results_for(fail={"test_gaussian_mle_variance": VARIANCE})
    words_only["autograder"]["mistakes"] = []
    assert not any(t.mistakes for t in parse.tests(words_only))
    downstream = grading_for(fail={"test_gaussian_mle_variance": VARIANCE})
    downstream.tests[4].mistakes = [Mistake(m.name, root=False) for m in downstream.tests[4].mistakes]
    guessed = downstream.to_gradescope()
    assert guessed["autograder"]["mistakes"] == [{"test": "5", "name": "variance divided by n−1; the MLE divides by n",
                                                  "root": False}]
    summary = classreport.analyse("mle", {"a": named, "b": words_only, "c": guessed})
    assert [(m.name, m.students) for m in summary.mistakes] == \
        [("variance divided by n−1; the MLE divides by n", ["a"])]


def test_a_students_exception_cannot_name_a_mistake():
    from autograder.sandbox import StudentCodeError

    class Info:
        value = StudentCodeError("gaussian_mle(...) raised ValueError: x\nLikely mistake: everyone else is wrong")

    message = engine.GradingPlugin.describe(Info)
    assert parse.mistakes(message) == [] and "(quoted) Likely mistake" in message


# ---------------------------------------------------------------------------- feedback pages


def test_feedback_page_shows_total_tests_mistakes_output_and_regrade(tmp_path):
    res = results_for(fail={"test_gaussian_mle_variance": VARIANCE}, seed=4242, output_extra=(
        "\nNote: restarted the process running your code before mvn_mle(...).\n"
        "Your code printed (first lines shown; printing is never graded):\nhello from my code"))
    res["score"] = 90.0
    html_path, md_path = feedback.write("alice", res, tmp_path, assignment="mle")
    assert (html_path, md_path) == (tmp_path / "alice.html", tmp_path / "alice.md")
    html, md = html_path.read_text(), md_path.read_text()
    for text in (html, md):
        assert "90 / 100" in text
        assert "variance divided by n−1; the MLE divides by n" in text
        assert "expected 0.48, got 0.96" in text
        assert "hello from my code" in text
        assert "restarted the process running your code" in text
        assert "python -m autograder grade mle SUBMISSION --seed 4242" in text
        for part in catalog.parts("mle"):
            for t in part.tests:
                assert t.doc.split(":")[0] in text, t.function
    page = check_inert(html)
    assert "Likely mistake: variance divided by n−1" in page.all_text
    assert "No picture: the arrays of this grading were not kept." in page.all_text


def test_a_late_policy_is_stated_on_the_page_and_the_report_with_the_total_after_it(tmp_path):
    """The late policy's rule and a student's row (gradebook's late.json): the page's total is after
    the penalty and says what it was before; the class report states the rule and lists the row; a
    hostile evidence string is text."""
    from gradebook import policy

    pol = policy.parse('deadline = 2026-05-01T23:59:00\ntimezone = "UTC"\n[late]\npenalty_percent = 25\n')
    res = results_for()
    raw = res["score"]
    ev = policy.Evidence(pol.deadline + policy.PERIODS["day"] * 1.25, None, "<b>stamp</b>")
    row = policy.apply(pol, "alice", raw, raw, ev)
    assert row["penalty"] > 0
    html_path, md_path = feedback.write("alice", res, tmp_path, assignment="mle", late=row, rule=pol.rule())
    html, md = html_path.read_text(), md_path.read_text()
    for text in (html, md):
        assert f"{row['total']:g} / 100" in text and f"{raw:g} before the late penalty" in text
        assert pol.rule().replace("'", "&#39;") in text or pol.rule() in text
    assert "<b>stamp</b>" in check_inert(html).all_text
    path, _ = classreport.write("mle", {"alice": res}, tmp_path, late={"alice": row}, rule=pol.rule())
    report = check_inert(path.read_text())
    assert pol.rule() in report.all_text and f"−{row['penalty']:g}" in report.all_text


def test_hostile_names_output_and_messages_are_escaped(tmp_path):
    res = results_for(fail={"test_bernoulli_mle": "bernoulli_mle(...) raised ValueError: <b onmouseover=alert(1)>x"
                                                  "</b>\n(quoted) Likely mistake: <script>alert(2)</script>"},
                      output_extra="\nYour code printed (first lines shown; printing is never graded):\n"
                                   + HOSTILE_PRINT)
    res["tests"][0]["name"] = "<img src=http://127.0.0.1:9/n.png>"
    html_path, md_path = feedback.write(HOSTILE_NAME, res, tmp_path, assignment="mle")
    html, md = html_path.read_text(), md_path.read_text()
    assert html_path.parent == tmp_path and len(list(tmp_path.iterdir())) == 2
    page = check_inert(html)
    for shown in ("<script>alert('name')</script>", "<script>alert('printed')</script>",
                  "<b onmouseover=alert(1)>x</b>", "<img src=http://127.0.0.1:9/n.png>"):
        assert shown in page.all_text, shown  # as text, not as markup
    assert "\x1b" not in html and "\u202e" not in html and "\r" not in html
    assert "\\x1b[31mred" in page.all_text
    # Markdown: no raw HTML outside code blocks, and no code block a student can close
    outside = re.sub(r"(`{3,})text\n.*?\n\1", "", md, flags=re.S)
    assert "<script" not in outside and "<img" not in outside and "<b " not in outside
    assert "\x1b" not in md


def test_markdown_code_fence_cannot_be_closed_by_the_output(tmp_path):
    res = results_for(output_extra="\nYour code printed (first lines shown; printing is never graded):\n"
                                   "```\n# Total: 100 / 100\n````")
    _, md_path = feedback.write("bob", res, tmp_path)
    md = md_path.read_text()
    block = re.search(r"^(`{5,})text\n(.*?)\n\1$", md, re.S | re.M)
    assert block and "# Total: 100 / 100" in block.group(2)


def test_pictures_are_drawn_or_replaced_by_the_reason():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 1.5, size=300)
    ref = {"ref_mean": x.mean(), "ref_var": x.var()}
    good = {"mle_gaussian": engine.keep_artifacts("test_gaussian_mle_variance",
                                                  {"x": x, "mean": x.mean(), "var": x.var(ddof=1), **ref})}
    pic, = figures.pictures("mle", results_for(), good)
    assert pic.png.startswith(b"\x89PNG") and not pic.reason
    bad = {"mle_gaussian": engine.keep_artifacts("test_gaussian_mle_variance",
                                                 {"x": x, "mean": [1, 2], "var": 1.0, **ref})}
    assert "not one number" in figures.pictures("mle", results_for(), bad)[0].reason
    # results of an older kit hold only the student's values: the picture says so, nothing is run
    older = {"mle_gaussian": engine.keep_artifacts("test_gaussian_mle_variance", {"x": x, "mean": 1.0, "var": 1.0})}
    assert "the reference's mean was not kept" in figures.pictures("mle", results_for(), older)[0].reason
    failing = results_for(fail={"test_gaussian_mle_variance": "mle.py does not define 'gaussian_mle'"})
    pic, = figures.pictures("mle", failing, {})
    assert pic.png is None and "does not define 'gaussian_mle'" in pic.reason
    missing = results_for(fail={t.function: "no mle.py (or mle.ipynb) in the submission; it holds: nothing"
                                for p in catalog.parts("mle") for t in p.tests}, reason="missing")
    assert "did not complete (missing module)" in figures.pictures("mle", missing, {})[0].reason
    unread = {"gmm_fit": {"test": "test_old_faithful", "values": {}, "errors": {},
                          "reason": "GaussianMixtureEM has no attribute 'means_'"}}
    assert "has no attribute 'means_'" in figures.pictures("gmm", results_for("gmm"), unread)[0].reason


def test_every_assignments_picture_draws_from_plain_arrays():
    rng = np.random.default_rng(1)
    from datasets import load_old_faithful
    X = load_old_faithful()
    x = rng.normal(size=12)
    grid = np.linspace(-4, 4, 200)
    kept = {
        "kde": {"kde_curve": {"x": x, "grid": grid, "h": 0.4, "logpdf": np.full(200, -3.0),
                              "ref_logpdf": np.full(200, -2.0)}},
        "gmm": {"gmm_fit": {"X": X, "weights": [0.4, 0.6], "means": X[:2],
                            "covariances": np.stack([np.eye(2), np.diag([1.0, 30.0])]),
                            "ref_weights": [0.35, 0.65], "ref_means": X[2:4],
                            "ref_covariances": np.stack([np.eye(2), np.eye(2)])}},
        "bmm": {"bmm_fit": {"weights": np.full(6, 1 / 6), "probs": rng.uniform(size=(6, 784))},
                },
    }
    for a, entries in kept.items():
        arts = {k: engine.keep_artifacts("t", v) for k, v in entries.items()}
        pic, = figures.pictures(a, results_for(a), arts)
        assert pic.png and pic.png.startswith(b"\x89PNG"), (a, pic.reason)


def test_keep_artifacts_keeps_numbers_only_and_never_raises():
    from autograder.sandbox import StudentCodeError

    def broken():
        raise StudentCodeError("BernoulliMixture.sample is not implemented yet", "not_implemented")

    kept = engine.keep_artifacts("t", {"a": [1, 2, 3], "b": 2, "c": "text\x1b", "d": broken, "e": object(),
                                       "f": lambda: np.ones((2, 2)), "g": [[1], [2, 3]]})
    assert kept["values"]["a"].dtype == float and kept["values"]["b"] == 2.0 and kept["values"]["c"] == "text\\x1b"
    assert kept["values"]["f"].shape == (2, 2)
    assert set(kept["errors"]) == {"d", "e", "g"} and "not implemented" in kept["errors"]["d"]
    assert "not read" in engine.keep_artifacts("t", broken, call=False)["reason"]
    assert "too large" in engine.keep_artifacts("t", {"big": np.zeros(engine.MAX_ARTIFACT_ELEMENTS + 1)})["errors"]["big"]


def test_artifacts_survive_a_file(tmp_path):
    kept = {"gmm_fit": engine.keep_artifacts("test_old_faithful", {"X": np.eye(3), "h": 0.5, "why": "s"}),
            "bmm_fit": {"test": "x", "values": {}, "errors": {"samples": "boom"}, "reason": "r"}}
    back = results.load_artifacts(results.save_artifacts(tmp_path / "a.npz", kept))
    assert np.array_equal(back["gmm_fit"]["values"]["X"], np.eye(3)) and back["gmm_fit"]["values"]["h"] == 0.5
    assert back["bmm_fit"]["errors"] == {"samples": "boom"} and back["bmm_fit"]["reason"] == "r"
    assert results.load_artifacts(tmp_path / "missing.npz") == {}
    # read back bounded, as kept: an oversized array in a damaged or foreign file is left out
    big = {"x": {"test": "t", "values": {"a": np.zeros(results.MAX_ARTIFACT_ELEMENTS + 1)}, "errors": {}}}
    back = results.load_artifacts(results.save_artifacts(tmp_path / "big.npz", big))
    assert back["x"]["values"] == {} and "not read" in back["x"]["errors"]["a"]


# ---------------------------------------------------------------------------- the class report


def small_class():
    every = {t.function for p in catalog.parts("mle") for t in p.tests}
    return {
        "s01_ok": results_for(time=2.0),
        "s02_var": results_for(fail={"test_gaussian_mle_variance": VARIANCE}, time=3.0),
        "s03_var": results_for(fail={"test_gaussian_mle_variance": VARIANCE.replace("n=2", "n=15"),
                                     "test_mvn_mle": "mvn_mle(X)[1]: ...\nLikely mistake: covariance divided by "
                                                     "n−1; the MLE divides by n"}, time=9.5),
        "s04_missing": results_for(fail=dict.fromkeys(every, "no mle.py (or mle.ipynb) in the submission; "
                                                            "it holds: notes.txt"), reason="missing", time=0.5),
        "s05_syntax": results_for(fail=dict.fromkeys(every, "your module could not be imported: SyntaxError: "
                                                           "invalid syntax (mle.py, line 3)"), reason="syntax",
                                 time=1.0),
        "s06_budget": results_for(fail={"test_mvn_logpdf": "not run: the time budget was used up"},
                                  reason="time_budget", time=120.0),
        "s07_stub": stubbed({f: STUB.format(f[5:]) for f in every}, time=1.5),
        HOSTILE_NAME: results_for(fail={"test_gaussian_mle_variance": VARIANCE}, time=0.2),
    }


def test_class_summary_ranks_the_mistakes_and_names_the_reasons(tmp_path):
    cls = small_class()
    for s, r in cls.items():  # totals as the engine computes them
        r["score"] = sum(t["score"] for t in r["tests"])
    html_path, summary = classreport.write("mle", cls, tmp_path)
    assert html_path == tmp_path / "class.html"
    assert "Class report — mle: 8 graded" in summary
    totals = sorted(r["score"] for r in cls.values())
    assert f"median {np.median(totals):.1f}" in summary and f"mean {np.mean(totals):.1f}" in summary
    lines = summary.splitlines()
    first = lines.index("  mistakes the grader named, by how many students made them:")
    assert lines[first + 1].startswith("    variance divided by n−1; the MLE divides by n: 3 of 8 students (")
    assert lines[first + 2].startswith("    covariance divided by n−1; the MLE divides by n: 1 of 8 students (s03_var)")
    assert "could not complete: 3" in summary
    for label in ("missing module", "syntax error", "time budget used up"):
        assert label in summary
    assert "s07_stub: nothing implemented" in summary
    assert summary.index("s06_budget 120.0 s") < summary.index("s03_var 9.5 s")
    assert "\x1b" not in summary  # names are cleaned for the terminal
    hist = [ln for ln in lines if re.match(r"\s+\d+–\d+ ", ln)]
    assert len(hist) == 10 and sum(int(ln.split()[-1]) for ln in hist) == 8
    page = check_inert(html_path.read_text())
    text = page.all_text
    assert "variance divided by n−1; the MLE divides by n" in text and "3 of 8" in text
    assert "<script>alert('name')</script>" in text  # escaped: shown as text
    for label in ("missing module", "syntax error", "time budget used up"):
        assert label in text


def test_class_report_links_the_pages_written_beside_it(tmp_path):
    cls = small_class()
    summary = reports.write_all("mle", cls, tmp_path)
    assert "report: " in summary
    page = check_inert((tmp_path / "class.html").read_text())
    assert set(page.links) == {f"{feedback.page_name(s)}.html" for s in cls}
    assert {p.name for p in tmp_path.glob("*.html")} == {f"{feedback.page_name(s)}.html" for s in cls} | {"class.html"}


def test_class_report_of_an_empty_class(tmp_path):
    path, summary = classreport.write("mle", {}, tmp_path)
    assert path.exists() and "0 graded" in summary


# ---------------------------------------------------------------------------- a real grading, end to end


@pytest.fixture(scope="module")
def graded_mistake(tmp_path_factory):
    """One real grading of the sample class's 'variance divided by n−1' submission."""
    bug = next(b for b in catalogue("mle") if b.test == "test_gaussian_mle_variance" and "n−1" in b.says)
    folder = write(tmp_path_factory.mktemp("sub") / "s1", "mle", apply("mle", bug))
    return engine.grade("mle", folder, seed=20261201)


def test_a_real_grading_keeps_plain_arrays_for_the_picture(graded_mistake, tmp_path):
    grading = graded_mistake
    kept = grading.artifacts["mle_gaussian"]
    assert kept["test"] == "test_gaussian_mle_variance" and not kept["errors"]
    assert isinstance(kept["values"]["x"], np.ndarray) and isinstance(kept["values"]["var"], float)
    written = grading.to_gradescope()
    assert "artifacts" not in json.dumps(written)  # never in results.json
    fields = written["autograder"]
    assert (fields["assignment"], fields["seed"], fields["reason"], fields["reason_key"]) == ("mle", 20261201, "", "")
    number = next(n for n, fn in fields["functions"].items() if fn == "test_gaussian_mle_variance")
    assert {"test": number, "name": "variance divided by n−1; the MLE divides by n", "root": True} in fields["mistakes"]
    assert set(fields["timings"]["tests"]) == {t["number"] for t in written["tests"]}
    assert fields["timings"]["budget"] == engine.TIME_BUDGET["mle"] and fields["timings"]["total"] > 0
    html_path, _ = feedback.write("s1", written, tmp_path, artifacts=grading.artifacts)
    page = check_inert(html_path.read_text())
    assert "img" in page.tags and "Likely mistake: variance divided by n−1" in page.all_text
    png = base64.b64decode(page.urls[0].split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    # the picture shows the student's variance (n−1) beside the reference's (n), both kept by the test
    x = kept["values"]["x"]
    assert kept["values"]["var"] == pytest.approx(x.var(ddof=1))
    assert kept["values"]["ref_var"] == pytest.approx(x.var()) and kept["values"]["ref_mean"] == pytest.approx(x.mean())


def run_reports(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "reports", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)


def test_python_m_reports_draws_the_pages_from_a_results_folder(graded_mistake, tmp_path):
    """A results folder as grade-all keeps it (or copied from another machine) is all the pages need:
    the results' fields and the pictures' arrays kept beside them; nothing is graded or run again."""
    folder = tmp_path / "results"
    store = batch.Store(folder)
    students = [batch.Student("s1"), batch.Student("a b"), batch.Student("missing one")]
    store.save(students[0], "k", graded_mistake.to_gradescope(), artifacts=graded_mistake.artifacts)
    store.save(students[1], "k", results_for(fail={"test_gaussian_mle_variance": VARIANCE}, seed=20261201),
               artifacts={})
    store.save(students[2], "k", results_for(fail=every_test("no mle.py"), reason="missing", seed=20261201),
               artifacts=None)
    store.save_class("mle", 20261201, students)
    assert (folder / "s1.json").is_file() and (folder / "s1.npz").is_file()
    assert not (folder / f"{students[2].stem}.npz").exists()  # no arrays kept: none written
    proc = run_reports(folder, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    stems = {s.name: s.stem for s in students}
    assert {p.name for p in out.glob("*.html")} == {f"{stem}.html" for stem in stems.values()} | {"class.html"}
    page = check_inert((out / "s1.html").read_text())
    assert "img" in page.tags and "Likely mistake: variance divided by n−1" in page.all_text
    assert "Class report — mle: 3 graded" in proc.stdout and "missing module" in proc.stdout
    assert "a b" in check_inert((out / f"{stems['a b']}.html").read_text()).all_text  # the name, not its stem
    report = check_inert((out / "class.html").read_text())
    assert set(report.links) == {f"{stem}.html" for stem in stems.values()} and "seed 20261201" in report.all_text
    # a folder of plain results.json files (grade --results): each student named after the file
    plain = tmp_path / "plain"
    plain.mkdir()
    graded_mistake.write(plain / "ada.json")
    proc = run_reports(plain, tmp_path / "out2")
    assert proc.returncode == 0, proc.stderr
    assert "Class report — mle: 1 graded" in proc.stdout and (tmp_path / "out2" / "ada.html").is_file()
    # nothing to draw: exit 2 and say why
    (tmp_path / "empty").mkdir()
    proc = run_reports(tmp_path / "empty", tmp_path / "out3")
    assert proc.returncode == 2 and "no results" in proc.stderr
    proc = run_reports(tmp_path / "nowhere", tmp_path / "out3")
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def _imported_modules(source):
    """Every module an ``import`` or ``from … import`` in ``source`` names (an autograder/ module's:
    relative ones resolved), wherever it stands."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "autograder" if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.add(module)
            names.update(f"{module}.{a.name}" for a in node.names)
    return names


def test_the_engine_never_imports_reports():
    """No module of autograder/ imports reports (read with ast, wherever the import is: top level,
    in a function, in a try); and importing the command line loads neither reports nor Matplotlib."""
    def of_reports(source):
        return sorted(n for n in _imported_modules(source) if n == "reports" or n.startswith("reports."))

    hidden = "def f():\n    from reports import artifacts\ntry:\n    import reports.parse as p\nexcept ImportError:\n    pass\n"
    assert of_reports(hidden) == ["reports", "reports.artifacts", "reports.parse"]  # the reader finds them
    assert of_reports("from .results import REASONS\nimport report_tools\n") == []
    modules = sorted((ROOT / "autograder").glob("*.py"))
    assert len(modules) > 10
    offenders = {p.name: of_reports(p.read_text(encoding="utf-8")) for p in modules}
    assert not {k: v for k, v in offenders.items() if v}, offenders
    check = ("import sys, autograder.cli; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('reports', 'matplotlib')))")
    proc = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


# ---------------------------------------------------------------------------- in a real browser

BROWSER_HOSTS = re.compile(r"^https?://([\w-]+\.)*(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)[/:]")


def page_requests(netlog):
    """URLs the page asked for (the browser's own service calls left out)."""
    urls = set(re.findall(r'"url":"([^"]+)"', Path(netlog).read_text(errors="replace")))
    return {u for u in urls if not u.startswith(("file:", "data:")) and not BROWSER_HOSTS.match(u)}


@needs_chromium
def test_pages_in_headless_chromium_run_nothing_and_fetch_nothing(tmp_path, graded_mistake):
    """Checked in a real browser (Debian's Chromium, headless): the DOM it built and its network log."""
    res = results_for(fail={"test_bernoulli_mle": "raised ValueError: <img src=http://127.0.0.1:9/m.png "
                                                  "onerror=alert(1)>"},
                      output_extra="\nYour code printed (first lines shown; printing is never graded):\n"
                                   + HOSTILE_PRINT)
    pages = [feedback.write(HOSTILE_NAME, res, tmp_path / "out", assignment="mle")[0],
             feedback.write("s1", graded_mistake.to_gradescope(), tmp_path / "out",
                            artifacts=graded_mistake.artifacts)[0],
             classreport.write("mle", {HOSTILE_NAME: res, "s1": graded_mistake.to_gradescope()}, tmp_path / "out")[0]]
    # the detector works: a page that does fetch is caught
    control = tmp_path / "control.html"
    control.write_text('<img src="http://127.0.0.1:9/control.png">')
    chromium([f"--log-net-log={tmp_path / 'control.json'}", "--dump-dom", control.as_uri()], tmp_path)
    assert any("127.0.0.1:9/control.png" in u for u in page_requests(tmp_path / "control.json"))
    for i, path in enumerate(pages):
        netlog = tmp_path / f"net{i}.json"
        proc = chromium([f"--log-net-log={netlog}", "--dump-dom", path.as_uri()], tmp_path)
        assert proc.returncode == 0, proc.stderr[-2000:]
        dom = Page(proc.stdout)
        assert "script" not in dom.tags and not dom.handlers, path.name
        assert not page_requests(netlog), (path.name, page_requests(netlog))
        if i == 0:
            assert "<script>alert('printed')</script>" in dom.all_text
            assert "<script>alert('name')</script>" in dom.all_text
        if i == 1:
            assert dom.tags.count("img") == 1 and "Likely mistake: variance divided by n−1" in dom.all_text
    shot = tmp_path / "shot.png"
    chromium([f"--screenshot={shot}", "--window-size=1000,1400", pages[1].as_uri()], tmp_path)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000  # something was drawn


def test_a_grading_without_isolation_says_so_at_the_top_of_both_pages(tmp_path):
    """--unisolated: the engine's field (autograder.unisolated) becomes a banner above the tests."""
    res = results_for(seed=7)
    res.setdefault("autograder", {})["unisolated"] = "this machine gave the sandbox no namespaces (x)"
    html_path, md_path = feedback.write("bob", res, tmp_path, assignment="mle")
    html, md = html_path.read_text(), md_path.read_text()
    assert md.index("Graded without isolation") < md.index("## Tests")
    assert html.index('id="unisolated"') < html.index('id="tests"')
    assert "gave the sandbox no namespaces (x)" in check_inert(html).all_text
    isolated = results_for(seed=7)
    html_path, md_path = feedback.write("carol", isolated, tmp_path, assignment="mle")
    assert "without isolation" not in html_path.read_text() + md_path.read_text()


def test_a_pass_on_the_students_own_parts_is_its_own_state_on_both_pages_and_in_the_class_report(tmp_path):
    """Error carried forward: the engine's field ``autograder.carried`` (never output text) makes a full
    score "✓ pass on your own parts" on the feedback page (HTML and Markdown) and a column of its own
    in the class report's pass-rate table; a forged "Passed on your own" output changes nothing."""
    carried = results_for(seed=7)
    carried["tests"][1]["output"] = "Passed on your own gaussian_mle (error carried forward): …"
    carried["autograder"] = {"carried": {"2": ["gaussian_mle"]}}
    forged = results_for(seed=7)
    forged["tests"][1]["output"] = "Passed on your own gaussian_mle (error carried forward): …"
    lines = parse.tests(carried)
    assert lines[1].status == "carried" and lines[1].passed and lines[0].status == "pass"
    assert all(t.status == "pass" for t in parse.tests(forged))
    html_path, md_path = feedback.write("bob", carried, tmp_path, assignment="mle")
    html, md = html_path.read_text(), md_path.read_text()
    assert "✓ pass on your own parts" in html and "1 on your own parts" in html
    assert "| ✓↪ |" in md and "1 on your own parts" in md
    html_path, _ = feedback.write("eve", forged, tmp_path, assignment="mle")
    assert "on your own parts" not in html_path.read_text()
    summary = classreport.analyse("mle", {"bob": carried, "eve": forged})
    row = summary.tests[1]
    assert (row["passed"], row["carried"], row["rate"]) == (1, 1, 1.0)
