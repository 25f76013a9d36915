"""Command line: ``python -m autograder grade | grade-all`` (docs/GRADING.md).

Exit status 0 whenever grading finished, whatever the score; 2 when the
grader could not run (a usage error — an unknown option, an empty or
malformed ``--dask`` address —, unknown assignment, missing path, nothing
gradable, a ``--results`` path that is not a regular file or a new path, the
hidden tests failing to start or collecting none); 1 when the grader itself
broke, or ``grade-all --feedback`` could not draw the pages. A results file is
written in every case where a usable one was asked for.

The engine never imports ``reports/``: ``grade-all --feedback OUT`` runs
``python -m reports RESULTS_DIR OUT`` in a process of its own once the results
are written (:func:`draw_feedback`).
"""
from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import batch, engine, files, results
from .paths import ROOT
from .results import GraderError
from .text import clean, csv_cell, one_line


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
    a.add_argument("--dask", metavar="ADDRESS", type=dask_address, help="run the gradings on this Dask "
                   "cluster (tcp://scheduler:8786); an empty or malformed address is a usage error")
    a.add_argument("--unisolated", action="store_true", help=UNISOLATED_HELP)
    a.add_argument("--no-carry-forward", action="store_true", help=NO_CARRY_HELP)
    a.add_argument("--policy", help="the assignment's late policy (TOML: deadline, time zone, extensions, "
                   "grace, penalty); the gradebook gains submitted_at, late_by, penalty and evidence")
    a.add_argument("--pushed", help=argparse.SUPPRESS)  # collect's collected.csv: the server's push times
    a.add_argument("--export", nargs=2, metavar=("FORMAT", "FILE"), help="also write the gradebook as "
                   "FORMAT (canvas, moodle or blackboard) imports it, keyed by the LMS download's identities")
    a.add_argument("--roster", help="with --export: the LMS's own gradebook export, whose rows the "
                   "export fills in (every other column and row left as they are)")
    a.add_argument("--column", help="with --export: the assignment's column in the LMS (default: the assignment)")
    a.add_argument("--out-of", type=float, help="with --export: the LMS assignment's maximum points "
                   "(the totals are rescaled; default: the kit's points)")
    args = parser.parse_args(argv)
    if args.command == "grade-all" and (args.roster or args.column or args.out_of) and not args.export:
        parser.error("--roster, --column and --out-of go with --export FORMAT FILE")
    if args.no_carry_forward:  # inherited by the grading processes, like --unisolated
        os.environ["AUTOGRADER_NO_CARRY_FORWARD"] = "1"
    if args.unisolated:  # inherited by the grading processes (a Dask worker needs it in its own)
        os.environ["AUTOGRADER_UNISOLATED"] = "1"
    if args.command == "grade":
        return cmd_grade(args)
    return cmd_grade_all(args)


#: a Dask scheduler's address: ``[protocol://]host[:port]`` (Dask's protocols; IPv6 in brackets)
_DASK_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
                           r"(?::(?P<port>\d{1,5}))?$")


def dask_address(text):
    """``--dask``'s value: a Dask scheduler's address, or a usage error (exit 2) — never a
    silent local run for an empty one (an unset variable in a script)."""
    address = text.strip()
    if not address:
        raise argparse.ArgumentTypeError("the Dask scheduler's address is empty (an unset variable?); "
                                         "give one such as tcp://scheduler:8786, or leave --dask out "
                                         "to grade on this machine")
    m = _DASK_ADDRESS.match(address)
    if m is None or (m["port"] is not None and not 0 < int(m["port"]) < 65536):
        raise argparse.ArgumentTypeError(f"{one_line(text, 100)!r} is not a Dask scheduler's address "
                                         "([tcp|tls|ucx|ws|wss://]host[:port], e.g. tcp://scheduler:8786)")
    return address


def _failure_results(path, message, assignment):
    """A results file for when the grader could not grade at all."""
    if not path:
        return
    try:
        results.failed_grading(assignment, 0, message).write(path)
    except (OSError, GraderError) as exc:
        print(f"autograder: could not write {one_line(path)}: {clean(exc)}", file=sys.stderr)


