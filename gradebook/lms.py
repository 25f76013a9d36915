"""The gradebook in the file each LMS imports: Canvas, Moodle, Blackboard.

Each student is keyed by the identity the LMS gave them in the bulk download
(:mod:`autograder.batch` reads it from the file names):

- **Canvas** (``lastfirst_<user id>_…``): Canvas's gradebook CSV, the
  columns ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``
  and one column per assignment; its "Import" matches students on ``ID`` and
  an assignment column on its name (``name (assignment id)`` in Canvas's own
  export; a new name creates an assignment). The import takes no comment
  column for an assignment: the reasons are printed and in the kit's CSV.
  (Canvas Instructor Guide, "How do I import grades in the Gradebook?" and
  "How do I export grades in the Gradebook?", community.canvaslms.com.)
- **Moodle** (``Full Name_<participant id>_assignsubmission_…``): the
  assignment's offline grading worksheet, which "Upload grading worksheet"
  reads: ``Identifier`` (``Participant <id>``, the id in the download's
  names), ``Grade``, ``Last modified (grade)`` (required) and
  ``Feedback comments`` (the comments plugin's column). (moodle/moodle,
  ``mod/assign/feedback/offline/importgradeslib.php``: the three columns it
  requires and the ``Participant`` prefix it strips.)
- **Blackboard** (``<assignment>_<username>_attempt_…``): the Grade Center's
  offline-upload file, students keyed by ``Username``, a grade column
  ``<name> [Total Pts: <max> Score] |<column id>`` (a column without an id
  creates a new column), every cell quoted in a comma-delimited file;
  ``Feedback to Learner`` is the comment column of a download that includes
  comments. (Blackboard Learn Help, "Upload or Download Grade Center Items for
  Working Offline", library.blackboard.com.)

With ``roster`` (the LMS's own gradebook export, or Moodle's downloaded
grading worksheet) the export is that file with this assignment's column
(and the comment column, where it has one) filled in: every other column and
row is as it was, a student of the roster without a submission gets an
empty cell and "no submission". Without one, the file lists the class.

A student the kit could not grade (a grading that did not complete, a
submission refused) gets an empty cell and the reason, never a 0 without a
word. Two submissions that claim one LMS identity both get an empty cell and
say so; with a roster, a Canvas or Moodle download whose name part is not the
roster's name for that id is refused the same way.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass

from autograder import files
from autograder.text import csv_cell, one_line

FORMATS = ("canvas", "moodle", "blackboard")
MAX_ROSTER_BYTES = 32 << 20
#: the roster's column that keys the LMS's students, per format
KEY_COLUMN = {"canvas": "ID", "moodle": "Identifier", "blackboard": "Username"}
#: the roster's columns a folder-per-student class's folder names are matched against (in order)
FOLDER_COLUMNS = {"canvas": ("SIS Login ID", "SIS User ID"), "moodle": ("Email address",),
                  "blackboard": ("Username",)}
COMMENT_COLUMN = {"canvas": None, "moodle": "Feedback comments", "blackboard": "Feedback to Learner"}
MOODLE_PREFIX = "Participant "
NO_SUBMISSION = "no submission"


class ExportError(ValueError):
    """An export that cannot be made; ``str()`` says why and how to fix it."""


@dataclass
class Entry:
    """One student of the class as exported: the LMS id (``key``), the total (None: an empty cell) and the comment."""

    stem: str
    lms: str
    who: str            # the download's name of the student, raw (or the folder name)
    key: str            # the LMS's id: Canvas user id, Moodle participant id, Blackboard username; folder name
    label: str          # the name part of the download's name ("smithbob", "Bob Smith")
    total: float | None
    max_score: float
    comment: str
    prefix: str = ""    # Blackboard: the download's "<assignment>_<username>" (the username may hold "_")


def identity_key(identity, fmt):
    """``(key, label)`` of a student for the LMS ``fmt``: the id the LMS gave them in the download.

    Raises :class:`ExportError` for a student of another LMS's download.
    """
    lms, who = identity.get("lms") or "", str(identity.get("who") or "")
    if not lms:
        return who, who
    if lms != fmt:
        raise ExportError(f"the class is a {lms} download, not {fmt}: export with --export {lms}")
    if fmt in ("canvas", "moodle"):
        label, _, key = who.rpartition("_")
        return key, label
    return who, who


def _folds(text):
    """The forms an LMS may have made a name into for a file name: letters and digits only, case
    folded; with its accents, without them, or with non-ASCII letters dropped (Canvas's ``lastfirst``)."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    forms = {re.sub(r"[\W_]+", "", text), re.sub(r"[^a-z0-9]+", "", plain), re.sub(r"[^a-z0-9]+", "", text)}
    return forms - {""}   # a name of no Latin letter has an empty ASCII form: "" matched every such name


def _number(x):
    return f"{round(float(x), 4):g}"


def _cell(value):
    """A cell the kit writes: a number as a number, text made spreadsheet-safe."""
    return value if isinstance(value, str) and _NUMBER.fullmatch(value) else csv_cell(value)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def _kept(value):
    """A roster cell written back: as it was, unless a spreadsheet would read it as a formula
    (a number, also a negative one, is kept as it is)."""
    return value if not value or _NUMBER.fullmatch(value.strip()) else csv_cell(value)


def check_class(entries, fmt, roster):
    """Why the class cannot be exported (an :class:`ExportError`), before anything is graded."""
    if not entries:
        raise ExportError("the class has no student to export")
    if roster is None and not any(e.lms for e in entries):
        raise ExportError(
            f"the export needs each student's {fmt} identity, and this class is one folder per student (no "
            f"LMS download): grade the LMS's bulk download itself, or give --roster (the LMS's gradebook "
            f"export) whose {' or '.join(repr(c) for c in FOLDER_COLUMNS[fmt])} column holds the folder names")


def duplicates(entries):
    """Entries whose LMS id another entry claims too: ``{key: [entries]}``."""
    by = {}
    for e in entries:
        if e.key:
            by.setdefault((e.lms, e.key), []).append(e)
    return {k: v for k, v in by.items() if len(v) > 1}


def _refuse_duplicates(entries):
    for (_, key), claim in duplicates(entries).items():
        names = ", ".join(one_line(e.who, 60) for e in claim)
        for e in claim:
            e.total = None
            e.comment = (f"not exported: {len(claim)} submissions claim the LMS id {one_line(key, 40)} ({names}); "
                         "check which is this student's and grade it by hand")


# ----------------------------------------------------------------------------
# without a roster


def _canvas(entries, column, out_of):
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
    rows = [[e.label, e.key, "", "", "", "" if e.total is None else _number(e.total)] for e in entries]
    return header, rows, ","


def _moodle(entries, column, out_of, now):
    header = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
              "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    rows = [[MOODLE_PREFIX + e.key, e.label, "", "", "" if e.total is None else _number(e.total),
             _number(out_of if out_of else e.max_score), "Yes", "", stamp, e.comment] for e in entries]
    return header, rows, ","


