"""What students receive works outside the kit: the handout zip, its public tests, its notebook.

Each handout is unpacked into a temporary folder outside the kit and used the way a student
uses it: the public tests on the stub (they fail, one line per unwritten function), on the
reference (they pass) and on a module importing a forbidden library (refused with the
grader's own words); the notebook run headless (nbclient) on the stub writes every cell's
output, each stop naming the function to write. `nbgrader validate` of a released notebook
reports the failing public tests of an untouched stub.
"""
import re
import subprocess
import sys
import zipfile

import pytest

from authoring import generate, handout, notebooks, requirements, support
from autograder import _audit, catalog
from autograder.sandbox import FORBIDDEN_IMPORTS
from tests.conftest import ROOT, grade_one
from samples.submissions import reference_source
from tests.helpers import student_env

ALL = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def _clean_env():
    """No trace of the kit: a student's shell, with the kit's interpreter standing in for theirs."""
    env = student_env()
    env["MPLBACKEND"] = "Agg"
    for key in notebooks.THREAD_VARIABLES:
        env.setdefault(key, "1")
    return env


def _unpack(assignment, tmp_path):
    archive = handout.build_handout(assignment, tmp_path / f"{assignment}.zip")
    where = tmp_path / "student"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(where)
    folder = where / assignment
    assert ROOT not in folder.resolve().parents
    return folder


