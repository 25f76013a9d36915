"""Notebooks: one text source per assignment → the student notebook and the nbgrader course.

    python -m authoring.notebooks kernel DIR   # a "python3" kernelspec of this Python under DIR

The source of an assignment's notebook is ``solutions/<a>/<a>_notebook.py``
in jupytext's percent format (a plain, reviewable Python file). Cells:

``# %% [markdown]``
    course text (locked in nbgrader).
``# %%``
    code that calls the student's module and draws figures (read-only).
``# %% autograde="<part>"``
    where the autograder cell of part ``<part>`` goes (the hidden test module
    ``hidden_tests/<a>/test_<part>.py``); its body is ignored. The cell is
    derived from the hidden tests present: its points are the part's
    ``@points``, a part with no cell in the source gets one at the end, a
    cell whose part has no hidden tests (yet) is left out.
``# %% [markdown] answer="<id>" points=N``
    a written answer, graded by hand; the body is the model answer (in the
    nbgrader source only; students get "YOUR ANSWER HERE").

Two notebooks are built from it:

- the **student** notebook ``assignments/<a>/<a>.ipynb``: model answers
  blanked, no nbgrader metadata, a first code cell that imports the helpers of
  ``notebook_tools.py`` (:mod:`authoring.support`) and turns on
  ``stop_at_unwritten()`` (a call to an unwritten function ends its cell with
  one line, the rest of the notebook still runs), and each autograder cell
  saying what it grades and calling ``check("<-k expression>")``: that part's
  public tests, failures on stderr (so ``nbgrader validate`` reports them). The
  expression is the cell's ``public="..."`` in the source (default ``test_<part>``);
- the **source** notebook of the nbgrader course, ``<course>/source/<a>/<a>.ipynb``:
  nbgrader metadata on every cell, the model answers, and in each autograder
  cell the same visible check, a first hidden block that turns it off while
  nbgrader grades (nbgrader would score a cell writing to stderr 0) and a last
  hidden block (``### BEGIN/END HIDDEN TESTS``) holding only a call
  into the kit: ``part_points("<a>", "<part>", <points>)``
  (:mod:`frontdoors.nbgrader.hook`), whose last expression is the points.
  The checks themselves stay in ``hidden_tests/``.

The course itself is built by :mod:`frontdoors.nbgrader.course`. It holds ``nbgrader_config.py`` (kit root, class seed,
the snapshot grader that replaces nbgrader's ``Execute``, ``Autograde.exclude_overwriting``
so the student's module is what gets graded), a kernelspec pointing to this Python, and ``source/<a>/``:
the student files of ``assignments/<a>/`` (the *stub* module, never the
reference), the source notebook and the data files the notebook loads.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from autograder.catalog import parts
from autograder.paths import DATASETS, HIDDEN_TESTS, ROOT, SOLUTIONS, STUDENT

from .stubs import MARKER_WORDS

ASSIGNMENTS = STUDENT
TESTS = HIDDEN_TESTS
TEXT_STUB = "YOUR ANSWER HERE"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Data files each loader of ``datasets`` reads (copied into the release when the notebook calls it).
LOADER_FILES = {
    "load_old_faithful": ["old_faithful.csv"],
    "load_mnist_subset": ["mnist_3k.npz"],
}
#: Files of ``datasets/`` a release never needs.
DATASETS_SKIP = {"fetch_mnist.py", "carve_mnist.py"}
#: One BLAS thread per kernel: on a shared or busy machine OpenBLAS's threads fight over the
#: cores and a notebook's small matrix products get 50 times slower.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
#: Environment variable that turns the notebook's check() off (authoring/student/notebook_tools.py).
QUIET_VARIABLE = "NOTEBOOK_CHECKS_OFF"


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
    for word in MARKER_WORDS:
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


def _autograde_text(assignment, part, public):
    return (f"# Autograded part: {part.title} ({part.points:g} points).\n"
            f"# Hidden tests grade your {assignment}.py when you submit. Here, the public tests of\n"
            f"# this part (all of them: pytest test_{assignment}_public.py):\n"
            f"check({public!r})")


def _hidden_quiet():
    """First lines of a source autograder cell: the visible check() is off while nbgrader grades."""
    return (f"{HIDDEN_BEGIN}\n"
            f"import os\nos.environ[{QUIET_VARIABLE!r}] = '1'\n"
            f"{HIDDEN_END}\n")


def _hidden_call(assignment, part):
    return (f"{HIDDEN_BEGIN}\n"
            "from frontdoors.nbgrader.hook import part_points\n"
            f"part_points({assignment!r}, {part.name!r}, {part.points:g})\n"
            f"{HIDDEN_END}")


def public_expression(cell, part_name):
    """The ``pytest -k`` expression of a part's public tests: ``public="..."`` or ``test_<part>``."""
    return str(cell.metadata.get("public") or f"test_{part_name}")


