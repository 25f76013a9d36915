"""The Gradescope zip and the GitHub Classroom front door wrap the same engine.

Gradescope: the zip unpacked in a temporary root, ``setup.sh`` run there for real (a fresh
venv from requirements-grader.lock: nothing of the notebook stack), then ``run_autograder``
on the reference, the stub and a typical mistake. Classroom: the student template holds no
secret and runs only the public tests; ``collect`` clones local repositories standing in
for the students', with a fake GitHub push log served from loopback (tests/fake_github.py),
and grades the commit each had pushed by the deadline with ``grade-all``.
"""
import csv
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile

import pytest
import yaml

from authoring import requirements
from frontdoors.classroom import collect as classroom_collect
from frontdoors.classroom.template import WORKFLOW, write_template
from frontdoors.gradescope.build import gradescope_zip
from tests.conftest import ROOT, hidden_tests
from tests.fake_github import FakeGitHub, git_commit, utc
from samples.submissions import apply, catalogue, reference_source, stub_source, write
from tests.helpers import student_env


def _bug_score(bug):
    """What the catalogued ``bug`` scores: 100 minus the points of the test it fails."""
    return 100 - hidden_tests("mle")[bug.test][1]


def test_gradescope_zip_holds_the_scripts_and_only_this_assignment(tmp_path):
    """The zip's layout (graded for real by the setup-and-run test below)."""
    archive = gradescope_zip("mle", tmp_path / "mle.zip")
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert {"setup.sh", "run_autograder", "ASSIGNMENT", "autograder/grading.ini"} <= set(names)
        assert not any(n.startswith(("tests/", "assignments/", "solutions/kde", "frontdoors/",
                                     "authoring/")) for n in names)
        assert stat.S_IMODE(zf.getinfo("run_autograder").external_attr >> 16) & 0o111
        assert zf.read("ASSIGNMENT").decode().strip() == "mle"
        assert not any("mnist" in n for n in names if n.endswith(".npz"))  # mle reads no MNIST


def test_the_bmm_gradescope_zip_holds_the_held_out_images_the_handout_lacks(tmp_path):
    """The accuracy test's held-out MNIST images ship with the grader (and only there: see
    tests/test_handout.py); the handout's 3,000 ship with both."""
    with zipfile.ZipFile(gradescope_zip("bmm", tmp_path / "bmm.zip")) as zf:
        names = set(zf.namelist())
    assert {"datasets/mnist_3k.npz", "datasets/mnist_heldout.npz", "datasets/SHA256SUMS"} <= names
    assert "datasets/carve_mnist.py" not in names


def test_grader_lock_is_generated_from_the_lock():
    assert (ROOT / "requirements-grader.lock").read_text() == requirements.grader_lock_text(), \
        "run `make grader-lock`"
    names = {n.lower() for n, _ in requirements.read_lock(ROOT / "requirements-grader.lock").values()}
    assert {"numpy", "scipy", "scikit-learn", "pytest", "threadpoolctl"} <= names
    assert not names & {"jupyterlab", "notebook", "nbgrader", "ipykernel", "nbclient", "nbconvert",
                        "jupyter-server", "matplotlib", "dask", "distributed"}


NOTEBOOK_STACK = ("jupyterlab", "notebook", "nbgrader", "ipykernel", "nbclient", "nbconvert", "jupyter_server",
                  "matplotlib", "IPython")


