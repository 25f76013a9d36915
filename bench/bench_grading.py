"""Grading latency: how long students and instructors wait, and the grader's peak memory.

For every assignment with hidden tests:
- one submission graded from the command line (``python -m autograder grade``,
  a cold process: interpreter, test-suite imports, sandbox start, the tests);
- the same submission graded again in a warm grader process (what each
  student costs inside ``grade-all``'s worker pool);
- the whole sample class with ``grade-all --jobs 2``;
- peak resident memory of the grader process and of the sandboxed child (its
  own high-water mark, read before it is killed; measured when run as root,
  where the child has a uid of its own).

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
from samples.submissions import reference_source, sample_class, write  # noqa: E402

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
import json, os, sys, time, resource
sys.path.insert(0, {root!r})
from autograder import engine, sandbox

peak = [0]
kill = sandbox.Session._kill


def measuring_kill(self):
    # before the child dies: the high-water RSS of the sandboxed processes (their own
    # address space; ru_maxrss of children would include the grader's, inherited at fork)
    for entry in os.scandir("/proc"):
        try:
            status = open(f"/proc/{{entry.name}}/status").read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        ours = self.as_root and int(fields.get("Uid", "0").split()[0]) == self.uid
        if ours and "VmHWM" in fields:
            peak[0] = max(peak[0], int(fields["VmHWM"].split()[0]) / 1024)
    kill(self)


sandbox.Session._kill = measuring_kill
engine.grade({a!r}, {sub!r}, seed=1)                 # the pool worker's first grading
t0 = time.perf_counter(); r = engine.grade({a!r}, {sub!r}, seed=1); dt = time.perf_counter() - t0
print(json.dumps({{"warm": dt, "score": r.score, "child_rss": peak[0],
                   "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
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
