"""Shared helpers of the kit's own tests.

Grading is end to end: submissions are written to a folder and graded by
``python -m autograder grade`` / ``grade-all`` (the commands instructors run),
with one seed per kit run (printed in the header; set KIT_SEED to replay).
"""
import json
import os
import secrets
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from autograder import catalog

ROOT = Path(__file__).resolve().parents[1]
SEED = int(os.environ.get("KIT_SEED") or secrets.randbits(31))


def pytest_report_header(config):
    return f"kit seed: {SEED} (replay with KIT_SEED={SEED})"


def grade_folder(assignment, folder, *, seed=SEED, jobs=2):
    """Grade every sub-folder of ``folder``; return {student: results.json dict}."""
    folder = Path(folder)
    out = folder.parent / f"{folder.name}-results"
    cmd = [sys.executable, "-m", "autograder", "grade-all", assignment, str(folder),
           "--seed", str(seed), "--jobs", str(jobs), "--results-dir", str(out),
           "--csv", str(folder.parent / f"{folder.name}.csv")]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


def grade_one(assignment, submission, *, seed=SEED, results=None, extra=(), env=None):
    """Run ``python -m autograder grade``; return (exit code, results dict or None, output).

    ``env`` adds to the environment. The results are read only from a regular file.
    """
    results = Path(results) if results else Path(submission).parent / "results.json"
    cmd = [sys.executable, "-m", "autograder", "grade", assignment, str(submission),
           "--results", str(results), "--seed", str(seed), *extra]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, **env} if env else None)
    regular = results.is_file() and not results.is_symlink()
    data = json.loads(results.read_text()) if regular else None
    return proc.returncode, data, proc.stdout + proc.stderr


@lru_cache(maxsize=None)
def hidden_tests(assignment):
    """{test function name: (results-name prefix, points)} read from the hidden test modules."""
    return {t.function: (t.doc, t.points) for part in catalog.parts(assignment) for t in part.tests}


def entry(results, assignment, test_name):
    """The results.json entry of the hidden test function ``test_name``."""
    doc, _ = hidden_tests(assignment)[test_name]
    matches = [t for t in results["tests"] if t["name"].startswith(doc + " (")]
    assert len(matches) == 1, f"{test_name}: {len(matches)} result entries start with {doc!r}"
    return matches[0]


def failed(results):
    """Names of the result entries that did not earn full points."""
    return {t["name"] for t in results["tests"] if t["score"] < t["max_score"]}
