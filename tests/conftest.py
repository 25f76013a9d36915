"""Shared helpers of the kit's own tests.

Grading is end to end: submissions are written to a folder and graded by
``python -m autograder grade`` / ``grade-all`` (the commands instructors run),
with one seed per kit run (printed in the header; set KIT_SEED to replay).
"""
import atexit
import csv
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest

from autograder import catalog
from autograder.paths import HIDDEN_TESTS, ROOT  # noqa: F401  (the kit's tests import both from here)
from tests.helpers import skip, skip_summary

SEED = int(os.environ.get("KIT_SEED") or secrets.randbits(31))


#: Test files that share a session fixture run in one xdist worker (``make test`` runs
#: ``pytest -n 2 --dist loadgroup``): the catalogue is graded once for both.
SHARED_GROUPS = {"test_assignments.py": "graded_class", "test_mistakes.py": "graded_class"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Each test file is one xdist group (its module fixtures are computed once), so two
    files grade in parallel; a file's own tests keep their order.

    ``tryfirst``: xdist's worker reads the ``xdist_group`` marks in its own hook of this name
    (it appends ``@group`` to each node id) and runs before a conftest's; without it xdist saw
    no marks, and every file's session and module fixtures were computed in both workers
    (``tests/test_parallel.py`` checks the grouping)."""
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            name = item.path.name
            item.add_marker(pytest.mark.xdist_group(SHARED_GROUPS.get(name, name)))


def pytest_report_header(config):
    return f"kit seed: {SEED} (replay with KIT_SEED={SEED})"


def _skip_reason(report):
    """The reason a skipped test's report gives (``Skipped: `` left off)."""
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    """After the slowest durations, just above the final count: one line per group of skipped
    tests (tests/helpers.py SKIP_GROUPS), saying what did not run and the command that runs it
    (a fresh clone without Chromium or Debian's python3.11 skips a good part of the suite)."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if r.when in ("setup", "call")]
    lines = skip_summary([_skip_reason(r) for r in skipped])
    if lines:
        terminalreporter.section("what did not run", sep="-", yellow=True, bold=True)
        for line in lines:
            terminalreporter.write_line(line)


# ----------------------------------------------------------------------------
# who runs the grader: the current user, or (as root) an unprivileged one

#: The unprivileged account the kit's tests grade as when they run as root.
NORMAL_USER = "kitgrader"
#: The interpreter that account runs: the shared virtualenv's own python lives
#: under /root (pyenv, mode 0700), which other users cannot enter. KIT_SYSTEM_PYTHON names
#: another Python 3.11 (one that does not exist: the normal-user half skips, as on a fresh clone).
SYSTEM_PYTHON = Path(os.environ.get("KIT_SYSTEM_PYTHON") or "/usr/bin/python3.11")


@dataclass
class Runner:
    """How to run the kit's commands as one user.

    ``kit`` is the kit they run from (the checkout itself, or a copy the
    unprivileged user can read), ``python`` its interpreter, ``prefix`` what
    goes before the command (``setpriv ...``), ``scratch`` a folder that user
    owns (submissions are copied there, results written there).
    """

    user: str
    kit: Path
    python: str
    prefix: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    scratch: Path | None = None
    uid: int | None = None
    gid: int | None = None

    def command(self, *args):
        return [*self.prefix, self.python, *args]

    def own(self, path):
        """Give ``path`` (recursively) to this runner's user."""
        if self.uid is None:
            return
        for p in [Path(path), *Path(path).rglob("*")]:
            os.lchown(p, self.uid, self.gid)

    def scratch_folder(self, label):
        """A fresh folder this user owns, to build a submission in place (FIFOs, sparse files)."""
        folder = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=self.scratch))
        self.own(folder)
        return folder

    def stage(self, path, label):
        """A copy of ``path`` in a fresh folder this user owns (the path itself for the current user,
        or when it already lies in this user's scratch folder)."""
        if self.scratch is None:
            return Path(path)
        if Path(os.path.abspath(path)).is_relative_to(os.path.abspath(self.scratch)):
            self.own(path)
            return Path(path)
        dest = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=self.scratch)) / Path(path).name
        if Path(path).is_dir():
            shutil.copytree(path, dest, symlinks=True)
        else:
            shutil.copy2(path, dest, follow_symlinks=False)
        self.own(dest.parent)
        return dest

    def run(self, args, *, timeout, env=None):
        base = {**os.environ, **self.env} if self.uid is None else dict(self.env)
        return subprocess.run(self.command(*args), cwd=self.kit, capture_output=True, text=True,
                              timeout=timeout, env={**base, **(env or {})})


