"""The instructor's gradebook (gradebook/): the LMS exports and the late policy, on results folders
made here (no grading): each export read back as its LMS reads it (the csv module, the LMS's header
names and id key) gives the totals back; a roster's other columns and rows stay as they were; a
policy's penalties follow its rule; a bad policy names its key. The hostile end-to-end cases (graded
by grade-all as root and as a normal user) are in tests/test_hostile_export.py.
"""
import csv
import datetime as dt
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import batch
from gradebook import lms, policy
from tests.conftest import ROOT

POLICY = """\
deadline = 2026-05-01T23:59:00
timezone = "Europe/Berlin"
grace_minutes = 10

[late]
penalty_percent = 10
per = "day"
nothing_after = 3

[extensions]
erin = 2026-05-05T23:59:00
"""


def _results(score, tests=((5, 5), (5, 10)), reason_key=""):
    """A results dict of the engine's shape: tests (score, max), the kit's block."""
    return {"score": score, "tests": [{"name": f"t{i}", "score": s, "max_score": m} for i, (s, m) in enumerate(tests)],
            "autograder": {"reason_key": reason_key}}


def results_folder(tmp_path, files, scores, assignment="mle"):
    """A results folder as grade-all leaves it, for a download folder holding ``files`` (names):
    the class's identities as :func:`autograder.batch.discover` reads them, and per student the
    results ``scores[who]`` (a results dict; a student left out has none)."""
    download = tmp_path / "download"
    download.mkdir()
    for name in files:
        (download / name).write_text("x = 1\n")
    students, _ = batch.discover(download, assignment)
    out = tmp_path / "results"
    store = batch.Store(out)
    store.save_class(assignment, 1, students)
    for s in students:
        if s.who in scores:
            (out / f"{s.stem}.json").write_text(json.dumps(scores[s.who]))
    return out, {s.who: s for s in students}


