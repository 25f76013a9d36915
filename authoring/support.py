"""The files every assignment folder gets beside the public tests, from one source each.

- ``conftest.py`` (:file:`authoring/student/conftest.py`): the public tests refuse the
  imports the autograder refuses, with the autograder's own message — the text of
  :func:`autograder._audit.forbidden_import_message` and the list
  :data:`autograder.sandbox.FORBIDDEN_IMPORTS`, written in here by the generator,
  never copied by hand — and report an unwritten function in one line.
- ``notebook_tools.py`` (:file:`authoring/student/notebook_tools.py`): the notebook's
  ``check()`` (the public tests of one part) and ``stop_at_unwritten()``.

Both are standard library + pytest/IPython only: they work wherever the folder is unpacked.
"""
from __future__ import annotations

import inspect
from pathlib import Path

from autograder import _audit
from autograder.sandbox import FORBIDDEN_IMPORTS

from .stubs import _stamp

HERE = Path(__file__).resolve().parent / "student"
FILES = ("conftest.py", "notebook_tools.py")


def conftest_text():
    text = (HERE / "conftest.py").read_text(encoding="utf-8")
    forbidden = f"#: Modules the autograder refuses (autograder/sandbox.py).\nFORBIDDEN = {tuple(FORBIDDEN_IMPORTS)!r}"
    message = ("# The autograder's own refusal (autograder/_audit.py), written here by the generator.\n"
               + inspect.getsource(_audit.forbidden_import_message).rstrip())
    for marker, value in (("#: @FORBIDDEN@", forbidden), ("#: @MESSAGE@", message)):
        assert text.count(marker) == 1, marker
        text = text.replace(marker, value)
    return text


def write_support(dest):
    """Write ``conftest.py`` and ``notebook_tools.py`` into the assignment folder ``dest``."""
    dest = Path(dest)
    out = []
    for name in FILES:
        text = conftest_text() if name == "conftest.py" else (HERE / name).read_text(encoding="utf-8")
        path = dest / name
        path.write_text(_stamp(HERE / name) + text, encoding="utf-8")
        out.append(path)
    return out
