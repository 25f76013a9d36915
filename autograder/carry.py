"""Error carried forward: one mistake, one charge (docs/GRADING.md, "Partial credit").

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
import inspect
import itertools
import sys
import types

import numpy as np

from . import sandbox
from .harness import GradingFailure, reference
from .paths import reference_module

#: the kinds of a dependency's failure that carry forward: a wrong value (a failed check)
CARRIES = ("value",)
_ids = itertools.count()


#: Calls of a replaced function kept whole for :func:`why_degenerate`: the first ones and the
#: latest. A composed loop runs up to its ``max_iter`` rounds, and a copy of every round's arrays
#: once stayed in the grader (5 GB for a bmm fit on 600 MNIST images that never converged); of the
#: others, what the checks need is kept as the calls come (how many, whether every one had the first
#: call's inputs, whether one returned its own input).
KEPT_CALLS = 32


class _Recorded:
    """A student function as the composed reference calls it: plain data in, plain data out,
    its calls kept (copies of their arguments and results: the reference may change what it got
    in place; the first :data:`KEPT_CALLS` and the latest) for the checks of :meth:`Carry.check`."""

    def __init__(self, name, function):
        self.name = name
        self.function = function
        self.calls = []      # (args, kwargs, result): the first KEPT_CALLS calls, then the latest last
        self.count = 0       # every call
        self.still = True    # every call had the first call's inputs (to ~9 digits)
        self.echoed = False  # a call returned one of its own inputs unchanged
        self.worked = False  # set by why_degenerate: a finite answer moved with the reference's

    def __call__(self, *args, **kwargs):
        result = _plain(self.function(*args, **kwargs))
        self.record((_copied(args), _copied(kwargs), _copied(result)))
        return result

    def record(self, call):
        """Count ``call`` and keep it (the first calls; past :data:`KEPT_CALLS`, the latest only)."""
        self.count += 1
        if self.calls:
            self.still = self.still and _same_inputs(self.calls[0], call)
        self.echoed = self.echoed or _echoes(call)
        if len(self.calls) <= KEPT_CALLS:
            self.calls.append(call)
        else:
            self.calls[-1] = call


def _copied(value):
    """A copy of plain data (arrays, numbers, tuples, lists, dicts); anything else kept as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copied(v) for v in value)
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    return value


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
    """The numeric arrays in a result or an argument list (tuples and lists opened), in order."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)) and not _numeric(value):
        return [a for v in value for a in _arrays(v)]
    if isinstance(value, (np.ndarray, float, int, np.floating, np.integer)) or _numeric(value):
        return [np.asarray(value, dtype=float)]
    return []


#: what "the same" means for the checks below: equal to ~9 digits (a jitter of 1e-13 is no work)
SAME_RTOL = 1e-9


def _near(a, b):
    """Equal to :data:`SAME_RTOL` (NaN equal to NaN, infinities to themselves)."""
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(a - b) <= SAME_RTOL * np.maximum(np.abs(a), np.abs(b)) + 1e-300
    return bool(np.all(close | (a == b) | (np.isnan(a) & np.isnan(b))))


def _inputs(call):
    args, kwargs, _ = call
    return _arrays(list(args) + list(kwargs.values()))


def _echoes(call):
    """Whether ``call`` returned one of its own (array) inputs unchanged."""
    ins = _inputs(call)
    return any(out.size > 1 and any(out.shape == x.shape and np.array_equal(out, x) for x in ins)
               for out in _arrays(call[2]))


def _same_inputs(c1, c2):
    a1, a2 = _inputs(c1), _inputs(c2)
    return len(a1) == len(a2) and all(_near(x, y) for x, y in zip(a1, a2))


def _symmetric(a):
    return a.ndim >= 2 and a.shape[-1] == a.shape[-2] and np.allclose(a, np.swapaxes(a, -1, -2))


def _probes(args, rng):
    """``(i, arguments)``: the call's arguments with the numeric array ``i`` changed by a random
    factor in [0.8, 1.25] per entry, for every numeric array but the first (the data; the first
    too when it is the only one); a symmetric matrix (a covariance) as S·C·S with S diagonal, so
    that it stays symmetric and positive definite."""
    numeric = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size]
    for i in numeric[1:] or numeric:
        a, out = args[i], list(args)
        if _symmetric(a):
            scale = np.exp(rng.uniform(np.log(0.8), np.log(1.25), size=a.shape[:-1]))
            out[i] = a * scale[..., :, None] * scale[..., None, :]
        else:
            out[i] = a * np.exp(rng.uniform(np.log(0.8), np.log(1.25), size=a.shape))
        yield i, out


#: a replaced function responds to a change where its output moves by at least this fraction of the
#: reference's change: a jitter far below the tests' tolerance (1e-6) is no work, an honest mistake's
#: scale (a mean for a total over 10⁴ rows) is
RESPONSE = 1e-4


def _changes(r1, r2):
    """Per output array of two results: its entries' changes and magnitudes; None if they differ in form."""
    o1, o2 = _arrays(r1), _arrays(r2)
    if len(o1) != len(o2) or any(a.shape != b.shape for a, b in zip(o1, o2)):
        return None
    out = []
    for a, b in zip(o1, o2):
        with np.errstate(invalid="ignore", over="ignore"):
            change = np.where((a == b) | (np.isnan(a) & np.isnan(b)), 0.0, np.abs(a - b))
            size = np.maximum(np.abs(a), np.abs(b))
        out.append((np.where(np.isnan(change), np.inf, change).ravel(),
                    np.where(np.isfinite(size), size, 0.0).ravel(),
                    (np.isfinite(a) & np.isfinite(b)).ravel()))
    return out