def test_gradescope_setup_is_slim_and_grades_reference_stub_and_mistake(tmp_path):
    archive = gradescope_zip("mle", tmp_path / "mle.zip")
    home = tmp_path / "root"
    with zipfile.ZipFile(archive) as zf:
        assert "requirements-grader.lock" in zf.namelist() and "requirements.lock" not in zf.namelist()
        zf.extractall(home / "source")
    env = {**os.environ, "AUTOGRADER_HOME": str(home), "AUTOGRADER_PYTHON_BOOT": sys.executable}
    started = time.monotonic()
    proc = subprocess.run(["bash", str(home / "source" / "setup.sh")], capture_output=True, text=True, env=env,
                          timeout=1800, cwd=tmp_path)
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"gradescope zip {archive.stat().st_size / 1024:.0f} KiB, setup.sh {took:.0f} s")
    # the kit's modules are compiled by setup.sh (each grading is a fresh process)
    assert list((home / "source" / "autograder" / "__pycache__").glob("engine.*.pyc"))
    py = home / "source" / ".venv" / "bin" / "python"
    probe = "import importlib.util as u; print([m for m in %r if u.find_spec(m)])" % (NOTEBOOK_STACK,)
    assert subprocess.run([str(py), "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"
    bug = next(b for b in catalogue("mle") if b.name == "variance_divided_by_n_minus_1")
    for module, score in ((reference_source("mle"), 100), (stub_source("mle"), 0), (apply("mle", bug), _bug_score(bug))):
        shutil.rmtree(home / "submission", ignore_errors=True)
        write(home / "submission" / "upload", "mle", module)
        run = subprocess.run(["bash", str(home / "source" / "run_autograder")], capture_output=True, text=True,
                             env=env, timeout=600, cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        results = json.loads((home / "results" / "results.json").read_text())
        assert results["score"] == score, (score, results.get("output"))


# ----------------------------------------------------------------------------
# GitHub Classroom without secrets


def _steps(template):
    return yaml.safe_load((template / WORKFLOW).read_text())["jobs"]["run-autograding-tests"]["steps"]


@pytest.mark.parametrize("assignment", ["mle", "gmm"])
def test_classroom_template_runs_only_public_tests_and_holds_no_secret(assignment, tmp_path):
    template = write_template(assignment, tmp_path / "template")
    for path in template.rglob("*"):
        if path.is_file() and path.suffix in (".yml", ".py", ".md", ".txt", ".ipynb"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"secrets\.|KIT_TOKEN|hidden_tests|token:|BEGIN SOLUTION", text), path
    assert (template / f"{assignment}.py").read_text(encoding="utf-8") == stub_source(assignment)
    steps = _steps(template)
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["cache"] == "pip"
    graders = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]
    reporter = next(s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-grading-reporter"))
    assert reporter["if"] == "always()"
    ids = [s["id"] for s in graders]
    assert reporter["with"]["runners"].split(",") == ids
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{ steps.{i}.outputs.result }}}}" for i in ids}
    env = student_env()
    env["PATH"] = os.pathsep.join([str(ROOT / ".venv" / "bin"), env.get("PATH", "")])
    selected = set()
    for module, want in ((stub_source(assignment), "fail"), (reference_source(assignment), "pass")):
        (template / f"{assignment}.py").write_text(module, encoding="utf-8")
        for s in graders:
            proc = subprocess.run(["bash", "-c", s["with"]["command"]], cwd=template, env=env,
                                  capture_output=True, text=True, timeout=600)
            assert (proc.returncode == 0) == (want == "pass"), (s["id"], proc.stdout[-1500:])
            if want == "pass":
                listed = subprocess.run(["bash", "-c", s["with"]["command"] + " --collect-only"], cwd=template,
                                        env=env, capture_output=True, text=True, timeout=600).stdout
                selected |= set(re.findall(r"::(test_\w+)", listed))
    public = set(re.findall(r"^def (test_\w+)", (template / f"test_{assignment}_public.py").read_text(), re.M))
    assert selected == public, "every public test belongs to a part's step"


