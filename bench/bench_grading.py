"""Grading latency: how long students and instructors wait, and the grader's peak memory.

For every assignment with hidden tests:
- one submission graded from the command line (``python -m autograder grade``,
  a cold process: interpreter, test-suite imports, sandbox start, the tests);
- the same submission graded again in a warm grader process (what each
  student costs inside ``grade-all``'s worker pool);
- the whole sample class with ``grade-all --jobs 2``;
- peak resident memory of the grader process and of the sandboxed child.

    .venv/bin/python bench/bench_grading.py
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, print_table  # noqa: E402
from tests.submissions import reference_source, sample_class, write  # noqa: E402

PY = sys.executable


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return dt, max(before, after) / 1024, proc.stdout


WARM = """
import json, sys, time, resource
sys.path.insert(0, {root!r})
from autograder import engine
engine.grade({a!r}, {sub!r}, seed=1)                 # the pool worker's first grading
t0 = time.perf_counter(); r = engine.grade({a!r}, {sub!r}, seed=1); dt = time.perf_counter() - t0
print(json.dumps({{"warm": dt, "score": r.score,
                   "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                   "child_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""


def main():
    from autograder import engine

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        classes = sample_class(Path(tmp) / "class")
        for a in engine.assignments():
            sub = write(Path(tmp) / a / "student", a, reference_source(a)) / f"{a}.py"
            cold, _, out = timed([PY, "-m", "autograder", "grade", a, str(sub), "--seed", "1", "--quiet"])
            assert out.strip() == "100", out
            warm = json.loads(subprocess.run([PY, "-c", WARM.format(root=str(ROOT), a=a, sub=str(sub))],
                                             cwd=ROOT, capture_output=True, text=True, check=True).stdout)
            n = len([p for p in (classes / a).iterdir() if p.is_dir()])
            whole, _, _ = timed([PY, "-m", "autograder", "grade-all", a, str(classes / a), "--jobs", "2",
                                 "--seed", "1"])
            rows.append([a, f"{cold:.1f}", f"{warm['warm']:.1f}", f"{n} in {whole:.1f}",
                         f"{warm['rss']:.0f}", f"{warm['child_rss']:.0f}"])
    print_table(f"grading latency ({os.cpu_count()} cores; seconds; peak RSS in MiB)",
                ["assignment", "one submission, CLI (cold)", "one submission, warm worker",
                 "sample class, grade-all --jobs 2", "grader peak RSS", "sandbox child peak RSS"], rows)


if __name__ == "__main__":
    main()
