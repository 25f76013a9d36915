"""GitHub Classroom, for the record: grade every student repository at the deadline, on our side.

    python -m frontdoors.classroom.collect ASSIGNMENT (--roster CSV | URL ...) (--deadline WHEN | --policy FILE)
        [--work DIR] [--csv FILE] [--feedback DIR] [--jobs N] [--seed N]

For each student repository (a roster CSV — GitHub Classroom's "download grades"
export, with ``student_repository_url`` and ``roster_identifier`` /
``github_username`` columns, or any CSV with ``url``/``repository`` and
``student`` columns — or repository URLs given on the command line):

1. clone it into ``WORK/repos/<student>`` (or fetch, when already cloned),
   without running anything of it (no hooks, no submodules, symlinks as plain files);
2. decide which commit was on the server at the deadline, from evidence the
   student cannot write (never from a commit date, which the student sets):

   - with push times from the server (GitHub's repository activity,
     ``GET /repos/{owner}/{repo}/activity``, read with the instructor's
     ``GITHUB_TOKEN``; ``GITHUB_API_URL`` for GitHub Enterprise), the head the
     last push before the deadline left on the branch;
   - without (no token, not GitHub, a local repository), the branch head as
     fetched, at the fetch time: collect *at* the deadline. Collected after
     it, the status says plainly that lateness was not verified;

3. check out exactly that commit into ``WORK/submissions/<student>``, leaving
   out by name any file over :data:`MAX_CHECKOUT_FILE_BYTES` and anything past
   :data:`MAX_CHECKOUT_BYTES` / :data:`MAX_CHECKOUT_FILES` (sizes are read from
   the tree, before anything is written);
4. grade them all with the kit's own ``python -m autograder grade-all`` (its
   gradebook CSV, to which a ``collection`` column is added: empty when the
   commit was collected on server evidence and nothing is to be said, else
   the status, the flags and the files left out).

With ``--policy FILE`` (a late policy, :mod:`gradebook.policy`) the deadline is
the policy's, and each student's commit is the last one pushed before the
latest time their work still counts (their extension, the grace, the periods
the policy still charges: :func:`gradebook.policy.last_accepted`); ``grade-all
--policy FILE --pushed WORK/collected.csv`` then charges it by the server's
push time. Without push times there is no evidence of the time, and the row
says so (the policy's ``without_evidence``).

``WORK/collected.csv`` records student, repository, commit, the push time
the server recorded (``date``), the committer date the student wrote
(``commit_date``, never used for lateness), the fetch time, the status, the
flags (a commit date that disagrees with its push time by more than
:data:`DATE_TOLERANCE` across the deadline, or is later than its push) and
the files not checked out. The grade is tied to a commit anyone can check
out again. Student repositories never see a secret: they hold only the
public tests (see README, "GitHub Classroom"), and the token is given to
no git command and to no grading.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from autograder import files
from autograder.text import csv_cell, one_line
from autograder.paths import BUILD, ROOT
from gradebook import policy as late_policy

URL_COLUMNS = ("student_repository_url", "repository_url", "url", "repository", "repo")
NAME_COLUMNS = ("roster_identifier", "github_username", "student", "login", "name")
#: git never runs anything of a student's repository: no hooks, no filters it brings, no submodules.
GIT_SAFE = ["-c", "core.symlinks=false", "-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never",
            "-c", "submodule.recurse=false", "-c", "advice.detachedHead=false"]


#: A commit date further than this from its push time, across the deadline, is flagged.
DATE_TOLERANCE = timedelta(minutes=10)
MAX_CHECKOUT_FILE_BYTES = 32 << 20   # one file of the student's commit
MAX_CHECKOUT_BYTES = 64 << 20        # all the files checked out, in all
MAX_CHECKOUT_FILES = 1000            # files checked out
MAX_NAMED = 5                        # files left out named one by one
#: The server's answer about one repository's pushes: at most this many pages of 100, this many bytes each.
MAX_ACTIVITY_PAGES = 20
MAX_ACTIVITY_BYTES = 8 << 20


#: The instructor's credentials: given to no git command and to no grading.
SECRET_ENV = ("GITHUB_TOKEN", "GH_TOKEN")


class CollectError(RuntimeError):
    pass


class PushLogUnavailable(RuntimeError):
    """The server gave no push times for a repository; ``str()`` says why (for the instructor)."""


@dataclass(frozen=True)
class Push:
    """One update of a branch as the server recorded it: the commit it left, and when."""

    commit: str
    at: datetime


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


def _git(*args, cwd=None, check=True, input=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in SECRET_ENV}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1")
    proc = subprocess.run(["git", *GIT_SAFE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          input=input, stdin=None if input is not None else subprocess.DEVNULL,
                          timeout=600)
    if check and proc.returncode != 0:
        raise CollectError(f"git {' '.join(args[:2])} failed: {(proc.stderr or proc.stdout).strip()[-300:]}")
    return proc


def parse_deadline(text):
    """The deadline as an aware :class:`~datetime.datetime`; raise :class:`CollectError`.

    Accepts ISO 8601 with its time zone (``2026-12-01T23:59:00+01:00``,
    ``...Z``) and ``2026-12-01 23:59 +0100``. A deadline without a time zone is
    refused: whose midnight it is would be a guess.
    """
    m = re.fullmatch(r"\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*"
                     r"(Z|[+-]\d{2}:?\d{2})\s*", str(text))
    if m is None:
        raise CollectError(f"deadline {text!r}: give a date, a time and a time zone, e.g. "
                           "'2026-12-01 23:59 +0100' or '2026-12-01T23:59:00Z'")
    zone = m.group(3)
    zone = "+00:00" if zone == "Z" else (zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
    try:
        return datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{zone}")
    except ValueError as exc:
        raise CollectError(f"deadline {text!r}: {exc}") from None


def _iso(when):
    return when.astimezone(timezone.utc).isoformat(timespec="seconds") if when else ""


class _NoCrossHostAuth(urllib.request.HTTPRedirectHandler):
    """Follow a redirect, but never take the token to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            new.headers.pop("Authorization", None)
            new.unredirected_hdrs.pop("Authorization", None)
        return new


