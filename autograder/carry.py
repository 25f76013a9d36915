"""Error carried forward: one mistake, one charge (GRADING.md, "Partial credit").

A hidden test whose expected value composes other graded functions (EM's
loop runs ``e_step`` and ``m_step``; ``e_step`` runs ``log_gaussian_prob``)
checks the student's answer with :meth:`Carry.check`::

    carry.check(lambda module: expect_same_run(model, module, ...),
                uses={"e_step": "test_e_step_full", "m_step": "test_m_step_full"})

``compare(module)`` computes its expectation with ``module`` and raises
:class:`~autograder.harness.GradingFailure` when the student's answer differs.
It is called first with ``None`` (the test's own expectation: the reference,
scikit-learn, SciPy). When that fails and a function named in ``uses``
failed **its own** test in this grading on a wrong value (not a crash, not an
unwritten stub), it is called a second time with the reference module whose
failed functions are the **student's own**: the composition (the reference's
loop, stopping rule, arg-min) runs here in the grader, and each call of a
replaced function goes to the student's code in a fresh sandbox, through the
``student`` proxy — the reference never enters the child. If the student's
answer matches that second expectation, the test passes "on your own
e_step": the mistake is charged where it is made, once.

Carried-forward points are earned only by code that does the composing:

- only functions whose own test failed on a value are replaced (a stub's
  ``NotImplementedError`` or a crash carries nothing);
- the student's functions run in a **fresh** sandbox process, so nothing the
  student's other calls left behind (a stored answer) can steer them;
- every replaced function must respond to its input: a function that returns
  its own input, or the same value for different inputs (also for one probe
  call with its non-data arguments changed), carries nothing;
- a loop (``iterative=True``: EM) must move: if a replaced function is called
  again and again with the very same inputs, the composition stood still at
  its start — the fixed point a "fit" that does nothing would need — and
  nothing is carried.
"""
from __future__ import annotations

import importlib.util
import itertools
import sys

import numpy as np

from . import sandbox
from .harness import ROOT, GradingFailure, reference

#: the kinds of a dependency's failure that carry forward: a wrong value (a failed check)
CARRIES = ("value",)
_ids = itertools.count()


class Degenerate(Exception):
    """A replaced function does no work (constant, or its own input)."""


class _Recorded:
    """A student function as the composed reference calls it: plain data in, plain data out,
    every call kept (arguments and result) for the checks of :meth:`Carry.check`."""

    def __init__(self, name, function):
        self.name = name
        self.function = function
        self.calls = []

    def __call__(self, *args, **kwargs):
        result = _plain(self.function(*args, **kwargs))
        self.calls.append((args, kwargs, result))
        return result


def _plain(value):
    """What crossed back as the reference would use it: numbers as arrays, tuples kept."""
    if isinstance(value, (tuple, list)) and value and not _numeric(value):
        return type(value)(_plain(v) for v in value) if isinstance(value, tuple) else [_plain(v) for v in value]
    if isinstance(value, sandbox.RemoteObject) or value is None or isinstance(value, str):
        return value
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return value
    return arr if arr.dtype.kind in "biuf" else value


def _numeric(value):
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except (TypeError, ValueError):
        return False


