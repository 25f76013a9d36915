"""What an nbgrader "autograder tests" cell calls: the points of one part.

Each graded part of an assignment (one hidden test module,
``hidden_tests/<a>/test_<part>.py``) has one autograder-tests cell in the
assignment's notebook. Its hidden content, restored by ``nbgrader autograde``
and nothing more, is::

    from frontdoors.nbgrader.hook import part_points
    part_points("mle", "gaussian", 20)

``nbgrader autograde`` never runs it: the course's config grades a snapshot of
the submission without any kernel (:mod:`frontdoors.nbgrader.autograde`,
which shares :func:`split_results` and the feedback text with this module).
It runs when someone executes the source notebook by hand, in a kernel. The
grading itself never runs in that kernel: the first call grades the student's module (the ``<a>.py`` next to the notebook,
i.e. the kernel's working folder) once, in a subprocess running the kit's own
command line, ``python -m autograder grade <a> <folder> --results ... --seed
$AUTOGRADER_SEED`` — the same engine, sandbox and seed as ``grade-all`` — and
keeps the results for the other part cells of the notebook (keyed by the
content of the submission's files and the seed). Each call prints the part's
feedback on stdout and returns the points earned, which nbgrader takes as the
cell's partial credit. Nothing is ever written to stderr (nbgrader gives 0 to
a test cell that writes to stderr) and the student's output never reaches the
cell.

The environment, set by the course's ``nbgrader_config.py`` (``make nbgrader``):
``PYTHONPATH`` holds the kit's root (so this module imports), ``AUTOGRADER_SEED``
the class's seed, ``AUTOGRADER_PYTHON`` the kit's interpreter.

Stdlib only: importing this module in the student's kernel must not warn.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from autograder import files
from autograder.catalog import Part, Test, parts  # noqa: F401  (the hook's public names)
from autograder.intake import SKIPPED_DIRS
from autograder.paths import ROOT
from autograder.text import clean

#: Seconds one grading may take before the cell reports that the grader did not finish.
GRADING_TIMEOUT = 900

class AutograderUnavailable(RuntimeError):
    """The grader could not grade the submission (an instructor's problem, not the student's)."""


def split_results(results, assignment_parts):
    """{part name: [result entries]} — each results.json entry assigned to its part."""
    by_name = {}
    for part in assignment_parts:
        for t in part.tests:
            by_name.setdefault(t.result_name, []).append(part.name)
    out = {p.name: [] for p in assignment_parts}
    unknown = []
    for entry in results.get("tests", []):
        owners = by_name.get(entry.get("name"))
        if owners:
            out[owners.pop(0) if len(owners) > 1 else owners[0]].append(entry)
        else:
            unknown.append(entry.get("name"))
    if unknown:
        raise AutograderUnavailable(
            "the hidden tests changed since this notebook was generated (results for "
            f"{', '.join(map(repr, unknown[:3]))}); rebuild the course with `make nbgrader`")
    return out


# ----------------------------------------------------------------------------
# one grading per notebook run

_CACHE = {}
_SUMMARY_SHOWN = set()


def _python():
    exe = os.environ.get("AUTOGRADER_PYTHON")
    if exe and Path(exe).exists():
        return exe
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _digest(folder, assignment):
    """Hash of the files the grader would read (the module, helper modules, a notebook); links not followed."""
    tree = files.tree_digest(folder, suffixes=(".py", ".ipynb"), skip_dirs=SKIPPED_DIRS)
    return hashlib.sha256(f"{assignment}\0{tree}".encode()).hexdigest()


def _seed():
    value = os.environ.get("AUTOGRADER_SEED", "").strip()
    if value:
        return int(value)
    # no class seed: one random seed for this kernel, so all part cells see one grading
    return _CACHE.setdefault("__seed__", secrets.randbits(31))


def run_grader(assignment, folder, seed, results_path, timeout=GRADING_TIMEOUT):
    """Grade ``folder`` with ``python -m autograder grade``; return results.json as a dict.

    Raises :class:`AutograderUnavailable` when the grader could not grade
    (non-zero exit, no results file): never a made-up score.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    results_path = Path(results_path)
    cmd = [_python(), "-m", "autograder", "grade", assignment, str(folder),
           "--results", str(results_path), "--seed", str(int(seed)), "--quiet"]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AutograderUnavailable(f"the grader did not finish within {timeout} s") from None
    if proc.returncode != 0 or not results_path.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise AutograderUnavailable(f"the grader exited with status {proc.returncode}: {clean(tail[0])}")
    return json.loads(results_path.read_text(encoding="utf-8"))


def grade_folder(assignment, folder, seed):
    """Grade the submission in ``folder`` once per (content, seed); return results.json as a dict."""
    key = (assignment, _digest(folder, assignment), seed)
    if key in _CACHE:
        return _CACHE[key]
    with tempfile.TemporaryDirectory(prefix="autograder-nb-") as tmp:
        results = run_grader(assignment, folder, seed, Path(tmp) / "results.json")
    _CACHE[key] = results
    return results


def _report(part, entries, results, show_summary):
    earned = round(sum(float(e["score"]) for e in entries), 6)
    lines = [f"{part.title[:1].upper()}{part.title[1:]}: {earned:g} / {part.points:g} points"]
    for e in entries:
        mark = "PASS" if float(e["score"]) >= float(e["max_score"]) else "FAIL"
        lines.append(f"  {mark} {float(e['score']):g}/{float(e['max_score']):g}  {e['name']}")
        for ln in (e.get("output") or "").splitlines():
            lines.append(f"        {ln}")
    if show_summary and results.get("output"):
        lines.append("")
        lines.extend(results["output"].splitlines())
    return earned, "\n".join(lines)


def part_points(assignment, part, points=None, folder=None):
    """Grade (once) and return the points earned in ``part``; print its feedback.

    ``points`` is the part's worth when the notebook was generated; if the
    hidden tests have changed since, the cell fails and says to rebuild.
    Never writes to stderr: anything printed or warned while grading is
    captured, and the grader's own messages go to stdout.
    """
    sink = io.StringIO()
    with contextlib.redirect_stderr(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            all_parts = {p.name: p for p in parts(assignment)}
            if part not in all_parts:
                raise AutograderUnavailable(f"{assignment} has no graded part {part!r} "
                                            "(rebuild the course with `make nbgrader`)")
            this = all_parts[part]
            if points is not None and abs(float(points) - this.points) > 1e-9:
                raise AutograderUnavailable(
                    f"part {part!r} is worth {this.points:g} points in the hidden tests but {points:g} in "
                    "this notebook; rebuild the course with `make nbgrader`")
            folder = Path(folder) if folder is not None else Path.cwd()
            seed = _seed()
            results = grade_folder(assignment, folder, seed)
            entries = split_results(results, list(all_parts.values()))[part]
            first = (assignment, seed) not in _SUMMARY_SHOWN
            _SUMMARY_SHOWN.add((assignment, seed))
            earned, text = _report(this, entries, results, show_summary=first)
        except AutograderUnavailable as exc:
            print(f"The autograder could not grade this part: {exc}. "
                  "This is not your fault; your instructor will regrade it.")
            raise AutograderUnavailable(str(exc)) from None
    print(text)
    return min(max(earned, 0.0), this.points)
