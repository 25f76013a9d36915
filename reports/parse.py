"""Reading a grading's results (the Gradescope ``results.json`` dict) for the reports.

Nothing here runs or imports student code: a results dict is plain data
(numbers and strings), and every string in it may hold what a submission
printed or raised, so whatever reaches a page goes through
:func:`autograder.text.clean` here and is HTML-escaped by the templates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from autograder.text import clean, one_line

#: the only lines that name a mistake: written by the hidden tests' checks at the start of a
#: line (the engine marks such a line "(quoted)" when it comes from the student's own message)
MISTAKE = re.compile(r"^Likely mistake:\s*(.+?)\s*$", re.MULTILINE)
PRINTED = "Your code printed (first lines shown; printing is never graded):\n"
_SEED = re.compile(r"drawn with seed (\d+)")
_TOTAL = re.compile(r"^(\w+): [\d.]+ / [\d.]+ points\.", re.MULTILINE)

#: why a grading could not complete: (key, label, patterns searched in the engine's reason).
#: The reason is the engine's own phrase (``engine.REASONS``' values, written in results.json as
#: ``results["autograder"]["reason"]``, or ``results["reason"]`` from grade-all), never any output
#: text: a submission can print or raise any words. The first match wins.
REASONS = [
    ("grader", "the grader failed", (r"^grader failure", r"autograder (itself )?failed")),
    ("time_budget", "time budget used up", (r"^time budget",)),
    ("missing", "missing module", (r"^missing module",)),
    ("refused", "module refused at intake", (r"^module refused at intake",)),
    ("syntax", "syntax error", (r"^syntax error",)),
    ("forbidden_import", "forbidden import", (r"^forbidden import",)),
    ("import_timeout", "import timeout", (r"^import timeout",)),
    ("import_error", "module failed to import", (r"^import error", r"^import failed")),
    ("exit", "exited at import", (r"^exited at import",)),
    ("crash", "the code's process kept crashing", (r"^crashed",)),
    ("memory", "out of memory at import", (r"^out of memory",)),
]
LABELS = {key: label for key, label, _ in REASONS}


@dataclass
class TestLine:
    number: int
    name: str
    score: float
    max_score: float
    visibility: str
    output: str  # cleaned
    mistakes: list = field(default_factory=list)
    #: the student's own functions a full-score test passed on (error carried forward), from the
    #: engine's field ``autograder.carried``; [] for a plain pass
    carried: list = field(default_factory=list)

    @property
    def passed(self):
        return self.max_score > 0 and self.score >= self.max_score

    @property
    def status(self):
        if self.passed:
            return "carried" if self.carried else "pass"
        return "partial" if self.score > 0 else "fail"


def num(value, default=0.0):
    """A float from a results value (a student never writes these, but a file may be damaged)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out if out == out else default  # NaN -> default


def tests(results):
    """The results' tests as :class:`TestLine` (cleaned text, named mistakes)."""
    out = []
    carried = _carried(results)
    for i, t in enumerate(results.get("tests") or [], 1):
        if not isinstance(t, dict):
            continue
        output = clean(t.get("output") or "", limit=20_000)
        out.append(TestLine(i, one_line(t.get("name") or f"test {i}", limit=300), num(t.get("score")),
                            num(t.get("max_score")), str(t.get("visibility") or "visible"), output,
                            mistakes(output), carried.get(str(i), [])))
    return out


def _carried(results):
    """{test number: [the student's own functions it passed on]} from ``autograder.carried``."""
    field = results.get("autograder") if isinstance(results, dict) else None
    carried = field.get("carried") if isinstance(field, dict) else None
    if not isinstance(carried, dict):
        return {}
    return {str(k): [one_line(f, limit=80) for f in v[:10] if isinstance(f, str)]
            for k, v in list(carried.items())[:1000] if isinstance(v, list)}


