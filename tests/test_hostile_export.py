"""Hostile classes for the gradebook's way back into the LMS and its late policy (issue 23 §1-2),
graded by ``grade-all --export / --policy`` as root and as a normal user: an LMS name that is a
spreadsheet formula, a student the download lacks, two downloads claiming one LMS id, a download
whose name is not the roster's for that id, a roster or policy that is a link, a FIFO or huge, a
late class whose penalties come from Blackboard's stamps and never from a file's time.
"""
import csv
import datetime as dt
import math
import os
import subprocess

import pytest

from gradebook import policy
from samples.submissions import reference_source
from tests.conftest import grade_all, grade_class, runner
from tests.hostile_cases import class_folder

USERS = ["root", "normal"]


def _csv(path, rows, user):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    runner(user).own(path)
    return path


def _rows(path, key):
    with open(path, newline="", encoding="utf-8") as f:
        return {r[key]: r for r in csv.DictReader(f)}


def _out(folder, user, name):
    """A path beside the class folder that ``user`` may write."""
    runner(user).own(folder.parent)
    return folder.parent / name


@pytest.mark.parametrize("user", USERS)
def test_moodle_roster_a_formula_name_a_failed_grading_and_a_missing_student(tmp_path, user):
    """A Moodle name that is a spreadsheet formula reaches the worksheet defused; a grading that
    could not complete is an empty cell with its reason; a roster student without a submission is
    an empty cell and "no submission"; the roster's other columns stay as they were."""
    folder = class_folder(user, tmp_path, "moodle-export")
    formula = '=HYPERLINK("x")'
    (folder / f"{formula}_101_assignsubmission_file_mle.py").write_text(reference_source("mle"))
    (folder / "Bob Smith_102_assignsubmission_file_mle.py").write_text("def broken(:\n")
    runner(user).own(folder)
    header = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
              "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
    roster = _csv(folder.parent / "worksheet.csv", [
        header,
        ["Participant 101", formula, "a@example.org", "Submitted", "", "100", "Yes", "", "", ""],
        ["Participant 102", "Bob Smith", "b@example.org", "Submitted", "", "100", "Yes", "", "", ""],
        ["Participant 103", "Cy Lo", "+c@example.org", "No submission", "", "100", "Yes", "", "", ""]], user)
    export = _out(folder, user, "moodle.csv")
    graded = grade_class("mle", folder, "--export", "moodle", str(export), "--roster", str(roster), user=user)
    rows = _rows(export, "Identifier")
    (complete,) = [r for r in graded.results.values() if not r["autograder"]["reason_key"]]
    assert float(rows["Participant 101"]["Grade"]) == complete["score"] > 0
    assert rows["Participant 101"]["Full name"] == "'" + formula          # defused, never a formula
    assert rows["Participant 103"]["Email address"] == "'+c@example.org"
    assert rows["Participant 102"]["Grade"] == "" and "syntax error" in rows["Participant 102"]["Feedback comments"]
    assert rows["Participant 103"]["Grade"] == "" and rows["Participant 103"]["Feedback comments"] == "no submission"
    assert [r["Status"] for r in rows.values()] == ["Submitted", "Submitted", "No submission"]


