"""Hostile submissions that arrive through an LMS download (Canvas, Moodle, Blackboard file
names) or GitHub Classroom repositories, graded as root and as a normal user: links and FIFOs
refused by name, a file named after another student given to no one, a commit backdated past
the deadline not graded, a huge file never checked out, no repository hook run.
"""
import csv
import json
import os
import subprocess
from pathlib import Path

import pytest

from samples.submissions import reference_source, stub_source
from tests.conftest import ROOT, grade_class, grade_folder, runner
from tests.hostile_cases import LINKED, REFERENCE, TOKEN, class_folder


def test_classroom_collect_a_symlink_to_the_reference_earns_nothing(tmp_path):
    """A student repository whose mle.py is a symlink to the kit's reference (or any private file)
    would score 100 if collect honoured it; collected with core.symlinks=false it is a one-line
    text file (the link's target), so the submission fails to import and earns 0."""
    from frontdoors.classroom import collect

    repo = tmp_path / "student"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "mle.py").symlink_to(ROOT / "solutions" / "mle" / "mle.py")
    hooks = repo / ".githooks"
    hooks.mkdir()
    (hooks / "post-checkout").write_text(f"#!/bin/sh\ntouch /tmp/kit-hook-{TOKEN}\n")
    (hooks / "post-checkout").chmod(0o755)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-11-01T10:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-11-01T10:00:00+00:00"}
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=s", "-c", "user.email=s@example.org",
                    "-c", "core.hooksPath=.githooks", "commit", "-qm", "link"], check=True, env=env)
    subs = tmp_path / "work" / "submissions"
    got = collect.fetch_at_deadline(repo.as_uri(), tmp_path / "work" / "repos" / "s.git", subs / "s",
                                    "2026-11-15 00:00 +0000")
    assert got.commit
    module = subs / "s" / "mle.py"
    assert not module.is_symlink() and module.read_text() == str(ROOT / "solutions" / "mle" / "mle.py")
    assert not Path(f"/tmp/kit-hook-{TOKEN}").exists()
    results = grade_folder("mle", subs)["s"]
    assert results["score"] == 0


@pytest.mark.parametrize("user", ["root", "normal"])
def test_lms_download_a_linked_module_is_refused_by_name_and_earns_nothing(tmp_path, user):
    """A Canvas-named file that is a symlink to the kit's reference would score 100 if staging
    followed it; staging copies regular files only, and leaves a link that points nowhere in its
    place, so intake refuses it by name ("is a symbolic link"), not as a missing module."""
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "smithbob_340934_208490284_mle.py").symlink_to(REFERENCE)
    (folder / "doejane_120001_208490285_mle.py").write_text(reference_source("mle"))
    results = grade_folder("mle", folder, user=user)
    assert results["doejane_120001"]["score"] == 100
    linked = results["smithbob_340934"]
    assert linked["score"] == 0
    text = json.dumps(linked)
    assert LINKED in text and "missing module" not in text, text[:2000]
    assert "def gaussian_mle" not in text  # nothing of what the link points at


@pytest.mark.parametrize("user", ["root", "normal"])
def test_lms_download_a_fifo_module_is_refused_by_name_and_never_blocks(tmp_path, user):
    """A Moodle-named FIFO would hang a grader that opened it to copy or hash it (nobody writes
    to it); discovery and staging only lstat it and leave an empty FIFO in its place, so the
    run ends, the student is graded 0 with "is a FIFO", and the class beside it is unharmed."""
    run = runner(user)
    folder = (run.scratch_folder("lms-fifo") if run.scratch else tmp_path) / "download"
    folder.mkdir()
    os.mkfifo(folder / "Bob Smith_340934_assignsubmission_file_mle.py")
    (folder / "Jane Doe_120001_assignsubmission_file_mle.py").write_text(reference_source("mle"))
    run.own(folder)
    results = grade_folder("mle", folder, user=user)
    by_name = {k.split("-")[0]: v for k, v in results.items()}  # "Jane_Doe_120001-<hash>"
    assert by_name["Jane_Doe_120001"]["score"] == 100, sorted(results)
    piped = by_name["Bob_Smith_340934"]
    assert piped["score"] == 0
    text = json.dumps(piped)
    assert "is a FIFO" in text and "missing module" not in text, text[:2000]


# --- honest deadlines (issue 19 §4) ---


def _collected(work):
    with open(work / "collected.csv", newline="", encoding="utf-8") as f:
        collected = {r["student"]: r for r in csv.DictReader(f)}
    with open(work / "gradebook-mle.csv", newline="", encoding="utf-8") as f:
        book = {r["student"]: r for r in csv.DictReader(f)}
    return collected, book


