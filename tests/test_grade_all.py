"""grade-all as an instructor runs it: the gradebook, resuming, LMS downloads, Dask (docs/GRADING.md)."""
import csv
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import batch, cli
from tests.conftest import ROOT, grade_all, hidden_tests
from samples.submissions import reference_source, stub_source, write


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


KILLS_ITSELF = ("def gaussian_mle(", "import os as _os, signal as _signal\n\n\ndef gaussian_mle(*args, **kwargs):\n"
                "    _os.kill(_os.getpid(), _signal.SIGKILL)\n\n\ndef _unused_gaussian_mle(")
LOOPS = ("def bernoulli_mle(", "def bernoulli_mle(*args, **kwargs):\n    while True:\n        pass\n\n\n"
         "def _unused_bernoulli_mle(")


def patched(old_new):
    text = reference_source("mle")
    assert text.count(old_new[0]) == 1
    return text.replace(*old_new)


def test_gradebook_reasons_safe_cells_dot_folders_and_resume(tmp_path):
    folder = tmp_path / "class"
    write(folder / "ada", "mle", reference_source("mle"))
    write(folder / "=HYPERLINK(1)", "mle", "def broken(:\n")          # a formula as a name
    write(folder / ".late", "mle", reference_source("mle"))
    (folder / "cy").mkdir()
    (folder / "cy" / "notes.txt").write_text("I forgot the code")
    (folder / "dee").mkdir()
    (folder / "dee" / "mle.py").symlink_to(ROOT / "solutions" / "mle" / "mle.py")
    results, book = tmp_path / "results", tmp_path / "class.csv"
    proc = grade_all("mle", folder, "--jobs", "2", "--csv", str(book), "--results-dir", str(results))
    assert proc.returncode == 0, proc.stderr
    table = rows(book)
    assert table[0][:3] == ["student", "total", "reason"]
    assert len(table[0]) == 3 + len(hidden_tests("mle"))
    by_name = {r[0]: r for r in table[1:]}
    assert set(by_name) == {"'=HYPERLINK(1)", ".late", "ada", "cy", "dee"}, "every cell is spreadsheet-safe"
    assert by_name["ada"][1:3] == ["100", ""]
    assert by_name["'=HYPERLINK(1)"][1:3] == ["0", "syntax error"]
    assert by_name["cy"][1:3] == ["0", "missing module"]
    assert by_name["dee"][1] == "0" and "refused at intake" in by_name["dee"][2]
    assert by_name[".late"][1] == "" and "begins with a dot" in by_name[".late"][2]
    assert ".late" in proc.stdout and "begins with a dot" in proc.stdout, "a dot folder is listed, never dropped"
    assert "\r" not in proc.stderr and "it/s" not in proc.stderr, "no progress bar when stderr is not a terminal"
    kept = {p.stem: json.loads(p.read_text()) for p in results.glob("*.json")}
    assert kept["ada"]["score"] == 100 and "reason" not in kept["ada"], "results.json stays Gradescope's"
    # a re-run regrades nothing; a changed submission is regraded alone; --force regrades everyone
    proc = grade_all("mle", folder, "--jobs", "2", "--csv", str(book), "--results-dir", str(results))
    err = proc.stderr
    assert proc.returncode == 0 and "Grading 0 submissions" in err and "4 unchanged" in err, err
    assert rows(book) == table
    write(folder / "cy", "mle", stub_source("mle"))
    proc = grade_all("mle", folder, "--jobs", "2", "--csv", str(book), "--results-dir", str(results))
    err = proc.stderr
    assert proc.returncode == 0 and "Grading 1 submissions" in err and "3 unchanged" in err, err
    assert {r[0]: r[1:3] for r in rows(book)[1:]}["cy"] == ["0", ""]
    proc = grade_all("mle", folder, "--jobs", "2", "--results-dir", str(results), "--force")
    err = proc.stderr
    assert proc.returncode == 0 and "Grading 4 submissions" in err and "unchanged" not in err, err


