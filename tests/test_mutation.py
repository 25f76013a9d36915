"""The mutation tool (quality/mutation.py): operators aimed at the SOLUTION regions only."""
import pytest

from quality import mutation

SOURCE = '''import numpy as np


def _helper(x):
    return x + 1


def variance(x):
    """Not graded: the region below is."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    mean = np.mean(x, axis=0)
    if x.size < 2:
        return 0.0
    return np.sum((x - mean) ** 2) / x.size
    ### END SOLUTION
'''


def test_mutants_come_only_from_solution_regions():
    found = mutation.mutants(SOURCE)
    assert found and all(m.function == "variance" for m in found)
    assert not [m for m in found if "_helper" in m.id]


def test_the_classic_operators_are_applied():
    ids = {m.id for m in mutation.mutants(SOURCE)}
    expected = {
        "variance: np.mean -> (np.sum)",                      # reduction swap
        "variance: 0 -> (1)",                                  # axis=0 → another axis...
        "variance: x.size < 2 -> (x.size <= 2)",               # comparison
        "variance: x - mean -> (x + mean)",                    # arithmetic
        "variance: np.sum((x - mean) ** 2) / x.size -> (np.sum((x - mean) ** 2) * x.size)",
        "variance: mean = np.mean(x, axis=0) -> pass",         # statement deleted
    }
    assert expected - ids == set(), sorted(ids)


def test_every_mutant_is_valid_python_and_differs_from_the_source():
    for m in mutation.mutants(SOURCE):
        compile(m.source, m.id, "exec")
        assert m.source != SOURCE


@pytest.mark.parametrize("assignment", ["mle", "kde", "gmm", "bmm"])
def test_the_equivalent_lists_name_existing_mutants_with_a_reason(assignment):
    ids = {m.id for m in mutation.reference_mutants(assignment)}
    listed = mutation.equivalent(assignment)
    assert set(listed) <= ids, f"stale entries in quality/equivalent/{assignment}.txt: {set(listed) - ids}"
    assert all(reason for reason in listed.values()), "every equivalent mutant needs its reason"


def test_grading_kills_a_broken_mutant():
    text = (mutation.ROOT / "solutions" / "mle" / "mle.py").read_text()
    by_id = {m.id: m for m in mutation.mutants(text)}
    broken = by_id["gaussian_mle: x - mean -> (x + mean)"]
    scores = mutation.grade_mutants("mle", [broken], jobs=1, seed=1, log=lambda *_: None)
    assert scores[broken.id] < 100