def _blackboard(entries, column, out_of):
    points = out_of or max((e.max_score for e in entries), default=0)
    header = ["Last Name", "First Name", "Username", "Student ID", "Last Access", "Availability",
              f"{column} [Total Pts: {_number(points)} Score]", "Feedback to Learner"]
    rows = [["", "", e.key, "", "", "", "" if e.total is None else _number(e.total), e.comment] for e in entries]
    return header, rows, ","


# ----------------------------------------------------------------------------
# with a roster


def read_roster(path):
    """``(header, rows, delimiter)`` of an LMS gradebook export: a regular file (never through a
    link, never a FIFO) of at most :data:`MAX_ROSTER_BYTES`, UTF-8 (with or without a BOM) or
    UTF-16 with a BOM (Blackboard's ``.xls`` download), comma- or tab-delimited."""
    shown = one_line(str(path), 200)
    try:
        raw = files.read_regular(path, MAX_ROSTER_BYTES, display=shown)
    except files.NotRead as exc:
        raise ExportError(f"the roster {shown} was not read ({exc.short}): give the LMS's gradebook export, "
                          f"a regular file of at most {files.size_text(MAX_ROSTER_BYTES)}") from None
    try:
        text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExportError(f"the roster {shown} is neither UTF-8 nor UTF-16 text: export it from the LMS again "
                          "(or save it as CSV UTF-8)") from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ExportError(f"the roster {shown} is not a CSV file: {one_line(exc, 200)}") from None
    if not rows or not any(rows[0]):
        raise ExportError(f"the roster {shown} is empty: export the LMS's gradebook (with its header row)")
    return rows[0], rows[1:], delimiter