#: ``grade`` graded its submission and wrote its results (``python -m autograder`` then ends at once)
one_grading_done = False


def cmd_grade(args):
    if args.results:
        problem = results.results_path_problem(args.results)
        if problem:
            print(f"autograder: {problem}", file=sys.stderr)
            return 2
    try:
        grading = engine.grade(args.assignment, args.submission, seed=args.seed)
    except GraderError as exc:
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
            grading.write(args.results)
        except (OSError, GraderError) as exc:
            print(f"autograder: could not write the results to {one_line(args.results)}: "
                  f"{clean(exc)}", file=sys.stderr)
            return 2
    if args.quiet:
        print(f"{grading.score:g}")
    else:
        print_grading(grading)
    global one_grading_done
    one_grading_done = True
    return 0


def print_grading(grading, file=sys.stdout):
    """The terminal report of one grading; everything from the submission shown without control
    characters.

    The student's lines (feedback, what it printed) are indented, so only the
    grader's own last line starts with ``Total:``.
    """
    names = [one_line(t.name) for t in grading.tests]
    width = max((len(n) for n in names), default=10)
    print(f"{grading.assignment} — {one_line(grading.submission)}", file=file)
    for t, name in zip(grading.tests, names):
        mark = "PASS" if t.score == t.max_score else "FAIL"
        print(f"  {mark} {t.score:>5g}/{t.max_score:<4g} {name:<{width}}", file=file)
        if t.output:
            for line in clean(t.output).splitlines():
                print(f"        {line}", file=file)
    for line in clean(grading.output).splitlines():
        print(f"  {line}" if line.startswith("Total") else line, file=file)
    print(f"Total: {grading.score:g} / {grading.max_score:g}  ({grading.execution_time:.1f} s)", file=file)


# ----------------------------------------------------------------------------
# grade-all


def _grade_in_worker(assignment, path, seed, hide=()):
    """One grading, in a grader process (a pool worker or a Dask worker; never student code).

    Returns ``(results, artifacts)``: the results.json dict and the pictures' plain arrays
    (None when the grader failed); a grader that cannot run (broken hidden tests) is
    returned as ``({"grader_error": message, "detail": ...}, None)``.
    """
    try:
        grading = engine.grade(assignment, path, seed=seed, hide=hide, spare=True)
    except GraderError as exc:
        return {"grader_error": str(exc), "detail": getattr(exc, "detail", "")}, None
    except Exception as exc:  # noqa: BLE001 - one broken grading must not stop the class
        return _grader_failure(assignment, seed, f"{type(exc).__name__}: {exc}"), None
    return grading.to_gradescope(), grading.artifacts


def _grader_failure(assignment, seed, detail):
    return results.failed_grading(assignment, seed, f"The autograder failed on this submission "
                                  f"({one_line(detail, 500)}); this is not your fault, please tell "
                                  "your instructor.").to_gradescope()


def reason_key(res):
    """The results' reason key (:data:`autograder.results.REASONS`; "" when the grading completed)."""
    block = res.get("autograder")
    return str(block.get("reason_key") or "") if isinstance(block, dict) else ""


