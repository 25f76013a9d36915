"""The one reader of the hidden tests' catalogue: parts, tests, names and points.

A part is one hidden test module ``hidden_tests/<a>/test_<part>.py``
whose docstring's first line reads ``"<a>, part N: title (P points)."``; a
test is a ``test_*`` function with ``@points(n)`` above it and its name in
the results is its docstring's first line followed by ``(n pts)``.

Read with :mod:`ast`, never imported, and standard library only: the engine,
the kit's tests, the notebook generator and the nbgrader cells (inside a
student's kernel) all use this same reader.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from .paths import HIDDEN_TESTS

TESTS = HIDDEN_TESTS
_DOC = re.compile(r"part\s+(\d+)\s*:\s*(.*?)\s*\(\s*[\d.]+\s*points?\s*\)\s*\.?\s*$",
                  re.IGNORECASE | re.DOTALL)


@dataclass
class Test:
    function: str
    doc: str
    points: float | None  # None: the test has no @points (the kit's tests refuse that)

    @property
    def result_name(self):
        """The test's name in results.json: first docstring line + points."""
        label = f"{self.points:g} pt" + ("" if self.points == 1 else "s")
        return f"{self.doc} ({label})"


@dataclass
class Part:
    assignment: str
    name: str
    number: int
    title: str
    path: Path
    heading: str = ""  # the module docstring's first line, as written
    tests: list = field(default_factory=list)

    @property
    def points(self):
        return round(sum(t.points or 0 for t in self.tests), 6)


def _points_of(fn):
    for dec in fn.decorator_list:
        if isinstance(dec, ast.Call):
            f = dec.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name == "points" and dec.args and isinstance(dec.args[0], ast.Constant):
                return float(dec.args[0].value)
    return None


def parts(assignment, tests_root=TESTS):
    """The graded parts of ``assignment``: one per hidden test module, in part order."""
    folder = Path(tests_root) / assignment
    found = []
    for i, path in enumerate(sorted(folder.glob("test_*.py")), 1):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        doc = (ast.get_docstring(tree) or "").strip()
        heading = doc.splitlines()[0].rstrip(".") if doc else path.stem
        m = _DOC.search(doc.splitlines()[0] if doc else "")
        number, title = (int(m.group(1)), m.group(2)) if m else (i, path.stem[5:].replace("_", " "))
        part = Part(assignment, path.stem[5:], number, title, path, heading)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_"):
                fdoc = (ast.get_docstring(node) or node.name).strip().splitlines()[0]
                part.tests.append(Test(node.name, fdoc, _points_of(node)))
        if part.tests:
            found.append(part)
    return sorted(found, key=lambda p: (p.number, p.name))


def points_table(assignment):
    """The Markdown points table of an assignment's README (``make points``)."""
    lines = ["| test | points |", "|---|---|"]
    for part in parts(assignment):
        lines.append(f"| **{part.heading}** | |")
        lines.extend(f"| {t.doc} | {t.points:g} |" for t in part.tests)
    total = sum(p.points for p in parts(assignment))
    lines.append(f"| **total** | **{total:g}** |")
    return "\n".join(lines)


def parts_summary(budgets):
    """README's table of every assignment's parts, their points and the time budget per grading.

    ``budgets``: {assignment: seconds} (the engine's ``TIME_BUDGET``; passed in, since this
    module imports nothing of the engine).
    """
    lines = ["| assignment | parts and their points | time budget per grading |", "|---|---|---|"]
    for assignment in sorted(budgets):
        cells = []
        for part in parts(assignment):
            name = re.sub(r"^.*?, part \d+: ", "", part.heading)
            name = re.sub(r" \(\d+(?:\.\d+)? points\)$", "", name)
            cells.append(f"{name} **{part.points:g}**")
        lines.append(f"| `{assignment}` | {'; '.join(cells)} | {budgets[assignment]:g} s |")
    return "\n".join(lines)

