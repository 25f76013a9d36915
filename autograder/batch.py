"""What ``grade-all`` grades: the students of a class folder, and what it remembers.

A class folder holds one sub-folder per student (nbgrader, Gradescope
exports, a hand-made class), or the flat files of an LMS bulk download, one
or more per student with the student named in the file name:

- Canvas: ``<lastfirst>[_late]_<user id>_<submission id>_<file>``, a
  resubmitted file's name ending ``-<n>`` (``smithbob_340934_208490284_mle-1.py``);
- Moodle: ``<Full Name>_<participant id>_assignsubmission_file_<file>``
  (or a folder of that name, "download submissions in folders");
- Blackboard: ``<Assignment>_<username>_attempt_<YYYY-MM-DD-hh-mm-ss>_<file>``
  beside a ``…_attempt_<stamp>.txt`` receipt; the latest attempt counts.

Each file goes to exactly one student or to none: a name that reads as two
students' (the original file name is the student's to choose), a Blackboard
assignment holding ``_attempt_`` again, or an attempt dated in the future is
a gradebook row of its own saying why (:func:`lms_reading`). Students are
keyed by their raw names: two different names are two rows.

Nothing here follows a symbolic link, opens a device or reads a file
without a size cap: the files are untrusted (the engine's intake applies on
top, when it reads the submission).

Resuming: each grading is kept with the hash of what the engine's intake
reads of the submission (its snapshot) and the hash of what grades it (the
hidden tests, the reference, the engine), so a re-run regrades only what changed.

A results folder (:class:`Store`) is what ``python -m reports RESULTS OUT``
draws the pages from: ``<stem>.json`` (results.json, :mod:`autograder.results`)
and ``<stem>.npz`` (the pictures' arrays) per student,
``.grade-all/class.json`` (the assignment, the seed and the class's students)
and ``.grade-all/sources/<stem>.py`` (the module each student was graded on,
as the engine's intake read it: what the similarity report compares).
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import files, intake
from .paths import DATASETS, HIDDEN_TESTS, ROOT, reference_module
from .results import ARTIFACTS_SUFFIX, load_artifacts, save_artifacts
from .text import file_stem, one_line

#: bytes of one file that are hashed or copied (the rest is counted, not read)
MAX_FILE_BYTES = 32 << 20
#: files of one student of an LMS download that are staged (copied) for grading; the engine's
#: intake then takes at most :data:`autograder.intake.MAX_PYTHON_FILES` Python files of them
MAX_LMS_FILES = 200

#: Canvas: anchored at the start; the student is ``<lastfirst>_<user id>`` (letters and digits only).
#: ``_late`` / ``_LATE`` is Canvas's own mark of a submission made after its due date (Canvas
#: writes it; the time itself is not in the name).
CANVAS = re.compile(r"^(?P<who>[A-Za-z0-9]+?)(?P<late>_(?:late|LATE))?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
#: Moodle: what follows ``<Full Name>``; found anywhere, so that a second one is seen.
MOODLE_MARK = re.compile(r"_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_")
#: Blackboard: what follows ``<Assignment>_<username>``; found anywhere, so that a second one is seen.
BLACKBOARD_MARK = re.compile(r"_attempt_(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?=_|\.txt$|$)")
CANVAS_RESUBMITTED = re.compile(r"^(?P<stem>.+)-\d+(?P<ext>\.[A-Za-z0-9]+)$")
#: A Blackboard stamp is the server's local time: one later than now by more than this
#: (the widest gap between two time zones) is in the future, and refused.
STAMP_SLACK = datetime.timedelta(hours=26)

EXPECTED = ("one sub-folder per student holding {a}.py (or {a}.ipynb), or the files of an LMS "
            "bulk download: Canvas 'lastfirst_12345_67890_{a}.py', Moodle "
            "'Full Name_12345_assignsubmission_file_{a}.py', Blackboard "
            "'Assignment_username_attempt_2026-05-01-12-00-00_{a}.py'")


@dataclass
class Student:
    """One gradebook row: what to grade (``path``) and what it was made of (``files``).

    ``key`` is the student's identity: the raw folder name (or the LMS's
    student, in a namespace no folder name can take), never a cleaned form,
    so two different names are always two rows. ``name`` is what is shown
    (clean, one line, unique in the class); ``stem`` names the student's
    files in the results folder (unique in the class, whatever the case).
    """

    name: str                       # as shown (clean, one line); unique, the gradebook's row
    path: Path | None = None        # a folder or a file, given to engine.grade
    files: dict = field(default_factory=dict)   # LMS: original name -> file in the class folder
    lms: str = ""                   # "canvas", "moodle", "blackboard" or ""
    skipped: str = ""               # why it is not graded ("" when it is)
    key: str = ""                   # the identity (raw name); defaults to ``name``
    stem: str = ""                  # file stem of its results; defaults to file_stem(name)
    who: str = ""                   # the LMS's name of the student (raw), or the raw folder name
    stamp: str = ""                 # Blackboard: the graded attempt's stamp (the server's clock)
    late_marker: bool = False       # Canvas: the download's name carries Canvas's "late" mark
    prefix: str = ""                # Blackboard: ``<assignment>_<username>`` as the download names it

    def identity(self):
        """What the gradebook exports and the late policy read of this student (plain JSON)."""
        return {"name": self.name, "lms": self.lms, "who": self.who or self.key, "stamp": self.stamp,
                "late_marker": self.late_marker, "skipped": self.skipped, "prefix": self.prefix}

    def __post_init__(self):
        self.key = self.key or self.name
        self.stem = self.stem or file_stem(self.name)


def _digest(text, n=16):
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:n]


def _lstat(path):
    try:
        return os.lstat(path)
    except OSError:
        return None


@dataclass(frozen=True)
class Reading:
    """One way to read an LMS file name: whose file it is, and which."""

    lms: str
    who: str          # the student, as the LMS names them
    stamp: str        # Blackboard's attempt stamp ("" elsewhere)
    file: str | None  # the original file name; None for a receipt
    late: bool = False  # Canvas's "late" mark in the name
    prefix: str = ""    # Blackboard: ``<assignment>_<username>`` (a username may hold "_": which
                        # underscore ends the assignment, only the LMS's roster can tell)


def _readings(name):
    """Every way ``name`` reads as an LMS download's file name (Canvas, Moodle, Blackboard)."""
    out = []
    m = CANVAS.match(name)
    if m:
        r = CANVAS_RESUBMITTED.match(m["file"])
        out.append(Reading("canvas", f"{m['who']}_{m['id']}", "",
                           (r["stem"] + r["ext"]) if r else m["file"], bool(m["late"])))
    for m in MOODLE_MARK.finditer(name):
        if m.start() > 0:
            out.append(Reading("moodle", f"{name[:m.start()]}_{m['id']}", "", name[m.end():] or None))
    for m in BLACKBOARD_MARK.finditer(name):
        assignment, _, who = name[:m.start()].rpartition("_")
        if assignment and who:
            rest = name[m.end():]
            out.append(Reading("blackboard", who, m["stamp"], rest[1:] or None if rest.startswith("_") else None,
                               prefix=name[:m.start()]))
    return out


