"""Reading a grading's results (the results.json dict) for the reports: fields, never sentences.

What a grading means — why it could not complete, its seed, its assignment,
the mistakes its tests named, how the code failed each test, what passed on
the student's own functions — is read from the engine's fields (the
``"autograder"`` block that :mod:`autograder.results` defines), never from
the outputs' words: a submission can print or raise any words. The reasons
are keys of the engine's one table, :data:`autograder.results.REASONS`.
Results written by an older kit (no ``reason_key``) are read without
crashing: their reason is "other", labelled as such, and they name no
mistakes.

Nothing here runs or imports student code: a results dict is plain data
(numbers and strings), and every string in it may hold what a submission
printed or raised, so whatever reaches a page goes through
:func:`autograder.text.clean` here and is HTML-escaped by the templates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from autograder.results import REASONS, named_mistakes
from autograder.text import clean, one_line

#: where the results' output (a text for the student) turns to what the code printed: the page
#: shows the two apart
PRINTED = "Your code printed (first lines shown; printing is never graded):\n"
#: the key and heading of a reason the engine's table does not hold (results of an older kit)
OTHER = "other"
OTHER_HEADING = "did not complete (the reason is not one this kit knows: results of an older kit?)"


@dataclass
class TestLine:
    number: int
    name: str
    score: float
    max_score: float
    visibility: str
    output: str  # cleaned
    #: the mistakes this test named on its own evidence (the engine's field ``autograder.mistakes``,
    #: ``root`` true): what the class report counts; a guess downstream of a failed dependency is not
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


def block(results):
    """The kit's ``"autograder"`` block of ``results`` ({} when there is none)."""
    found = results.get("autograder") if isinstance(results, dict) else None
    return found if isinstance(found, dict) else {}


def tests(results):
    """The results' tests as :class:`TestLine` (cleaned text, the mistakes they named)."""
    out = []
    carried = _carried(results)
    named = _mistakes(results)
    for i, t in enumerate(results.get("tests") or [], 1):
        if not isinstance(t, dict):
            continue
        output = clean(t.get("output") or "", limit=20_000)
        out.append(TestLine(i, one_line(t.get("name") or f"test {i}", limit=300), num(t.get("score")),
                            num(t.get("max_score")), str(t.get("visibility") or "visible"), output,
                            named.get(str(i), []), carried.get(str(i), [])))
    return out


def _carried(results):
    """{test number: [the student's own functions it passed on]} from ``autograder.carried``."""
    carried = block(results).get("carried")
    if not isinstance(carried, dict):
        return {}
    return {str(k): [one_line(f, limit=80) for f in v[:10] if isinstance(f, str)]
            for k, v in list(carried.items())[:1000] if isinstance(v, list)}


def _mistakes(results):
    """{test number: [root-cause mistake names]} from ``autograder.mistakes`` (in order, no repeats)."""
    found = block(results).get("mistakes")
    out = {}
    for m in found[:5000] if isinstance(found, list) else []:
        if not (isinstance(m, dict) and m.get("root") is True and isinstance(m.get("name"), str)):
            continue
        names = out.setdefault(str(m.get("test")), [])
        name = one_line(m["name"], limit=400)
        if name not in names:
            names.append(name)
    return out


#: The engine's rule for the lines of a hidden test's message that name a mistake (for a check of a
#: message; the reports themselves read the results' ``mistakes`` field).
mistakes = named_mistakes


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
    """The seed the grading's data were drawn with (``autograder.seed``), or None."""
    value = block(results).get("seed")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def assignment(results):
    """The assignment graded (``autograder.assignment``), or None."""
    value = block(results).get("assignment")
    return one_line(value, limit=40) if isinstance(value, str) and value else None


def printed(results):
    """What the submission printed (cleaned), from the results' output; "" when nothing."""
    output = str(results.get("output") or "")
    at = output.find(PRINTED)
    return clean(output[at + len(PRINTED):].strip("\n"), limit=20_000) if at >= 0 else ""


def unisolated(results):
    """What the grading gave up by running without the allow-listed sandbox (``--unisolated``),
    from the engine's field; "" for an isolated grading."""
    text = block(results).get("unisolated")
    return one_line(text, limit=500) if isinstance(text, str) and text else ""


def notes(results):
    """The grader's notes on the run ("Note: …" lines: restarts, refused files …), shown as written."""
    return [one_line(line[5:].strip(), limit=500) for line in _engine_part(results).splitlines()
            if line.startswith("Note: ")]


def reason(results):
    """Why the grading could not complete: ``(key, heading, detail)``, or ``None`` when it did.

    ``key`` is the engine's (``autograder.reason_key``, a key of
    :data:`autograder.results.REASONS`), ``heading`` what the class report
    files it under, ``detail`` the phrase people read. Results without a key
    (an older kit's) that give a reason are ``"other"``; those that hold no
    test at all and no reason are a grader failure. Never read from the
    outputs: what a submission prints or raises can imitate any of the
    engine's words.
    """
    fields = block(results)
    key = fields.get("reason_key")
    if isinstance(key, str) and key in REASONS:
        return key, REASONS[key].heading, REASONS[key].text
    given = fields.get("reason") if "reason" in fields else results.get("reason")  # an older kit's phrase
    given = one_line(given, limit=500).strip() if isinstance(given, str) else None
    if isinstance(key, str) and key:  # a key this kit does not know
        return OTHER, OTHER_HEADING, given or one_line(key, limit=100)
    if key == "":
        return None
    if given:
        return OTHER, OTHER_HEADING, given
    if given is None and not tests(results):
        return "grader", REASONS["grader"].heading, "no tests ran"
    return None


def failure_kinds(results):
    """How the code failed each test, by test number (the engine's ``failures`` field); {} if none."""
    kinds = block(results).get("failures")
    return {str(k): str(v) for k, v in kinds.items()} if isinstance(kinds, dict) else {}


def functions(results):
    """{test number: the hidden test function} (the engine's ``functions`` field); {} if none."""
    found = block(results).get("functions")
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def timing(results):
    """The grading's wall-clock seconds (``autograder.timings.total``, else ``execution_time``)."""
    timings = block(results).get("timings")
    total_s = timings.get("total") if isinstance(timings, dict) else None
    return num(total_s if total_s is not None else results.get("execution_time"))


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
