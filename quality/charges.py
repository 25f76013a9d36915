"""One mistake, one charge: what each catalogued single mistake costs.

``python -m quality.charges [ASSIGNMENT ...] [--seed 1] [--jobs 2] [--json FILE]``
grades the reference with each catalogued mistake of ``samples/mistakes/<a>.py``
applied (one mistake per submission), with ``grade-all`` and one seed, and
prints per assignment: the median number of failing tests per mistake, the
median points lost and the largest, and the mistakes charged in more than one
test. The kit holds docs/GRADING.md's "one mistake, one charge" ("Partial
credit") to a median ≤ 1.5 failing tests, a median cost ≤ 8 points and no
mistake costing more than 25 (its own figures: docs/GRADING.md states the
rule, not these numbers).

``charges(results)`` computes the same figures from ``{mistake: results.json}``
(tests/test_mistakes.py uses it on the class it grades anyway).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.paths import ROOT

#: what must hold for a set of single mistakes (the kit's figures for docs/GRADING.md, "Partial credit")
MEDIAN_FAILING_TESTS = 1.5
MAX_COST = 25
MEDIAN_COST = 8


def charges(results_by_mistake):
    """``{mistake: (failing tests, points lost, [failing test ids])}`` from results.json dicts."""
    out = {}
    for name, results in results_by_mistake.items():
        failing = [t for t in results["tests"] if t["score"] < t["max_score"]]
        lost = sum(t["max_score"] - t["score"] for t in failing)
        out[name] = (len(failing), round(lost, 6), [t["name"] for t in failing])
    return out


def figures(results_by_mistake):
    """``(median failing tests, median cost, max cost, worst mistake)`` of a set of single mistakes."""
    c = charges(results_by_mistake)
    if not c:
        return (0, 0, 0, "")
    worst = max(c, key=lambda k: c[k][1])
    return (statistics.median(v[0] for v in c.values()), statistics.median(v[1] for v in c.values()),
            c[worst][1], worst)


def grade_mistakes(assignment, seed, jobs, workdir, extra=()):
    sys.path.insert(0, str(ROOT))
    from samples.submissions import apply, catalogue, write

    folder = Path(workdir) / assignment
    for bug in catalogue(assignment):
        write(folder / bug.name, assignment, apply(assignment, bug))
    out = Path(workdir) / f"{assignment}-results"
    subprocess.run([sys.executable, "-m", "autograder", "grade-all", assignment, str(folder),
                    "--seed", str(seed), "--jobs", str(jobs), "--results-dir", str(out),
                    "--csv", str(Path(workdir) / f"{assignment}.csv"), *extra],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=["mle", "kde", "gmm", "bmm"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", help="also write every mistake's charges to this file")
    parser.add_argument("--extra", default="", help="more grade-all options (e.g. --no-carry-forward)")
    args = parser.parse_args(argv)
    table, everything = [], {}
    with tempfile.TemporaryDirectory(prefix="charges-") as tmp:
        for a in args.assignments:
            results = grade_mistakes(a, args.seed, args.jobs, tmp, args.extra.split())
            c = charges(results)
            everything[a] = c
            med_n, med_cost, max_cost, worst = figures(results)
            many = sorted(k for k, v in c.items() if v[0] > 1)
            table.append(f"| {a} | {len(c)} | {med_n:g} | {med_cost:g} | {max_cost:g} ({worst}) | {len(many)} |")
            for k in sorted(c, key=lambda k: -c[k][1]):
                print(f"{a:4} {k:45} {c[k][0]:3d} tests {c[k][1]:6g} pts", file=sys.stderr)
    print("| assignment | mistakes | median failing tests | median cost | max cost | charged in >1 test |")
    print("|---|---|---|---|---|---|")
    print("\n".join(table))
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