def test_a_changed_hidden_test_regrades_everyone(tmp_path):
    student = batch.Student("ada", path=write(tmp_path / "ada", "mle", reference_source("mle")))
    before = batch.submission_hash(student, "mle"), batch.tests_hash("mle")
    assert batch.tests_hash("mle", kit=tmp_path) != before[1]   # another kit: other hidden tests
    (tmp_path / "ada" / "mle.py").write_text(reference_source("mle") + "\n# edited\n")
    assert batch.submission_hash(student, "mle") != before[0]


def test_an_lms_download_is_grouped_into_students(tmp_path):
    folder = tmp_path / "download"
    folder.mkdir()
    ref, stub = reference_source("mle"), stub_source("mle")
    files = {
        "smithbob_late_340934_208490284_mle-1.py": ref,                         # Canvas, resubmitted
        "Jane Doe_12345_assignsubmission_file_mle.py": stub,                     # Moodle
        "Homework 1_jdoe_attempt_2026-01-01-10-00-00_mle.py": stub,              # Blackboard, 1st
        "Homework 1_jdoe_attempt_2026-01-02-10-00-00_mle.py": ref,               # ... the latest
        "Homework 1_jdoe_attempt_2026-01-02-10-00-00.txt": "Name: J Doe\n",      # its receipt
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    book = tmp_path / "book.csv"
    proc = grade_all("mle", folder, "--jobs", "2", "--csv", str(book))
    assert proc.returncode == 0, proc.stderr
    got = {r[0]: r[1] for r in rows(book)[1:]}
    assert got == {"smithbob_340934": "100", "Jane Doe_12345": "0", "jdoe": "100"}
    assert "an earlier attempt" in proc.stderr


def test_a_folder_with_nothing_gradable_exits_2_and_says_what_it_found(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "grades.xlsx").write_text("not a submission")
    (folder / "mle.py").write_text(reference_source("mle"))
    proc = grade_all("mle", folder)
    assert proc.returncode == 2
    err = proc.stderr
    assert "nothing gradable" in err and "grades.xlsx" in err and "mle.py" in err
    assert "one sub-folder per student" in err and "Canvas" in err and "Moodle" in err


def test_an_output_path_that_is_a_device_or_a_file_is_refused(tmp_path):
    write(tmp_path / "class" / "ada", "mle", reference_source("mle"))
    proc = grade_all("mle", tmp_path / "class", "--csv", os.devnull)
    assert proc.returncode == 2 and "--csv path" in proc.stderr and "device" in proc.stderr
    (tmp_path / "file").write_text("x")
    proc = grade_all("mle", tmp_path / "class", "--results-dir", str(tmp_path / "file"))
    assert proc.returncode == 2 and "not a folder" in proc.stderr


def test_feedback_pages_and_the_class_report_also_for_resumed_students(tmp_path):
    """--feedback runs ``python -m reports RESULTS_DIR OUT`` (the grader never imports reports): the
    pages of a resumed student are drawn from the kept results and arrays, the same as before."""
    write(tmp_path / "class" / "ada", "mle", reference_source("mle"))
    write(tmp_path / "class" / ".dot", "mle", reference_source("mle"))
    fb, kept = tmp_path / "fb", tmp_path / "kept"
    proc = grade_all("mle", tmp_path / "class", "--feedback", str(fb), "--results-dir", str(kept))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in fb.iterdir()} >= {"ada.html", "ada.md", "class.html"}
    assert {p.name for p in kept.iterdir()} == {".grade-all", "ada.json", "ada.npz"}
    assert json.loads((kept / ".grade-all" / "class.json").read_text())["students"] == {"ada": "ada"}
    assert proc.stdout.count("class.html") == 1, "the summary is printed once, naming the class report"
    assert proc.stdout.index("Gradebook — mle") < proc.stdout.index("Class report — mle: 1 graded")
    first = (fb / "ada.md").read_text()
    assert "No picture" not in first and "Your Gaussian fit" in first
    (fb / "ada.md").unlink()
    proc = grade_all("mle", tmp_path / "class", "--feedback", str(fb), "--results-dir", str(kept))
    assert proc.returncode == 0 and "Grading 0 submissions" in proc.stderr, proc.stderr
    assert (fb / "ada.md").read_text() == first, "a resumed student's page is the same (pictures kept)"
    # the same pages again, from the results folder alone (a class graded earlier or elsewhere)
    proc = subprocess.run([sys.executable, "-m", "reports", str(kept), str(tmp_path / "again")], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
    assert proc.returncode == 0 and "Class report — mle: 1 graded" in proc.stdout, proc.stderr
    assert (tmp_path / "again" / "ada.md").read_text() == first


def test_pages_that_cannot_be_drawn_fail_the_run_and_keep_the_results(tmp_path):
    """When ``python -m reports`` fails, grade-all says so, exits 1 and keeps the results (a temporary
    folder when no --results-dir was given, named with the command that draws the pages again)."""
    write(tmp_path / "class" / "ada", "mle", reference_source("mle"))
    (tmp_path / "file").write_text("not a folder")
    book = tmp_path / "book.csv"
    proc = grade_all("mle", tmp_path / "class", "--csv", str(book), "--feedback", str(tmp_path / "file" / "fb"))
    err = proc.stderr
    assert proc.returncode == 1, err
    assert "the feedback pages could not be drawn" in err and "Not a directory" in err
    kept = re.search(r"the results are kept in (\S+); draw the pages again with: python -m reports \1 ", err)
    assert kept, err
    try:
        assert json.loads((Path(kept.group(1)) / "ada.json").read_text())["score"] == 100
    finally:
        shutil.rmtree(kept.group(1), ignore_errors=True)
    assert rows(book)[1][:2] == ["ada", "100"], "the gradebook is written all the same"


@pytest.mark.parametrize("address", ["", "   ", "tcp://", "http://scheduler:8786", "tcp://scheduler:port",
                                     "tcp://scheduler:99999", "tcp://two words:8786"])
def test_an_empty_or_malformed_dask_address_is_a_usage_error(address, tmp_path, capsys):
    """``--dask "$UNSET"`` used to grade on this machine without a word: it is a usage error (exit 2,
    argparse's, before anything is graded), and so is an address Dask cannot read."""
    write(tmp_path / "class" / "ada", "mle", reference_source("mle"))
    with pytest.raises(SystemExit) as stop:
        cli.main(["grade-all", "mle", str(tmp_path / "class"), "--dask", address, "--csv", str(tmp_path / "b.csv")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--dask" in err and ("empty" in err if not address.strip() else "not a Dask scheduler's address" in err)
    assert not (tmp_path / "b.csv").exists()
    for good in ("tcp://scheduler:8786", "scheduler:8786", "tls://10.0.0.1:8786", "tcp://[::1]:8786"):
        assert cli.dask_address(good) == good


def test_a_wide_gradebook_wraps_and_names_the_csv(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    names = [f"test number {i} (1 pt)" for i in range(1, 31)]
    students = [batch.Student("a-student-with-a-long-name"), batch.Student(".x", skipped="not graded: dot")]
    results = {"a-student-with-a-long-name": {"score": 30, "reason": "",
                                              "tests": [{"name": n, "score": 1} for n in names]}}
    out = io.StringIO()
    cli.print_gradebook("mle", students, results, names, 1, csv_path="book.csv", file=out)
    text = out.getvalue()
    assert all(len(line) <= 60 for line in text.splitlines() if not line.startswith("  T")), text
    assert all(f"T{i} " in text or f"T{i}\n" in text for i in range(1, 31)), "no test column is cut"
    assert "(1 of " in text and "book.csv" in text and "not graded: dot" in text


def test_dask_cluster_outputs_equal_a_local_run(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "class"
    write(folder / "ada", "mle", reference_source("mle"))
    write(folder / "bo", "mle", stub_source("mle"))
    write(folder / "kills_itself", "mle", patched(KILLS_ITSELF))
    write(folder / "loops", "mle", patched(LOOPS))
    proc = grade_all("mle", folder, "--jobs", "2", "--csv", str(tmp_path / "local.csv"),
                     "--results-dir", str(tmp_path / "local"))
    assert proc.returncode == 0, proc.stderr
    monkeypatch.setenv("PYTHONPATH", str(ROOT))     # the workers import the kit, as on a real cluster
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        proc = grade_all("mle", folder, "--dask", cluster.scheduler_address,
                         "--csv", str(tmp_path / "dask.csv"), "--results-dir", str(tmp_path / "dask"))
    assert proc.returncode == 0, proc.stderr
    assert "on the Dask cluster" in proc.stderr
    assert rows(tmp_path / "dask.csv") == rows(tmp_path / "local.csv")
    for p in (tmp_path / "local").glob("*.json"):
        local, remote = json.loads(p.read_text()), json.loads((tmp_path / "dask" / p.name).read_text())
        local.pop("execution_time"), remote.pop("execution_time")
        local["autograder"].pop("timings"), remote["autograder"].pop("timings")
        assert remote == local, p.stem
    scores = {r[0]: r[1] for r in rows(tmp_path / "dask.csv")[1:]}
    assert scores["ada"] == "100" and scores["bo"] == "0"
    assert 0 < float(scores["kills_itself"]) < 100 and 0 < float(scores["loops"]) < 100


def test_expected_values_shared_by_the_class_are_computed_once_and_read_only():
    import numpy as np

    from autograder.harness import same_for_every_student

    calls = []

    def expensive(X, h):
        calls.append(h)
        return X * h

    cached = same_for_every_student(expensive)
    X = np.arange(6.0).reshape(3, 2)
    first = cached(X, 0.5)
    again = cached(X.copy(), 0.5)                 # the same values: computed once
    assert again is first and calls == [0.5]
    assert not first.flags.writeable, "no test can alter what the next student is compared with"
    other = cached(X + 1, 0.5)                    # other data (another seed): computed again
    assert calls == [0.5, 0.5] and np.array_equal(other, (X + 1) * 0.5)
    assert np.array_equal(cached(X, 0.25), X * 0.25) and len(calls) == 3


def test_a_worker_grades_each_next_student_in_a_sandbox_it_set_up_ahead(tmp_path, monkeypatch):
    """``engine.grade(..., spare=True)`` (what grade-all's and Dask's workers run) leaves the next
    grading sandboxes set up with no submission: its own and one per memory-limited test (kde's
    two). The next grading of the same class takes them and grades exactly as fresh sandboxes
    would. A grading whose private folders differ (another class) never takes them: they are
    closed and fresh ones started. No spare survives the process's end."""
    from autograder import engine, sandbox

    adopted = []
    adopt = sandbox.Session.adopt
    monkeypatch.setattr(sandbox.Session, "adopt", lambda self, *a: adopted.append(self) or adopt(self, *a))
    ada = write(tmp_path / "class" / "ada", "mle", reference_source("mle"))
    bo = write(tmp_path / "class" / "bo", "mle", stub_source("mle"))
    other = write(tmp_path / "other" / "cy", "mle", reference_source("mle"))
    kde = write(tmp_path / "kde" / "di", "kde", reference_source("kde"))
    mle_key = ("mle", sandbox.DEFAULT_MEMORY_MB)

    def outcome(g):
        return g.score, [(t.name, t.score, t.output) for t in g.tests]

    try:
        fresh = [outcome(engine.grade("mle", p, seed=3)) for p in (ada, bo)]
        assert not engine._SPARES and not adopted
        first = engine.grade("mle", ada, seed=3, spare=True)
        spare = engine._SPARES[mle_key]
        assert set(engine._SPARES) == {mle_key}
        assert not spare.sources and spare._seq == 0 and spare.proc.poll() is None and not adopted
        second = engine.grade("mle", bo, seed=3, spare=True)      # the same class: takes the spare
        assert adopted == [spare] and spare.proc is None          # used, then closed with its grading
        assert [outcome(first), outcome(second)] == fresh
        left = engine._SPARES[mle_key]
        assert outcome(engine.grade("mle", other, seed=3, spare=True)) == fresh[0]
        assert adopted == [spare] and left.proc is None           # another class: closed, not taken
        engine.grade("kde", kde, seed=3, spare=True)
        spares = {key: s for key, s in engine._SPARES.items() if key[0] == "kde"}
        assert len(spares) == 3 and all(s.memory_mb == key[1] for key, s in spares.items())
        assert engine.grade("kde", kde, seed=3, spare=True).score == 100
        assert set(adopted[1:]) == set(spares.values())           # its own and each memory-limited test's
    finally:
        engine._close_spares()
    assert not engine._SPARES


def test_an_lms_file_name_gives_the_file_to_exactly_one_student_or_to_none():
    """Canvas, Moodle and Blackboard names are read by patterns anchored on the LMS's own
    parts; a name with a second student's identity anywhere (which the student's own file
    name can carry), a Blackboard assignment holding '_attempt_' again, or an attempt stamp in
    the future or on no real date is refused with the reason, never given to anyone."""
    now = datetime.datetime(2026, 6, 1)
    good = {"smithbob_late_340934_208490284_mle-1.py": ("canvas", "smithbob_340934", "", "mle.py"),
            "Jane Doe_12345_assignsubmission_file_mle.py": ("moodle", "Jane Doe_12345", "", "mle.py"),
            "Homework 1_jdoe_attempt_2026-05-01-12-00-00_mle.py": ("blackboard", "jdoe", "2026-05-01-12-00-00",
                                                                    "mle.py"),
            "Homework 1_jdoe_attempt_2026-05-01-12-00-00.txt": ("blackboard", "jdoe", "2026-05-01-12-00-00", None)}
    for name, expected in good.items():
        r = batch.lms_reading(name, now=now)
        assert (r.lms, r.who, r.stamp, r.file) == expected, name
    assert batch.lms_reading("mle.py", now=now) is None
    refused = {"HW_mallory_attempt_2026-05-02-12-00-00_x_jdoe_attempt_2026-05-03-12-00-00_mle.py": "more than one",
               "mallory_1_2_Jane Doe_12345_assignsubmission_file_mle.py": "more than one",
               "smithbob_340934_208490284_jdoe_1_2_mle.py": "more than one",
               "Jane_1_assignsubmission_file_x_2_assignsubmission_file_mle.py": "more than one",
               "HW_attempt_1_jdoe_attempt_2026-05-03-12-00-00_mle.py": "'_attempt_' again",
               "x_jdoe_attempt_2026-06-03-12-00-00_mle.py": "in the future",
               "x_jdoe_attempt_2026-02-30-12-00-00_mle.py": "no real date"}
    for name, why in refused.items():
        with pytest.raises(ValueError, match=re.escape(why)):
            batch.lms_reading(name, now=now)
    # within a day of now is a server in another time zone, not the future
    assert batch.lms_reading("x_jdoe_attempt_2026-06-01-20-00-00_mle.py", now=now).who == "jdoe"


def test_the_class_report_lists_a_planted_pair_and_links_its_side_by_side_page(tmp_path):
    """grade-all keeps the module each student was graded on (.grade-all/sources/, as intake read it:
    here an LMS download's staged copy too), and --feedback's class report compares them: the renamed
    copy is listed, the typical mistake and the reference are not (issue #23 part 3)."""
    from samples import similar
    from samples.submissions import apply, catalogue

    folder = tmp_path / "class"
    lee, kim = similar.PAIR
    write(folder / lee, "mle", similar.lee())
    (folder / "kimdoe_340934_208490284_mle.py").write_text(similar.kim())  # a Canvas download's file
    write(folder / "ref", "mle", reference_source("mle"))
    write(folder / "typo", "mle", apply("mle", catalogue("mle")[0]))
    fb, kept = tmp_path / "fb", tmp_path / "kept"
    proc = grade_all("mle", folder, "--jobs", "2", "--feedback", str(fb), "--results-dir", str(kept))
    assert proc.returncode == 0, proc.stderr
    sources = kept / ".grade-all" / "sources"
    assert {p.name for p in sources.iterdir()} == {f"{lee}.py", "kimdoe_340934.py", "ref.py", "typo.py"}
    assert (sources / "kimdoe_340934.py").read_text() == similar.kim()
    assert f"{lee} ↔ kimdoe_340934: 100 % / 100 %" in proc.stdout, proc.stdout
    report = (fb / "class.html").read_text()
    pages = re.findall(r'href="(similar_[0-9a-f]+\.html)"', report)
    assert len(pages) == 1 and "kimdoe_340934" in (fb / pages[0]).read_text()
    assert "typo" not in re.search(r'<table id="similar-pairs">.*?</table>', report, re.S)[0]
