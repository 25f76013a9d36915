"""Intake: read a submission's own regular files, once, into memory — nothing else.

Everything the grader hands to the sandbox comes from here. The submission
(a file, or a folder as Gradescope or nbgrader hands it over) is read
without ever following a symbolic link and without opening anything but a
regular file:

- every folder and file is opened relative to its parent's descriptor with
  ``O_NOFOLLOW`` (a link anywhere is refused, so every file read lies inside
  the submission folder), ``O_NONBLOCK`` and ``O_NOCTTY``, and checked again
  with ``fstat`` after opening (each file by :func:`autograder.files.read_regular`,
  the kit's one rule for reading an untrusted file);
- a device, FIFO or socket is refused from ``lstat`` alone, never opened;
- a file with other hard links is refused (its real place may be elsewhere);
- each source file is at most :data:`MAX_SOURCE_BYTES`, a notebook at most
  :data:`MAX_NOTEBOOK_BYTES`, at most :data:`MAX_PYTHON_FILES` files are taken and
  at most :data:`MAX_ENTRIES` entries, :data:`MAX_DEPTH` folders deep, are
  looked at (a folder of a million files costs no more than one of ten
  thousand).

The result is a :class:`Snapshot`: the accepted files' bytes and SHA-256,
the refused entries with the reason (said to the student by name), and one
digest of the whole. Nothing here runs, imports or evaluates student code;
a notebook is parsed as JSON and its code cells are turned into a module
with IPython-only lines made harmless (:func:`notebook_module`).

API (standard library only)::

    snap = collect("mle", "submitted/ada/mle")   # never raises for the submission's content
    snap.digest                # sha256 over the accepted files (names and bytes)
    snap.files, snap.refused   # Accepted(name, role, sha256, size, data), Refused(name, reason)
    snap.problem               # None, or why there is nothing to grade (said to the student)
    snap.write(folder)         # trusted copies: [<folder>/mle.py, helpers...] for sandbox.Session
    snap.changed_since(other)  # names of files that differ between two snapshots
    snap.notes()               # the refusals and notebook notes, one line each, for the feedback
"""
from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import stat
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from . import files
from .text import one_line

MAX_SOURCE_BYTES = 1 << 20      # one .py file (module or helper)
MAX_NOTEBOOK_BYTES = 5 << 20    # one .ipynb file
MAX_CODE_BYTES = 1 << 20        # the module made from a notebook's code cells
MAX_PYTHON_FILES = 40           # Python files taken (module + helpers)
MAX_ENTRIES = 10_000            # folder entries looked at, in all
MAX_DEPTH = 8                   # folders below the submission's top
MAX_NOTES = 12                  # refusals named one by one in the feedback
MAX_MAGIC_LINES = 50            # IPython lines rewritten per notebook cell

#: Folders never looked into (tools' caches, version control, macOS zip debris).
SKIPPED_DIRS = frozenset({".ipynb_checkpoints", "__pycache__", "__MACOSX", ".git", ".hg", ".svn"})

_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True)
class Accepted:
    """One file taken from the submission, read once.

    ``name`` is its path inside the submission (``/``-separated); ``role`` is
    ``"module"``, ``"helper"`` or ``"notebook"``.
    """

    name: str
    role: str
    sha256: str
    size: int
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Refused:
    """An entry of the submission that was not read, and why (a sentence for the student)."""

    name: str
    reason: str

    def __str__(self):
        return self.reason


