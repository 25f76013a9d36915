"""Gradescope's front door: the autograder zip around the one engine.

    python -m frontdoors.gradescope.build ASSIGNMENT [--out ZIP]

The Gradescope zip holds ``setup.sh`` and ``run_autograder`` at its root
(Gradescope's contract), the engine, the hidden tests and the reference of
that one assignment, the datasets and the lock file; its ``run_autograder``
calls ``python -m autograder grade``. It scores nothing itself.
"""
from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from autograder import engine

ROOT = engine.ROOT
HERE = Path(__file__).resolve().parent
SKIP = {"__pycache__", ".pytest_cache", "mnist_full"}


def _add_tree(zf, folder, arcbase):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not SKIP & set(path.parts):
            zf.write(path, f"{arcbase}/{path.relative_to(folder)}")


def gradescope_zip(assignment, out):
    """Write the Gradescope autograder zip of ``assignment`` to ``out``."""
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
        for name in ("requirements.lock", "pyproject.toml"):
            zf.write(ROOT / name, name)
        for py in sorted((ROOT / "autograder").glob("*.py")):
            zf.write(py, f"autograder/{py.name}")
        zf.write(engine.PYTEST_INI, f"autograder/{engine.PYTEST_INI.name}")  # the engine's pytest config
        _add_tree(zf, ROOT / "autograder" / "tests" / assignment, f"autograder/tests/{assignment}")
        _add_tree(zf, ROOT / "solutions" / assignment, f"solutions/{assignment}")
        _add_tree(zf, ROOT / "datasets", "datasets")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m frontdoors.gradescope.build",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    out = gradescope_zip(args.assignment, args.out or ROOT / "build" / f"gradescope-{args.assignment}.zip")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
