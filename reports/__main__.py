"""``python -m reports RESULTS_DIR OUT``: the feedback pages and the class report of a results folder.

``RESULTS_DIR`` is what ``grade-all --results-dir`` wrote — per student
``<stem>.json`` (results.json) and ``<stem>.npz`` (the pictures' arrays), and
``.grade-all/class.json`` (the assignment, the seed and the class's students,
``{stem: name}``) — for a class graded earlier or on another machine; or any
folder of results.json files (``grade --results``), each student named after
their file. ``grade-all --feedback OUT`` runs exactly this, in a process of
its own. Writes ``OUT/<stem>.html`` and ``.md`` per student,
``OUT/class.html`` and a side-by-side page per pair of similar submissions
(``OUT/similar_<hash>.html``); prints the class summary.

The similarity section compares the modules ``grade-all`` kept
(``RESULTS_DIR/.grade-all/sources/``; a folder of bare results.json files has
none, and the section says so): ``--similarity-threshold PERCENT`` (default
40) and ``--similarity-min-lines N`` (default 8) choose which pairs are listed
(:mod:`reports.similarity`); drawing the pages again with other values
regrades nothing.

Exit status 0 when the pages were written; 2 when nothing could be drawn (no
such folder, no results in it, the assignment unknown: give ``--assignment``);
1 when the pages could not be written; a results file that cannot be read is
named on stderr and left out.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from autograder import files
from autograder.results import ARTIFACTS_SUFFIX, load_artifacts
from autograder.text import one_line

from . import parse, similarity, write_all

#: the largest results file read (the engine's are a few hundred kilobytes at most)
MAX_RESULTS_BYTES = 64 << 20


def _read_json(path):
    """The JSON in the regular file ``path`` (never through a link, never blocking on a FIFO, at
    most :data:`MAX_RESULTS_BYTES`), or None."""
    try:
        return json.loads(files.read_regular(path, MAX_RESULTS_BYTES).decode("utf-8", errors="replace"))
    except (files.NotRead, ValueError):
        return None


def _plain_stem(stem):
    return isinstance(stem, str) and bool(stem) and not stem.startswith(".") and Path(stem).name == stem


def read_folder(folder):
    """A results folder as ``(index, results, artifacts, pages, problems)``.

    ``index`` is ``.grade-all/class.json`` ({} without one); ``results``
    {student: results dict}; ``artifacts`` {student: artifacts, or None when
    none were kept}; ``pages`` {student: file stem}; ``problems`` the files
    that could not be read.
    """
    folder = Path(folder)
    index = _read_json(folder / ".grade-all" / "class.json")
    index = index if isinstance(index, dict) else {}
    listed = index.get("students")
    if isinstance(listed, dict):  # grade-all's class: its students, under their own names
        entries = [(stem, one_line(name, limit=120)) for stem, name in listed.items()
                   if _plain_stem(stem) and isinstance(name, str)]
    else:
        entries = [(p.name[:-len(".json")],) * 2 for p in sorted(folder.iterdir())
                   if p.name.endswith(".json") and _plain_stem(p.name[:-len(".json")])]
    results, artifacts, pages, problems = {}, {}, {}, []
    for stem, name in entries:
        res = _read_json(folder / f"{stem}.json")
        if not isinstance(res, dict):
            problems.append(f"{one_line(stem, 120)}.json (missing, not a regular file, or not a results file)")
            continue
        if name in results:
            name = f"{name} ({stem})"
        results[name], pages[name] = res, stem
        pictures = folder / f"{stem}{ARTIFACTS_SUFFIX}"
        artifacts[name] = load_artifacts(pictures) if os.path.lexists(pictures) else None
    return index, results, artifacts, pages, problems


def _option(check):
    """An argparse type from a checker that raises ValueError with a message saying what to give."""
    def parse_option(text):
        try:
            return check(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse_option


def compare_kept(folder, assignment, pages, *, kept, threshold, min_lines):
    """The similarity section of a results folder: its kept modules compared (``pages``:
    {student: stem}); ``kept``: whether the folder is grade-all's (which keeps them)."""
    if not kept:
        return similarity.Comparison(threshold=threshold, min_lines=min_lines, problem=(
            "this results folder holds no copy of the submitted code (grade-all --results-dir keeps "
            "each student's module in .grade-all/sources/)"))
    texts, not_compared, cut = similarity.read_sources(folder, pages)
    return similarity.compare(assignment, texts, threshold=threshold, min_lines=min_lines,
                              not_compared=not_compared, cut=cut)


