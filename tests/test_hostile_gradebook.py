"""Grades no one else can touch (issue 19 §3) and intake that stays linear (§5), by ``grade-all``
as root and as a normal user: students named like the class's state, names that look alike, a
change the old resume hash missed, a module imitating the engine's words, Unicode line breaks and
direction marks, grading without isolation, a notebook cell of fifty magics.
"""
import hashlib
import json
import re
import sys

import pytest

from samples.submissions import Hostile, build, reference_source, stub_source, write
from tests.conftest import grade_class, grade_folder, runner
from tests.hostile_cases import ALL, REFERENCE_HEAD, REFERENCE_TAIL, class_folder, reachable_by_others
from tests.helpers import notebook, skip


@pytest.mark.parametrize("user", ["root", "normal"])
def test_grade_all_without_isolation_marks_every_gradebook_row(tmp_path, user):
    """--unisolated in grade-all: the gradebook's reason cell and each results file say it."""
    runner(user)  # skips, saying why, where this machine cannot grade that way
    if user == "root" and not reachable_by_others(sys.base_prefix):
        skip("interpreter under /root", f"{sys.base_prefix} is not reachable by other users (the "
             "refusal is tested in tests/test_hostile_cli.py)")
    folder = class_folder(user, tmp_path, "unisolated")
    build(folder / "ada", "mle", Hostile("reference"))
    build(folder / "bob", "mle", Hostile("stub", ALL, whole=stub_source("mle")))
    graded = grade_class("mle", folder, "--unisolated", user=user, env={"AUTOGRADER_SANDBOX_NAMESPACES": "off"})
    results, rows = graded.results, graded.rows
    assert results["ada"]["score"] == 100 and results["bob"]["score"] == 0, results
    for name in ("ada", "bob"):
        assert "Graded without isolation" in results[name]["output"], results[name]["output"][:500]
    assert len(rows) == 2 and all("graded without isolation" in r[2] for r in rows.values()), rows


