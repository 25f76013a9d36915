"""Intake: read a submission's own regular files, once, into memory — nothing else.

Everything the grader hands to the sandbox comes from here. The submission
(a file, or a folder as Gradescope or nbgrader hands it over) is read
without ever following a symbolic link and without opening anything but a
regular file:

- every folder and file is opened relative to its parent's descriptor with
  ``O_NOFOLLOW`` (a link anywhere is refused, so every file read lies inside
  the submission folder), ``O_NONBLOCK`` and ``O_NOCTTY``, and checked again
  with ``fstat`` after opening (each file by :func:`autograder.files.read_regular`,
  the kit's one rule for reading an untrusted file);
- a device, FIFO or socket is refused from ``lstat`` alone, never opened;
- a file with other hard links is refused (its real place may be elsewhere);
- each source file is at most :data:`MAX_SOURCE_BYTES`, a notebook at most
  :data:`MAX_NOTEBOOK_BYTES`, at most :data:`MAX_PYTHON_FILES` files are taken and
  at most :data:`MAX_ENTRIES` entries, :data:`MAX_DEPTH` folders deep, are
  looked at (a folder of a million files costs no more than one of ten
  thousand).

The result is a :class:`Snapshot`: the accepted files' bytes and SHA-256,
the refused entries with the reason (said to the student by name), and one
digest of the whole. Nothing here runs, imports or evaluates student code;
a notebook is parsed as JSON and its code cells are turned into a module
with IPython-only lines made harmless (:mod:`autograder.notebook_intake`).

API (standard library only)::

    snap = collect("mle", "submitted/ada/mle")   # never raises for the submission's content
    snap.digest                # sha256 over the accepted files (names and bytes)
    snap.files, snap.refused   # Accepted(name, role, sha256, size, data), Refused(name, reason)
    snap.problem               # None, or why there is nothing to grade (said to the student)
    snap.write(folder)         # trusted copies: [<folder>/mle.py, helpers...] for sandbox.Session
    snap.changed_since(other)  # names of files that differ between two snapshots
    snap.notes()               # the refusals and notebook notes, one line each, for the feedback
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from . import files
from .notebook_intake import MAX_NOTEBOOK_BYTES, NotebookError, notebook_module
from .text import one_line

MAX_SOURCE_BYTES = 1 << 20      # one .py file (module or helper)
MAX_PYTHON_FILES = 40           # Python files taken (module + helpers)
MAX_ENTRIES = 10_000            # folder entries looked at, in all
MAX_DEPTH = 8                   # folders below the submission's top
MAX_NOTES = 12                  # refusals named one by one in the feedback

#: Folders never looked into (tools' caches, version control, macOS zip debris).
SKIPPED_DIRS = frozenset({".ipynb_checkpoints", "__pycache__", "__MACOSX", ".git", ".hg", ".svn"})

_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True)
class Accepted:
    """One file taken from the submission, read once.

    ``name`` is its path inside the submission (``/``-separated); ``role`` is
    ``"module"``, ``"helper"`` or ``"notebook"``.
    """

    name: str
    role: str
    sha256: str
    size: int
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Refused:
    """An entry of the submission that was not read, and why (a sentence for the student)."""

    name: str
    reason: str

    def __str__(self):
        return self.reason


@dataclass
class Snapshot:
    """What intake took from a submission, and what it refused."""

    assignment: str
    submission: str
    files: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    problem: str | None = None
    notebook_notes: list = field(default_factory=list)
    module_source: bytes | None = field(default=None, repr=False)  # from a notebook

    @property
    def digest(self):
        """SHA-256 over the accepted files' names, roles and contents (sorted by name)."""
        h = hashlib.sha256(f"autograder-intake-v1\0{self.assignment}\0".encode())
        for f in sorted(self.files, key=lambda f: f.name):
            h.update(f"{f.role}\0{f.name}\0{f.sha256}\0".encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    @property
    def module(self):
        return next((f for f in self.files if f.role in ("module", "notebook")), None)

    def notes(self):
        """One line per refusal (the first :data:`MAX_NOTES`) and per notebook note."""
        lines = [r.reason for r in self.refused[:MAX_NOTES]]
        if len(self.refused) > MAX_NOTES:
            lines.append(f"... and {len(self.refused) - MAX_NOTES} more entries were not read")
        return lines + list(self.notebook_notes)

    def write(self, folder):
        """Write the trusted copies into ``folder``; return their paths, the module first.

        The module is always ``<assignment>.py`` (renamed, or made from the
        notebook); helpers keep their names. ``[]`` when there is nothing to grade.
        """
        folder = Path(folder)
        if self.problem is not None or self.module is None:
            return []
        main = folder / f"{self.assignment}.py"
        data = self.module_source if self.module.role == "notebook" else self.module.data
        _write_new(main, data)
        paths = [main]
        for f in self.files:
            if f.role == "helper":
                paths.append(folder / f.name.rsplit("/", 1)[-1])
                _write_new(paths[-1], f.data)
        return paths

    def changed_since(self, other):
        """Names of the files added, removed or changed between ``other`` and this snapshot."""
        mine = {f.name: f.sha256 for f in self.files}
        theirs = {f.name: f.sha256 for f in other.files}
        return sorted(n for n in mine.keys() | theirs.keys() if mine.get(n) != theirs.get(n))


def _write_new(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def shown(name):
    """A submission's file name as it may be shown to a person (no control characters)."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return one_line(name, limit=120)


# ----------------------------------------------------------------------------
# walking the folder without following links (each file is read by autograder.files)


def _open_dir(root_fd, parts):
    fd = os.dup(root_fd)
    try:
        for p in parts:
            nxt = os.open(p, _OPEN_DIR, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except OSError:
        os.close(fd)
        raise
    return fd


@dataclass
class _Entry:
    parts: tuple   # path inside the submission
    mode: int

    @property
    def name(self):
        return "/".join(self.parts)

    @property
    def display(self):
        return shown(self.name)


def _scan(root_fd, notes):
    """Breadth first, shallowest first: every entry (lstat mode) within the caps."""
    entries, queue, seen = [], [()], 0
    while queue:
        parts = queue.pop(0)
        try:
            fd = _open_dir(root_fd, parts)
        except OSError as exc:
            notes.append(Refused("/".join(parts), f"the folder {shown('/'.join(parts))} could not "
                                 f"be read ({exc.strerror})"))
            continue
        try:
            names = []
            try:
                with os.scandir(fd) as it:
                    for e in it:
                        seen += 1
                        if seen > MAX_ENTRIES:
                            break
                        names.append(e.name)
            except OSError as exc:
                notes.append(Refused("/".join(parts), f"the folder {shown('/'.join(parts)) or '.'} "
                                     f"could not be read completely ({exc.strerror})"))
            for name in sorted(names):
                try:
                    mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
                except OSError:
                    continue
                entry = _Entry((*parts, name), mode)
                entries.append(entry)
                if stat.S_ISDIR(mode) and name not in SKIPPED_DIRS and not name.startswith("."):
                    if len(parts) + 1 <= MAX_DEPTH:
                        queue.append(entry.parts)
        finally:
            os.close(fd)
        if seen > MAX_ENTRIES:
            where = shown("/".join(parts)) or "the submission's top folder"
            notes.append(Refused("/".join(parts), f"the submission holds more than {MAX_ENTRIES} "
                                 f"files and folders; only the first were looked at (stopped in "
                                 f"{where})"))
            break
    return entries


# ----------------------------------------------------------------------------
# choosing the files


def collect(assignment, submission):
    """Read ``submission`` (a file or folder) for ``assignment``; return a :class:`Snapshot`.

    Raises :class:`FileNotFoundError` only when ``submission`` does not
    exist at all; everything about its content ends up in the snapshot.
    """
    path = Path(submission)
    snap = Snapshot(assignment, str(submission))
    module = f"{assignment}.py"
    st = os.lstat(path)  # FileNotFoundError: the caller's (the instructor's) mistake
    top = shown(path.name) or shown(str(path))
    if stat.S_ISDIR(st.st_mode):
        try:
            root_fd = os.open(path, _OPEN_DIR)
        except OSError as exc:
            snap.problem = f"the submission folder {top} could not be read ({exc.strerror})"
            return snap
        try:
            _collect_folder(snap, root_fd, assignment)
        finally:
            os.close(root_fd)
        return snap
    if not stat.S_ISREG(st.st_mode):
        snap.refused.append(Refused(path.name, files.why_not(top, st.st_mode)))
        snap.problem = snap.refused[-1].reason
        return snap
    if path.suffix not in (".py", ".ipynb"):
        snap.problem = f"the submission {top} is not a Python file ({module} expected)"
        return snap
    try:
        parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        snap.problem = f"{top} could not be read ({exc.strerror})"
        return snap
    try:
        _take(snap, parent, _Entry((path.name,), st.st_mode),
              "notebook" if path.suffix == ".ipynb" else "module")
    finally:
        os.close(parent)
    if snap.module is None:
        snap.problem = snap.refused[-1].reason if snap.refused else f"{top} could not be read"
    return snap


def _take(snap, dir_fd, entry, role):
    cap = MAX_NOTEBOOK_BYTES if role == "notebook" else MAX_SOURCE_BYTES
    try:
        data = files.read_regular(entry.parts[-1], cap, dir_fd=dir_fd, display=entry.display, one_link=True)
    except files.NotRead as exc:
        snap.refused.append(Refused(entry.name, str(exc)))
        return False
    if role == "notebook":
        try:
            source, notes = notebook_module(data, entry.display)
        except NotebookError as exc:
            snap.refused.append(Refused(entry.name, str(exc)))
            return False
        snap.module_source = source.encode("utf-8", "surrogatepass")
        snap.notebook_notes.extend(notes)
    snap.files.append(Accepted(entry.name, role, hashlib.sha256(data).hexdigest(), len(data), data))
    return True


def _in_dir(root_fd, entry, snap, role):
    try:
        fd = _open_dir(root_fd, entry.parts[:-1])
    except OSError as exc:
        snap.refused.append(Refused(entry.name, f"{entry.display} could not be read ({exc.strerror})"))
        return False
    try:
        return _take(snap, fd, entry, role)
    finally:
        os.close(fd)


def _collect_folder(snap, root_fd, assignment):
    module = f"{assignment}.py"
    notes = []
    entries = _scan(root_fd, notes)
    considered = [e for e in entries if not any(p in SKIPPED_DIRS for p in e.parts[:-1])]
    for e in considered:  # what a student may have meant to submit, but cannot be read
        if not stat.S_ISREG(e.mode) and not stat.S_ISDIR(e.mode) and (
                e.parts[-1].endswith((".py", ".ipynb")) or len(e.parts) == 1):
            snap.refused.append(Refused(e.name, files.why_not(e.display, e.mode)))
        elif stat.S_ISDIR(e.mode) and len(e.parts) - 1 >= MAX_DEPTH and not e.parts[-1].startswith("."):
            notes.append(Refused(e.name, f"{e.display} is more than {MAX_DEPTH} folders deep: "
                                 "it was not looked into"))
    mains = [e for e in considered if e.parts[-1] == module and stat.S_ISREG(e.mode)]
    for main in mains:  # shallowest first: the first one that can be read is the module
        if _in_dir(root_fd, main, snap, "module"):
            _helpers(snap, root_fd, main, considered)
            break
    else:
        notebooks = [e for e in considered if e.parts[-1].endswith(".ipynb") and stat.S_ISREG(e.mode)]
        named = [e for e in notebooks if e.parts[-1] == f"{assignment}.ipynb"]
        if named or len(notebooks) == 1:
            for nb in named or notebooks:
                if _in_dir(root_fd, nb, snap, "notebook"):
                    break
    snap.refused.extend(notes)
    if snap.module is None:
        refused = "; ".join(r.reason for r in snap.refused[:3])
        found = sorted({e.display for e in considered if stat.S_ISREG(e.mode)})[:10]
        snap.problem = (f"no {module} (or {assignment}.ipynb) that could be read in the submission"
                        + (f" ({refused})" if refused else "")
                        + f"; it holds: {', '.join(found) if found else 'nothing'}")


_HELPER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")


def _helpers(snap, root_fd, main, considered):
    """The other ``*.py`` files beside the module (not ``test_*``), within the caps."""
    folder = main.parts[:-1]
    beside = [e for e in considered if e.parts[:-1] == folder and e is not main
              and e.parts[-1].endswith(".py") and stat.S_ISREG(e.mode)]
    taken = 1
    for e in beside:
        name = e.parts[-1]
        if name.startswith("test_"):
            continue
        if not _HELPER.match(name) or not name.isascii():
            snap.refused.append(Refused(e.name, f"{e.display} is not a name Python can import "
                                        "(letters, digits and _ only): it was not read"))
            continue
        if taken >= MAX_PYTHON_FILES:
            snap.refused.append(Refused(e.name, f"{e.display} was not read: a submission may "
                                        f"hold at most {MAX_PYTHON_FILES} Python files"))
            continue
        if _in_dir(root_fd, e, snap, "helper"):
            taken += 1
