"""Command line: ``python -m autograder grade | grade-all`` (docs/GRADING.md).

Exit status 0 whenever grading finished, whatever the score; 2 when the
grader could not run (unknown assignment, missing path, nothing gradable, a
``--results`` path that is not a regular file or a new path, the hidden tests
failing to start or collecting none); 1 when the grader itself broke. A
results file is written in every case where a usable one was asked for.
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import secrets
import shutil
import sys
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import batch, engine
from .text import clean, csv_cell, one_line

try:  # the feedback pages and the class report (package ``reports``, beside the engine;
    # the Gradescope zip, which grades one submission, does not ship it)
    from reports import classreport as _classreport, feedback as _feedback
except ImportError:
    _classreport = _feedback = None


UNISOLATED_HELP = ("grade even where this machine cannot isolate student code (no user or mount "
                   "namespaces): the code then sees the machine's files as an unprivileged user, "
                   "and every result says \"graded without isolation\" (default: refuse, exit 2)")


NO_CARRY_HELP = ("charge every test that fails, also when the only cause is a function that fails its "
                 "own test (default: error carried forward, docs/GRADING.md \"Partial credit\")")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade one submission")
    g.add_argument("assignment")
    g.add_argument("submission", help="the module file, or a folder holding it (or the notebook)")
    g.add_argument("--results", help="write Gradescope's results.json here")
    g.add_argument("--seed", type=int, help="seed of the test data (printed in every result)")
    g.add_argument("--quiet", action="store_true", help="print only the total")
    g.add_argument("--unisolated", action="store_true", help=UNISOLATED_HELP)
    g.add_argument("--no-carry-forward", action="store_true", help=NO_CARRY_HELP)
    a = sub.add_parser("grade-all", help="grade a class: one sub-folder per student, or an LMS download")
    a.add_argument("assignment")
    a.add_argument("submissions_dir")
    a.add_argument("--csv", help="gradebook CSV: student, total, reason, one column per test")
    a.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel gradings")
    a.add_argument("--seed", type=int, help="one seed for the whole class (default: the previous "
                   "run's, kept in --results-dir, else random)")
    a.add_argument("--results-dir", help="keep each student's results.json here; a re-run grades "
                   "only students whose submission or hidden tests changed")
    a.add_argument("--feedback", help="write a feedback page per student and the class report here")
    a.add_argument("--force", action="store_true", help="regrade every student")
    a.add_argument("--dask", metavar="ADDRESS", help="run the gradings on this Dask cluster "
                   "(tcp://scheduler:8786)")
    a.add_argument("--unisolated", action="store_true", help=UNISOLATED_HELP)
    a.add_argument("--no-carry-forward", action="store_true", help=NO_CARRY_HELP)
    args = parser.parse_args(argv)
    if args.no_carry_forward:  # inherited by the grading processes, like --unisolated
        os.environ["AUTOGRADER_NO_CARRY_FORWARD"] = "1"
    if args.unisolated:  # inherited by the grading processes (a Dask worker needs it in its own)
        os.environ["AUTOGRADER_UNISOLATED"] = "1"
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


def _grade_in_worker(assignment, path, seed, hide=()):
    """One grading, in a grader process (a pool worker or a Dask worker; never student code).

    Returns the results.json dict plus ``reason``; a grader that cannot run
    (broken hidden tests) is returned as ``{"grader_error": message}``.
    """
    try:
        report = engine.grade(assignment, path, seed=seed, hide=hide)
    except engine.GraderError as exc:
        return {"grader_error": str(exc), "detail": getattr(exc, "detail", "")}
    except Exception as exc:  # noqa: BLE001 - one broken grading must not stop the class
        return _grader_failure(f"{type(exc).__name__}: {exc}")
    return {**report.to_gradescope(), "reason": report.reason,
            "artifacts": getattr(report, "artifacts", None) or None}


def _grader_failure(detail):
    return {"score": 0, "execution_time": 0, "tests": [], "reason": engine.GRADER_FAILURE,
            "output": f"The autograder failed on this submission ({one_line(detail, 500)}); "
                      "this is not your fault, please tell your instructor."}


def _executor(args, n):
    """The pool the gradings run in: local grader processes, or a Dask cluster's workers."""
    if args.dask:
        from distributed import Client

        client = Client(args.dask, timeout="60s")
        return client.get_executor(pure=False), client.close
    # long-lived grader processes (each imports the test suite once); every grading still
    # runs the student's code in a sandboxed child of its own
    pool = ProcessPoolExecutor(max_workers=max(1, min(args.jobs, n)),
                               mp_context=multiprocessing.get_context("spawn"))
    return pool, lambda: pool.shutdown(wait=True, cancel_futures=True)


