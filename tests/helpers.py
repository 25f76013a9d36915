"""Helpers the kit's test files share, besides the gradings (those are in tests/conftest.py): the
words a test skips with.
"""
import shutil
from dataclasses import dataclass

import pytest

# ----------------------------------------------------------------------------
# skipping: every skip reason is "<tag>: <detail>", one tag per thing a machine may lack, so that
# `make test` can end with one line per tag: what did not run and the command that makes it run


@dataclass(frozen=True)
class SkipGroup:
    tag: str                 #: how the skip reasons of this group begin (up to their first colon)
    what: str                #: what did not run
    enable: str | None       #: the one command that makes it run (None: this machine cannot)


SETUP = "sudo .ci/setup-system"
SKIP_GROUPS = {g.tag: g for g in (
    SkipGroup("no Chromium", "pages opened in headless Chromium (feedback pages, class report, nbgrader's "
              "feedback; the HTML parser's checks of the same pages ran)", SETUP),
    SkipGroup("not as a normal user", "cases graded as an unprivileged user (the hostile suite's normal-user "
              "half)", SETUP),
    SkipGroup("not as root", "cases graded as root (the hostile suite's root half: a fresh uid per child, "
              "control groups; device nodes)", "sudo make test"),
    SkipGroup("no control groups", "the sandbox's control group (made by root only)", "sudo make test"),
    SkipGroup("no namespaces", "the sandbox's own view from inside (its allow-listed root needs PID and mount "
              "namespaces)", None),
    SkipGroup("interpreter under /root", "grade-all --unisolated as root (without namespaces the sandbox's "
              "fresh uid must reach the .venv's base interpreter)",
              "rm -rf .venv && make test PYTHON_BOOT=/usr/bin/python3.11"),
)}


def skip_reason(tag, detail):
    """A skip reason of the group ``tag`` (one of :data:`SKIP_GROUPS`)."""
    if tag not in SKIP_GROUPS:
        raise KeyError(f"unknown skip group {tag!r}: add it to tests/helpers.py SKIP_GROUPS")
    return f"{tag}: {detail}"


def skip(tag, detail):
    """Skip the calling test with a reason of the group ``tag``."""
    pytest.skip(skip_reason(tag, detail))


def skip_summary(reasons):
    """The lines ``make test`` ends with: one per group of skip reasons (most skipped first), saying
    what did not run, why (the group's distinct details) and the command that makes it run."""
    groups = {}
    for reason in reasons:
        tag, _, detail = reason.partition(": ")
        if tag not in SKIP_GROUPS:
            tag, detail = reason, ""
        count, details = groups.get(tag, (0, []))
        groups[tag] = (count + 1, details + [detail] if detail and detail not in details else details)
    lines = []
    for tag, (count, details) in sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0])):
        group = SKIP_GROUPS.get(tag)
        if group is None:
            lines.append(f"{count} skipped: {tag}")
            continue
        why = "; ".join(details)
        why = why if len(why) <= 240 else why[:237] + "..."
        then = f"To run them: {group.enable}" if group.enable else "Not on this machine."
        lines.append(f"{count} skipped, {group.what}. Why: {tag}: {why}. {then}")
    return lines


#: Headless Chromium (Debian's ``chromium``; .ci/setup-system installs it), or None.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
#: Marks a test that opens pages in headless Chromium: skipped, saying so, where there is none.
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason=skip_reason(
    "no Chromium", "no chromium, chromium-browser or google-chrome on PATH"))
