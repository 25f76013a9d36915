"""Notebook intake: a student's ``.ipynb`` turned into a module, from its JSON alone.

When a submission holds the assignment's notebook and no ``<a>.py``,
:mod:`autograder.intake` reads the notebook's bytes (a regular file, at most
:data:`MAX_NOTEBOOK_BYTES`) and hands them to :func:`notebook_module`, which

- decodes UTF-8 and parses the JSON (a notebook nested too deeply, not JSON
  or without a list of cells is refused with a :class:`NotebookError` saying so);
- keeps the code cells, in order, each marked ``# --- notebook cell N ---``;
  a cell that is not a dict or whose source is not text is skipped and named;
- drops a cell magic (``%%bash`` ...) whole and makes line magics and shell
  lines (``%matplotlib inline``, ``!ls``, ``x = !ls``) no-ops at the same
  indentation (:func:`cell_code`: one tokenize pass, linear in the cell's
  size; at most :data:`MAX_MAGIC_LINES` lines per cell);
- defines ``display`` (it prints, as outside IPython) before the cells;
- refuses more than :data:`MAX_CODE_BYTES` of code, before any rewriting.

Nothing here runs, imports or evaluates the notebook's code. Standard library only.
"""
from __future__ import annotations

import ast
import io
import json
import re
import tokenize

from .files import size_text
from .text import one_line

MAX_NOTEBOOK_BYTES = 5 << 20    # one .ipynb file
MAX_CODE_BYTES = 1 << 20        # the module made from a notebook's code cells
MAX_MAGIC_LINES = 50            # IPython lines rewritten per notebook cell


class NotebookError(ValueError):
    """The notebook cannot be graded; ``str()`` says why, for the student."""


#: Defined before the notebook's code: ``display`` prints, as outside IPython.
PRELUDE = ("def display(*objs, **kwargs):  # IPython's display(), outside a notebook\n"
           "    for _obj in objs:\n"
           "        print(repr(_obj))\n\n\n")

_ASSIGN_MAGIC = re.compile(r"^(\s*)([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*([!%])")


def notebook_module(data, display="the notebook"):
    """``(module source, notes)`` from a notebook's bytes; raise :class:`NotebookError`.

    Only the JSON is read. Cells that are not dicts or whose source is not
    text are skipped (and noted); a cell magic (``%%bash`` ...) drops its
    cell whole; line magics and shell lines (``%matplotlib inline``, ``!ls``,
    ``x = !ls``) become no-ops that keep the indentation valid; ``display``
    is defined (it prints).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{display} is not UTF-8 text (byte {exc.start}): save it again "
                            "from Jupyter") from None
    try:
        nb = json.loads(text)
    except RecursionError:
        raise NotebookError(f"{display} is not a readable notebook (its JSON is nested too "
                            "deeply)") from None
    except ValueError as exc:
        raise NotebookError(f"{display} is not a readable notebook (invalid JSON: "
                            f"{one_line(exc, 120)})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise NotebookError(f"{display} is not a readable notebook (it has no list of cells)")
    chunks, notes, skipped = [], [], []
    size = len(PRELUDE)
    for i, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            skipped.append(i)
            continue
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            skipped.append(i)
            continue
        if not _is_cell_magic(source):
            # refused before any cell is rewritten: the rewriting is linear, but need not run on
            # code the grader would refuse anyway (a 1.4 MiB cell of 50 magics cost minutes)
            size += len(source.encode("utf-8", "surrogatepass")) + 30
            if size > MAX_CODE_BYTES:
                raise _too_much_code(display)
        code = cell_code(source)
        if code is None:
            notes.append(f"cell {i} of {display} is a cell magic ({one_line(source.lstrip()[:30])}"
                         "...): it was not run")
            continue
        chunks.append(f"# --- notebook cell {i} ---\n{code}")
    if skipped:
        notes.append(f"{'cells' if len(skipped) > 1 else 'cell'} "
                     f"{', '.join(map(str, skipped[:10]))}{' ...' if len(skipped) > 10 else ''} "
                     f"of {display} could not be read (not a cell, or its source is not text) "
                     "and were skipped")
    module = PRELUDE + "\n\n".join(chunks) + "\n"
    if len(module.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:
        raise _too_much_code(display)
    return module, notes


def _too_much_code(display):
    return NotebookError(f"the code cells of {display} hold more than "
                         f"{size_text(MAX_CODE_BYTES)} of code: it was not graded")


def _is_cell_magic(source):
    """Whether a code cell's first non-blank line starts with ``%%`` (the cell is dropped whole)."""
    return source.lstrip().startswith("%%")


