"""The nbgrader course: config, kernelspec and ``source/<a>/`` built from the kit.

    python -m frontdoors.nbgrader.course [DIR] [--assignment A ...] [--seed N] [--no-generate]
                                           # an nbgrader course folder (default build/nbgrader)

The course folder holds ``nbgrader_config.py`` (kit root, class seed, the
snapshot grader in the place of nbgrader's ``Execute`` — no student code runs
during ``nbgrader autograde`` — ``Autograde.exclude_overwriting`` so the
student's module is what gets graded, sanitised feedback pages), a
kernelspec pointing to this Python (refusing to start under autograde), and ``source/<a>/``:
the student files of ``assignments/<a>/`` (the *stub* module, never the
reference), the source notebook (:mod:`authoring.notebooks`) and the data
files the notebook loads.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from authoring.generate import stage
from authoring.notebooks import (INLINE_BACKEND, TEXT_STUB, THREAD_VARIABLES, NotebookSourceError,
                                 source_path, with_notebooks, write_kernelspec)
from autograder.catalog import parts
from autograder.paths import BUILD, ROOT

COURSE = BUILD / "nbgrader"
COURSE_ID = "density-estimation"
KERNEL_BOOT = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
               "from frontdoors.nbgrader.kernel import main; main()")

CONFIG = '''\
"""nbgrader configuration of the density-estimation course.

Written by `make nbgrader` (python -m frontdoors.nbgrader.course): a rebuild rewrites this file,
keeping SEED. Settings of your own (c.Exchange.root, the course id, ...) go in
nbgrader_config_local.py next to it: read last, never overwritten.
Run every nbgrader command from this folder, with the kit's environment:
    source {kit}/.venv/bin/activate   (or call {kit}/.venv/bin/nbgrader)
