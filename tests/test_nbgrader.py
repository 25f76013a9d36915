"""The notebooks and nbgrader, for real (no mocks).

One course folder is built in a temporary directory exactly as `make nbgrader`
builds it; `nbgrader generate_assignment` releases each assignment that has a
notebook source and hidden tests; three submissions (the reference, the
untouched stub, a typical mistake) are collected into `submitted/`, then
`nbgrader autograde`, `generate_feedback` and `export` run through the CLI,
with the class seed of the kit run. nbgrader's scores must equal
`python -m autograder grade` on the same modules with the same seed, and
neither the release nor the feedback may hold solution code, model answers
or hidden test code.

Every notebook also runs top to bottom (nbclient) against the reference,
drawing its figures, and through the stub, each stop naming the function to write.
"""
import csv
import html
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from authoring import notebooks, stubs
from authoring.generate import stage
from frontdoors.nbgrader import course as nbcourse
from frontdoors.nbgrader.hook import AutograderUnavailable, part_points, parts, split_results
from tests.conftest import HIDDEN_TESTS, ROOT, SEED, grade_one
from samples.submissions import apply, catalogue, reference_source, stub_source
from tests.helpers import nbgrader_env

NOTEBOOKS = notebooks.with_notebooks()
#: Assignments released through nbgrader: a notebook source and hidden tests (mle first: the course
#: config is checked on the first, and pytest orders module-scoped parameters by their index, so the
#: first course is built once for both).
RELEASED = sorted((a for a in NOTEBOOKS if parts(a)), key=lambda a: a != "mle")
STUDENTS = ("reference", "stub", "mistake")


def _mistake(assignment):
    bugs = [b for b in catalogue(assignment) if b.sample] or catalogue(assignment)
    return bugs[0]


def _module(assignment, student):
    if student == "reference":
        return reference_source(assignment)
    if student == "stub":
        return stub_source(assignment)
    return apply(assignment, _mistake(assignment))


@pytest.fixture(scope="module")
def built(assignment, tmp_path_factory):
    """(the course folder, {student: `python -m autograder grade` results}) for ``assignment`` (one
    course per assignment, so one assignment's trouble stays its own): released, three submissions
    collected, autograded, feedback generated, exported.

    `python -m autograder grade` grades the same three modules meanwhile (same seed), in a
    thread, so the comparison costs no extra wall-clock time. Module-scoped, with ``assignment``
    parametrised at module scope: each course is built once (a failed build fails each of its tests).
    """
    root = tmp_path_factory.mktemp(f"nbgrader-{assignment}") / "course"
    nbcourse.build_course(root, [assignment], seed=SEED, log=lambda *_: None)
    env = nbgrader_env()  # everything the grading needs must come from the course's config
    for student in STUDENTS:
        dest = root / "submitted" / student / assignment
        shutil.copytree(root / "release" / assignment, dest)
        (dest / f"{assignment}.py").write_text(_module(assignment, student), encoding="utf-8")
    results_dir = root.parent / "cli-results"
    with ThreadPoolExecutor(max_workers=1) as pool:
        cli = pool.submit(lambda: {s: _cli(root, assignment, s, results_dir) for s in STUDENTS})
        nbcourse.nbgrader(root, "autograde", assignment, "--force", env=env)
        nbcourse.nbgrader(root, "generate_feedback", assignment, "--force", env=env)
        nbcourse.nbgrader(root, "export", env=env)
        return root, cli.result()


@pytest.fixture
def course(built):
    """The course folder of ``built``."""
    return built[0]


