"""What hidden tests import: points, the reference, and checks with feedback.

Every check converts the student's value the way the spec promises
(``np.asarray`` / ``float``: a list, a tuple or a 0-d array is never marked
wrong), then compares, and on failure raises :class:`GradingFailure` whose
message is the student's feedback: what was checked, expected against got,
the first mismatching entry, and the likely mistake when the value matches
one of the test's :class:`Mistake` candidates.
"""
from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import threading
from collections import OrderedDict
from functools import wraps
from typing import NamedTuple

import numpy as np
import pytest

from .sandbox import RemoteObject
from .paths import reference_module

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class GradingFailure(AssertionError):
    """A check failed; ``str(exc)`` is the message the student reads."""


class Mistake(NamedTuple):
    """A recognisable wrong answer and the message that names it.

    ``value`` is what a submission making that mistake returns (computed by
    the test from the same data); ``message`` says the mistake in the
    student's terms, e.g. ``"variance divided by n−1; the MLE divides by n"``.
    """

    value: object
    message: str


def points(n, *, visibility="visible", timeout=None, memory_mb=None, depends=()):
    """Declare a hidden test's points (and its visibility, limits and dependencies).

    ``timeout`` is the wall-clock limit of each call into the student's code
    (seconds); ``memory_mb`` runs the test's calls in a child process of its
    own with that address-space limit. ``depends`` names the tests (function
    names, same assignment) whose functions this test's calls build on, either
    as a tuple or as a dict ``{test name: phrase}`` whose phrase says how, e.g.
    ``{"test_m_step_full": "GaussianMixtureEM.fit runs your gmm_m_step"}``:
    when this test fails and one of those failed in the same grading, its
    feedback leads with that cause ("…, which fails its own test (…): fix that
    first"). Warnings the student's code emits never cost points; the feedback
    mentions them in a note. The test's name in the results is the first line
    of its docstring followed by ``(n pts)``.
    """
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}")
    if isinstance(depends, str):
        depends = (depends,)
    if isinstance(depends, dict):
        depends = tuple(depends.items())
    else:
        depends = tuple((name, None) for name in depends)
    if not all(isinstance(k, str) and k.startswith("test_") and (v is None or isinstance(v, str))
               for k, v in depends):
        raise ValueError("depends must name test functions (test_...), as a tuple or {name: phrase}")
    return pytest.mark.points(n, visibility=visibility, timeout=timeout, memory_mb=memory_mb,
                              depends=depends)


def reference(assignment):
    """The reference solution ``solutions/<assignment>/<assignment>.py``.

    Imported in the (trusted) grader process under the name
    ``reference_<assignment>`` so it never shadows a student module.
    """
    name = f"reference_{assignment}"
    if name not in sys.modules:
        path = reference_module(assignment)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_SAME = OrderedDict()   # (function, digest of its arguments) -> result, in this grader process
_SAME_MAX = 128
_SAME_LOCK = threading.Lock()


