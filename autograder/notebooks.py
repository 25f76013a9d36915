"""Notebooks: one text source per assignment → the student notebook and the nbgrader course.

    python -m autograder.notebooks assignments [DEST]   # write DEST/<a>/<a>.ipynb (default assignments/)
    python -m autograder.notebooks course [DIR] [--assignment A ...] [--seed N] [--no-generate]
                                                       # an nbgrader course folder (default build/nbgrader)
    python -m autograder.notebooks kernel DIR          # a "python3" kernelspec of this Python under DIR

The source of an assignment's notebook is ``solutions/<a>/<a>_notebook.py``
in jupytext's percent format (a plain, reviewable Python file). Cells:

``# %% [markdown]``
    course text (locked in nbgrader).
``# %%``
    code that calls the student's module and draws figures (read-only).
``# %% autograde="<part>"``
    where the autograder cell of part ``<part>`` goes (the hidden test module
    ``autograder/tests/<a>/test_<part>.py``); its body is ignored. The cell is
    derived from the hidden tests present: its points are the part's
    ``@points``, a part with no cell in the source gets one at the end, a
    cell whose part has no hidden tests (yet) is left out.
``# %% [markdown] answer="<id>" points=N``
    a written answer, graded by hand; the body is the model answer (in the
    nbgrader source only; students get "YOUR ANSWER HERE").

Two notebooks are built from it:

- the **student** notebook ``assignments/<a>/<a>.ipynb``: model answers
  blanked, each autograder cell a comment saying what it grades, no nbgrader
  metadata;
- the **source** notebook of the nbgrader course, ``<course>/source/<a>/<a>.ipynb``:
  nbgrader metadata on every cell, the model answers, and in each autograder
  cell a hidden block (``### BEGIN/END HIDDEN TESTS``) holding only a call
  into the kit: ``part_points("<a>", "<part>", <points>)``
  (:mod:`autograder.nbgrader_hook`), whose last expression is the points.
  The checks themselves stay in ``autograder/tests/``.

The course folder holds ``nbgrader_config.py`` (kit root, class seed, the
kernel, ``Autograde.exclude_overwriting`` so the student's module is what
gets graded), a kernelspec pointing to this Python, and ``source/<a>/``:
the student files of ``assignments/<a>/`` (the *stub* module, never the
reference), the source notebook and the data files the notebook loads.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import stubs
from .nbgrader_hook import parts

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = ROOT / "assignments"
DATASETS = ROOT / "datasets"
TESTS = ROOT / "autograder" / "tests"
COURSE = ROOT / "build" / "nbgrader"
COURSE_ID = "density-estimation"
TEXT_STUB = "YOUR ANSWER HERE"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Data files each loader of ``datasets`` reads (copied into the release when the notebook calls it).
LOADER_FILES = {
    "load_old_faithful": ["old_faithful.csv"],
    "load_mnist_subset": ["mnist_5k.npz"],
}
#: Files of ``datasets/`` a release never needs.
DATASETS_SKIP = {"fetch_mnist.py"}
#: One BLAS thread per kernel: on a shared or busy machine OpenBLAS's threads fight over the
#: cores and a notebook's small matrix products get 50 times slower.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"


class NotebookSourceError(ValueError):
    pass


def source_path(assignment):
    return SOLUTIONS / assignment / f"{assignment}_notebook.py"


def with_notebooks():
    """Assignments that have a notebook source."""
    return sorted(p.parent.name for p in SOLUTIONS.glob("*/*_notebook.py")
                  if p.name == f"{p.parent.name}_notebook.py")


# ----------------------------------------------------------------------------
# building the notebooks


def _kind(cell, where):
    meta = cell.metadata
    if cell.cell_type == "markdown":
        if "answer" in meta:
            if "points" not in meta:
                raise NotebookSourceError(f"{where}: an answer cell needs points=N")
            return "answer"
        return "text"
    if cell.cell_type == "code":
        return "autograde" if "autograde" in meta else "code"
    raise NotebookSourceError(f"{where}: unexpected cell type {cell.cell_type}")


def _check_words(text, where):
    for word in stubs.MARKER_WORDS:
        if word in text:
            raise NotebookSourceError(f"{where}: the notebook source must not contain {word!r} "
                                      "(the generator writes the nbgrader markers itself)")


def read_source(assignment):
    """The notebook source as cells ``[(kind, cell)]`` (jupytext percent format)."""
    import jupytext

    path = source_path(assignment)
    text = path.read_text(encoding="utf-8")
    _check_words(text, str(path.relative_to(ROOT)))
    nb = jupytext.reads(text, fmt="py:percent")
    cells = [(_kind(c, f"{path.name} cell {i}"), c) for i, c in enumerate(nb.cells)]
    ids = [c.metadata["answer"] for k, c in cells if k == "answer"]
    bad = [i for i in ids if not re.fullmatch(r"[A-Za-z0-9_]{1,50}", str(i))]
    if bad:
        raise NotebookSourceError(f"{path.name}: answer ids are letters, digits and _, got {bad}")
    if len(ids) != len(set(ids)):
        raise NotebookSourceError(f"{path.name}: answer ids must be unique, got {ids}")
    return nb, cells


def _autograde_text(assignment, part):
    return (f"# Autograded part: {part.title} ({part.points:g} points).\n"
            f"# Hidden tests grade your {assignment}.py when you submit; for a first check,\n"
            f"# run the public tests: pytest test_{assignment}_public.py")


def _hidden_call(assignment, part):
    return (f"{HIDDEN_BEGIN}\n"
            "from autograder.nbgrader_hook import part_points\n"
            f"part_points({assignment!r}, {part.name!r}, {part.points:g})\n"
            f"{HIDDEN_END}")


def _nbgrader_meta(grade_id, *, grade=False, solution=False, locked=True, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def build_notebook(assignment, variant, tests_root=TESTS):
    """The notebook of ``assignment``: ``variant`` is "student" or "source" (nbgrader)."""
    import nbformat

    if variant not in ("student", "source"):
        raise ValueError("variant must be 'student' or 'source'")
    src, cells = read_source(assignment)
    graded = {p.name: p for p in parts(assignment, tests_root)}
    placed = {c.metadata["autograde"] for k, c in cells if k == "autograde"}
    missing = [p for name, p in graded.items() if name not in placed]
    if missing:
        cells = cells + [("text", nbformat.v4.new_markdown_cell(
            "## Other graded parts\n\nThe autograder also grades these parts of your module."))]
        cells += [("autograde", nbformat.v4.new_code_cell("", metadata={"autograde": p.name}))
                  for p in missing]
    out = []
    counter = 0
    for kind, cell in cells:
        if kind == "autograde":
            part = graded.get(cell.metadata["autograde"])
            if part is None:
                continue  # no hidden tests for this part (yet)
            source = _autograde_text(assignment, part)
            if variant == "source":
                source += "\n" + _hidden_call(assignment, part)
            new = nbformat.v4.new_code_cell(source)
            grade_id = f"part_{part.name}"
            nbg = _nbgrader_meta(grade_id, grade=True, points=part.points)
        elif kind == "answer":
            answer_id = cell.metadata["answer"]
            text = cell.source if variant == "source" else TEXT_STUB
            new = nbformat.v4.new_markdown_cell(text)
            grade_id = f"answer_{answer_id}"
            nbg = _nbgrader_meta(grade_id, grade=True, solution=True, locked=False,
                                 points=float(cell.metadata["points"]))
        else:
            counter += 1
            maker = nbformat.v4.new_markdown_cell if kind == "text" else nbformat.v4.new_code_cell
            new = maker(cell.source)
            grade_id = f"{kind}_{counter:02d}"
            nbg = _nbgrader_meta(grade_id)
        new.id = grade_id.replace("_", "-")
        if variant == "source":
            new.metadata["nbgrader"] = nbg
        if kind in ("text", "code", "autograde"):
            new.metadata["editable"] = False
            new.metadata["deletable"] = False
        out.append(new)
    nb = nbformat.v4.new_notebook(cells=out)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "generated_from": str(source_path(assignment).relative_to(ROOT)),
    }
    nbformat.validate(nb)
    return nb


def write_notebook(nb, path):
    import nbformat

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path


def write_student_notebook(assignment, dest_folder):
    """Write ``<dest_folder>/<a>.ipynb`` (student variant); drop a copied notebook source.

    Meant to run right after :func:`autograder.stubs.generate` wrote the folder.
    """
    dest_folder = Path(dest_folder)
    copied = dest_folder / source_path(assignment).name
    if copied.exists():
        copied.unlink()
    return write_notebook(build_notebook(assignment, "student"), dest_folder / f"{assignment}.ipynb")


def generate(dest_root=ASSIGNMENTS):
    """Student notebooks of every assignment that has a notebook source."""
    written = []
    for a in with_notebooks():
        if (Path(dest_root) / a).is_dir():
            written.append(write_student_notebook(a, Path(dest_root) / a))
    return written


def data_files(assignment):
    """The files of ``datasets/`` the assignment's notebook needs ([] when it loads none)."""
    text = source_path(assignment).read_text(encoding="utf-8")
    if not re.search(r"^\s*(from datasets import|import datasets)", text, re.MULTILINE):
        return []
    files = [p for p in sorted(DATASETS.iterdir())
             if p.is_file() and p.name not in DATASETS_SKIP
             and (p.suffix in (".py", ".md") or p.name == "SHA256SUMS")]
    for loader, names in LOADER_FILES.items():
        if re.search(rf"\b{loader}\b", text):
            files += [DATASETS / n for n in names]
    return files


