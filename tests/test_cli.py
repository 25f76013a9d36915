"""The command line contract of docs/GRADING.md: paths, exit codes, results files, gradebook."""
import csv

from tests.conftest import ROOT, grade_folder, grade_one, hidden_tests
from samples.submissions import reference_source, write
from tests.helpers import notebook


def test_unknown_assignment_exits_2_and_still_writes_results(tmp_path):
    code, results, out = grade_one("nope", tmp_path, results=tmp_path / "r.json")
    assert code == 2 and "unknown assignment" in out
    assert results["score"] == 0 and "could not run" in results["output"]
    assert (results["autograder"]["reason_key"], results["autograder"]["reason"]) == ("grader", "grader failure")


def test_missing_path_exits_2_and_still_writes_results(tmp_path):
    code, results, out = grade_one("mle", tmp_path / "absent.py", results=tmp_path / "r.json")
    assert code == 2 and "no such file" in out
    assert results["tests"] == [] and results["score"] == 0


def test_nested_folder_submission_and_results_schema(tmp_path):
    sub = write(tmp_path / "upload" / "my-work", "mle", reference_source("mle")).parent
    code, results, out = grade_one("mle", sub, results=tmp_path / "results.json")
    assert code == 0, out
    assert results["score"] == 100
    assert set(results) >= {"score", "execution_time", "output", "tests"}
    assert len(results["tests"]) == len(hidden_tests("mle"))
    for i, t in enumerate(results["tests"], 1):
        assert t["number"] == str(i) and t["visibility"] in ("visible", "hidden", "after_due_date",
                                                               "after_published")
        assert t["name"].endswith("pts)") or t["name"].endswith("pt)")
    assert "seed" in results["output"] and "Total: 100 / 100" in out
    # the kit's fields beside Gradescope's schema (autograder.results): what programs read
    fields = results["autograder"]
    assert set(fields) == {"assignment", "seed", "reason", "reason_key", "failures", "mistakes", "functions",
                           "unisolated", "carried", "carry_forward", "timings"}
    assert fields["assignment"] == "mle" and isinstance(fields["seed"], int) and str(fields["seed"]) in results["output"]
    assert (fields["reason"], fields["reason_key"], fields["failures"], fields["mistakes"]) == ("", "", {}, [])
    assert sorted(fields["functions"].values()) == sorted(hidden_tests("mle"))
    assert set(fields["timings"]) == {"total", "budget", "tests"} and len(fields["timings"]["tests"]) == len(results["tests"])


def test_a_notebook_is_graded_from_its_code_cells(tmp_path):
    code_text = reference_source("mle")
    head, tail = code_text[:len(code_text) // 2], code_text[len(code_text) // 2:]
    cut = head.rfind("\ndef ")
    cells = [("markdown", "# My MLE notebook"), ("code", "%matplotlib inline\n" + head[:cut]),
             ("code", head[cut:] + tail), ("code", "!echo shell lines are dropped")]
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "mle.ipynb").write_bytes(notebook(*cells))
    code, results, out = grade_one("mle", folder, results=tmp_path / "r.json")
    assert code == 0 and results["score"] == 100, out


def test_a_folder_without_the_module_scores_0_with_a_message(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("I forgot the code")
    code, results, out = grade_one("mle", folder, results=tmp_path / "r.json")
    assert code == 0 and results["score"] == 0
    assert all("no mle.py" in t["output"] and "notes.txt" in t["output"] for t in results["tests"])


def test_grade_all_writes_one_csv_row_per_student(tmp_path):
    folder = tmp_path / "class"
    write(folder / "ada", "mle", reference_source("mle"))
    write(folder / "bo", "mle", (ROOT / "assignments" / "mle" / "mle.py").read_text())
    results = grade_folder("mle", folder, seed=1234)
    assert results["ada"]["score"] == 100 and results["bo"]["score"] == 0
    rows = list(csv.reader((tmp_path / "class.csv").open()))
    assert rows[0][:3] == ["student", "total", "reason"] and len(rows[0]) == 3 + len(hidden_tests("mle"))
    assert [r[:3] for r in rows[1:]] == [["ada", "100", ""], ["bo", "0", ""]]
    assert all("seed 1234" in r["output"] for r in results.values())


def test_no_carry_forward_charges_every_test_a_mistake_fails(tmp_path):
    """docs/GRADING.md, "Partial credit": by default a fit is credited on the student's own failed
    log-density (error carried forward, said in its output and in ``autograder.carried``);
    ``--no-carry-forward`` (a strict course) charges every test that fails, and says so too."""
    from tests.conftest import entry
    from samples.submissions import apply, catalogue

    bug = next(b for b in catalogue("gmm") if b.name == "log_determinant_dropped")
    sub = write(tmp_path / "s" / "student", "gmm", apply("gmm", bug)).parent
    runs = {}
    for mode, extra in [("carry", ()), ("strict", ("--no-carry-forward",))]:
        code, results, out = grade_one("gmm", sub, results=tmp_path / f"{mode}.json", extra=extra)
        assert code == 0, out
        runs[mode] = results
    carried, strict = runs["carry"], runs["strict"]
    assert carried["autograder"]["carry_forward"] is True and strict["autograder"]["carry_forward"] is False
    fit = entry(carried, "gmm", "test_fit_matches_sklearn_full")
    assert fit["score"] == fit["max_score"], fit["output"]
    assert fit["output"].startswith("Passed on your own log_gaussian_prob (error carried forward)")
    number = next(t["number"] for t in carried["tests"] if t["name"] == fit["name"])
    assert carried["autograder"]["carried"][number] == ["log_gaussian_prob"]
    assert entry(strict, "gmm", "test_fit_matches_sklearn_full")["score"] == 0
    assert strict["autograder"]["carried"] == {}
    assert entry(strict, "gmm", "test_log_gaussian_prob_full")["score"] == 0
    assert strict["score"] < carried["score"]


def test_an_assignment_can_turn_carrying_forward_off(tmp_path, monkeypatch):
    """The hidden tests' package of an assignment may say ``CARRY_FORWARD = False`` (settings.py);
    ``AUTOGRADER_NO_CARRY_FORWARD=1`` (what ``--no-carry-forward`` sets) turns it off for a run."""
    from autograder.engine import carry_forward

    monkeypatch.delenv("AUTOGRADER_NO_CARRY_FORWARD", raising=False)
    (tmp_path / "strict").mkdir()
    (tmp_path / "strict" / "settings.py").write_text("CARRY_FORWARD = False\n")
    (tmp_path / "lenient").mkdir()
    assert carry_forward("strict", tmp_path) is False
    assert carry_forward("lenient", tmp_path) is True
    assert carry_forward("gmm") is True
    monkeypatch.setenv("AUTOGRADER_NO_CARRY_FORWARD", "1")
    assert carry_forward("gmm") is False
