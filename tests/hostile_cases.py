"""The hostile submissions the tests/test_hostile_*.py files share, and what they check with.

Every submission of :data:`HOSTILE` is the `mle` reference plus something hostile. For each we
know which hidden tests must fail (all others must earn full points). The intake cases (symbolic
links, FIFOs, huge files, many files, crafted notebooks) are data too: :class:`Entry` items beside
(or instead of) the module; none of what a link points at may ever reach the feedback.

Where the cases are graded (tests/test_hostile_*.py, one file per surface, so that two xdist
workers share them): the whole class by `grade-all` (``_class``), one submission at a time by
`grade` (``_cli``), LMS downloads and Classroom repositories (``_lms``), nbgrader (``_nbgrader``),
points only for work (``_work``), grades no one else can touch and linear intake (``_gradebook``).
"""
import hashlib
import os
import re
import secrets
import textwrap
from pathlib import Path

from samples.submissions import Entry, Hostile, apply, reference_source, write
from tests.conftest import HIDDEN_TESTS, ROOT, hidden_tests, runner
from tests.helpers import notebook

TOKEN = secrets.token_hex(4)
ALL = frozenset(hidden_tests("mle"))
GAUSSIAN_MLE = ("    mean = np.mean(x)\n    var = np.mean((x - mean) ** 2)\n",)
BREAK_GAUSSIAN = ("var = np.mean((x - mean) ** 2)", "var = np.var(x, ddof=1)")
#: gaussian_mle has a test per returned value: a raise in it fails both, and (where mle has part 6,
#: the KL divergence) the KL claim centred on its answer, since nothing carries from an error; a wrong
#: variance fails one (the claim carries it)
GAUSSIAN_RAISES = frozenset({"test_gaussian_mle_mean", "test_gaussian_mle_variance"}
                            | ({"test_mle_minimises_kl"} & ALL))
GAUSSIAN_VAR = frozenset({"test_gaussian_mle_variance"})
REFERENCE = str(ROOT / "solutions" / "mle" / "mle.py")
HIDDEN_TEST = str(HIDDEN_TESTS / "mle" / "test_gaussian.py")
LINKED = "is a symbolic link: submit the file itself"
#: gaussian_mle's body after its input check: hostile variants replace it
_GAUSSIAN_BODY = "    mean = np.mean(x)\n    var = np.mean((x - mean) ** 2)\n    return float(mean), float(var)\n"


def _reference_cells():
    """The reference cut in two cells at a function boundary."""
    text = reference_source("mle")
    cut = text.index("\ndef gaussian_mle")
    return text[:cut], text[cut:]


REFERENCE_HEAD, REFERENCE_TAIL = _reference_cells()
# IPython-only lines in a notebook that is otherwise the reference: all no-ops now
_IPYTHON_TAIL = REFERENCE_TAIL.replace("    x = _as_1d(x)\n    mean = np.mean(x)\n",
                                      "    x = _as_1d(x)\n    %time 1 + 1\n    mean = np.mean(x)\n", 1)
assert _IPYTHON_TAIL != REFERENCE_TAIL


def _walks_the_machine(look):
    """A patch of gaussian_mle: walk the child's whole file system, running ``look`` (code with
    ``top``, ``dirs``, ``files``) in every folder; ``look`` returns the right answer where it
    finds what it wants, else the n − 1 variance is returned (test_gaussian_mle_variance fails)."""
    head = ("    import importlib.util, os\n    seen = 0\n    for top, dirs, files in os.walk(\"/\"):\n"
            "        seen += 1\n"
            "        dirs[:] = [] if top in (\"/proc\", \"/sys\") or seen > 200_000 else dirs\n")
    return [(_GAUSSIAN_BODY, head + textwrap.indent(look, " " * 8)
             + "    return float(np.mean(x)), float(np.var(x, ddof=1))\n")]