def roster_columns(header, fmt, column):
    """``(key index, grade index, comment index or None)`` of a roster's header; :class:`ExportError`
    naming what is missing."""
    shown = ", ".join(repr(one_line(h, 60)) for h in header[:20])
    key = KEY_COLUMN[fmt]
    if key not in header:
        raise ExportError(f"the roster has no {key!r} column, which {fmt} keys its students by (its columns: "
                          f"{shown}); give the gradebook export of {fmt} itself")
    if fmt == "moodle":
        grade = [i for i, h in enumerate(header) if h == "Grade"]
        want = "'Grade' (the grading worksheet's)"
    else:
        opener = " (" if fmt == "canvas" else " ["
        grade = [i for i, h in enumerate(header) if h == column or h.startswith(column + opener)]
        want = f"{column!r} (or {column + opener}…)"
    if len(grade) != 1:
        raise ExportError(f"the roster has {'no' if not grade else 'more than one'} column {want} for this "
                          f"assignment (its columns: {shown}); name the assignment's column with --column")
    comment = COMMENT_COLUMN[fmt]
    return header.index(key), grade[0], header.index(comment) if comment in header else None


def _roster_key(fmt, value):
    value = value.strip()
    if fmt == "moodle":
        return value[len(MOODLE_PREFIX):] if value.startswith(MOODLE_PREFIX) else ""
    return value


def _name_matches(fmt, header, row, entry):
    """Whether the download's name part agrees with the roster's name for that id (Canvas, Moodle)."""
    column = {"canvas": "Student", "moodle": "Full name"}.get(fmt)
    if not entry.lms or column not in header:
        return True
    return bool(_folds(row[header.index(column)]) & _folds(entry.label))


def roster_usernames(header, rows):
    """The ``Username`` column's values of a Blackboard roster (empty without that column)."""
    if "Username" not in header:
        return set()
    i = header.index("Username")
    return {row[i].strip() for row in rows if len(row) > i and row[i].strip()}


def username_fits(prefix, names):
    """The usernames of ``names`` that a download's ``<assignment>_<username>`` can end with, sorted."""
    return sorted(u for u in names if len(prefix) > len(u) + 1 and prefix.endswith("_" + u))


def resolve_usernames(header, rows, entries):
    """Blackboard: give each download its roster username; ``problems``.

    A download's ``<assignment>_<username>`` cannot be split alone (either may hold "_"):
    ``HW1_john_smith`` was read as username ``smith``, and a roster's ``smith`` got John Smith's
    grade. The username is the roster's that the download's name ends with (after a "_"); a name
    two roster usernames end it with (``john_smith`` and ``smith``) is refused, said.
    """
    names = roster_usernames(header, rows)
    problems = []
    for e in entries:
        if e.lms != "blackboard" or not e.prefix:
            continue
        fits = username_fits(e.prefix, names)
        if len(fits) == 1:
            e.key = fits[0]
        elif len(fits) > 1:
            e.total = None
            e.comment = (f"not exported: the download {one_line(e.prefix, 80)!r} ends with more than one "
                         f"roster username ({', '.join(one_line(u, 40) for u in fits)}); grade it by hand")
            problems.append(f"{one_line(e.prefix, 80)}: {e.comment}")
            e.key = ""
    return problems