def _repo(path, commits):
    """A local git repository standing in for a student's: [(iso date, module text)]."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for date, text in commits:
        _commit(path, date, text)
    return path


def _commit(path, date, text):
    """Commit ``text`` as mle.py, dated ``date``; its sha."""
    return git_commit(path, date, {"mle.py": text})


def _pushed_as_committed(gh, slug, path):
    """Record in the fake push log that each commit of ``path`` was pushed when it was made."""
    log = subprocess.run(["git", "-C", str(path), "log", "--reverse", "--format=%H %cI"], check=True,
                         capture_output=True, text=True).stdout.split("\n")
    for line in filter(None, log):
        sha, date = line.split()
        gh.push(slug, sha, utc(date))


def test_classroom_collect_grades_each_repository_at_its_deadline_commit(tmp_path):
    deadline = "2026-11-15T23:59:00+00:00"
    ref, stub = reference_source("mle"), stub_source("mle")
    bug = next(b for b in catalogue("mle") if b.name == "variance_divided_by_n_minus_1")
    org = tmp_path / "org"
    repos = {
        "alice": _repo(org / "alice", [("2026-11-01T10:00:00+00:00", stub),
                                       ("2026-11-20T10:00:00+00:00", ref)]),   # finished late
        "bob": _repo(org / "bob", [("2026-11-10T10:00:00+00:00", apply("mle", bug))]),
        "carol": _repo(org / "carol", [("2026-11-16T09:00:00+00:00", ref)]),    # nothing in time
        "dave": _repo(org / "dave", [("2026-11-02T10:00:00+00:00", stub),
                                     ("2026-11-14T10:00:00+00:00", ref)]),
    }
    roster = tmp_path / "grades.csv"
    with open(roster, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assignment_name", "roster_identifier", "github_username", "student_repository_url"])
        for name, path in repos.items():
            w.writerow(["mle", name, f"gh-{name}", path.resolve().as_uri()])
    work = tmp_path / "work"
    cmd = [sys.executable, "-m", "frontdoors.classroom.collect", "mle", "--roster", str(roster),
           "--deadline", deadline, "--work", str(work), "--jobs", "2"]
    with FakeGitHub.serving() as gh:
        for name, path in repos.items():   # honest students: each commit pushed as it was made
            _pushed_as_committed(gh, f"org/{name}", path)
        for run in range(2):   # the second run fetches into the existing clones
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                                  env={**os.environ, **gh.env})
            assert proc.returncode == 0, proc.stderr[-3000:]
            with open(work / "collected.csv", newline="") as f:
                collected = {r["student"]: r for r in csv.DictReader(f)}
            assert collected["alice"]["date"].startswith("2026-11-01")   # the push time, from the server
            assert collected["dave"]["date"].startswith("2026-11-14")
            assert collected["carol"]["commit"] == "" and "no push before" in collected["carol"]["status"]
            assert {r["flags"] for r in collected.values()} == {""}   # honest dates: nothing flagged
            with open(work / "gradebook-mle.csv", newline="") as f:
                book = {r["student"]: r for r in csv.DictReader(f)}
            total = next(c for c in next(iter(book.values())) if c.lower() in ("total", "score"))
            assert {s: float(book[s][total]) for s in book} == {"alice": 0, "bob": _bug_score(bug), "carol": 0, "dave": 100}
            assert {s: book[s]["collection"] for s in book} == {
                "alice": "", "bob": "", "carol": "no push before the deadline", "dave": ""}
            assert not (work / "submissions" / "alice" / ".git").exists()
            if run == 0:   # a late push must not change anything
                gh.push("org/bob", _commit(repos["bob"], "2026-11-21T10:00:00+00:00", ref),
                        utc("2026-11-21T10:00:05+00:00"))
    assert gh.requests and {auth for *_, auth in gh.requests} == {f"Bearer {gh.token}"}
    assert gh.token not in (work / "collected.csv").read_text() + proc.stdout + proc.stderr


def test_classroom_push_log_reads_every_page_and_says_why_it_has_none():
    """The GitHub client against the loopback fake: pages followed, the ref asked for, the token
    sent; an unknown repository, a bad token and a non-GitHub URL are no evidence, with a reason."""
    with FakeGitHub.serving() as gh:
        shas = [f"{i:040x}" for i in range(1, 6)]
        for i, sha in enumerate(shas):
            gh.push("org/alice", sha, f"2026-11-1{i}T10:00:00+00:00")
        gh.push("org/alice", "f" * 40, "2026-11-19T10:00:00+00:00", branch="other")
        log = classroom_collect.GitHubPushLog(gh.token, gh.url)
        pushes = log.pushes("https://github.example.org/org/alice.git", "main")
        assert [p.commit for p in pushes] == shas and pushes[0].at == utc("2026-11-10T10:00:00+00:00")
        assert len(gh.requests) == 3 and gh.requests[0][1]["ref"] == "main"
        with pytest.raises(classroom_collect.PushLogUnavailable, match="HTTP 404"):
            log.pushes("https://github.example.org/org/nobody", "main")
        with pytest.raises(classroom_collect.PushLogUnavailable, match="HTTP 401"):
            classroom_collect.GitHubPushLog("wrong", gh.url).pushes("https://x/org/alice", "main")
    with pytest.raises(classroom_collect.PushLogUnavailable, match="not a GitHub repository"):
        classroom_collect.GitHubPushLog("t").pushes("https://gitlab.com/org/alice", "main")
    assert classroom_collect.GitHubPushLog("t").slug("git@github.com:org/mle-alice.git") == "org/mle-alice"
    assert classroom_collect.push_log_from_env({}) is None


class _StubLog:
    """An injected push log: [(sha, iso push time)]."""

    def __init__(self, pushes):
        self.log = [classroom_collect.Push(sha, utc(at)) for sha, at in pushes]

    def pushes(self, url, branch):
        return self.log


def test_classroom_lateness_is_never_decided_from_a_commit_date(tmp_path):
    """The late commit is backdated with GIT_COMMITTER_DATE: with the push log, the on-time commit
    is taken and the row flagged; without one, the head is taken and the status says lateness
    was not verified (collected after the deadline)."""
    repo = _repo(tmp_path / "s", [])
    on_time = _commit(repo, "2026-11-15T22:00:00+00:00", "A = 'on time'\n")
    late = _commit(repo, "2026-11-15T23:30:00+00:00", "A = 'late'\n")   # made at 00:59, dated 23:30
    deadline = "2026-11-15 23:59 +0000"
    stub = _StubLog([(on_time, "2026-11-15T22:01:00+00:00"), (late, "2026-11-16T00:59:30+00:00")])
    got = classroom_collect.fetch_at_deadline(repo.as_uri(), tmp_path / "r.git", tmp_path / "sub", deadline,
                                              push_log=stub)
    assert got.commit == on_time and got.date == "2026-11-15T22:01:00+00:00" and got.status == "ok"
    assert (tmp_path / "sub" / "mle.py").read_text() == "A = 'on time'\n"
    assert len(got.flags) == 1 and late[:12] in got.flags[0] and "after the deadline" in got.flags[0]
    assert got.remark().startswith("FLAGGED: commit " + late[:12])
    got = classroom_collect.fetch_at_deadline(repo.as_uri(), tmp_path / "r.git", tmp_path / "sub", deadline)
    assert got.commit == late and got.date == "" and got.status.startswith("lateness not verified")
    before = classroom_collect.fetch_at_deadline(
        repo.as_uri(), tmp_path / "r.git", tmp_path / "sub", deadline,
        now=lambda: utc("2026-11-15T23:59:00+00:00"))
    assert before.commit == late and "before the deadline" in before.status   # collected at the deadline
    with pytest.raises(classroom_collect.CollectError, match="time zone"):
        classroom_collect.parse_deadline("2026-11-15")


def test_classroom_roster_reads_classroom_exports_and_url_lists(tmp_path):
    (tmp_path / "urls.txt").write_text("https://github.com/org/mle-alice.git\n# comment\nhttps://github.com/org/mle-bob\n")
    assert classroom_collect.read_roster(tmp_path / "urls.txt") == [
        ("mle-alice", "https://github.com/org/mle-alice.git"), ("mle-bob", "https://github.com/org/mle-bob")]
    (tmp_path / "bad.csv").write_text("name,email\nx,y\n")
    with pytest.raises(classroom_collect.CollectError, match="no repository column"):
        classroom_collect.read_roster(tmp_path / "bad.csv")
    (tmp_path / "r.csv").write_text("github_username,student_repository_url\n../../evil,https://x/y\n")
    assert classroom_collect.read_roster(tmp_path / "r.csv") == [("evil", "https://x/y")]
