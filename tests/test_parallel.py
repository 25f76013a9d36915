"""``make test`` runs ``pytest -n 2 --dist loadgroup``: each file's tests share one worker.

The kit relies on it for time: a file's session and module fixtures (a whole class graded,
a course built) are computed once, in one worker. It failed silently twice: the kit's
conftest added the groups after xdist had read them (the hook needs ``tryfirst``), and
pytest 9.2 with pytest-xdist 3.8 ignores groups altogether (pytest-xdist#1386). The tests
still passed; both workers computed every fixture. This checks the pinned pair with the
kit's own conftest hook.
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

from tests.conftest import ROOT

# the kit's own grouping hook, not a copy: dropping its ``tryfirst`` fails this test too
CONFTEST = "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
TESTS = "import time\nimport pytest\n\n@pytest.mark.parametrize('i', range(4))\ndef test_it(i):\n    time.sleep(0.2)\n"


def test_loadgroup_keeps_each_files_tests_on_one_worker(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    for name in ("test_a.py", "test_b.py"):
        (tmp_path / name).write_text(TESTS)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
                           "-p", "no:cacheprovider", "-p", "no:randomly"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    workers = defaultdict(set)
    for worker, name in re.findall(r"\[(gw\d+)\].*PASSED (test_\w\.py)::", proc.stdout):
        workers[name].add(worker)
    assert set(workers) == {"test_a.py", "test_b.py"}, proc.stdout[-2000:]
    split = {name: sorted(w) for name, w in workers.items() if len(w) > 1}
    assert not split, (f"--dist loadgroup split a file's tests over workers {split}: the pinned "
                       "pytest and pytest-xdist do not group (pytest-xdist#1386), or the kit's hook "
                       "lost its tryfirst")


PER_USER = '''import os
import time
import pytest
from tests.helpers import each_user_its_group


@pytest.fixture(scope="module", params=each_user_its_group("test_c.py", ("as_root", "as_normal_user")))
def graded(request):
    with open("computed.txt", "a") as f:
        f.write(request.param + "\\n")
    return request.param


@pytest.mark.parametrize("i", range(3))
def test_it(graded, i):
    time.sleep(0.2)
'''


def test_a_per_user_fixture_splits_its_file_into_two_groups_each_on_one_worker(tmp_path):
    """tests/test_hostile_class.py and _nbgrader.py grade as root and as a normal user in a
    module-scoped fixture; each half is an xdist group of its own (helpers.each_user_its_group),
    run in one worker, computing the fixture once."""
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_c.py").write_text(PER_USER)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
                           "-p", "no:cacheprovider", "-p", "no:randomly"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    workers = defaultdict(set)
    for worker, half, group in re.findall(r"\[(gw\d+)\].*PASSED test_c\.py::test_it\[(as_\w+)-\d\]@(\S+)",
                                          proc.stdout):
        assert group == f"test_c.py/{half}", group
        workers[half].add(worker)
    assert {h: len(w) for h, w in workers.items()} == {"as_root": 1, "as_normal_user": 1}, proc.stdout[-2000:]
    assert sorted((tmp_path / "computed.txt").read_text().split()) == ["normal", "root"]
