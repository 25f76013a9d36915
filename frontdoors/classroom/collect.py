"""GitHub Classroom, for the record: grade every student repository at the deadline, on our side.

    python -m frontdoors.classroom.collect ASSIGNMENT (--roster CSV | URL ...) --deadline WHEN
        [--work DIR] [--csv FILE] [--feedback DIR] [--jobs N] [--seed N]

For each student repository (a roster CSV — GitHub Classroom's "download grades"
export, with ``student_repository_url`` and ``roster_identifier`` /
``github_username`` columns, or any CSV with ``url``/``repository`` and
``student`` columns — or repository URLs given on the command line):

1. clone it into ``WORK/repos/<student>`` (or fetch, when already cloned),
   without running anything of it (no hooks, no submodules, symlinks as plain files);
2. take the last commit before the deadline, ``git rev-list -1 --before=WHEN``,
   and check out exactly that commit into ``WORK/submissions/<student>``
   (a student with no commit before the deadline gets an empty folder, which
   the grader reports as "no submission");
3. grade them all with the kit's own ``python -m autograder grade-all`` (its
   gradebook CSV; ``--feedback DIR`` passed through when given).

``WORK/collected.csv`` records student, repository, commit and commit date:
the grade is tied to a commit anyone can check out again. Student repositories
never see a secret: they hold only the public tests (see README, "GitHub Classroom").
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
URL_COLUMNS = ("student_repository_url", "repository_url", "url", "repository", "repo")
NAME_COLUMNS = ("roster_identifier", "github_username", "student", "login", "name")
#: git never runs anything of a student's repository: no hooks, no filters it brings, no submodules.
GIT_SAFE = ["-c", "core.symlinks=false", "-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never",
            "-c", "submodule.recurse=false", "-c", "advice.detachedHead=false"]


class CollectError(RuntimeError):
    pass


def _safe_name(text):
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text.strip()).strip("._")
    return name[:80] or "student"


def _name_from_url(url):
    return _safe_name(re.sub(r"\.git$", "", url.rstrip("/")).rsplit("/", 1)[-1])


def read_roster(path):
    """[(student, url)] from a roster CSV (or a text file of URLs, one a line)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    if "," not in first:
        return [(_name_from_url(u), u.strip()) for u in text.splitlines() if u.strip() and not u.startswith("#")]
    rows = list(csv.DictReader(text.splitlines()))
    columns = {c.strip().lower(): c for c in (rows[0].keys() if rows else [])}
    url_col = next((columns[c] for c in URL_COLUMNS if c in columns), None)
    if url_col is None:
        raise CollectError(f"{path}: no repository column (one of {', '.join(URL_COLUMNS)}); it has "
                           f"{', '.join(columns.values())}")
    name_col = next((columns[c] for c in NAME_COLUMNS if c in columns), None)
    out = []
    for row in rows:
        url = (row.get(url_col) or "").strip()
        if url:
            name = (row.get(name_col) or "").strip() if name_col else ""
            out.append((_safe_name(name) if name else _name_from_url(url), url))
    return out


