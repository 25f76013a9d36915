"""Generate what students get, ``assignments/``, from the one source, ``solutions/``.

    python -m authoring            # write assignments/
    python -m authoring --check    # exit 1 if assignments/ is out of date

Each ``assignments/<a>/`` is the stub module and stamped copies of the public
tests and README (:mod:`authoring.stubs`) plus the student notebook built from
``solutions/<a>/<a>_notebook.py`` (:mod:`authoring.notebooks`).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from . import notebooks, stubs

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = ROOT / "assignments"


def generate(dest_root=ASSIGNMENTS):
    """Write every assignment's student files under ``dest_root``."""
    dest_root = Path(dest_root)
    for folder in sorted(p for p in SOLUTIONS.iterdir() if p.is_dir()):
        dest = dest_root / folder.name
        if dest.exists():
            shutil.rmtree(dest)
        stubs.write_files(folder, dest)
        if notebooks.source_path(folder.name).exists():
            stubs.refuse_markers(notebooks.write_student_notebook(folder.name, dest))


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
        generate(tmp)
        shutil.copytree(Path(tmp) / assignment, dest)
    for stray in (dest / notebooks.source_path(assignment).name, dest / f"{assignment}.ipynb"):
        if stray.exists():
            stray.unlink()
    notebooks.write_notebook(notebooks.build_notebook(assignment, variant), dest / f"{assignment}.ipynb")
    for f in notebooks.data_files(assignment):
        (dest / "datasets").mkdir(exist_ok=True)
        shutil.copyfile(f, dest / "datasets" / f.name)
    if module_text is not None:
        (dest / f"{assignment}.py").write_text(module_text, encoding="utf-8")
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m authoring", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that assignments/ is up to date")
    args = parser.parse_args(argv)
    if not args.check:
        generate()
        print(f"wrote {ASSIGNMENTS.relative_to(ROOT)}/ from {SOLUTIONS.relative_to(ROOT)}/")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp)
        diffs = stubs.differences(tmp, ASSIGNMENTS) if ASSIGNMENTS.exists() else ["assignments/"]
    if diffs:
        print("assignments/ is out of date with solutions/ (run `make assignments`): "
              + ", ".join(diffs), file=sys.stderr)
        return 1
    print("assignments/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
