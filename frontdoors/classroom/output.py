"""GitHub Classroom's front door: a ``results.json`` as the grading reporter's input.

    python -m frontdoors.classroom.output RESULTS_JSON   # >> $GITHUB_OUTPUT

Converts the engine's results into the base64 JSON that GitHub's
``autograding-grading-reporter`` reads; it scores nothing itself.
"""
from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path


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
    parser = argparse.ArgumentParser(prog="python -m frontdoors.classroom.output",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("results")
    args = parser.parse_args(argv)
    print(classroom_output(json.loads(Path(args.results).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