def _gradebook(course, assignment):
    """{student: {grade_id: (score, max_score)}} from nbgrader's database."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in STUDENTS:
            nb = gb.find_submission_notebook(assignment, assignment, student)
            out[student] = {g.name: (g.score, g.max_score) for g in nb.grades}
    return out


def _cli(course, assignment, student, results_dir):
    """`python -m autograder grade` of the student's collected folder, with the kit run's seed."""
    results_dir.mkdir(parents=True, exist_ok=True)
    code, results, out = grade_one(assignment, course / "submitted" / student / assignment,
                                   results=results_dir / f"{student}-{assignment}.json")
    assert code == 0 and results is not None, out
    return results


def _texts(folder):
    """{relative path: text} of every text file under ``folder`` (HTML unescaped)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".ipynb", ".md", ".html", ".txt", ".csv", ".json", ""):
            text = p.read_text(encoding="utf-8", errors="replace")
            out[str(p.relative_to(folder))] = html.unescape(text) if p.suffix == ".html" else text
    return out


def _public(assignment):
    """What students may see anyway: their assignment folder and the kit's data loaders."""
    folder = ROOT / "assignments" / assignment
    files = [*folder.glob("*.py"), *folder.glob("*.md"), *(ROOT / "datasets").glob("*.py")]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def _solution_lines(assignment):
    """Lines of the reference's solution regions that no public file has."""
    text = (ROOT / "solutions" / assignment / f"{assignment}.py").read_text(encoding="utf-8")
    public = _public(assignment)
    regions = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", text, flags=re.S)
    lines = {ln.strip() for r in regions for ln in r.splitlines()}
    return {ln for ln in lines if len(ln) >= 20 and not ln.startswith("#") and ln not in public}


def _hidden_lines(assignment, visible):
    """Code lines of the hidden tests (not comments, not docstrings) absent from ``visible``."""
    lines = set()
    for path in (HIDDEN_TESTS / assignment).glob("*.py"):
        for ln in path.read_text(encoding="utf-8").splitlines():
            s = ln.strip()
            if len(s) >= 30 and not s.startswith(("#", '"', "'")) and s not in visible:
                lines.add(s)
    return lines


def _answers(assignment):
    """Sentences of the model answers (the notebook source's answer cells)."""
    _, cells = notebooks.read_source(assignment)
    return {ln.strip() for k, c in cells if k == "answer" for ln in c.source.splitlines() if len(ln.strip()) >= 30}


def _leaks(texts, forbidden):
    return sorted({(name, f[:60]) for name, t in texts.items() for f in forbidden if f in t})


# ----------------------------------------------------------------------------
# the hidden tests' parts


def test_results_are_split_into_parts_and_unknown_results_refused():
    ps = parts("mle")
    results = {"tests": [{"name": t.result_name, "score": t.points, "max_score": t.points}
                         for p in ps for t in p.tests]}
    split = split_results(results, ps)
    assert {name: sum(e["score"] for e in es) for name, es in split.items()} == {p.name: p.points for p in ps}
    results["tests"].append({"name": "something new (3 pts)", "score": 0, "max_score": 3})
    with pytest.raises(AutograderUnavailable, match="make nbgrader"):
        split_results(results, ps)


def test_a_cell_out_of_date_with_the_hidden_tests_fails_on_stdout_only(tmp_path, capsys):
    part = parts("mle")[0]
    with pytest.raises(AutograderUnavailable, match="rebuild"):
        part_points("mle", part.name, part.points + 1, folder=tmp_path)
    out, err = capsys.readouterr()
    assert "not your fault" in out and err == ""


