"""Helpers the kit's test files share, besides the gradings (those are in tests/conftest.py):
notebooks built by hand, pages parsed as a browser would and opened in headless Chromium, the
environments a student's shell and an nbgrader course run with, and the words a test skips with.
"""
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser

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
    # justified: the one place the suite skips; each caller names what the machine lacks (a group
    # of SKIP_GROUPS), and make test's summary says what did not run and how to run it
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


# ----------------------------------------------------------------------------
# xdist groups


def each_user_its_group(group, ids=("root", "normal")):
    """The params "root" and "normal" of a module-scoped fixture that grades as that user (``ids``:
    their test ids), each half of the tests using it in an xdist group of its own (``group/<id>``):
    ``make test`` (-n 2) runs the two halves in parallel, and each computes the fixture once."""
    return [pytest.param(user, id=i, marks=pytest.mark.xdist_group(f"{group}/{i}"))
            for user, i in zip(("root", "normal"), ids)]


# ----------------------------------------------------------------------------
# notebooks


def notebook(*cells):
    """A notebook's bytes (nbformat 4); a cell is (kind, source) or anything else, written as it is."""
    out = [{"cell_type": c[0], "metadata": {}, "source": c[1],
            **({"outputs": [], "execution_count": None} if c[0] == "code" else {})}
           if isinstance(c, tuple) else c for c in cells]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": out}).encode()


# ----------------------------------------------------------------------------
# environments


#: What the instructor's shell may carry that an nbgrader course must not depend on: everything
#: the grading needs comes from the course's config.
NBGRADER_UNSET = ("AUTOGRADER_SEED", "PYTHONPATH", "JUPYTER_PATH")


def nbgrader_env():
    """This process's environment without :data:`NBGRADER_UNSET`."""
    return {k: v for k, v in os.environ.items() if k not in NBGRADER_UNSET}


def student_env():
    """A student's shell: this process's environment with no trace of the kit (no AUTOGRADER_*,
    PYTHON* or JUPYTER* variable)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER", "PYTHON", "JUPYTER"))}


# ----------------------------------------------------------------------------
# pages: parsed as a browser would, and opened in a real one


class Page(HTMLParser):
    """What a page asks a browser to do: its elements (``tags``: names; ``elements``: with their
    attributes), event handlers, fetched URLs, links, Content-Security-Policy, text and script bodies."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.elements, self.urls, self.handlers, self.text, self.links, self.csp = [], [], [], [], [], [], []
        self.scripts, self._in_script = [], False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(dict(attrs).get("content", ""))
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("src", "srcset", "poster", "data", "action", "formaction", "background"):
                self.urls.append(value or "")
            if name == "href":
                (self.urls if tag != "a" else self.links).append(value or "")
            if name == "style" and value and "url(" in value:
                self.urls.append(value)

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_script:
            self.scripts.append(data)

    @property
    def all_text(self):
        return "".join(self.text)


def check_inert(text):
    """A page that runs nothing and fetches nothing (the parser's view)."""
    page = Page(text)
    assert "script" not in page.tags and "iframe" not in page.tags and "object" not in page.tags
    assert not page.handlers, page.handlers
    assert all(u.startswith("data:image/png;base64,") for u in page.urls), page.urls
    assert all(re.fullmatch(r"[\w.@+-]+\.html", u) for u in page.links), page.links
    assert "url(" not in "".join(re.findall(r"<style>(.*?)</style>", text, re.S))
    assert page.csp and "default-src 'none'" in page.csp[0] and "script" not in page.csp[0]
    return page


#: Headless Chromium (Debian's ``chromium``; .ci/setup-system installs it), or None.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
#: Marks a test that opens pages in headless Chromium: skipped, saying so, where there is none.
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason=skip_reason(
    "no Chromium", "no chromium, chromium-browser or google-chrome on PATH"))


def chromium(args, tmp_path, *, timeout=120):
    """Run headless Chromium with ``args`` (a fresh profile under ``tmp_path``, no network of its own)."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
           "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-extensions", "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
