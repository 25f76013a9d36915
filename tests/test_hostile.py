"""Hostile submissions: each earns exactly what its working parts earn.

Every submission below is the `mle` reference plus something hostile. For
each we know which hidden tests must fail (all others must earn full
points), and after grading the whole lot: the grader exited 0 with a valid
results file for everyone, no file of the kit changed, no stray process
survived and nothing was written outside the sandbox.
"""
import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

import pytest

from tests.conftest import ROOT, entry, failed, grade_folder, hidden_tests
from tests.submissions import Hostile, apply, reference_source, write

TOKEN = secrets.token_hex(4)
ALL = frozenset(hidden_tests("mle"))
GAUSSIAN_MLE = ("    mean = np.mean(x)\n    var = np.mean((x - mean) ** 2)\n",)
BREAK_GAUSSIAN = ("var = np.mean((x - mean) ** 2)", "var = np.var(x, ddof=1)")

HOSTILE = [
    Hostile("infinite_loop_at_import", ALL, "did not finish", prepend="while True:\n    pass\n"),
    Hostile("infinite_loop_in_one_function", {"test_gaussian_mle_mean", "test_gaussian_mle_variance"}, "did not finish within",
            replace=[(GAUSSIAN_MLE[0], "    while True:\n        pass\n" + GAUSSIAN_MLE[0])]),
    Hostile("sys_exit_at_import", ALL, "sys.exit(3)", prepend="import sys\nsys.exit(3)\n"),
    Hostile("os_exit_in_one_function", {"test_bernoulli_mle"}, "exited with status 7",
            replace=[("return float(np.mean(x))", "import os\n    os._exit(7)")]),
    Hostile("memory_hog", {"test_mvn_mle", "test_mvn_mle_mean", "test_mvn_mle_one_feature"}, "ran out of memory",
            replace=[("    diff = X - mean\n    cov = diff.T @ diff / n_samples",
                      "    hog = [np.ones(10**8) for _ in range(1000)]\n"
                      "    diff = X - mean\n    cov = diff.T @ diff / n_samples")]),
    Hostile("fake_results_and_summary", {"test_gaussian_mle_variance"}, "divided by n−1", replace=[BREAK_GAUSSIAN],
            prepend=f"""
import json, os
for _p in ["results.json", "../results.json", "/autograder/results/results.json",
           "/tmp/kit-fake-{TOKEN}.json", {str(ROOT / "results.json")!r}]:
    try:
        os.makedirs(os.path.dirname(_p) or ".", exist_ok=True)
        with open(_p, "w") as _f:
            json.dump({{"score": 100, "tests": []}}, _f)
    except Exception:
        pass
print(json.dumps({{"score": 100, "tests": []}}))
print("14 passed, 0 failed")
"""),
    Hostile("patches_numpy_and_pytest", {"test_gaussian_mle_variance"}, "divided by n−1", replace=[BREAK_GAUSSIAN],
            prepend="""
import numpy as _np
_np.allclose = lambda *a, **k: True
_np.isclose = lambda a, b, *r, **k: _np.ones(_np.shape(a), bool)
_np.array_equal = lambda *a, **k: True
_np.testing.assert_allclose = lambda *a, **k: None
try:
    import pytest as _pytest
    _pytest.approx = lambda *a, **k: True
except Exception:
    pass
"""),
    Hostile("malicious_reduce", {"test_gaussian_log_likelihood", "test_gaussian_log_likelihood_far_out"},
            "object", replace=[("    x = _as_1d(x)\n    mean = float(mean)\n    var = _check_var(var)\n",
                                f"""    class Evil:
        def __reduce__(self):
            return (os.system, ("touch /tmp/kit-pwned-{TOKEN}",))
        def __eq__(self, other):
            return True
        def __float__(self):
            return 0.0
    import os
    return Evil()
""")]),
    Hostile("always_equal_array", {"test_bernoulli_mle"}, "got 0.5", replace=[(
        "return float(np.mean(x))",
        "class AlwaysEqual(np.ndarray):\n"
        "        def __eq__(self, other):\n            return np.ones(np.shape(self), bool)\n"
        "        def __ne__(self, other):\n            return np.zeros(np.shape(self), bool)\n"
        "    return np.asarray([0.5 + np.mean(x) * 1e-3]).view(AlwaysEqual)")]),
    Hostile("stray_child_process", frozenset(), "", prepend=f"""
import ctypes, os, time
_libc = ctypes.CDLL(None)
if _libc.fork() == 0:
    _libc.setsid()
    if _libc.fork() == 0:
        _libc.prctl(15, b"kitstray{TOKEN}", 0, 0, 0)
        time.sleep(300)
    os._exit(0)
try:
    import subprocess
    subprocess.Popen(["sleep", "300"])
except Exception:
    pass
"""),
    Hostile("floods_stdout", frozenset(), "", prepend="print('x' * 50_000_000)\n",
            replace=[(GAUSSIAN_MLE[0], "    print('y' * 5_000_000)\n" + GAUSSIAN_MLE[0])]),
    Hostile("segfault_via_ctypes", {"test_spherical_mle", "test_spherical_mle_mean"}, "SIGSEGV",
            replace=[("var = np.mean((X - mean) ** 2)  # the mean over all n*d entries",
                      "import ctypes\n    ctypes.string_at(0)")]),
    Hostile("raises_keyboard_interrupt", {"test_mvn_logpdf", "test_mvn_logpdf_high_dimension",
                                          "test_mvn_logpdf_ill_conditioned"},
            "KeyboardInterrupt", replace=[("    z = linalg.solve_triangular(", "    raise KeyboardInterrupt\n"
                                           "    z = linalg.solve_triangular(")]),
    Hostile("forbidden_import_via_importlib", {"test_gaussian_log_likelihood",
                                               "test_gaussian_log_likelihood_far_out"},
            "import of 'scipy.stats' refused",
            replace=[("    n_samples = x.shape[0]\n    sq = np.sum((x - mean) ** 2)\n",
                      "    import importlib\n    importlib.import_module('scipy.stats')\n"
                      "    n_samples = x.shape[0]\n    sq = np.sum((x - mean) ** 2)\n")]),
    Hostile("forbidden_import_at_top", ALL, "import of 'sklearn.mixture' refused",
            prepend="GaussianMixture = __import__('sklearn.mixture').mixture.GaussianMixture\n"),
    Hostile("syntax_error", ALL, "SyntaxError",
            replace=[("def gaussian_mle(x):", "def gaussian_mle(x)")]),
    Hostile("deletes_every_file_it_can_reach", frozenset(), "", prepend=f"""
import ctypes, os, shutil, time
_libc, _t0 = ctypes.CDLL(None), time.time()
for _top in [{str(ROOT)!r}, os.path.expanduser("~"), "/tmp", "/autograder", "/work", "/"]:
    for _dir, _subdirs, _files in os.walk(_top):
        if time.time() - _t0 > 4:
            break
        for _f in _files:
            _p = os.path.join(_dir, _f)
            try:
                os.remove(_p)
            except Exception:
                pass
            _libc.unlink(_p.encode())
        try:
            shutil.rmtree(_dir)
        except Exception:
            pass
"""),
    Hostile("reads_the_reference", {"test_gaussian_mle_variance"}, "divided by n−1", replace=[(
        "    mean = np.mean(x)\n    var = np.mean((x - mean) ** 2)\n    return float(mean), float(var)\n",
        f"""    import ctypes, importlib.util
    _ref = {str(ROOT / "solutions" / "mle" / "mle.py")!r}
    try:
        _spec = importlib.util.spec_from_file_location("_stolen", _ref)
        _mod = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(_mod)
        return _mod.gaussian_mle(x)
    except BaseException:
        pass
    if ctypes.CDLL(None).open(_ref.encode(), 0) >= 0:
        return float(np.mean(x)), float(np.var(x))
    try:  # the git objects hold every reference ever committed
        open({str(ROOT / ".git" / "HEAD")!r}).read()
        return float(np.mean(x)), float(np.var(x))
    except BaseException:
        pass
    return float(np.mean(x)), float(np.var(x, ddof=1))
""")]),
    Hostile("kills_the_grader", frozenset(), "", prepend="""
import ctypes, os, signal
for _kill in (os.kill, ctypes.CDLL(None).kill):
    try:
        _kill(os.getppid(), signal.SIGKILL)
    except Exception:
        pass
"""),
]