def fill_roster(header, rows, fmt, entries, column):
    """The roster's rows with this assignment's cells filled in; ``(rows, problems)``.

    ``problems`` lists the students of the class who are not in the roster (their grades are in
    no row) and the roster ids that occur twice (left as they were).
    """
    key_i, grade_i, comment_i = roster_columns(header, fmt, column)
    problems = []
    by_key, by_folder = {}, {}
    for e in entries:
        (by_key if e.lms else by_folder).setdefault(e.key, e)
    folder_cols = [header.index(c) for c in FOLDER_COLUMNS[fmt] if c in header]
    seen, counts = set(), {}
    for row in rows:
        if len(row) > key_i:
            k = _roster_key(fmt, row[key_i])
            counts[k] = counts.get(k, 0) + 1
    out = []
    for row in rows:
        row = [_kept(c) for c in row]
        if len(row) <= key_i or not _roster_key(fmt, row[key_i]):
            out.append(row)          # a row of no student (Canvas's "Points Possible")
            continue
        k = _roster_key(fmt, row[key_i])
        row += [""] * (max(grade_i, comment_i or 0) + 1 - len(row))
        if counts[k] > 1:
            problems.append(f"the roster lists the id {one_line(k, 40)} {counts[k]} times: those rows were left as they were")
            out.append(row)
            continue
        entry = by_key.get(k) or next((by_folder[row[i].strip()] for i in folder_cols
                                       if row[i].strip() in by_folder), None)
        if entry is None:
            total, comment = None, NO_SUBMISSION
        elif not _name_matches(fmt, header, row, entry):
            seen.add(entry.stem)
            total = None
            comment = (f"not exported: the download names this id's student {one_line(entry.label, 60)!r}, the "
                       "roster does not: check the submission and grade it by hand")
            problems.append(f"{one_line(entry.who, 80)}: {comment}")
        else:
            seen.add(entry.stem)
            total, comment = entry.total, entry.comment
        row[grade_i] = "" if total is None else _number(total)
        if comment_i is not None:
            row[comment_i] = csv_cell(comment) if comment else ""
        out.append(row)
    for e in entries:
        if e.stem not in seen and e.key:
            problems.append(f"{one_line(e.who, 80)} is not in the roster: their grade is in no row of the export")
    return out, problems


# ----------------------------------------------------------------------------


def export(path, fmt, entries, *, column, roster=None, out_of=None, now=None):
    """Write the export of ``entries`` for the LMS ``fmt`` to ``path`` (atomically); return the problems.

    ``column`` names the assignment's column (Canvas, Blackboard); ``roster`` is the LMS's own
    gradebook export to fill in; ``out_of`` rescales the totals to that many points (the LMS
    assignment's own maximum; default: the kit's points).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {one_line(fmt, 40)!r}: choose one of {', '.join(FORMATS)}")
    check_class(entries, fmt, roster)
    if out_of:
        for e in entries:
            if e.total is not None and e.max_score:
                e.total = e.total * out_of / e.max_score
    resolved = []
    if roster is not None and fmt == "blackboard":
        header, rows, _ = read_roster(roster)
        resolved = resolve_usernames(header, rows, entries)
    _refuse_duplicates(entries)
    problems = [f"{one_line(e.who, 80)}: {e.comment}" for e in entries
                if e.total is None and e.comment and e.key] + resolved
    if roster is None:  # a student folder among an LMS download's files has no LMS id
        for e in [e for e in entries if not e.lms]:
            problems.append(f"{one_line(e.who, 80)} is a folder, not the LMS's download: not exported "
                            "(give --roster to match folder names to the LMS's students)")
        entries = [e for e in entries if e.lms]
    if roster is not None:
        header, rows, delimiter = read_roster(roster)
        rows, more = fill_roster(header, rows, fmt, entries, column)
        problems += more
        header = [_kept(h) for h in header]
    else:
        writer = {"canvas": _canvas, "blackboard": _blackboard}.get(fmt)
        header, rows, delimiter = (writer(entries, column, out_of) if writer else
                                   _moodle(entries, column, out_of, now or dt.datetime.now()))
        header = [_cell(h) for h in header]
        rows = [[_cell(c) for c in row] for row in rows]
    quoting = csv.QUOTE_ALL if fmt == "blackboard" else csv.QUOTE_MINIMAL
    with files.replacing(path, newline="") as f:
        w = csv.writer(f, delimiter=delimiter, quoting=quoting)
        w.writerow(header)
        w.writerows(rows)
    return problems