def reason_text(res):
    """The results' reason as people read it ("" when the grading completed)."""
    key = reason_key(res)
    if key in results.REASONS:
        return results.REASONS[key].text
    block = res.get("autograder")  # results written by an older kit: its own phrase
    return one_line(block.get("reason") or "") if isinstance(block, dict) else ""


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

    # the pages, the late policy and the export are drawn from a results folder: without
    # --results-dir a temporary one is used (kept, and named, if the pages cannot be drawn)
    gradebook = args.policy or args.export
    results_dir = args.results_dir or (tempfile.mkdtemp(prefix="autograder-results-")
                                       if args.feedback or gradebook else None)
    store = batch.Store(results_dir)
    seed = args.seed if args.seed is not None else store.previous_seed(args.assignment)
    seed_note = "" if seed is None or args.seed is not None else " (the previous run's)"
    seed = secrets.randbits(31) if seed is None else int(seed)
    store.save_class(args.assignment, seed, students)
    if results_dir is not None:  # an old run's penalties never outlive its policy
        (Path(results_dir) / ".grade-all" / "late.json").unlink(missing_ok=True)
    if gradebook and not run_gradebook(results_dir, args, check=True):
        if args.results_dir is None:
            shutil.rmtree(results_dir, ignore_errors=True)
        return 2
    tests_key = batch.tests_hash(args.assignment)
    staging = tempfile.TemporaryDirectory(prefix="autograder-lms-")
    try:
        code = _grade_class(args, root, students, store, seed, seed_note, tests_key, staging.name)
    finally:
        staging.cleanup()
    if args.feedback:
        drawn = draw_feedback(results_dir, args.feedback, kept_results=args.results_dir is not None)
        if drawn and args.results_dir is None:
            shutil.rmtree(results_dir, ignore_errors=True)
        if not drawn:
            code = code or 1
    elif gradebook and args.results_dir is None:
        shutil.rmtree(results_dir, ignore_errors=True)
    return code


def _gradebook_args(results_dir, args, check):
    cmd = [sys.executable, "-m", "gradebook", os.path.abspath(results_dir)]
    for flag, value in (("--policy", args.policy), ("--pushed", args.pushed), ("--roster", args.roster),
                        ("--column", args.column)):
        if value:
            cmd += [flag, os.path.abspath(value) if flag in ("--policy", "--pushed", "--roster") else value]
    if args.out_of is not None:
        cmd += ["--out-of", repr(args.out_of)]
    if args.export:
        cmd += ["--export", args.export[0], os.path.abspath(args.export[1])]
    return cmd + (["--check"] if check else [])


