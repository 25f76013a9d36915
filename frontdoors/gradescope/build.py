"""Gradescope's front door: the autograder zip around the one engine.

    python -m frontdoors.gradescope.build ASSIGNMENT [--out ZIP]

The Gradescope zip holds ``setup.sh`` and ``run_autograder`` at its root
(Gradescope's contract), the engine, the hidden tests and the reference of
that one assignment, the datasets and the grader's lock
(``requirements-grader.lock``: no Jupyter, no nbgrader); its ``run_autograder``
calls ``python -m autograder grade``. It scores nothing itself. Both scripts
take their root from ``AUTOGRADER_HOME`` (default ``/autograder``).
"""
from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from autograder import engine, paths

ROOT = paths.ROOT
HERE = Path(__file__).resolve().parent
SKIP = {"__pycache__", ".pytest_cache", "mnist_full"}


def _add_tree(zf, folder, arcbase, skip=()):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not SKIP & set(path.parts) and path.name not in skip \
                and not path.name.endswith(".pyc"):
            zf.write(path, f"{arcbase}/{path.relative_to(folder)}")


#: Large data files and the loader names that read them.
DATA_READERS = {"mnist_3k.npz": ("load_mnist_subset", "load_mnist_5k"),
                "mnist_heldout.npz": ("load_mnist_heldout", "load_mnist_5k")}


def _unused_data(assignment):
    """Large data files that neither the hidden tests nor the reference of ``assignment`` load."""
    texts = "\n".join(p.read_text(encoding="utf-8") for folder in
                      (paths.HIDDEN_TESTS / assignment, paths.SOLUTIONS / assignment)
                      for p in folder.glob("*.py"))
    return {name for name, readers in DATA_READERS.items() if not any(r in texts for r in readers)}


def gradescope_zip(assignment, out, *, unisolated=False):
    """Write the Gradescope autograder zip of ``assignment`` to ``out``.

    ``unisolated``: the zip grades even where Gradescope's container gives no
    namespaces (``run_autograder`` passes ``--unisolated``; every result says
    "graded without isolation"). Without it such a container grades nothing.
    """
    if assignment not in engine.assignments():
        raise SystemExit(f"unknown assignment {assignment!r}; choose one of {', '.join(engine.assignments())}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc in ("setup.sh", "run_autograder"):
            info = zipfile.ZipInfo(arc)
            info.external_attr = 0o755 << 16
            zf.writestr(info, (HERE / arc).read_bytes())
        zf.writestr("ASSIGNMENT", assignment + "\n")
        if unisolated:
            zf.writestr("UNISOLATED", "built with --unisolated: grade even without namespaces\n")
        for name in ("requirements-grader.lock", "pyproject.toml"):
            zf.write(ROOT / name, name)
        for py in sorted((ROOT / "autograder").glob("*.py")):
            zf.write(py, f"autograder/{py.name}")
        zf.write(engine.PYTEST_INI, f"autograder/{engine.PYTEST_INI.name}")  # the engine's pytest config
        zf.write(paths.HIDDEN_TESTS / "__init__.py", "hidden_tests/__init__.py")
        _add_tree(zf, paths.HIDDEN_TESTS / assignment, f"hidden_tests/{assignment}")
        _add_tree(zf, ROOT / "solutions" / assignment, f"solutions/{assignment}")
        _add_tree(zf, ROOT / "datasets", "datasets", skip={"fetch_mnist.py", "carve_mnist.py", *_unused_data(assignment)})
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m frontdoors.gradescope.build",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--out")
    parser.add_argument("--unisolated", action="store_true",
                        help="grade even where the container gives no namespaces (every result "
                             "then says \"graded without isolation\")")
    args = parser.parse_args(argv)
    out = gradescope_zip(args.assignment, args.out or ROOT / "build" / f"gradescope-{args.assignment}.zip",
                         unisolated=args.unisolated)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