def lms_reading(name, now=None):
    """The one :class:`Reading` of the LMS file name ``name``; None when it is no LMS name.

    Raises ValueError (why, for the instructor) when the name cannot be given to
    exactly one student: it reads as two students' (a second identity in the
    Blackboard assignment, the Moodle name or the original file name, which
    the student chose), or its Blackboard attempt is dated in the future or on
    no real date (the latest attempt counts, so such a stamp would win).
    """
    found = _readings(name)
    if not found:
        return None
    if len(found) > 1 or (found[0].file and _readings(found[0].file)):
        whose = sorted({f"{r.who} ({r.lms})" for r in found})
        raise ValueError("its name reads as more than one student's file"
                         + (f" ({', '.join(whose)})" if len(whose) > 1 else
                            " (the submitted file's own name is an LMS download's name)"))
    reading = found[0]
    if reading.lms == "blackboard":
        if "_attempt_" in name[:name.index(f"_{reading.who}_attempt_{reading.stamp}")]:
            raise ValueError("its Blackboard assignment name holds '_attempt_' again, so whose "
                             "attempt it is cannot be told")
        try:
            when = datetime.datetime.strptime(reading.stamp, "%Y-%m-%d-%H-%M-%S")
        except ValueError:
            raise ValueError(f"its attempt stamp {reading.stamp} is no real date") from None
        if when > (now or datetime.datetime.now()) + STAMP_SLACK:
            raise ValueError(f"its attempt is dated in the future ({reading.stamp}), so it would "
                             "count as the latest attempt")
    return reading