def _pytest(folder, *args):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=folder, env=_clean_env(), capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("assignment", ALL)
def test_handout_holds_what_a_student_needs_and_nothing_private(assignment, tmp_path):
    folder = _unpack(assignment, tmp_path)
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {f"{assignment}.py", "README.md", f"{assignment}.ipynb", f"test_{assignment}_public.py",
            "conftest.py", "notebook_tools.py", "requirements.txt", "STUDENTS.md"} <= names
    assert {f"datasets/{f.name}" for f in notebooks.data_files(assignment)} <= names
    assert not [n for n in names if n.startswith(("solutions", "autograder")) or "MANIFEST" in n]
    # the bmm accuracy test predicts the grader's held-out images: no handout may hold them
    assert not [n for n in names if "heldout" in n or "carve_mnist" in n]
    stub = (folder / f"{assignment}.py").read_text(encoding="utf-8")
    assert "raise NotImplementedError" in stub and "BEGIN SOLUTION" not in stub
    pins = dict(line.split("==") for line in (folder / "requirements.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    lock = requirements.read_lock()
    for name in ("numpy", "scipy", "matplotlib", "pytest", "jupyterlab", "ipykernel", "nbclient"):
        assert pins[lock[name][0]] == lock[name][1], name
    assert "nbgrader" not in pins and "scikit-learn" not in pins
    page = (folder / "STUDENTS.md").read_text()
    for step in ("pip install -r requirements.txt", f"pytest test_{assignment}_public.py",
                 f"jupyter lab {assignment}.ipynb", "nbconvert --to notebook --execute", f"Submit **`{assignment}.py`**"):
        assert step in page


@pytest.mark.parametrize("assignment", ALL)
def test_public_tests_outside_the_kit_fail_the_stub_in_one_line_per_function(assignment, tmp_path):
    folder = _unpack(assignment, tmp_path)
    proc = _pytest(folder, "-q", f"test_{assignment}_public.py")
    assert proc.returncode == 1, proc.stdout[-3000:]
    out = proc.stdout
    unwritten = set(re.findall(r"^(\S+) is not written yet \(\d+ failing tests?\)$", out, re.M))
    declared = set(re.findall(r'raise NotImplementedError\("(\S+) is not written yet"\)',
                              (folder / f"{assignment}.py").read_text()))
    assert unwritten and unwritten <= declared
    assert "Traceback" not in out and "NotImplementedError" not in out
    assert len(out.splitlines()) <= len(unwritten) + 6, out
    assert re.search(r"\d+ failed \(not written\)", out)
    (folder / f"{assignment}.py").write_text(reference_source(assignment), encoding="utf-8")
    proc = _pytest(folder, "-q", f"test_{assignment}_public.py")
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.parametrize("statement, name", [("import sklearn.mixture", "sklearn.mixture"),
                                             ("from scipy import stats", "scipy.stats")])
def test_public_tests_refuse_what_the_grader_refuses_with_its_words(statement, name, tmp_path):
    folder = _unpack("mle", tmp_path)
    module = f"{statement}\n" + reference_source("mle")
    (folder / "mle.py").write_text(module, encoding="utf-8")
    proc = _pytest(folder, "-q", "test_mle_public.py")
    assert proc.returncode != 0
    words = _audit.forbidden_import_message(name, FORBIDDEN_IMPORTS)
    assert words in proc.stdout and "Traceback" not in proc.stdout
    code, results, out = grade_one("mle", folder / "mle.py", results=tmp_path / "results.json")
    assert code == 0 and results["score"] == 0
    assert any(words in t.get("output", "") for t in results["tests"]) or words in results.get("output", "")


def test_conftest_carries_the_graders_own_text():
    text = support.conftest_text()
    assert repr(tuple(FORBIDDEN_IMPORTS)) in text
    import inspect
    assert inspect.getsource(_audit.forbidden_import_message).strip() in text


def _stream(nb, name):
    return [o.text for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.output_type == "stream" and o.name == name]


@pytest.mark.parametrize("assignment", ["mle", "bmm"])
def test_notebook_runs_headless_outside_the_kit_and_names_each_missing_function(assignment, tmp_path):
    folder = _unpack(assignment, tmp_path)
    env = {**_clean_env(), "MPLBACKEND": notebooks.INLINE_BACKEND}
    nb = notebooks.execute_notebook(folder / f"{assignment}.ipynb", tmp_path / "jupyter", env=env)
    assert not notebooks.outputs_of(nb, "error")
    stops = [t for t in _stream(nb, "stdout") if t.startswith("stopped here:")]
    assert stops and all(re.match(rf"stopped here: \S+ is not written yet \(write it in {assignment}\.py", t)
                         for t in stops)
    checks = [c for c in nb.cells if c.id.startswith("part-")]
    failing = [c for c in checks if any(o.output_type == "stream" and o.name == "stderr"
                                        and "not written yet" in o.text for o in c.outputs)]
    assert failing == checks


def test_notebook_checks_pass_on_the_reference(tmp_path):
    folder = _unpack("mle", tmp_path)
    (folder / "mle.py").write_text(reference_source("mle"), encoding="utf-8")
    env = {**_clean_env(), "MPLBACKEND": notebooks.INLINE_BACKEND}
    nb = notebooks.execute_notebook(folder / "mle.ipynb", tmp_path / "jupyter", env=env)
    assert not notebooks.outputs_of(nb, "error") and not _stream(nb, "stderr")
    assert not [t for t in _stream(nb, "stdout") if "stopped here" in t or "skipped" in t]
    assert sum("public tests of this part: " in t and "passed" in t for t in _stream(nb, "stdout")) == len(catalog.parts("mle"))


def test_nbgrader_validate_reports_the_failures_of_an_untouched_stub(tmp_path):
    from frontdoors.nbgrader import course as nbcourse

    root = nbcourse.build_course(tmp_path / "course", ["mle"], seed=1, log=lambda *_: None)
    release = root / "release" / "mle"
    proc = nbcourse.nbgrader(root, "validate", str(release / "mle.ipynb"), check=False)
    out = proc.stdout + proc.stderr
    assert "Success!" not in out and "VALIDATION FAILED" in out, out[-3000:]
    assert "bernoulli_mle is not written yet" in out
    # the reference: only the written answers (left blank here) are still missing
    (release / "mle.py").write_text(reference_source("mle"), encoding="utf-8")
    proc = nbcourse.nbgrader(root, "validate", str(release / "mle.ipynb"), check=False)
    out = proc.stdout + proc.stderr
    answers = sum(k == "answer" for k, _ in notebooks.read_source("mle")[1])
    assert f"VALIDATION FAILED ON {answers} CELL(S)" in out, out[-3000:]
    assert out.count("You did not provide a response") == answers and "public tests of this part" not in out


def test_make_assignments_never_overwrites_changed_files(tmp_path):
    dest = tmp_path / "assignments"
    generate.generate(dest)
    work = dest / "mle" / "mle.py"
    work.write_text(work.read_text() + "\n# my work\n")
    mine = dest / "mle" / "my_notes.py"
    mine.write_text("x = 1\n")
    (dest / "mle" / ".ipynb_checkpoints").mkdir()
    (dest / "mle" / ".ipynb_checkpoints" / "mle-checkpoint.ipynb").write_text("{}")
    with pytest.raises(generate.ChangedFilesError, match="mle/mle.py"):
        generate.generate(dest)
    assert work.read_text().endswith("# my work\n") and mine.exists()
    saved = generate.generate(dest, force=True, saved=tmp_path / "saved")
    assert [p.read_text().endswith("# my work\n") for p in saved] == [True]
    assert mine.exists() and (dest / "mle" / ".ipynb_checkpoints" / "mle-checkpoint.ipynb").exists()
    assert generate.generate(dest) == []   # regenerating again: nothing changed, nothing refused
    from authoring import stubs
    fresh = tmp_path / "fresh"
    generate.generate(fresh)
    assert stubs.differences(fresh, dest) == ["mle/my_notes.py"]  # droppings ignored, own files kept