def _snapshot():
    digest = {}
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in (".venv", "build", ".git") or "__pycache__" in rel.parts or not path.is_file():
            continue
        digest[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


@lru_cache(maxsize=None)
def graded(tmp_root):
    folder = tmp_root / "hostile"
    for h in HOSTILE:
        write(folder / h.name, "mle", apply("mle", h))
    before = _snapshot()
    results = grade_folder("mle", folder)
    after = _snapshot()
    return results, before, after


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    return graded(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_hostile_submission_earns_exactly_its_working_parts(hostile, outcome):
    results, _, _ = outcome
    res = results[hostile.name]
    expected_failures = {entry(res, "mle", t)["name"] for t in hostile.fails}
    assert failed(res) == expected_failures, {t["name"]: t["output"] for t in res["tests"]}
    expected = 100 - sum(hidden_tests("mle")[t][1] for t in hostile.fails)
    assert res["score"] == expected
    if hostile.says:
        outputs = " ".join(t["output"] for t in res["tests"]) + res["output"]
        assert hostile.says in outputs, outputs[:3000]


def test_every_submission_got_a_valid_results_file(outcome):
    results, _, _ = outcome
    assert set(results) == {h.name for h in HOSTILE}
    for res in results.values():
        assert set(res) >= {"score", "execution_time", "output", "tests"}
        assert sum(t["max_score"] for t in res["tests"]) == 100
        for t in res["tests"]:
            assert set(t) >= {"name", "score", "max_score", "output", "visibility"}


def test_no_file_of_the_kit_changed(outcome):
    _, before, after = outcome
    assert before == after


def test_nothing_was_written_outside_the_sandbox(outcome):
    assert not Path(f"/tmp/kit-fake-{TOKEN}.json").exists()
    assert not Path(f"/tmp/kit-pwned-{TOKEN}").exists()
    assert not (ROOT / "results.json").exists()


def test_no_stray_process_survived(outcome):
    strays = []
    for proc in Path("/proc").iterdir():
        try:
            if (proc / "comm").read_text().startswith(f"kitstray{TOKEN}"[:15]):
                strays.append(proc.name)
        except OSError:
            continue
    assert not strays


def test_printing_is_capped_in_the_feedback(outcome):
    results, _, _ = outcome
    output = results["floods_stdout"]["output"]
    assert "printed" in output and len(output) < 5000