def gradebook(*args):
    return subprocess.run([sys.executable, "-m", "gradebook", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def read(path, delimiter=","):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


# ---------------------------------------------------------------------------- exports, round trips


CANVAS = ["smithbob_340934_208490284_mle.py", "doejane_late_120001_208490285_mle.py",
          "roeann_120002_208490286_mle.py"]


def test_canvas_export_round_trips_through_canvas_headers_and_id(tmp_path):
    scores = {"smithbob_340934": _results(12.5), "doejane_120001": _results(3),
              "roeann_120002": _results(0, reason_key="syntax")}
    out, _ = results_folder(tmp_path, CANVAS, scores)
    proc = gradebook(out, "--export", "canvas", tmp_path / "c.csv")
    assert proc.returncode == 0, proc.stderr
    rows = read(tmp_path / "c.csv")
    assert list(rows[0]) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "mle"]
    by_id = {r["ID"]: r for r in rows}
    assert float(by_id["340934"]["mle"]) == scores["smithbob_340934"]["score"]
    assert float(by_id["120001"]["mle"]) == scores["doejane_120001"]["score"]
    # could not be graded: an empty cell (never a 0), and the reason is printed (Canvas has no comment column)
    assert by_id["120002"]["mle"] == "" and "syntax error" in proc.stderr


def test_moodle_export_is_the_grading_worksheet_its_upload_reads(tmp_path):
    files = ["Bob Smith_101_assignsubmission_file_mle.py", "Ann Roe_102_assignsubmission_file_mle.py"]
    scores = {"Bob Smith_101": _results(7.25), "Ann Roe_102": _results(1, reason_key="import_timeout")}
    out, _ = results_folder(tmp_path, files, scores)
    assert gradebook(out, "--export", "moodle", tmp_path / "m.csv").returncode == 0
    rows = {r["Identifier"]: r for r in read(tmp_path / "m.csv")}
    # importgradeslib.php needs Identifier ("Participant <id>"), Grade and Last modified (grade)
    assert set(rows) == {"Participant 101", "Participant 102"}
    assert all(r["Last modified (grade)"] for r in rows.values())
    assert float(rows["Participant 101"]["Grade"]) == scores["Bob Smith_101"]["score"]
    assert rows["Participant 102"]["Grade"] == ""
    assert "import timeout" in rows["Participant 102"]["Feedback comments"]


def test_blackboard_export_keys_usernames_and_states_the_points(tmp_path):
    files = ["HW1_bsmith_attempt_2026-05-01-12-00-00_mle.py", "HW1_aroe_attempt_2026-05-01-12-00-00_mle.py",
             "HW1_aroe_attempt_2026-04-30-12-00-00_mle.py"]
    scores = {"bsmith": _results(9), "aroe": _results(4.5)}
    out, _ = results_folder(tmp_path, files, scores)
    assert gradebook(out, "--export", "blackboard", tmp_path / "b.csv", "--column", "Homework 1").returncode == 0
    text = (tmp_path / "b.csv").read_text()
    assert text.startswith('"Last Name","First Name","Username"')   # every cell quoted
    rows = {r["Username"]: r for r in read(tmp_path / "b.csv")}
    points = sum(m for _, m in ((5, 5), (5, 10)))
    column = f"Homework 1 [Total Pts: {points} Score]"
    assert {u: float(r[column]) for u, r in rows.items()} == {u: s["score"] for u, s in scores.items()}


def test_out_of_rescales_to_the_lms_maximum(tmp_path):
    out, _ = results_folder(tmp_path, CANVAS[:1], {"smithbob_340934": _results(6)})
    assert gradebook(out, "--export", "canvas", tmp_path / "c.csv", "--out-of", 50).returncode == 0
    (row,) = read(tmp_path / "c.csv")
    assert math.isclose(float(row["mle"]), 6 * 50 / 15)


CANVAS_ROSTER = [
    ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Quiz 1 (9)", "mle (12345)", "Current Score"],
    ["    Points Possible", "", "", "", "", "10", "100", "(read only)"],
    ["Smith, Bob", "340934", "S1", "bsmith", "A", "7", "", "70"],
    ["Doe, Jane", "120001", "S2", "jdoe", "A", "-1", "55", "55"],
    ["Noone, Ned", "999999", "S3", "nnoone", "B", "=1+1", "40", "40"],
]


def _write_csv(path, rows, delimiter=",", encoding="utf-8"):
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    Path(path).write_text(buf.getvalue(), encoding=encoding)
    return path


def test_a_canvas_roster_is_filled_in_and_everything_else_kept(tmp_path):
    out, _ = results_folder(tmp_path, CANVAS[:2], {"smithbob_340934": _results(8), "doejane_120001": _results(2)})
    roster = _write_csv(tmp_path / "roster.csv", CANVAS_ROSTER)
    proc = gradebook(out, "--export", "canvas", tmp_path / "c.csv", "--roster", roster)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "c.csv", newline="") as f:
        header, *rows = list(csv.reader(f))
    assert header == CANVAS_ROSTER[0]
    col = header.index("mle (12345)")
    for before, after in zip(CANVAS_ROSTER[1:], rows):
        kept = [c for i, c in enumerate(after) if i != col]
        want = [("'" + c if c.startswith("=") else c) for i, c in enumerate(before) if i != col]
        assert kept == want                     # every other column as it was (a formula defused)
    assert rows[0][col] == "100"                # Points Possible: no student's row, untouched
    assert float(rows[1][col]) == 8 and float(rows[2][col]) == 2
    assert rows[3][col] == ""                   # in the roster, no submission: empty, not 0


def test_a_moodle_roster_says_no_submission(tmp_path):
    files = ["Bob Smith_101_assignsubmission_file_mle.py"]
    out, _ = results_folder(tmp_path, files, {"Bob Smith_101": _results(5)})
    header = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
              "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
    roster = _write_csv(tmp_path / "w.csv", [header, ["Participant 101", "Bob Smith", "b@x", "", "", "100", "Yes", "", "-", ""],
                                             ["Participant 103", "Cy Lo", "c@x", "", "", "100", "Yes", "", "-", ""]])
    assert gradebook(out, "--export", "moodle", tmp_path / "m.csv", "--roster", roster).returncode == 0
    rows = {r["Identifier"]: r for r in read(tmp_path / "m.csv")}
    assert float(rows["Participant 101"]["Grade"]) == 5
    assert rows["Participant 103"]["Grade"] == "" and rows["Participant 103"]["Feedback comments"] == lms.NO_SUBMISSION


def test_a_blackboard_utf16_tab_download_is_read(tmp_path):
    files = ["HW1_bsmith_attempt_2026-05-01-12-00-00_mle.py"]
    out, _ = results_folder(tmp_path, files, {"bsmith": _results(6)})
    header = ["Last Name", "First Name", "Username", "Student ID", "Last Access", "Availability",
              "mle [Total Pts: 100 Score] |777"]
    roster = tmp_path / "gc.xls"
    _write_csv(roster, [header, ["Smith", "Bob", "bsmith", "1", "", "Available", "3"]], delimiter="\t", encoding="utf-16")
    assert gradebook(out, "--export", "blackboard", tmp_path / "b.csv", "--roster", roster).returncode == 0
    (row,) = read(tmp_path / "b.csv", delimiter="\t")
    assert float(row["mle [Total Pts: 100 Score] |777"]) == 6 and row["Last Name"] == "Smith"
    # a column name with a comma in a tab-delimited download is still one column
    header[5] = "Availability, term 1"
    _write_csv(roster, [header, ["Smith", "Bob", "bsmith", "1", "", "Available", "3"]], delimiter="\t", encoding="utf-16")
    assert gradebook(out, "--export", "blackboard", tmp_path / "b.csv", "--roster", roster).returncode == 0
    (row,) = read(tmp_path / "b.csv", delimiter="\t")
    assert float(row["mle [Total Pts: 100 Score] |777"]) == 6 and row["Availability, term 1"] == "Available"


