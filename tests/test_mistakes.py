"""Every catalogued mistake loses points in its named test, with feedback naming it — and only it.

A mistake's feedback must contain its ``says`` phrase, and neither another
catalogued mistake's phrase (of the same assignment) nor a "Likely mistake"
line that does not name it: a :class:`~autograder.harness.Mistake` must fire
only for its own mistake. Uses the ``graded_class`` fixture (one
``grade-all`` run per assignment, shared with tests/test_assignments.py).
"""
import pytest

from tests.conftest import entry
from samples.submissions import catalogue, graded_assignments

BUGS = [(a, b) for a in graded_assignments() for b in catalogue(a)]


def _overlap(a, b):
    a, b = a.lower(), b.lower()
    return a in b or b in a


@pytest.mark.parametrize("assignment,bug", BUGS, ids=[f"{a}-{b.name}" for a, b in BUGS])
def test_typical_mistake_loses_points_with_a_message_naming_it_and_only_it(assignment, bug,
                                                                         graded_class):
    results = graded_class(assignment)[bug.name]
    assert results["score"] < 100
    t = entry(results, assignment, bug.test)
    assert t["score"] < t["max_score"], f"{bug.name} did not lose points in {bug.test}"
    output = t["output"]
    assert bug.says.lower() in output.lower(), output
    others = [b for b in catalogue(assignment) if b.name != bug.name and not _overlap(b.says, bug.says)]
    named = [b.name for b in others if b.says.lower() in output.lower()]
    assert not named, f"{bug.name}'s feedback also names {named}:\n{output}"
    stray = [ln for ln in output.splitlines()
             if ln.startswith("Likely mistake: ") and bug.says.lower() not in ln.lower()]
    assert not stray, f"{bug.name}'s feedback names another mistake:\n{output}"
    # a guess downstream of a failed dependency reads "Possibly …" and is not counted; then the
    # dependency's own test counts a root cause, so the class report never loses the student
    if any(ln.startswith("Possibly (") and bug.says.lower() in ln.lower() for ln in output.splitlines()):
        counted = [ln for r in results["tests"] for ln in r["output"].splitlines()
                   if ln.startswith("Likely mistake: ")]
        assert counted, f"{bug.name}: only guesses downstream, no counted cause:\n{output}"


@pytest.mark.parametrize("assignment,bug", BUGS, ids=[f"{a}-{b.name}" for a, b in BUGS])
def test_a_typical_mistake_is_counted_once_in_its_own_test(assignment, bug, graded_class):
    """The class report counts a mistake where it is named on a "Likely mistake:" line: each
    catalogued mistake is named so in its own test and in no other (a guess downstream of a
    failed dependency reads "Possibly …" and is not counted; docs/GRADING.md, "Partial credit")."""
    results = graded_class(assignment)[bug.name]
    counted = [t["name"] for t in results["tests"]
               if any(ln.startswith("Likely mistake: ") and bug.says.lower() in ln.lower()
                      for ln in t["output"].splitlines())]
    own = entry(results, assignment, bug.test)["name"]
    assert counted == [own], f"{bug.name} is counted in {counted}, not once in {own!r}"


@pytest.mark.parametrize("assignment", graded_assignments())
def test_one_mistake_costs_one_charge(assignment, graded_class):
    """docs/GRADING.md, "Partial credit" (one mistake, one charge), measured on the catalogue (one
    mistake per submission) with the kit's own figures, which docs/GRADING.md does not state: the
    median number of failing tests per mistake ≤ 1.5, the median cost ≤ 8 points, none > 25
    (``python -m quality.charges`` prints the same figures and each mistake's charges)."""
    from quality.charges import MAX_COST, MEDIAN_COST, MEDIAN_FAILING_TESTS, charges, figures

    singles = {b.name: graded_class(assignment)[b.name] for b in catalogue(assignment)}
    median_tests, median_cost, max_cost, worst = figures(singles)
    detail = {k: v[:2] for k, v in charges(singles).items() if v[0] > 1}
    assert median_tests <= MEDIAN_FAILING_TESTS, detail
    assert median_cost <= MEDIAN_COST, detail
    assert max_cost <= MAX_COST, f"{worst} costs {max_cost} points: {charges(singles)[worst]}"
