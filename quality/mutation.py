"""Mutation testing of a hidden suite: does it catch wrong code?

    python -m quality.mutation ASSIGNMENT [--jobs N] [--seed N] [--limit N] [--match REGEX] [--list]
    make mutation ASSIGNMENT=gmm

Standard mutation operators are applied, one at a time, to the SOLUTION
regions of the reference ``solutions/<a>/<a>.py`` (the code students write;
the validation helpers around it are not the suite's business). Every mutant
is graded by ``python -m autograder grade-all`` — the sandbox, the seed and
the hidden tests students face — and counts as *killed* when it scores below
the full 100 points. Survivors are printed with the line they changed.

A survivor that is provably equivalent (it computes the same function on
every input the spec allows, e.g. ``np.max`` → ``np.amax``) is listed with
the reason in ``quality/equivalent/<a>.txt``::

    <mutant id>    # why it is equivalent

and leaves the denominator; every other survivor is a gap in the suite. A
kit test keeps each listed id pointing at a mutant that still exists.

Operators (the classic set of mutmut / cosmic-ray, written on :mod:`ast`
because neither can be aimed at marked regions of one file):

- arithmetic ``+ − * / // ** %`` swapped (``a + b`` → ``a - b``, ``*`` ↔ ``/``,
  ``**`` → ``*``), augmented assignments likewise;
- comparisons swapped (``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``<`` ↔ ``>``);
- ``and`` ↔ ``or``, ``not x`` → ``x``, unary minus dropped;
- number constants changed (``0`` → ``1``, ``1`` → ``0`` and ``2``, ``n`` → ``n + 1``,
  a float ``c`` → ``2c``), ``True`` ↔ ``False``;
- ``axis=k`` → another axis, ``ddof``/``keepdims`` keyword values changed;
- NumPy reductions swapped (``sum`` ↔ ``mean``, ``max`` ↔ ``min``,
  ``argmax`` ↔ ``argmin``, ``exp`` ↔ ``log`` …) and ``logsumexp`` ↔ ``max``;
- a statement deleted (replaced by ``pass``) when it is not a block's only one;
- ``x[... ]`` slice bounds shifted (``[1:]`` → ``[:-1]`` …) are left out: too many are
  equivalent to be worth reading.
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.paths import ROOT, reference_module
EQUIVALENT = Path(__file__).resolve().parent / "equivalent"
BEGIN = re.compile(r"^\s*### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")

BINOP_SWAPS = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult],
               ast.FloorDiv: [ast.Div], ast.Pow: [ast.Mult], ast.Mod: [ast.FloorDiv],
               ast.MatMult: [ast.Mult]}
CMP_SWAPS = {ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt], ast.Gt: [ast.GtE, ast.Lt],
             ast.GtE: [ast.Gt], ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq], ast.Is: [ast.IsNot],
             ast.IsNot: [ast.Is], ast.In: [ast.NotIn], ast.NotIn: [ast.In]}
NAME_SWAPS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "argmax": "argmin",
              "argmin": "argmax", "exp": "log", "log": "exp", "amax": "amin", "amin": "amax",
              "maximum": "minimum", "minimum": "maximum", "logsumexp": "max", "log1p": "log",
              "expm1": "exp", "sqrt": "abs", "cumsum": "cumprod", "all": "any", "any": "all",
              "var": "std", "std": "var", "nanmax": "nanmin", "nanmin": "nanmax",
              "xlogy": "multiply", "xlog1py": "multiply", "abs": "negative"}
KEYWORD_VALUES = {"axis": [0, 1, -1, None], "ddof": [0, 1], "keepdims": [True, False],
                  "lower": [True, False]}


@dataclass(frozen=True)
class Mutant:
    """One change of the reference: where, what, and the mutated module's text."""

    id: str
    function: str
    line: int
    before: str
    after: str
    source: str


def solution_lines(text):
    """Line numbers (1-based) inside ``### BEGIN/END SOLUTION`` regions."""
    lines, inside = set(), False
    for i, line in enumerate(text.splitlines(), 1):
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside:
            lines.add(i)
    return lines


