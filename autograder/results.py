"""What one grading produces, as data: the one contract between the engine and its readers.

The engine (:func:`autograder.engine.grade`) returns a :class:`Grading`;
``grade --results FILE`` and ``grade-all --results-dir DIR`` write it as
Gradescope's ``results.json`` (top-level ``score``, ``execution_time``,
``output``, ``tests``: what Gradescope reads) plus one extra top-level key,
``"autograder"``, which Gradescope's schema allows and ignores. Everything a
program needs to know about the grading is a field of that block, never a
sentence of the outputs (a submission controls what it prints and raises)::

    "autograder": {
      "assignment": "mle", "seed": 1,
      "reason": "syntax error",         # the phrase people read ("" when the grading completed)
      "reason_key": "syntax",           # its key in REASONS ("" when the grading completed)
      "failures": {"3": "not_implemented"},      # test number -> how the code failed it
      "mistakes": [{"test": "5", "name": "variance divided by n−1; the MLE divides by n",
                    "root": true}],     # root false: a guess downstream of a failed dependency
      "functions": {"1": "test_bernoulli_mle"},  # test number -> hidden test function
      "carried": {"7": ["log_gaussian_prob"]}, "carry_forward": true,
      "unisolated": "",
      "timings": {"total": 1.234, "budget": 90, "tests": {"1": 0.051}}
    }

:data:`REASONS` is the one table of why a grading could not complete: key →
the phrase shown to people (gradebook, terminal, ``reason``) and the heading
the class report files it under. ``reports/`` reads the key.

The feedback pictures' plain arrays (:attr:`Grading.artifacts`, the
student's values and the reference's, each entry bounded by
:data:`MAX_ARTIFACT_ELEMENTS` numbers) are never in results.json: grade-all
keeps them beside it, ``DIR/<stem>.npz`` (:func:`save_artifacts`, no pickle).

Standard library and NumPy only; imports nothing of the engine's grading
machinery (pytest, the sandbox), so every reader of results can import it.
"""
from __future__ import annotations

import io
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import files
from .text import clean, one_line


class GraderError(Exception):
    """The grader itself cannot run (unknown assignment, missing path, pytest broken).

    ``str(error)`` is said to the student in the results file; ``detail``
    (pytest's own output, for instance) is for the instructor's terminal only.
    """

    def __init__(self, message, detail=""):
        super().__init__(message)
        self.detail = detail


# ----------------------------------------------------------------------------
# why a grading could not complete


@dataclass(frozen=True)
class Reason:
    #: the phrase shown to people: the gradebook's reason column, the terminal, results' "reason"
    text: str
    #: the heading the class report files the grading under (one per key)
    heading: str


#: Why a grading could not complete, by key (``Grading.reason``; results' ``reason_key``).
#: Decided from the engine's own state, never from any output text.
REASONS = {
    "missing": Reason("missing module", "missing module"),
    "refused": Reason("module refused at intake (a link, a device or too large)", "module refused at intake"),
    "syntax": Reason("syntax error", "syntax error"),
    "forbidden_import": Reason("forbidden import", "forbidden import"),
    "import_timeout": Reason("import timeout", "import timeout"),
    "import_error": Reason("import error", "module failed to import"),
    "exit": Reason("exited at import", "exited at import"),
    "crash": Reason("crashed at import", "the code's process kept crashing"),
    "memory": Reason("out of memory at import", "out of memory at import"),
    "time_budget": Reason("time budget used up", "time budget used up"),
    "grader": Reason("grader failure", "the grader failed"),
}
#: the key of an import failure, by the kind of :class:`autograder.sandbox.StudentCodeError`;
#: any other kind (an exception, NotImplementedError, a bad answer to the import) is "import_error"
IMPORT_FAILURES = {"syntax": "syntax", "forbidden_import": "forbidden_import", "timeout": "import_timeout",
                   "exit": "exit", "crash": "crash", "memory": "memory"}
BUDGET = "time_budget"
GRADER_FAILURE = "grader"


def import_failure_reason(kind):
    """The :data:`REASONS` key of an import that failed with ``kind``."""
    return IMPORT_FAILURES.get(kind, "import_error")


def reason_text(key):
    """The phrase of a :data:`REASONS` key ("" for "")."""
    return REASONS[key].text if key else ""


# ----------------------------------------------------------------------------
# named mistakes

#: The only lines of a test's own failure message (a hidden test's check, never the student's text,
#: which the engine marks "(quoted)") that name a mistake.
MISTAKE_LINE = re.compile(r"^Likely mistake:\s*(.+?)\s*$", re.MULTILINE)
MISTAKE_NAME_LIMIT = 400