def run_gradebook(results_dir, args, *, check=False):
    """Run ``python -m gradebook RESULTS_DIR`` (the late policy, the LMS export) in a process of its
    own: the engine never imports the instructor's side. ``check``: only whether the policy, the
    roster and the class can be used (asked before anything is graded). Returns whether it succeeded;
    its messages are printed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    sys.stdout.flush()
    try:
        proc = subprocess.run(_gradebook_args(results_dir, args, check), capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"autograder: python -m gradebook did not run: {type(exc).__name__}: {exc}", file=sys.stderr)
        return False
    if proc.stdout.strip():
        print(clean(proc.stdout).rstrip())
    if proc.stderr.strip():
        print(clean(proc.stderr.strip()[-20000:]).replace("gradebook: ", "autograder: ", 1), file=sys.stderr)
    return proc.returncode == 0


def read_late(results_dir):
    """``(rule, {stem: row})`` of the late policy ``python -m gradebook`` applied (``("", {})`` without one)."""
    if results_dir is None:
        return "", {}
    try:
        data = json.loads(files.read_regular(Path(results_dir) / ".grade-all" / "late.json", 64 << 20))
    except (files.NotRead, ValueError):
        return "", {}
    if not isinstance(data, dict) or not isinstance(data.get("students"), dict):
        return "", {}
    return str(data.get("rule") or ""), data["students"]


def draw_feedback(results_dir, dest, *, kept_results=True):
    """Run ``python -m reports RESULTS_DIR DEST`` in a process of its own (the grader never imports
    ``reports``); its output (the class summary) is printed. Returns whether it succeeded; on a
    failure says so and where the results are (they are never removed then)."""
    # run from the kit's folder (a folder named reports where grade-all was started is not the kit's)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    cmd = [sys.executable, "-m", "reports", os.path.abspath(results_dir), os.path.abspath(dest)]
    sys.stdout.flush()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        code, out, err = None, "", f"{type(exc).__name__}: {exc}"
    else:
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    if out.strip():
        print(f"\n{clean(out).rstrip()}")
    if code == 0:
        return True
    where = one_line(str(results_dir), 300)
    print(f"autograder: the feedback pages could not be drawn (python -m reports "
          f"{'exited with status ' + str(code) if code is not None else 'did not run'}):\n"
          + "\n".join("  " + ln for ln in clean(err.strip()[-3000:]).splitlines()), file=sys.stderr)
    print(f"autograder: the results are {'in' if kept_results else 'kept in'} {where}; draw the pages "
          f"again with: python -m reports {where} {one_line(str(dest), 300)}", file=sys.stderr)
    return False


def _output_problems(args):
    """Why an output path cannot be used (nothing is ever replaced in a device, FIFO or link)."""
    if args.csv:
        problem = results.results_path_problem(args.csv)
        if problem:
            yield problem.replace("results path", "--csv path")
    if args.export:
        problem = results.results_path_problem(args.export[1])
        if problem:
            yield problem.replace("results path", "--export path")
    for flag, folder in (("--results-dir", args.results_dir), ("--feedback", args.feedback)):
        if folder and os.path.lexists(folder) and (os.path.islink(folder) or not os.path.isdir(folder)):
            yield f"the {flag} path {one_line(folder)} is not a folder: give a folder or a new path"


def _grade_class(args, root, students, store, seed, seed_note, tests_key, staging):
    graded, keys, todo = {}, {}, []
    for s in students:
        if s.skipped:
            continue
        hide = ()
        if s.files:  # an LMS download: grade a copy of this student's files only
            base = store.dir / ".grade-all" / "lms" if store.dir is not None else Path(staging)
            s.path = batch.stage(s, base / s.stem)
            hide = (str(root.resolve()),)
        keys[s.name] = f"{batch.submission_hash(s, args.assignment)}:{tests_key}:{seed}"
        store.save_source(s, batch.graded_source(s, args.assignment))  # what the similarity report reads
        previous = None if args.force else store.load(s, keys[s.name])
        if previous is not None:
            graded[s.name] = previous
        else:
            todo.append((s, hide))
    where = f"on the Dask cluster {args.dask}" if args.dask else f"{args.jobs} at a time"
    skipped = len(graded)
    print(f"Grading {len(todo)} submissions of {args.assignment} with seed {seed}{seed_note} ({where})"
          + (f"; {skipped} unchanged since their last grading not regraded (--force regrades them)"
             if skipped else ""), file=sys.stderr)
    grader_errors, done = [], True
    if todo:
        executor, close = _executor(args, len(todo))
        try:
            futures = {executor.submit(_grade_in_worker, args.assignment, str(s.path), seed, hide): s
                       for s, hide in todo}
            with _progress(len(todo)) as bar:
                for fut in as_completed(futures):
                    s = futures[fut]
                    try:
                        res, artifacts = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a worker died: record, go on
                        res, artifacts = _grader_failure(args.assignment, seed, f"its grader process died: "
                                                         f"{type(exc).__name__}: {exc}"), None
                    if "grader_error" in res:
                        grader_errors.append((res["grader_error"], res.get("detail", "")))
                        res = _grader_failure(args.assignment, seed, "the hidden tests could not run")
                    graded[s.name] = res
                    # a grader failure is written (the reports show it) but never kept: the next
                    # run grades it again
                    store.save(s, keys[s.name], res, artifacts=artifacts,
                               keep=reason_key(res) != results.GRADER_FAILURE)
                    bar.set_postfix_str(one_line(s.name, 30), refresh=False)
                    bar.update()
        finally:
            close()
    names = _test_names(graded)
    rule, late = "", {}
    if args.policy or args.export:
        done = run_gradebook(store.dir, args)
        rule, late = read_late(store.dir) if args.policy else ("", {})
        if not done:
            print("autograder: the late policy or the LMS export could not be applied (see above); the "
                  "gradebook below is without it", file=sys.stderr)
    if args.csv:
        write_csv(args.csv, students, graded, names, late=late)
    print_gradebook(args.assignment, students, graded, names, seed, csv_path=args.csv, late=late, rule=rule)
    if grader_errors:
        message, detail = grader_errors[0]
        print(f"autograder: the grader could not run: {clean(message)}", file=sys.stderr)
        if detail:
            print(clean(detail), file=sys.stderr)
        return 2
    if not done:
        return 1
    failures = [n for n, r in graded.items() if reason_key(r) == results.GRADER_FAILURE]
    if failures:
        print(f"autograder: the grader itself failed on {len(failures)} submission(s): "
              f"{', '.join(failures[:5])}; run again to regrade them", file=sys.stderr)
        return 1
    return 0


def _num(x):
    return f"{float(x):g}"


def _test_names(graded):
    names = []
    for res in graded.values():
        for t in res.get("tests", []):
            if t["name"] not in names:
                names.append(t["name"])
    return names


#: the columns a late policy adds to the gradebook (after ``reason``)
LATE_COLUMNS = ("raw_total", "submitted_at", "late_by", "penalty", "evidence")


def write_csv(path, students, graded, names, *, late=None):
    """The gradebook: student, total, reason, one column per test; every cell spreadsheet-safe.

    ``late`` ({stem: row} of a late policy, :func:`read_late`): ``total`` is the score after the
    penalty, and ``raw_total``, ``submitted_at``, ``late_by``, ``penalty`` and ``evidence`` follow ``reason``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with files.replacing(path, newline="") as f:
        w = csv.writer(f)
        w.writerow([csv_cell(c) for c in ["student", "total", "reason", *(LATE_COLUMNS if late else ()), *names]])
        for s in students:
            row_late = (late or {}).get(s.stem) or {}
            extra = ([_num(row_late["raw"]) if row_late.get("raw") is not None else "",
                      row_late.get("submitted_at", ""), row_late.get("late_by", ""),
                      _num(row_late.get("penalty") or 0) if row_late.get("raw") is not None else "",
                      row_late.get("evidence", "")] if late else [])
            if s.name in graded:
                res = graded[s.name]
                scores = {t["name"]: t["score"] for t in res.get("tests", [])}
                unisolated = (res.get("autograder") or {}).get("unisolated")
                reason = "; ".join(r for r in (reason_text(res), unisolated and "graded without isolation") if r)
                total = row_late["total"] if row_late.get("total") is not None else res.get("score", 0)
                row = [s.name, _num(total), reason, *extra, *(_num(scores.get(n, 0)) for n in names)]
            else:
                row = [s.name, "", s.skipped, *extra, *("" for _ in names)]
            w.writerow([csv_cell(c) for c in row])