class _Finder(ast.NodeVisitor):
    """Collects (node, replacement node or None for 'pass', function name) candidates."""

    def __init__(self, lines):
        self.lines = lines
        self.found = []
        self.stack = []

    def _in_region(self, node):
        return getattr(node, "lineno", None) in self.lines and node.end_lineno in self.lines

    def _add(self, node, new):
        self.found.append((node, new, ".".join(self.stack) or "<module>"))

    def visit_FunctionDef(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    def visit_BinOp(self, node):
        if self._in_region(node):
            for op in BINOP_SWAPS.get(type(node.op), []):
                self._add(node, ast.BinOp(node.left, op(), node.right))
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if self._in_region(node):
            for op in BINOP_SWAPS.get(type(node.op), []):
                self._add(node, ast.AugAssign(node.target, op(), node.value))
        self.generic_visit(node)

    def visit_Compare(self, node):
        if self._in_region(node):
            for i, op in enumerate(node.ops):
                for new_op in CMP_SWAPS.get(type(op), []):
                    ops = list(node.ops)
                    ops[i] = new_op()
                    self._add(node, ast.Compare(node.left, ops, node.comparators))
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        if self._in_region(node):
            self._add(node, ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(),
                                       node.values))
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if self._in_region(node) and isinstance(node.op, (ast.Not, ast.USub)):
            self._add(node, node.operand)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if self._in_region(node):
            v = node.value
            if isinstance(v, bool):
                self._add(node, ast.Constant(not v))
            elif isinstance(v, int):
                for new in sorted({0: [1], 1: [0, 2]}.get(v, [v + 1])):
                    self._add(node, ast.Constant(new))
            elif isinstance(v, float):
                self._add(node, ast.Constant(2 * v if v else 1.0))

    def visit_keyword(self, node):
        if (node.arg in KEYWORD_VALUES and isinstance(node.value, ast.Constant)
                and self._in_region(node.value)):
            for new in KEYWORD_VALUES[node.arg]:
                if new != node.value.value:
                    self._add(node.value, ast.Constant(new))
            return  # the constant itself is mutated here, not again as a number
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if self._in_region(node) and node.attr in NAME_SWAPS:
            self._add(node, ast.Attribute(node.value, NAME_SWAPS[node.attr], node.ctx))
        self.generic_visit(node)

    def _statements(self, body):
        if len(body) < 2:
            return
        for stmt in body:
            if (isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr))
                    and self._in_region(stmt)
                    and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))):
                self._add(stmt, None)

    def generic_visit(self, node):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                self._statements(block)
        super().generic_visit(node)


def _segment_bounds(text_lines, node):
    """(start offset, end offset) of ``node`` in the joined text."""
    starts = [0]
    for line in text_lines:
        starts.append(starts[-1] + len(line))
    return (starts[node.lineno - 1] + _col(text_lines[node.lineno - 1], node.col_offset),
            starts[node.end_lineno - 1] + _col(text_lines[node.end_lineno - 1], node.end_col_offset))


