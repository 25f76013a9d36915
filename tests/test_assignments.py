"""Each assignment, end to end: reference → 100, stub → 0 (mistakes: tests/test_mistakes.py).

All submissions of one assignment — reference, stub and every catalogued
mistake — are graded in one `grade-all` run (the ``graded_class`` fixture,
shared with tests/test_mistakes.py), so the whole catalogue costs a few
gradings' time.
"""
import re
import subprocess
import sys

import pytest

from autograder import catalog
from tests.conftest import ROOT, hidden_tests
from samples.submissions import catalogue, correct_variants, graded_assignments

ASSIGNMENTS = graded_assignments()
#: The least number of typical mistakes each assignment's issue asks for.
MIN_BUGS = {"mle": 10, "kde": 8, "gmm": 10, "bmm": 8}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_sum_to_100_and_every_test_is_declared(assignment):
    tests = hidden_tests(assignment)
    missing = [name for name, (_, pts) in tests.items() if pts is None]
    assert not missing, f"hidden tests without @points: {missing}"
    assert sum(pts for _, pts in tests.values()) == 100


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_part_states_its_points_and_the_readme_table_is_true(assignment):
    for part in catalog.parts(assignment):
        assert part.heading.endswith(f"({part.points:g} points)"), f"{part.heading!r}: worth {part.points:g}"
    readme = (ROOT / "solutions" / assignment / "README.md").read_text(encoding="utf-8")
    assert catalog.points_table(assignment) in readme, f"paste `make points ASSIGNMENT={assignment}` into README"


def test_the_kit_readme_states_every_part_its_points_and_the_time_budget():
    from autograder.engine import TIME_BUDGET

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert catalog.parts_summary(TIME_BUDGET) in readme, "paste `make points` into README"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_scores_100(assignment, graded_class):
    results = graded_class(assignment)["reference"]
    lost = {t["name"]: t["output"] for t in results["tests"] if t["score"] < t["max_score"]}
    assert results["score"] == 100, lost
    assert sum(t["max_score"] for t in results["tests"]) == 100
    # the catalogue (read with ast, as the nbgrader cells read it) names the tests as the engine does
    assert sorted(t["name"] for t in results["tests"]) == sorted(
        t.result_name for part in catalog.parts(assignment) for t in part.tests)


VARIANTS = [(a, v) for a in ASSIGNMENTS for v in correct_variants(a)]


@pytest.mark.parametrize("assignment,variant", VARIANTS, ids=[f"{a}-{v.name}" for a, v in VARIANTS])
def test_a_correct_solution_written_another_way_scores_100(assignment, variant, graded_class):
    """No hidden requirement: limits (memory, time), containers and shapes a correct answer can
    take are stated or accepted (e.g. a plain n × n leave-one-out, [] for no samples)."""
    results = graded_class(assignment)[f"correct-{variant.name}"]
    lost = {t["name"]: t["output"] for t in results["tests"] if t["score"] < t["max_score"]}
    assert results["score"] == 100, lost


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stub_scores_0_and_says_not_implemented(assignment, graded_class):
    results = graded_class(assignment)["stub"]
    assert results["score"] == 0
    for t in results["tests"]:
        assert t["score"] == 0
        assert "not implemented yet" in t["output"], (t["name"], t["output"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_readme_states_the_gradings_time_budget(assignment):
    """Students are never surprised by a time limit: the engine's budget is the README's."""
    from autograder.engine import TIME_BUDGET

    text = (ROOT / "solutions" / assignment / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"whole grading\s+(\d+)\s*s\b", " ".join(text.split()))
    assert stated, f"solutions/{assignment}/README.md does not state the grading's time budget"
    assert int(stated.group(1)) == TIME_BUDGET[assignment]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_catalogue_is_large_enough(assignment):
    assert len(catalogue(assignment)) >= MIN_BUGS[assignment]
    assert sum(b.sample for b in catalogue(assignment)) >= 2, "two mistakes go into the sample class"


def _run_public(folder):
    report = folder / ".public-junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
         f"test_{folder.name}_public.py"], cwd=folder, capture_output=True, text=True, timeout=600)
    xml = report.read_text()
    report.unlink()
    cases = re.findall(r"<testcase .*?(?:/>|</testcase>)", xml, flags=re.S)
    failed = [c for c in cases if "<failure" in c or "<error" in c]
    return proc, cases, failed


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_public_tests_pass_on_the_reference(assignment):
    proc, cases, failed = _run_public(ROOT / "solutions" / assignment)
    assert cases and not failed, proc.stdout[-3000:]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_public_tests_all_fail_on_the_stub(assignment):
    proc, cases, failed = _run_public(ROOT / "assignments" / assignment)
    assert cases and len(failed) == len(cases), proc.stdout[-3000:]
    assert "is not written yet" in proc.stdout   # one line per unwritten function (conftest.py)