@pytest.mark.parametrize("user", ["root", "normal"])
def test_classroom_a_backdated_late_commit_is_not_graded_and_a_huge_file_is_not_checked_out(tmp_path, user):
    """Three student repositories, collected through the CLI with a fake GitHub push log on loopback:

    backdated  a stub pushed in time, then the reference made an hour late with GIT_COMMITTER_DATE
               set before the deadline (``git rev-list --before`` took it: 100). The push log says
               it was pushed late: the stub is graded and the row is flagged;
    unlogged   the same, but the server has no push log for it (404): the branch head is graded
               and the status says plainly that lateness was not verified;
    huge       the reference beside a 256 MiB file that packs to a few KiB: the file is left out
               by name (its size read from the tree), never written, and the module is graded.
    """
    from frontdoors.classroom.collect import MAX_CHECKOUT_FILE_BYTES
    from tests.fake_github import FakeGitHub, git_commit

    run = runner(user)
    base = run.scratch_folder("classroom") if run.scratch else tmp_path
    org = base / "org"
    ref, stub = reference_source("mle"), stub_source("mle")
    with FakeGitHub.serving() as gh:
        commits = {}
        for name in ("backdated", "unlogged"):
            on_time = git_commit(org / name, "2026-11-15T20:00:00+00:00", {"mle.py": stub})
            late = git_commit(org / name, "2026-11-15T23:00:00+00:00", {"mle.py": ref})   # made 00:59
            commits[name] = on_time, late
        gh.push("org/backdated", commits["backdated"][0], "2026-11-15T20:00:40+00:00")
        gh.push("org/backdated", commits["backdated"][1], "2026-11-16T00:59:10+00:00")
        huge = git_commit(org / "huge", "2026-11-14T10:00:00+00:00", {"mle.py": ref, "data.bin": 256 << 20})
        gh.push("org/huge", huge, "2026-11-14T10:00:30+00:00")
        run.own(base)
        work = base / "work"
        proc = run.run(["-m", "frontdoors.classroom.collect", "mle",
                        *((org / n).as_uri() for n in ("backdated", "unlogged", "huge")),
                        "--deadline", "2026-11-15 23:59 +0000", "--work", str(work), "--jobs", "2"],
                       timeout=1800, env=gh.env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    collected, book = _collected(work)
    total = {s: float(book[s]["total"]) for s in book}
    assert collected["backdated"]["commit"] == commits["backdated"][0], collected["backdated"]
    assert collected["backdated"]["date"] == "2026-11-15T20:00:40+00:00"   # the server's, not the student's
    assert commits["backdated"][1][:12] in collected["backdated"]["flags"]
    assert total["backdated"] == 0 and book["backdated"]["collection"].startswith("FLAGGED: commit ")
    assert collected["unlogged"]["commit"] == commits["unlogged"][1] and total["unlogged"] == 100
    for said in (collected["unlogged"]["status"], book["unlogged"]["collection"]):
        assert said.startswith("lateness not verified") and "HTTP 404" in said, said
    assert "data.bin is 256.0 MiB" in collected["huge"]["not_checked_out"] and total["huge"] == 100
    assert "data.bin is 256.0 MiB" in book["huge"]["collection"]
    assert not (work / "submissions" / "huge" / "data.bin").exists()
    assert all(f.stat().st_size <= MAX_CHECKOUT_FILE_BYTES for f in (work / "submissions").rglob("*") if f.is_file())
    assert gh.token not in (work / "collected.csv").read_text() + (work / "gradebook-mle.csv").read_text()


# --- a file named after another student (issue 19 §3) ---


@pytest.mark.parametrize("user", ["root", "normal"])
def test_lms_file_naming_another_student_is_given_to_no_one_and_named_in_the_gradebook(tmp_path, user):
    """Mallory uploads ``x_jdoe_attempt_2099-12-31-23-59-59_mle.py`` (a stub): Blackboard names it
    ``Homework 1_mallory_attempt_<stamp>_x_jdoe_attempt_2099-…``, which the old name pattern read
    as jdoe's latest attempt, so jdoe was graded on mallory's file. A name that reads as two
    students', a Blackboard assignment holding ``_attempt_`` again or an attempt dated in the
    future is now a gradebook row of its own, with the reason, given to no student."""
    folder = class_folder(user, tmp_path, "lms-two-names")
    (folder / "Homework 1_jdoe_attempt_2026-05-01-12-00-00_mle.py").write_text(reference_source("mle"))
    (folder / "Homework 1_jdoe_attempt_2026-05-01-12-00-00.txt").write_text("receipt")
    hostile = ["Homework 1_mallory_attempt_2026-05-02-12-00-00_x_jdoe_attempt_2099-12-31-23-59-59_mle.py",
               "x_jdoe_attempt_2099-12-31-23-59-59_mle.py",
               "Homework_attempt_1_jdoe_attempt_2026-05-03-12-00-00_mle.py",
               "smithbob_340934_208490284_x_jdoe_attempt_2026-05-04-12-00-00_mle.py",
               "Jane Doe_12345_assignsubmission_file_x_jdoe_attempt_2026-05-05-12-00-00_mle.py"]
    for name in hostile:
        (folder / name).write_text(stub_source("mle"))
    graded = grade_class("mle", folder, user=user, seed=None)
    rows, results = graded.rows, graded.results
    assert rows["jdoe"][1] == "100" and results["jdoe"]["score"] == 100, rows.get("jdoe")
    for name in hostile:
        assert name in rows, (name, sorted(rows))
        assert rows[name][1] == "" and "given to no student" in rows[name][2], rows[name]
    assert set(rows) == {"jdoe", *hostile}  # nobody else: neither dropped nor given to mallory