def _col(line, byte_offset):
    """ast's column offsets count UTF-8 bytes; convert to a character index."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


def mutants(text):
    """Every mutant of the SOLUTION regions of the module ``text``, in source order."""
    tree = ast.parse(text)
    finder = _Finder(solution_lines(text))
    finder.visit(tree)
    lines = text.splitlines(keepends=True)
    out, seen = [], {}
    for node, new, function in sorted(finder.found, key=lambda f: (f[0].lineno, f[0].col_offset)):
        start, end = _segment_bounds(lines, node)
        before = text[start:end]
        if new is None:
            indent = ""
            after = "pass"
        else:
            after = ast.unparse(ast.fix_missing_locations(copy.deepcopy(new)))
            if isinstance(node, ast.expr):
                after = f"({after})"
        if after.strip("()") == before.strip("()"):
            continue
        source = text[:start] + after + text[end:]
        try:
            ast.parse(source)
        except SyntaxError:
            continue
        key = f"{function}: {' '.join(before.split())} -> {' '.join(after.split())}"
        seen[key] = seen.get(key, 0) + 1
        mid = key if seen[key] == 1 else f"{key} #{seen[key]}"
        out.append(Mutant(mid, function, node.lineno, before, after, source))
    return out


def reference_mutants(assignment):
    return mutants(reference_module(assignment).read_text(encoding="utf-8"))


def equivalent(assignment):
    """{mutant id: reason} of the checked-in list of equivalent mutants."""
    path = EQUIVALENT / f"{assignment}.txt"
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        mid, _, reason = line.partition("  # ")
        found[mid.strip()] = reason.strip()
    return found


def _folder_name(i, m):
    return f"m{i:04d}_{hashlib.sha1(m.id.encode()).hexdigest()[:8]}"


def grade_mutants(assignment, selected, *, jobs=2, seed=0, log=print):
    """Grade ``selected`` mutants with grade-all; return {mutant id: score}."""
    with tempfile.TemporaryDirectory(prefix=f"mutants-{assignment}-") as tmp:
        tmp = Path(tmp)
        names = {}
        for i, m in enumerate(selected):
            folder = tmp / "class" / _folder_name(i, m)
            folder.mkdir(parents=True)
            (folder / f"{assignment}.py").write_text(m.source, encoding="utf-8")
            names[folder.name] = m
        cmd = [sys.executable, "-m", "autograder", "grade-all", assignment, str(tmp / "class"),
               "--jobs", str(jobs), "--seed", str(seed), "--results-dir", str(tmp / "results"),
               "--csv", str(tmp / "class.csv")]
        log(f"grading {len(selected)} mutants of {assignment} (seed {seed}, {jobs} jobs) ...")
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"grade-all failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        scores = {}
        for name, m in names.items():
            res = json.loads((tmp / "results" / f"{name}.json").read_text())
            scores[m.id] = float(res.get("score", 0))
        return scores


def run(assignment, *, jobs=2, seed=0, limit=None, match=None, log=print):
    """Grade the mutants; return the summary dict (also printed by :func:`main`)."""
    all_mutants = reference_mutants(assignment)
    known = equivalent(assignment)
    stale = sorted(set(known) - {m.id for m in all_mutants})
    candidates = [m for m in all_mutants if m.id not in known]
    if match:
        candidates = [m for m in candidates if re.search(match, m.id)]
    if limit:
        step = max(1, len(candidates) // limit)
        candidates = candidates[::step][:limit]
    scores = grade_mutants(assignment, candidates, jobs=jobs, seed=seed, log=log)
    survivors = [m for m in candidates if scores[m.id] >= 100 - 1e-9]
    killed = len(candidates) - len(survivors)
    return {"assignment": assignment, "mutants": len(all_mutants), "equivalent": len(known),
            "graded": len(candidates), "killed": killed, "survivors": survivors, "stale": stale,
            "score": killed / len(candidates) if candidates else 1.0, "seed": seed}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m quality.mutation",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="the grading seed (default 0)")
    parser.add_argument("--limit", type=int, help="grade only N mutants, evenly spread")
    parser.add_argument("--match", metavar="REGEX",
                        help="grade only the mutants whose id matches (e.g. 'kmeans|_kmeans_plusplus')")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    args = parser.parse_args(argv)
    if args.list:
        for m in reference_mutants(args.assignment):
            print(f"line {m.line}: {m.id}")
        return 0
    summary = run(args.assignment, jobs=args.jobs, seed=args.seed, limit=args.limit, match=args.match)
    for m in summary["survivors"]:
        print(f"SURVIVED line {m.line}: {m.id}")
    for mid in summary["stale"]:
        print(f"STALE equivalent entry (no such mutant any more): {mid}")
    print(f"{summary['assignment']}: {summary['killed']} of {summary['graded']} non-equivalent "
          f"mutants killed ({100 * summary['score']:.1f} %); {summary['equivalent']} listed as "
          f"equivalent; {summary['mutants']} mutants in all; seed {summary['seed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
