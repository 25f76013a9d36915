"""Similar submissions: pairs of students whose own code is unusually alike, as evidence for a person to read.

What is compared is each student's module as the engine's intake read it
(``grade-all`` keeps it in ``RESULTS/.grade-all/sources/<stem>.py``). What every
student received (the stub, ``assignments/<a>/<a>.py``, with its docstrings and
helpers) and the course's reference (``solutions/<a>/<a>.py``) are removed
first: code that is also in either is never evidence that two students shared
work — a typical mistake is the reference with one line changed, and two of
them must not look alike for the reference they both hold.

The comparison is copydetect's (https://github.com/blingenf/copydetect: the
winnowed k-gram fingerprints of MOSS, Schleimer, Wilkerson and Aiken 2003, on
code tokenised by Pygments, with every identifier, string and comment replaced
by one letter, so renaming variables and rewording comments change nothing).
For a pair of students it gives the share of each one's own fingerprinted code
also found in the other's, and the regions of each text that match. A pair is
listed when

- either share is at least :data:`THRESHOLD` percent, and
- the matching regions cover at least :data:`MIN_LINES` lines of each
  student's own code (not blank, not a comment, not a line of the stub or of
  the reference): a student who wrote three lines of their own, two of them
  alike another's, is 67 % alike and no evidence of anything.

Modules that are the same text (line ends aside) are named as such whatever the
thresholds (:func:`identical_groups`; untouched stubs left out).

Both thresholds are options of ``python -m reports`` (``--similarity-threshold``,
``--similarity-min-lines``), and the class report states them. Each listed pair
gets a side-by-side page (``similar_<hash>.html``: the two modules, the
matching regions marked; inline CSS, no script, every character of the
students' escaped and control characters shown as ``\\xNN``).

Bounds: a module is read under intake's cap (1 MiB, never through a link) and
compared whole (:data:`MAX_CHARS`: intake's cap); the comparison runs in a
process of its own (:mod:`reports._fingerprints`) with a fixed hash seed (the
same class gives the same figures on every run), at most :data:`MEMORY_LIMIT`
bytes of memory and :data:`TIME_LIMIT` seconds; at most :data:`MAX_PAIRS`
pairs are listed (the most similar; the page says how many more met the
thresholds). Nothing runs or imports student code.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder import files
from autograder.batch import source_path
from autograder.intake import MAX_SOURCE_BYTES
from autograder.paths import ROOT, reference_module, student_module
from autograder.text import clean, one_line

from .templating import render

#: a pair is listed when either student's share of own code found in the other's is at least this (percent) ...
THRESHOLD = 40.0
#: ... and the matching regions cover at least this many lines of each student's own code
MIN_LINES = 8
#: copydetect's noise threshold (k, in characters of tokenised code: shorter matches are never seen)
#: and guarantee threshold (every match this long is seen; the winnowing window is their difference + 1)
NOISE, GUARANTEE = 25, 30
#: characters of a module compared: all that intake accepts (a byte is at most one character). A
#: shorter cut was a way to hide a copy: 200 000 characters of comment above it, and nothing of it
#: was compared (measured: a 1 MiB module of dense tokens takes about 10 s to fingerprint)
MAX_CHARS = MAX_SOURCE_BYTES
#: pairs listed, the most similar first
MAX_PAIRS = 100
#: the comparison's process: wall-clock seconds and bytes of address space
TIME_LIMIT = 900
MEMORY_LIMIT = 4 << 30
#: the fixed hash seed of the comparison's process (copydetect hashes with Python's ``hash``)
HASH_SEED = "0"


@dataclass
class Pair:
    """Two students whose own code is alike: each one's share found in the other's (0–1), the
    lines of each one's own code the matching regions cover, and those regions ([start, end)
    character offsets in the compared texts)."""

    a: str
    b: str
    share_a: float
    share_b: float
    lines_a: int
    lines_b: int
    regions_a: list = field(default_factory=list)
    regions_b: list = field(default_factory=list)
    page: str = ""  # the side-by-side page's file name, once written

    @property
    def share(self):
        return max(self.share_a, self.share_b)

    @property
    def lines(self):
        return min(self.lines_a, self.lines_b)


@dataclass
class Comparison:
    """What the similarity section shows (plain data; names as the reports show them)."""

    threshold: float = THRESHOLD            # percent
    min_lines: int = MIN_LINES
    texts: dict = field(default_factory=dict)         # student -> the text compared
    pairs: list = field(default_factory=list)         # Pair, most similar first
    eligible: int = 0                                 # pairs that met both thresholds (listed or not)
    empty: list = field(default_factory=list)         # students with no code of their own left
    identical: list = field(default_factory=list)     # groups of students whose modules are the same text
    not_compared: list = field(default_factory=list)  # (student, why)
    cut: list = field(default_factory=list)           # students compared on their first MAX_CHARS only
    seconds: float = 0.0
    problem: str | None = None                        # why nothing was compared


def check_threshold(value):
    """``value`` (a string or number) as a percentage in [0, 100]; ValueError saying what to give."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"the similarity threshold must be a percentage from 0 to 100, e.g. 40; "
                         f"got {one_line(value, 40)!r}") from None
    if not 0 <= number <= 100:
        raise ValueError(f"the similarity threshold must be a percentage from 0 to 100 (e.g. 40), got {number:g}")
    return number


