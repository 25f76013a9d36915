#!/usr/bin/env bash
# Gradescope: runs once when the autograder image is built (as root). The zip is unpacked in
# $AUTOGRADER_HOME/source (Gradescope: /autograder/source), the same root run_autograder uses.
# Installs only what the grader needs (requirements-grader.lock: no Jupyter, no nbgrader).
set -euo pipefail
HOME_DIR=${AUTOGRADER_HOME:-/autograder}
cd "$HOME_DIR/source"
if ! command -v python3.11 >/dev/null && ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  apt-get update -qq && apt-get install -y -qq python3.11 python3.11-venv
fi
PY=${AUTOGRADER_PYTHON_BOOT:-$(command -v python3.11 || command -v python3)}
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
    -r requirements-grader.lock
# The kit's own modules compiled once, here: every submission's grading is a fresh process that
# would otherwise compile them again wherever PYTHONDONTWRITEBYTECODE is set (0.06 s of each).
.venv/bin/python -m compileall -q -j 0 autograder hidden_tests solutions datasets >/dev/null