def _progress(total):
    from tqdm import tqdm

    return tqdm(total=total, unit="sub", file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
                disable=not sys.stderr.isatty(), desc="grading")


def cmd_grade_all(args):
    root = Path(args.submissions_dir)
    if args.assignment not in engine.assignments():
        print(f"autograder: unknown assignment {args.assignment!r}; choose one of "
              f"{', '.join(engine.assignments())}", file=sys.stderr)
        return 2
    if not root.is_dir():
        print(f"autograder: no such folder: {one_line(str(root))}", file=sys.stderr)
        return 2
    if args.feedback and _feedback is None:
        print("autograder: --feedback needs the kit's reports package, which is not installed here",
              file=sys.stderr)
        return 2
    for problem in _output_problems(args):
        print(f"autograder: {problem}", file=sys.stderr)
        return 2
    students, ignored = batch.discover(root, args.assignment)
    problem = batch.nothing_gradable(root, args.assignment, students, ignored)
    if problem:
        print(f"autograder: {problem}", file=sys.stderr)
        return 2
    for name, why in ignored[:10]:
        print(f"not a submission: {name} — {why}", file=sys.stderr)
    if len(ignored) > 10:
        print(f"not a submission: {len(ignored) - 10} more entries", file=sys.stderr)

    store = batch.Store(args.results_dir)
    seed = args.seed if args.seed is not None else store.previous_seed(args.assignment)
    seed_note = "" if seed is None or args.seed is not None else " (the previous run's)"
    seed = secrets.randbits(31) if seed is None else int(seed)
    store.save_class(args.assignment, seed)
    tests_key = batch.tests_hash(args.assignment)
    staging = tempfile.TemporaryDirectory(prefix="autograder-lms-")
    try:
        return _grade_class(args, root, students, store, seed, seed_note, tests_key, staging.name)
    finally:
        staging.cleanup()


def _output_problems(args):
    """Why an output path cannot be used (nothing is ever replaced in a device, FIFO or link)."""
    if args.csv:
        problem = engine.results_path_problem(args.csv)
        if problem:
            yield problem.replace("results path", "--csv path")
    for flag, folder in (("--results-dir", args.results_dir), ("--feedback", args.feedback)):
        if folder and os.path.lexists(folder) and (os.path.islink(folder) or not os.path.isdir(folder)):
            yield f"the {flag} path {one_line(folder)} is not a folder: give a folder or a new path"


def _grade_class(args, root, students, store, seed, seed_note, tests_key, staging):
    results, keys, todo, artifacts = {}, {}, [], {}
    for s in students:
        if s.skipped:
            continue
        hide = ()
        if s.files:  # an LMS download: grade a copy of this student's files only
            base = store.dir / ".grade-all" / "lms" if store.dir is not None else Path(staging)
            s.path = batch.stage(s, base / s.stem)
            hide = (str(root.resolve()),)
        keys[s.name] = f"{batch.submission_hash(s, args.assignment)}:{tests_key}:{seed}"
        previous = None if args.force else store.load(s, keys[s.name])
        if previous is not None:
            results[s.name] = previous
        else:
            todo.append((s, hide))
    where = f"on the Dask cluster {args.dask}" if args.dask else f"{args.jobs} at a time"
    skipped = len(results)
    print(f"Grading {len(todo)} submissions of {args.assignment} with seed {seed}{seed_note} ({where})"
          + (f"; {skipped} unchanged since their last grading not regraded (--force regrades them)"
             if skipped else ""), file=sys.stderr)
    grader_errors = []
    if todo:
        executor, close = _executor(args, len(todo))
        try:
            futures = {executor.submit(_grade_in_worker, args.assignment, str(s.path), seed, hide): s
                       for s, hide in todo}
            with _progress(len(todo)) as bar:
                for fut in as_completed(futures):
                    s = futures[fut]
                    try:
                        res = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a worker died: record, go on
                        res = _grader_failure(f"its grader process died: {type(exc).__name__}: {exc}")
                    artifacts[s.name] = res.pop("artifacts", None)
                    if "grader_error" in res:
                        grader_errors.append((res["grader_error"], res.get("detail", "")))
                        res = _grader_failure("the hidden tests could not run")
                    results[s.name] = res
                    if res.get("reason") == engine.GRADER_FAILURE:
                        store.forget(s)  # never kept: the next run grades it again
                    else:
                        store.save(s, keys[s.name], res, artifacts=artifacts[s.name])
                    bar.set_postfix_str(one_line(s.name, 30), refresh=False)
                    bar.update()
        finally:
            close()
    names = _test_names(results)
    if args.csv:
        write_csv(args.csv, students, results, names)
    feedback = None
    if args.feedback:
        feedback = _write_feedback(args, students, results, seed, artifacts, store)
    print_gradebook(args.assignment, students, results, names, seed, csv_path=args.csv)
    if feedback is not None:
        html, summary = feedback
        print(f"\n{summary.rstrip()}")
        if str(html) not in summary:
            print(f"Class report: {html}")
    if grader_errors:
        message, detail = grader_errors[0]
        print(f"autograder: the grader could not run: {clean(message)}", file=sys.stderr)
        if detail:
            print(clean(detail), file=sys.stderr)
        return 2
    failures = [n for n, r in results.items() if r.get("reason") == engine.GRADER_FAILURE]
    if failures:
        print(f"autograder: the grader itself failed on {len(failures)} submission(s): "
              f"{', '.join(failures[:5])}; run again to regrade them", file=sys.stderr)
        return 1
    return 0