def _responses(ref_pair, got_pair, arrays_only=False):
    """For each output the reference moves (beyond rounding): whether the student's moved with it —
    at least 1 % of the entries the reference moves (one at least) by :data:`RESPONSE` of the
    reference's change, entry by entry (a few extreme entries cannot hide the rest)."""
    ref, got = _changes(*ref_pair), _changes(*got_pair)
    if ref is None or got is None or len(ref) != len(got):
        return []  # answers of another form: no evidence either way
    out = []
    for (r, size, _), (g, _, finite) in zip(ref, got):
        moved = r > 1e-12 * size
        if not moved.any() or (arrays_only and r.size == 1):
            continue
        # entries the student's answer has as NaN or ±inf both times (a 0·log 0 of an honest mistake)
        # are no evidence either way (Carry.check asks that some replaced function show work)
        usable = moved & finite
        if not usable.any():
            continue  # the answer is NaN or ±inf wherever the reference moves: no evidence either way
        followed = int(np.sum(g[usable] >= RESPONSE * r[usable]))
        out.append(followed >= max(1, 0.01 * usable.sum()))
    return out


def _stood_still(recorded):
    """Whether every call of ``recorded`` (two at least) had the first call's inputs."""
    return recorded is not None and recorded.count >= 2 and recorded.still


