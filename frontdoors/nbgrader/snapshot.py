"""The submission as graded: read safely, copied once, its hash recorded.

Before anything else happens to a student's submission during ``nbgrader
autograde`` (:mod:`frontdoors.nbgrader.autograde`), the kit's intake
(:func:`autograder.intake.collect`: no links followed, regular files only,
size and count caps) reads ``submitted/<student>/<assignment>/`` and its
trusted copies are written, with their SHA-256 digests, to a record the kit
owns::

    <course>/snapshots/<student>/<assignment>/
        files/           the trusted copies (the module, its helpers): what the grading reads
        snapshot.json    the intake's digest and what it took and refused; digests of the
                         copies and of the submitted and autograded folders at that moment;
                         the seed; the points recorded
        results.json     the engine's results for that snapshot (what nbgrader recorded)

:mod:`frontdoors.nbgrader.crosscheck` grades ``files/`` again and names every
file that changed since.

Standard library, the engine's intake and its file rules (:mod:`autograder.files`) only;
nothing here runs or imports student code.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from autograder import files, intake

#: Folders Jupyter and Python write on their own; never part of a submission.
SKIPPED_DIRS = intake.SKIPPED_DIRS
#: A file larger than this is named in a folder's digests, not hashed.
MAX_HASHED_BYTES = 64 << 20
#: Entries of a folder looked at, in all (as the intake).
MAX_ENTRIES = intake.MAX_ENTRIES
RECORDS = "snapshots"


def collect(assignment, path):
    """The kit's safe intake of ``submitted/<student>/<assignment>/``: an :class:`autograder.intake.Snapshot`."""
    return intake.collect(assignment, path)


def tree_digests(path, skip_suffixes=()):
    """``{relative path: sha256 or what it is}`` of everything under ``path``, links not followed.

    For comparing a folder with what was collected: a file turned into a
    link, a FIFO, or a new file all show up. A file over
    :data:`MAX_HASHED_BYTES` is named with its size, not hashed; past
    :data:`MAX_ENTRIES` entries the walk stops (and says so). The kit's one
    rule (:func:`autograder.files.tree_digests`): files are opened with
    ``O_NOFOLLOW | O_NONBLOCK`` and checked again after opening.
    """
    return files.tree_digests(path, skip_suffixes=skip_suffixes, skip_dirs=SKIPPED_DIRS,
                              max_entries=MAX_ENTRIES, max_bytes=MAX_HASHED_BYTES)


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
    """Replace the record in ``folder`` by ``snap``'s trusted copies and ``snapshot.json`` (``meta`` added)."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    files = folder / "files"
    files.mkdir(parents=True)
    snap.write(files)
    record = {"digest": snap.digest,
              "taken": {f.name: {"role": f.role, "sha256": f.sha256, "size": f.size} for f in snap.files},
              "files": tree_digests(files),
              "refused": [{"path": r.name, "reason": r.reason} for r in snap.refused],
              "problem": snap.problem,
              "collected_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **meta}
    write_json(folder / "snapshot.json", record)
    return record


def write_json(path, data):
    files.write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def read_record(folder):
    return json.loads((Path(folder) / "snapshot.json").read_text(encoding="utf-8"))