#: Writes a frame of its own straight into the grader's reply channel (its fd is in the child's argv).
RAW_REPLY = """
def _raw_reply(header, arrays=0):
    import json, os, struct, sys
    fd = json.loads(sys.argv[-1])["wfd"]
    view = memoryview(struct.pack("<QQ", 16 + len(header) + arrays, len(header)) + header)
    while view:
        view = view[os.write(fd, view):]

"""
#: About 30 lines that load scipy/stats from its files under another name (no name is forbidden).
STATS_BY_PATH = """\
    import importlib.abc, importlib.machinery, os, subprocess, sys, scipy
    _dir = os.path.join(os.path.dirname(scipy.__file__), "stats")

    class _Alias(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "notstats" or name.startswith("notstats."):
                rel = name.split(".")[1:]
                base = os.path.join(_dir, *rel)
                if os.path.isdir(base):
                    return importlib.util.spec_from_file_location(
                        name, os.path.join(base, "__init__.py"), submodule_search_locations=[base])
                for suffix in importlib.machinery.all_suffixes():
                    if os.path.exists(base + suffix):
                        return importlib.util.spec_from_file_location(name, base + suffix)
            return None

    import importlib.util
    sys.meta_path.insert(0, _Alias())
    try:
        import notstats
        return float(np.sum(notstats.norm.logpdf(x, mean, np.sqrt(var))))
    except BaseException:
        pass
    try:  # or a process that reads the files
        if subprocess.run(["cat", os.path.join(_dir, "__init__.py")], capture_output=True).returncode == 0:
            return float(np.sum(-0.5 * np.log(2 * np.pi * var) - (x - mean) ** 2 / (2 * var)))
    except BaseException:
        pass
    return float("nan")
"""



def _never_spelling_scipy():
    """The reference plus STATS_BY_PATH, with the word "scipy" nowhere in the module (the imports
    built from pieces, the docstrings' mentions capitalised): a submission that does not spell it
    gets a sandbox that did not import SciPy during its set-up, and scipy/stats must still be an
    empty folder there (found by the red-teaming of this check: it was not, for a while)."""
    text = (reference_source("mle")
            .replace("from scipy import linalg\n", "import importlib as _il\nlinalg = _il.import_module('sc' + 'ipy.linalg')\n")
            .replace("from scipy.special import xlog1py, xlogy\n",
                     "xlog1py = _il.import_module('sc' + 'ipy.special').xlog1py\n"
                     "xlogy = _il.import_module('sc' + 'ipy.special').xlogy\n")
            .replace("    n_samples = x.shape[0]\n    sq = np.sum((x - mean) ** 2)\n", SEES_SCIPY_STATS
                     + STATS_BY_PATH.replace(", scipy\n", "\n    scipy = importlib.import_module('sc' + 'ipy')\n")
                     + "    n_samples = x.shape[0]\n    sq = np.sum((x - mean) ** 2)\n", 1)
            .replace("scipy", "SciPy"))
    assert "scipy" not in text
    return text


#: gaussian_log_likelihood's right answer only where scipy/stats's files can be listed or read
SEES_SCIPY_STATS = """\
    import importlib as _il2, os as _os2
    _stats = _os2.path.join(_os2.path.dirname(_il2.import_module('sc' + 'ipy').__file__), 'stats')
    try:
        if _os2.listdir(_stats) or open(_os2.path.join(_stats, '__init__.py')).read():
            return float(np.sum(-0.5 * np.log(2 * np.pi * var) - (x - mean) ** 2 / (2 * var)))
    except OSError:
        pass
"""


