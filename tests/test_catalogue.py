"""Each assignment's catalogue, without grading anything: points that sum to 100 and the READMEs
that state them and the time budget, a large enough catalogue of typical mistakes, and the public
tests (as a student runs them) passing on the reference and failing on the stub. The gradings of
the catalogue are tests/test_assignments.py and tests/test_mistakes.py.
"""
import os
import re
import subprocess
import sys

import pytest

from autograder import catalog
from tests.conftest import ROOT, hidden_tests
from samples.submissions import catalogue, graded_assignments

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


def _run_public(folder, tmp_path):
    """The public tests of ``folder``, run there as a student runs them; nothing is written into the
    kit (the JUnit report goes to ``tmp_path``, no bytecode), so no other test sees a file come and go."""
    report = tmp_path / "public-junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
         f"test_{folder.name}_public.py"], cwd=folder, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    xml = report.read_text()
    cases = re.findall(r"<testcase .*?(?:/>|</testcase>)", xml, flags=re.S)
    failed = [c for c in cases if "<failure" in c or "<error" in c]
    return proc, cases, failed


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_public_tests_pass_on_the_reference(assignment, tmp_path):
    proc, cases, failed = _run_public(ROOT / "solutions" / assignment, tmp_path)
    assert cases and not failed, proc.stdout[-3000:]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_public_tests_all_fail_on_the_stub(assignment, tmp_path):
    proc, cases, failed = _run_public(ROOT / "assignments" / assignment, tmp_path)
    assert cases and len(failed) == len(cases), proc.stdout[-3000:]
    assert "is not written yet" in proc.stdout   # one line per unwritten function (conftest.py)
