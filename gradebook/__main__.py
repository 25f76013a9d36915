"""``python -m gradebook RESULTS_DIR [--policy FILE] [--export FORMAT FILE [--roster FILE]]``.

What ``grade-all --policy / --export`` runs, in a process of its own (the
engine never imports this package), on the results folder it wrote
(``.grade-all/class.json``: every student's identity; ``<stem>.json`` per
student graded):

- ``--policy FILE`` (:mod:`gradebook.policy`): writes
  ``RESULTS_DIR/.grade-all/late.json`` — the rule in one sentence and per
  student ``submitted_at``, ``late_by``, ``penalty``, ``evidence``, the raw
  score and the total after the penalty — which the gradebook CSV and the
  pages (``python -m reports``) read. Without ``--policy`` an old one is removed.
  ``--pushed FILE``: Classroom's ``collected.csv``, the server's push times.
- ``--export canvas|moodle|blackboard FILE`` (:mod:`gradebook.lms`): the
  gradebook in the file that LMS imports (totals after the penalty);
  ``--roster FILE`` fills in the LMS's own gradebook export instead;
  ``--column NAME`` names the assignment's column (default: the assignment);
  ``--out-of N`` rescales the totals to the LMS assignment's maximum.
- ``--check``: only says whether the policy, the roster and the class can be
  used (``grade-all`` asks before grading anything).

Exit status 0 when done, 2 when a file cannot be used (the message names the
key or the column and says how to fix it), 1 when the export could not be written.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from autograder import files
from autograder.results import REASONS
from autograder.text import one_line

from . import lms, policy as policy_mod

MAX_INDEX_BYTES = 64 << 20
LATE_FILE = "late.json"


def _json(path):
    try:
        data = json.loads(files.read_regular(path, MAX_INDEX_BYTES).decode("utf-8", "replace"))
    except (files.NotRead, ValueError):
        return None
    return data


def read_class(results_dir):
    """``(assignment, identities, results)`` of a results folder: identities ``{stem: identity}``,
    results ``{stem: results dict}`` (of those graded)."""
    index = _json(Path(results_dir) / ".grade-all" / "class.json")
    if not isinstance(index, dict) or not isinstance(index.get("identities"), dict):
        raise lms.ExportError(f"{one_line(str(results_dir), 200)} holds no class graded by this kit's grade-all "
                              "(.grade-all/class.json with the students' identities): grade the class again")
    identities = {stem: ident for stem, ident in index["identities"].items()
                  if isinstance(stem, str) and isinstance(ident, dict) and "/" not in stem and not stem.startswith(".")}
    results = {}
    for stem, ident in identities.items():
        if not ident.get("skipped"):
            res = _json(Path(results_dir) / f"{stem}.json")
            if isinstance(res, dict):
                results[stem] = res
    return str(index.get("assignment") or ""), identities, results


def _reason(res):
    block = res.get("autograder") if isinstance(res, dict) else None
    if not isinstance(block, dict) or not block.get("reason_key"):
        return ""
    key = str(block["reason_key"])
    return f"{REASONS[key].text} ({key})" if key in REASONS else one_line(block.get("reason") or key, 200)


def _score(res, key):
    """The results' ``score``, or their maximum (``max_score``: the sum of the tests' maxima)."""
    try:
        if key == "max_score":
            return round(sum(float(t.get("max_score") or 0) for t in res.get("tests") or []
                             if isinstance(t, dict)), 6)
        return float(res.get(key, 0) or 0)
    except (TypeError, ValueError, AttributeError):
        return 0.0


def read_pushed(path):
    """``{student: push time}`` of Classroom's ``collected.csv`` (the ``student`` and ``date`` columns)."""
    try:
        text = files.read_regular(path, lms.MAX_ROSTER_BYTES).decode("utf-8-sig")
    except (files.NotRead, UnicodeDecodeError) as exc:
        raise policy_mod.PolicyError(f"--pushed {one_line(str(path), 200)} was not read "
                                     f"({getattr(exc, 'short', 'not UTF-8')}): give collect's collected.csv") from None
    return {row.get("student", ""): row.get("date", "") for row in csv.DictReader(io.StringIO(text, newline=""))}


def policy_name(ident, pol, usernames=None):
    """The name the policy's ``[extensions]`` know the student by: the download's name, or for
    Blackboard the username its ``<assignment>_<username>`` ends with. A username may hold "_":
    ``HW1_john_smith`` is John Smith's, not ``smith``'s. With the roster's ``usernames``, the one
    that fits (none when two do); without, the longest extension that fits."""
    who = str(ident.get("who") or "")
    prefix = str(ident.get("prefix") or "")
    if ident.get("lms") == "blackboard" and prefix:
        fits = lms.username_fits(prefix, pol.extensions if usernames is None else usernames)
        if usernames is not None:
            return fits[0] if len(fits) == 1 else prefix
        return max(fits, key=len) if fits else who
    return who


