"""Replay what ``nbgrader autograde`` recorded: grade every snapshot again, name what changed.

    python -m frontdoors.nbgrader.crosscheck COURSE ASSIGNMENT [--student ID ...] [--jobs N]

For each student autograded by the kit (``COURSE/snapshots/<student>/<a>/``,
written by :mod:`frontdoors.nbgrader.autograde`):

- the snapshot's files must still have the digests recorded at collection;
- the snapshot is graded again, sandboxed, with the recorded seed, and each
  part's points must equal those recorded and those in nbgrader's gradebook;
- every file of ``submitted/<student>/<a>/`` and ``autograded/<student>/<a>/``
  (notebooks aside in ``autograded/``, which nbgrader rewrites) that changed,
  appeared or disappeared since collection is named.

A student with a submission but no snapshot is listed too. Exit status: 0
when everything agrees, 1 when anything differs (each difference printed),
2 when there is nothing to check.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.text import clean

from . import snapshot
from .autograde import PART_PREFIX, grade_snapshot, points_by_part
from .hook import AutograderUnavailable


def gradebook_points(course, assignment, student, db_url=None):
    """``{part: auto score}`` of the student's autograder cells in nbgrader's gradebook ({} if none)."""
    from nbgrader.api import Gradebook, MissingEntry

    url = db_url or f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"
    out = {}
    with Gradebook(url) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            try:
                sub = gb.find_submission_notebook(nb.name, assignment, student)
            except MissingEntry:
                continue
            for g in sub.grades:
                if g.name.startswith(PART_PREFIX) and g.auto_score is not None:
                    out[g.name[len(PART_PREFIX):]] = round(float(g.auto_score), 6)
    return out


def check_student(course, assignment, student, *, db_url=None):
    """Everything that differs for one student (an empty list when all agrees), and the regrade's total."""
    course = Path(course).resolve()
    record = snapshot.record_dir(course, student, assignment)
    rec = snapshot.read_record(record)
    problems = []
    on_disk = snapshot.tree_digests(record / "files")
    for name in snapshot.changed(rec["files"], on_disk):
        problems.append(f"snapshot file {name} since collection")
    for where, key in (("submitted", "submitted"), ("autograded", "autograded")):
        folder = course / where / student / assignment
        now = snapshot.tree_digests(folder, skip_suffixes=(".ipynb",) if where == "autograded" else ())
        for name in snapshot.changed(rec.get(key, {}), now):
            problems.append(f"{where}/{student}/{assignment}/{name} since collection")
    with tempfile.TemporaryDirectory(prefix="crosscheck-") as tmp:
        try:
            results = grade_snapshot(assignment, record / "files", rec["seed"], Path(tmp) / "results.json")
        except AutograderUnavailable as exc:
            return [f"could not regrade: {exc}"], None
    regrade = points_by_part(results, assignment)
    recorded = rec.get("points", {})
    book = gradebook_points(course, assignment, student, db_url)
    for part in sorted(set(regrade) | set(recorded) | set(book)):
        r, s, b = regrade.get(part), recorded.get(part), book.get(part)
        if not (r == s == b):
            problems.append(f"part {part}: regrade {r}, recorded at autograde {s}, gradebook {b}")
    return problems, results["score"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m frontdoors.nbgrader.crosscheck",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("course", help="the nbgrader course folder (holds nbgrader_config.py)")
    parser.add_argument("assignment")
    parser.add_argument("--student", action="append", help="only this student (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2)")
    parser.add_argument("--db", help="the gradebook's URL (default sqlite:///COURSE/gradebook.db)")
    args = parser.parse_args(argv)
    course = Path(args.course).resolve()
    records = course / snapshot.RECORDS
    recorded = sorted(p.parent.parent.name for p in records.glob(f"*/{args.assignment}/snapshot.json"))
    submitted = sorted(p.name for p in (course / "submitted").glob("*") if (p / args.assignment).is_dir())
    students = args.student or sorted(set(recorded) | set(submitted))
    if not students:
        print(f"crosscheck: no snapshots of {args.assignment} in {records} and no submissions in "
              f"{course / 'submitted'}; run `nbgrader autograde {args.assignment}` first", file=sys.stderr)
        return 2
    missing = [s for s in students if s not in recorded]
    todo = [s for s in students if s in recorded]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = dict(zip(todo, pool.map(
            lambda s: check_student(course, args.assignment, s, db_url=args.db), todo)))
    bad = 0
    for student in students:
        name = clean(student)
        if student in missing:
            bad += 1
            print(f"{name}: no snapshot: not autograded by the kit (run `nbgrader autograde "
                  f"{args.assignment} --student {name}` with the course's config)")
            continue
        problems, score = outcomes[student]
        if problems:
            bad += 1
            print(f"{name}: DIFFERS (regrade: " + (f"{score:g} points" if score is not None else "none") + ")")
            for p in problems:
                print(f"    {clean(p)}")
        else:
            print(f"{name}: ok ({score:g} points, as recorded; no file changed since collection)")
    print(f"{len(students) - bad} of {len(students)} agree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