def test_a_folder_class_needs_a_download_or_a_roster(tmp_path):
    classdir = tmp_path / "class"
    (classdir / "bsmith").mkdir(parents=True)
    students, _ = batch.discover(classdir, "mle")
    out = tmp_path / "results"
    batch.Store(out).save_class("mle", 1, students)
    (out / "bsmith.json").write_text(json.dumps(_results(4)))
    proc = gradebook(out, "--export", "blackboard", tmp_path / "b.csv")
    assert proc.returncode == 2 and "needs each student's blackboard identity" in proc.stderr
    assert "--roster" in proc.stderr and not (tmp_path / "b.csv").exists()
    roster = _write_csv(tmp_path / "gc.csv", [["Username", "mle [Total Pts: 15 Score]"], ["bsmith", ""]])
    assert gradebook(out, "--export", "blackboard", tmp_path / "b.csv", "--roster", roster).returncode == 0
    assert float(read(tmp_path / "b.csv")[0]["mle [Total Pts: 15 Score]"]) == 4


@pytest.mark.parametrize("rows, why", [
    ([["Name", "mle (1)"], ["x", ""]], "no 'ID' column"),
    ([["Student", "ID", "Quiz (1)"], ["x", "1", ""]], "no column 'mle'"),
    ([["Student", "ID", "mle (1)", "mle (2)"], ["x", "1", "", ""]], "more than one column"),
])
def test_a_roster_without_the_columns_is_refused_naming_them(tmp_path, rows, why):
    out, _ = results_folder(tmp_path, CANVAS[:1], {"smithbob_340934": _results(1)})
    proc = gradebook(out, "--export", "canvas", tmp_path / "c.csv", "--roster", _write_csv(tmp_path / "r.csv", rows))
    assert proc.returncode == 2 and why in proc.stderr, proc.stderr
    assert not (tmp_path / "c.csv").exists()


# ---------------------------------------------------------------------------- the late policy


def _stamp(when):
    return when.strftime("%Y-%m-%d-%H-%M-%S")


def test_penalties_follow_the_rule_from_blackboards_stamps(tmp_path):
    pol = policy.parse(POLICY)
    deadline = pol.deadline.replace(tzinfo=None)
    day = dt.timedelta(days=1)
    submitted = {"ontime": deadline - dt.timedelta(hours=1), "grace": deadline + pol.grace,
                 "oneday": deadline + pol.grace + dt.timedelta(minutes=1), "twodays": deadline + day + dt.timedelta(hours=1),
                 "toolate": deadline + 3 * day + dt.timedelta(minutes=1), "erin": deadline + 2 * day}
    files = [f"HW1_{who}_attempt_{_stamp(at)}_mle.py" for who, at in submitted.items()]
    scores = {who: _results(10) for who in submitted}
    out, _ = results_folder(tmp_path, files, scores)
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(POLICY)
    assert gradebook(out, "--policy", policy_file, "--export", "blackboard", tmp_path / "b.csv").returncode == 0
    late = json.loads((out / ".grade-all" / "late.json").read_text())
    assert late["rule"] == pol.rule()
    rows = {late["students"][stem]["submitted_at"][:16]: late["students"][stem] for stem in late["students"]}
    for who, at in submitted.items():
        row = rows[at.replace(tzinfo=pol.zone).isoformat()[:16]]
        deadline_of = pol.extensions.get(who, pol.deadline)
        late_by = at.replace(tzinfo=pol.zone) - deadline_of
        periods = 0 if late_by <= pol.grace else math.ceil(late_by / dt.timedelta(days=1))
        want = 10 if periods > pol.nothing_after else min(10, 10 * pol.percent / 100 * periods)
        assert math.isclose(row["penalty"], want), (who, row)
        assert math.isclose(row["total"], 10 - want) and row["raw"] == 10
        assert row["evidence"].startswith("Blackboard's attempt stamp")
    assert {r["penalty"] for r in rows.values()} >= {0, 1, 2, 10}   # every branch of the rule was met
    (tmp_path / "typo.toml").write_text(POLICY.replace("erin =", "eirn ="))
    proc = gradebook(out, "--policy", tmp_path / "typo.toml")
    assert proc.returncode == 0 and "extension for 'eirn' names no student" in proc.stderr
    exported = {r["Username"]: float(r["mle [Total Pts: 15 Score]"]) for r in read(tmp_path / "b.csv")}
    by_stem = late["students"]
    assert exported == {s: by_stem[s]["total"] for s in by_stem}