def stage(assignment, dest, *, variant="source", module_text=None):
    """Write a complete assignment folder to ``dest``: what ``source/<a>/`` of the course holds.

    The student files of ``assignments/<a>/`` (regenerated from ``solutions/``, so the stub,
    never the reference), the notebook of ``variant``, and the data it loads under
    ``datasets/``. ``module_text`` replaces the module (tests use it to stage a submission).
    """
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    with tempfile.TemporaryDirectory(prefix="kit-stubs-") as tmp:
        stubs.generate(tmp)
        shutil.copytree(Path(tmp) / assignment, dest)
    for stray in (dest / source_path(assignment).name, dest / f"{assignment}.ipynb"):
        if stray.exists():
            stray.unlink()
    write_notebook(build_notebook(assignment, variant), dest / f"{assignment}.ipynb")
    for f in data_files(assignment):
        (dest / "datasets").mkdir(exist_ok=True)
        shutil.copyfile(f, dest / "datasets" / f.name)
    if module_text is not None:
        (dest / f"{assignment}.py").write_text(module_text, encoding="utf-8")
    return dest


# ----------------------------------------------------------------------------
# kernel and environment


def write_kernelspec(jupyter_dir, python=None):
    """A ``python3`` kernelspec running ``python`` (default: this interpreter) under ``jupyter_dir``.

    Put ``jupyter_dir`` first on ``JUPYTER_PATH`` and every notebook whose
    kernel is "python3" runs in the kit's environment, whatever other
    kernelspecs the machine has.
    """
    folder = Path(jupyter_dir) / "kernels" / "python3"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [str(python or sys.executable), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (density-estimation kit)", "language": "python",
            "metadata": {"debugger": False}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return Path(jupyter_dir)


def kernel_env(jupyter_dir, base=None, seed=None):
    """Environment for nbgrader / nbclient: the kit's kernel, the kit on the kernel's path."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter_dir), env.get("JUPYTER_PATH")]))
    env["PATH"] = os.pathsep.join(filter(None, [str(Path(sys.executable).parent), env.get("PATH")]))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["AUTOGRADER_KIT"] = str(ROOT)
    env["AUTOGRADER_PYTHON"] = sys.executable
    env["MPLBACKEND"] = INLINE_BACKEND
    for key in THREAD_VARIABLES:
        env.setdefault(key, "1")
    if seed is not None:
        env["AUTOGRADER_SEED"] = str(seed)
    return env


def execute_notebook(path, jupyter_dir, *, timeout=600, allow_errors=False, env=None):
    """Run the notebook at ``path`` top to bottom (nbclient) in its folder with the kit's kernel.

    Returns the executed notebook; with ``allow_errors=False`` the first failing
    cell raises ``nbclient.exceptions.CellExecutionError`` (``.ename``, ``.evalue``).
    """
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    path = Path(path)
    write_kernelspec(jupyter_dir)
    nb = nbformat.read(path, as_version=4)
    ksm = KernelSpecManager(kernel_dirs=[str(Path(jupyter_dir) / "kernels")], ensure_native_kernel=False)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=ksm)
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env if env is not None else kernel_env(jupyter_dir), cwd=str(path.parent))
    return nb


def outputs_of(nb, output_type=None):
    """All outputs of the notebook's code cells (optionally of one ``output_type``)."""
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if output_type is None or o.output_type == output_type]


