"""pytest settings of the public tests: the autograder's rules, reported in a few lines.

- Importing a module the assignment forbids fails here exactly as it fails in
  the autograder, with the autograder's own message.
- A test that stops at a function you have not written yet (it raises
  ``NotImplementedError``) still FAILS, but is reported in one line, and the
  end of the run lists each unwritten function once.
"""
import sys

import pytest

#: @FORBIDDEN@


class ForbiddenImportError(ImportError):
    """Raised when your code imports a module the assignment forbids (as in the autograder)."""


#: @MESSAGE@


# the libraries you may use are imported before the refusal is in place, as in the autograder
import numpy  # noqa: E402,F401
import scipy.linalg  # noqa: E402,F401
import scipy.special  # noqa: E402,F401


class _RefuseForbidden:
    """First on sys.meta_path: ``import sklearn`` (or importlib.import_module) fails."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        text = forbidden_import_message(name, FORBIDDEN)
        if text is not None:
            raise ForbiddenImportError(text)


def _audit(event, args):
    """The autograder's backstop, here too: the ``import`` event names the module as written."""
    if event == "import":
        _RefuseForbidden.find_spec(args[0])


for _name in [m for m in sys.modules if forbidden_import_message(m, FORBIDDEN)]:
    del sys.modules[_name]  # imported by something before this file: refused from here on too
sys.meta_path.insert(0, _RefuseForbidden)
sys.addaudithook(_audit)

_UNWRITTEN = {}  # message -> names of the tests that stopped at it
NOT_WRITTEN = "failed (not written)"


def _short(excinfo):
    if excinfo is None:
        return None
    if excinfo.errisinstance(NotImplementedError):
        return str(excinfo.value) or "a function raises NotImplementedError"
    if excinfo.errisinstance(ForbiddenImportError):
        return str(excinfo.value)
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    text = _short(call.excinfo) if report.failed else None
    if text is not None:
        report.longrepr = f"{item.name}: {text}"
        if call.excinfo.errisinstance(NotImplementedError):
            report.unwritten = text
            _UNWRITTEN.setdefault(text, []).append(item.name)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if report.failed and "ForbiddenImportError" in str(report.longrepr):
        line = next((ln for ln in str(report.longrepr).splitlines() if "ForbiddenImportError:" in ln), "")
        report.longrepr = line.split("ForbiddenImportError:", 1)[-1].strip() or str(report.longrepr)


def pytest_report_teststatus(report, config):
    # still a failure (the run's exit status is 1), only reported apart from the tracebacks
    if getattr(report, "unwritten", None) and report.when == "call":
        return NOT_WRITTEN, "N", "NOT WRITTEN"
    return None


def pytest_terminal_summary(terminalreporter):
    if not _UNWRITTEN:
        return
    terminalreporter.section("functions not written yet (their tests fail)")
    for text, tests in _UNWRITTEN.items():
        terminalreporter.line(f"{text} ({len(tests)} failing test{'s' * (len(tests) != 1)})")
