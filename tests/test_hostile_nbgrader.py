"""nbgrader, hostile: no student code runs with the instructor's rights, and feedback pages render
no student HTML/JavaScript (issue 9 §2 and §7). One course, five students, through the CLI, built,
autograded, fed back and cross-checked once by an instructor running as root and once by one
running as a normal user (with that user's rights, from the kit that user can read):

  stub     the untouched stub: the baseline score;
  payload  the stub, whose import copies the reference over its module in submitted/,
           autograded/ and the kit's snapshot, plants a conftest in the hidden tests and
           writes into the kit — nbgrader used to give it 100, and so did the cross-check;
  linked   mle.py a symbolic link to the reference solution: refused, never read;
  script   the reference, with a <script> and an onerror handler in a markdown cell and in a
           written answer, and an HTML output with a <script> in its autograded notebook;
  devzero  mle.py a link to /dev/zero and a FIFO beside it: nbgrader's own copy of submitted/
           would copy forever and block; the kit sets both aside first (never opened).
"""
import hashlib
import html
import json
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder import catalog
from samples.submissions import reference_source, stub_source
from tests.conftest import ROOT, SEED, runner
from tests.helpers import NBGRADER_UNSET, Page, chromium, each_user_its_group, needs_chromium
from tests.hostile_cases import TOKEN, snapshot

NB_STUDENTS = ("stub", "payload", "linked", "script", "devzero")
#: What the kit moves out of submitted/ before nbgrader copies it (links, FIFOs, devices).
SET_ASIDE = {"submitted/linked/mle/mle.py", "submitted/devzero/mle/mle.py",
             "submitted/devzero/mle/pipe.py"}
#: Built by string concatenation in the page's JavaScript: the element exists only if a script ran.
INJECTED = "kitinjected" + TOKEN


def _payload(course, kit):
    targets = [course / "submitted" / "payload" / "mle" / "mle.py",
               course / "autograded" / "payload" / "mle" / "mle.py",
               course / "snapshots" / "payload" / "mle" / "files" / "mle.py",
               kit / "hidden_tests" / "mle" / "conftest.py",
               kit / f"nbgrader-pwned-{TOKEN}"]
    return f"""import os as _os, shutil as _shutil
for _t in {[str(t) for t in targets]!r}:
    try:
        _os.chmod(_t, 0o644)
    except Exception:
        pass
    try:
        _shutil.copyfile({str(kit / "solutions" / "mle" / "mle.py")!r}, _t)
    except Exception:
        pass
""" + stub_source("mle")


def _nb(run, course, *args, check=True, timeout=1800):
    """``nbgrader <args>`` in ``course``, run as ``run``'s user (through the kit's own helper)."""
    code = ("import json, os, sys; from pathlib import Path; from frontdoors.nbgrader import course as c\n"
            f"for k in {NBGRADER_UNSET!r}: os.environ.pop(k, None)\n"
            f"p = c.nbgrader(Path({str(course)!r}), *{list(args)!r}, check=False, timeout={timeout})\n"
            "print(json.dumps([p.returncode, p.stdout, p.stderr]))")
    outer = run.run(["-c", code], timeout=timeout + 60)
    assert outer.returncode == 0, outer.stderr[-3000:]
    rc, out, err = json.loads(outer.stdout.strip().splitlines()[-1])
    proc = subprocess.CompletedProcess(["nbgrader", *args], rc, out, err)
    if check and rc != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({rc}):\n{out[-3000:]}\n{err[-3000:]}")
    return proc


def _crosscheck(run, course, *args, timeout=1800):
    return run.run(["-m", "frontdoors.nbgrader.crosscheck", str(course), "mle", *args], timeout=timeout)


def _script_notebook(path):
    nb = nbformat.read(path, as_version=4)
    attack = (f"<script>document.body.appendChild(document.createElement('kitinjected' + '{TOKEN}'))"
              f"</script>\n\n<img src=x onerror=\"document.title='{INJECTED}'\">")
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("A cell of my own\n\n" + attack))
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "My answer.\n\n" + attack
    nbformat.write(nb, path)


