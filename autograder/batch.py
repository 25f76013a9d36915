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

Nothing here follows a symbolic link, opens a device or reads a file
without a size cap: the files are untrusted (the engine's intake applies on
top, when it reads the submission).

Resuming: each grading is kept with the hash of the submission's files and
the hash of what grades it (the hidden tests, the reference, the engine),
so a re-run regrades only what changed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .text import one_line

try:  # kept for the feedback pictures of resumed students (package ``reports``)
    from reports import artifacts as _artifacts
except ImportError:  # pragma: no cover - until the reports package is in the kit
    _artifacts = None

ROOT = Path(__file__).resolve().parents[1]

#: bytes of one file that are hashed or copied (the rest is counted, not read)
MAX_FILE_BYTES = 32 << 20
MAX_FILES = 200

CANVAS = re.compile(r"^(?P<who>[A-Za-z0-9]+?)(?:_(?:late|LATE))?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<who>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_(?P<file>.*)$")
BLACKBOARD = re.compile(r"^(?P<assignment>.+)_(?P<who>[^_]+)_attempt_"
                        r"(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<file>.+)|\.txt)?$")
CANVAS_RESUBMITTED = re.compile(r"^(?P<stem>.+)-\d+(?P<ext>\.[A-Za-z0-9]+)$")

EXPECTED = ("one sub-folder per student holding {a}.py (or {a}.ipynb), or the files of an LMS "
            "bulk download: Canvas 'lastfirst_12345_67890_{a}.py', Moodle "
            "'Full Name_12345_assignsubmission_file_{a}.py', Blackboard "
            "'Assignment_username_attempt_2026-05-01-12-00-00_{a}.py'")


@dataclass
class Student:
    """One gradebook row: what to grade (``path``) and what it was made of (``files``)."""

    name: str                       # as shown (clean, one line); the gradebook key
    path: Path | None = None        # a folder or a file, given to engine.grade
    files: dict = field(default_factory=dict)   # LMS: original name -> file in the class folder
    lms: str = ""                   # "canvas", "moodle", "blackboard" or ""
    skipped: str = ""               # why it is not graded ("" when it is)

    @property
    def stem(self):
        return file_stem(self.name)


def file_stem(name):
    """A file name for a student's results/feedback: the name itself when it is tame."""
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,100}", name):
        return name
    tame = re.sub(r"[^A-Za-z0-9._@-]+", "_", name).strip("._")[:80] or "student"
    return f"{tame}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _lstat(path):
    try:
        return os.lstat(path)
    except OSError:
        return None


def _lms_key(name):
    """(lms, student key, attempt stamp, original file name or None) for an LMS file name."""
    m = MOODLE.match(name)
    if m:
        return "moodle", f"{m['who']}_{m['id']}", "", m["file"] or None
    m = BLACKBOARD.match(name)
    if m:
        return "blackboard", m["who"], m["stamp"], m["file"]
    m = CANVAS.match(name)
    if m:
        original = m["file"]
        r = CANVAS_RESUBMITTED.match(original)
        return "canvas", f"{m['who']}_{m['id']}", "", (r["stem"] + r["ext"]) if r else original
    return None


def discover(root, assignment):
    """The class: ``(students, ignored)``, students sorted by name.

    ``ignored`` lists (name, why) of top-level entries that are no student.
    A folder whose name begins with a dot is a student listed as skipped.
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
                folders.append(Student(name, skipped="not graded: the folder name begins with a dot "
                                                     "(rename it to grade it)"))
            else:
                folders.append(Student(name, path=Path(entry.path), lms="moodle" if moodle_folder else ""))
            continue
        key = _lms_key(entry.name)
        if key is None or not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)
                               or stat.S_ISFIFO(st.st_mode)):
            # a link, FIFO or oversized file with an LMS name is still that student's file: it is
            # graded (staging refuses it by name), so that the student is never silently dropped
            why = ("a symbolic link (submit the folder or file itself)" if stat.S_ISLNK(st.st_mode) else
                   "not a regular file" if not stat.S_ISREG(st.st_mode) else
                   "neither a student folder nor an LMS download's file name")
            ignored.append((shown, why))
            continue
        lms, who, stamp, original = key
        if original is None:
            ignored.append((shown, f"a {lms} receipt (no submitted file)"))
            continue
        groups.setdefault(who, {}).setdefault(stamp, []).append((original, Path(entry.path), lms))
    students = list(folders)
    taken = {s.name for s in students}
    for who, attempts in groups.items():
        latest = attempts[max(attempts)]          # Blackboard: the latest attempt counts
        for stamp in attempts:
            if stamp != max(attempts):
                ignored.extend((one_line(p.name, limit=120), "an earlier attempt") for _, p, _ in attempts[stamp])
        name = one_line(who, limit=120)
        if name in taken:
            name = f"{name} (lms)"
        taken.add(name)
        files = {}
        for original, path, lms in sorted(latest, key=lambda t: t[1].name):
            files.setdefault(original, path)      # Canvas: the first (lowest -n) wins a name clash
        students.append(Student(name, files=files, lms=latest[0][2]))
    students.sort(key=lambda s: s.name)
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


def read_regular(path, limit=MAX_FILE_BYTES):
    """The bytes of a regular file, never following a link nor blocking on a FIFO.

    Returns None for anything else (link, device, FIFO, socket, too large).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return None if len(data) > limit else data
    finally:
        os.close(fd)


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
    for original, path in list(student.files.items())[:MAX_FILES]:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", original).lstrip(".") or "file"
        data = read_regular(path)
        if data is not None:
            (dest / safe).write_bytes(data)
        else:
            _stand_in(path, dest / safe)
    return dest