TOOLS_CELL = (
    "# The notebook's helpers (notebook_tools.py, next to this notebook): check(...) runs the public\n"
    "# tests of one part; from the next cell on, a function you have not written yet ends its cell\n"
    "# with one line saying which, and the rest of the notebook still runs.\n"
    "from notebook_tools import check, stop_at_unwritten\n\n"
    "stop_at_unwritten()")


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
    first_code = next((i for i, (k, _) in enumerate(cells) if k == "code"), None)
    if first_code is not None:
        cells = cells[:first_code] + [("tools", nbformat.v4.new_code_cell(TOOLS_CELL))] + cells[first_code:]
    out = []
    counter = 0
    for kind, cell in cells:
        if kind == "autograde":
            part = graded.get(cell.metadata["autograde"])
            if part is None:
                continue  # no hidden tests for this part (yet)
            source = _autograde_text(assignment, part, public_expression(cell, part.name))
            if variant == "source":
                source = _hidden_quiet() + source + "\n" + _hidden_call(assignment, part)
            new = nbformat.v4.new_code_cell(source)
            grade_id = f"part_{part.name}"
            nbg = _nbgrader_meta(grade_id, grade=True, points=part.points)
        elif kind == "tools":
            new = nbformat.v4.new_code_cell(cell.source)
            grade_id = "code_tools"
            nbg = _nbgrader_meta(grade_id)
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
        if kind in ("text", "code", "autograde", "tools"):
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


def public_checks(assignment, tests_root=TESTS):
    """[(part, pytest -k expression)]: each graded part and the public tests its check cell runs."""
    graded = {p.name: p for p in parts(assignment, tests_root)}
    exprs = {}
    if source_path(assignment).exists():
        _, cells = read_source(assignment)
        exprs = {c.metadata["autograde"]: public_expression(c, c.metadata["autograde"])
                 for k, c in cells if k == "autograde"}
    return [(part, exprs.get(name, f"test_{name}")) for name, part in graded.items()]


def write_notebook(nb, path):
    import nbformat

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path


def write_student_notebook(assignment, dest_folder):
    """Write ``<dest_folder>/<a>.ipynb`` (student variant); drop a copied notebook source.

    Meant to run right after :func:`authoring.stubs.write_files` wrote the folder.
    """
    dest_folder = Path(dest_folder)
    copied = dest_folder / source_path(assignment).name
    if copied.exists():
        copied.unlink()
    return write_notebook(build_notebook(assignment, "student"), dest_folder / f"{assignment}.ipynb")


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


# ----------------------------------------------------------------------------
# kernel and environment


def write_kernelspec(jupyter_dir, python=None, launcher=("-m", "ipykernel_launcher")):
    """A ``python3`` kernelspec running ``python`` (default: this interpreter) under ``jupyter_dir``.

    Put ``jupyter_dir`` first on ``JUPYTER_PATH`` and every notebook whose
    kernel is "python3" runs in the kit's environment, whatever other
    kernelspecs the machine has. ``launcher``: the interpreter's arguments
    that start the kernel (``-f <connection file>`` follows).
    """
    folder = Path(jupyter_dir) / "kernels" / "python3"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [str(python or sys.executable), *launcher, "-f", "{connection_file}"],
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
# command line


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m authoring.notebooks",
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    k = sub.add_parser("kernel", help="write a python3 kernelspec of this Python under DIR")
    k.add_argument("dir")
    args = parser.parse_args(argv)
    print(write_kernelspec(args.dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