def _git(*args, cwd=None, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1")
    proc = subprocess.run(["git", *GIT_SAFE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600)
    if check and proc.returncode != 0:
        raise CollectError(f"git {' '.join(args[:2])} failed: {(proc.stderr or proc.stdout).strip()[-300:]}")
    return proc


def fetch_at_deadline(url, repo_dir, dest, deadline):
    """Clone/fetch ``url`` into ``repo_dir``; put its last commit before ``deadline`` in ``dest``.

    Returns ``(commit, date)``, or ``(None, None)`` when nothing was committed before the deadline.
    """
    repo_dir, dest = Path(repo_dir), Path(dest)
    if (repo_dir / "HEAD").exists():
        _git("fetch", "--quiet", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*", cwd=repo_dir)
    else:
        repo_dir.parent.mkdir(parents=True, exist_ok=True)
        _git("clone", "--quiet", "--bare", "--no-recurse-submodules", url, str(repo_dir))
        _git("config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*", cwd=repo_dir)
        _git("fetch", "--quiet", "origin", cwd=repo_dir)
    head = _git("symbolic-ref", "--quiet", "HEAD", cwd=repo_dir, check=False).stdout.strip()
    branch = head.rsplit("/", 1)[-1] if head else "main"
    ref = next((r for r in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}", "HEAD")
                if _git("rev-parse", "--verify", "--quiet", r, cwd=repo_dir, check=False).returncode == 0), None)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if ref is None:
        return None, None
    commit = _git("rev-list", "-1", f"--before={deadline}", ref, cwd=repo_dir).stdout.strip()
    if not commit:
        return None, None
    date = _git("show", "-s", "--format=%cI", commit, cwd=repo_dir).stdout.strip()
    # the tree of that commit, as files (no .git in the submission: the grader sees only the work)
    _git("--work-tree", str(dest), "checkout", "--quiet", "--force", commit, "--", ".", cwd=repo_dir)
    _git("read-tree", "--empty", cwd=repo_dir)   # leave the bare repository's index clean
    return commit, date


def collect(assignment, repos, deadline, work, *, csv_path=None, feedback=None, jobs=None, seed=None,
            log=print):
    """Fetch every repository at the deadline and grade them with ``grade-all``; return its exit status."""
    work = Path(work)
    subs = work / "submissions"
    if subs.exists():
        shutil.rmtree(subs)  # our own copies of the students' commits, rebuilt every run
    subs.mkdir(parents=True)
    records = []
    seen = set()
    for student, url in repos:
        name = student
        n = 2
        while name in seen:
            name, n = f"{student}_{n}", n + 1
        seen.add(name)
        try:
            commit, date = fetch_at_deadline(url, work / "repos" / f"{name}.git", subs / name, deadline)
            status = "ok" if commit else "no commit before the deadline"
        except (CollectError, subprocess.TimeoutExpired) as exc:
            (subs / name).mkdir(exist_ok=True)
            commit, date, status = None, None, f"not fetched: {exc}"
        records.append({"student": name, "repository": url, "commit": commit or "", "date": date or "",
                        "status": status})
        log(f"{name}: {commit[:12] + ' of ' + date if commit else status}")
    with open(work / "collected.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["student", "repository", "commit", "date", "status"])
        writer.writeheader()
        writer.writerows(records)
    cmd = [sys.executable, "-m", "autograder", "grade-all", assignment, str(subs),
           "--csv", str(csv_path or work / f"gradebook-{assignment}.csv")]
    if feedback:
        cmd += ["--feedback", str(feedback)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    return subprocess.run(cmd, cwd=ROOT).returncode


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m frontdoors.classroom.collect",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("urls", nargs="*", help="student repository URLs (or use --roster)")
    parser.add_argument("--roster", help="roster CSV (Classroom's grades export) or a file of URLs")
    parser.add_argument("--deadline", required=True, help="anything `git rev-list --before` reads, "
                        "e.g. '2026-12-01 23:59 +0100'")
    parser.add_argument("--work", default=str(ROOT / "build" / "classroom"), help="clones and submissions")
    parser.add_argument("--csv", help="gradebook CSV (default WORK/gradebook-ASSIGNMENT.csv)")
    parser.add_argument("--feedback", help="passed to grade-all --feedback")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    repos = [(_name_from_url(u), u) for u in args.urls]
    try:
        if args.roster:
            repos += read_roster(args.roster)
    except (OSError, CollectError) as exc:
        print(f"collect: {exc}", file=sys.stderr)
        return 2
    if not repos:
        parser.error("give repository URLs or --roster")
    return collect(args.assignment, repos, args.deadline, args.work, csv_path=args.csv, feedback=args.feedback,
                   jobs=args.jobs, seed=args.seed)


if __name__ == "__main__":
    sys.exit(main())