def _write_feedback(args, students, results, seed, artifacts, store):
    dest = Path(args.feedback)
    dest.mkdir(parents=True, exist_ok=True)
    for s in students:
        if s.name in results:
            pictures = artifacts.get(s.name) if s.name in artifacts else store.load_artifacts(s)
            _feedback.write(s.name, results[s.name], dest, artifacts=pictures, seed=seed,
                            assignment=args.assignment, page=s.stem)
    timings = {n: float(r.get("execution_time", 0) or 0) for n, r in results.items()}
    return _classreport.write(args.assignment, dict(sorted(results.items())), dest, timings=timings,
                              pages={s.name: s.stem for s in students})


def _num(x):
    return f"{float(x):g}"


def _test_names(results):
    names = []
    for res in results.values():
        for t in res.get("tests", []):
            if t["name"] not in names:
                names.append(t["name"])
    return names


def write_csv(path, students, results, names):
    """The gradebook: student, total, reason, one column per test; every cell spreadsheet-safe."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([csv_cell(c) for c in ["student", "total", "reason", *names]])
        for s in students:
            if s.name in results:
                res = results[s.name]
                scores = {t["name"]: t["score"] for t in res.get("tests", [])}
                unisolated = (res.get("autograder") or {}).get("unisolated")
                reason = "; ".join(r for r in (res.get("reason", ""),
                                               unisolated and "graded without isolation") if r)
                row = [s.name, _num(res.get("score", 0)), reason,
                       *(_num(scores.get(n, 0)) for n in names)]
            else:
                row = [s.name, "", s.skipped, *("" for _ in names)]
            w.writerow([csv_cell(c) for c in row])
    os.replace(tmp, path)


def print_gradebook(assignment, students, results, names, seed, *, csv_path=None, file=None):
    """The gradebook on the terminal; a table wider than the terminal wraps its test columns."""
    file = file or sys.stdout
    cols = max(shutil.get_terminal_size((120, 20)).columns, 60)
    shown = {s.name: one_line(s.name, limit=40) for s in students}
    sw = max([7, *(len(v) for v in shown.values())])
    print(f"\nGradebook — {assignment} (seed {seed}); T1..T{len(names)} are the tests below", file=file)
    fixed = sw + 2 + 6 + 2
    per_block = max(1, (cols - fixed) // 5)
    blocks = [range(i, min(i + per_block, len(names))) for i in range(0, len(names), per_block)] or [range(0)]
    for b, block in enumerate(blocks):
        if len(blocks) > 1:
            print(f"-- tests T{block.start + 1}..T{block.stop} ({b + 1} of {len(blocks)})", file=file)
        print(f"{'student':<{sw}}  {'total':>6}  " + " ".join(f"T{i + 1:<3}" for i in block), file=file)
        for s in students:
            res = results.get(s.name)
            if res is None:
                print(f"{shown[s.name]:<{sw}}  {'—':>6}  (not graded)", file=file)
                continue
            scores = {t["name"]: t["score"] for t in res.get("tests", [])}
            print(f"{shown[s.name]:<{sw}}  {float(res.get('score', 0)):>6g}  "
                  + " ".join(f"{scores.get(names[i], 0):<4g}" for i in block), file=file)
    for i, n in enumerate(names, 1):
        print(f"  T{i}: {one_line(n)}", file=file)
    reasons = [(s.name, s.skipped or results.get(s.name, {}).get("reason", "")) for s in students]
    reasons = [(n, r) for n, r in reasons if r]
    if reasons:
        print("Could not be graded in full:", file=file)
        for n, r in reasons:
            print(f"  {shown[n]}: {one_line(r)}", file=file)
    if csv_path:
        print(f"Full gradebook (names uncut, every column): {one_line(str(csv_path))}", file=file)
