"""The one grading engine behind every front door.

``grade(assignment, submission)`` takes the student's files through
:mod:`autograder.intake` (a file, a folder holding the module, or a folder
holding the assignment's notebook; regular files only, never through a link,
under size caps), runs the hidden tests of ``hidden_tests/<assignment>/``
with pytest in this process under the engine's own configuration
(``autograder/grading.ini``), and returns a :class:`autograder.results.Grading`
(the results every front door writes and ``reports/`` reads, as fields:
:mod:`autograder.results`) whose every student-derived string has been through
:func:`autograder.text.clean`. Tests reach the student's code only through the
``student`` fixture, a proxy to a sandboxed child process
(:mod:`autograder.sandbox`). In this module ``report`` is always pytest's report
of a test; the kit's own is a ``grading``.
"""
from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import re
import secrets
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from . import intake, sandbox
from .paths import HIDDEN_TESTS, PYTEST_INI, ROOT
from .carry import Carry
from .harness import GradingFailure
from .results import (BUDGET, MAX_ARTIFACT_ELEMENTS, GraderError, Grading, Mistake, TestResult,
                      import_failure_reason, named_mistakes)
from .text import clean, one_line

TESTS = HIDDEN_TESTS
#: what a test's feedback or the overall output may hold at most (characters)
OUTPUT_LIMIT = 4000

#: Wall-clock budget of one whole grading, in seconds, per assignment: 6-10
#: times the reference's grading time on the kit's 2-core machine overloaded
#: to load 21 (25-120 times it idle; measured: README, "The sandbox"), and
#: never less than the import's 20 s limit plus a minute. Past it, the tests
#: not yet run score 0 with "not run: the grading's time budget of N s was
#: used up". Stated in README and in each assignment's README. kde's is larger: its memory
#: test lets a correct loop over the training rows take minutes (see its README).
TIME_BUDGET = {"mle": 90, "kde": 600, "gmm": 240, "bmm": 300}
DEFAULT_TIME_BUDGET = 300


def carry_forward(assignment, tests_root=None):
    """Whether error is carried forward for ``assignment`` (docs/GRADING.md, "Partial credit").

    On by default; off with ``--no-carry-forward`` (``AUTOGRADER_NO_CARRY_FORWARD=1``, inherited
    by the grading processes) or when the hidden tests' package says ``CARRY_FORWARD = False``
    in ``hidden_tests/<assignment>/settings.py`` (a strict course).
    """
    if os.environ.get("AUTOGRADER_NO_CARRY_FORWARD", "").lower() in ("1", "yes", "on", "true"):
        return False
    settings = Path(tests_root or TESTS) / assignment / "settings.py"
    if settings.is_file():
        import runpy

        return bool(runpy.run_path(str(settings)).get("CARRY_FORWARD", True))
    return True


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


#: Import failures that do not depend on the child's limits (memory, time): a module that
#: fails so in one sandbox fails so in every other, so no further sandbox is started for it.
DETERMINISTIC_IMPORT_FAILURES = frozenset({"syntax", "forbidden_import", "import", "not_implemented",
                                           "exit", "sandbox", "bad_return"})
#: A carried-forward composition calls the student's functions in a fresh sandbox, in the grader's
#: order and with the grader's own work between the calls: each call may take this many times the
#: test's per-call limit, so a busy machine does not turn a carried pass into a charge (the
#: grading's time budget still bounds it all).
CARRY_TIMEOUT_FACTOR = 3


#: the next grading's sandboxes, set up ahead (see grade's ``spare``): {(module name, memory
#: limit in MiB): Session}: one for the grading's own sandbox, one per memory-limited test
_SPARES = {}


def _take_spare(module_name, memory_mb, sources, hidden, python, budget):
    """The spare sandbox this process set up for its next grading, given this grading's submission —
    or None (there is none, or it does not fit: another module, interpreter, private folders...)."""
    session = _SPARES.pop((module_name, memory_mb), None)
    if session is None:
        return None
    if not session.is_spare_for(module_name, hidden, python, memory_mb):
        session.close()
        return None
    session.adopt(sources, budget)
    return session