def mistakes(text):
    """The mistakes a test's output names ("Likely mistake: …" lines), in order, no repeats."""
    found = []
    for m in MISTAKE.finditer(clean(text)):
        name = one_line(m.group(1), limit=400)
        if name not in found:
            found.append(name)
    return found


def mistake_key(name):
    """Names that differ only in numbers (``d = 2`` / ``d = 5``) are one mistake in the class report."""
    return re.sub(r"\d+(\.\d+)?", "#", name.lower()).strip(" .;:")


def total(results):
    return num(results.get("score"))


def max_total(results):
    return round(sum(t.max_score for t in tests(results)), 6)


def _engine_part(results):
    """The results' output before what the code printed (the engine's own lines)."""
    output = str(results.get("output") or "")
    return output.split(PRINTED, 1)[0]


def seed(results):
    m = _SEED.search(_engine_part(results))
    return int(m.group(1)) if m else None


def assignment(results):
    m = _TOTAL.search(_engine_part(results))
    return m.group(1) if m else None


def printed(results):
    """What the submission printed (cleaned), from the results' output; "" when nothing."""
    output = str(results.get("output") or "")
    at = output.find(PRINTED)
    return clean(output[at + len(PRINTED):].strip("\n"), limit=20_000) if at >= 0 else ""


def unisolated(results):
    """What the grading gave up by running without the allow-listed sandbox (``--unisolated``),
    from the engine's field; "" for an isolated grading."""
    field = results.get("autograder") if isinstance(results, dict) else None
    text = field.get("unisolated") if isinstance(field, dict) else ""
    return one_line(text, limit=500) if isinstance(text, str) and text else ""


def notes(results):
    """The grader's notes on the run ("Note: …" lines: restarts, refused files …)."""
    return [one_line(line[5:].strip(), limit=500) for line in _engine_part(results).splitlines()
            if line.startswith("Note: ")]


def _classify(text):
    for key, _, patterns in REASONS:
        if any(re.search(p, text, re.IGNORECASE | re.MULTILINE) for p in patterns):
            return key
    return None


def engine_reason(results):
    """The engine's (or grade-all's) reason in ``results``: a string ("" when the grading
    completed), or None when the results carry none (written by an older kit)."""
    given = results.get("reason")
    if isinstance(given, str):
        return given.strip()
    block = results.get("autograder")
    if isinstance(block, dict) and isinstance(block.get("reason"), str):
        return block["reason"].strip()
    return None


def reason(results):
    """Why the grading could not complete: ``(key, label, detail)``, or ``None`` when it did.

    Read only from the engine's structured field (:func:`engine_reason`),
    never from the outputs: what a submission prints or raises can imitate any
    of the engine's words. Results without that field (an older kit's) that
    hold no test at all are a grader failure; any other completed.
    """
    given = engine_reason(results)
    if given:
        detail = one_line(given, limit=500)
        key = _classify(detail) or "other"
        return key, LABELS.get(key, "did not complete"), detail
    if given is None and not tests(results):
        return "grader", LABELS["grader"], "no tests ran"
    return None


def failure_kinds(results):
    """How the code failed each test, by test number (the engine's ``failures`` field); {} if none."""
    block = results.get("autograder")
    kinds = block.get("failures") if isinstance(block, dict) else None
    return {str(k): str(v) for k, v in kinds.items()} if isinstance(kinds, dict) else {}


def zero_reason(results):
    """Why a completed grading earned nothing, in a few words (for the class report's zeros).

    "Nothing implemented" comes from the engine's structured field (every failed
    test failed with the child's ``not_implemented``), never from the outputs' words.
    """
    lines = tests(results)
    kinds = failure_kinds(results)
    failed = [t for t in lines if not t.passed]
    if failed and all(kinds.get(str(t.number)) == "not_implemented" for t in failed):
        return "nothing implemented (every graded function still raises NotImplementedError)"
    first = next((t for t in failed if t.output), None)
    return f"every test failed; the first: {one_line(first.output, limit=200)}" if first else "every test failed"