def cell_code(source):
    """A code cell's source as plain Python, or ``None`` for a cell magic (dropped whole).

    A cell that parses as Python is kept as it is. Otherwise each line that
    starts a logical line (decided with :mod:`tokenize`, so a ``%`` or ``!``
    inside a string or brackets is left alone) and is an IPython line magic,
    shell command or assignment from one becomes ``pass`` (or ``name = []``)
    at the same indentation, the original kept as a comment.
    """
    if _is_cell_magic(source):
        return None
    lines = source.splitlines()
    try:
        ast.parse(source)
        return source
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    candidates = [i for i, line in enumerate(lines) if _ipython_line(line)][:MAX_MAGIC_LINES]
    return "\n".join(_rewrite_magics(lines, candidates))


def _rewrite_magics(lines, candidates):
    """``lines`` with each candidate line that starts a logical line rewritten (see :func:`cell_code`).

    One tokenize pass over the cell, whatever the number of candidates: the
    tokenizer reads the cell line by line through ``readline``, and when it
    asks for a candidate line, every token before that line has been seen, so
    whether the line starts a logical line is known from them (the line before
    ended with NEWLINE, or NL outside brackets). A candidate that does is
    rewritten before the tokenizer reads it, so what follows is tokenized as
    the rewritten cell. Time linear in the cell's size (re-tokenizing the
    prefix before each candidate was quadratic: minutes for a 1 MiB cell).

    Parameters
    ----------
    lines : list of str
        The cell's lines, without line ends.
    candidates : list of int
        0-based numbers of the lines that look like IPython lines.

    Returns
    -------
    list of str
        The cell's lines, rewritten where a candidate starts a logical line;
        ``lines`` unchanged when the cell cannot be tokenized up to a candidate
        or the tokenizer read ahead of the tokens it gave (then no decision can
        be trusted).
    """
    out = list(lines)
    todo = set(candidates)
    if not todo:
        return out
    state = {"next": 0, "row": 0, "type": tokenize.NEWLINE, "depth": 0}
    rewritten = []

    def readline():
        i = state["next"]
        if i >= len(out):
            return ""
        if i in todo and state["depth"] == 0 and (
                i == 0 or (state["type"] in (tokenize.NEWLINE, tokenize.NL) and state["row"] == i)):
            _rewrite(out, lines, i)
            rewritten.append(i)
        state["next"] = i + 1
        return out[i] + "\n"

    last = max(todo)
    try:
        for tok in tokenize.generate_tokens(readline):
            if tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            state["row"], state["type"] = tok.start[0], tok.type
            if tok.type == tokenize.OP and tok.string in "([{":
                state["depth"] += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                state["depth"] = max(0, state["depth"] - 1)
            if state["next"] > last and tok.start[0] > last + 1:
                break  # every candidate decided; the rest of the cell does not matter
    except (tokenize.TokenError, SyntaxError, RecursionError, MemoryError):
        pass  # an error after a candidate was read leaves the decisions made so far standing
    # a tokenizer that read ahead of its tokens (not CPython 3.11's) would decide on stale state:
    # check once, in a second pass, that each rewritten line starts a logical line of the result
    starts = _logical_starts("\n".join(out) + "\n")
    if starts is not None and not starts.issuperset(rewritten):
        return list(lines)
    return out


def _ipython_line(line):
    s = line.lstrip()
    return (s.startswith("%") or (s.startswith("!") and not s.startswith("!="))
            or _ASSIGN_MAGIC.match(line) is not None)


def _rewrite(out, lines, i):
    line = lines[i]
    indent = line[:len(line) - len(line.lstrip())]
    m = _ASSIGN_MAGIC.match(line)
    if m is None:
        stmt = "pass"
    elif "," in m.group(2):  # a, b = !cmd: each name gets None
        stmt = " = ".join(t.strip() for t in m.group(2).split(",")) + " = None"
    else:  # x = !cmd gives a list of lines in IPython; x = %magic its value
        stmt = f"{m.group(2)} = {'[]' if m.group(3) == '!' else 'None'}"
    out[i] = f"{indent}{stmt}  # IPython only, not run: {line.strip()}"
    j = i
    while lines[j].endswith("\\") and j + 1 < len(lines):  # a magic continued on the next line
        out[j] = out[j][:-1]
        j += 1
        out[j] = f"{indent}# (continued) {lines[j].strip()}"


def _logical_starts(code):
    """0-based numbers of the lines where a logical line starts; ``None`` if it cannot tokenize."""
    starts, at_start, depth = set(), True, 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.NEWLINE:
                at_start = True
                continue
            if tok.type == tokenize.NL:
                at_start = at_start or depth == 0
                continue
            if tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT, tokenize.ENDMARKER):
                continue
            if at_start and depth == 0:
                starts.add(tok.start[0] - 1)
            at_start = False
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth = max(0, depth - 1)
    except (tokenize.TokenError, SyntaxError, RecursionError, MemoryError):
        return None
    return starts