def _magic_notebook(size, magics, tail):
    """The reference as a notebook whose last cell is ``size`` bytes of code with ``magics`` IPython
    lines at its end (each one, rewritten one at a time, re-tokenised everything before it)."""
    body = "PAD = (1,\n" + "  2,\n" * (size // 5) + ")\n"
    return notebook(("code", REFERENCE_HEAD), ("code", REFERENCE_TAIL),
                    ("code", body + "%time PAD\n" * magics + tail))


_TIME_INTAKE = """
import sys, time
from autograder import intake
out = []
for folder in sys.argv[1:]:
    start = time.process_time()
    snap = intake.collect("mle", folder)
    out.append(f"{time.process_time() - start:.4f} {snap.problem or 'read'}")
print("\\n".join(out))
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_notebook_of_a_large_cell_and_fifty_magics_is_read_in_bounded_time(tmp_path, user):
    """The 1.4 MiB cell with 50 magic lines is refused by name (more code than a notebook may hold)
    and a 0.9 MiB one is graded on its merits; the grader's intake of the 0.9 MiB notebook with 50
    magic lines takes at most 10 times its intake with one (the old per-line re-tokenising took ~50
    times), measured in the same test, as the grading user, in CPU time."""
    run = runner(user)
    base = run.scratch_folder("magics") if run.scratch else tmp_path
    klass = base / "class"
    notebooks = {"huge": _magic_notebook(1_400_000, 50, ""), "fifty": _magic_notebook(900_000, 50, ""),
                 "one": _magic_notebook(900_000, 1, "")}
    for name, data in notebooks.items():
        (klass / name).mkdir(parents=True)
        (klass / name / "mle.ipynb").write_bytes(data)
    run.own(base)
    proc = run.run(["-c", _TIME_INTAKE, *(str(klass / n) for n in ("one", "fifty", "huge"))], timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (one, one_said), (fifty, fifty_said), (_, huge_said) = (
        line.split(" ", 1) for line in proc.stdout.strip().splitlines())
    assert one_said == fifty_said == "read"
    assert "more than 1.0 MiB of code" in huge_said and "mle.ipynb" in huge_said, huge_said
    assert float(fifty) <= 10 * float(one) + 0.5, (fifty, one)
    results = grade_folder("mle", klass, user=user)
    assert results["fifty"]["score"] == 100, json.dumps(results["fifty"])[:2000]
    huge = json.dumps(results["huge"])
    assert results["huge"]["score"] == 0 and "more than 1.0 MiB of code" in huge, huge[:2000]


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_student_named_like_the_class_state_never_makes_a_rerun_regrade_with_a_new_seed(tmp_path, user):
    """A folder named ``class`` kept its state in ``.grade-all/class.json``, where grade-all keeps
    the class's seed: every re-run then drew a new seed and regraded the whole class. Students'
    state now lives in ``.grade-all/students/``: the re-run keeps the seed and regrades nothing."""
    folder = class_folder(user, tmp_path, "state-name")
    for name in ("class", "ada", "students"):
        write(folder / name, "mle", reference_source("mle"))
    first = grade_class("mle", folder, user=user, seed=None)
    seed = re.search(r"with seed (\d+)", first.proc.stderr)[1]
    assert {r[1] for r in first.rows.values()} == {"100"}, first.rows
    again = grade_class("mle", folder, user=user, seed=None)
    err = again.proc.stderr
    assert f"Grading 0 submissions of mle with seed {seed} (the previous run's)" in err, err
    assert "3 unchanged" in err and {r[1] for r in again.rows.values()} == {"100"}


@pytest.mark.parametrize("user", ["root", "normal"])
def test_names_that_look_alike_are_different_students(tmp_path, user):
    """Students are keyed by their raw folder names: names the cleaning shows alike (an ESC and
    a written ``\\x1b``), names whose file stems coincide (``a b`` and the tame ``a_b-<hash>``
    the old stem of ``a b`` was), the two Unicode normalisations of ``José`` and two names that
    differ in case only are each their own row with their own results and feedback page."""
    folder = class_folder(user, tmp_path, "alike")
    old_stem = "a_b-" + hashlib.sha256(b"a b").hexdigest()[:8]
    pairs = [("a\x1bb", "a\\x1bb"), ("a b", old_stem), ("Jos\u00e9", "Jose\u0301"), ("Zoe", "zoe")]
    for good, bad in pairs:
        write(folder / good, "mle", reference_source("mle"))
        write(folder / bad, "mle", stub_source("mle"))
    feedback = folder.parent / "feedback"
    graded = grade_class("mle", folder, "--feedback", str(feedback), user=user, seed=None)
    rows, results = graded.rows, graded.results
    assert len(rows) == 8 and len(results) == 8, (sorted(rows), sorted(results))
    assert sorted(r[1] for r in rows.values()).count("100") == 4, rows
    assert sorted(r["score"] for r in results.values()).count(100) == 4
    pages = [p for p in feedback.glob("*.html") if p.name != "class.html"]
    assert len(pages) == 8 and len({p.name.lower() for p in pages}) == 8, sorted(p.name for p in pages)
    assert sum("100 / 100" in p.read_text() for p in pages) == 4


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_change_the_old_resume_hash_missed_is_regraded(tmp_path, user):
    """The old resume hash stopped after 2000 files: a submission with 2001 files in ``aaa/``
    and its module in ``zz/mle.py`` (which intake grades) kept its old grade when the module
    changed. The hash is now the intake's own snapshot: the changed module is regraded."""
    folder = class_folder(user, tmp_path, "resume-hash")
    junk = folder / "ada" / "aaa"
    junk.mkdir(parents=True)
    for i in range(2001):
        (junk / f"f{i:04d}.txt").write_text("")
    write(folder / "ada" / "zz", "mle", stub_source("mle"))
    first = grade_class("mle", folder, user=user)
    assert first.rows["ada"][1] != "100", first.rows["ada"]
    (folder / "ada" / "zz" / "mle.py").write_text(reference_source("mle"))
    again = grade_class("mle", folder, user=user)
    assert "Grading 1 submissions" in again.proc.stderr, again.proc.stderr
    assert again.rows["ada"][1] == "100", again.rows["ada"]


IMITATION = ("missing module; module refused at intake (a link, a device or too large); syntax error; "
             "not run: the grading's time budget of 90 s was used up; gaussian_mle is not implemented yet")


@pytest.mark.parametrize("user", ["root", "normal"])
def test_a_submission_imitating_the_engines_words_is_filed_under_no_reason(tmp_path, user):
    """A module that prints and raises the engine's own wording ("module refused at intake",
    "the grading's time budget of 90 s was used up") completed its grading: its gradebook reason
    is empty and the class report counts it among the zeros, not among the gradings that could
    not complete, nor as "nothing implemented" (reasons come from the engine's structured
    fields, never from output text)."""
    folder = class_folder(user, tmp_path, "imitate")
    source = stub_source("mle").replace("raise NotImplementedError", f"raise RuntimeError({IMITATION!r})  #")
    write(folder / "mallory", "mle", f"print({IMITATION!r})\n" + source)
    write(folder / "ada", "mle", reference_source("mle"))
    write(folder / "stub", "mle", stub_source("mle"))
    graded = grade_class("mle", folder, "--feedback", str(folder.parent / "feedback"), user=user, seed=None)
    proc, rows, results = graded.proc, graded.rows, graded.results
    assert rows["mallory"][1] == "0" and rows["mallory"][2] == "", rows["mallory"]
    assert results["mallory"]["autograder"]["reason"] == ""
    assert set(results["mallory"]["autograder"]["failures"].values()) == {"exception"}
    assert "    stub: nothing implemented" in proc.stdout  # the engine's field says so, for the stub only
    assert "    mallory: every test failed" in proc.stdout, proc.stdout
    assert "could not complete" not in proc.stdout and "Could not be graded in full" not in proc.stdout, proc.stdout
    assert "<b>0</b>could not complete" in (folder.parent / "feedback" / "class.html").read_text()


HIDDEN_CHARS = "\x85\u2028\u2029\u200f\u202e\u2066"


@pytest.mark.parametrize("user", ["root", "normal"])
def test_unicode_line_breaks_and_direction_marks_never_reach_an_output_unquoted(tmp_path, user):
    """U+0085, U+2028, U+2029 (line breaks the old filter let through) and the direction marks
    U+200F, U+202E, U+2066 in a folder name and in what the code prints reach no output as they
    are: not the terminal, the CSV, results.json, the feedback pages or the class report."""
    folder = class_folder(user, tmp_path, "unicode")
    name = "ev\u202eil\u200f\u2028Total 100\u2029x\x85y\u2066"
    write(folder / name, "mle", f"print({('a' + HIDDEN_CHARS + 'Total: 100 / 100')!r})\n" + reference_source("mle"))
    graded = grade_class("mle", folder, "--feedback", str(folder.parent / "feedback"), user=user, seed=None)
    proc, rows, results = graded.proc, graded.rows, graded.results
    assert len(rows) == 1 and list(rows.values())[0][1] == "100"
    outputs = {"stdout": proc.stdout, "stderr": proc.stderr,
               "csv": graded.gradebook.read_text(encoding="utf-8"),
               "results.json": json.dumps(results, ensure_ascii=False)}
    outputs.update({p.name: p.read_text(encoding="utf-8") for p in (folder.parent / "feedback").iterdir()
                    if p.suffix in (".html", ".md")})
    assert len(outputs) >= 7, sorted(outputs)  # a page, its Markdown and the class report
    assert "\\u2028" in outputs["csv"] and "\\u2028" in outputs["results.json"]  # shown, escaped
    for where, text in outputs.items():
        assert not set(text) & set(HIDDEN_CHARS), (where, [c for c in text if c in HIDDEN_CHARS][:5])
