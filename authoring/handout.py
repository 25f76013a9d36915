"""The student handout: one zip that works wherever it is unpacked.

    python -m authoring.handout ASSIGNMENT [--out ZIP]     # make handout ASSIGNMENT=mle

``build/handout/<a>.zip`` holds one folder, ``<a>/``:

- the student files of ``assignments/<a>/`` as the generator writes them (the
  stub ``<a>.py``, ``README.md``, the notebook ``<a>.ipynb``, the public tests
  with their ``conftest.py``, ``notebook_tools.py``) — regenerated from
  ``solutions/``, so never a file someone edited in ``assignments/``;
- ``datasets/``: the loaders and data files the notebook reads
  (:func:`authoring.notebooks.data_files`), when it reads any;
- ``requirements.txt``: what a student installs, pinned at the kit's versions
  (:func:`authoring.requirements.student_requirements_text`);
- ``STUDENTS.md``: install, run the public tests, run the notebook, submit.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

from autograder.paths import ROOT, SOLUTIONS

from . import generate, notebooks, requirements

OUT = ROOT / "build" / "handout"

STUDENTS = """\
# `{a}`: what to do

Everything here works from wherever you unpacked it; you need Python 3.11 or newer.

## 1. Install

```sh
cd {a}
python3 -m venv .venv
source .venv/bin/activate          # Windows: .venv\\Scripts\\activate
pip install -r requirements.txt    # the versions the autograder uses
```

## 2. Write `{a}.py` and run the public tests

Every function whose body is `raise NotImplementedError` is yours (`README.md`
has the formulas and conventions). Then:

```sh
pytest test_{a}_public.py
```

A function you have not written yet is one line of the report (its tests fail).
Importing `sklearn` or `scipy.stats` fails here with the very message the
autograder gives. Passing the public tests does not mean full marks: the
hidden tests check much more.

## 3. Run the notebook

```sh
jupyter lab {a}.ipynb
```

It calls your module and draws what your functions compute; each "Autograded
part" cell runs that part's public tests. Where a function is not written yet,
its cell says which in one line and the rest still runs. Without a browser:

```sh
jupyter nbconvert --to notebook --execute {a}.ipynb --output {a}-run.ipynb
```

## 4. Submit

Submit **`{a}.py`** (Gradescope: upload that file; GitHub Classroom: commit
and push it; nbgrader: submit the assignment folder). The autograder grades
`{a}.py` only: the notebook calls your module but holds none of it, so
uploading the notebook instead of `{a}.py` scores nothing. In an nbgrader
course, the notebook's written answers are graded by hand.
"""


def build_handout(assignment, out=None):
    """Write the handout zip of ``assignment``; return its path."""
    known = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
    if assignment not in known:
        raise SystemExit(f"unknown assignment {assignment!r}; choose one of {', '.join(known)}")
    out = Path(out) if out else OUT / f"{assignment}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kit-handout-") as tmp:
        generate._write_into(tmp)
        folder = Path(tmp) / assignment
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{assignment}/{path.relative_to(folder).as_posix()}")
            if notebooks.source_path(assignment).exists():
                for f in notebooks.data_files(assignment):
                    zf.write(f, f"{assignment}/datasets/{f.name}")
            zf.writestr(f"{assignment}/requirements.txt", requirements.student_requirements_text())
            zf.writestr(f"{assignment}/STUDENTS.md", STUDENTS.format(a=assignment))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m authoring.handout", description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    out = build_handout(args.assignment, args.out)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