def why_degenerate(recorded, rng, iterative=False, right=None, reference_run=None):
    """Why a replaced function does no work, or ``None``.

    ``right`` is the reference's function of the same name (``None`` for a class): where it gives
    different outputs for two of the calls' inputs (or for one probe call with the non-data
    arguments changed), the student's must too, output by output (responsibilities and
    log-likelihood apart: a log-likelihood jittered by 1e-13 does not make constant
    responsibilities work), and a probe on which the reference answers must not raise. The
    function must never return one of its own inputs unchanged. In an iterative composition (EM's
    loop, ``iterative``), it must not be called again and again with the same inputs (to ~9
    digits) where the reference's own run of the same composition (``reference_run``: the
    reference's function as it recorded there) moves: the loop stood still at its start, the fixed point a "fit"
    that does nothing needs (with K = 1 the reference's loop stands still too, and that is fine)."""
    calls = recorded.calls
    if not any(_arrays(result) for _, _, result in calls):
        return None  # a class or a method's object: its numbers are checked where they are read
    if iterative and _stood_still(recorded) and not _stood_still(reference_run):
        return (f"the loop stood still: every call of your {recorded.name} had the same inputs, so the "
                "composition never moved from its start")
    if recorded.echoed:
        return f"your {recorded.name} returned one of its own inputs unchanged"
    if right is None:
        return None

    def reference_of(args, kwargs):
        try:
            return _plain(right(*_copied(args), **_copied(kwargs)))
        except Exception:  # noqa: BLE001 - the reference refuses these inputs: no evidence either way
            return None

    # two calls with different inputs: where the reference's outputs differ, the student's must
    distinct = []
    for call in calls:
        if not any(_same_inputs(call, seen) for seen in distinct):
            distinct.append(call)
    # pairs of calls whose inputs have the same shapes (a loop's successive calls, or cases of one
    # size): a constant answer hides nowhere behind answers of another shape
    shapes = {}
    for call in distinct[:24]:
        shapes.setdefault(tuple(a.shape for a in _inputs(call)), []).append(call)
    pairs = [(group[0], other) for group in shapes.values() for other in group[1:4]][:8]
    for first, other in pairs:
        ref_first, ref_other = reference_of(first[0], first[1]), reference_of(other[0], other[1])
        if ref_first is None or ref_other is None:
            continue
        # output by output, but a number of its own (a log-likelihood) may stay put: an E-step whose
        # log-likelihood underflows to 0 is an honest mistake (charged in its test), and the loop that
        # then stops at its second iteration is the student's loop on it
        responses = _responses((ref_first, ref_other), (first[2], other[2]), arrays_only=True)
        if not all(responses):
            return f"your {recorded.name} returned the same value for inputs on which the answer differs"
        recorded.worked = recorded.worked or bool(responses)
    # probes: the last call with one non-data argument changed at a time; where the reference's answer
    # moves, the student's must move with it (:data:`RESPONSE`: a jitter is no work). An honest mistake
    # may drop one input from one output — responsibilities normalised over the samples no longer see
    # the weights — so here one output will do; the calls above compare output by output.
    args, kwargs, result = calls[-1]
    ref_before = reference_of(args, kwargs)
    if ref_before is None:
        return None
    try:
        names = list(inspect.signature(right).parameters)
    except (TypeError, ValueError):
        names = []
    for i, probe in _probes(list(args), rng):
        ref_after = reference_of(probe, kwargs)
        if ref_after is None:
            continue
        try:
            again = _plain(recorded.function(*probe, **_copied(kwargs)))
        except sandbox.SandboxSetupError:
            raise
        except Exception:  # noqa: BLE001
            return f"your {recorded.name} failed on slightly changed inputs on which the reference answers"
        responses = _responses((ref_before, ref_after), (result, again))
        recorded.worked = recorded.worked or any(responses)
        if responses and not any(responses):
            what = names[i] if i < len(names) else f"argument {i + 1}"
            return f"your {recorded.name} did not respond to a change of its {what} (the reference's answer does)"
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
        path = reference_module(assignment)
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

    def _reference_run(self, compare, functions):
        """The same composition on the reference's own functions (run here, on the reference
        alone), each as it recorded its calls: what a loop that moves looks like on these data."""
        recorded = {name: _Recorded(name, fn) for name, fn in functions.items()}
        try:
            compare(composed(self.assignment, recorded))
        except Exception:  # noqa: BLE001 - the student's answer need not match the reference's run
            pass
        return recorded

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
            right = reference(self.assignment)
            functions = {name: getattr(right, name, None) for name in recorded}
            functions = {k: v for k, v in functions.items() if isinstance(v, types.FunctionType)}
            reference_run = self._reference_run(compare, functions) if iterative else {}
            why = None
            for r in recorded.values():
                why = why_degenerate(r, self._rng, iterative, functions.get(r.name),
                                     reference_run.get(r.name))
                if why:
                    break
            # answers that are NaN wherever the reference's move are no evidence either way, but some
            # replaced function must show work: a finite answer that moved with the reference's
            checked = [r for r in recorded.values() if r.name in functions
                       and any(_arrays(res) for _, _, res in r.calls)]
            if not why and checked and not any(r.worked for r in checked):
                why = ("none of your " + ", ".join(r.name for r in checked) + " gave a finite answer that "
                       "moves with its inputs")
            if why:
                self.refused = why
                raise GradingFailure(f"{first}\nNot carried forward: {why}, so your answer "
                                     "cannot be credited on it (docs/GRADING.md, “Partial credit”).") from None
            # name the functions the composition called (a replaced helper it never reached is not one)
            called = {fn: test for fn, test in own.items() if recorded[fn].calls}
            self.carried.update(called or own)
            return None
