"""``make test`` ends with one line per group of skipped tests: what did not run, and the command
that runs it (a fresh clone without Chromium or Debian's python3.11 used to end with "86 skipped"
and nothing to tell that the hostile suite's normal-user half and every browser check had not run).
"""
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.helpers import SKIP_GROUPS, skip_reason, skip_summary

CONFTEST = "from tests.conftest import pytest_collection_modifyitems, pytest_terminal_summary  # noqa: F401\n"
TESTS = '''import pytest
from tests.helpers import needs_chromium, skip


@pytest.mark.parametrize("user", ["root", "normal"])
def test_graded(user):
    if user == "normal":
        skip("not as a normal user", "no /nowhere/python3.11 (Debian's python3.11 and python3.11-venv)")


@pytest.fixture(params=["as_root", "as_normal_user"])
def outcome(request):
    if request.param == "as_normal_user":
        skip("not as a normal user", "no /nowhere/python3.11 (Debian's python3.11 and python3.11-venv)")


def test_from_a_fixture(outcome):
    pass


@pytest.mark.skipif(True, reason={chromium!r})
def test_in_a_browser():
    pass


def test_something_else():
    # justified: a skip without a group's tag, in the made-up suite this test runs (the summary
    # must still say it did not run)
    pytest.skip("a reason of no group")
'''


def test_the_summary_groups_reasons_by_tag_and_names_the_command():
    reasons = [skip_reason("not as a normal user", "no /usr/bin/python3.11")] * 3 + [
        skip_reason("no Chromium", "no chromium on PATH"), "a reason of no group"]
    lines = skip_summary(reasons)
    assert len(lines) == 3, lines
    assert lines[0] == ("3 skipped, cases graded as an unprivileged user (the hostile suite's normal-user half). "
                        "Why: not as a normal user: no /usr/bin/python3.11. To run them: sudo .ci/setup-system")
    assert lines[1] == "1 skipped: a reason of no group"  # the most skipped first, then by tag
    assert lines[2].startswith("1 skipped, pages opened in headless Chromium (") and \
        lines[2].endswith("Why: no Chromium: no chromium on PATH. To run them: sudo .ci/setup-system")
    assert skip_summary([]) == []
    with pytest.raises(KeyError, match="SKIP_GROUPS"):
        skip_reason("no such group", "x")
    assert all(g.tag == tag and ":" not in tag for tag, g in SKIP_GROUPS.items())


def test_make_test_ends_with_one_line_per_skipped_group(tmp_path):
    """Through pytest itself, in two xdist workers (as ``make test`` runs): the lines come after the
    slowest durations, just above the final count."""
    (tmp_path / "conftest.py").write_text(CONFTEST)
    chromium = skip_reason("no Chromium", "no chromium, chromium-browser or google-chrome on PATH")
    (tmp_path / "test_x.py").write_text(TESTS.replace("{chromium!r}", repr(chromium)))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "--durations=3",
                           "-p", "no:cacheprovider", "-p", "no:randomly"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout.splitlines()
    start = next(i for i, line in enumerate(out) if "what did not run" in line)
    assert any("slowest 3 durations" in line for line in out[:start]), proc.stdout[-3000:]
    assert re.fullmatch(r"=+ 2 passed, 4 skipped in .* =+", out[-1]), out[-1]
    lines = out[start + 1:-1]
    assert len(lines) == 3, lines
    assert lines[0].startswith("2 skipped, cases graded as an unprivileged user (")
    assert "Why: not as a normal user: no /nowhere/python3.11 (Debian's python3.11" in lines[0]
    assert lines[0].endswith("To run them: sudo .ci/setup-system")
    assert lines[1] == "1 skipped: a reason of no group"
    assert "Why: no Chromium: no chromium, chromium-browser or google-chrome on PATH." in lines[2]
    assert lines[2].endswith("To run them: sudo .ci/setup-system")
