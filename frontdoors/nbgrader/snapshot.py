"""The submission as graded: read safely, copied once, its hash recorded.

Before anything else happens to a student's submission during ``nbgrader
autograde`` (:mod:`frontdoors.nbgrader.autograde`), its files are read from
``submitted/<student>/<assignment>/`` without following any link
(:func:`collect`) and written, with their SHA-256 digests, to a record the
kit owns::

    <course>/snapshots/<student>/<assignment>/
        files/           the files as collected: what the sandboxed grading reads
        snapshot.json    digests of every file collected, of the submitted and autograded
                         folders at that moment, the refused files and why, the seed
        results.json     the engine's results for that snapshot (what nbgrader recorded)

:mod:`frontdoors.nbgrader.crosscheck` grades ``files/`` again and names every
file that changed since.

Stdlib only; nothing here runs or imports student code.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: What the intake accepts. A source file is what the grader imports; other files (the
#: notebook, data) may be larger.
MAX_SOURCE_BYTES = 1 << 20
MAX_OTHER_BYTES = 16 << 20
MAX_FILES = 64
MAX_TOTAL_BYTES = 64 << 20
MAX_DEPTH = 8
#: Folders Jupyter and Python write on their own; never part of a submission.
SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__"}
RECORDS = "snapshots"


@dataclass
class Snapshot:
    """The files read from a submission folder: ``{relative posix path: bytes}``."""

    files: dict = field(default_factory=dict)
    refused: list = field(default_factory=list)   # [(relative path, reason)]

    @property
    def digests(self):
        return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(self.files.items())}

    @property
    def digest(self):
        """One SHA-256 over every file's name and content (the snapshot's identity)."""
        h = hashlib.sha256()
        for name, data in sorted(self.files.items()):
            h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return h.hexdigest()


def _kind(mode):
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _cap(name):
    return MAX_SOURCE_BYTES if name.endswith(".py") else MAX_OTHER_BYTES


def collect(assignment, path):
    """Read the submission folder ``path`` without following links; return a :class:`Snapshot`.

    Only regular files inside ``path`` are read, each opened with
    ``O_NOFOLLOW | O_NONBLOCK`` relative to its (also never followed) folder,
    checked with ``fstat`` and read up to its cap. Links, devices, FIFOs,
    sockets, files over the caps are refused by name and reason, never read.
    A missing folder gives an empty snapshot. ``assignment`` names the module
    the grader looks for (its absence is the grader's message, not ours).
    """
    snap = Snapshot()
    total = 0
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    dflags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        top = os.open(path, dflags)
    except OSError:
        return snap

    def walk(dfd, prefix, depth):
        nonlocal total
        with os.scandir(dfd) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            rel = str(PurePosixPath(prefix, entry.name)) if prefix else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                snap.refused.append((rel, f"could not be read ({exc.strerror})"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if entry.name in SKIPPED_DIRS:
                    continue
                if depth >= MAX_DEPTH:
                    snap.refused.append((rel, f"is nested more than {MAX_DEPTH} folders deep"))
                    continue
                try:
                    sub = os.open(entry.name, dflags, dir_fd=dfd)
                except OSError as exc:
                    snap.refused.append((rel, f"could not be opened ({exc.strerror})"))
                    continue
                try:
                    walk(sub, rel, depth + 1)
                finally:
                    os.close(sub)
                continue
            if not stat.S_ISREG(st.st_mode):
                hint = ": submit the file itself" if stat.S_ISLNK(st.st_mode) else ""
                snap.refused.append((rel, f"is {_kind(st.st_mode)}{hint}"))
                continue
            if len(snap.files) >= MAX_FILES:
                snap.refused.append((rel, f"is past the limit of {MAX_FILES} files"))
                continue
            try:
                fd = os.open(entry.name, flags, dir_fd=dfd)
            except OSError as exc:
                reason = "is a symbolic link: submit the file itself" if exc.errno == errno.ELOOP \
                    else f"could not be opened ({exc.strerror})"
                snap.refused.append((rel, reason))
                continue
            try:
                fst = os.fstat(fd)
                if not stat.S_ISREG(fst.st_mode):   # replaced between scandir and open
                    snap.refused.append((rel, f"is {_kind(fst.st_mode)}"))
                    continue
                cap = _cap(entry.name)
                if fst.st_size > cap:
                    snap.refused.append((rel, f"is larger than {cap >> 20} MiB"))
                    continue
                chunks, size = [], 0
                while size <= cap:
                    chunk = os.read(fd, min(1 << 20, cap + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                if size > cap:
                    snap.refused.append((rel, f"is larger than {cap >> 20} MiB"))
                    continue
                if total + size > MAX_TOTAL_BYTES:
                    snap.refused.append((rel, f"is past the limit of {MAX_TOTAL_BYTES >> 20} MiB in all"))
                    continue
                total += size
                snap.files[rel] = b"".join(chunks)
            finally:
                os.close(fd)

    try:
        walk(top, "", 0)
    finally:
        os.close(top)
    return snap


def tree_digests(path, skip_suffixes=()):
    """``{relative path: sha256 or what it is}`` of everything under ``path``, links not followed.

    For comparing a folder with what was collected: a file turned into a
    link, a FIFO, or a new file all show up. Files over the total cap are
    named, not hashed.
    """
    out = {}
    top = Path(path)
    if not top.is_dir() or top.is_symlink():
        return out
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames) + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = Path(dirpath) / name
            rel = full.relative_to(top).as_posix()
            if rel.endswith(tuple(skip_suffixes)):
                continue
            st = full.lstat()
            if not stat.S_ISREG(st.st_mode):
                out[rel] = f"<{_kind(st.st_mode)}>"
            elif st.st_size > MAX_TOTAL_BYTES:
                out[rel] = f"<{st.st_size} bytes>"
            else:
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                out[rel] = h.hexdigest()
    return out


def changed(before, after):
    """Names of the files that differ between two :func:`tree_digests` maps, with how."""
    out = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            out.append(f"{name} (removed)")
        elif name not in before:
            out.append(f"{name} (added)")
        elif before[name] != after[name]:
            out.append(f"{name} (changed)")
    return out


# ----------------------------------------------------------------------------
# the record in the course folder


def record_dir(course_root, student, assignment):
    """``<course>/snapshots/<student>/<assignment>``; refuses ids that would leave it."""
    base = Path(course_root).resolve() / RECORDS
    for part in (student, assignment):
        if not part or part in (".", "..") or "/" in part or "\0" in part:
            raise ValueError(f"unusable id {part!r} for a snapshot folder")
    return base / student / assignment


def write_record(folder, snap, meta):
    """Replace the record in ``folder`` by ``snap``'s files and ``snapshot.json`` (``meta`` added)."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    files = folder / "files"
    files.mkdir(parents=True)
    for name, data in snap.files.items():
        dest = files / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    record = {"digest": snap.digest, "files": snap.digests,
              "refused": [{"path": p, "reason": r} for p, r in snap.refused],
              "collected_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **meta}
    write_json(folder / "snapshot.json", record)
    return record


def write_json(path, data):
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_record(folder):
    return json.loads((Path(folder) / "snapshot.json").read_text(encoding="utf-8"))
