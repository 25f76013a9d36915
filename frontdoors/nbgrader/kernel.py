"""The course's ``python3`` kernel: ipykernel, except during ``nbgrader autograde``.

The course config replaces nbgrader's ``Execute`` (no kernel is needed to
autograde). If that config ever fails to load, nbgrader logs the error and
carries on with its defaults — which would run every student's notebook as
the instructor. The course's kernelspec therefore starts this module: with
``NBGRADER_EXECUTION=autograde`` (set by nbgrader while it autogrades) it
refuses to start, so that student's autograding fails loudly and no student
code runs; otherwise it is ``python -m ipykernel_launcher``.
"""
from __future__ import annotations

import os
import runpy
import sys

REFUSAL = ("frontdoors.nbgrader.kernel: refusing to run a student's notebook during "
           "`nbgrader autograde`: the course's nbgrader_config.py did not load (it grades without a "
           "kernel); see nbgrader's log for the config error, fix it, and autograde again.")


def main():
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        print(REFUSAL, file=sys.stderr)
        sys.exit(3)
    sys.argv[0] = "ipykernel_launcher"
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