def _tree(folder, skip=()):
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        rel = p.relative_to(folder)
        if rel.parts[0] in skip or p.is_dir():
            continue
        mode = os.lstat(p).st_mode
        out[str(rel)] = (os.readlink(p) if stat.S_ISLNK(mode) else
                         hashlib.sha256(p.read_bytes()).hexdigest() if stat.S_ISREG(mode) else
                         f"<not a regular file: {stat.filemode(mode)}>")  # a FIFO is never opened
    return out


def _course_state(course):
    """Everything of the course folder that autograde, feedback and the cross-check must not change."""
    return _tree(course, skip=("autograded", "feedback", "snapshots", "gradebook.db"))


@dataclass
class NbRun:
    """One nbgrader course, autograded as ``run``'s user (root or an unprivileged instructor)."""

    course: Path
    auto: subprocess.CompletedProcess
    check: subprocess.CompletedProcess
    kit: tuple        # (the kit's snapshot before, after)
    state: tuple      # (the course's state before, after)
    run: object       # the Runner: whose rights nbgrader ran with, and from which kit


def nbgraded(run, tmp_root):
    course = (run.scratch_folder("nbgrader") if run.scratch else tmp_root) / "course"
    build = ("from pathlib import Path; from frontdoors.nbgrader import course as c\n"
             f"c.build_course(Path({str(course)!r}), ['mle'], seed={SEED}, log=lambda *_: None)")
    built = run.run(["-c", build], timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    for student in NB_STUDENTS:
        dest = course / "submitted" / student / "mle"
        shutil.copytree(course / "release" / "mle", dest)
        module = dest / "mle.py"
        module.unlink()
        if student == "linked":
            module.symlink_to(run.kit / "solutions" / "mle" / "mle.py")
        elif student == "devzero":
            module.symlink_to("/dev/zero")
            os.mkfifo(dest / "pipe.py")
        else:
            module.write_text({"stub": stub_source("mle"), "payload": _payload(course, run.kit),
                               "script": reference_source("mle")}[student], encoding="utf-8")
    _script_notebook(course / "submitted" / "script" / "mle" / "mle.ipynb")
    run.own(course)
    kit_before, course_before = snapshot(run.kit), _course_state(course)
    auto = _nb(run, course, "autograde", "mle", "--force")
    # an HTML output with a script, where a kernel would have put it (none runs: defence in depth)
    graded_nb = course / "autograded" / "script" / "mle" / "mle.ipynb"
    os.chmod(graded_nb, 0o644)
    nb = nbformat.read(graded_nb, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and not c.metadata["nbgrader"]["grade"])
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/html": f"<b>shown</b><script>document.title='{INJECTED}'</script>", "text/plain": "x"}),
        nbformat.v4.new_output("display_data", data={
            "application/javascript": f"document.title='{INJECTED}'", "text/plain": "y"})]
    nbformat.write(nb, graded_nb)
    run.own(graded_nb)
    _nb(run, course, "generate_feedback", "mle", "--force")
    check = _crosscheck(run, course)
    return NbRun(course, auto, check, (kit_before, snapshot(run.kit)), (course_before, _course_state(course)),
                 run)


@pytest.fixture(scope="module", params=each_user_its_group("test_hostile_nbgrader.py"))
def nbcourse_run(request, tmp_path_factory):
    """The course, as an instructor running as root and as one running as a normal user (each half
    of this file in its own xdist group)."""
    return nbgraded(runner(request.param), tmp_path_factory.mktemp("nbgrader-hostile"))


def _book(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s: {g.name: g.auto_score for g in gb.find_submission_notebook("mle", "mle", s).grades
                    if g.name.startswith("part_")} for s in NB_STUDENTS}