def read_late(folder, pages):
    """``(rule, {student: row})`` of the late policy applied to the class (``.grade-all/late.json``,
    written by ``python -m gradebook``); ``("", {})`` without one."""
    data = _read_json(Path(folder) / ".grade-all" / "late.json")
    if not isinstance(data, dict) or not isinstance(data.get("students"), dict) or not isinstance(data.get("rule"), str):
        return "", {}
    rows = data["students"]
    return data["rule"], {name: rows[stem] for name, stem in pages.items() if isinstance(rows.get(stem), dict)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__.splitlines()[0])
    parser.add_argument("results_dir", help="a results folder (grade-all --results-dir)")
    parser.add_argument("out", help="where the pages go (OUT/<student>.html, OUT/class.html)")
    parser.add_argument("--assignment", help="the assignment (default: what the results say)")
    parser.add_argument("--similarity-threshold", type=_option(similarity.check_threshold), metavar="PERCENT",
                        default=similarity.THRESHOLD,
                        help="list a pair of students when at least this share of either one's own code "
                             f"is also in the other's (default {similarity.THRESHOLD:g})")
    parser.add_argument("--similarity-min-lines", type=_option(similarity.check_min_lines), metavar="N",
                        default=similarity.MIN_LINES,
                        help="... and the shared code covers at least N lines of each one's own code "
                             f"(default {similarity.MIN_LINES})")
    args = parser.parse_args(argv)
    folder, out = Path(args.results_dir), Path(args.out)
    if not folder.is_dir():
        print(f"reports: no such folder: {one_line(str(folder))}", file=sys.stderr)
        return 2
    if os.path.lexists(out) and (out.is_symlink() or not out.is_dir()):
        print(f"reports: {one_line(str(out))} is not a folder: give a folder or a new path", file=sys.stderr)
        return 2
    index, results, artifacts, pages, problems = read_folder(folder)
    for problem in problems:
        print(f"reports: not read: {problem}", file=sys.stderr)
    if not results:
        print(f"reports: no results in {one_line(str(folder))} (expected grade-all's --results-dir: "
              "<student>.json files)", file=sys.stderr)
        return 2
    stated = Counter(a for a in map(parse.assignment, results.values()) if a)
    assignment = args.assignment or (index.get("assignment") if isinstance(index.get("assignment"), str) else None) \
        or (stated.most_common(1)[0][0] if stated else None)
    if not assignment:
        print("reports: the results do not say which assignment they grade (results of an older kit?): "
              "give --assignment", file=sys.stderr)
        return 2
    seed = index.get("seed") if isinstance(index.get("seed"), int) else None
    similar = compare_kept(folder, assignment, pages, kept=isinstance(index.get("students"), dict),
                           threshold=args.similarity_threshold, min_lines=args.similarity_min_lines)
    rule, late = read_late(folder, pages)
    try:
        out.mkdir(parents=True, exist_ok=True)
        summary = write_all(one_line(assignment, limit=40), dict(sorted(results.items())), out,
                            artifacts_by_student=artifacts, seed=seed, pages=pages, similar=similar,
                            late=late, rule=rule)
    except OSError as exc:
        print(f"reports: the pages could not be written in {one_line(str(out))}: {one_line(exc, 300)}",
              file=sys.stderr)
        return 1
    print(summary.rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