def images_of(nb):
    """The code cells' PNG figures."""
    return [o for o in outputs_of(nb) if o.output_type in ("display_data", "execute_result")
            and "image/png" in o.get("data", {})]


# ----------------------------------------------------------------------------
# the nbgrader course

CONFIG = '''\
"""nbgrader configuration of the density-estimation course.

Written by `make nbgrader` (python -m autograder.notebooks course): a rebuild rewrites this file,
keeping SEED. Settings of your own (c.Exchange.root, the course id, ...) go in
nbgrader_config_local.py next to it: read last, never overwritten.
Run every nbgrader command from this folder, with the kit's environment:
    source {kit}/.venv/bin/activate   (or call {kit}/.venv/bin/nbgrader)
"""
import os

KIT = {kit!r}
COURSE = os.path.dirname(os.path.abspath(__file__))
#: One seed for the whole class: the data the hidden tests draw. Printed in every feedback;
#: `python -m autograder grade <a> SUBMISSION --seed SEED` replays one grading exactly.
SEED = {seed}

# The autograder-tests cells call the kit's grader from inside the student's kernel: the kernel
# is the kit's Python (the kernelspec in .jupyter/), finds the kit on PYTHONPATH and the class
# seed in AUTOGRADER_SEED (an AUTOGRADER_SEED already set in the environment wins).
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
# Only the notebook's autograder cells score; each grades one part (a few seconds per notebook).
c.Execute.timeout = 900
# autograde copies source/<a>/ over the submission: keep the student's module, restore the rest.
c.Autograde.exclude_overwriting = {exclude!r}
c.ClearSolutions.text_stub = {stub!r}
# Feedback shows each autograder cell's output (the part's points and messages), not its hidden
# call into the kit: nbgrader's default feedback would print the hidden block's source.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]

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
            raise NotebookSourceError(f"{a} has no hidden tests yet (autograder/tests/{a}/test_*.py)")
    seed = seed if seed is not None else read_seed(course)
    seed = seed if seed is not None else secrets.randbits(31)
    graded = sorted(set(names) | {p.name for p in (course / "source").glob("*") if p.is_dir()})
    (course / "nbgrader_config.py").write_text(CONFIG.format(
        kit=str(ROOT), seed=int(seed), python=sys.executable, backend=INLINE_BACKEND, course_id=COURSE_ID,
        exclude={a: [f"{a}.py"] for a in graded}, stub=TEXT_STUB, threads=THREAD_VARIABLES))
    write_kernelspec(course / ".jupyter")
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


# ----------------------------------------------------------------------------
# command line


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.notebooks",
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("assignments", help="write the student notebooks into assignments/<a>/")
    s.add_argument("dest", nargs="?", default=str(ASSIGNMENTS))
    c = sub.add_parser("course", help="build the nbgrader course folder and release the assignments")
    c.add_argument("dir", nargs="?", default=str(COURSE))
    c.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    c.add_argument("--seed", type=int,
                   help="the class seed (default: kept from an existing config, else random)")
    c.add_argument("--no-generate", action="store_true", help="do not run nbgrader generate_assignment")
    k = sub.add_parser("kernel", help="write a python3 kernelspec of this Python under DIR")
    k.add_argument("dir")
    args = parser.parse_args(argv)
    try:
        if args.command == "assignments":
            for p in generate(args.dest):
                print(f"wrote {p}")
        elif args.command == "course":
            build_course(args.dir, args.assignment, seed=args.seed, generate_release=not args.no_generate)
        else:
            print(write_kernelspec(args.dir))
    except (NotebookSourceError, RuntimeError) as exc:
        print(f"autograder.notebooks: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