# ----------------------------------------------------------------------------
# the notebooks


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_student_notebook_has_no_answers_no_hidden_call_and_every_part(assignment):
    nb = notebooks.build_notebook(assignment, "student")
    text = nbformat.writes(nb)
    assert not [w for w in stubs.MARKER_WORDS if w in text]
    assert "part_points" not in text and "nbgrader" not in text
    assert not [a for a in _answers(assignment) if a in text]
    graded = [c for c in nb.cells if c.id.startswith("part-")]
    assert sorted(c.id[5:] for c in graded) == sorted(p.name.replace("_", "-") for p in parts(assignment))
    generated = ROOT / "assignments" / assignment / f"{assignment}.ipynb"
    if generated.exists():
        assert generated.read_text(encoding="utf-8") == nbformat.writes(nb) + "\n", "run `make assignments`"


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_source_notebook_metadata_is_what_nbgrader_expects(assignment):
    from nbgrader.nbgraderformat import MetadataValidator

    nb = notebooks.build_notebook(assignment, "source")
    MetadataValidator().validate_nb(nb)
    meta = [c.metadata["nbgrader"] for c in nb.cells]
    assert len({m["grade_id"] for m in meta}) == len(meta)
    auto = {m["grade_id"][5:]: m["points"] for m in meta if m["grade"] and not m["solution"]}
    assert auto == {p.name: p.points for p in parts(assignment)}
    for c, m in zip(nb.cells, meta):
        if m["grade"] and not m["solution"]:     # autograder tests: locked, the call is hidden
            assert c.cell_type == "code" and m["locked"]
            hidden = c.source.split(notebooks.HIDDEN_BEGIN, 1)[1]
            assert "part_points(" in hidden and "assert" not in hidden
        elif m["solution"]:                      # written answers: graded by hand
            assert c.cell_type == "markdown" and m["grade"] and m["points"] > 0 and not m["locked"]
        else:                                    # course text and the code that draws: read-only
            assert m["locked"] and not m["grade"]


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_on_the_reference_and_draws(assignment, tmp_path):
    folder = stage(assignment, tmp_path / assignment, variant="student",
                             module_text=reference_source(assignment))
    nb = notebooks.execute_notebook(folder / f"{assignment}.ipynb", tmp_path / "jupyter")
    assert not notebooks.outputs_of(nb, "error")
    assert len(notebooks.images_of(nb)) >= 4, "the notebook should draw its figures"


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_notebook_runs_through_the_stub_naming_each_unwritten_function(assignment, tmp_path):
    folder = stage(assignment, tmp_path / assignment, variant="student")
    assert (folder / f"{assignment}.py").read_text(encoding="utf-8") == stub_source(assignment)
    nb = notebooks.execute_notebook(folder / f"{assignment}.ipynb", tmp_path / "jupyter")
    assert not notebooks.outputs_of(nb, "error")
    stops = [o.text for o in notebooks.outputs_of(nb, "stream") if o.text.startswith("stopped here:")]
    assert stops and all(re.match(r"stopped here: [\w.]+ is not written yet", s) for s in stops), stops
    checks = [c for c in nb.cells if c.id.startswith("part-")]
    assert all(any(o.output_type == "stream" and o.name == "stderr" for o in c.outputs) for c in checks)


# ----------------------------------------------------------------------------
# nbgrader, end to end


@pytest.mark.parametrize("assignment", RELEASED, scope="module")
def test_release_holds_the_stub_and_no_solution_answer_or_hidden_check(course, assignment):
    release = course / "release" / assignment
    assert (release / f"{assignment}.py").read_text(encoding="utf-8") == stub_source(assignment)
    texts = _texts(release)
    markers = [(n, w) for n, t in texts.items() for w in (*stubs.MARKER_WORDS, "HIDDEN TESTS") if w in t]
    assert not markers
    calls = [n for n, t in texts.items() if re.search(r"part_points|nbgrader_hook|frontdoors\.|autograder\.", t)]
    assert not calls
    assert not _leaks(texts, _solution_lines(assignment))
    assert not _leaks(texts, _answers(assignment))
    assert not _leaks(texts, _hidden_lines(assignment, "\n".join(texts.values())))