def _start_spares(module_name, memory_limits, hidden, python):
    """Set up sandboxes, with no submission, for this process's next grading of ``module_name``:
    one per memory limit in ``memory_limits`` (the grading's own, and its memory-limited tests')."""
    for memory_mb in memory_limits:
        old = _SPARES.pop((module_name, memory_mb), None)
        if old is not None:
            old.close()
        session = sandbox.Session(module_name, [], memory_mb=memory_mb, hidden=hidden, python=python)
        session.prestart()
        _SPARES[module_name, memory_mb] = session


@atexit.register
def _close_spares():
    while _SPARES:
        _SPARES.popitem()[1].close()


class SandboxUnavailable(GraderError):
    """The sandbox cannot be set up on this machine (the same for every submission):
    ``grade`` exits 2; ``grade-all`` should stop the class rather than record zeros."""


# ----------------------------------------------------------------------------
# the pytest plugin


def seed_key(nodeid):
    """A number naming one hidden test wherever the kit keeps its tests: the crc32 of
    ``<assignment folder>/<file>::<test>`` (what seeds the test's data with the run's seed)."""
    path, _, name = nodeid.partition("::")
    where = "/".join(Path(path).parts[-2:])
    return zlib.crc32(f"{where}::{name}".encode())


class GradingPlugin:
    """Collects points and outcomes; provides the ``student``, ``rng``, ``seed`` fixtures."""

    def __init__(self, module_name, sources, seed, hidden, python=None, budget=None, carry_forward=True,
                 spare=False):
        self.budget = budget or sandbox.Budget(None)
        self.spare = spare  # set up the next grading's sandboxes once this one's is ready
        self.spare_taken = False  # this grading's own sandbox was a spare (set up already)
        self.memory_limits = []  # of the memory-limited tests (collected), each a sandbox of its own
        self.carry_forward = carry_forward
        self.carry_sessions = []  # fresh sandboxes the carried-forward compositions called
        self.fatal = None  # the sandbox could not be set up: the grading stops
        self.module_name = module_name
        self.sources = sources
        self.seed_value = seed
        self.hidden = hidden
        self.python = python
        self.session = None
        self.extra_sessions = []
        self.early = {}  # nodeid -> the sandbox of a memory-limited test, started at collection
        self.results = {}
        self.order = []
        self.problems = []
        self.missing = None
        self.intake_notes = []  # what intake refused, added to tests whose import failed
        self.import_failure = None  # a deterministic import failure, shared by every session
        self._finished = False
        self.kept_artifacts = {}
        self.failures = {}  # nodeid -> the exception that failed the test's call
        self.unisolated_note = ""  # a session ran without the allow-listed root (--unisolated)
        self._thread_limits = []  # threadpoolctl limits entered by this grading (restored at its end)
        self._modules_seen = None

    def limit_threads(self):
        """One BLAS/OpenMP thread for every native library loaded so far (threadpoolctl limits only
        those loaded when it is called: SciPy's own OpenBLAS and scikit-learn's OpenMP load when a
        hidden test module imports them). Checked again whenever new modules were imported."""
        if len(sys.modules) != self._modules_seen:
            self._modules_seen = len(sys.modules)
            self._thread_limits.append(threadpool_limits(limits=1))

    def restore_threads(self):
        while self._thread_limits:
            self._thread_limits.pop().restore_original_limits()

    def _prestart_early(self):
        """Start the memory-limited tests' sandboxes once this interpreter's allow-list is known
        (the first child computes it and sends it in its "ready" frame, which the first call
        reads): each of them computing it again, on 2 cores, made kde's first memory-limited test
        wait 0.3-0.4 s for its sandbox instead of 0.1-0.2 s."""
        if sandbox._allow_list(self.python) is not None:
            for session in self.early.values():
                session.prestart()  # (once: a started or taken session is left as it is)

    def _start_spares(self):
        self.spare = False
        _start_spares(self.module_name, [sandbox.DEFAULT_MEMORY_MB, *self.memory_limits], self.hidden, self.python)

    def _new_session(self, memory_mb=sandbox.DEFAULT_MEMORY_MB):
        if self.spare:
            taken = _take_spare(self.module_name, memory_mb, self.sources, self.hidden, self.python, self.budget)
            if taken is not None:
                return taken
        return sandbox.Session(self.module_name, self.sources, memory_mb=memory_mb,
                               hidden=self.hidden, python=self.python, budget=self.budget)

    def close(self):
        for s in [self.session, *self.extra_sessions, *self.carry_sessions, *self.early.values()]:
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
            session = self.early.pop(request.node.nodeid, None) or self._new_session(opts["memory_mb"])
            self.extra_sessions.append(session)
        else:
            if self.session is None:
                self.session = self._new_session()
            session = self.session
        if session.import_failure is None and self.import_failure is not None:
            # the same module fails to import the same way in every child: say so at once
            # instead of starting (and timing) another sandbox per memory-limited test
            session.import_failure = self.import_failure
        # a new sandbox sets itself up while the test computes its expected values
        session.prestart()
        session.timeout = opts.get("timeout") or sandbox.DEFAULT_TIMEOUT
        session.warnings = []
        yield sandbox.StudentModule(session)
        self._prestart_early()
        if self.spare and session is self.session and session.isolation is not None:
            # this grading's child is set up: the next grading's set themselves up on the other core
            self._start_spares()
        if session.unisolated_note:
            self.unisolated_note = session.unisolated_note
        failure = session.import_failure
        if failure is not None and failure.kind in DETERMINISTIC_IMPORT_FAILURES:
            self.import_failure = failure
        result = self.results.get(request.node.nodeid)
        if result is not None:
            result.notes = list(session.warnings)
        session.warnings = []
        if session is not self.session:
            session.close()
            self.extra_sessions.remove(session)

    @pytest.fixture
    def carry(self, request):
        """Error carried forward for this test (:class:`autograder.carry.Carry`)."""
        nodeid = request.node.nodeid
        mark = request.node.get_closest_marker("points")
        timeout = (mark.kwargs.get("timeout") if mark else None) or sandbox.DEFAULT_TIMEOUT
        carry = Carry(self.module_name, enabled=self.carry_forward,
                      failure_of=lambda test: self.failure_of(test, nodeid),
                      fresh_student=lambda: self._fresh_student(CARRY_TIMEOUT_FACTOR * timeout),
                      seed=[self.seed_value, seed_key(nodeid), 1])
        yield carry
        result = self.results.get(nodeid)
        if result is not None and carry.carried and result.score >= result.max_score:
            result.carried = dict(carry.carried)

    def _fresh_student(self, timeout=sandbox.DEFAULT_TIMEOUT):
        if self.missing:
            raise sandbox.StudentCodeError(self.missing, "missing")
        session = self._new_session()
        session.budget = self.budget
        session.timeout = timeout
        self.carry_sessions.append(session)
        return sandbox.StudentModule(session)

    def failure_of(self, test, asking):
        """How the test function ``test`` failed in this grading so far: "value" (a check
        failed), the kind of the student code's failure, or ``None`` (passed, or passed on the
        student's own functions). A test must run after those it depends on."""
        ran = [n for n in self.order[:self.order.index(asking)] if self.results[n].function == test]
        if not ran:
            self.problems.append(f"{asking} carries forward from {test}, which is not a hidden test run "
                                 "before it")
            return None
        kinds = [self.results[n].failure or "value" for n in ran
                 if self.results[n].score < self.results[n].max_score]
        return kinds[0] if kinds else None

    @pytest.fixture
    def rng(self, request):
        """A generator seeded by the run's seed and the test's id."""
        return np.random.default_rng([self.seed_value, seed_key(request.node.nodeid)])

    @pytest.fixture
    def seed(self):
        return self.seed_value

    @pytest.fixture
    def artifacts(self, request):
        """A dict a hidden test fills with plain arrays for the feedback pictures.

        ``artifacts["gmm_fit"] = {"X": X, "means": means}`` keeps values the test
        already holds; a value (or the whole entry) may be a function of no
        arguments, called after the test, so that a picture exists even when a
        check failed (``lambda m=model: m.means_``). List it after ``student``.
        Nothing kept changes a score: what cannot be read is recorded as the
        picture's reason (see :func:`keep_artifacts`).
        """
        kept = {}
        yield kept
        failure = self.failures.get(request.node.nodeid)
        fatal = isinstance(failure, sandbox.StudentCodeError) and failure.kind not in _CALLABLE_AFTER
        for name, value in kept.items():
            self.kept_artifacts[str(name)] = keep_artifacts(request.node.name, value, call=not fatal)

    # -- hooks ----------------------------------------------------------------
    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(n, visibility, timeout, memory_mb, depends): graded test")

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
                visibility=mark.kwargs.get("visibility", "visible"),
                function=getattr(item, "originalname", None) or item.name,
                depends=tuple(mark.kwargs.get("depends", ())))
            self.order.append(item.nodeid)
        known = {r.function for r in self.results.values()}
        for result in self.results.values():
            for name, _ in result.depends:
                if name not in known:
                    self.problems.append(f"{result.id} depends on {name}, which is not a hidden test")

    def pytest_sessionfinish(self, session, exitstatus):
        self.finish()

    def finish(self):
        """Compose every test's feedback once all outcomes are known (any test order).

        A failed test whose ``depends`` include a failed test leads with that
        cause; a warning the student's code emitted adds a note (never points).
        Idempotent.
        """
        if self._finished:
            return
        self._finished = True
        failed = {}
        own = {nodeid: (self.results[nodeid].output, list(self.results[nodeid].mistakes))
               for nodeid in self.order}
        for nodeid in self.order:
            r = self.results[nodeid]
            if r.score < r.max_score and r.function not in failed:
                failed[r.function] = (r, own[nodeid])
        for nodeid in self.order:
            r = self.results[nodeid]
            lines = []
            own_failure = self.failures.get(nodeid)
            unwritten = isinstance(own_failure, sandbox.StudentCodeError) and own_failure.kind == "not_implemented"
            if r.score < r.max_score and not unwritten:  # an unwritten function is its own cause
                for name, phrase in r.depends:
                    cause, cause_output = failed.get(name, (None, None))
                    if cause is None or cause is r:
                        continue
                    why = one_line(_cause_of(cause_output), 240)
                    if phrase:
                        lines.append(f"{phrase}: that part fails its own test ({why}): fix that first.")
                    else:
                        lines.append(f"This test builds on “{cause.name}”, which fails its own test "
                                     f"({why}): fix that first.")
                if lines and r.output:
                    # a mistake guessed downstream of a failed dependency may be that dependency's:
                    # said as a possibility, never counted as one the class made (``root`` False)
                    lines.append(DOWNSTREAM_GUESS.sub(
                        r"\1Possibly (the failing part above may be the whole cause): ", r.output))
                    r.mistakes = [Mistake(m.name, root=False) for m in r.mistakes]
            if lines:
                r.output = "\n".join(lines)
            if r.carried:
                r.output = _carried_text(r, self.results, self.order)
                r.mistakes = []
            if r.notes:
                note = ("Note (costs no points): your code emitted "
                        + "; ".join(one_line(w, 300) for w in r.notes)
                        + "; values were graded, not warnings.")
                r.output = f"{r.output}\n{note}" if r.output else note

    def pytest_collection_finish(self, session):
        self.limit_threads()
        if self.missing:
            return
        # a memory-limited test's sandbox (a process of its own) sets itself up while the tests
        # before it run (_prestart_early); it imports the module at the test's first call,
        # as any sandbox does
        for item in session.items:
            mark = item.get_closest_marker("points")
            memory_mb = mark.kwargs.get("memory_mb") if mark else None
            if memory_mb:
                self.memory_limits.append(memory_mb)
                self.early[item.nodeid] = self._new_session(memory_mb)
        self._prestart_early()
        if self.spare and self.spare_taken:
            # this grading's sandboxes were set up already: the next grading's start now (else once
            # this one's own is ready)
            self._start_spares()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        self.limit_threads()

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
        result.duration += report.duration
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(exc, sandbox.SandboxSetupError):
            self.fatal = str(exc)
            item.session.shouldstop = f"the sandbox could not be set up: {exc}"
        if report.when == "call" and report.passed:
            result.score = result.max_score
        elif report.failed:
            result.score = 0.0
            if report.when == "call" and call.excinfo is not None:
                self.failures[item.nodeid] = call.excinfo.value
            if not result.output:
                result.output = self.describe(call.excinfo)
                exc = call.excinfo.value if call.excinfo is not None else None
                result.failure = exc.kind if isinstance(exc, sandbox.StudentCodeError) else ""
                # only a hidden test's own check names a mistake (never the student's text)
                result.mistakes = ([Mistake(name) for name in named_mistakes(str(exc))]
                                   if isinstance(exc, GradingFailure) else [])
                if (self.intake_notes and isinstance(exc, sandbox.StudentCodeError)
                        and exc.kind in ("import", "syntax") and not self.missing):
                    result.output += "\nNot read from your submission: " + "; ".join(self.intake_notes)

    @staticmethod
    def describe(excinfo):
        exc = excinfo.value if excinfo is not None else None
        if isinstance(exc, GradingFailure):
            return str(exc)
        if isinstance(exc, sandbox.StudentCodeError):
            return _not_named(str(exc))
        if isinstance(exc, AssertionError):
            return "A check in this test failed." + (f" {_not_named(exc)}" if str(exc) else "")
        if exc is None:
            return "This test did not complete."
        return f"This check could not complete: {type(exc).__name__}: {_not_named(exc)}"