def _lms_key(name):
    """(lms, student key, attempt stamp, original file name or None, Canvas late mark, Blackboard
    prefix) for an LMS file name.

    Raises ValueError for a name no single student can be given (see :func:`lms_reading`).
    """
    r = lms_reading(name)
    return None if r is None else (r.lms, r.who, r.stamp, r.file, r.late, r.prefix)


def _unique(students):
    """Make the shown names and the file stems of ``students`` unique (in place).

    Two different raw names whose shown forms or stems coincide (control
    characters shown alike, ``a b`` and ``a_b``, Unicode normalisation,
    letter case on a case-insensitive disk) each get a suffix from their
    raw name's hash; nothing of two students is ever shared.
    """
    def fold(text):
        return unicodedata.normalize("NFKC", text).casefold()

    for attr in ("name", "stem"):
        counts = {}
        for s in students:
            counts[fold(getattr(s, attr))] = counts.get(fold(getattr(s, attr)), 0) + 1
        used = set()
        for s in sorted(students, key=lambda s: s.key):
            value = getattr(s, attr)
            if counts[fold(value)] > 1 or fold(value) in used:
                sep = " #" if attr == "name" else "-"
                value = f"{value}{sep}{_digest(s.key)}"
                n = 2
                while fold(value) in used:
                    value = f"{value}{sep}{n}"
                    n += 1
            used.add(fold(value))
            setattr(s, attr, value)


def discover(root, assignment):
    """The class: ``(students, ignored)``, students sorted by name.

    ``ignored`` lists (name, why) of top-level entries that are no student.
    A folder whose name begins with a dot is a student listed as skipped, and
    so is an LMS file name that no single student can be given (a row named
    after the file, with the reason): it is never given to anyone, nor dropped.
    """
    root = Path(root)
    folders, groups, ignored = [], {}, []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        shown = one_line(entry.name, limit=120)
        st = _lstat(entry.path)
        if st is None:
            continue
        if stat.S_ISDIR(st.st_mode):
            moodle_folder = re.match(r"^(?P<who>.+?_\d+)_assignsubmission_(?:file|onlinetext)_?$", entry.name)
            name = one_line(moodle_folder["who"] if moodle_folder else entry.name, limit=120)
            if entry.name.startswith("."):
                folders.append(Student(name, key=entry.name,
                                       skipped="not graded: the folder name begins with a dot "
                                               "(rename it to grade it)"))
            else:
                folders.append(Student(name, path=Path(entry.path), key=entry.name,
                                       lms="moodle" if moodle_folder else "",
                                       who=moodle_folder["who"] if moodle_folder else entry.name))
            continue
        try:
            key = _lms_key(entry.name)
        except ValueError as exc:
            folders.append(Student(shown, key="\0refused\0" + entry.name,
                                   skipped=f"not graded: the file {shown} was given to no student: "
                                           f"{exc} (rename it to give it to its student)"))
            continue
        if key is None or not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)
                               or stat.S_ISFIFO(st.st_mode)):
            # a link, FIFO or oversized file with an LMS name is still that student's file: it is
            # graded (staging refuses it by name), so that the student is never silently dropped
            why = ("a symbolic link (submit the folder or file itself)" if stat.S_ISLNK(st.st_mode) else
                   "not a regular file" if not stat.S_ISREG(st.st_mode) else
                   "neither a student folder nor an LMS download's file name")
            ignored.append((shown, why))
            continue
        lms, who, stamp, original, late, prefix = key
        if original is None:
            ignored.append((shown, f"a {lms} receipt (no submitted file)"))
            continue
        # Blackboard: keyed by the whole "<assignment>_<username>", so that "HW1_john_smith" and
        # "HW1_jane_smith" (both read as username "smith") stay two students
        groups.setdefault((lms, who, prefix), {}).setdefault(stamp, []).append((original, Path(entry.path), late))
    students = list(folders)
    for (lms, who, prefix), attempts in groups.items():
        latest = attempts[max(attempts)]          # Blackboard: the latest attempt counts
        for stamp in attempts:
            if stamp != max(attempts):
                ignored.extend((one_line(p.name, limit=120), "an earlier attempt") for _, p, _ in attempts[stamp])
        files = {}
        for original, path, _ in sorted(latest, key=lambda t: t[1].name):
            files.setdefault(original, path)      # Canvas: the first (lowest -n) wins a name clash
        # "\0" is in no folder name: an LMS student never shares a key with a folder
        students.append(Student(one_line(who, limit=120), files=files, lms=lms,
                                key=f"\0{lms}\0{who}" + (f"\0{prefix}" if prefix else ""),
                                who=who, stamp=max(attempts), prefix=prefix,
                                late_marker=any(late for _, _, late in latest)))
    _unique(students)
    students.sort(key=lambda s: (s.name, s.key))
    return students, ignored