def test_no_evidence_means_no_penalty_and_a_file_time_is_never_used(tmp_path):
    files = ["Bob Smith_101_assignsubmission_file_mle.py"]
    out, students = results_folder(tmp_path, files, {"Bob Smith_101": _results(10)})
    late_time = policy.parse(POLICY).deadline.timestamp() + 30 * 86400
    for path in (tmp_path / "download").iterdir():
        os.utime(path, (late_time, late_time))   # a month late by its mtime, which the student sets
    (tmp_path / "p.toml").write_text(POLICY)
    assert gradebook(out, "--policy", tmp_path / "p.toml").returncode == 0
    (row,) = json.loads((out / ".grade-all" / "late.json").read_text())["students"].values()
    assert row["penalty"] == 0 and row["submitted_at"] == ""
    assert row["evidence"] == "no evidence of the time: no penalty applied"
    (tmp_path / "z.toml").write_text(POLICY.replace("nothing_after = 3", 'nothing_after = 3\nwithout_evidence = "zero"'))
    assert gradebook(out, "--policy", tmp_path / "z.toml").returncode == 0
    (row,) = json.loads((out / ".grade-all" / "late.json").read_text())["students"].values()
    assert row["total"] == 0 and "without_evidence" in row["evidence"]


def test_canvas_late_mark_is_whether_not_when(tmp_path):
    out, _ = results_folder(tmp_path, CANVAS[:2], {"smithbob_340934": _results(10), "doejane_120001": _results(10)})
    (tmp_path / "p.toml").write_text(POLICY)
    assert gradebook(out, "--policy", tmp_path / "p.toml").returncode == 0
    rows = json.loads((out / ".grade-all" / "late.json").read_text())["students"]
    assert rows["doejane_120001"]["late_by"] == "late (time unknown)" and rows["doejane_120001"]["penalty"] == 0
    assert rows["smithbob_340934"]["late_by"].startswith("on time")
    (tmp_path / "o.toml").write_text(POLICY.replace("nothing_after = 3", 'nothing_after = 3\ncanvas_late = "one-period"'))
    assert gradebook(out, "--policy", tmp_path / "o.toml").returncode == 0
    rows = json.loads((out / ".grade-all" / "late.json").read_text())["students"]
    assert math.isclose(rows["doejane_120001"]["penalty"], 10 * policy.parse(POLICY).percent / 100)


@pytest.mark.parametrize("change, key", [
    (("deadline = 2026-05-01T23:59:00\n", ""), "deadline"),
    (('timezone = "Europe/Berlin"', 'timezone = "Mars/Olympus"'), "timezone"),
    (("deadline = 2026-05-01T23:59:00", 'deadline = "tomorrow"'), "deadline"),
    (("deadline = 2026-05-01T23:59:00", "deadline = 2026-05-01"), "deadline"),
    (("penalty_percent = 10", "penalty_percent = 110"), "late.penalty_percent"),
    (("penalty_percent = 10", 'penalty_percent = "ten"'), "late.penalty_percent"),
    (('per = "day"', 'per = "week"'), "late.per"),
    (("nothing_after = 3", "nothing_after = 2.5"), "late.nothing_after"),
    (("grace_minutes = 10", "grace_minutes = -5"), "grace_minutes"),
    (("erin = 2026-05-05T23:59:00", 'erin = "soon"'), "extensions.erin"),
    (("[late]", "[lateness]"), "lateness"),
    (("per = \"day\"", "per = \"day\"\npenalty = 3"), "late.penalty"),
    (("[late]", "[late"), "not valid TOML"),
])
def test_a_bad_policy_names_its_key_and_exits_2(tmp_path, change, key):
    out, _ = results_folder(tmp_path, CANVAS[:1], {"smithbob_340934": _results(1)})
    assert change[0] in POLICY
    (tmp_path / "p.toml").write_text(POLICY.replace(*change))
    proc = gradebook(out, "--policy", tmp_path / "p.toml", "--check")
    assert proc.returncode == 2 and key in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
