"""Command line: ``python -m autograder grade | grade-all`` (GRADING.md).

Exit status 0 whenever grading finished, whatever the score; 2 when the
grader could not run (unknown assignment, missing path, a ``--results``
path that is not a regular file or a new path, the hidden tests failing to
start or collecting none); 1 when the grader itself broke. A results file is
written in every case where a usable one was asked for.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import multiprocessing
import secrets
import shutil
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import engine
from .text import clean, one_line


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade one submission")
    g.add_argument("assignment")
    g.add_argument("submission", help="the module file, or a folder holding it (or the notebook)")
    g.add_argument("--results", help="write Gradescope's results.json here")
    g.add_argument("--seed", type=int, help="seed of the test data (printed in every result)")
    g.add_argument("--quiet", action="store_true", help="print only the total")
    a = sub.add_parser("grade-all", help="grade every sub-folder (one per student)")
    a.add_argument("assignment")
    a.add_argument("submissions_dir")
    a.add_argument("--csv", help="gradebook CSV: student, total, one column per test")
    a.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel gradings")
    a.add_argument("--seed", type=int, help="one seed for the whole class (default: random)")
    a.add_argument("--results-dir", help="also keep each student's results.json here")
    args = parser.parse_args(argv)
    if args.command == "grade":
        return cmd_grade(args)
    return cmd_grade_all(args)


def _failure_results(path, message, assignment):
    """A results file for when the grader could not grade at all."""
    if not path:
        return
    report = engine.Report(assignment, "", 0, output=message)
    try:
        report.write(path)
    except (OSError, engine.GraderError) as exc:
        print(f"autograder: could not write {one_line(path)}: {clean(exc)}", file=sys.stderr)


def cmd_grade(args):
    if args.results:
        problem = engine.results_path_problem(args.results)
        if problem:
            print(f"autograder: {problem}", file=sys.stderr)
            return 2
    try:
        report = engine.grade(args.assignment, args.submission, seed=args.seed)
    except engine.GraderError as exc:
        print(f"autograder: {clean(exc)}", file=sys.stderr)
        if exc.detail:
            print(clean(exc.detail), file=sys.stderr)
        _failure_results(args.results, f"The autograder could not run: {clean(exc)}", args.assignment)
        return 2
    except Exception:  # noqa: BLE001 - the grader broke; still leave a results file
        text = traceback.format_exc()
        print(clean(text), file=sys.stderr)
        _failure_results(args.results, "The autograder itself failed (not your fault); "
                         "please tell your instructor.", args.assignment)
        return 1
    if args.results:
        try:
            report.write(args.results)
        except (OSError, engine.GraderError) as exc:
            print(f"autograder: could not write the results to {one_line(args.results)}: "
                  f"{clean(exc)}", file=sys.stderr)
            return 2
    if args.quiet:
        print(f"{report.score:g}")
    else:
        print_report(report)
    return 0


def print_report(report, file=sys.stdout):
    """The terminal report; everything from the submission shown without control characters.

    The student's lines (feedback, what it printed) are indented, so only the
    grader's own last line starts with ``Total:``.
    """
    names = [one_line(t.name) for t in report.tests]
    width = max((len(n) for n in names), default=10)
    print(f"{report.assignment} — {one_line(report.submission)}", file=file)
    for t, name in zip(report.tests, names):
        mark = "PASS" if t.score == t.max_score else "FAIL"
        print(f"  {mark} {t.score:>5g}/{t.max_score:<4g} {name:<{width}}", file=file)
        if t.output:
            for line in clean(t.output).splitlines():
                print(f"        {line}", file=file)
    for line in clean(report.output).splitlines():
        print(f"  {line}" if line.startswith("Total") else line, file=file)
    print(f"Total: {report.score:g} / {report.max_score:g}  ({report.execution_time:.1f} s)", file=file)


# ----------------------------------------------------------------------------
# grade-all


def _progress(done, total, name):
    width = 30
    filled = int(width * done / max(total, 1))
    bar = "#" * filled + "-" * (width - filled)
    end = "\n" if done == total or not sys.stderr.isatty() else ""
    print(f"\r[{bar}] {done}/{total} graded  {name[:30]:<30}", end=end, file=sys.stderr, flush=True)


def _grade_in_worker(assignment, folder, seed):
    """Runs in a pool worker (a grader process, never student code): one grading."""
    try:
        return engine.grade(assignment, folder, seed=seed).to_gradescope()
    except Exception as exc:  # noqa: BLE001 - one broken grading must not stop the class
        return {"score": 0, "execution_time": 0, "tests": [],
                "output": f"The autograder failed on this submission ({type(exc).__name__}: {exc}); "
                          "please tell your instructor."}


def cmd_grade_all(args):
    root = Path(args.submissions_dir)
    if args.assignment not in engine.assignments():
        print(f"autograder: unknown assignment {args.assignment!r}; choose one of "
              f"{', '.join(engine.assignments())}", file=sys.stderr)
        return 2
    if not root.is_dir():
        print(f"autograder: no such folder: {root}", file=sys.stderr)
        return 2
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    seed = args.seed if args.seed is not None else secrets.randbits(31)
    print(f"Grading {len(students)} submissions of {args.assignment} with seed {seed} "
          f"({args.jobs} at a time)", file=sys.stderr)
    results = {}
    # Long-lived grader processes (each imports the test suite once); every grading still
    # runs the student's code in a sandboxed child of its own.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, min(args.jobs, len(students) or 1)), mp_context=ctx) as pool:
        futures = {pool.submit(_grade_in_worker, args.assignment, str(s), seed): s for s in students}
        for done, fut in enumerate(as_completed(futures), 1):
            student = futures[fut]
            try:
                results[student.name] = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died: record, go on
                results[student.name] = {"score": 0, "tests": [], "output": f"grading failed: {exc}"}
            _progress(done, len(students), student.name)
    if args.results_dir:
        out = Path(args.results_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, res in results.items():
            (out / f"{name}.json").write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    names = _test_names(results)
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["student", "total", *names])
            for s in sorted(results):
                scores = {t["name"]: t["score"] for t in results[s].get("tests", [])}
                w.writerow([s, _num(results[s].get("score", 0)), *(_num(scores.get(n, 0)) for n in names)])
    print_gradebook(args.assignment, results, names, seed)
    return 0


def _num(x):
    return f"{float(x):g}"


def _test_names(results):
    names = []
    for res in results.values():
        for t in res.get("tests", []):
            if t["name"] not in names:
                names.append(t["name"])
    return names


def print_gradebook(assignment, results, names, seed, file=sys.stdout):
    cols = shutil.get_terminal_size((120, 20)).columns
    sw = max([7, *(len(s) for s in results)])
    print(f"\nGradebook — {assignment} (seed {seed}); T1..T{len(names)} are the tests below", file=file)
    head = f"{'student':<{sw}}  {'total':>6}  " + " ".join(f"T{i + 1:<3}" for i in range(len(names)))
    print(head[:max(cols, 60)], file=file)
    for s in sorted(results):
        scores = {t["name"]: t["score"] for t in results[s].get("tests", [])}
        row = f"{s:<{sw}}  {float(results[s].get('score', 0)):>6g}  " + " ".join(
            f"{scores.get(n, 0):<4g}" for n in names)
        print(row[:max(cols, 60)], file=file)
    for i, n in enumerate(names, 1):
        print(f"  T{i}: {n}", file=file)