def _not_named(text):
    """A message that quotes the student (an exception's text) cannot name a mistake: only the
    hidden tests' checks write lines starting ``Likely mistake:`` (the class report counts them)."""
    return re.sub(r"(?m)^(\s*)(Likely mistake:)", r"\1(quoted) \2", str(text))


# ----------------------------------------------------------------------------
# artifacts: plain arrays kept for the feedback pictures

#: a test failed by one of these may still have its artifact functions called after it
_CALLABLE_AFTER = ("exception", "not_implemented", "bad_return", "warning", "missing")


def keep_artifacts(test, value, *, call=True):
    """An artifact as plain data: ``{"test", "values": {key: array|float|str}, "errors": {key: why}}``.

    Functions are called (when ``call``); numbers become NumPy arrays or floats,
    strings are :func:`autograder.text.clean`-ed; anything else (an object of the
    student's, ragged lists) is left out with the reason in ``errors``.
    ``"reason"`` is set when the whole entry could not be read.
    """
    out = {"test": test, "values": {}, "errors": {}}
    try:
        value = _resolved(value, call)
    except Exception as exc:  # noqa: BLE001 - a picture never breaks a grading
        out["reason"] = _why(exc)
        return out
    if not isinstance(value, dict):
        value = {"value": value}
    budget = MAX_ARTIFACT_ELEMENTS
    for key, v in value.items():
        key = str(key)
        try:
            v = _plain(_resolved(v, call))
            size = v.size if isinstance(v, np.ndarray) else 1
            if size > budget:
                raise ValueError(f"too large to keep ({size} numbers)")
            budget -= size
            out["values"][key] = v
        except Exception as exc:  # noqa: BLE001
            out["errors"][key] = _why(exc)
    return out


