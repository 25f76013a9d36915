"""Hostile submissions graded together: the whole class of tests/hostile_cases.py by
``grade-all --jobs 2``, once as root and once as a normal user.

Each submission earns exactly what its working parts earn; after grading the whole lot: the grader
exited 0 with a valid results file for everyone, no file of the kit changed, no stray process
survived, nothing was written outside the sandbox, nothing a link points at and no control
character reached a results file, and the class's feedback pages run nothing.
"""
import os
import shutil
from pathlib import Path

import pytest

from samples.submissions import Hostile, apply, build, reference_source, write
from tests.conftest import entry, failed, grade_class, hidden_tests, runner
from tests.hostile_cases import (HOSTILE, MAX_GRADER_RSS_MIB, RAW_CONTROL, SLOW_BUT_FINITE, TIMED, TOKEN, class_folder,
                                 snapshot, strings)
from tests.helpers import check_inert, each_user_its_group


def _fake_home(tmp_root, run):
    """An instructor's home outside every folder the sandbox makes private anyway
    (/tmp...), holding an SSH key and a copy of the kit with its reference."""
    base = Path("/home") if os.geteuid() == 0 and Path("/home").is_dir() else tmp_root
    home = base / f"kit-fake-home-{TOKEN}-{run.user}"
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    (home / ".ssh" / "id_rsa").write_text(f"-----BEGIN OPENSSH PRIVATE KEY----- {TOKEN}\n")
    ref = home / "kit-backup" / "solutions" / "mle"
    ref.mkdir(parents=True, exist_ok=True)
    (ref / "mle.py").write_text(reference_source("mle"))
    run.own(home)
    # beside the home, not in it (the old sandbox covered only $HOME): a class's results kept
    # outside the kit (README's Dask example) and the students' repositories `collect` cloned
    beside = base / f"kit-fake-class-{TOKEN}-{run.user}"
    (beside / "results" / ".grade-all").mkdir(parents=True, exist_ok=True)
    (beside / "results" / ".grade-all" / "class.json").write_text('{"assignment": "mle", "seed": 1}\n')
    (beside / "repos" / "alice" / ".git").mkdir(parents=True, exist_ok=True)
    (beside / "repos" / "alice" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    run.own(beside)
    return home


@pytest.fixture(scope="module", params=each_user_its_group("test_hostile_class.py", ("as_root", "as_normal_user")))
def outcome(request, tmp_path_factory):
    """The whole hostile class graded by ``grade-all --jobs 2``, as root and as a normal user (each
    half of this file in its own xdist group): (results by student, the kit's snapshot before and
    after, the grader's per-grading figures)."""
    run = runner(request.param)  # skips, saying why, where this machine cannot grade that way
    tmp_root = tmp_path_factory.mktemp(f"hostile-{request.param}")
    home = _fake_home(tmp_root, run)
    folder = (run.scratch_folder("hostile") if run.scratch else tmp_root) / "hostile"
    for h in [*HOSTILE, *TIMED]:
        # the paths a submission aims at are those of the kit that grades it; built where the
        # grading user can read it (FIFOs and sparse files are never copied)
        build(folder / h.name, "mle", h, kit=run.kit, subst={"@FAKE_HOME@": str(home)})
    before = snapshot(run.kit)
    try:
        graded = grade_class("mle", folder, user=request.param, env={"HOME": str(home)})
    finally:
        if home.parent == Path("/home"):
            shutil.rmtree(home, ignore_errors=True)
            shutil.rmtree(home.parent / home.name.replace("-home-", "-class-"), ignore_errors=True)
    return graded.results, before, snapshot(run.kit), graded.stats


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_hostile_submission_earns_exactly_its_working_parts(hostile, outcome):
    results = outcome[0]
    res = results[hostile.name]
    expected_failures = {entry(res, "mle", t)["name"] for t in hostile.fails}
    assert failed(res) == expected_failures, {t["name"]: t["output"] for t in res["tests"]}
    expected = 100 - sum(hidden_tests("mle")[t][1] for t in hostile.fails)
    assert res["score"] == expected
    if hostile.says:
        outputs = " ".join(t["output"] for t in res["tests"]) + res["output"]
        assert hostile.says in outputs, outputs[:3000]


def test_every_submission_got_a_valid_results_file(outcome):
    results = outcome[0]
    assert set(results) == {h.name for h in [*HOSTILE, *TIMED]}
    for res in results.values():
        assert set(res) >= {"score", "execution_time", "output", "tests"}
        assert sum(t["max_score"] for t in res["tests"]) == 100
        for t in res["tests"]:
            assert set(t) >= {"name", "score", "max_score", "output", "visibility"}


def test_no_file_of_the_kit_changed(outcome):
    _, before, after, _ = outcome
    assert before == after


def test_nothing_was_written_outside_the_sandbox(outcome, request):
    kit = runner(request.node.callspec.params["outcome"]).kit
    assert not Path(f"/tmp/kit-fake-{TOKEN}.json").exists()
    assert not Path(f"/tmp/kit-pwned-{TOKEN}").exists()
    assert not (kit / "results.json").exists()


def test_no_stray_process_survived(outcome):
    strays = []
    for proc in Path("/proc").iterdir():
        try:
            if (proc / "comm").read_text().startswith(f"kitstray{TOKEN}"[:15]):
                strays.append(proc.name)
        except OSError:
            continue
    assert not strays


def test_printing_is_capped_in_the_feedback(outcome):
    results = outcome[0]
    output = results["floods_stdout"]["output"]
    assert "printed" in output and len(output) < 5000


def _secret_lines(hostile):
    """Lines of what the submission's links point at that its own files do not hold."""
    own = set(apply("mle", hostile).splitlines()) if hostile.module else set()
    secret = set()
    for e in hostile.entries:
        if e.link is None:
            continue
        targets = sorted(Path(e.link).glob("*.py")) if Path(e.link).is_dir() else [Path(e.link)]
        for t in targets:
            if t.is_file():
                secret |= {ln.strip() for ln in t.read_text(errors="replace").splitlines()
                           if len(ln.strip()) >= 12 and ln not in own}
    return secret


LINKING = [h for h in HOSTILE if any(e.link for e in h.entries)]


@pytest.mark.parametrize("hostile", LINKING, ids=[h.name for h in LINKING])
def test_nothing_a_link_points_at_reaches_the_feedback(hostile, outcome):
    results = outcome[0]
    res = results[hostile.name]
    text = "\n".join([res["output"], *(t["output"] for t in res["tests"])])
    leaked = [ln for ln in _secret_lines(hostile) if ln in text]
    assert not leaked, leaked[:5]


def test_no_control_character_reaches_any_results_file(outcome):
    results = outcome[0]
    for name, res in results.items():
        assert not [t for t in strings(res) if RAW_CONTROL.search(t)], name
    flood = results["control_characters_everywhere"]
    assert "\\x1b[2J" in flood["output"] and "Total: 100 / 100" not in flood["output"].split("\n")


def test_a_slow_but_correct_module_stops_at_the_gradings_time_budget(outcome):
    """Import 10 s, every call 9 s, all right: the grading ends at its budget, not after 5 minutes."""
    from autograder.engine import TIME_BUDGET

    results, _, _, stats = outcome
    res = results[SLOW_BUT_FINITE.name]
    budget = TIME_BUDGET["mle"]
    cut = [t for t in res["tests"] if t["score"] < t["max_score"]]
    assert cut and res["score"] < 100
    assert any(f"not run: the grading's time budget of {budget} s was used up" in t["output"] for t in cut)
    assert res["autograder"]["reason"] == "time budget used up"  # the engine's clock, not the output
    for t in cut:  # every loss is the budget's (or, on a crawling machine, one call's 10 s limit)
        assert "time budget of" in t["output"] or "did not finish within" in t["output"], t
    wall = {s["submission"]: s["wall_s"] for s in stats}
    assert wall[SLOW_BUT_FINITE.name] < budget + 20, wall
    print(f"slow_but_finite: {res['score']:g} points in {wall[SLOW_BUT_FINITE.name]:.1f} s (budget {budget} s)")


def test_the_graders_peak_memory_stays_bounded_under_every_attack(outcome):
    """Each grade-all worker's peak RSS (the grader's own, not the sandbox's) under 1 GiB."""
    results, _, _, stats = outcome
    assert {s["submission"] for s in stats} == set(results)
    peak = max(s["grader_peak_rss_mib"] for s in stats)
    by_name = {s["submission"]: s for s in stats}
    for name in ("reply_bomb_100_mib_header", "huge_array_announced", SLOW_BUT_FINITE.name):
        print(f"{name}: grader peak RSS so far {by_name[name]['grader_peak_rss_mib']} MiB, "
              f"wall {by_name[name]['wall_s']} s")
    assert peak < MAX_GRADER_RSS_MIB, stats


def test_feedback_pages_count_no_forged_mistake_and_run_nothing(outcome, tmp_path):
    """The class's feedback pages and class report (reports/) drawn from these results: they run and
    fetch nothing, and a "Likely mistake" line in a student's own exception message is not counted."""
    from reports import classreport, feedback, parse

    results = outcome[0]
    forged = results["forges_a_named_mistake"]
    assert not any(parse.mistakes(t["output"]) for t in forged["tests"])
    for name, res in results.items():
        html_path, md_path = feedback.write(name, res, tmp_path, assignment="mle")
        check_inert(html_path.read_text())
        assert "\x1b" not in md_path.read_text()
    page = feedback.page_name("forges_a_named_mistake")
    text = check_inert((tmp_path / f"{page}.html").read_text()).all_text
    assert "<script>alert(2)</script>" in text and "Likely mistake: everyone else" in text  # shown, as text
    html_path, summary = classreport.write("mle", results, tmp_path)
    assert "everyone else is wrong" not in summary and "everyone else is wrong" not in html_path.read_text()
    assert "variance divided by n−1" in summary  # the real mistakes of this class are counted


#: Plants TOKEN everywhere it can write and at every process it can see, at import and in a thread
#: that keeps at it for 5 s: the next student's sandbox is setting itself up meanwhile (a spare).
PLANTER = """
import os as _os, signal as _sg, threading as _th, time as _tm

def _plant():
    for folder in (".", "/tmp", "/dev/shm", _os.environ.get("HOME", "."), _os.environ.get("TMPDIR", ".")):
        try:
            with open(_os.path.join(folder, "planted-@TOKEN@"), "w") as f:
                f.write("@TOKEN@")
        except OSError:
            pass
    for pid in _os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == _os.getpid():
            continue
        for where in ("root/tmp", "cwd", "root/dev/shm"):
            try:
                with open(f"/proc/{pid}/{where}/planted-@TOKEN@", "w") as f:
                    f.write("@TOKEN@")
            except OSError:
                pass
        try:
            _os.kill(int(pid), _sg.SIGSTOP)
        except OSError:
            pass

def _keep_planting():
    end = _tm.monotonic() + 5
    while _tm.monotonic() < end:
        _plant()
        _tm.sleep(0.01)

_plant()
_th.Thread(target=_keep_planting, daemon=True).start()
"""
#: The reference, unless it finds anything of the planter's: then its import fails (0 points).
SEEKER = """
import os as _os

def _foreign():
    found = []
    for top, dirs, files in _os.walk("/"):
        dirs[:] = [] if top in ("/proc", "/sys") else dirs
        found += [_os.path.join(top, f) for f in files if "@TOKEN@" in f]
    mine = {_os.getpid(), _os.getppid(), 1}
    found += [f"process {p}" for p in _os.listdir("/proc") if p.isdigit() and int(p) not in mine]
    return found

if _foreign():
    raise RuntimeError(f"found what another student left: {_foreign()[:5]}")
"""


@pytest.mark.parametrize("user", ["root", "normal"])
def test_the_next_students_sandbox_set_up_ahead_holds_nothing_of_the_last(tmp_path, user):
    """grade-all's worker sets the next student's sandbox up while the current student's code runs
    (``engine.grade``'s ``spare``). A student who plants files everywhere it can write and stops every
    process it can see, at import and for 5 s after, reaches nothing of it: the next students, graded
    by the same worker (``--jobs 1``, in name order) in sandboxes set up that way, find no file and
    no process but their own, and earn full points. (The seeker does see a planter in its own
    sandbox: one that plants and then seeks fails its import.)"""
    folder = class_folder(user, tmp_path, "spare")
    for name, code in (("a_planter", PLANTER), ("b_seeker", SEEKER), ("c_seeker", SEEKER),
                       ("d_plants_then_seeks", PLANTER + SEEKER)):
        write(folder / name, "mle", apply("mle", Hostile(name, append=code.replace("@TOKEN@", TOKEN))))
    runner(user).own(folder)
    graded = grade_class("mle", folder, user=user, jobs=1)
    assert {s: r["score"] for s, r in graded.results.items()} == {
        "a_planter": 100, "b_seeker": 100, "c_seeker": 100, "d_plants_then_seeks": 0}, \
        {s: [t["output"] for t in r["tests"] if t["score"] < t["max_score"]][:2] for s, r in graded.results.items()}
