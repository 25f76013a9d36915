"""Class throughput: how fast ``grade-all`` grades a class, and where one submission's time goes.

For every assignment with hidden tests, a generated class of N submissions
(default 200; ``BENCH_CLASS_N=20`` for a quick run, ``0`` for the floor only): every third one the
reference, the others the catalogued typical mistakes of ``samples/mistakes/``
in turn. Timed, in the same run, on the same seed:

- ``grade-all --jobs 1``, ``grade-all --jobs 2``, and ``grade-all --dask`` on a
  2-worker ``LocalCluster`` (processes, one thread each, loopback);
  submissions per minute and the speed-up of 2 jobs over 1 (goal ≥ 1.8×);
- the per-submission floor, in a warm grader process (as in a pool worker):
  the sandbox's start (until the child reports ready), the student's import, the student's calls (round
  trips to the sandboxed child, their own computing included), and the
  grader's own work (test data, reference / scikit-learn / SciPy values,
  comparisons, pytest) — the rest.

    .venv/bin/python bench/bench_class.py
    BENCH_CLASS_N=20 BENCH_CLASS_ASSIGNMENTS=mle,kde .venv/bin/python bench/bench_class.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, print_table  # noqa: E402
from samples.submissions import apply, catalogue, reference_source, write  # noqa: E402

PY = sys.executable
SEED = 1


def make_class(dest, assignment, n):
    """``n`` submissions: the reference every third, the catalogued mistakes in between."""
    bugs = catalogue(assignment)
    ref = reference_source(assignment)
    for i in range(n):
        text = ref if i % 3 == 0 or not bugs else apply(assignment, bugs[(i - i // 3 - 1) % len(bugs)])
        write(Path(dest) / f"s{i:04d}", assignment, text)
    return Path(dest)


def run_grade_all(assignment, folder, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([PY, "-m", "autograder", "grade-all", assignment, str(folder), "--seed", str(SEED),
                           "--csv", str(folder) + f"-{extra[-1].replace('/', '_')[-12:]}.csv", *extra],
                          cwd=ROOT, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return dt


FLOOR = """
import json, sys, time
sys.path.insert(0, {root!r})
from autograder import engine, sandbox

spent = {{"start": 0.0, "import": 0.0, "calls": 0.0}}
start, ready, roundtrip = sandbox.Session._start, sandbox.Session._await_ready, sandbox.Session._roundtrip


def timed_start(self):
    t0 = time.perf_counter()
    try:
        return start(self)
    finally:
        spent["start"] += time.perf_counter() - t0


def timed_ready(self):  # the child's own start (Python, namespaces, NumPy) until its "ready"
    t0 = time.perf_counter()
    try:
        return ready(self)
    finally:
        spent["start"] += time.perf_counter() - t0


def timed_roundtrip(self, msg, label, timeout):
    t0 = time.perf_counter()
    try:
        return roundtrip(self, msg, label, timeout)
    finally:
        spent["import" if msg.get("op") == "import" else "calls"] += time.perf_counter() - t0


sandbox.Session._start, sandbox.Session._await_ready = timed_start, timed_ready
sandbox.Session._roundtrip = timed_roundtrip
engine.grade({a!r}, {sub!r}, seed={seed})              # warm: the pool worker's first grading
for k in spent:
    spent[k] = 0.0
runs = {runs}
t0 = time.perf_counter()
for _ in range(runs):
    engine.grade({a!r}, {sub!r}, seed={seed})
total = (time.perf_counter() - t0) / runs
print(json.dumps({{"total": total, **{{k: v / runs for k, v in spent.items()}}}}))
"""


def floor(assignment, sub, runs=3):
    code = FLOOR.format(root=str(ROOT), a=assignment, sub=str(sub), seed=SEED, runs=runs)
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def floor_row(assignment, folder):
    f = floor(assignment, folder / "s0000" / f"{assignment}.py")
    own = f["total"] - f["start"] - f["import"] - f["calls"]
    return [assignment, f"{f['total']:.2f}", f"{f['start']:.2f}", f"{f['import']:.2f}", f"{f['calls']:.2f}",
            f"{own:.2f}", f"{own / f['total']:.0%}"]


def main():
    # Dask's statistical profiler samples every task thread's stack every 10 ms; a grading
    # is one long task, so it only costs time (measured: ~5 % of each kde grading). Off, as
    # README's worker command sets it; set before Dask is imported, which reads it once.
    os.environ.setdefault("DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED", "False")
    from distributed import LocalCluster

    from autograder import engine

    n = int(os.environ.get("BENCH_CLASS_N") or 200)
    wanted = [a for a in (os.environ.get("BENCH_CLASS_ASSIGNMENTS") or "").split(",") if a]
    assignments = [a for a in engine.assignments() if not wanted or a in wanted]
    speed, floors = [], []
    with tempfile.TemporaryDirectory() as tmp, \
            LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                         dashboard_address=None) as cluster:
        os.environ["PYTHONPATH"] = str(ROOT)
        for a in assignments:
            folder = make_class(Path(tmp) / a, a, max(n, 1))
            if n == 0:  # BENCH_CLASS_N=0: the per-submission floor only
                floors.append(floor_row(a, folder))
                continue
            t1 = run_grade_all(a, folder, "--jobs", "1")
            print(f"{a}: --jobs 1 {t1:.0f} s", file=sys.stderr, flush=True)
            t2 = run_grade_all(a, folder, "--jobs", "2")
            print(f"{a}: --jobs 2 {t2:.0f} s ({t1 / t2:.2f}×)", file=sys.stderr, flush=True)
            td = run_grade_all(a, folder, "--dask", cluster.scheduler_address)
            print(f"{a}: Dask {td:.0f} s ({t1 / td:.2f}×)", file=sys.stderr, flush=True)
            speed.append([a, n, f"{t1:.0f}", f"{n / t1 * 60:.0f}", f"{t2:.0f}", f"{n / t2 * 60:.0f}",
                          f"{t1 / t2:.2f}×", f"{td:.0f}", f"{n / td * 60:.0f}", f"{t1 / td:.2f}×"])
            floors.append(floor_row(a, folder))
            print(f"{a}: done", file=sys.stderr, flush=True)
    load = os.getloadavg()[0]
    if speed:
        print_table(f"class throughput ({os.cpu_count()} cores, load {load:.1f}; seconds, submissions/min)",
                    ["assignment", "N", "--jobs 1 s", "/min", "--jobs 2 s", "/min", "2 jobs vs 1",
                     "Dask 2 workers s", "/min", "Dask vs 1 job"], speed)
    print_table("per-submission floor (warm grader, reference submission; seconds)",
                ["assignment", "one grading", "sandbox start (until ready)", "student's import",
                 "student's calls", "grader's own work", "grader's share"], floors)


if __name__ == "__main__":
    main()
