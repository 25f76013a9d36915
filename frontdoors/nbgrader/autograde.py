"""``nbgrader autograde`` without running the student's notebook: scores from a sandboxed snapshot.

The course's ``nbgrader_config.py`` puts :class:`GradeSnapshot` where
nbgrader's ``Execute`` was in ``Autograde.autograde_preprocessors``. No kernel
starts and no student code runs in nbgrader's process (the instructor's, root
in a container). For each student's notebook it

1. reads the submission, ``submitted/<student>/<assignment>/``, with the
   kit's intake (:func:`autograder.intake.collect`: no link followed, regular
   files only, caps) and writes its trusted copies and their SHA-256 digests
   to ``snapshots/<student>/<assignment>/`` (:mod:`frontdoors.nbgrader.snapshot`)
   — before any of the submission's code has run anywhere;
2. makes ``autograded/<student>/<assignment>/`` hold exactly what was
   collected (nbgrader's own copy follows links: a refused file is removed);
3. grades the snapshot once with the kit's command line, ``python -m
   autograder grade <a> <snapshot> --seed <class seed>`` — the engine, its
   sandbox (fresh unprivileged uid, rlimits, no network where namespaces
   exist) and the class seed, as ``grade-all``;
4. writes each autograder cell's outputs from those results: the part's
   feedback as a stdout stream and the points earned as the
   ``execute_result`` that nbgrader's ``SaveAutoGrades`` reads. Other code
   cells keep no output (nbgrader's ``ClearOutput`` already removed what the
   student's own session left in them).

So nothing in the notebook can change a score, and what nbgrader records
can be replayed: :mod:`frontdoors.nbgrader.crosscheck`.

Before any of that, nbgrader copies ``submitted/`` into ``autograded/`` itself,
following links and opening whatever it finds (a link to ``/dev/zero`` would
copy forever, a FIFO would block). So when the course's config is loaded for
``nbgrader autograde``, :func:`set_aside_special_files` first moves every link,
FIFO, socket and device out of ``submitted/`` into ``set_aside/`` (a rename,
which neither follows nor opens it), recording each in
``set_aside/<student>/<assignment>/SET_ASIDE.json``; the student's feedback names them.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import nbformat
from traitlets import Integer

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.catalog import parts
from autograder.text import clean

from . import snapshot
from .hook import AutograderUnavailable, _report, run_grader, split_results

#: Seconds one grading may take (the engine bounds every call; this bounds the whole).
GRADING_TIMEOUT = 900
#: The grade ids of autograder cells: ``part_<hidden test module>`` (authoring.notebooks).
PART_PREFIX = "part_"


def grade_snapshot(assignment, folder, seed, results_path, timeout=GRADING_TIMEOUT):
    """Grade the snapshot ``folder`` with the kit's command line (:func:`hook.run_grader`)."""
    return run_grader(assignment, folder, seed, results_path, timeout=timeout)


def points_by_part(results, assignment):
    """``{part name: points earned}`` of a results.json dict."""
    split = split_results(results, parts(assignment))
    return {name: round(sum(float(e["score"]) for e in entries), 6) for name, entries in split.items()}


def _converter(pp):
    """The nbgrader converter running this preprocessor (it knows the course's folders)."""
    node = pp
    while node is not None:
        if hasattr(node, "coursedir") and getattr(node, "coursedir", None) is not None:
            return node
        node = getattr(node, "parent", None)
    raise AutograderUnavailable("the snapshot grader runs only inside `nbgrader autograde`")