def named_mistakes(text):
    """The mistakes a hidden test's failure message names ("Likely mistake: …" lines), in order,
    without repeats: the engine's rule, applied once, to the checks' own text."""
    found = []
    for m in MISTAKE_LINE.finditer(clean(text)):
        name = one_line(m.group(1), limit=MISTAKE_NAME_LIMIT)
        if name not in found:
            found.append(name)
    return found


@dataclass
class Mistake:
    """A mistake a test named. ``root``: named on the test's own evidence, counted by the class
    report; False for a guess made while a test it depends on failed ("Possibly (…)")."""

    name: str
    root: bool = True


# ----------------------------------------------------------------------------
# one grading


@dataclass
class TestResult:
    id: str
    name: str
    max_score: float
    visibility: str
    score: float = 0.0
    output: str = ""
    function: str = ""  # the test function's name (without parameters)
    depends: tuple = ()  # ((test function, phrase or None), ...) from @points(depends=...)
    notes: list = field(default_factory=list)  # warnings the student's code emitted
    #: how the student's code failed this test (:class:`sandbox.StudentCodeError`'s ``kind``), or ""
    failure: str = ""
    #: {function: its test} when the test passed only on the student's own functions (error
    #: carried forward: :mod:`autograder.carry`); {} for a plain pass or a failure
    carried: dict = field(default_factory=dict)
    #: the mistakes this test's failure names (:class:`Mistake`); [] when it passed
    mistakes: list = field(default_factory=list)
    #: seconds pytest spent on the test (set-up, call, tear-down)
    duration: float = 0.0


@dataclass
class Grading:
    """One grading's results: what :func:`autograder.engine.grade` returns and results.json holds."""

    assignment: str
    submission: str
    seed: int
    tests: list = field(default_factory=list)
    output: str = ""
    execution_time: float = 0.0
    #: plain arrays the hidden tests kept for the feedback pictures (``artifacts`` fixture):
    #: ``{name: {"test": function, "values": {...}, "errors": {...}}}``; never in results.json
    #: (grade-all keeps them beside it: :func:`save_artifacts`)
    artifacts: dict = field(default_factory=dict)
    #: why the grading could not complete: a key of :data:`REASONS` ("" when it did)
    reason: str = ""
    #: "" when the submission ran in the allow-listed sandbox; else what was not isolated
    #: (only with ``--unisolated``: docs/GRADING.md, "Isolation"). Also the output's first note.
    isolation: str = ""
    #: whether error was carried forward in this grading (off: ``--no-carry-forward``)
    carry_forward: bool = True
    #: the grading's time budget in seconds (None: none applied)
    budget: float | None = None

    @property
    def score(self):
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self):
        return round(sum(t.max_score for t in self.tests), 6)

    @property
    def reason_text(self):
        return reason_text(self.reason)

    def to_gradescope(self):
        """The ``results.json`` dict: Gradescope's schema and the kit's ``"autograder"`` block."""
        numbered = list(enumerate(self.tests, 1))
        return {
            "score": self.score,
            "execution_time": round(self.execution_time, 3),
            "autograder": {"assignment": self.assignment,
                           "seed": self.seed,
                           "reason": self.reason_text,
                           "reason_key": self.reason,
                           "failures": {str(i): t.failure for i, t in numbered if t.failure},
                           "mistakes": [{"test": str(i), "name": m.name, "root": m.root}
                                        for i, t in numbered for m in t.mistakes],
                           "functions": {str(i): t.function for i, t in numbered if t.function},
                           # "" in the allow-listed sandbox; else what --unisolated gave up
                           "unisolated": self.isolation,
                           # test number -> the student's own functions it passed on
                           "carried": {str(i): sorted(t.carried) for i, t in numbered if t.carried},
                           "carry_forward": self.carry_forward,
                           "timings": {"total": round(self.execution_time, 3), "budget": self.budget,
                                       "tests": {str(i): round(t.duration, 3) for i, t in numbered}}},
            "output": self.output,
            "tests": [{"name": t.name, "number": str(i), "score": t.score,
                       "max_score": t.max_score, "output": t.output,
                       "visibility": t.visibility}
                      for i, t in numbered],
        }

    def write(self, path):
        """Write ``results.json`` at ``path`` (atomically; never into a device, FIFO or folder).

        Raises :class:`GraderError` when ``path`` is not a regular file or a new path.
        """
        write_json(path, self.to_gradescope())


