"""Submissions for the kit's tests and the sample class, built from the sources.

A typical mistake or a hostile submission is written as a small patch of
the reference (text replacements, each of which must match exactly once),
never as a copy of it, so it follows the reference as the reference changes
and fails loudly when a patch no longer applies.

    python -m samples.submissions DEST     # write the sample class: DEST/<a>/<student>/<a>.py
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.paths import HIDDEN_TESTS, ROOT, reference_module, student_module
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*\n", re.MULTILINE)


@dataclass(frozen=True)
class Bug:
    """A typical mistake: a patch of the reference and what the grader must say.

    ``test`` is the hidden test (function name) that must lose points and
    whose feedback must contain ``says`` (case-insensitive). ``sample``
    puts it in the sample class graded by ``make grade``.
    """

    name: str
    test: str
    says: str
    replace: tuple = ()
    prepend: str = ""
    append: str = ""
    sample: bool = False


@dataclass(frozen=True)
class Hostile:
    """A hostile submission and exactly which hidden tests it must fail.

    ``source`` is a function of the reference text returning the
    submission's text (or a :class:`Bug`-style patch); ``fails`` the hidden
    tests that must score 0 — every other test must earn its full points;
    ``says`` a phrase the first failing test's feedback (or the overall
    output) must contain.
    """

    name: str
    fails: frozenset = field(default_factory=frozenset)
    says: str = ""
    replace: tuple = ()
    prepend: str = ""
    append: str = ""
    whole: str | None = None
    module: bool = True          # write <a>.py from the patch (False: only ``entries``)
    entries: tuple = ()          # more things in the submission folder (:class:`Entry`)


@dataclass(frozen=True)
class Entry:
    """One more thing in a hostile submission's folder, as data.

    Exactly one of: ``text`` (a file; ``bytes`` or ``str``), ``link`` (a
    symbolic link to that target), ``fifo``, ``size`` (a sparse file of that
    many bytes). ``copies`` > 1 makes ``name.format(i)`` for i < copies.
    """

    name: str
    text: str | bytes | None = None
    link: str | None = None
    fifo: bool = False
    size: int | None = None
    copies: int = 1

    def make(self, folder):
        for i in range(self.copies):
            path = Path(folder) / (self.name.format(i) if self.copies > 1 else self.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            if self.link is not None:
                os.symlink(self.link, path)
            elif self.fifo:
                os.mkfifo(path)
            elif self.size is not None:
                with open(path, "wb") as f:
                    f.truncate(self.size)
            elif isinstance(self.text, bytes):
                path.write_bytes(self.text)
            else:
                path.write_text(self.text or "", encoding="utf-8")


def build(dest, assignment, hostile, *, kit=None, subst=None):
    """Write the submission folder of a :class:`Hostile` (its module, then its entries).

    ``kit``: the kit that will grade it, when not this checkout (a copy an
    unprivileged user runs): the paths the submission aims at are moved there.
    ``subst``: more {placeholder: text} replacements in the submission's text.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    pairs = ([] if kit is None else [(str(ROOT), str(kit))]) + list((subst or {}).items())

    def moved(s):
        for old, new in pairs:
            s = s.replace(old, new)
        return s
    if hostile.module:
        write(dest, assignment, moved(apply(assignment, hostile)))
    for e in hostile.entries:
        if pairs:
            e = dataclasses.replace(
                e, link=None if e.link is None else moved(e.link),
                text=moved(e.text) if isinstance(e.text, str) else e.text)
        e.make(dest)
    return dest


def reference_source(assignment):
    """The reference module's text with the solution markers removed."""
    text = reference_module(assignment).read_text(encoding="utf-8")
    return MARKER.sub("", text)


def stub_source(assignment):
    return student_module(assignment).read_text(encoding="utf-8")


def apply(assignment, patch):
    """The reference with ``patch`` (a Bug or Hostile) applied."""
    if getattr(patch, "whole", None) is not None:
        return patch.whole
    text = reference_source(assignment)
    for old, new in patch.replace:
        count = text.count(old)
        if count != 1:
            raise ValueError(f"{assignment}/{patch.name}: the text to replace occurs {count} times "
                             f"in the reference (must be once): {old!r}")
        text = text.replace(old, new)
    return patch.prepend + text + patch.append


def catalogue(assignment):
    """The assignment's typical mistakes (``samples/mistakes/<a>.py``, list ``BUGS``)."""
    try:
        module = importlib.import_module(f"samples.mistakes.{assignment}")
    except ModuleNotFoundError:
        return []
    return list(module.BUGS)


def correct_variants(assignment):
    """Correct solutions written another way (``samples/mistakes/<a>.py``, list ``CORRECT``):
    each must score 100 — the hidden tests require nothing the spec does not state."""
    try:
        module = importlib.import_module(f"samples.mistakes.{assignment}")
    except ModuleNotFoundError:
        return []
    return list(getattr(module, "CORRECT", []))


def write(dest, assignment, text):
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"{assignment}.py").write_text(text, encoding="utf-8")
    return dest


def graded_assignments():
    return sorted(p.name for p in HIDDEN_TESTS.iterdir()
                  if p.is_dir() and any(p.glob("test_*.py")))


def sample_class(dest):
    """The sample class: reference, untouched stub and two typical mistakes per assignment."""
    dest = Path(dest)
    for a in graded_assignments():
        folder = dest / a
        if folder.exists():
            for old in folder.glob("*/*.py"):
                old.unlink()
        write(folder / "01_reference", a, reference_source(a))
        write(folder / "02_untouched_stub", a, stub_source(a))
        samples = [b for b in catalogue(a) if b.sample][:2]
        for i, bug in enumerate(samples, 3):
            write(folder / f"{i:02d}_{bug.name}", a, apply(a, bug))
    return dest


if __name__ == "__main__":
    out = sample_class(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "sample_class")
    print(f"sample class written to {out}")
