"""Front doors that wrap the one engine: Gradescope and GitHub Classroom.

    python -m autograder.frontdoors gradescope ASSIGNMENT [--out ZIP]
    python -m autograder.frontdoors classroom-output RESULTS_JSON   # >> $GITHUB_OUTPUT

The Gradescope zip holds ``setup.sh`` and ``run_autograder`` at its root
(Gradescope's contract), the engine, the hidden tests and the reference of
that one assignment, the datasets and the lock file; its ``run_autograder``
calls ``python -m autograder grade``. The Classroom output converts a
``results.json`` into the base64 JSON that GitHub's grading reporter reads.
Neither scores anything itself.
"""
from __future__ import annotations

import argparse
import base64
import json
import sys
import zipfile
from pathlib import Path

from . import engine

ROOT = engine.ROOT
TEMPLATES = Path(__file__).resolve().parent / "templates"
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
        for name, arc in (("gradescope_setup.sh", "setup.sh"), ("gradescope_run_autograder", "run_autograder")):
            info = zipfile.ZipInfo(arc)
            info.external_attr = 0o755 << 16
            zf.writestr(info, (TEMPLATES / name).read_bytes())
        zf.writestr("ASSIGNMENT", assignment + "\n")
        for name in ("requirements.lock", "pyproject.toml"):
            zf.write(ROOT / name, name)
        for py in sorted((ROOT / "autograder").glob("*.py")):
            zf.write(py, f"autograder/{py.name}")
        _add_tree(zf, ROOT / "autograder" / "tests" / assignment, f"autograder/tests/{assignment}")
        _add_tree(zf, ROOT / "solutions" / assignment, f"solutions/{assignment}")
        _add_tree(zf, ROOT / "datasets", "datasets")
    return out


def classroom_output(results):
    """``result=<base64 JSON>`` for GitHub Classroom's autograding-grading-reporter."""
    tests = [{"name": t["name"], "status": "pass" if t["score"] >= t["max_score"] else "fail",
              "score": t["score"], "message": t.get("output", ""), "line_no": 0, "test_code": ""}
             for t in results.get("tests", [])]
    payload = {"version": 1, "max_score": sum(t["max_score"] for t in results.get("tests", [])),
               "status": "pass" if tests and all(t["status"] == "pass" for t in tests) else "fail",
               "tests": tests}
    return "result=" + base64.b64encode(json.dumps(payload).encode()).decode()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.frontdoors")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("gradescope", help="build the Gradescope autograder zip")
    g.add_argument("assignment")
    g.add_argument("--out")
    c = sub.add_parser("classroom-output", help="print the GitHub Classroom reporter output")
    c.add_argument("results")
    args = parser.parse_args(argv)
    if args.command == "gradescope":
        out = gradescope_zip(args.assignment, args.out or ROOT / "build" / f"gradescope-{args.assignment}.zip")
        print(f"wrote {out}")
    else:
        print(classroom_output(json.loads(Path(args.results).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