def check_min_lines(value):
    """``value`` as a whole number of lines ≥ 0; ValueError saying what to give."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"the similarity's minimum of lines must be a whole number ≥ 0, e.g. 8; "
                         f"got {one_line(value, 40)!r}") from None
    if number < 0:
        raise ValueError(f"the similarity's minimum of lines must be ≥ 0 (e.g. 8), got {number}")
    return number


def _text(data):
    """A module's bytes as the text compared (UTF-8, undecodable bytes replaced, CRLF and CR as LF
    as Python reads a module: a copy saved with CR line ends was one line, fewer than MIN_LINES, cut)."""
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    return text[:MAX_CHARS], len(text) > MAX_CHARS


def read_sources(results_dir, stems):
    """The modules kept in a results folder: ``(texts, not_compared, cut)``.

    ``stems`` maps students to their file stems. A student whose module was not kept (not
    graded on one, a results folder of another kind) or cannot be read is in ``not_compared``
    with why; ``cut`` lists those compared on their first :data:`MAX_CHARS` characters.
    """
    texts, not_compared, cut = {}, [], []
    for student, stem in stems.items():
        path = source_path(results_dir, stem)
        try:
            data = files.read_regular(path, MAX_SOURCE_BYTES, display=f"the kept module of {one_line(student, 60)}")
        except files.NotRead as exc:
            why = ("no module was graded (missing, refused or unreadable)" if not os.path.lexists(path)
                   else str(exc))
            not_compared.append((student, why))
            continue
        texts[student], was_cut = _text(data)
        if was_cut:
            cut.append(student)
    return texts, not_compared, cut


def known_texts(assignment):
    """The texts whose code is nobody's own: the stub every student received and the reference.

    Raises ValueError (what is missing) when this kit has no stub or reference of ``assignment``.
    """
    if not re.fullmatch(r"\w{1,40}", assignment):
        raise ValueError(f"{one_line(assignment, 40)!r} is not an assignment of this kit: give --assignment")
    out = []
    for what, path in (("stub", student_module(assignment)), ("reference", reference_module(assignment))):
        try:
            out.append(_text(files.read_regular(path, MAX_SOURCE_BYTES))[0])
        except files.NotRead as exc:
            raise ValueError(f"the {what} of {one_line(assignment, 40)} could not be read ({exc}): "
                             "compare from the kit the class was graded with") from None
    return out


def identical_groups(texts, *, stub):
    """Groups (two students or more, sorted) whose modules are the same text, character for character
    (line ends aside), whatever the thresholds: a copy of a module close to the reference has almost
    nothing of its own left to compare, but is still a copy. Untouched stubs are left out."""
    groups = {}
    for name, text in texts.items():
        if text != stub:
            groups.setdefault(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), []).append(name)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def _limits():  # pragma: no cover - runs in the child, before it execs
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def compare(assignment, texts, *, threshold=THRESHOLD, min_lines=MIN_LINES, not_compared=(), cut=(),
            time_limit=TIME_LIMIT):
    """Compare every pair of ``texts`` ({student: module text}) of ``assignment``: a :class:`Comparison`.

    Never raises for what the texts hold: a comparison that cannot finish (out of time or
    memory, the assignment's stub or reference missing) gives a Comparison whose ``problem`` says why.
    """
    out = Comparison(threshold=check_threshold(threshold), min_lines=check_min_lines(min_lines),
                     texts=dict(texts), not_compared=list(not_compared), cut=list(cut))
    try:
        known = known_texts(assignment)
    except ValueError as exc:
        out.problem = str(exc)
        return out
    out.identical = identical_groups(texts, stub=known[0])
    if len(texts) < 2:
        out.empty = sorted(texts)
        out.problem = f"{len(texts)} module{'s' if len(texts) != 1 else ''} to compare: a pair needs two"
        return out
    request = {"known": known, "sources": texts, "noise": NOISE, "guarantee": GUARANTEE,
               "threshold": out.threshold / 100, "min_lines": out.min_lines, "max_pairs": MAX_PAIRS}
    env = {**os.environ, "PYTHONHASHSEED": HASH_SEED, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                                                  if p)}
    try:
        proc = subprocess.run([sys.executable, "-m", "reports._fingerprints"], input=json.dumps(request),
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=time_limit,
                              preexec_fn=_limits)
    except subprocess.TimeoutExpired:
        out.problem = (f"the comparison did not finish within {time_limit:g} s (reports.similarity.TIME_LIMIT); "
                       "nothing is listed")
        return out
    except OSError as exc:
        out.problem = f"the comparison could not start: {one_line(exc, 200)}"
        return out
    try:
        answer = json.loads(proc.stdout) if proc.returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        memory = "MemoryError" in proc.stderr
        out.problem = ("the comparison ran out of memory (reports.similarity.MEMORY_LIMIT, "
                       f"{MEMORY_LIMIT >> 30} GiB)" if memory else
                       f"the comparison failed (exit status {proc.returncode}): "
                       f"{one_line(proc.stderr.strip()[-300:], 300)}")
        return out
    out.empty = list(answer["empty"])
    out.pairs = [Pair(**p) for p in answer["pairs"]]
    out.eligible, out.seconds = int(answer["eligible"]), float(answer["seconds"])
    return out


# ----------------------------------------------------------------------------
# the side-by-side pages


_PAGE = re.compile(r"similar_[0-9a-f]{12,64}\.html")


def page_for(a, b, taken):
    """The side-by-side page's file stem of students ``a`` and ``b``: ``similar_`` and a hash of
    both names, never one of ``taken`` (the students' own pages' stems)."""
    digest = hashlib.sha256(f"{a}\0{b}".encode("utf-8", "surrogatepass")).hexdigest()
    n = 12
    while f"similar_{digest[:n]}" in taken:
        n += 1
    return f"similar_{digest[:n]}"


def marked_lines(text, regions):
    """``text`` as lines for the page: each ``{"pieces": [(shown text, marked), ...], "shared": bool}``,
    every hidden character shown as ``\\xNN`` (:func:`autograder.text.clean`); the templates escape."""
    cuts, marks = [], []
    position = 0
    for start, end in sorted(regions):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        if start > position:
            cuts.append(text[position:start])
            marks.append(False)
        cuts.append(text[start:end])
        marks.append(True)
        position = end
    if position < len(text):
        cuts.append(text[position:])
        marks.append(False)
    lines = [[]]
    for piece, marked in zip(cuts, marks):
        for i, part in enumerate(piece.split("\n")):
            if i:
                lines.append([])
            if part:
                lines[-1].append((clean(part), marked))
    return [{"pieces": line, "shared": any(marked for _, marked in line)} for line in lines]


#: on a side-by-side page, a run of more than this many lines with nothing shared is folded
#: (a ``<details>`` element, opened with a click: no script), keeping ``CONTEXT`` lines each side
FOLD, CONTEXT = 12, 3


def blocks(lines):
    """``lines`` (:func:`marked_lines`) as blocks for the page: ``{"first": line number, "lines": [...],
    "folded": bool}``; long runs of lines with nothing shared are folded."""
    out, run_start = [], None

    def add(first, last, folded):
        if last >= first:
            out.append({"first": first + 1, "last": last + 1, "lines": lines[first:last + 1], "folded": folded})

    shown_from = 0
    for i, line in enumerate(lines + [{"shared": True}]):
        if not line["shared"]:
            run_start = i if run_start is None else run_start
            continue
        if run_start is not None:
            lo = run_start + (CONTEXT if run_start > 0 else 0)
            hi = i - 1 - (CONTEXT if i < len(lines) else 0)
            if hi - lo + 1 > FOLD:
                add(shown_from, lo - 1, False)
                add(lo, hi, True)
                shown_from = hi + 1
            run_start = None
    add(shown_from, len(lines) - 1, False)
    return out


def write_pages(comparison, dest, *, assignment, pages=None):
    """Write each listed pair's side-by-side page in ``dest`` (setting ``pair.page``); return their paths.

    ``pages`` maps students to their feedback pages' stems (linked when the page is in ``dest``).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    pages = pages or {}
    taken = set(pages.values())
    written = []
    for old in dest.glob("similar_*.html"):  # an earlier drawing's pairs (no student's page)
        if _PAGE.fullmatch(old.name) and old.name[:-len(".html")] not in taken and not old.is_symlink():
            old.unlink()
    for pair in comparison.pairs:
        stem = page_for(pair.a, pair.b, taken)
        taken.add(stem)
        sides = []
        for who, share, lines, regions in ((pair.a, pair.share_a, pair.lines_a, pair.regions_a),
                                           (pair.b, pair.share_b, pair.lines_b, pair.regions_b)):
            feedback = f"{pages.get(who) or ''}.html"
            sides.append({"name": one_line(who, limit=200), "share": f"{100 * share:.0f}", "lines": lines,
                          "href": feedback if pages.get(who) and (dest / feedback).exists() else "",
                          "blocks": blocks(marked_lines(comparison.texts.get(who, ""), regions)),
                          "cut": who in comparison.cut})
        path = dest / f"{stem}.html"
        files.write_atomic(path, render("similar.html.j2", assignment=one_line(assignment, limit=40), sides=sides,
                                        threshold=f"{comparison.threshold:g}", min_lines=comparison.min_lines,
                                        settings=settings_text(), max_chars=f"{MAX_CHARS:,}"))
        pair.page = path.name
        written.append(path)
    return written


def settings_text():
    """How the comparison was made, in one line (for the pages)."""
    from importlib.metadata import version
    try:
        library = f"copydetect {version('copydetect')}"
    except Exception:  # noqa: BLE001 - the version is only shown
        library = "copydetect"
    return (f"{library}: winnowed fingerprints of tokenised code (identifiers, strings and comments "
            f"replaced), k = {NOISE} characters, window {GUARANTEE - NOISE + 1}")


def summary_lines(comparison, limit=5):
    """The similarity lines of the text summary printed at the end of ``grade-all``."""
    c = comparison
    head = (f"  similar submissions (≥ {c.threshold:g} % of either's own code, ≥ {c.min_lines} lines in "
            "common; evidence to read, not a verdict):")
    if c.problem:
        return [f"  similar submissions: not compared: {one_line(c.problem, 200)}"]
    same = [f"    identical modules: {' = '.join(one_line(x, 40) for x in g[:5])}{' …' if len(g) > 5 else ''}"
            for g in c.identical[:limit]]
    if not c.pairs:
        return [head, f"    none among {len(c.texts)} modules"] + same
    out = [head]
    for p in c.pairs[:limit]:
        out.append(f"    {one_line(p.a, 40)} ↔ {one_line(p.b, 40)}: {100 * p.share_a:.0f} % / "
                   f"{100 * p.share_b:.0f} %, {p.lines} lines")
    if c.eligible > limit:
        out.append(f"    … and {c.eligible - limit} more (the HTML report lists the {len(c.pairs)} most similar)")
    return out + same