@pytest.mark.parametrize("user", USERS)
def test_canvas_downloads_claiming_one_id_or_another_students_name_are_not_exported(tmp_path, user):
    """Two downloads that claim one Canvas user id are both left empty and say so (neither takes the
    other's grade); a download whose name part is not the roster's name for its id is refused the same
    way; an honest student's total goes to their row."""
    folder = class_folder(user, tmp_path, "canvas-export")
    ref = reference_source("mle")
    for name in ("smithbob_340934_1_mle.py", "mallory_340934_2_mle.py", "mallory_120001_3_mle.py",
                 "roeann_120002_4_mle.py"):
        (folder / name).write_text(ref)
    runner(user).own(folder)
    roster = _csv(folder.parent / "canvas.csv", [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "mle (77)"],
        ["Smith, Bob", "340934", "", "", "", "13"],
        ["Doe, Jane", "120001", "", "", "", "12"],
        ["Roe, Ann", "120002", "", "", "", ""]], user)
    export = _out(folder, user, "canvas.csv")
    graded = grade_class("mle", folder, "--export", "canvas", str(export), "--roster", str(roster), user=user)
    rows = _rows(export, "ID")
    assert float(rows["120002"]["mle (77)"]) == graded.results["roeann_120002"]["score"] > 0
    assert rows["340934"]["mle (77)"] == "" and rows["120001"]["mle (77)"] == ""
    err = graded.proc.stderr
    assert "2 submissions claim the LMS id 340934" in err and "'mallory', the roster does not" in err


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("kind", ["link", "fifo", "huge"])
@pytest.mark.parametrize("what", ["roster", "policy"])
def test_a_roster_or_policy_that_is_no_regular_file_stops_before_grading(tmp_path, user, kind, what):
    folder = class_folder(user, tmp_path, f"bad-{what}")
    (folder / "smithbob_340934_1_mle.py").write_text(reference_source("mle"))
    target = folder.parent / f"{what}.csv"
    if kind == "link":
        secret = folder.parent / "secret.csv"
        secret.write_text("Student,ID,mle\nx,340934,1\n")
        target.symlink_to(secret)
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        with open(target, "wb") as f:
            f.truncate(64 << 20)
    runner(user).own(folder.parent)
    flags = (["--export", "canvas", str(folder.parent / "out.csv"), "--roster", str(target)] if what == "roster"
             else ["--policy", str(target)])
    proc = grade_all("mle", folder, "--results-dir", str(folder.parent / "res"), *flags, user=user, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    word = {"link": "a symbolic link", "fifo": "a FIFO", "huge": "bytes"}[kind]
    assert f"the {what} " in proc.stderr and word in proc.stderr, proc.stderr[-2000:]
    assert "Grading " not in proc.stderr and not (folder.parent / "out.csv").exists()
    assert not list((folder.parent / "res").glob("*.json"))


@pytest.mark.parametrize("user", USERS)
def test_a_folder_class_export_says_it_needs_a_download_or_a_roster(tmp_path, user):
    folder = class_folder(user, tmp_path, "folders")
    (folder / "ada").mkdir()
    (folder / "ada" / "mle.py").write_text(reference_source("mle"))
    runner(user).own(folder)
    proc = grade_all("mle", folder, "--export", "moodle", str(_out(folder, user, "m.csv")), user=user, timeout=300)
    assert proc.returncode == 2 and "one folder per student (no LMS download)" in proc.stderr
    assert "--roster" in proc.stderr and "Grading " not in proc.stderr


POLICY = """\
deadline = 2026-05-01T23:59:00
timezone = "America/New_York"
grace_minutes = 15

[late]
penalty_percent = 20
per = "day"
nothing_after = 2

[extensions]
erin = 2026-05-04T12:00:00
"""


@pytest.mark.parametrize("user", USERS)
def test_a_late_class_is_charged_from_blackboards_stamps_never_from_file_times(tmp_path, user):
    """Blackboard's attempt stamps (the server's clock) decide lateness: on time, one started day, too
    late, and late but within an extension; a Moodle file whose modification time the student set a
    month late has no evidence of its time and no penalty. The gradebook's total is after the
    penalty (raw_total kept), and the pages state the rule."""
    pol = policy.parse(POLICY)
    deadline = pol.deadline.replace(tzinfo=None)
    at = {"ontime": deadline - dt.timedelta(hours=2), "oneday": deadline + dt.timedelta(hours=3),
          "toolate": deadline + dt.timedelta(days=2, hours=1), "erin": deadline + dt.timedelta(days=2)}
    folder = class_folder(user, tmp_path, "late")
    for who, when in at.items():
        (folder / f"HW1_{who}_attempt_{when:%Y-%m-%d-%H-%M-%S}_mle.py").write_text(reference_source("mle"))
    moodle = folder / "Mo Dell_55_assignsubmission_file_mle.py"
    moodle.write_text(reference_source("mle"))
    month_late = pol.deadline.timestamp() + 30 * 86400
    os.utime(moodle, (month_late, month_late))
    runner(user).own(folder)
    policy_file = folder.parent / "policy.toml"
    policy_file.write_text(POLICY)
    feedback = folder.parent / "feedback"
    runner(user).own(folder.parent)
    graded = grade_class("mle", folder, "--policy", str(policy_file), "--feedback", str(feedback), user=user)
    header, rows = graded.header, graded.rows
    assert header[3:8] == ["raw_total", "submitted_at", "late_by", "penalty", "evidence"]
    col = {h: i for i, h in enumerate(header)}
    for who, when in at.items():
        row = rows[who]
        raw = graded.results[who]["score"]
        late_by = when.replace(tzinfo=pol.zone) - pol.extensions.get(who, pol.deadline)
        periods = 0 if late_by <= pol.grace else math.ceil(late_by / dt.timedelta(days=1))
        want = raw if periods > pol.nothing_after else raw * pol.percent / 100 * periods
        assert math.isclose(float(row[col["penalty"]]), want), (who, row[:8])
        assert math.isclose(float(row[col["total"]]), raw - want) and float(row[col["raw_total"]]) == raw
        assert "Blackboard's attempt stamp" in row[col["evidence"]]
    assert {float(rows[w][col["penalty"]]) > 0 for w in at} == {True, False}
    mo = rows["Mo Dell_55"]
    assert float(mo[col["penalty"]]) == 0 and mo[col["submitted_at"]] == ""
    assert mo[col["evidence"]] == "no evidence of the time: no penalty applied"
    page = (feedback / "oneday.html").read_text()
    assert pol.rule().replace("'", "&#39;") in page and "Penalty: −" in page and "before the late penalty" in page
    report = (feedback / "class.html").read_text()
    assert 'id="late-rule"' in report and "America/New_York" in report
    assert "Late policy: " + pol.rule() in graded.proc.stdout


class _PushLog:
    """Push times as the server recorded them, per repository: {url: [(sha, aware time)]}."""

    def __init__(self, pushes):
        self.log = pushes

    def pushes(self, url, branch):
        from frontdoors.classroom import collect

        return [collect.Push(sha, at) for sha, at in self.log[url]]


def test_classroom_collect_with_a_policy_charges_by_the_servers_push_time(tmp_path):
    """collect --policy: each student's commit is the last pushed before their work stops counting,
    and its server push time (never the commit date, which one student backdates) decides the
    penalty; an extension moves that student's deadline."""
    from frontdoors.classroom import collect
    from tests.fake_github import git_commit

    pol = policy.parse(POLICY)
    deadline = pol.deadline
    ref = reference_source("mle")
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    plan = {   # student: (commit date the student wrote, push time the server recorded)
        "ontime": (deadline - hour, deadline - hour),
        "backdated": (deadline - hour, deadline + day + hour),   # pushed two started days late
        "erin": (deadline + day, deadline + day),                # within the extension
        "toolate": (deadline + 3 * day, deadline + 3 * day),     # after the last accepted time: not taken
    }
    repos, pushes = [], {}
    for who, (dated, pushed) in plan.items():
        repo = tmp_path / "org" / who
        repo.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        sha = git_commit(repo, dated.isoformat(), {"mle.py": ref})
        repos.append((who, repo.as_uri()))
        pushes[repo.as_uri()] = [(sha, pushed.astimezone(dt.timezone.utc))]
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(POLICY)
    work = tmp_path / "work"
    status = collect.collect("mle", repos, None, work, jobs=2, seed=1, push_log=_PushLog(pushes),
                             policy=policy_file, log=lambda *_: None)
    assert status == 0
    with open(work / "gradebook-mle.csv", newline="") as f:
        book = {r["student"]: r for r in csv.DictReader(f)}
    for who, (_, pushed) in plan.items():
        row = book[who]
        if who == "toolate":
            assert row["submitted_at"] == "" and "no push before" in row["collection"]
            continue
        late_by = pushed - pol.extensions.get(who, deadline)
        periods = 0 if late_by <= pol.grace else math.ceil(late_by / day)
        raw = float(row["raw_total"])
        assert raw > 0 and math.isclose(float(row["penalty"]), raw * pol.percent / 100 * periods), (who, row)
        assert row["evidence"] == "the server's push time (collected.csv)"
        assert dt.datetime.fromisoformat(row["submitted_at"]) == pushed
    assert float(book["backdated"]["penalty"]) > 0 == float(book["ontime"]["penalty"])


@pytest.mark.parametrize("user", USERS)
def test_blackboard_usernames_holding_an_underscore_are_two_students_with_their_own_rows(tmp_path, user):
    """Blackboard names a download ``<assignment>_<username>_attempt_…`` and a username may hold "_":
    ``HW1_john_smith`` and ``HW1_jane_smith`` were both read as the username ``smith`` — one student,
    Jane's later attempt graded and John's dropped as "an earlier attempt", the total exported to the
    roster's ``smith`` (who submitted nothing) and John and Jane left with "no submission"; Jane's
    extension, named by her username, named no student. The roster's usernames split the name."""
    pol = policy.parse(POLICY.replace("erin =", "jane_smith ="))
    deadline = pol.deadline.replace(tzinfo=None)
    folder = class_folder(user, tmp_path, "bb-underscore")
    for who, when in (("john_smith", deadline - dt.timedelta(hours=2)), ("jane_smith", deadline + dt.timedelta(days=1))):
        (folder / f"HW1_{who}_attempt_{when:%Y-%m-%d-%H-%M-%S}_mle.py").write_text(reference_source("mle"))
    runner(user).own(folder)
    policy_file = folder.parent / "policy.toml"
    policy_file.write_text(POLICY.replace("erin =", "jane_smith ="))
    column = "mle [Total Pts: 100 Score] |_4521"
    roster = _csv(folder.parent / "bb.csv", [
        ["Last Name", "First Name", "Username", "Student ID", "Last Access", "Availability", column],
        ["Smith", "John", "john_smith", "1", "", "Yes", ""], ["Smith", "Jane", "jane_smith", "2", "", "Yes", ""],
        ["Smith", "Sam", "smith", "3", "", "Yes", ""], ["Bo", "Ann", "ann", "4", "", "Yes", ""]], user)
    export = _out(folder, user, "bb-out.csv")
    graded = grade_class("mle", folder, "--export", "blackboard", str(export), "--roster", str(roster),
                         "--policy", str(policy_file), user=user)
    assert "earlier attempt" not in graded.proc.stdout + graded.proc.stderr
    rows = _rows(export, "Username")
    # "smith" is a username too: each download ends with two of the roster's, and is refused, said
    assert rows["smith"][column] == "" and rows["john_smith"][column] == "" and rows["jane_smith"][column] == ""
    assert "ends with more than one roster username" in graded.proc.stderr
    # without that ambiguity each gets their own row, Jane within her extension
    roster2 = _csv(folder.parent / "bb2.csv", [r for r in csv.reader(open(roster)) if r[2] != "smith"], user)
    graded = grade_class("mle", folder, "--export", "blackboard", str(export), "--roster", str(roster2),
                         "--policy", str(policy_file), user=user)
    rows = _rows(export, "Username")
    full = str(graded.results[next(iter(graded.results))]["score"])
    assert float(rows["john_smith"][column]) == float(rows["jane_smith"][column]) == float(full) > 0
    assert rows["ann"][column] == "" and "smith" not in rows
    assert "names no student" not in graded.proc.stderr and "ends with" not in graded.proc.stderr


@pytest.mark.parametrize("user", USERS)
def test_a_moodle_download_under_another_non_latin_name_is_refused(tmp_path, user):
    """The roster's name for an id and the download's are compared in forms with the non-ASCII
    letters dropped (Canvas's ``lastfirst``): for two names of no Latin letter both forms were
    empty, and "" matched "", so any such name passed for any other."""
    folder = class_folder(user, tmp_path, "moodle-cjk")
    (folder / "李娜_101_assignsubmission_file_mle.py").write_text(reference_source("mle"))
    (folder / "Ζωή Παππά_102_assignsubmission_file_mle.py").write_text(reference_source("mle"))
    runner(user).own(folder)
    header = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
              "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
    roster = _csv(folder.parent / "worksheet.csv", [
        header,
        ["Participant 101", "王伟", "w@example.org", "Submitted", "", "100", "Yes", "", "", ""],
        ["Participant 102", "Ζωή Παππά", "z@example.org", "Submitted", "", "100", "Yes", "", "", ""]], user)
    export = _out(folder, user, "moodle.csv")
    graded = grade_class("mle", folder, "--export", "moodle", str(export), "--roster", str(roster), user=user)
    rows = _rows(export, "Identifier")
    assert rows["Participant 101"]["Grade"] == "" and "the roster does not" in rows["Participant 101"]["Feedback comments"]
    assert float(rows["Participant 102"]["Grade"]) == max(r["score"] for r in graded.results.values()) > 0