def _arrays(value):
    """The numeric arrays in a result or an argument list (tuples and lists opened)."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)) and not _numeric(value):
        return [a for v in value for a in _arrays(v)]
    if isinstance(value, (np.ndarray, float, int, np.floating, np.integer)) or _numeric(value):
        arr = np.asarray(value, dtype=float)
        return [arr]
    return []


def _same(a, b):
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def _same_result(r1, r2):
    a1, a2 = _arrays(r1), _arrays(r2)
    return len(a1) == len(a2) and all(_same(x, y) for x, y in zip(a1, a2))


def _probe_args(args, rng):
    """The call's arguments with every numeric array but the first (the data) scaled entry by
    entry by a random factor in [0.8, 1.25] (all of them when there is only one)."""
    numeric = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size]
    change = numeric[1:] or numeric
    out = list(args)
    for i in change:
        out[i] = args[i] * np.exp(rng.uniform(np.log(0.8), np.log(1.25), size=args[i].shape))
    return out, bool(change)


def why_degenerate(recorded, rng, iterative=False):
    """Why a replaced function does no work, or ``None``: it returned one of its own inputs, or
    the same result for different inputs (a probe call with changed inputs included); in an
    iterative composition (EM's loop), it was called again and again with the very same inputs
    (the loop stood still at its start: a fixed point engineered for a fit that does nothing)."""
    calls = recorded.calls
    if not any(_arrays(result) for _, _, result in calls):
        return None  # a class or a method's object: its numbers are checked where they are read
    keys = {tuple(a.tobytes() for a in _arrays(list(args) + list(kwargs.values()))) for args, kwargs, _ in calls}
    if iterative and len(calls) >= 2 and len(keys) == 1:
        return (f"the loop stood still: every call of your {recorded.name} had the same inputs, so the "
                "composition never moved from its start")
    for args, kwargs, result in calls:
        ins = _arrays(list(args) + list(kwargs.values()))
        for out in _arrays(result):
            if out.size > 1 and any(_same(out, x) for x in ins):
                return f"your {recorded.name} returned one of its own inputs unchanged"
    distinct = {}
    for args, kwargs, result in calls:
        key = tuple(a.tobytes() for a in _arrays(list(args) + list(kwargs.values())))
        distinct.setdefault(key, result)
    results = list(distinct.values())
    if len(results) >= 2 and all(_same_result(results[0], r) for r in results[1:]):
        return f"your {recorded.name} returned the same value for different inputs"
    if len(results) == 1:
        args, kwargs, result = calls[-1]
        probe, changed = _probe_args(list(args), rng)
        if changed:
            try:
                again = _plain(recorded.function(*probe, **kwargs))
            except Exception:  # noqa: BLE001 - a failing probe is a function that responds
                return None
            if _same_result(result, again):
                return f"your {recorded.name} returned the same value when its inputs changed"
    return None


def is_own(module, name):
    """Whether ``module`` (a composition of :meth:`Carry.check`) runs the student's own ``name``."""
    return isinstance(getattr(module, name, None), _Recorded)


_SOURCES = {}


def composed(assignment, overrides):
    """A fresh copy of the reference module whose functions named in ``overrides`` are replaced
    (each a callable). The reference's code calls them through its module's globals, so every
    composition (a loop, a method) runs the replacements."""
    if assignment not in _SOURCES:
        path = ROOT / "solutions" / assignment / f"{assignment}.py"
        _SOURCES[assignment] = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    reference(assignment)  # the same module is importable (its own imports resolved once)
    name = f"reference_{assignment}_own_{next(_ids)}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        exec(_SOURCES[assignment], module.__dict__)
    finally:
        sys.modules.pop(name, None)
    for fn, replacement in overrides.items():
        setattr(module, fn, replacement)
    return module


class Carry:
    """A test's error carried forward (the ``carry`` fixture); see the module's docstring.

    ``failure_of(test)`` gives how a test of this grading failed ("value", another kind, or
    ``None`` if it passed or has not run); ``fresh_student()`` a ``student`` proxy on a new
    sandbox process; ``enabled`` is False with ``--no-carry-forward`` or the assignment's
    ``CARRY_FORWARD = False``.
    """

    def __init__(self, assignment, *, enabled, failure_of, fresh_student, seed=0):
        self.assignment = assignment
        self.enabled = enabled
        self._failure_of = failure_of
        self._fresh_student = fresh_student
        self._student = None
        self._rng = np.random.default_rng(seed)
        #: {function: the test it failed} the test passed on (the student's own functions)
        self.carried = {}
        #: why a carried-forward pass was refused (said in the feedback), or ""
        self.refused = ""

    def failed(self, test):
        """Whether the test function ``test`` (run earlier in this grading) failed on a value, so
        what it checks is charged there (always False with carrying forward off)."""
        return self.enabled and self._failure_of(test) in CARRIES

    def own_failures(self, uses):
        """The functions of ``uses`` ({function: its test, or a tuple of its tests}) whose test
        (one of them) failed on a value: {function: that test}."""
        out = {}
        for fn, tests in uses.items():
            for test in (tests,) if isinstance(tests, str) else tests:
                if self._failure_of(test) in CARRIES:
                    out[fn] = test
                    break
        return out

    def note(self, function, test):
        """Record that this test's check of ``function``'s part was left to ``test`` (which failed
        on it): the feedback says so, like a carried-forward pass."""
        self.carried[function] = test

    def check(self, compare, uses, *, iterative=False):
        """Run ``compare(None)``; on a failure, once more on the student's own failed functions.

        ``iterative``: the composition is a loop (EM), which must move (see :func:`why_degenerate`)."""
        try:
            return compare(None)
        except GradingFailure as first:
            own = self.own_failures(uses) if self.enabled else {}
            if not own:
                raise
            if self._student is None:
                self._student = self._fresh_student()
            recorded = {fn: _Recorded(fn, getattr(self._student, fn)) for fn in own}
            module = composed(self.assignment, recorded)
            try:
                compare(module)
            except sandbox.SandboxSetupError:
                raise
            except Exception:  # noqa: BLE001 - no match (or the composition broke): the first failure
                raise first from None
            for r in recorded.values():
                why = why_degenerate(r, self._rng, iterative)
                if why:
                    self.refused = why
                    raise GradingFailure(f"{first}\nNot carried forward: {why}, so your answer "
                                         "cannot be credited on it (GRADING.md, “Partial credit”).") from None
            # name the functions the composition called (a replaced helper it never reached is not one)
            called = {fn: test for fn, test in own.items() if recorded[fn].calls}
            self.carried.update(called or own)
            return None