class GitHubPushLog:
    """Push times as GitHub recorded them: the repository activity endpoint.

    ``GET {api}/repos/{owner}/{repo}/activity?ref=BRANCH`` lists every push,
    force push and branch creation with its ``timestamp`` and the commit it
    left (``after``), in the server's clock; the student can write neither.

    Parameters
    ----------
    token : str
        The instructor's token (it must read the students' repositories).
    api : str, optional
        The API's root: ``https://api.github.com``, or GitHub Enterprise's
        ``https://HOST/api/v3`` (then any repository URL's last two path parts
        are taken as owner and name). A fake served from loopback in tests.
    opener : callable, optional
        ``opener(request, timeout)`` returning a response (``read``, ``headers``);
        :mod:`urllib`'s by default, which drops the token on a redirect to another host.
    timeout : float, optional
        Seconds per request.
    """

    def __init__(self, token, api="https://api.github.com", *, opener=None, timeout=30):
        self.token = token
        self.api = api.rstrip("/")
        self.timeout = timeout
        self.opener = opener or urllib.request.build_opener(_NoCrossHostAuth()).open

    def slug(self, url):
        """``owner/name`` of a repository URL, or raise :class:`PushLogUnavailable`."""
        m = re.match(r"^(?:[a-z+]+://)?(?:[^@/]+@)?([^/:]+)[:/](.*)$", url.strip())
        host, path = (m.group(1), m.group(2)) if m else ("", "")
        parts = [p for p in re.sub(r"\.git/?$", "", path).split("/") if p]
        if len(parts) < 2 or (host != "github.com" and self.api == "https://api.github.com"):
            raise PushLogUnavailable(f"{one_line(url, 120)} is not a GitHub repository")
        return f"{parts[-2]}/{parts[-1]}"

    def pushes(self, url, branch):
        """Every update of ``branch`` the server recorded, oldest first.

        Returns
        -------
        list of Push

        Raises
        ------
        PushLogUnavailable
            The server could not be asked or did not answer as expected.
        """
        slug = self.slug(url)
        query = urllib.parse.urlencode({"ref": branch, "per_page": 100})
        next_url = f"{self.api}/repos/{slug}/activity?{query}"
        out = []
        for _ in range(MAX_ACTIVITY_PAGES):
            request = urllib.request.Request(next_url, headers={
                "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                "Authorization": f"Bearer {self.token}", "User-Agent": "autograder-kit-collect"})
            try:
                with self.opener(request, timeout=self.timeout) as response:
                    body = response.read(MAX_ACTIVITY_BYTES + 1)
                    link = response.headers.get("Link", "")
            except urllib.error.HTTPError as exc:
                raise PushLogUnavailable(f"the activity of {slug}: HTTP {exc.code} {one_line(exc.reason, 80)}") from None
            except (OSError, ValueError) as exc:
                raise PushLogUnavailable(f"the activity of {slug} could not be read ({one_line(exc, 120)})") from None
            if len(body) > MAX_ACTIVITY_BYTES:
                raise PushLogUnavailable(f"the activity of {slug}: an answer over {MAX_ACTIVITY_BYTES >> 20} MiB")
            try:
                items = json.loads(body)
                for item in items:
                    if item.get("activity_type") == "branch_deletion" or item.get("ref") not in (
                            branch, f"refs/heads/{branch}"):
                        continue
                    at = datetime.fromisoformat(str(item["timestamp"]).replace("Z", "+00:00"))
                    if at.tzinfo is None or not re.fullmatch(r"[0-9a-f]{40}", str(item["after"])):
                        raise ValueError("a timestamp without a zone or a commit that is no sha")
                    out.append(Push(item["after"], at))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise PushLogUnavailable(f"the activity of {slug} is not what GitHub sends "
                                         f"({one_line(exc, 120)})") from None
            m = re.search(r'<([^>]+)>;\s*rel="next"', link)
            if not m:
                return sorted(out, key=lambda p: p.at)
            next_url = m.group(1)
        raise PushLogUnavailable(f"the activity of {slug} has more than {MAX_ACTIVITY_PAGES * 100} updates")


def push_log_from_env(env=None):
    """A :class:`GitHubPushLog` from ``GITHUB_TOKEN`` (and ``GITHUB_API_URL``), or ``None`` without a token."""
    env = os.environ if env is None else env
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    if not token:
        return None
    return GitHubPushLog(token, env.get("GITHUB_API_URL") or "https://api.github.com")


@dataclass
class Collected:
    """What was collected of one repository (one row of ``collected.csv``).

    ``date`` is when the server recorded the push of ``commit`` (empty without
    server evidence), ``commit_date`` the committer date the student wrote (shown,
    never used), ``fetched`` when the repository was fetched; ``flags`` and
    ``refused`` are sentences for the instructor.
    """

    commit: str = ""
    date: str = ""
    commit_date: str = ""
    fetched: str = ""
    status: str = "ok"
    flags: list = field(default_factory=list)
    refused: list = field(default_factory=list)

    def remark(self):
        """The gradebook's ``collection`` cell: empty when there is nothing to say."""
        said = [] if self.status == "ok" else [self.status]
        said += [f"FLAGGED: {f}" for f in self.flags]
        if self.refused:
            said.append("not checked out: " + "; ".join(self.refused))
        return " | ".join(said)


def _commit_date(repo_dir, commit):
    proc = _git("show", "-s", "--format=%cI", commit, cwd=repo_dir, check=False)
    try:
        return datetime.fromisoformat(proc.stdout.strip()) if proc.returncode == 0 else None
    except ValueError:
        return None


def _has_commit(repo_dir, commit):
    return _git("cat-file", "-e", f"{commit}^{{commit}}", cwd=repo_dir, check=False).returncode == 0


def date_flags(repo_dir, pushes, deadline, tolerance=DATE_TOLERANCE):
    """Sentences naming each pushed commit whose committer date the server's push time belies.

    A commit is flagged when its date says it was made by the deadline but it
    was pushed more than ``tolerance`` after the deadline (a backdated late
    commit, or a commit kept back), or when its date is more than ``tolerance``
    later than its push (a date from the future). Other differences between
    commit and push times are ordinary (work committed, pushed later) and not flagged.
    """
    flags = []
    for push in pushes:
        made = _commit_date(repo_dir, push.commit)
        if made is None:
            continue
        if made <= deadline and push.at > deadline + tolerance:
            flags.append(f"commit {push.commit[:12]} is dated {_iso(made)}, before the deadline, but "
                         f"the server received it at {_iso(push.at)}, after the deadline: it was not graded")
        elif made > push.at + tolerance:
            flags.append(f"commit {push.commit[:12]} is dated {_iso(made)}, later than its push at "
                         f"{_iso(push.at)}: its date was written, not recorded")
    return flags


def _size(n):
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"


def _shown(path):
    return one_line(path, 120)


def checkout_within_caps(repo_dir, commit, dest):
    """Check ``commit``'s files out into ``dest``, leaving out what is over the caps; name it.

    Sizes come from the tree (``git ls-tree -r -l``: blob sizes, without
    inflating a blob), so a 256 MiB file that packs to 2 MiB is never written.
    Files are taken shallowest first, then by name; submodules are never taken.

    Returns
    -------
    list of str
        One sentence per file left out (the first :data:`MAX_NAMED`, then a count).
    """
    listing = _git("ls-tree", "-r", "-l", "-z", "--full-tree", commit, cwd=repo_dir).stdout
    entries = []
    for record in listing.split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, kind, _sha, size = meta.split()
        entries.append((path.count("/"), path, kind, int(size) if size.isdigit() else 0))
    entries.sort()
    take, left_out, total = [], [], 0
    for _depth, path, kind, size in entries:
        if kind != "blob":
            left_out.append(f"{_shown(path)} is a submodule, which is never fetched")
        elif size > MAX_CHECKOUT_FILE_BYTES:
            left_out.append(f"{_shown(path)} is {_size(size)}, more than the {_size(MAX_CHECKOUT_FILE_BYTES)} "
                            "a file may have")
        elif len(take) >= MAX_CHECKOUT_FILES:
            left_out.append(f"{_shown(path)}: a submission may hold at most {MAX_CHECKOUT_FILES} files")
        elif total + size > MAX_CHECKOUT_BYTES:
            left_out.append(f"{_shown(path)}: the files before it already hold "
                            f"{_size(total)} of the {_size(MAX_CHECKOUT_BYTES)} a submission may have")
        else:
            take.append(path)
            total += size
    if take:
        _git("--literal-pathspecs", "--work-tree", str(dest), "checkout", "--quiet", "--force", commit,
             "--pathspec-from-file=-", "--pathspec-file-nul", cwd=repo_dir, input="\0".join(take) + "\0")
        _git("read-tree", "--empty", cwd=repo_dir)   # leave the bare repository's index clean
    if len(left_out) > MAX_NAMED:
        left_out[MAX_NAMED:] = [f"and {len(left_out) - MAX_NAMED} more files"]
    return left_out


def fetch_at_deadline(url, repo_dir, dest, deadline, *, push_log=None, now=None):
    """Clone/fetch ``url`` into ``repo_dir``; put the commit that was on the server at ``deadline`` in ``dest``.

    Parameters
    ----------
    url : str
        The student's repository.
    repo_dir, dest : path
        The bare clone (kept between runs) and the folder the commit's files go to (remade).
    deadline : datetime or str
        An aware datetime, or text :func:`parse_deadline` reads.
    push_log : object, optional
        Anything with ``pushes(url, branch) -> [Push]`` that raises
        :class:`PushLogUnavailable` (a :class:`GitHubPushLog`; a stub in tests).
        ``None``: no server evidence; the branch head as fetched is taken.
    now : callable, optional
        The clock (``datetime.now(timezone.utc)`` by default), read right after the fetch.

    Returns
    -------
    Collected
        Never decided from a date the student wrote.
    """
    deadline = deadline if isinstance(deadline, datetime) else parse_deadline(deadline)
    repo_dir, dest = Path(repo_dir), Path(dest)
    if (repo_dir / "HEAD").exists():
        _git("fetch", "--quiet", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*", cwd=repo_dir)
    else:
        repo_dir.parent.mkdir(parents=True, exist_ok=True)
        _git("clone", "--quiet", "--bare", "--no-recurse-submodules", url, str(repo_dir))
        _git("config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*", cwd=repo_dir)
        _git("fetch", "--quiet", "origin", cwd=repo_dir)
    fetched = (now or (lambda: datetime.now(timezone.utc)))()
    got = Collected(fetched=_iso(fetched))
    head = _git("symbolic-ref", "--quiet", "HEAD", cwd=repo_dir, check=False).stdout.strip()
    branch = head.rsplit("/", 1)[-1] if head else "main"
    ref = next((r for r in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}", "HEAD")
                if _git("rev-parse", "--verify", "--quiet", r, cwd=repo_dir, check=False).returncode == 0), None)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    pushes, why_not = None, "no GITHUB_TOKEN"
    if push_log is not None:
        try:
            pushes = push_log.pushes(url, branch) or None
            why_not = "the server recorded no push"
        except PushLogUnavailable as exc:
            why_not = str(exc)
    if pushes is not None:
        got.flags = date_flags(repo_dir, pushes, deadline)
        in_time = [p for p in pushes if p.at <= deadline]
        if not in_time or set(in_time[-1].commit) == {"0"}:
            got.status = "no push before the deadline"
            return got
        commit, got.date = in_time[-1].commit, _iso(in_time[-1].at)
        if not _has_commit(repo_dir, commit):   # force-pushed away since: ask for it by name
            _git("fetch", "--quiet", "origin", commit, cwd=repo_dir, check=False)
        if not _has_commit(repo_dir, commit):
            got.status = (f"the commit pushed before the deadline, {commit[:12]}, is no longer on the "
                          "server (force-pushed away?): nothing was graded")
            return got
    else:
        if ref is None:
            got.status = "no commit on the server"
            return got
        commit = _git("rev-parse", ref, cwd=repo_dir).stdout.strip()
        if fetched > deadline:
            got.status = (f"lateness not verified: collected at {got.fetched}, after the deadline, "
                          f"without push times from the server ({why_not}); the branch head as fetched "
                          "was graded")
        else:
            got.status = (f"collected at {got.fetched}, before the deadline (no push times from the server: "
                          f"{why_not}); what is pushed later is not in it")
    got.commit = commit
    made = _commit_date(repo_dir, commit)
    got.commit_date = _iso(made)
    # the tree of that commit, as files (no .git in the submission: the grader sees only the work)
    got.refused = checkout_within_caps(repo_dir, commit, dest)
    return got


COLLECTED_COLUMNS = ["student", "repository", "commit", "date", "commit_date", "fetched", "status", "flags",
                     "not_checked_out"]


def annotate_gradebook(path, remarks):
    """Add a ``collection`` column to ``grade-all``'s gradebook (after ``reason``), in place.

    ``remarks`` maps a student folder name to its remark. The file is replaced
    atomically; a gradebook that cannot be read is left as it is (and ``False`` returned).
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    if not rows or "student" not in rows[0]:
        return False
    header = rows[0]
    if "collection" in header:
        return True
    at = header.index("reason") + 1 if "reason" in header else len(header)
    who = header.index("student")
    with files.replacing(path, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header[:at] + ["collection"] + header[at:])
        for row in rows[1:]:
            remark = remarks.get(row[who], "") if len(row) > who else ""
            writer.writerow(row[:at] + [csv_cell(remark)] + row[at:])
    return True


def collect(assignment, repos, deadline, work, *, csv_path=None, feedback=None, jobs=None, seed=None,
            log=print, push_log="env", now=None, policy=None):
    """Fetch every repository at the deadline and grade them with ``grade-all``; return its exit status.

    ``push_log`` is where push times come from: ``"env"`` (default) a
    :class:`GitHubPushLog` when ``GITHUB_TOKEN`` is set, else none; ``None``
    for none; or any object :func:`fetch_at_deadline` takes. ``policy``: the
    path of a late policy; each student is fetched at the last time their work
    still counts (:func:`gradebook.policy.last_accepted`, ``deadline`` is then
    the policy's) and ``grade-all`` charges it by its push time.
    """
    rules = None
    if policy is not None:
        rules = late_policy.load(policy)
        deadline = rules.deadline
    deadline = deadline if isinstance(deadline, datetime) else parse_deadline(deadline)
    if push_log == "env":
        push_log = push_log_from_env()
    work = Path(work)
    subs = work / "submissions"
    if subs.exists():
        shutil.rmtree(subs)  # our own copies of the students' commits, rebuilt every run
    subs.mkdir(parents=True)
    records, remarks = [], {}
    seen = set()
    for student, url in repos:
        name = student
        n = 2
        while name in seen:
            name, n = f"{student}_{n}", n + 1
        seen.add(name)
        until = deadline
        if rules is not None:
            until = late_policy.last_accepted(rules, name) or (now() if now else datetime.now(timezone.utc))
        try:
            got = fetch_at_deadline(url, work / "repos" / f"{name}.git", subs / name, until,
                                    push_log=push_log, now=now)
        except (CollectError, subprocess.TimeoutExpired, OSError, ValueError) as exc:
            (subs / name).mkdir(exist_ok=True)
            got = Collected(status=f"not fetched: {one_line(exc, 300)}")
        remarks[name] = got.remark()
        records.append({"student": name, "repository": url, "commit": got.commit, "date": got.date,
                        "commit_date": got.commit_date, "fetched": got.fetched, "status": got.status,
                        "flags": " | ".join(got.flags), "not_checked_out": "; ".join(got.refused)})
        said = [got.commit[:12] + (f" pushed {got.date}" if got.date else "")] if got.commit else []
        log(f"{name}: {' — '.join(said + ([got.remark()] if got.remark() else []))}")
    with open(work / "collected.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLLECTED_COLUMNS)
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in r.items()} for r in records)
    book = Path(csv_path or work / f"gradebook-{assignment}.csv")
    cmd = [sys.executable, "-m", "autograder", "grade-all", assignment, str(subs), "--csv", str(book)]
    if feedback:
        cmd += ["--feedback", str(feedback)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if policy is not None:
        cmd += ["--policy", str(policy), "--pushed", str(work / "collected.csv")]
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}   # no grading holds the token
    status = subprocess.run(cmd, cwd=ROOT, env=env).returncode
    if not annotate_gradebook(book, remarks) and book.exists():
        print(f"collect: {book} could not be annotated; see {work / 'collected.csv'}", file=sys.stderr)
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m frontdoors.classroom.collect",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("urls", nargs="*", help="student repository URLs (or use --roster)")
    parser.add_argument("--roster", help="roster CSV (Classroom's grades export) or a file of URLs")
    parser.add_argument("--deadline", help="with its time zone, e.g. '2026-12-01 23:59 +0100' "
                        "or '2026-12-01T23:59:00Z'")
    parser.add_argument("--policy", help="a late policy (TOML, README \"Deadlines, extensions, late work\"): "
                        "its deadline, extensions and late work; instead of --deadline")
    parser.add_argument("--work", default=str(BUILD / "classroom"), help="clones and submissions")
    parser.add_argument("--csv", help="gradebook CSV (default WORK/gradebook-ASSIGNMENT.csv)")
    parser.add_argument("--feedback", help="passed to grade-all --feedback")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    repos = [(_name_from_url(u), u) for u in args.urls]
    if (args.deadline is None) == (args.policy is None):
        parser.error("give the deadline: --deadline WHEN, or --policy FILE (a late policy holds it), not both")
    try:
        if args.policy:
            deadline = late_policy.load(args.policy).deadline
        else:
            deadline = parse_deadline(args.deadline)
        if args.roster:
            repos += read_roster(args.roster)
    except (OSError, CollectError, ValueError) as exc:   # a PolicyError is a ValueError naming its key
        print(f"collect: {exc}", file=sys.stderr)
        return 2
    if not repos:
        parser.error("give repository URLs or --roster")
    if push_log_from_env() is None:
        print("collect: no GITHUB_TOKEN: without the server's push times, each repository's branch head as "
              "fetched now is graded (collect at the deadline); collected.csv says so", file=sys.stderr)
    return collect(args.assignment, repos, deadline, args.work, csv_path=args.csv, feedback=args.feedback,
                   jobs=args.jobs, seed=args.seed, policy=args.policy)


if __name__ == "__main__":
    sys.exit(main())