def _hash_file(h, path, st):
    if stat.S_ISLNK(st.st_mode):
        h.update(b"L" + os.fsencode(os.readlink(path)))
    elif stat.S_ISREG(st.st_mode):
        data = read_regular(path)
        h.update(b"F%d:" % st.st_size + (hashlib.sha256(data).digest() if data is not None
                                          else b"big%d" % st.st_mtime_ns))
    else:
        h.update(b"T%o" % stat.S_IFMT(st.st_mode))


def submission_hash(student):
    """SHA-256 of a student's files: names, kinds and contents (links not followed)."""
    h = hashlib.sha256()
    if student.files:
        for original, path in sorted(student.files.items()):
            st = _lstat(path)
            h.update(b"\0N" + original.encode("utf-8", "surrogateescape"))
            if st is not None:
                _hash_file(h, path, st)
        return h.hexdigest()
    count = 0
    for dirpath, dirnames, filenames in os.walk(student.path, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            path = os.path.join(dirpath, name)
            st = _lstat(path)
            if st is None:
                continue
            rel = os.path.relpath(path, student.path)
            h.update(b"\0N" + os.fsencode(rel))
            _hash_file(h, path, st)
            count += 1
            if count > 10 * MAX_FILES:
                h.update(b"...")
                return h.hexdigest()
    return h.hexdigest()


def tests_hash(assignment):
    """SHA-256 of what grades ``assignment``: its hidden tests, its reference, the engine."""
    h = hashlib.sha256()
    paths = sorted((ROOT / "autograder" / "tests" / assignment).rglob("*.py"))
    paths += sorted((ROOT / "autograder").glob("*.py"))
    paths += [ROOT / "solutions" / assignment / f"{assignment}.py", ROOT / "datasets" / "SHA256SUMS"]
    for p in paths:
        if p.is_file():
            h.update(b"\0" + str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------
# what a previous run left


class Store:
    """Per-student results (``DIR/<student>.json``, Gradescope's schema) and their state.

    ``DIR/.grade-all/<student>.json`` keeps, beside each results file, the
    hashes it was graded with, the seed, and the reason (results.json stays
    Gradescope's schema). Each is written as soon as the grading ends, so an
    interrupted run resumes where it stopped.
    """

    def __init__(self, directory):
        self.dir = Path(directory) if directory else None
        if self.dir is not None:
            (self.dir / ".grade-all").mkdir(parents=True, exist_ok=True)

    def _state_path(self, student):
        return self.dir / ".grade-all" / f"{student.stem}.json"

    def previous_seed(self, assignment):
        if self.dir is None:
            return None
        try:
            data = json.loads((self.dir / ".grade-all" / "class.json").read_text())
        except (OSError, ValueError):
            return None
        return data.get("seed") if data.get("assignment") == assignment else None

    def save_class(self, assignment, seed):
        if self.dir is not None:
            _atomic_write(self.dir / ".grade-all" / "class.json",
                          {"assignment": assignment, "seed": seed})

    def load(self, student, key):
        """The kept result of ``student`` if it was graded with ``key``, else None."""
        if self.dir is None:
            return None
        try:
            state = json.loads(self._state_path(student).read_text())
            results = json.loads((self.dir / f"{student.stem}.json").read_text())
        except (OSError, ValueError):
            return None
        if state.get("key") != key or not isinstance(results, dict):
            return None
        return {**results, "reason": state.get("reason", "")}

    def save(self, student, key, result, *, artifacts=None):
        if self.dir is None:
            return
        results = {k: v for k, v in result.items() if k != "reason"}
        _atomic_write(self.dir / f"{student.stem}.json", results)
        pictures = self.dir / ".grade-all" / f"{student.stem}.npz"
        if artifacts and _artifacts is not None:
            _artifacts.save(pictures, artifacts)
        else:
            pictures.unlink(missing_ok=True)
        _atomic_write(self._state_path(student), {"student": student.name, "key": key,
                                                  "reason": result.get("reason", "")})

    def load_artifacts(self, student):
        """The kept artifacts (plain arrays for the feedback pictures) of ``student``, or None."""
        if self.dir is None or _artifacts is None:
            return None
        path = self.dir / ".grade-all" / f"{student.stem}.npz"
        return _artifacts.load(path) if path.exists() else None

    def forget(self, student):
        if self.dir is not None:
            self._state_path(student).unlink(missing_ok=True)


def _atomic_write(path, data):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
