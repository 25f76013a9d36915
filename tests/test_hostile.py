"""Hostile submissions: each earns exactly what its working parts earn.

Every submission below is the `mle` reference plus something hostile. For
each we know which hidden tests must fail (all others must earn full
points), and after grading the whole lot: the grader exited 0 with a valid
results file for everyone, no file of the kit changed, no stray process
survived and nothing was written outside the sandbox.
"""
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT, SEED, entry, failed, grade_folder, hidden_tests
from tests.submissions import Hostile, apply, reference_source, stub_source, write

TOKEN = secrets.token_hex(4)
ALL = frozenset(hidden_tests("mle"))
GAUSSIAN_MLE = ("    mean = np.mean(x)\n    var = np.mean((x - mean) ** 2)\n",)
BREAK_GAUSSIAN = ("var = np.mean((x - mean) ** 2)", "var = np.var(x, ddof=1)")

HOSTILE = [
    Hostile("infinite_loop_at_import", ALL, "did not finish", prepend="while True:\n    pass\n"),
    Hostile("infinite_loop_in_one_function", {"test_gaussian_mle"}, "did not finish within",
            replace=[(GAUSSIAN_MLE[0], "    while True:\n        pass\n" + GAUSSIAN_MLE[0])]),
    Hostile("sys_exit_at_import", ALL, "sys.exit(3)", prepend="import sys\nsys.exit(3)\n"),
    Hostile("os_exit_in_one_function", {"test_bernoulli_mle"}, "exited with status 7",
            replace=[("return float(np.mean(x))", "import os\n    os._exit(7)")]),
    Hostile("memory_hog", {"test_mvn_mle", "test_mvn_mle_one_feature"}, "ran out of memory",
            replace=[("    diff = X - mean\n    cov = diff.T @ diff / n_samples",
                      "    hog = [np.ones(10**8) for _ in range(1000)]\n"
                      "    diff = X - mean\n    cov = diff.T @ diff / n_samples")]),
    Hostile("fake_results_and_summary", {"test_gaussian_mle"}, "divided by n−1", replace=[BREAK_GAUSSIAN],
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
    Hostile("patches_numpy_and_pytest", {"test_gaussian_mle"}, "divided by n−1", replace=[BREAK_GAUSSIAN],
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
    Hostile("segfault_via_ctypes", {"test_spherical_mle"}, "SIGSEGV",
            replace=[("var = np.mean((X - mean) ** 2)  # the mean over all n*d entries",
                      "import ctypes\n    ctypes.string_at(0)")]),
    Hostile("raises_keyboard_interrupt", {"test_mvn_logpdf", "test_mvn_logpdf_high_dimension"},
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
    Hostile("reads_the_reference", {"test_gaussian_mle"}, "divided by n−1", replace=[(
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


# ----------------------------------------------------------------------------
# nbgrader: no student code runs with the instructor's rights, and feedback pages render no
# student HTML/JavaScript (issue 9 §2 and §7). One course, four students, through the CLI:
#   stub     the untouched stub: the baseline score;
#   payload  the stub, whose import copies the reference over its module in submitted/,
#            autograded/ and the kit's snapshot, plants a conftest in the hidden tests and
#            writes into the kit — nbgrader used to give it 100, and so did the cross-check;
#   linked   mle.py a symbolic link to the reference solution: refused, never read;
#   script   the reference, with a <script> and an onerror handler in a markdown cell and in a
#            written answer, and an HTML output with a <script> in its autograded notebook.

NB_STUDENTS = ("stub", "payload", "linked", "script")
#: Built by string concatenation in the page's JavaScript: the element exists only if a script ran.
INJECTED = "kitinjected" + TOKEN


def _payload(course):
    targets = [course / "submitted" / "payload" / "mle" / "mle.py",
               course / "autograded" / "payload" / "mle" / "mle.py",
               course / "snapshots" / "payload" / "mle" / "files" / "mle.py",
               ROOT / "autograder" / "tests" / "mle" / "conftest.py",
               ROOT / f"nbgrader-pwned-{TOKEN}"]
    return f"""import os as _os, shutil as _shutil
for _t in {[str(t) for t in targets]!r}:
    try:
        _os.chmod(_t, 0o644)
    except Exception:
        pass
    try:
        _shutil.copyfile({str(ROOT / "solutions" / "mle" / "mle.py")!r}, _t)
    except Exception:
        pass
""" + stub_source("mle")


def _script_notebook(path):
    nb = nbformat.read(path, as_version=4)
    attack = (f"<script>document.body.appendChild(document.createElement('kitinjected' + '{TOKEN}'))"
              f"</script>\n\n<img src=x onerror=\"document.title='{INJECTED}'\">")
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("A cell of my own\n\n" + attack))
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "My answer.\n\n" + attack
    nbformat.write(nb, path)


def _tree(folder, skip=()):
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        rel = p.relative_to(folder)
        if rel.parts[0] in skip or p.is_dir():
            continue
        out[str(rel)] = os.readlink(p) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _course_state(course):
    """Everything of the course folder that autograde, feedback and the cross-check must not change."""
    return _tree(course, skip=("autograded", "feedback", "snapshots", "gradebook.db"))


@lru_cache(maxsize=None)
def nbgraded(tmp_root):
    from frontdoors.nbgrader import course as nbcourse

    course = tmp_root / "course"
    nbcourse.build_course(course, ["mle"], seed=SEED, log=lambda *_: None)
    for student in NB_STUDENTS:
        dest = course / "submitted" / student / "mle"
        shutil.copytree(course / "release" / "mle", dest)
        module = dest / "mle.py"
        module.unlink()
        if student == "linked":
            module.symlink_to(ROOT / "solutions" / "mle" / "mle.py")
        else:
            module.write_text({"stub": stub_source("mle"), "payload": _payload(course),
                               "script": reference_source("mle")}[student], encoding="utf-8")
    _script_notebook(course / "submitted" / "script" / "mle" / "mle.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_SEED", "PYTHONPATH", "JUPYTER_PATH")}
    kit_before, course_before = _snapshot(), _course_state(course)
    auto = nbcourse.nbgrader(course, "autograde", "mle", "--force", env=env)
    # an HTML output with a script, where a kernel would have put it (none runs: defence in depth)
    graded_nb = course / "autograded" / "script" / "mle" / "mle.ipynb"
    os.chmod(graded_nb, 0o644)
    nb = nbformat.read(graded_nb, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and not c.metadata["nbgrader"]["grade"])
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/html": f"<b>shown</b><script>document.title='{INJECTED}'</script>", "text/plain": "x"}),
        nbformat.v4.new_output("display_data", data={
            "application/javascript": f"document.title='{INJECTED}'", "text/plain": "y"})]
    nbformat.write(nb, graded_nb)
    nbcourse.nbgrader(course, "generate_feedback", "mle", "--force", env=env)
    check = subprocess.run([sys.executable, "-m", "frontdoors.nbgrader.crosscheck", str(course), "mle"],
                           cwd=ROOT, capture_output=True, text=True, timeout=1800)
    return course, auto, check, (kit_before, _snapshot()), (course_before, _course_state(course))


@pytest.fixture(scope="module")
def nbcourse_run(tmp_path_factory):
    return nbgraded(tmp_path_factory.mktemp("nbgrader-hostile"))


def _book(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s: {g.name: g.auto_score for g in gb.find_submission_notebook("mle", "mle", s).grades
                    if g.name.startswith("part_")} for s in NB_STUDENTS}


def test_nbgrader_payload_earns_exactly_the_stubs_score(nbcourse_run):
    course, auto, check, _, _ = nbcourse_run
    book = _book(course)
    assert book["payload"] == book["stub"] and sum(book["stub"].values()) == 0
    assert sum(book["script"].values()) == 100
    assert sum(book["linked"].values()) == 0
    assert check.returncode == 0, check.stdout + check.stderr
    for student in NB_STUDENTS:
        assert re.search(rf"^{student}: ok \(({100 if student == 'script' else 0}) points", check.stdout,
                         re.MULTILINE), check.stdout


def test_nbgrader_autograde_started_no_kernel_and_no_file_outside_the_sandbox_changed(nbcourse_run):
    course, auto, _, (kit_before, kit_after), (course_before, course_after) = nbcourse_run
    assert kit_before == kit_after
    assert course_before == course_after
    assert not (ROOT / f"nbgrader-pwned-{TOKEN}").exists()
    assert not (ROOT / "autograder" / "tests" / "mle" / "conftest.py").exists()
    payload = (course / "submitted" / "payload" / "mle" / "mle.py").read_bytes()
    for where in ("autograded/payload/mle/mle.py", "snapshots/payload/mle/files/mle.py"):
        assert (course / where).read_bytes() == payload, where
    assert "Kernel" not in auto.stdout + auto.stderr
    nb = nbformat.read(course / "autograded" / "payload" / "mle" / "mle.ipynb", as_version=4)
    plain = [c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")]
    assert plain and not [c for c in plain if c.outputs or c.execution_count]


def test_nbgrader_a_linked_module_is_refused_by_name_and_never_copied(nbcourse_run):
    course, _, _, _, _ = nbcourse_run
    record = json.loads((course / "snapshots" / "linked" / "mle" / "snapshot.json").read_text())
    assert {"path": "mle.py", "reason": "is a symbolic link: submit the file itself"} in record["refused"]
    assert not (course / "autograded" / "linked" / "mle" / "mle.py").exists()
    reference = (ROOT / "solutions" / "mle" / "mle.py").read_text()
    for p in (course / "feedback" / "linked").rglob("*"):
        if p.is_file():
            assert "### BEGIN SOLUTION" not in p.read_text(errors="replace") or p.suffix == ".ipynb"
            assert p.read_text(errors="replace") != reference
    page = (course / "feedback" / "linked" / "mle" / "mle.html").read_text()
    assert "mle.py is a symbolic link: submit the file itself" in html.unescape(page)


class _Markup(HTMLParser):
    """The elements, attributes and script bodies of a page, as a browser would parse them."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self._in_script = [], [], False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def test_nbgrader_feedback_shows_student_html_as_text(nbcourse_run):
    course, _, _, _, _ = nbcourse_run
    page = (course / "feedback" / "script" / "mle" / "mle.html").read_text()
    assert "A cell of my own" in page and "My answer." in page
    text = html.unescape(page)
    assert f"<script>document.body.appendChild(document.createElement('kitinjected' + '{TOKEN}'))" in text
    assert "<b>shown</b>" in page                               # a harmless HTML output is kept
    markup = _Markup(page)
    assert not [body for body in markup.scripts if TOKEN in body]
    assert not [(tag, attrs) for tag, attrs in markup.tags
                if any(k.startswith("on") or TOKEN in (v or "") for k, v in attrs.items())]


@pytest.mark.skipif(not shutil.which("chromium"), reason="no chromium (Debian package) on this machine")
def test_nbgrader_feedback_runs_no_student_script_in_a_browser(nbcourse_run, tmp_path):
    course, _, _, _, _ = nbcourse_run
    page = course / "feedback" / "script" / "mle" / "mle.html"
    proc = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
                           "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    dom = proc.stdout
    assert "My answer." in dom, proc.stderr[-2000:]
    assert f"<{INJECTED}" not in dom and f"<title>{INJECTED}" not in dom


def test_nbgrader_a_config_that_fails_to_load_runs_no_student_code(nbcourse_run):
    """nbgrader carries on with its defaults (a kernel per notebook) when the config raises: the
    course's kernel refuses to start under autograde, so the payload never runs as root."""
    from frontdoors.nbgrader import course as nbcourse

    course, _, _, _, _ = nbcourse_run
    local = course / "nbgrader_config_local.py"
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_SEED", "PYTHONPATH", "JUPYTER_PATH")}
    before = _course_state(course)
    local.write_text("raise RuntimeError('a broken local config')\n")
    try:
        proc = nbcourse.nbgrader(course, "autograde", "mle", "--force", "--student", "payload",
                                 env=env, check=False, timeout=600)
    finally:
        local.unlink()
    assert proc.returncode != 0
    assert "refusing to run a student's notebook" in proc.stdout + proc.stderr
    assert _course_state(course) == before
    assert not (ROOT / f"nbgrader-pwned-{TOKEN}").exists()
    assert not (ROOT / "autograder" / "tests" / "mle" / "conftest.py").exists()