class GradeSnapshot(NbGraderPreprocessor):
    """Grade a snapshot of the submission in the kit's sandbox; write the autograder cells' outputs."""

    seed = Integer(None, allow_none=True, help="The class seed (the data the hidden tests draw).").tag(config=True)
    timeout = Integer(GRADING_TIMEOUT, help="Seconds one grading may take.").tag(config=True)

    def preprocess(self, nb, resources):
        ids = resources["nbgrader"]
        student, assignment = ids["student"], ids["assignment"]
        converter = _converter(self)
        coursedir = converter.coursedir
        if self.seed is None:
            raise AutograderUnavailable("no class seed: set c.GradeSnapshot.seed (make nbgrader writes it)")
        submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        record = snapshot.record_dir(coursedir.root, student, assignment)

        # 1. the snapshot, before anything else
        snap = snapshot.collect(assignment, submitted)
        submitted_digests = snapshot.tree_digests(submitted)
        # 2. autograded/ holds what was collected, not what nbgrader's copy followed a link to
        students = self._students_file(converter, coursedir, assignment)
        for rel, digest in submitted_digests.items():
            target = autograded / rel
            if digest.startswith("<") and students(rel) and (target.is_file() or target.is_symlink()):
                target.unlink()
        for f in snap.files:
            target = autograded / f.name
            if students(f.name) and f.role != "notebook" and target.is_file() and target.read_bytes() != f.data:
                target.unlink()
                target.write_bytes(f.data)
        meta = {"assignment": assignment, "student": student, "seed": int(self.seed),
                "submitted": submitted_digests,
                "autograded": snapshot.tree_digests(autograded, skip_suffixes=(".ipynb",))}
        rec = snapshot.write_record(record, snap, meta)
        self.log.info("Snapshot of %s: %d files, sha256 %s (%s)", submitted, len(snap.files), rec["digest"],
                      record)
        for note in snap.notes():
            self.log.warning("%s: %s", student, note)

        # 3. one sandboxed grading of the snapshot
        results = grade_snapshot(assignment, record / "files", self.seed, record / "results.json",
                                 timeout=self.timeout)
        points = points_by_part(results, assignment)
        rec["points"] = points
        snapshot.write_json(record / "snapshot.json", rec)

        # 4. the autograder cells' outputs, from the results only
        notes = set_aside_notes(coursedir.root, student, assignment) + list(snap.notes())
        self._results, self._assignment, self._notes = results, assignment, notes
        self._first = True
        self._count = 0
        return super().preprocess(nb, resources)

    @staticmethod
    def _students_file(converter, coursedir, assignment):
        """A test: is ``rel`` in autograded/ the student's file (not one restored from source/)?"""
        source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        keep = set(getattr(converter, "exclude_overwriting", {}).get(assignment, []))
        return lambda rel: rel in keep or not (source / rel).exists()

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        cell.outputs = []
        cell.execution_count = None
        if not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        self._count += 1
        cell.execution_count = self._count
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        by_name = {p.name: p for p in parts(self._assignment)}
        part = by_name.get(grade_id[len(PART_PREFIX):]) if grade_id.startswith(PART_PREFIX) else None
        if part is None:
            cell.outputs = [nbformat.v4.new_output(
                "error", ename="NotGradedByTheKit", evalue=grade_id,
                traceback=[f"{grade_id} is not one of the kit's autograder cells (part_<part>); "
                           "grade it by hand or rebuild the course with `make nbgrader`"])]
            return cell, resources
        worth = float(cell.metadata["nbgrader"].get("points", part.points))
        if abs(worth - part.points) > 1e-9:
            raise AutograderUnavailable(
                f"part {part.name!r} is worth {part.points:g} points in the hidden tests but {worth:g} in the "
                "gradebook; rebuild the course with `make nbgrader` and run generate_assignment again")
        entries = split_results(self._results, list(by_name.values()))[part.name]
        earned, text = _report(part, entries, self._results, show_summary=self._first)
        if self._first and self._notes:
            text += "\n\nNot read from your submission (the rest was graded):\n" + "\n".join(
                f"  {note}" for note in self._notes)
        self._first = False
        earned = min(max(earned, 0.0), part.points)
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text=clean(text) + "\n"),
            nbformat.v4.new_output("execute_result", data={"text/plain": repr(earned)},
                                   execution_count=self._count),
        ]
        return cell, resources


#: Entries looked at in submitted/ before the pre-pass gives up (a folder of a million files).
SET_ASIDE_MAX_ENTRIES = 200_000
SET_ASIDE = "SET_ASIDE.json"


def set_aside_special_files(course_root, *, max_entries=SET_ASIDE_MAX_ENTRIES):
    """Move every non-regular entry of ``submitted/<student>/<assignment>/`` to ``set_aside/``.

    Links (to files or folders, dangling or not), FIFOs, sockets and devices
    are renamed — never followed, never opened — to the same relative path
    under ``set_aside/``, and listed with what they were in
    ``set_aside/<student>/<assignment>/SET_ASIDE.json``. Returns the list of
    ``(relative path, kind)`` moved. Folders are walked without following links.
    """
    from autograder.files import kind as kind_of  # (not `files`: the walk below names its files so)

    root = Path(course_root)
    submitted, aside = root / "submitted", root / "set_aside"
    moved, seen = [], 0
    if not submitted.is_dir() or submitted.is_symlink():
        return moved
    for top, dirs, files in os.walk(submitted, followlinks=False):
        for name in sorted(dirs + files):
            seen += 1
            if seen > max_entries:
                return moved
            path = Path(top) / name
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                continue
            rel = path.relative_to(submitted)
            dest = aside / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if os.path.lexists(dest):
                os.unlink(dest)
            os.rename(path, dest)
            if name in dirs:
                dirs.remove(name)
            moved.append((str(rel), kind_of(mode)))
            if len(rel.parts) >= 3:  # <student>/<assignment>/<file>: the student's record
                record = aside / rel.parts[0] / rel.parts[1] / SET_ASIDE
                entries = json.loads(record.read_text()) if record.is_file() else []
                entries.append({"path": str(Path(*rel.parts[2:])), "kind": kind_of(mode)})
                record.write_text(json.dumps(entries, indent=1) + "\n")
    return moved


def set_aside_notes(course_root, student, assignment):
    """The feedback's lines for what :func:`set_aside_special_files` moved out of a submission."""
    record = Path(course_root) / "set_aside" / student / assignment / SET_ASIDE
    if not record.is_file():
        return []
    notes = []
    for e in json.loads(record.read_text()):
        what = clean(e["path"])
        if e["kind"] == "a symbolic link":
            notes.append(f"{what} is a symbolic link: submit the file itself, not a link to it "
                         "(it was set aside before grading)")
        else:
            notes.append(f"{what} is {e['kind']}, not a regular file: submit the file itself "
                         "(it was set aside before grading)")
    return notes


def set_aside_before_autograde(course_root, argv=None):
    """Run :func:`set_aside_special_files` when this process is ``nbgrader autograde``."""
    argv = sys.argv if argv is None else argv
    if "autograde" in argv[1:3]:
        for rel, kind in set_aside_special_files(course_root):
            print(f"[kit] set aside submitted/{rel}: it is {kind} (never followed or opened)",
                  file=sys.stderr)


def autograde_preprocessors():
    """nbgrader's own ``Autograde.autograde_preprocessors`` with ``Execute`` replaced by :class:`GradeSnapshot`."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    out = [GradeSnapshot if p is Execute else p for p in default]
    if GradeSnapshot not in out:
        out.insert(0, GradeSnapshot)
    return out
