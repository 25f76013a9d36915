"""Pinned requirement lists cut from the kit's one lock, ``requirements.lock``.

    python -m authoring.requirements grader    # the text of requirements-grader.lock
    python -m authoring.requirements student   # the text of a handout's requirements.txt
    python -m authoring.requirements grader --write   # (re)write requirements-grader.lock

A list is the *closure* of a few roots: every distribution they require,
transitively (read from the installed distributions' metadata, markers
evaluated for this platform, extras not followed), each pinned at its version
in ``requirements.lock``. Never hand-maintained; the kit's tests check that
``requirements-grader.lock`` is what this module writes.
"""
from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

from autograder.paths import ROOT
LOCK = ROOT / "requirements.lock"
GRADER_LOCK = ROOT / "requirements-grader.lock"

#: What the grader needs: the engine (autograder/), the hidden tests, the datasets.
#: No notebook stack (JupyterLab, nbgrader, nbclient, ipykernel), no Matplotlib.
GRADER_ROOTS = ("numpy", "scipy", "scikit-learn", "pytest", "threadpoolctl", "tqdm")
#: What a student needs: the libraries, the public tests, Jupyter (the notebook, and a
#: headless run with `jupyter nbconvert --execute` / nbclient).
STUDENT_ROOTS = ("numpy", "scipy", "matplotlib", "pytest", "jupyterlab", "ipykernel", "nbclient",
                 "nbconvert")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path=LOCK):
    """{canonical name: (name as written, version)} of a ``name==version`` lock file."""
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            out[canonical(name)] = (name.strip(), version.strip())
    return out


def closure(roots, lock=None):
    """The lock's entries that ``roots`` need, transitively: {canonical name: (name, version)}."""
    lock = read_lock() if lock is None else lock
    env = default_environment()
    env["extra"] = ""
    todo, seen = [canonical(r) for r in roots], {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in lock:
            raise LookupError(f"{name} is needed but not in {LOCK.name}")
        seen[name] = lock[name]
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            raise LookupError(f"{name} is in {LOCK.name} but not installed: run `make venv`") from None
        for spec in requires:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            dep = canonical(req.name)
            if dep in lock:
                todo.append(dep)
            # a requirement of another platform (not in the lock) is left to pip
    return dict(sorted(seen.items()))


def lock_text(roots, title):
    lines = [f"# {title}", f"# Generated from {LOCK.name} by `python -m authoring.requirements`; do not edit.",
             f"# Roots: {', '.join(roots)} (and everything they require)."]
    lines += [f"{name}=={version}" for name, version in closure(roots).values()]
    return "\n".join(lines) + "\n"


def grader_lock_text():
    return lock_text(GRADER_ROOTS, "What the grader needs (Gradescope's setup.sh installs only this).")


def student_requirements_text():
    return lock_text(STUDENT_ROOTS, "What you need for this assignment: pip install -r requirements.txt")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m authoring.requirements",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=("grader", "student"))
    parser.add_argument("--write", action="store_true", help=f"grader: write {GRADER_LOCK.name}")
    args = parser.parse_args(argv)
    text = grader_lock_text() if args.which == "grader" else student_requirements_text()
    if args.write and args.which == "grader":
        GRADER_LOCK.write_text(text, encoding="utf-8")
        print(f"wrote {GRADER_LOCK.name}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