def failed_grading(assignment, seed, message, reason=GRADER_FAILURE):
    """The results of a grading the grader could not do (no tests ran): ``message`` is the output."""
    return Grading(assignment, "", int(seed or 0), output=message, reason=reason)


def write_json(path, data):
    """Write ``data`` as JSON at ``path`` atomically; refuse a path that is no regular file or new path."""
    path = Path(path)
    problem = results_path_problem(path)
    if problem:
        raise GraderError(problem)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    files.write_atomic(path, text, errors="backslashreplace")


def results_path_problem(path):
    """Why ``path`` cannot take a results file (``None`` if it can: a regular file or a new path).

    A symbolic link, a device, a FIFO, a socket or a folder is refused, so
    nothing is ever replaced there.
    """
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        parent = path.parent
        while not os.path.lexists(parent) and parent != parent.parent:
            parent = parent.parent
        if os.path.lexists(parent) and not parent.is_dir():
            return f"the results path {one_line(path)} is inside {one_line(parent)}, which is not a folder"
        return None
    except OSError as exc:
        return f"the results path {one_line(path)} cannot be used ({exc.strerror})"
    if stat.S_ISREG(st.st_mode):
        return None
    kind = ("a symbolic link" if stat.S_ISLNK(st.st_mode) else "a folder" if stat.S_ISDIR(st.st_mode)
            else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
    return (f"the results path {one_line(path)} is {kind}: give a regular file or a new path "
            "(nothing was written there)")


# ----------------------------------------------------------------------------
# the pictures' arrays, kept beside results.json

#: numbers one artifact may hold, all its values together (:func:`autograder.engine.keep_artifacts`)
MAX_ARTIFACT_ELEMENTS = 500_000
#: the largest artifacts file read back (compressed; the engine's are far smaller)
MAX_ARTIFACTS_BYTES = 64 << 20
#: the suffix of the artifacts kept beside ``<stem>.json`` in a results folder
ARTIFACTS_SUFFIX = ".npz"
_META = "__meta__"


def save_artifacts(path, artifacts):
    """Write ``artifacts`` (a :class:`Grading`'s) to ``path`` (``.npz``) atomically.

    An artifact is ``{"test": str, "values": {key: ndarray | float | bool | str}, "errors": {key: str}}``
    (and ``"reason"`` when it could not be read). Arrays go into the archive as arrays, everything
    else into one JSON member; :func:`load_artifacts` reads it back with ``allow_pickle=False``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays, meta = {}, {}
    for i, (name, entry) in enumerate((artifacts or {}).items()):
        m = {"name": str(name), "test": str(entry.get("test", "")), "errors": dict(entry.get("errors") or {}),
             "scalars": {}, "arrays": {}}
        if entry.get("reason"):
            m["reason"] = str(entry["reason"])
        for j, (key, value) in enumerate((entry.get("values") or {}).items()):
            if isinstance(value, np.ndarray):
                member = f"a{i}_{j}"
                arrays[member] = value
                m["arrays"][str(key)] = member
            elif isinstance(value, (bool, int, float, str)):
                m["scalars"][str(key)] = value
        meta[str(i)] = m
    arrays[_META] = np.array(json.dumps(meta, allow_nan=True))
    with files.replacing(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def load_artifacts(path):
    """The artifacts written by :func:`save_artifacts` (``{}`` when the file is missing or unreadable).

    Each entry's values are bounded as when they were kept: an array of more than
    :data:`MAX_ARTIFACT_ELEMENTS` numbers in all is left out, with the reason. The file is read
    with :func:`autograder.files.read_regular` (a link, FIFO or file over
    :data:`MAX_ARTIFACTS_BYTES` reads as ``{}``).
    """
    try:  # never through a link, never blocking on a FIFO, never more than the cap
        with np.load(io.BytesIO(files.read_regular(path, MAX_ARTIFACTS_BYTES)), allow_pickle=False) as data:
            meta = json.loads(str(data[_META][()]))
            out = {}
            for m in meta.values():
                values, errors = dict(m["scalars"]), dict(m["errors"])
                budget = MAX_ARTIFACT_ELEMENTS
                for key, member in m["arrays"].items():
                    array = data[member]
                    if array.size > budget or array.dtype.kind not in "biuf":
                        errors[key] = f"not read: {array.size} values of type {array.dtype}"
                        continue
                    budget -= array.size
                    values[key] = array
                entry = {"test": m["test"], "values": values, "errors": errors}
                if "reason" in m:
                    entry["reason"] = m["reason"]
                out[m["name"]] = entry
            return out
    except (files.NotRead, OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