def test_nbgrader_payload_earns_exactly_the_stubs_score(nbcourse_run):
    course, check = nbcourse_run.course, nbcourse_run.check
    book = _book(course)
    assert book["payload"] == book["stub"] and sum(book["stub"].values()) == 0
    assert sum(book["script"].values()) == 100
    assert sum(book["linked"].values()) == 0
    assert check.returncode == 0, check.stdout + check.stderr
    for student in NB_STUDENTS:
        assert re.search(rf"^{student}: ok \(({100 if student == 'script' else 0}) points", check.stdout,
                         re.MULTILINE), check.stdout


def test_nbgrader_autograde_started_no_kernel_and_no_file_outside_the_sandbox_changed(nbcourse_run):
    course, auto, run = nbcourse_run.course, nbcourse_run.auto, nbcourse_run.run
    (kit_before, kit_after), (course_before, course_after) = nbcourse_run.kit, nbcourse_run.state
    assert kit_before == kit_after
    # only the links and FIFOs moved, to set_aside/, as they were (never followed or opened)
    assert {k: v for k, v in course_after.items() if not k.startswith("set_aside/")} == \
        {k: v for k, v in course_before.items() if k not in SET_ASIDE}
    for moved in SET_ASIDE:
        assert course_after["set_aside/" + moved.removeprefix("submitted/")] == course_before[moved]
    assert not (run.kit / f"nbgrader-pwned-{TOKEN}").exists()
    assert not (run.kit / "hidden_tests" / "mle" / "conftest.py").exists()
    payload = (course / "submitted" / "payload" / "mle" / "mle.py").read_bytes()
    for where in ("autograded/payload/mle/mle.py", "snapshots/payload/mle/files/mle.py"):
        assert (course / where).read_bytes() == payload, where
    assert "Kernel" not in auto.stdout + auto.stderr
    nb = nbformat.read(course / "autograded" / "payload" / "mle" / "mle.ipynb", as_version=4)
    plain = [c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")]
    assert plain and not [c for c in plain if c.outputs or c.execution_count]


def test_nbgrader_a_linked_module_is_refused_by_name_and_never_copied(nbcourse_run):
    course = nbcourse_run.course
    record = json.loads((course / "set_aside" / "linked" / "mle" / "SET_ASIDE.json").read_text())
    assert record == [{"path": "mle.py", "kind": "a symbolic link"}]
    assert not (course / "autograded" / "linked" / "mle" / "mle.py").exists()
    reference = (ROOT / "solutions" / "mle" / "mle.py").read_text()
    for p in (course / "feedback" / "linked").rglob("*"):
        if p.is_file():
            assert "### BEGIN SOLUTION" not in p.read_text(errors="replace") or p.suffix == ".ipynb"
            assert p.read_text(errors="replace") != reference
    page = (course / "feedback" / "linked" / "mle" / "mle.html").read_text()
    assert "mle.py is a symbolic link: submit the file itself" in html.unescape(page)


def test_nbgrader_a_link_to_dev_zero_and_a_fifo_are_set_aside_not_copied(nbcourse_run):
    """nbgrader's own copy of submitted/ follows links and opens FIFOs: the kit moves them aside
    first, so autograde finishes, nothing is copied from /dev/zero, and the feedback says why."""
    course, auto = nbcourse_run.course, nbcourse_run.auto
    assert auto.returncode == 0
    record = json.loads((course / "set_aside" / "devzero" / "mle" / "SET_ASIDE.json").read_text())
    assert sorted(record, key=lambda e: e["path"]) == [
        {"path": "mle.py", "kind": "a symbolic link"}, {"path": "pipe.py", "kind": "a FIFO (named pipe)"}]
    graded = course / "autograded" / "devzero" / "mle"
    assert not (graded / "mle.py").exists() and not (graded / "pipe.py").exists()
    assert sum(_book(course)["devzero"].values()) == 0
    page = html.unescape((course / "feedback" / "devzero" / "mle" / "mle.html").read_text())
    assert "mle.py is a symbolic link: submit the file itself" in page
    assert "pipe.py is a FIFO (named pipe), not a regular file" in page


def test_nbgrader_feedback_shows_student_html_as_text(nbcourse_run):
    course = nbcourse_run.course
    page = (course / "feedback" / "script" / "mle" / "mle.html").read_text()
    assert "A cell of my own" in page and "My answer." in page
    text = html.unescape(page)
    assert f"<script>document.body.appendChild(document.createElement('kitinjected' + '{TOKEN}'))" in text
    assert "<b>shown</b>" in page                               # a harmless HTML output is kept
    markup = Page(page)
    assert not [body for body in markup.scripts if TOKEN in body]
    assert not [(tag, attrs) for tag, attrs in markup.elements
                if any(k.startswith("on") or TOKEN in (v or "") for k, v in attrs.items())]


@needs_chromium
def test_nbgrader_feedback_runs_no_student_script_in_a_browser(nbcourse_run, tmp_path):
    page = nbcourse_run.course / "feedback" / "script" / "mle" / "mle.html"
    proc = chromium(["--virtual-time-budget=3000", "--dump-dom", page.as_uri()], tmp_path)
    dom = proc.stdout
    assert "My answer." in dom, proc.stderr[-2000:]
    assert f"<{INJECTED}" not in dom and f"<title>{INJECTED}" not in dom


def test_nbgrader_crosscheck_names_every_file_changed_after_collection(nbcourse_run):
    course, run = nbcourse_run.course, nbcourse_run.run
    reference = (ROOT / "solutions" / "mle" / "mle.py").read_bytes()
    tampered = [course / "submitted" / "payload" / "mle" / "mle.py",
                course / "snapshots" / "payload" / "mle" / "files" / "mle.py"]
    kept = {p: p.read_bytes() for p in tampered}
    try:
        for p in tampered:
            p.write_bytes(reference)
        (course / "submitted" / "payload" / "mle" / "extra.py").write_text("x = 1\n")
        run.own(course / "submitted" / "payload" / "mle" / "extra.py")
        check = _crosscheck(run, course, "--student", "payload", timeout=900)
    finally:
        for p, data in kept.items():
            p.write_bytes(data)
        (course / "submitted" / "payload" / "mle" / "extra.py").unlink()
    assert check.returncode == 1, check.stdout + check.stderr
    gaussian = next(p.points for p in catalog.parts("mle") if p.name == "gaussian")
    for line in ("snapshot file mle.py (changed)", "submitted/payload/mle/mle.py (changed)",
                 "submitted/payload/mle/extra.py (added)", "regrade: 100 points",
                 f"part gaussian: regrade {gaussian:.1f}, recorded at autograde 0.0, gradebook 0.0"):
        assert line in check.stdout, check.stdout


def test_nbgrader_a_config_that_fails_to_load_runs_no_student_code(nbcourse_run):
    """nbgrader carries on with its defaults (a kernel per notebook) when the config raises: the
    course's kernel refuses to start under autograde, so the payload never runs (as root, or
    with the instructor's rights)."""
    course, run = nbcourse_run.course, nbcourse_run.run
    local = course / "nbgrader_config_local.py"
    before = _course_state(course)
    local.write_text("raise RuntimeError('a broken local config')\n")
    run.own(local)
    try:
        proc = _nb(run, course, "autograde", "mle", "--force", "--student", "payload", check=False, timeout=600)
    finally:
        local.unlink()
    assert proc.returncode != 0
    assert "refusing to run a student's notebook" in proc.stdout + proc.stderr
    assert _course_state(course) == before
    assert not (run.kit / f"nbgrader-pwned-{TOKEN}").exists()
    assert not (run.kit / "hidden_tests" / "mle" / "conftest.py").exists()