def _resolved(value, call):
    if callable(value) and not isinstance(value, sandbox.RemoteObject):
        if not call:
            raise RuntimeError("not read: the process running the code had stopped")
        return value()
    return value


def _plain(value):
    from .text import clean
    if isinstance(value, str):
        return clean(value, limit=500)
    if isinstance(value, sandbox.RemoteObject):
        raise TypeError(f"a {value.type_name} object, not numbers")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    arr = np.asarray(value)
    if arr.dtype.kind == "O":
        arr = arr.astype(float)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"values of type {arr.dtype}, not numbers")
    return np.array(arr, dtype=bool if arr.dtype.kind == "b" else float)


def _why(exc):
    from .text import clean
    if isinstance(exc, sandbox.StudentCodeError):
        return clean(exc, limit=500)
    return clean(f"{type(exc).__name__}: {exc}", limit=500)


#: A "Likely mistake:" line of a test whose dependency failed in the same grading.
DOWNSTREAM_GUESS = re.compile(r"(?m)^(\s*)Likely mistake:\s*")


#: The first line of a test passed on the student's own functions (said to the student; the
#: results' field ``carried`` says it to programs).
CARRIED = "Passed on your own {functions}"


def _carried_text(result, results, order):
    """The feedback of a test passed only on the student's own functions (error carried forward)."""
    names = sorted(result.carried)
    functions = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    own = {}
    for nodeid in order:
        r = results[nodeid]
        own.setdefault(r.function, r)
    where = "; ".join(f"{fn}'s mistake is charged once, in “{own[t].name}”" if t in own else fn
                      for fn, t in sorted(result.carried.items()))
    return CARRIED.format(functions=functions) + f" (error carried forward): {where}."