@pytest.mark.parametrize("assignment", RELEASED, scope="module")
def test_nbgrader_scores_equal_the_cli_grades(built, assignment):
    course, cli = built
    book = _gradebook(course, assignment)
    split_points = {p.name: p.points for p in parts(assignment)}
    totals = {}
    for student in STUDENTS:
        results = cli[student]
        auto = {gid[5:]: score for gid, (score, _) in book[student].items() if gid.startswith("part_")}
        expected = {name: round(sum(e["score"] for e in es), 6)
                    for name, es in split_results(results, parts(assignment)).items()}
        assert auto == pytest.approx(expected), student
        assert {gid[5:]: mx for gid, (_, mx) in book[student].items() if gid.startswith("part_")} == split_points
        totals[student] = (sum(auto.values()), results["score"])
    assert totals["reference"] == (100, 100)
    assert totals["stub"] == (0, 0)
    assert totals["mistake"][0] == pytest.approx(totals["mistake"][1])
    assert 0 < totals["mistake"][1] < 100
    # `nbgrader export`: the written answers were left blank (0), so its score is the autograder's
    with open(course / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == assignment}
    manual = sum(m for gid, (_, m) in book["reference"].items() if gid.startswith("answer_"))
    for student in STUDENTS:
        assert float(rows[student]["score"]) == pytest.approx(totals[student][1])
        assert float(rows[student]["max_score"]) == pytest.approx(100 + manual)


@pytest.mark.parametrize("assignment", RELEASED, scope="module")
def test_feedback_shows_the_messages_and_leaks_nothing(course, assignment):
    release_texts = "\n".join(_texts(course / "release" / assignment).values())
    bug = _mistake(assignment)
    for student in STUDENTS:
        folder = course / "feedback" / student / assignment
        texts = _texts(folder)
        # a hidden test's line that the student's own module happens to contain is not a leak
        own = (course / "submitted" / student / assignment / f"{assignment}.py").read_text(encoding="utf-8")
        hidden = _hidden_lines(assignment, release_texts + own)
        page = texts[f"{assignment}.html"]
        # only the page and the student's own files come back
        expected = {p.relative_to(course / "submitted" / student / assignment).as_posix()
                    for p in (course / "submitted" / student / assignment).rglob("*")
                    if p.is_file() and p.suffix != ".ipynb"}
        assert {n for n in texts if n != f"{assignment}.html"} <= expected
        assert not [w for w in (*stubs.MARKER_WORDS, "HIDDEN TESTS", "part_points", "nbgrader_hook") if w in page]
        assert not _leaks(texts, hidden)
        assert not _leaks(texts, _answers(assignment))
        # (a traceback in the page may quote the student's own module: not a leak)
        assert not _leaks({"html": page}, {ln for ln in _solution_lines(assignment) if ln not in own})
        if student == "stub":
            assert not _leaks(texts, _solution_lines(assignment))
            assert "not implemented yet" in page
        assert f"seed {SEED}" in page
    mistake_page = _texts(course / "feedback" / "mistake" / assignment)[f"{assignment}.html"]
    assert bug.says.lower() in mistake_page.lower()


@pytest.mark.parametrize("assignment", RELEASED[:1], scope="module")
def test_course_config_points_the_kernel_and_grader_at_the_kit(course, assignment):
    config = (course / "nbgrader_config.py").read_text()
    assert f"SEED = {SEED}" in config and repr(str(ROOT)) in config
    assert "exclude_overwriting" in config
    spec = json.loads((course / ".jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert os.path.samefile(spec["argv"][0], os.sys.executable)


def test_set_aside_moves_links_and_fifos_out_of_submitted_naming_what_each_was(tmp_path):
    """The pre-pass before nbgrader's own copy (fast: no course, no grading)."""
    from frontdoors.nbgrader.autograde import SET_ASIDE, set_aside_special_files

    folder = tmp_path / "submitted" / "ada" / "mle"
    folder.mkdir(parents=True)
    (folder / "mle.py").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.py")
    (folder / "notes.py").write_text("x = 1\n")
    moved = set_aside_special_files(tmp_path)
    assert sorted(moved) == [("ada/mle/mle.py", "a symbolic link"), ("ada/mle/pipe.py", "a FIFO (named pipe)")]
    assert sorted(p.name for p in folder.iterdir()) == ["notes.py"]
    record = json.loads((tmp_path / "set_aside" / "ada" / "mle" / SET_ASIDE).read_text())
    assert {e["path"]: e["kind"] for e in record} == {"mle.py": "a symbolic link", "pipe.py": "a FIFO (named pipe)"}