@dataclass
class Snapshot:
    """What intake took from a submission, and what it refused."""

    assignment: str
    submission: str
    files: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    problem: str | None = None
    notebook_notes: list = field(default_factory=list)
    module_source: bytes | None = field(default=None, repr=False)  # from a notebook

    @property
    def digest(self):
        """SHA-256 over the accepted files' names, roles and contents (sorted by name)."""
        h = hashlib.sha256(f"autograder-intake-v1\0{self.assignment}\0".encode())
        for f in sorted(self.files, key=lambda f: f.name):
            h.update(f"{f.role}\0{f.name}\0{f.sha256}\0".encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    @property
    def module(self):
        return next((f for f in self.files if f.role in ("module", "notebook")), None)

    def notes(self):
        """One line per refusal (the first :data:`MAX_NOTES`) and per notebook note."""
        lines = [r.reason for r in self.refused[:MAX_NOTES]]
        if len(self.refused) > MAX_NOTES:
            lines.append(f"... and {len(self.refused) - MAX_NOTES} more entries were not read")
        return lines + list(self.notebook_notes)

    def write(self, folder):
        """Write the trusted copies into ``folder``; return their paths, the module first.

        The module is always ``<assignment>.py`` (renamed, or made from the
        notebook); helpers keep their names. ``[]`` when there is nothing to grade.
        """
        folder = Path(folder)
        if self.problem is not None or self.module is None:
            return []
        main = folder / f"{self.assignment}.py"
        data = self.module_source if self.module.role == "notebook" else self.module.data
        _write_new(main, data)
        paths = [main]
        for f in self.files:
            if f.role == "helper":
                paths.append(folder / f.name.rsplit("/", 1)[-1])
                _write_new(paths[-1], f.data)
        return paths

    def changed_since(self, other):
        """Names of the files added, removed or changed between ``other`` and this snapshot."""
        mine = {f.name: f.sha256 for f in self.files}
        theirs = {f.name: f.sha256 for f in other.files}
        return sorted(n for n in mine.keys() | theirs.keys() if mine.get(n) != theirs.get(n))


def _write_new(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def shown(name):
    """A submission's file name as it may be shown to a person (no control characters)."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return one_line(name, limit=120)


# ----------------------------------------------------------------------------
# walking the folder without following links (each file is read by autograder.files)


def _open_dir(root_fd, parts):
    fd = os.dup(root_fd)
    try:
        for p in parts:
            nxt = os.open(p, _OPEN_DIR, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except OSError:
        os.close(fd)
        raise
    return fd


@dataclass
class _Entry:
    parts: tuple   # path inside the submission
    mode: int

    @property
    def name(self):
        return "/".join(self.parts)

    @property
    def display(self):
        return shown(self.name)


def _scan(root_fd, notes):
    """Breadth first, shallowest first: every entry (lstat mode) within the caps."""
    entries, queue, seen = [], [()], 0
    while queue:
        parts = queue.pop(0)
        try:
            fd = _open_dir(root_fd, parts)
        except OSError as exc:
            notes.append(Refused("/".join(parts), f"the folder {shown('/'.join(parts))} could not "
                                 f"be read ({exc.strerror})"))
            continue
        try:
            names = []
            try:
                with os.scandir(fd) as it:
                    for e in it:
                        seen += 1
                        if seen > MAX_ENTRIES:
                            break
                        names.append(e.name)
            except OSError as exc:
                notes.append(Refused("/".join(parts), f"the folder {shown('/'.join(parts)) or '.'} "
                                     f"could not be read completely ({exc.strerror})"))
            for name in sorted(names):
                try:
                    mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
                except OSError:
                    continue
                entry = _Entry((*parts, name), mode)
                entries.append(entry)
                if stat.S_ISDIR(mode) and name not in SKIPPED_DIRS and not name.startswith("."):
                    if len(parts) + 1 <= MAX_DEPTH:
                        queue.append(entry.parts)
        finally:
            os.close(fd)
        if seen > MAX_ENTRIES:
            where = shown("/".join(parts)) or "the submission's top folder"
            notes.append(Refused("/".join(parts), f"the submission holds more than {MAX_ENTRIES} "
                                 f"files and folders; only the first were looked at (stopped in "
                                 f"{where})"))
            break
    return entries


# ----------------------------------------------------------------------------
# choosing the files


def collect(assignment, submission):
    """Read ``submission`` (a file or folder) for ``assignment``; return a :class:`Snapshot`.

    Raises :class:`FileNotFoundError` only when ``submission`` does not
    exist at all; everything about its content ends up in the snapshot.
    """
    path = Path(submission)
    snap = Snapshot(assignment, str(submission))
    module = f"{assignment}.py"
    st = os.lstat(path)  # FileNotFoundError: the caller's (the instructor's) mistake
    top = shown(path.name) or shown(str(path))
    if stat.S_ISDIR(st.st_mode):
        try:
            root_fd = os.open(path, _OPEN_DIR)
        except OSError as exc:
            snap.problem = f"the submission folder {top} could not be read ({exc.strerror})"
            return snap
        try:
            _collect_folder(snap, root_fd, assignment)
        finally:
            os.close(root_fd)
        return snap
    if not stat.S_ISREG(st.st_mode):
        snap.refused.append(Refused(path.name, files.why_not(top, st.st_mode)))
        snap.problem = snap.refused[-1].reason
        return snap
    if path.suffix not in (".py", ".ipynb"):
        snap.problem = f"the submission {top} is not a Python file ({module} expected)"
        return snap
    try:
        parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        snap.problem = f"{top} could not be read ({exc.strerror})"
        return snap
    try:
        _take(snap, parent, _Entry((path.name,), st.st_mode),
              "notebook" if path.suffix == ".ipynb" else "module")
    finally:
        os.close(parent)
    if snap.module is None:
        snap.problem = snap.refused[-1].reason if snap.refused else f"{top} could not be read"
    return snap


def _take(snap, dir_fd, entry, role):
    cap = MAX_NOTEBOOK_BYTES if role == "notebook" else MAX_SOURCE_BYTES
    try:
        data = files.read_regular(entry.parts[-1], cap, dir_fd=dir_fd, display=entry.display, one_link=True)
    except files.NotRead as exc:
        snap.refused.append(Refused(entry.name, str(exc)))
        return False
    if role == "notebook":
        try:
            source, notes = notebook_module(data, entry.display)
        except NotebookError as exc:
            snap.refused.append(Refused(entry.name, str(exc)))
            return False
        snap.module_source = source.encode("utf-8", "surrogatepass")
        snap.notebook_notes.extend(notes)
    snap.files.append(Accepted(entry.name, role, hashlib.sha256(data).hexdigest(), len(data), data))
    return True


def _in_dir(root_fd, entry, snap, role):
    try:
        fd = _open_dir(root_fd, entry.parts[:-1])
    except OSError as exc:
        snap.refused.append(Refused(entry.name, f"{entry.display} could not be read ({exc.strerror})"))
        return False
    try:
        return _take(snap, fd, entry, role)
    finally:
        os.close(fd)


def _collect_folder(snap, root_fd, assignment):
    module = f"{assignment}.py"
    notes = []
    entries = _scan(root_fd, notes)
    considered = [e for e in entries if not any(p in SKIPPED_DIRS for p in e.parts[:-1])]
    for e in considered:  # what a student may have meant to submit, but cannot be read
        if not stat.S_ISREG(e.mode) and not stat.S_ISDIR(e.mode) and (
                e.parts[-1].endswith((".py", ".ipynb")) or len(e.parts) == 1):
            snap.refused.append(Refused(e.name, files.why_not(e.display, e.mode)))
        elif stat.S_ISDIR(e.mode) and len(e.parts) - 1 >= MAX_DEPTH and not e.parts[-1].startswith("."):
            notes.append(Refused(e.name, f"{e.display} is more than {MAX_DEPTH} folders deep: "
                                 "it was not looked into"))
    mains = [e for e in considered if e.parts[-1] == module and stat.S_ISREG(e.mode)]
    for main in mains:  # shallowest first: the first one that can be read is the module
        if _in_dir(root_fd, main, snap, "module"):
            _helpers(snap, root_fd, main, considered)
            break
    else:
        notebooks = [e for e in considered if e.parts[-1].endswith(".ipynb") and stat.S_ISREG(e.mode)]
        named = [e for e in notebooks if e.parts[-1] == f"{assignment}.ipynb"]
        if named or len(notebooks) == 1:
            for nb in named or notebooks:
                if _in_dir(root_fd, nb, snap, "notebook"):
                    break
    snap.refused.extend(notes)
    if snap.module is None:
        refused = "; ".join(r.reason for r in snap.refused[:3])
        found = sorted({e.display for e in considered if stat.S_ISREG(e.mode)})[:10]
        snap.problem = (f"no {module} (or {assignment}.ipynb) that could be read in the submission"
                        + (f" ({refused})" if refused else "")
                        + f"; it holds: {', '.join(found) if found else 'nothing'}")


_HELPER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")


def _helpers(snap, root_fd, main, considered):
    """The other ``*.py`` files beside the module (not ``test_*``), within the caps."""
    folder = main.parts[:-1]
    beside = [e for e in considered if e.parts[:-1] == folder and e is not main
              and e.parts[-1].endswith(".py") and stat.S_ISREG(e.mode)]
    taken = 1
    for e in beside:
        name = e.parts[-1]
        if name.startswith("test_"):
            continue
        if not _HELPER.match(name) or not name.isascii():
            snap.refused.append(Refused(e.name, f"{e.display} is not a name Python can import "
                                        "(letters, digits and _ only): it was not read"))
            continue
        if taken >= MAX_PYTHON_FILES:
            snap.refused.append(Refused(e.name, f"{e.display} was not read: a submission may "
                                        f"hold at most {MAX_PYTHON_FILES} Python files"))
            continue
        if _in_dir(root_fd, e, snap, "helper"):
            taken += 1


# ----------------------------------------------------------------------------
# notebooks


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
                         f"{files.size_text(MAX_CODE_BYTES)} of code: it was not graded")


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