def _cause_of(failed):
    """What a failed test's feedback names as the mistake: its first named mistake, else the first
    line of its feedback (``failed``: its ``(output, mistakes)`` before :meth:`GradingPlugin.finish`)."""
    output, mistakes = failed
    if mistakes:
        return mistakes[0].name
    lines = [ln for ln in (output or "").splitlines() if ln.strip()]
    return lines[0] if lines else "it did not complete"


# ----------------------------------------------------------------------------
# grading


def grade(assignment, submission, *, seed=None, python=None, quiet=True, tests_root=None, hide=(),
          carry_forward=None, spare=False):
    """Grade one submission; never raises for anything the submission does.

    ``submission`` is a path (a file or a folder) or an :class:`autograder.intake.Snapshot`
    taken earlier (what the nbgrader cross-check grades). ``tests_root`` replaces
    ``hidden_tests/`` (the kit's own tests grade small made-up assignments with it).
    ``hide`` lists more folders the submission must not see (grade-all passes the class
    folder when it grades a copy of an LMS download kept elsewhere).
    Raises :class:`GraderError` when the grader cannot run: unknown assignment,
    missing path, or the hidden tests failing to start, to be collected or
    collecting none (never a score of 0 / 0). ``carry_forward`` (default: :func:`carry_forward`)
    turns error carried forward on or off.

    ``spare``: this process grades one submission after another (a ``grade-all`` or Dask
    worker). Once this grading's sandbox is set up, the next grading's starts setting itself
    up — interpreter, libraries, namespaces, allow-listed root, unprivileged user, audit hook —
    with no submission: its files go with its first request. The next grading takes it only if
    it fits (same module, interpreter and private folders) and it has run nothing; else it is
    closed and a fresh one started. The same for each memory-limited test's sandbox. At most
    one spare per module and memory limit; closed at exit.
    """
    tests_root = TESTS if tests_root is None else Path(tests_root)
    if tests_root == TESTS and assignment not in assignments():
        raise GraderError(f"unknown assignment {assignment!r}; choose one of {', '.join(assignments())}")
    if isinstance(submission, intake.Snapshot):
        snap, submission = submission, Path(submission.submission)
        if snap.assignment != assignment:
            raise GraderError(f"the snapshot was taken for {snap.assignment}, not {assignment}")
    else:
        submission = Path(submission)
        if not os.path.lexists(submission):
            raise GraderError(f"no such file or folder: {one_line(submission)}")
        snap = intake.collect(assignment, submission)
    seed = secrets.randbits(31) if seed is None else int(seed)
    start = time.perf_counter()
    grading = Grading(assignment, one_line(submission, limit=300), seed)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="autograder-src-") as tmp:
        # the class folder (other students' work) where that is safe, else the submission itself
        where = Path(os.path.abspath(submission))
        hidden = [*private_dirs(), where.parent, where, *(Path(os.path.abspath(h)) for h in hide)]
        sources = snap.write(tmp) or None
        budget = sandbox.Budget(TIME_BUDGET.get(assignment, DEFAULT_TIME_BUDGET))
        grading.budget = budget.seconds
        if carry_forward is None:
            carry_forward = globals()["carry_forward"](assignment, tests_root)
        grading.carry_forward = bool(carry_forward)
        plugin = GradingPlugin(assignment, sources, seed, hidden, python=python, budget=budget,
                               carry_forward=grading.carry_forward, spare=spare)
        # without a module every test is still listed, with its points and 0
        plugin.missing = snap.problem if sources is None else None
        plugin.intake_notes = [r.reason for r in snap.refused[:intake.MAX_NOTES]]
        if sources is not None:
            # the sandbox sets itself up (its own process: interpreter, NumPy, SciPy, namespaces)
            # while pytest collects the hidden tests here; nothing of the student's runs before
            # the first test's first call
            plugin.session = plugin._new_session()
            plugin.spare_taken = plugin.session.adopted
            plugin.session.prestart()
        args = [str(tests_root / assignment), "-q", "-c", str(PYTEST_INI), "--rootdir", str(ROOT),
                "-p", "no:cacheprovider", "--assert=plain", "--import-mode=importlib",
                # no plugin of the machine's (xdist, anyio, ...): none is needed, each costs
                # start-up, and the hidden tests run the same wherever the kit is installed
                "--disable-plugin-autoload", "-p", "no:randomly", "--tb=native",
                # its two gc.collect() per run cost 0.3-0.9 s a grading (bench_class.py)
                "-p", "no:unraisableexception"]
        sink = io.StringIO()
        try:
            # one BLAS thread for the grader's own computations (scikit-learn, SciPy, the
            # reference): on a busy machine multi-threaded BLAS spins and runs many times slower
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                plugin.limit_threads()
                code = pytest.main(args, plugins=[plugin])
        finally:
            plugin.restore_threads()
            plugin.close()
    plugin.finish()
    detail = clean(sink.getvalue()[-3000:])
    if plugin.fatal:
        raise SandboxUnavailable(f"the sandbox could not be set up, so nothing was graded: {plugin.fatal}")
    if plugin.problems:
        raise GraderError("the hidden tests are broken; nothing was graded (not your fault)",
                          detail="\n".join(plugin.problems) + "\n" + detail)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not plugin.order:
        stopped = code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED,
                               pytest.ExitCode.NO_TESTS_COLLECTED)
        why = (f"pytest stopped with exit status {int(code)} ({getattr(code, 'name', code)})"
               if stopped else "no hidden test was collected")
        raise GraderError(f"the hidden tests could not run: {why}; nothing was graded (not your "
                          "fault; please tell your instructor)", detail=detail)
    missing = [n for n in plugin.order if n not in plugin.results]
    if missing:
        raise GraderError("the hidden tests could not run completely; nothing was graded",
                          detail=detail)
    grading.tests = [plugin.results[n] for n in plugin.order]
    for t in grading.tests:
        t.name = one_line(t.name, limit=300)
        t.output = clean(t.output, limit=OUTPUT_LIMIT)
    grading.artifacts = plugin.kept_artifacts
    grading.execution_time = time.perf_counter() - start
    grading.isolation = plugin.unisolated_note
    grading.output = _summary(grading, plugin, snap)
    grading.reason = _reason(plugin, sources, snap)
    _record_stats(grading)
    return grading


