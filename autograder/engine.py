"""The one grading engine behind every front door.

``grade(assignment, submission)`` finds the student's module (a file, a
folder holding it, or a folder holding the assignment's notebook), runs the
hidden tests of ``autograder/tests/<assignment>/`` with pytest in this
process, and returns a :class:`Report`. Tests reach the student's code only
through the ``student`` fixture, a proxy to a sandboxed child process
(:mod:`autograder.sandbox`).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from . import sandbox
from .harness import GradingFailure

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "autograder" / "tests"

#: Wall-clock budget of one whole grading, in seconds, per assignment: 6-10
#: times the reference's grading time on the kit's 2-core machine overloaded
#: to load 21 (25-120 times it idle; measured: README, "The sandbox"), and
#: never less than the import's 20 s limit plus a minute. Past it, the tests
#: not yet run score 0 with "not run: the grading's time budget of N s was
#: used up". Stated in README and in each assignment's README.
TIME_BUDGET = {"mle": 90, "kde": 240, "gmm": 240, "bmm": 300}
DEFAULT_TIME_BUDGET = 300


def private_dirs():
    """Folders a submission must never read: every folder of the kit but its virtualenv.

    That covers the reference solutions, the hidden tests, the kit's tests, the
    sample class and ``.git`` (whose objects hold every reference ever committed).
    The sandbox never covers a folder holding the interpreter it needs.
    """
    return [p for p in ROOT.iterdir() if p.is_dir() and p.name != ".venv"]


def assignments():
    """Names of the assignments that have hidden tests."""
    return sorted(p.name for p in TESTS.iterdir() if p.is_dir() and any(p.glob("test_*.py")))


class GraderError(Exception):
    """The grader itself cannot run (unknown assignment, missing path)."""


class SandboxUnavailable(GraderError):
    """The sandbox cannot be set up on this machine (the same for every submission):
    ``grade`` exits 2; ``grade-all`` should stop the class rather than record zeros."""


@dataclass
class TestResult:
    id: str
    name: str
    max_score: float
    visibility: str
    score: float = 0.0
    output: str = ""


@dataclass
class Report:
    assignment: str
    submission: str
    seed: int
    tests: list = field(default_factory=list)
    output: str = ""
    execution_time: float = 0.0

    @property
    def score(self):
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self):
        return round(sum(t.max_score for t in self.tests), 6)

    def to_gradescope(self):
        """The Gradescope ``results.json`` schema."""
        return {
            "score": self.score,
            "execution_time": round(self.execution_time, 3),
            "output": self.output,
            "tests": [{"name": t.name, "number": str(i), "score": t.score,
                       "max_score": t.max_score, "output": t.output,
                       "visibility": t.visibility}
                      for i, t in enumerate(self.tests, 1)],
        }

    def write(self, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_gradescope(), indent=2, ensure_ascii=False) + "\n")
        os.replace(tmp, path)


# ----------------------------------------------------------------------------
# finding the student's code


def locate_submission(assignment, submission, workdir):
    """Return the list of source files to copy into the sandbox.

    The module ``<assignment>.py`` first (searched at the top of a folder,
    then below it, shallowest first); else the code cells of
    ``<assignment>.ipynb`` (or the folder's only notebook), written to
    ``workdir``. Raises :class:`LookupError` with a message for the student.
    """
    path = Path(submission)
    module = f"{assignment}.py"
    if path.is_file():
        if path.suffix == ".ipynb":
            return [notebook_to_module(path, Path(workdir) / module)]
        if path.suffix != ".py":
            raise LookupError(f"the submission {path.name} is not a Python file ({module} expected)")
        return [path] if path.name == module else [_renamed(path, Path(workdir) / module)]
    candidates = sorted(path.rglob(module), key=lambda p: (len(p.parts), str(p)))
    candidates = [c for c in candidates if ".ipynb_checkpoints" not in c.parts]
    if candidates:
        main = candidates[0]
        helpers = [p for p in main.parent.glob("*.py")
                   if p != main and not p.name.startswith("test_") and p.stat().st_size < 1 << 20]
        return [main, *sorted(helpers)]
    notebooks = [p for p in sorted(path.rglob("*.ipynb"), key=lambda p: (len(p.parts), str(p)))
                 if ".ipynb_checkpoints" not in p.parts]
    named = [p for p in notebooks if p.stem == assignment]
    if named or len(notebooks) == 1:
        return [notebook_to_module((named or notebooks)[0], Path(workdir) / module)]
    found = sorted(p.name for p in path.rglob("*") if p.is_file())[:10]
    raise LookupError(f"no {module} (or {assignment}.ipynb) in the submission; it holds: "
                      f"{', '.join(found) if found else 'nothing'}")


def _renamed(src, dest):
    dest.write_bytes(src.read_bytes())
    return dest


def notebook_to_module(notebook, dest):
    """Write the notebook's code cells to ``dest`` (IPython magics dropped).

    The notebook is read as JSON; nothing in it runs in this process.
    """
    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise LookupError(f"{Path(notebook).name} is not a readable notebook ({exc})") from None
    chunks = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        chunks.append(f"# --- notebook cell {i} ---\n" + "\n".join(lines))
    dest.write_text("\n\n".join(chunks) + "\n", encoding="utf-8")
    return dest


# ----------------------------------------------------------------------------
# the pytest plugin


class GradingPlugin:
    """Collects points and outcomes; provides the ``student``, ``rng``, ``seed`` fixtures."""

    def __init__(self, module_name, sources, seed, hidden, python=None, budget=None):
        self.budget = budget or sandbox.Budget(None)
        self.fatal = None  # the sandbox could not be set up: the grading stops
        self.module_name = module_name
        self.sources = sources
        self.seed_value = seed
        self.hidden = hidden
        self.python = python
        self.session = None
        self.extra_sessions = []
        self.results = {}
        self.order = []
        self.problems = []
        self.missing = None

    def _new_session(self, memory_mb=sandbox.DEFAULT_MEMORY_MB):
        return sandbox.Session(self.module_name, self.sources, memory_mb=memory_mb,
                               hidden=self.hidden, python=self.python, budget=self.budget)

    def close(self):
        for s in [self.session, *self.extra_sessions]:
            if s is not None:
                s.close()

    # -- fixtures -------------------------------------------------------------
    @pytest.fixture
    def student(self, request):
        if self.missing:
            raise sandbox.StudentCodeError(self.missing, "missing")
        mark = request.node.get_closest_marker("points")
        opts = mark.kwargs if mark else {}
        if opts.get("memory_mb"):
            session = self._new_session(opts["memory_mb"])
            self.extra_sessions.append(session)
        else:
            if self.session is None:
                self.session = self._new_session()
            session = self.session
        session.timeout = opts.get("timeout") or sandbox.DEFAULT_TIMEOUT
        session.warnings_as_errors = opts.get("warnings") == "error"
        yield sandbox.StudentModule(session)
        session.warnings_as_errors = False
        if session is not self.session:
            session.close()
            self.extra_sessions.remove(session)

    @pytest.fixture
    def rng(self, request):
        """A generator seeded by the run's seed and the test's id."""
        return np.random.default_rng([self.seed_value, zlib.crc32(request.node.nodeid.encode())])

    @pytest.fixture
    def seed(self):
        return self.seed_value

    # -- hooks ----------------------------------------------------------------
    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(n, visibility, timeout, memory_mb): graded test")

    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            mark = item.get_closest_marker("points")
            if mark is None or not mark.args:
                self.problems.append(f"{item.nodeid} has no @points(...)")
                continue
            doc = (getattr(item.obj, "__doc__", None) or item.name).strip().splitlines()[0]
            pts = float(mark.args[0])
            label = f"{pts:g} pt" + ("" if pts == 1 else "s")
            self.results[item.nodeid] = TestResult(
                id=item.name, name=f"{doc} ({label})", max_score=pts,
                visibility=mark.kwargs.get("visibility", "visible"))
            self.order.append(item.nodeid)

    def pytest_collectreport(self, report):
        if report.failed:
            self.problems.append(f"could not collect {report.nodeid}: {report.longreprtext[-2000:]}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None:
            return
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(exc, sandbox.SandboxSetupError):
            self.fatal = str(exc)
            item.session.shouldstop = f"the sandbox could not be set up: {exc}"
        if report.when == "call" and report.passed:
            result.score = result.max_score
        elif report.failed:
            result.score = 0.0
            if not result.output:
                result.output = self.describe(call.excinfo)

    @staticmethod
    def describe(excinfo):
        exc = excinfo.value if excinfo is not None else None
        if isinstance(exc, (GradingFailure, sandbox.StudentCodeError)):
            return str(exc)
        if isinstance(exc, AssertionError):
            return "A check in this test failed." + (f" {exc}" if str(exc) else "")
        if exc is None:
            return "This test did not complete."
        return f"This check could not complete: {type(exc).__name__}: {exc}"


# ----------------------------------------------------------------------------
# grading


def grade(assignment, submission, *, seed=None, python=None, quiet=True):
    """Grade one submission; never raises for anything the submission does."""
    if assignment not in assignments():
        raise GraderError(f"unknown assignment {assignment!r}; choose one of {', '.join(assignments())}")
    submission = Path(submission)
    if not submission.exists():
        raise GraderError(f"no such file or folder: {submission}")
    seed = secrets.randbits(31) if seed is None else int(seed)
    start = time.perf_counter()
    report = Report(assignment, str(submission), seed)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="autograder-src-") as tmp:
        # the class folder (other students' work) where that is safe, else the submission itself
        hidden = [*private_dirs(), submission.resolve().parent, submission.resolve()]
        try:
            sources = locate_submission(assignment, submission, tmp)
        except LookupError as exc:
            sources, missing = None, str(exc)
        budget = sandbox.Budget(TIME_BUDGET.get(assignment, DEFAULT_TIME_BUDGET))
        plugin = GradingPlugin(assignment, sources, seed, hidden, python=python, budget=budget)
        # without a module every test is still listed, with its points and 0
        plugin.missing = None if sources is not None else missing
        args = [str(TESTS / assignment), "-q", "-p", "no:cacheprovider", "--assert=plain",
                "--import-mode=importlib", "-c", os.devnull, "--rootdir", str(ROOT),
                "-W", "ignore::pytest.PytestAssertRewriteWarning", "-p", "no:randomly"]
        sink = io.StringIO()
        try:
            # one BLAS thread for the grader's own computations (scikit-learn, SciPy, the
            # reference): on a busy machine multi-threaded BLAS spins and runs many times slower
            with contextlib.redirect_stdout(sink), threadpool_limits(limits=1):
                pytest.main(args, plugins=[plugin])
        finally:
            plugin.close()
    if plugin.fatal:
        raise SandboxUnavailable(f"the sandbox could not be set up, so nothing was graded: {plugin.fatal}")
    if plugin.problems:
        raise GraderError("the hidden tests are broken:\n" + "\n".join(plugin.problems))
    report.tests = [plugin.results[n] for n in plugin.order]
    report.execution_time = time.perf_counter() - start
    report.output = _summary(report, plugin, sources)
    _record_stats(report)
    return report


def _record_stats(report):
    """Append the grader's own figures to ``$AUTOGRADER_STATS`` (a JSON-lines file), if set.

    For the kit's tests and benchmarks: this process's peak resident memory so
    far (the grader's, never the sandbox child's) and the grading's wall time.
    """
    path = os.environ.get("AUTOGRADER_STATS")
    if not path:
        return
    import resource

    line = {"pid": os.getpid(), "assignment": report.assignment,
            "submission": Path(report.submission).name,
            "grader_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "wall_s": round(report.execution_time, 2)}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


def _summary(report, plugin, sources):
    lines = [f"{report.assignment}: {report.score:g} / {report.max_score:g} points.",
             f"Data for this run were drawn with seed {report.seed} "
             f"(regrade: python -m autograder grade {report.assignment} SUBMISSION --seed {report.seed})."]
    sessions = [s for s in [plugin.session] if s is not None]
    for s in sessions:
        lines.extend(f"Note: {e}." for e in s.events[:5])
        printed = s.captured_output().strip()
        if printed:
            cut = printed[:1500] + ("\n[...]" if len(printed) > 1500 else "")
            lines.append("Your code printed (first lines shown; printing is never graded):\n" + cut)
    return "\n".join(lines)
