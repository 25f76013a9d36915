"""Each assignment, end to end: reference → 100, stub → 0 (mistakes: tests/test_mistakes.py; points,
READMEs and public tests, which grade nothing: tests/test_catalogue.py).

All submissions of one assignment — reference, stub and every catalogued
mistake — are graded in one `grade-all` run (the ``graded_class`` fixture,
shared with tests/test_mistakes.py), so the whole catalogue costs a few
gradings' time.
"""
import pytest

from autograder import catalog
from samples.submissions import correct_variants, graded_assignments

ASSIGNMENTS = graded_assignments()


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