def print_gradebook(assignment, students, graded, names, seed, *, csv_path=None, file=None, late=None, rule=""):
    """The gradebook on the terminal; a table wider than the terminal wraps its test columns.

    With a late policy (``late``, ``rule``: :func:`read_late`) the totals are after the penalty,
    and the penalties are listed under the rule.
    """
    file = file or sys.stdout
    late = late or {}
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
            res = graded.get(s.name)
            if res is None:
                print(f"{shown[s.name]:<{sw}}  {'—':>6}  (not graded)", file=file)
                continue
            scores = {t["name"]: t["score"] for t in res.get("tests", [])}
            total = (late.get(s.stem) or {}).get("total")
            total = res.get("score", 0) if total is None else total
            print(f"{shown[s.name]:<{sw}}  {float(total):>6g}  "
                  + " ".join(f"{scores.get(names[i], 0):<4g}" for i in block), file=file)
    for i, n in enumerate(names, 1):
        print(f"  T{i}: {one_line(n)}", file=file)
    reasons = [(s.name, s.skipped or reason_text(graded.get(s.name, {}))) for s in students]
    reasons = [(n, r) for n, r in reasons if r]
    if reasons:
        print("Could not be graded in full:", file=file)
        for n, r in reasons:
            print(f"  {shown[n]}: {one_line(r)}", file=file)
    if rule:
        print(f"Late policy: {one_line(rule, 400)}", file=file)
        for s in students:
            row = late.get(s.stem) or {}
            if row.get("penalty") or (s.name in graded and not row.get("submitted_at") and row.get("evidence")):
                what = f"-{row['penalty']:g} (late by {row['late_by']})" if row.get("penalty") else "no penalty"
                print(f"  {shown[s.name]}: {what}; {one_line(row.get('evidence', ''), 200)}", file=file)
    if csv_path:
        print(f"Full gradebook (names uncut, every column): {one_line(str(csv_path))}", file=file)