def _record_stats(grading):
    """Append the grader's own figures to ``$AUTOGRADER_STATS`` (a JSON-lines file), if set.

    For the kit's tests and benchmarks: this process's peak resident memory so
    far (the grader's, never the sandbox child's) and the grading's wall time.
    """
    path = os.environ.get("AUTOGRADER_STATS")
    if not path:
        return
    import resource

    line = {"pid": os.getpid(), "assignment": grading.assignment,
            "submission": Path(grading.submission).name,
            "grader_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "wall_s": round(grading.execution_time, 2)}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


def _reason(plugin, sources, snap):
    """Why the grading could not complete, from what the engine knows: a key of
    :data:`autograder.results.REASONS` ("" if it did)."""
    if sources is None:
        return "refused" if snap.refused else "missing"
    failure = plugin.session.import_failure if plugin.session is not None else None
    if failure is not None:
        return import_failure_reason(failure.kind)
    if plugin.budget.left() <= 0:  # the engine's own clock, never what a test's output says
        return BUDGET
    return ""


def _summary(grading, plugin, snap):
    lines = [f"{grading.assignment}: {grading.score:g} / {grading.max_score:g} points.",
             f"Data for this run were drawn with seed {grading.seed} "
             f"(regrade: python -m autograder grade {grading.assignment} SUBMISSION --seed {grading.seed})."]
    if grading.isolation:
        lines.insert(1, f"Note: Graded without isolation: {grading.isolation}.")
    notes = snap.notes()
    if notes:
        lines.append("Not read from your submission (the rest was graded):")
        lines.extend(f"  - {n}" for n in notes)
    sessions = [s for s in [plugin.session] if s is not None]
    for s in sessions:
        lines.extend(f"Note: {clean(e, limit=500)}." for e in s.events[:5])
        printed = clean(s.captured_output().strip())
        if printed:
            cut = printed[:1500] + ("\n[...]" if len(printed) > 1500 else "")
            # every printed line indented: nothing printed can pass for the grader's own lines
            lines.append("Your code printed (first lines shown; printing is never graded):\n"
                         + "\n".join("  | " + ln for ln in cut.splitlines()))
    return "\n".join(lines)