def _kit_files():
    """The kit as a fresh clone has it: the files git knows (committed or not), no .git."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, capture_output=True, check=True).stdout
    return [f for f in out.decode().split("\0") if f]


@lru_cache(maxsize=None)
def _normal_runner():
    """A :class:`Runner` for an unprivileged user, or the reason there is none (a string)."""
    if os.geteuid() != 0:
        return Runner(user=pwd.getpwuid(os.geteuid()).pw_name, kit=ROOT, python=sys.executable)
    for tool in ("useradd", "setpriv"):
        if shutil.which(tool) is None:
            return f"grading as a normal user needs {tool}, which this machine lacks"
    if not SYSTEM_PYTHON.exists():
        return (f"no {SYSTEM_PYTHON} (Debian's python3.11 and python3.11-venv), which grading as a "
                "normal user needs: the shared virtualenv's interpreter sits under /root, "
                "which other users cannot enter")
    try:
        account = pwd.getpwnam(NORMAL_USER)
    except KeyError:
        proc = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                               "/usr/sbin/nologin", NORMAL_USER], capture_output=True, text=True)
        if proc.returncode != 0 and "already exists" not in proc.stderr:
            return f"useradd {NORMAL_USER} failed: {proc.stderr.strip()}"
        account = pwd.getpwnam(NORMAL_USER)
    uid, gid = account.pw_uid, account.pw_gid
    # mode 0700 and owned by the user: as a normal user the kit sits in a private folder
    stage = Path(tempfile.mkdtemp(prefix="kit-normal-"))
    atexit.register(shutil.rmtree, stage, True)
    kit, home, scratch = stage / "kit", stage / "home", stage / "scratch"
    for rel in _kit_files():
        src, dest = ROOT / rel, kit / rel
        if src.is_file() and not src.is_symlink():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    home.mkdir()
    scratch.mkdir()
    proc = subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(kit / ".venv")],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return f"{SYSTEM_PYTHON} -m venv failed: {proc.stderr.strip()[-500:]}"
    shared = Path(os.path.realpath(ROOT / ".venv" / "lib" / "python3.11" / "site-packages"))
    if not shared.is_dir():
        return f"the shared virtualenv has no {shared}"
    (kit / ".venv" / "lib" / "python3.11" / "site-packages" / "kit-shared-venv.pth").write_text(
        f"import site; site.addsitedir({str(shared)!r})\n")
    # the shared venv's Jupyter data (nbconvert's templates: nbgrader's feedback pages)
    shared_data = ROOT / ".venv" / "share" / "jupyter"
    if shared_data.is_dir():
        (kit / ".venv" / "share").mkdir(exist_ok=True)
        (kit / ".venv" / "share" / "jupyter").symlink_to(os.path.realpath(shared_data))
    # the shared venv's commands (nbgrader runs `alembic`), started by this venv's python
    bin_ = kit / ".venv" / "bin"
    for script in (ROOT / ".venv" / "bin").iterdir():
        dest = bin_ / script.name
        if dest.exists() or not script.is_file() or script.is_symlink():
            continue
        with open(script, "rb") as f:
            first = f.readline()
            if not (first.startswith(b"#!") and b"python" in first):
                continue
            dest.write_bytes(b"#!" + str(bin_ / "python").encode() + b"\n" + f.read())
        dest.chmod(0o755)
    runner = Runner(
        user=NORMAL_USER, kit=kit, python=str(kit / ".venv" / "bin" / "python"),
        prefix=["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "USER": NORMAL_USER,
             "LOGNAME": NORMAL_USER},
        scratch=scratch, uid=uid, gid=gid)
    runner.own(stage)
    probe = runner.run(["-c", "import numpy, scipy, sklearn, pytest, autograder"], timeout=300)
    if probe.returncode != 0:
        return (f"{NORMAL_USER} cannot run the kit's Python (is the shared virtualenv readable by "
                f"other users?): {probe.stderr.strip()[-800:]}")
    return runner


def runner(user=None):
    """The :class:`Runner` for ``user`` (None or "root": the current user; "normal": unprivileged).

    Skips the calling test, saying why, where the machine cannot grade as a
    normal user; "root" skips where the tests do not run as root.
    """
    if user in (None, "current"):
        return Runner(user="current", kit=ROOT, python=sys.executable)
    if user == "root":
        if os.geteuid() != 0:
            # justified: the root mode (fresh uid per child, chmod-free private folders) cannot be
            # reached without root; the same cases still run in the "normal" mode
            skip("not as root", "the kit's tests are not running as root")
        return Runner(user="root", kit=ROOT, python=sys.executable)
    if user != "normal":
        raise ValueError(f"user must be None, 'root' or 'normal', not {user!r}")
    found = _normal_runner()
    if isinstance(found, str):
        # justified: no unprivileged account can be made or reach a Python here (no useradd,
        # no Debian python3.11, an unreadable venv); `found` says which, and .ci/setup-system
        # installs python3.11 so CI never skips for that reason
        skip("not as a normal user", found)
    return found


def grade_all(assignment, folder, *extra, user=None, seed=SEED, env=None, timeout=1800):
    """Run ``python -m autograder grade-all ASSIGNMENT FOLDER --seed SEED EXTRA...`` from the kit as
    ``user`` (see :func:`runner`); return the completed process. ``seed=None`` gives no ``--seed``
    (grade-all keeps the class's previous seed or draws one); ``env`` adds to the environment."""
    seeded = ["--seed", str(seed)] if seed is not None else []
    return runner(user).run(["-m", "autograder", "grade-all", assignment, str(folder), *seeded, *extra],
                            timeout=timeout, env=env)


@dataclass
class ClassGrading:
    """One :func:`grade_class` run: the process, what it wrote beside the class folder (the
    ``gradebook`` CSV's path, its ``header`` and ``rows`` by student, {stem: results.json}) and
    the grader's own per-grading figures (peak RSS, wall time; see the engine)."""

    proc: subprocess.CompletedProcess
    gradebook: Path
    header: list
    rows: dict
    results: dict
    stats: list


def grade_class(assignment, folder, *extra, user=None, seed=SEED, jobs=2, env=None):
    """Grade every student of ``folder`` with ``grade-all --jobs JOBS`` as ``user``; exit 0 asserted.

    ``user="normal"`` grades a copy the unprivileged user owns (the folder itself when it lies in
    that user's scratch folder). The gradebook, results and figures are written beside the graded
    folder, so a re-run on the same folder resumes from its previous run.
    """
    run = runner(user)
    folder = run.stage(folder, "class")
    out, book, stats_file = (folder.parent / f"{folder.name}{end}" for end in ("-results", ".csv", "-stats.jsonl"))
    stats_file.write_text("")
    if run.uid is not None:
        os.chown(stats_file, run.uid, run.gid)
    proc = grade_all(assignment, folder, "--jobs", str(jobs), "--results-dir", str(out), "--csv", str(book),
                     *extra, user=user, seed=seed, env={**(env or {}), "AUTOGRADER_STATS": str(stats_file)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(book, newline="", encoding="utf-8") as f:
        header, *rows = csv.reader(f)
    assert header[:3] == ["student", "total", "reason"], header
    return ClassGrading(proc, book, header, {r[0]: r for r in rows},
                        {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")},
                        [json.loads(line) for line in stats_file.read_text().splitlines() if line])


def grade_folder(assignment, folder, *, seed=SEED, jobs=2, user=None, extra=(), env=None):
    """Grade every sub-folder of ``folder`` (:func:`grade_class`); return {student: results.json dict}."""
    return grade_class(assignment, folder, *extra, user=user, seed=seed, jobs=jobs, env=env).results


def grade_one(assignment, submission, *, seed=SEED, results=None, extra=(), user=None, env=None):
    """Run ``python -m autograder grade``; return (exit code, results dict or None, output).

    ``user="normal"`` runs it as an unprivileged user on a copy of the
    submission (the results file is copied back to ``results``). ``env`` adds
    to the environment. The results are read only from a regular file.
    """
    run = runner(user)
    results = Path(results) if results else Path(submission).parent / "results.json"
    staged = run.stage(submission, "one")
    where = results if run.scratch is None else staged.parent / results.name
    cmd = ["-m", "autograder", "grade", assignment, str(staged),
           "--results", str(where), "--seed", str(seed), *extra]
    proc = run.run(cmd, timeout=900, env=env)
    if where != results and where.is_file() and not where.is_symlink():
        shutil.copyfile(where, results)
    regular = results.is_file() and not results.is_symlink()
    data = json.loads(results.read_text()) if regular else None
    return proc.returncode, data, proc.stdout + proc.stderr


@lru_cache(maxsize=None)
def hidden_tests(assignment):
    """{test function name: (results-name prefix, points)} read from the hidden test modules."""
    return {t.function: (t.doc, t.points) for part in catalog.parts(assignment) for t in part.tests}


def entry(results, assignment, test_name):
    """The results.json entry of the hidden test function ``test_name``."""
    doc, _ = hidden_tests(assignment)[test_name]
    matches = [t for t in results["tests"] if t["name"].startswith(doc + " (")]
    assert len(matches) == 1, f"{test_name}: {len(matches)} result entries start with {doc!r}"
    return matches[0]


def failed(results):
    """Names of the result entries that did not earn full points."""
    return {t["name"] for t in results["tests"] if t["score"] < t["max_score"]}


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """``graded_class(a)``: {student: results} for a's reference, stub, every catalogued mistake
    and every correct variant (``correct-<name>``).

    One ``grade-all`` run per assignment per kit run, shared by every test that needs it.
    """
    from samples.submissions import apply, catalogue, correct_variants, reference_source, stub_source, write

    root = tmp_path_factory.mktemp("classes")
    cache = {}

    def get(assignment):
        if assignment not in cache:
            folder = root / assignment / "class"
            write(folder / "reference", assignment, reference_source(assignment))
            write(folder / "stub", assignment, stub_source(assignment))
            for bug in catalogue(assignment):
                write(folder / bug.name, assignment, apply(assignment, bug))
            for variant in correct_variants(assignment):
                write(folder / f"correct-{variant.name}", assignment, apply(assignment, variant))
            cache[assignment] = grade_folder(assignment, folder)
        return cache[assignment]

    return get
