#!/usr/bin/env bash
# Gradescope: runs once when the autograder image is built (as root, in /autograder/source).
set -euo pipefail
cd /autograder/source
if ! command -v python3.11 >/dev/null && ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  apt-get update -qq && apt-get install -y -qq python3.11 python3.11-venv
fi
PY=$(command -v python3.11 || command -v python3)
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
