"""Grading latency, as ratios to the import floor measured in the same run; the grader's peak memory.

The import floor is a fresh interpreter importing NumPy, SciPy, scikit-learn and pytest
(``python -c "import numpy, scipy, sklearn, pytest"``): what any grader built on them pays before
grading anything. For every assignment with hidden tests, on its reference submission, seed 1:

- one submission graded from the command line (``python -m autograder grade``, a cold process:
  interpreter, test-suite imports, sandbox start, the tests — what Gradescope runs once per
  submission), run in turn with the floor (floor, mle, kde, ..., floor, mle, ...) several times;
  the median wall time and the median of each round's ratio to that round's floor (pairing keeps
  the ratio meaningful when the machine's speed drifts; absolute times on a busy machine are not);
- the same submission graded again in a warm grader process (what each student costs inside
  ``grade-all``'s worker pool, which sets each next student's sandbox up during the current
  grading: ``engine.grade(..., spare=True)``): the median of several gradings after the first;
- the whole sample class with ``grade-all --jobs 2``;
- peak resident memory of the grader process and of the sandboxed child (its own high-water
  mark, read before it is killed; measured when run as root, where the child has a uid of its own).

Goals (issue #23): cold ≤ 1.5 / 2.5 / 2 / 3 × the floor, warm ≤ 0.3 / 1 / 0.5 / 1.5 s per student
(mle / kde / gmm / bmm).

    .venv/bin/python bench/bench_grading.py
    BENCH_GRADING_REPEAT=3 BENCH_GRADING_ASSIGNMENTS=mle,gmm .venv/bin/python bench/bench_grading.py
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, print_table  # noqa: E402
from samples.submissions import reference_source, sample_class, write  # noqa: E402

PY = sys.executable
#: the import floor: what every grader built on these libraries pays before grading anything
FLOOR = [PY, "-c", "import numpy, scipy, sklearn, pytest"]
#: issue #23's goals: cold grade as a multiple of the floor, warm grading in seconds per student
COLD_GOAL = {"mle": 1.5, "kde": 2.5, "gmm": 2.0, "bmm": 3.0}
WARM_GOAL = {"mle": 0.3, "kde": 1.0, "gmm": 0.5, "bmm": 1.5}


def run_once(cmd, cwd=ROOT):
    """Wall-clock seconds of one run of ``cmd`` (a list), which must exit 0."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd!r} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return dt


def ratios_to_floor(commands, floor=FLOOR, *, repeat=5, cwd=ROOT):
    """Each command's wall time as a multiple of ``floor``'s, measured in the same run.

    ``commands``: ``{name: argv}``. Each round runs the floor, then every command once, in
    turn; a command's ratio is the median over the rounds of its time divided by that round's
    floor. Returns ``{"floor": {"median": s, "runs": [...]}, name: {"median": s, "ratio": r,
    "runs": [...], "ratios": [...]}, ...}`` (seconds, medians over ``repeat`` rounds).
    """
    out = {"floor": {"runs": []}, **{name: {"runs": [], "ratios": []} for name in commands}}
    for _ in range(repeat):
        base = run_once(floor, cwd)
        out["floor"]["runs"].append(base)
        for name, cmd in commands.items():
            dt = run_once(cmd, cwd)
            out[name]["runs"].append(dt)
            out[name]["ratios"].append(dt / base)
    for name, entry in out.items():
        entry["median"] = statistics.median(entry["runs"])
        if name != "floor":
            entry["ratio"] = statistics.median(entry["ratios"])
    return out


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    dt = run_once(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return dt, max(before, after) / 1024


WARM = """
import json, os, statistics, sys, time, resource
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
engine.grade({a!r}, {sub!r}, seed=1, spare=True)     # the pool worker's first grading
runs = []
for _ in range({repeat}):
    t0 = time.perf_counter(); r = engine.grade({a!r}, {sub!r}, seed=1, spare=True); runs.append(time.perf_counter() - t0)
    assert r.score == r.max_score, r.score
print(json.dumps({{"warm": statistics.median(runs), "runs": runs, "child_rss": peak[0],
                   "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main():
    from autograder import engine

    repeat = int(os.environ.get("BENCH_GRADING_REPEAT", "5"))
    chosen = os.environ.get("BENCH_GRADING_ASSIGNMENTS")
    names = [a for a in engine.assignments() if not chosen or a in chosen.split(",")]
    rows = []
    # the kit's modules compiled, as a deployed kit has them (Gradescope's setup.sh compiles them;
    # Python writes them itself on the first run wherever PYTHONDONTWRITEBYTECODE is unset)
    subprocess.run([PY, "-m", "compileall", "-q", "-j", "0", "autograder", "hidden_tests", "solutions", "datasets"],
                   cwd=ROOT, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        subs = {a: write(Path(tmp) / a / "student", a, reference_source(a)) / f"{a}.py" for a in names}
        for a, sub in subs.items():  # the reference scores 100
            out = subprocess.run([PY, "-m", "autograder", "grade", a, str(sub), "--seed", "1", "--quiet"],
                                 cwd=ROOT, capture_output=True, text=True)
            assert out.stdout.strip() == "100", (a, out.stdout, out.stderr[-2000:])
        cold = ratios_to_floor({a: [PY, "-m", "autograder", "grade", a, str(sub), "--seed", "1", "--quiet"]
                                for a, sub in subs.items()}, repeat=repeat)
        classes = sample_class(Path(tmp) / "class")
        for a, sub in subs.items():
            warm = json.loads(subprocess.run(
                [PY, "-c", WARM.format(root=str(ROOT), a=a, sub=str(sub), repeat=max(3, repeat // 2 + 1))],
                cwd=ROOT, capture_output=True, text=True, check=True).stdout)
            n = len([p for p in (classes / a).iterdir() if p.is_dir()])
            whole, _ = timed([PY, "-m", "autograder", "grade-all", a, str(classes / a), "--jobs", "2",
                              "--seed", "1"])
            c = cold[a]
            rows.append([a, f"{c['median']:.1f} ({min(c['runs']):.1f}–{max(c['runs']):.1f})",
                         f"{c['ratio']:.2f} (goal ≤ {COLD_GOAL.get(a, '?')})",
                         f"{warm['warm']:.2f} (goal ≤ {WARM_GOAL.get(a, '?')})", f"{n} in {whole:.1f}",
                         f"{warm['rss']:.0f}", f"{warm['child_rss']:.0f}"])
    f = cold["floor"]
    print_table(f"grading latency ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the end; "
                f"import floor {f['median']:.2f} s, median of {repeat} interleaved rounds; seconds; "
                "peak RSS in MiB)",
                ["assignment", "one submission, CLI (cold): median (min–max)", "cold ÷ floor (median)",
                 "warm worker, s per student (median)", "sample class, grade-all --jobs 2",
                 "grader peak RSS", "sandbox child peak RSS"], rows)


if __name__ == "__main__":
    main()