def late_rows(pol, identities, results, pushed=None, usernames=None):
    """``{stem: row}`` of :func:`gradebook.policy.apply` for every student of the class."""
    rows = {}
    for stem, ident in identities.items():
        res = results.get(stem)
        who = policy_name(ident, pol, usernames)
        ev = policy_mod.evidence(ident, pol, (pushed or {}).get(str(ident.get("who") or "")))
        raw = None if res is None or _reason(res) else _score(res, "score")
        rows[stem] = policy_mod.apply(pol, who, raw, _score(res or {}, "max_score"), ev)
    return rows


def entries(identities, results, late, fmt):
    """The :class:`gradebook.lms.Entry` of every student who has an LMS identity or a folder."""
    out = []
    for stem, ident in sorted(identities.items()):
        who = str(ident.get("who") or "")
        if "\0" in who:            # a file given to no student: nobody to export it for
            continue
        key, label = lms.identity_key(ident, fmt)
        res = results.get(stem)
        if ident.get("skipped") or res is None:
            total, comment = None, f"not graded: {one_line(ident.get('skipped') or 'no results', 300)}"
        elif _reason(res):
            total = None
            comment = f"not graded in full: {_reason(res)}; the kit's page says why"
        else:
            total, comment = _score(res, "score"), ""
            row = late.get(stem)
            if row is not None:
                total = row["total"]
                if row["penalty"]:
                    comment = (f"late by {row['late_by']} ({row['evidence']}): -{row['penalty']:g} points "
                               f"(raw score {row['raw']:g})")
        out.append(lms.Entry(stem, ident.get("lms") or "", who, key, label, total,
                             _score(res or {}, "max_score"), comment, str(ident.get("prefix") or "")))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gradebook", description=__doc__.splitlines()[0])
    parser.add_argument("results_dir")
    parser.add_argument("--policy", help="the assignment's late policy (TOML)")
    parser.add_argument("--pushed", help="Classroom's collected.csv: the server's push times")
    parser.add_argument("--export", nargs=2, metavar=("FORMAT", "FILE"))
    parser.add_argument("--roster", help="the LMS's own gradebook export, to fill in")
    parser.add_argument("--column", help="the assignment's column in the LMS (default: the assignment)")
    parser.add_argument("--out-of", type=float, help="the LMS assignment's maximum (default: the kit's points)")
    parser.add_argument("--check", action="store_true", help="only check that the files can be used")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (lms.ExportError, policy_mod.PolicyError) as exc:
        print(f"gradebook: {exc}", file=sys.stderr)
        return 2


def run(args):
    results_dir = Path(args.results_dir)
    assignment, identities, results = read_class(results_dir)
    pol = policy_mod.load(args.policy) if args.policy else None
    pushed = read_pushed(args.pushed) if args.pushed else None
    fmt = None
    if args.export:
        fmt = args.export[0]
        if fmt not in lms.FORMATS:
            raise lms.ExportError(f"unknown export format {one_line(fmt, 40)!r}: choose one of {', '.join(lms.FORMATS)}")
        if args.out_of is not None and not 0 < args.out_of < 1e9:
            raise lms.ExportError("--out-of must be a positive number of points")
        column = args.column or assignment
        class_entries = entries(identities, {}, {}, fmt)
        lms.check_class(class_entries, fmt, args.roster)
        if args.roster:
            header, _, _ = lms.read_roster(args.roster)
            lms.roster_columns(header, fmt, column)
    elif args.roster or args.column or args.out_of:
        raise lms.ExportError("--roster, --column and --out-of go with --export FORMAT FILE")
    if args.check:
        return 0
    usernames = None  # Blackboard: the roster's usernames, which split "<assignment>_<username>"
    if fmt == "blackboard" and args.roster:
        usernames = lms.roster_usernames(*lms.read_roster(args.roster)[:2])
    late_path = results_dir / ".grade-all" / LATE_FILE
    late = {}
    if pol is not None:
        known = {policy_name(i, pol, usernames) for i in identities.values()}
        for who in sorted(set(pol.extensions) - known):
            print(f"gradebook: the policy's extension for {one_line(who, 80)!r} names no student of this class "
                  "(name them as the gradebook does: the LMS download's name or the folder name)", file=sys.stderr)
        late = late_rows(pol, identities, results, pushed, usernames)
        files.write_atomic(late_path, json.dumps({"rule": pol.rule(), "students": late}, indent=2,
                                                 ensure_ascii=False) + "\n")
    else:
        late_path.unlink(missing_ok=True)
    if fmt:
        try:
            problems = lms.export(args.export[1], fmt, entries(identities, results, late, fmt),
                                  column=args.column or assignment, roster=args.roster, out_of=args.out_of)
        except OSError as exc:
            print(f"gradebook: the export could not be written to {one_line(args.export[1], 200)}: "
                  f"{one_line(exc.strerror or exc, 200)}", file=sys.stderr)
            return 1
        for p in problems:
            print(f"export: {one_line(p, 400)}", file=sys.stderr)
        print(f"{fmt} export: {one_line(args.export[1], 200)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