def nothing_gradable(root, assignment, students, ignored):
    """The message for a folder with no student in it, or None."""
    if any(not s.skipped for s in students):
        return None
    found = [f"{n} ({why})" for n, why in ignored[:8]] + [f"{s.name}/ ({s.skipped})" for s in students[:8]]
    more = len(ignored) + len(students) - len(found)
    what = "; ".join(found) + (f"; and {more} more" if more > 0 else "") if found else "nothing at all"
    return (f"nothing gradable in {one_line(str(root))}: found {what}. Expected "
            + EXPECTED.format(a=assignment) + ".")


# ----------------------------------------------------------------------------
# staging an LMS student's files, hashing


#: What a refused LMS file is replaced by in the staged copy: a link that points nowhere.
REFUSED_LINK_TARGET = "refused-at-staging"


def _stand_in(path, target):
    """In place of a file ``stage`` does not copy, leave what intake refuses by name.

    A link becomes a link that points nowhere, a FIFO an empty FIFO, an oversized
    file a sparse file of the same size: the engine's intake then tells the
    student exactly what it tells a student whose folder holds that (never
    "missing module"); nothing of the original is read. Devices, sockets and
    unreadable entries are left out (the engine says the module is missing).
    """
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            os.symlink(REFUSED_LINK_TARGET, target)
        elif stat.S_ISFIFO(st.st_mode):
            os.mkfifo(target, 0o600)
        elif stat.S_ISREG(st.st_mode) and st.st_size > MAX_FILE_BYTES:
            with open(target, "wb") as f:
                f.truncate(st.st_size)
    except OSError:
        pass