HOSTILE = [
    Hostile("infinite_loop_at_import", ALL, "did not finish", prepend="while True:\n    pass\n"),
    Hostile("infinite_loop_in_one_function", GAUSSIAN_RAISES, "did not finish within",
            replace=[(GAUSSIAN_MLE[0], "    while True:\n        pass\n" + GAUSSIAN_MLE[0])]),
    Hostile("sys_exit_at_import", ALL, "sys.exit(3)", prepend="import sys\nsys.exit(3)\n"),
    Hostile("os_exit_in_one_function", {"test_bernoulli_mle"}, "exited with status 7",
            replace=[("return float(np.mean(x))", "import os\n    os._exit(7)")]),
    Hostile("memory_hog", {"test_mvn_mle_mean", "test_mvn_mle", "test_mvn_mle_one_feature"}, "ran out of memory",
            replace=[("    diff = X - mean\n    cov = diff.T @ diff / n_samples",
                      "    hog = [np.empty(10**8) for _ in range(1000)]\n"
                      "    diff = X - mean\n    cov = diff.T @ diff / n_samples")]),
    Hostile("fake_results_and_summary", GAUSSIAN_VAR, "divided by n−1", replace=[BREAK_GAUSSIAN],
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
    Hostile("patches_numpy_and_pytest", GAUSSIAN_VAR, "divided by n−1", replace=[BREAK_GAUSSIAN],
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
    import subprocess, sys
    subprocess.Popen([sys.executable, "-I", "-c", "import time; time.sleep(300)"])
except Exception:
    pass
"""),
    Hostile("floods_stdout", frozenset(), "", prepend="print('x' * 50_000_000)\n",
            replace=[(GAUSSIAN_MLE[0], "    print('y' * 5_000_000)\n" + GAUSSIAN_MLE[0])]),
    Hostile("segfault_via_ctypes", {"test_spherical_mle_mean", "test_spherical_mle"}, "SIGSEGV",
            replace=[("var = np.mean((X - mean) ** 2)  # the mean over all n*d entries",
                      "import ctypes\n    ctypes.string_at(0)")]),
    Hostile("raises_keyboard_interrupt", {"test_mvn_logpdf", "test_mvn_logpdf_high_dimension", "test_mvn_logpdf_ill_conditioned"},
            "KeyboardInterrupt", replace=[("    z = linalg.solve_triangular(chol, ", "    raise KeyboardInterrupt\n"
                                           "    z = linalg.solve_triangular(chol, ")]),
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
    Hostile("reads_the_reference", GAUSSIAN_VAR, "divided by n−1", replace=[(
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
    # -- intake: only the submission's own regular files are read, never through a link --
    Hostile("module_is_a_link_to_the_reference", ALL, f"mle.py {LINKED}", module=False,
            entries=(Entry("mle.py", link=REFERENCE),)),
    Hostile("stub_imports_a_helper_linked_to_the_reference", ALL, f"helper.py {LINKED}",
            whole="from helper import *\n", entries=(Entry("helper.py", link=REFERENCE),)),
    Hostile("helper_linked_to_the_reference_beside_working_code", GAUSSIAN_VAR,
            f"helper.py {LINKED}", replace=[BREAK_GAUSSIAN],
            append="\ntry:\n    from helper import gaussian_mle\nexcept ImportError:\n    pass\n",
            entries=(Entry("helper.py", link=REFERENCE),)),
    Hostile("module_is_a_link_to_etc_shadow", ALL, f"mle.py {LINKED}", module=False,
            entries=(Entry("mle.py", link="/etc/shadow"),)),
    Hostile("helpers_linked_to_etc_shadow_and_a_hidden_test",
            GAUSSIAN_RAISES | {"test_bernoulli_mle"}, f"shadow_bait.py {LINKED}",
            replace=[("    mean = np.mean(x)\n    var", "    import shadow_bait\n    mean = np.mean(x)\n    var"),
                     ("    _check_binary(x)\n    return float(np.mean(x))",
                      "    _check_binary(x)\n    import hidden_bait\n    return float(np.mean(x))")],
            entries=(Entry("shadow_bait.py", link="/etc/shadow"),
                     Entry("hidden_bait.py", link=HIDDEN_TEST))),
    Hostile("module_is_a_link_to_dev_zero", ALL, f"mle.py {LINKED}", module=False,
            entries=(Entry("mle.py", link="/dev/zero"),)),
    Hostile("helper_linked_to_dev_zero", frozenset(), f"zero.py {LINKED}",
            entries=(Entry("zero.py", link="/dev/zero"),)),
    Hostile("module_is_a_fifo", ALL, "mle.py is a FIFO", module=False,
            entries=(Entry("mle.py", fifo=True),)),
    Hostile("fifos_beside_the_module", frozenset(), "pipe.py is a FIFO",
            entries=(Entry("pipe.py", fifo=True), Entry("results.json", fifo=True))),
    Hostile("module_is_a_dangling_link", ALL, f"mle.py {LINKED}", module=False,
            entries=(Entry("mle.py", link=f"/nonexistent-{TOKEN}/mle.py"),)),
    Hostile("folder_linked_to_the_solutions", ALL, "sub is a symbolic link", module=False,
            entries=(Entry("sub", link=str(ROOT / "solutions" / "mle")),)),
    Hostile("module_of_two_gigabytes", ALL, "more than the 1.0 MiB", module=False,
            entries=(Entry("mle.py", size=2 << 30),)),
    Hostile("module_over_the_size_cap", ALL, "more than the 1.0 MiB",
            append="# " + "x" * (1 << 20) + "\n"),
    Hostile("huge_helper_beside_the_module", frozenset(), "data.py is 100.0 MiB",
            entries=(Entry("data.py", size=100 << 20),)),
    Hostile("sixty_helpers", frozenset(), "at most 40 Python files",
            entries=(Entry("h{:02d}.py", text="X = 1\n", copies=60),)),
    Hostile("twelve_thousand_files", frozenset(), "more than 10000 files",
            entries=(Entry("junk/f{:05d}", text="", copies=12_000),)),
    Hostile("notebook_with_broken_cells", frozenset(), "could not be read (not a cell", module=False,
            entries=(Entry("mle.ipynb", text=notebook(
                "not a cell", 3, ("code", [1, {"a": 2}]), ("code", {"x": "y"}), ("code", REFERENCE_HEAD),
                ("markdown", ["# notes"]), ("code", REFERENCE_TAIL))),)),
    Hostile("notebook_nested_too_deeply", ALL, "nested too deeply", module=False,
            entries=(Entry("mle.ipynb", text=b'{"cells": [], "metadata": ' + b"[" * 200_000
                           + b"]" * 200_000 + b"}"),)),
    Hostile("notebook_not_utf8", ALL, "mle.ipynb is not UTF-8", module=False,
            entries=(Entry("mle.ipynb", text=notebook(("code", REFERENCE_HEAD + REFERENCE_TAIL)).replace(
                b'"nbformat"', b'"nb\xff\xfeformat"')),)),
    Hostile("notebook_over_the_size_cap", ALL, "more than the 5.0 MiB", module=False,
            entries=(Entry("mle.ipynb", text=notebook(
                ("code", REFERENCE_HEAD + REFERENCE_TAIL), ("markdown", "x" * (6 << 20)))),)),
    Hostile("notebook_with_a_megabyte_of_code", ALL, "more than 1.0 MiB of code", module=False,
            entries=(Entry("mle.ipynb", text=notebook(
                ("code", REFERENCE_HEAD + REFERENCE_TAIL), ("code", "# " + "y" * (1 << 20)))),)),
    Hostile("notebook_is_a_link_to_the_reference", ALL, f"mle.ipynb {LINKED}", module=False,
            entries=(Entry("mle.ipynb", link=REFERENCE),)),
    Hostile("notebook_with_ipython_lines", frozenset(), "is a cell magic", module=False,
            entries=(Entry("mle.ipynb", text=notebook(
                ("code", "%%bash\necho this cell is dropped whole\nexit 3"),
                ("code", "%matplotlib inline\n" + REFERENCE_HEAD + "\nfiles = !ls\nmore, rest = %sx ls\n"
                 "display(files)\n!echo shell lines are no-ops\n"),
                ("code", "if True:\n    %timeit -n1 1 + 1\n" + _IPYTHON_TAIL),
                ("code", "display('done')\n"))),)),
    Hostile("control_characters_everywhere", GAUSSIAN_RAISES, "\\x1b[2J",
            prepend="print('\\x1b[2J\\x1b[H\\rTotal: 100 / 100\\x07\\x9b31m\\u202e')\n",
            replace=[("    mean = np.mean(x)\n    var",
                      "    raise type('\\x1b[2JEvil', (Exception,), {})('\\x1b[2J\\rTotal: 100 / 100')\n"
                      "    mean = np.mean(x)\n    var")],
            entries=(Entry("\x1b[2J\rTotal.py", text="X = 1\n"),)),
    # -- the reply channel: bounded before anything is decoded (the grader's memory stays small)
    Hostile("reply_bomb_100_mib_header", {"test_bernoulli_mle"}, "header is 100 MiB (the limit is 16 MiB)",
            prepend=RAW_REPLY, replace=[("return float(np.mean(x))",
                                         "_raw_reply(b'[' + b'[],' * (100 * 2**20 // 3) + b'[]]')\n"
                                         "    return float(np.mean(x))")]),
    Hostile("huge_array_announced", {"test_bernoulli_mle"}, "300 MiB of arrays (the limit is 256 MiB",
            prepend=RAW_REPLY, replace=[("return float(np.mean(x))",
                                         "_raw_reply(b'{}', arrays=300 * 2**20)\n"
                                         "    return float(np.mean(x))")]),
    Hostile("huge_array_returned", {"test_bernoulli_mle"}, "more than 256 MiB of arrays",
            replace=[("return float(np.mean(x))", "return np.full(40_000_000, np.mean(x))")]),
    Hostile("deep_nesting", {"test_bernoulli_mle"}, "levels deep (the limit is 64)",
            prepend=RAW_REPLY, replace=[("return float(np.mean(x))",
                                         "_raw_reply(b'[' * 500_000 + b']' * 500_000)\n"
                                         "    return float(np.mean(x))")]),
    # -- time: the import's limit starts when the import does
    Hostile("slow_import_18_s", frozenset(), "", prepend="import time as _t\n_t.sleep(18)\n"),
    # -- the forbidden libraries are not on the child's disk at all
    Hostile("loads_scipy_stats_by_file_path", {"test_gaussian_log_likelihood",
                                               "test_gaussian_log_likelihood_far_out"}, "",
            replace=[("    n_samples = x.shape[0]\n    sq = np.sum((x - mean) ** 2)\n",
                      STATS_BY_PATH + "    n_samples = x.shape[0]\n    sq = np.sum((x - mean) ** 2)\n")]),
    Hostile("loads_scipy_stats_by_file_path_never_spelling_scipy", {"test_gaussian_log_likelihood",
                                                                   "test_gaussian_log_likelihood_far_out"}, "",
            whole=_never_spelling_scipy()),
    # -- processes are allowed where the PID and mount namespaces contain them
    Hostile("helper_process_at_import", frozenset(), "",
            # the interpreter is the only program in the child's root (no shell, no coreutils)
            prepend="import subprocess as _sp, sys as _sys\n"
                    "_helper = _sp.Popen([_sys.executable, '-I', '-c', 'import time; time.sleep(1)'])\n"),
    Hostile("multiprocessing_in_a_function", frozenset(), "", replace=[(GAUSSIAN_MLE[0], """\
    import concurrent.futures, multiprocessing
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        mean = list(pool.map(np.mean, [x]))[0]
    with multiprocessing.Pool(2) as pool:
        var = pool.apply(np.mean, ((x - mean) ** 2,))
""")]),
    # -- other students and the instructor's home are out of sight
    Hostile("reads_other_students_in_tmp", GAUSSIAN_VAR, "divided by n−1", replace=[(
        "    mean = np.mean(x)\n    var = np.mean((x - mean) ** 2)\n    return float(mean), float(var)\n",
        """    import glob, os, tempfile
    mine = os.path.realpath(os.getcwd())
    for top in {"/tmp", "/var/tmp", "/dev/shm", tempfile.gettempdir()}:
        for p in glob.glob(os.path.join(top, "**", "mle.py"), recursive=True):
            if not os.path.realpath(p).startswith(mine + os.sep):
                try:
                    open(p).read()
                    return float(np.mean(x)), float(np.var(x))  # another student's work was readable
                except OSError:
                    pass
    return float(np.mean(x)), float(np.var(x, ddof=1))
""")]),
    Hostile("reads_the_instructors_home", GAUSSIAN_VAR, "divided by n−1", replace=[(
        "    mean = np.mean(x)\n    var = np.mean((x - mean) ** 2)\n    return float(mean), float(var)\n",
        """    import importlib.util, os, pwd
    homes = {"@FAKE_HOME@", os.environ.get("HOME", ""), "/root"}
    try:
        homes.add(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        pass
    for home in homes:
        try:
            open(os.path.join(home, ".ssh", "id_rsa")).read()
            return float(np.mean(x)), float(np.var(x))  # the instructor's key was readable
        except OSError:
            pass
        try:
            spec = importlib.util.spec_from_file_location(
                "_copy", os.path.join(home, "kit-backup", "solutions", "mle", "mle.py"))
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod.gaussian_mle(x)
        except BaseException:
            pass
    return float(np.mean(x)), float(np.var(x, ddof=1))
""")]),
    # -- the child's root is an allow-list: what the kit does not know about is not there either
    Hostile("finds_another_copy_of_the_kit", GAUSSIAN_VAR, "divided by n−1", replace=_walks_the_machine("""\
if top.endswith(os.path.join("solutions", "mle")) and "mle.py" in files \\
        and not top.startswith(os.path.realpath(os.getcwd())):
    try:  # any copy of the kit: the instructor's checkout, last term's, a Gradescope zip
        spec = importlib.util.spec_from_file_location("_copy", os.path.join(top, "mle.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.gaussian_mle(x)
    except BaseException:
        pass
""")),
    Hostile("finds_scipy_stats_of_another_interpreter", GAUSSIAN_VAR, "divided by n−1", replace=_walks_the_machine("""\
if os.path.basename(top) == "stats" and "_continuous_distns.py" in files:
    try:  # a readable scipy.stats anywhere (the base interpreter's): it could be loaded
        open(os.path.join(top, "_continuous_distns.py")).read(100)
        return float(np.mean(x)), float(np.var(x))
    except OSError:
        pass
""")),
    Hostile("finds_class_results_and_repositories", GAUSSIAN_VAR, "divided by n−1", replace=_walks_the_machine("""\
found = [os.path.join(top, ".grade-all", "class.json")] if ".grade-all" in dirs else []
found += [os.path.join(top, ".git", "HEAD")] if ".git" in dirs else []
for path in found:
    try:  # a class's seed and results, or a student's repository history
        open(path).read()
        return float(np.mean(x)), float(np.var(x))
    except OSError:
        pass
""")),
    Hostile("empties_the_python_guard", GAUSSIAN_VAR, "divided by n−1", replace=[(_GAUSSIAN_BODY, f"""\
    import gc, importlib.util
    for obj in gc.get_objects():  # the audit hook's closures: its private and forbidden lists
        if getattr(obj, "__name__", None) == "hook" and getattr(obj, "__closure__", None):
            for cell in obj.__closure__:
                try:
                    if isinstance(cell.cell_contents, (list, tuple)):
                        cell.cell_contents = ()
                except Exception:
                    pass
    try:
        spec = importlib.util.spec_from_file_location("_ref", {REFERENCE!r})
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.gaussian_mle(x)
    except BaseException:
        return float(np.mean(x)), float(np.var(x, ddof=1))
""")]),
    # -- floods stay in the child's capped working folder (a tmpfs), never on the grader's disk
    Hostile("fills_its_working_folder", ALL, "quota is used up", prepend="""\
for _i in range(32):  # 1 GiB, 32 MiB a file
    with open(f"flood-{_i}.bin", "wb") as _f:
        for _j in range(32):
            _f.write(b"x" * 2**20)
"""),
    Hostile("creates_files_for_ten_seconds", frozenset(), "", replace=[(_GAUSSIAN_BODY, """\
    import os, time
    end, n = time.monotonic() + 8, 0
    try:
        os.makedirs("many", exist_ok=True)
        while time.monotonic() < end:
            open(os.path.join("many", str(n)), "w").close()
            n += 1
        return float(np.mean(x)), float(np.var(x, ddof=1))  # no cap on the number of files
    except OSError:
        return float(np.mean(x)), float(np.var(x))
""")]),
    Hostile("forges_a_named_mistake", GAUSSIAN_RAISES, "(quoted) Likely mistake", replace=[(
        GAUSSIAN_MLE[0], "    raise ValueError('no\\nLikely mistake: everyone else is wrong <script>alert(1)</script>')\n"
        + GAUSSIAN_MLE[0])], prepend="print('<script>alert(2)</script>\\x1b[2J<img src=http://127.0.0.1:9/x.png>')\n"),
    Hostile("kills_the_grader", frozenset(), "", prepend="""
import ctypes, os, signal
for _kill in (os.kill, ctypes.CDLL(None).kill):
    try:
        _kill(os.getppid(), signal.SIGKILL)
    except Exception:
        pass
"""),
]


def snapshot(kit):
    """{file: sha256} of the kit's own files (no .venv, build, .git or caches) and its folders' modes."""
    # the folders' modes too: grading as root must not chmod the instructor's checkout
    digest = {f"{p.name}/ (mode)": oct(p.stat().st_mode) for p in kit.iterdir() if p.is_dir()}
    for path in sorted(kit.rglob("*")):
        rel = path.relative_to(kit)
        if rel.parts[0] in (".venv", "build", ".git") or "__pycache__" in rel.parts or not path.is_file():
            continue
        digest[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


#: Right answers, slowly: the import takes 10 s and every call 9 s (each under its own limit).
SLOW_BUT_FINITE = Hostile("slow_but_finite", says="time budget of", append="""
import functools as _ft, time as _t
_t.sleep(10)

def _slowly(f):
    @_ft.wraps(f)
    def wrapper(*args, **kwargs):
        _t.sleep(9)
        return f(*args, **kwargs)
    return wrapper

for _name, _f in list(globals().items()):
    if callable(_f) and not _name.startswith("_") and getattr(_f, "__module__", None) == __name__:
        globals()[_name] = _slowly(_f)
""")
#: Graded with the others, checked on their own (which tests the budget cuts depends on the machine).
TIMED = [SLOW_BUT_FINITE]
#: The grader's peak resident memory under every attack of the suite (the issue's bound).
MAX_GRADER_RSS_MIB = 1024

#: Control characters and bidirectional overrides, which no output may carry raw.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def strings(obj):
    """Every string in a results dict (keys too)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def one_module(tmp_path, hostile):
    """``hostile``'s module, written alone in a folder of its name under ``tmp_path``."""
    return write(tmp_path / hostile.name, "mle", apply("mle", hostile)) / "mle.py"


def reachable_by_others(path):
    """Whether every folder on the way to ``path`` lets other users through (its x bit for others)."""
    parts = Path(os.path.realpath(path)).parts
    return all(os.stat(os.path.join(*parts[:i])).st_mode & 0o001 for i in range(1, len(parts) + 1))


def class_folder(user, tmp_path, label):
    """A fresh, empty class folder that ``user`` (see conftest.runner) owns: a class built there is
    graded where it lies (never copied), so a re-run on it resumes from the previous run."""
    run = runner(user)
    folder = (run.scratch_folder(label) if run.scratch else tmp_path) / "class"
    folder.mkdir()
    run.own(folder)
    return folder