"""
import os
import sys

KIT = {kit!r}
COURSE = os.path.dirname(os.path.abspath(__file__))
#: One seed for the whole class: the data the hidden tests draw. Printed in every feedback;
#: `python -m autograder grade <a> SUBMISSION --seed SEED` replays one grading exactly.
SEED = {seed}

# The grader is the kit's command line, run with the kit's Python; an AUTOGRADER_SEED already set
# in the environment wins over SEED. A kernel opened on the source notebook (in Jupyter, by hand)
# is the kit's Python too (the kernelspec in .jupyter/): its hidden cells call the same grader.
os.environ["AUTOGRADER_KIT"] = KIT
os.environ["AUTOGRADER_PYTHON"] = {python!r}
os.environ.setdefault("AUTOGRADER_SEED", str(SEED))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [KIT, os.environ.get("PYTHONPATH")]))
os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [os.path.join(COURSE, ".jupyter"),
                                                           os.environ.get("JUPYTER_PATH")]))
os.environ["MPLBACKEND"] = {backend!r}
# one BLAS thread per kernel: on a busy machine BLAS threads fighting over the cores make the
# notebooks' small matrix products many times slower
for _name in {threads!r}:
    os.environ.setdefault(_name, "1")
# nbgrader runs its environment's `alembic` command when it creates the gradebook
os.environ["PATH"] = os.pathsep.join(filter(None, [os.path.dirname({python!r}), os.environ.get("PATH")]))

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.root = COURSE
c.CourseDirectory.course_id = {course_id!r}
# autograde copies source/<a>/ over the submission: keep the student's module, restore the rest.
c.Autograde.exclude_overwriting = {exclude!r}
c.ClearSolutions.text_stub = {stub!r}

# `nbgrader autograde` runs no student code: no kernel starts. In nbgrader's Execute's place,
# GradeSnapshot reads submitted/<student>/<a>/ without following links, records that snapshot and
# its SHA-256 in snapshots/<student>/<a>/, grades it once in the kit's sandbox with the class seed
# (python -m autograder grade), and writes each autograder cell's feedback and points from those
# results. `python -m frontdoors.nbgrader.crosscheck COURSE <a>` (from the kit's root) grades
# the snapshots again and names every file changed since.
sys.path.insert(0, KIT)
from frontdoors.nbgrader.autograde import autograde_preprocessors, set_aside_before_autograde  # noqa: E402

# nbgrader's own copy of submitted/ into autograded/ follows links and opens FIFOs and devices:
# move every such entry of submitted/ to set_aside/ first (named in the student's feedback)
set_aside_before_autograde(COURSE)

c.Autograde.autograde_preprocessors = autograde_preprocessors()
c.GradeSnapshot.seed = int(os.environ.get("AUTOGRADER_SEED") or SEED)
# a student who deletes an autograder cell gets it back (graded), not an ungraded hole
c.OverwriteCells.add_missing_cells = True

# Feedback shows each autograder cell's output (the part's points and messages), not its hidden
# call into the kit: nbgrader's default feedback would print the hidden block's source.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]
# Never render student-authored HTML/JavaScript (feedback pages and the formgrader): nbconvert's
# sanitiser for outputs; for markdown cells, which nbgrader's feedback template renders itself, the
# same cleaning through the filter that template applies; and a cleaner whose allow-list keeps what
# Markdown produces (nbconvert's own escapes every <p> and <h2>). See frontdoors/nbgrader/feedback.py.
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {{
    "strip_files_prefix": "frontdoors.nbgrader.feedback.strip_files_prefix_and_clean",
    "clean_html": "frontdoors.nbgrader.feedback.clean",
}}

load_subconfig("nbgrader_config_local.py")  # noqa: F821 - your settings, if the file exists
'''


def read_seed(course):
    cfg = Path(course) / "nbgrader_config.py"
    if cfg.exists():
        m = re.search(r"^SEED = (\d+)\s*$", cfg.read_text(), re.MULTILINE)
        if m:
            return int(m.group(1))
    return None


def nbgrader(course, *args, env=None, check=True, timeout=1800):
    """Run ``nbgrader <args>`` in ``course`` with this Python; return the CompletedProcess.

    The environment's ``bin`` goes first on PATH: nbgrader runs the ``alembic`` command
    of its own environment to open the gradebook, and kernels may resolve ``python`` there.
    """
    env = dict(os.environ if env is None else env)
    env["PATH"] = os.pathsep.join(filter(None, [str(Path(sys.executable).parent), env.get("PATH")]))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def build_course(course=COURSE, assignments=None, *, seed=None, generate_release=True, log=print):
    """Write (or refresh) the nbgrader course folder; run ``generate_assignment`` for each assignment.

    Only ``nbgrader_config.py``, ``.jupyter/`` and ``source/<a>/`` are (re)written; the
    gradebook, submissions and feedback are left alone.
    """
    course = Path(course).resolve()
    course.mkdir(parents=True, exist_ok=True)
    names = assignments or [a for a in with_notebooks() if parts(a)]
    for a in names:
        if not source_path(a).exists():
            raise NotebookSourceError(f"{a} has no notebook source ({source_path(a).relative_to(ROOT)})")
        if not parts(a):
            raise NotebookSourceError(f"{a} has no hidden tests yet (hidden_tests/{a}/test_*.py)")
    seed = seed if seed is not None else read_seed(course)
    seed = seed if seed is not None else secrets.randbits(31)
    graded = sorted(set(names) | {p.name for p in (course / "source").glob("*") if p.is_dir()})
    (course / "nbgrader_config.py").write_text(CONFIG.format(
        kit=str(ROOT), seed=int(seed), python=sys.executable, backend=INLINE_BACKEND, course_id=COURSE_ID,
        exclude={a: [f"{a}.py"] for a in graded}, stub=TEXT_STUB, threads=THREAD_VARIABLES))
    # a kernel that refuses to start under `nbgrader autograde` (frontdoors/nbgrader/kernel.py)
    write_kernelspec(course / ".jupyter", launcher=("-c", KERNEL_BOOT))
    for a in names:
        stage(a, course / "source" / a, variant="source")
        log(f"wrote {course / 'source' / a}/")
    if generate_release:
        env = dict(os.environ)
        env.pop("AUTOGRADER_SEED", None)
        for a in names:
            nbgrader(course, "generate_assignment", a, "--force", env=env)
            log(f"released {course / 'release' / a}/ (nbgrader generate_assignment {a})")
    log(f"course folder: {course} (class seed {seed})")
    return course




def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m frontdoors.nbgrader.course",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", default=str(COURSE))
    parser.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    parser.add_argument("--seed", type=int,
                        help="the class seed (default: kept from an existing config, else random)")
    parser.add_argument("--no-generate", action="store_true", help="do not run nbgrader generate_assignment")
    args = parser.parse_args(argv)
    try:
        build_course(args.dir, args.assignment, seed=args.seed, generate_release=not args.no_generate)
    except (NotebookSourceError, RuntimeError) as exc:
        print(f"frontdoors.nbgrader.course: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