def stage(student, dest):
    """Copy an LMS student's files (regular files only) into ``dest``; return ``dest``.

    A file that is not regular or too large is not copied: a stand-in of its
    kind takes its place (see :func:`_stand_in`), so that the feedback names it.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():
        if not old.is_dir() or old.is_symlink():
            old.unlink()
    for original, path in list(student.files.items())[:MAX_LMS_FILES]:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", original).lstrip(".") or "file"
        try:  # a regular file only, never through a link, never blocking, under the cap
            (dest / safe).write_bytes(files.read_regular(path, MAX_FILE_BYTES))
        except files.NotRead:
            _stand_in(path, dest / safe)
    return dest


def submission_hash(student, assignment):
    """SHA-256 of what the engine's intake reads of a student's submission, and what it refused.

    It is the intake's own snapshot (:func:`autograder.intake.collect`): every
    file the grading would read (names, roles, contents) and every entry it
    refused, with the reason, so no change to what is graded can keep an old grade.
    """
    h = hashlib.sha256(b"autograder-submission-v2\0")
    try:
        snap = intake.collect(assignment, student.path)
    except OSError as exc:  # the submission is gone (the engine says so when it grades)
        h.update(f"gone\0{exc.errno}".encode())
        return h.hexdigest()
    h.update(snap.digest.encode())
    for r in snap.refused:
        h.update(f"\0R{r.name}\0{r.reason}".encode("utf-8", "surrogateescape"))
    h.update(f"\0P{snap.problem}\0{snap.notebook_notes}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def graded_source(student, assignment):
    """The module the engine's intake takes from ``student``'s submission, as bytes (a notebook's:
    its code cells made a module), or None when there is none (nothing read, a refused module)."""
    try:
        snap = intake.collect(assignment, student.path)
    except OSError:
        return None
    module = snap.module
    if snap.problem is not None or module is None:
        return None
    return snap.module_source if module.role == "notebook" else module.data


def tests_hash(assignment, kit=ROOT):
    """SHA-256 of what grades ``assignment``: its hidden tests, its reference, the engine
    (of this kit, or of the checkout ``kit``)."""
    def at(path):
        return Path(kit) / path.relative_to(ROOT)

    h = hashlib.sha256()
    for what, folder in (("hidden tests", HIDDEN_TESTS / assignment), ("engine", ROOT / "autograder")):
        h.update(f"\0{what}\0{files.tree_digest(at(folder), suffixes=('.py',))}".encode())
    for what, p in (("reference", reference_module(assignment)), ("checksums", DATASETS / "SHA256SUMS")):
        if at(p).is_file():
            h.update(f"\0{what}\0".encode() + at(p).read_bytes())
    from .engine import carry_forward  # the switch changes scores: a switched re-run regrades
    h.update(f"\0carry-forward={carry_forward(assignment)}".encode())
    return h.hexdigest()


# ----------------------------------------------------------------------------
# what a previous run left


class Store:
    """A results folder: per student ``DIR/<stem>.json`` (results.json: Gradescope's schema and
    the kit's ``"autograder"`` block) and ``DIR/<stem>.npz`` (the pictures' arrays), and their state.

    ``DIR/.grade-all/students/<stem>.json`` keeps, beside each results file,
    the hashes it was graded with (a student without one is regraded); the
    class's own state is ``DIR/.grade-all/class.json`` (the assignment, its
    seed, and the class's students: ``{stem: name}``, what ``python -m reports``
    draws), outside the students' namespace, so no student's name can take its
    place. Each is written as soon as the grading ends, so an interrupted run
    resumes where it stopped. ``DIR/.grade-all/sources/<stem>.py`` keeps the module each
    student is graded on (:func:`graded_source`), for the similarity report.
    """

    def __init__(self, directory):
        self.dir = Path(directory) if directory else None
        if self.dir is not None:
            (self.dir / ".grade-all" / "students").mkdir(parents=True, exist_ok=True)

    def _state_path(self, student):
        return self.dir / ".grade-all" / "students" / f"{student.stem}.json"

    def previous_seed(self, assignment):
        if self.dir is None:
            return None
        try:
            data = json.loads((self.dir / ".grade-all" / "class.json").read_text())
        except (OSError, ValueError):
            return None
        return data.get("seed") if data.get("assignment") == assignment else None

    def save_class(self, assignment, seed, students=()):
        """The class's state: its assignment, seed and students (those graded: ``{stem: name}``),
        and every student's identity (``{stem: Student.identity()}``, the skipped ones too: what
        ``python -m gradebook`` exports and applies a late policy to)."""
        if self.dir is not None:
            _atomic_write(self.dir / ".grade-all" / "class.json",
                          {"assignment": assignment, "seed": seed,
                           "students": {s.stem: s.name for s in students if not s.skipped},
                           "identities": {s.stem: s.identity() for s in students}})

    def save_source(self, student, source):
        """Keep ``student``'s graded module (bytes; None: there is none, and an older copy goes)."""
        if self.dir is None:
            return
        path = source_path(self.dir, student.stem)
        if source is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomic(path, source)

    def load(self, student, key):
        """The kept results of ``student`` if they were graded with ``key``, else None."""
        if self.dir is None:
            return None
        try:
            state = json.loads(self._state_path(student).read_text())
            results = json.loads((self.dir / f"{student.stem}.json").read_text())
        except (OSError, ValueError):
            return None
        if state.get("student") != _digest(student.key, 64) or state.get("key") != key or not isinstance(results, dict):
            return None
        return results

    def save(self, student, key, results, *, artifacts=None, keep=True):
        """Write ``student``'s results (and the pictures' arrays; ``None``: none were kept).

        ``keep=False`` (the grader failed): written for the reports, but the next run regrades it.
        """
        if self.dir is None:
            return
        _atomic_write(self.dir / f"{student.stem}.json", results)
        pictures = self.dir / f"{student.stem}{ARTIFACTS_SUFFIX}"
        if artifacts is not None:
            save_artifacts(pictures, artifacts)
        else:
            pictures.unlink(missing_ok=True)
        if keep:
            _atomic_write(self._state_path(student), {"student": _digest(student.key, 64), "key": key})
        else:
            self._state_path(student).unlink(missing_ok=True)

    def load_artifacts(self, student):
        """The kept artifacts (plain arrays for the feedback pictures) of ``student``, or None."""
        if self.dir is None:
            return None
        path = self.dir / f"{student.stem}{ARTIFACTS_SUFFIX}"
        return load_artifacts(path) if path.exists() else None


def source_path(results_dir, stem):
    """Where a results folder keeps the module of the student whose files are named ``stem``."""
    return Path(results_dir) / ".grade-all" / "sources" / f"{stem}.py"


def _atomic_write(path, data):
    files.write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