def _digest(h, value):
    if isinstance(value, np.ndarray):
        h.update(f"a{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (list, tuple)):
        h.update(f"l{len(value)}".encode())
        for v in value:
            _digest(h, v)
    elif isinstance(value, dict):
        for k in sorted(value):
            _digest(h, k)
            _digest(h, value[k])
    elif value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        h.update(f"{type(value).__name__}:{value!r}".encode())
    else:
        raise TypeError(f"same_for_every_student: cannot key an argument of type {type(value).__name__}")


def same_for_every_student(fn):
    """``fn`` (a grader-side computation, never the student's) computed once per argument values.

    Test data come from the run's seed, so in ``grade-all`` every student of
    the class gets the very same expected values; this keeps them in the
    grader process (a pool or Dask worker grades many students) instead of
    recomputing the reference, scikit-learn or SciPy for each one. The key
    is a SHA-256 of the arguments' bytes (not the seed: a changed test draws
    other data and misses the cache). Arrays come back read-only, so no test
    can alter what the next student is compared with.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    @wraps(fn)
    def cached(*args, **kwargs):
        h = hashlib.sha256(name.encode())
        _digest(h, args)
        _digest(h, kwargs)
        key = h.digest()
        with _SAME_LOCK:  # (a value may be computed in_background)
            if key in _SAME:
                _SAME.move_to_end(key)
                return _SAME[key]
        value = fn(*args, **kwargs)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        with _SAME_LOCK:
            _SAME[key] = value
            while len(_SAME) > _SAME_MAX:
                _SAME.popitem(last=False)
        return value

    return cached


class in_background:  # noqa: N801 - used like a function: expected = in_background(f, X, h)
    """``fn(*args, **kwargs)`` (a grader-side computation, never the student's) computed in a
    thread of the grader while the test waits for the student's sandboxed call: the two run on
    two cores instead of one after the other. ``.result()`` waits for the value (or raises what
    ``fn`` raised). The same computation, on the same data, as calling ``fn`` in place.
    """

    def __init__(self, fn, *args, **kwargs):
        self._value = self._error = None
        self._thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True,
                                        name=f"in_background({getattr(fn, '__name__', fn)})")
        self._thread.start()

    def _run(self, fn, args, kwargs):
        try:
            self._value = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - raised again by result()
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


# ----------------------------------------------------------------------------
# conversions


def fail(message):
    raise GradingFailure(message)


def expect(condition, message):
    """Fail with ``message`` unless ``condition`` holds."""
    if not condition:
        raise GradingFailure(message)


def _as_numbers(got, what):
    if isinstance(got, RemoteObject):
        fail(f"{what}: expected numbers, got a {got.type_name} object")
    try:
        arr = np.asarray(got)
        if arr.dtype.kind == "O":
            arr = arr.astype(float)
    except (TypeError, ValueError) as exc:
        fail(f"{what}: could not be read as an array of numbers ({exc})")
    if arr.dtype.kind not in "biufc":
        fail(f"{what}: expected numbers, got values of type {arr.dtype}")
    return arr


def _fmt(x):
    if isinstance(x, (np.floating, float)):
        return f"{x:.10g}"
    return repr(x.item() if hasattr(x, "item") else x)


def _shape_message(what, expected_shape, got_shape):
    msg = f"{what}: expected shape {expected_shape}, got shape {got_shape}"
    if len(got_shape) == len(expected_shape) + 1 and 1 in got_shape:
        msg += " (an extra axis of length 1: did you keep dimensions you should have dropped?)"
    elif len(got_shape) == 2 and got_shape[::-1] == tuple(expected_shape):
        msg += " (transposed?)"
    return msg


#: What names a log-quantity in a check's description (log_prob, logpdf, score_samples, ...).
_LOG_QUANTITY = re.compile(r"log|score", re.IGNORECASE)


def expect_array(got, what, *, shape=None, finite=True, kind=None):
    """Convert ``got`` to an array and check its shape (and finiteness).

    ``shape`` may contain ``None`` for "any length". ``kind`` is a string of
    accepted dtype kinds (e.g. ``"iu"`` for integer labels).
    """
    arr = _as_numbers(got, what)
    if shape is not None:
        shape = tuple(shape)
        if arr.size == 0 and 0 in shape:
            # no values is no values, whatever the container ([], (), an empty array of any shape)
            arr = arr.reshape(tuple(0 if s is None else s for s in shape))
        if arr.ndim != len(shape) or any(s is not None and s != g for s, g in zip(shape, arr.shape)):
            fail(_shape_message(what, tuple("any" if s is None else s for s in shape), arr.shape))
    if kind is not None and arr.dtype.kind not in kind:
        if kind in ("iu", "ui", "i", "u") and arr.dtype.kind in "fb" and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            names = {"i": "integers", "u": "integers", "f": "floats", "b": "booleans"}
            fail(f"{what}: expected {names.get(kind[0], kind)}, got values of type {arr.dtype}")
    if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        # the log-space hint only where the value is a log-quantity (a log-density, a score):
        # a NaN in k-means' centres (an empty cluster's mean) has another cause
        hint = " (log space / log-sum-exp keeps it so)" if _LOG_QUANTITY.search(what) else ""
        fail(f"{what}: contains {_fmt(arr[idx])} at index {idx if arr.ndim else '()'}; every "
             f"entry should be finite{hint}")
    return arr


def expect_scalar(got, what, *, finite=True):
    """Convert ``got`` to a float (a 0-d or one-element array is accepted)."""
    arr = _as_numbers(got, what)
    if arr.size != 1:
        fail(f"{what}: expected a single number, got an array of shape {arr.shape}")
    value = arr.reshape(()).item()
    if isinstance(value, complex):
        fail(f"{what}: expected a real number, got {value}")
    value = float(value)
    if finite and not np.isfinite(value):
        fail(f"{what}: expected a finite number, got {value}")
    return value


def _close(got, expected, rtol, atol):
    """Entry-wise ``|got − expected| ≤ atol + rtol·|expected|``; where ``expected``
    is infinite (or NaN) only the very same value passes."""
    with np.errstate(invalid="ignore", over="ignore"):
        near = np.abs(got - expected) <= atol + rtol * np.abs(expected)
    return np.where(np.isfinite(expected), near, got == expected)


def _matching_mistakes(arr, mistakes, rtol, atol):
    found = []
    for m in mistakes:
        try:
            value = np.asarray(m.value, dtype=arr.dtype if arr.dtype.kind == "c" else float)
        except (TypeError, ValueError):
            continue
        if value.size == arr.size == 1:
            value, got = value.reshape(()), arr.reshape(())
        elif value.shape == arr.shape:
            got = arr
        else:
            continue
        both_nan = np.isnan(got) & np.isnan(value) if got.dtype.kind in "fc" else False
        if np.all(_close(got, value, rtol, atol) | both_nan):
            found.append(m.message)
    return found


def tolerance_text(rtol, atol):
    """The tolerance of a check as the student reads it, naming only what is non-zero."""
    parts = [f"relative {rtol:g}" if rtol else "", f"absolute {atol:g}" if atol else ""]
    parts = [p for p in parts if p]
    return "tolerance: " + (" and ".join(parts) if parts else "exact")


def expect_close(got, expected, what, *, rtol=1e-6, atol=1e-12, mistakes=()):
    """Check ``got`` against ``expected`` entry by entry.

    Passes when ``|got − expected| ≤ atol + rtol·|expected|`` everywhere
    (infinities must match exactly). Returns ``got`` as an array.
    """
    expected = np.asarray(expected)
    arr = _as_numbers(got, what)
    if expected.ndim == 0 and arr.size == 1:
        arr = arr.reshape(())
    if arr.shape != expected.shape:
        message = _shape_message(what, expected.shape, arr.shape)
        hints = [m.message for m in mistakes if np.shape(m.value) == arr.shape]
        if len(hints) == 1:
            message += f"\nLikely mistake: {hints[0]}"
        fail(message)
    arr_f = arr.astype(complex if arr.dtype.kind == "c" else float)
    exp_f = expected.astype(complex if expected.dtype.kind == "c" else float)
    ok = _close(arr_f, exp_f, rtol, atol)
    if np.all(ok):
        return arr
    bad = np.argwhere(~ok)
    idx = tuple(int(i) for i in bad[0])
    where = f" at index {idx}" if arr.ndim else ""
    if arr.ndim:
        message = (f"{what}: {len(bad)} of {arr.size} entries differ from the expected values; "
                   f"first{where}: expected {_fmt(exp_f[idx])}, got {_fmt(arr_f[idx])}")
    else:
        message = f"{what}: expected {_fmt(exp_f[()])}, got {_fmt(arr_f[()])}"
    if np.isnan(arr_f[idx]) if arr_f.dtype.kind == "f" else False:
        message += " (NaN: a 0·log 0, a 0/0, or an overflow somewhere?)"
    message += f" ({tolerance_text(rtol, atol)})"
    for hint in _matching_mistakes(arr_f, mistakes, rtol, atol):
        message += f"\nLikely mistake: {hint}"
    fail(message)


def expect_equal(got, expected, what, *, mistakes=()):
    """Exact equality for integers, labels and booleans (shape checked)."""
    expected = np.asarray(expected)
    if expected.dtype.kind in "US":
        if isinstance(got, RemoteObject):
            fail(f"{what}: expected labels, got a {got.type_name} object")
        arr = np.asarray(got)
    else:
        arr = _as_numbers(got, what)
    if expected.ndim == 0 and arr.size == 1:
        arr = arr.reshape(())
    if arr.shape != expected.shape:
        fail(_shape_message(what, expected.shape, arr.shape))
    eq = arr == expected
    if np.all(eq):
        return arr
    bad = np.argwhere(~np.asarray(eq))
    idx = tuple(int(i) for i in bad[0]) if arr.ndim else ()
    if arr.ndim:
        message = (f"{what}: {len(bad)} of {arr.size} entries differ; first at index {idx}: "
                   f"expected {_fmt(expected[idx])}, got {_fmt(arr[idx])}")
    else:
        message = f"{what}: expected {_fmt(expected[()])}, got {_fmt(arr[()])}"
    for m in mistakes:
        value = np.asarray(m.value)
        if value.shape == arr.shape and np.all(value == arr):
            message += f"\nLikely mistake: {m.message}"
    fail(message)


def match_components(expected_means, got_means):
    """Order of the student's mixture components that best matches ours.

    Returns ``perm`` such that ``got_means[perm]`` lines up with
    ``expected_means`` (minimum total squared distance, Hungarian method).
    Components are never compared by index: EM may find them in any order.
    """
    from scipy.optimize import linear_sum_assignment

    expected_means = np.asarray(expected_means, dtype=float)
    got = expect_array(got_means, "the component means", shape=expected_means.shape)
    e = expected_means.reshape(len(expected_means), -1)
    g = got.reshape(len(got), -1)
    cost = ((e[:, None, :] - g[None, :, :]) ** 2).sum(-1)
    _, perm = linear_sum_assignment(cost)
    return perm


def follows_history(got, expected, *, rtol=1e-6, atol=1e-12):
    """Whether ``got`` is a non-empty prefix of the trajectory ``expected``, entry by entry as
    :func:`expect_history` compares; never fails. For hints that only hold on the right path
    (a stopping-rule mistake, say, where a wrong step would change the path itself)."""
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=float).reshape(-1)
    return (arr.ndim == 1 and 0 < arr.size <= expected.size
            and bool(np.all(_close(arr, expected[:arr.size], rtol, atol))))


def expect_history(got, expected, what="your log-likelihood history", *, rtol=1e-6, atol=1e-12,
                   start=0, mistakes=()):
    """Check a trajectory (e.g. EM's log-likelihood per iteration) entry by entry.

    On failure the message says where it FIRST diverges — "your log-likelihood
    history first differs at iteration 3: expected …, got …" — or that it is
    shorter or longer than expected (the stopping rule), rather than only the
    final count. ``start`` is the iteration number of entry 0. Returns ``got``
    as a 1-D array.
    """
    expected = np.asarray(expected, dtype=float).reshape(-1)
    arr = _as_numbers(got, what)
    if arr.ndim != 1:
        fail(_shape_message(what, (len(expected),), arr.shape))
    arr_f = arr.astype(float)
    n = min(len(arr_f), len(expected))
    ok = _close(arr_f[:n], expected[:n], rtol, atol)
    if np.all(ok) and len(arr_f) == len(expected):
        return arr
    hints = [f"\nLikely mistake: {h}" for h in _matching_mistakes(arr_f, mistakes, rtol, atol)]
    if not np.all(ok):
        i = int(np.argmin(ok))
        message = (f"{what} first differs at iteration {i + start}: expected {_fmt(expected[i])}, got "
                   f"{_fmt(arr_f[i])} ({tolerance_text(rtol, atol)}; {i} earlier entries agree")
        message += f"; {len(expected)} entries expected, {len(arr_f)} given)"
        if np.isnan(arr_f[i]):
            message += " (NaN: a 0·log 0, a 0/0, or an overflow somewhere?)"
    elif len(arr_f) < len(expected):
        message = (f"{what} agrees for all of its {len(arr_f)} entries, then stops: {len(expected)} "
                   f"expected, so the run stopped {len(expected) - len(arr_f)} iteration(s) early "
                   f"(the next expected entry is {_fmt(expected[n])}; check the stopping rule)")
    else:
        message = (f"{what} agrees for all {len(expected)} expected entries, then goes on: "
                   f"{len(arr_f)} given, {len(arr_f) - len(expected)} iteration(s) too many "
                   f"(next given entry {_fmt(arr_f[n])}; check the stopping rule)")
    fail(message + "".join(hints))

