"""Student-derived text made safe for every output: terminal, results.json, CSV, pages.

Everything a submission can influence — what it prints, its exception
messages and type names, its file and folder names — passes through
:func:`clean` before it reaches a person. HTML pages escape on top of that
(their template engine does); CSV cells also go through :func:`csv_cell`.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

#: Unicode's general categories no output shows as text: controls (Cc: ESC, CR, backspace,
#: bell, the 8-bit CSI ...), formats (Cf: direction marks and overrides, zero-width
#: characters, soft hyphen), line and paragraph separators (Zl U+2028, Zp U+2029), lone
#: surrogates (Cs: undecodable file-name bytes, which no UTF-8 output can hold), private use
#: (Co) and unassigned code points (Cn). Newline and tab are kept by :func:`clean`.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_KEPT = frozenset("\n\t")

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_hidden(char):
    """Whether ``char`` must be shown escaped: its Unicode category is in :data:`HIDDEN_CATEGORIES`."""
    return unicodedata.category(char) in HIDDEN_CATEGORIES


def _visible(char):
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clean(text, limit=None):
    """``text`` with every hidden character but newline and tab shown as ``\\xNN`` / ``\\uNNNN``.

    Hidden means a Unicode category in :data:`HIDDEN_CATEGORIES` (Unicode's own
    classes, no hand list): a carriage return cannot overwrite a line, an
    escape sequence cannot clear the screen or recolour it, a direction mark or
    override cannot reorder what follows, a U+2028 / U+0085 cannot start a line
    that looks like the grader's own. ``limit`` cuts the result to that many characters (marked).
    """
    text = str(text)
    out = text if text.isprintable() else "".join(_visible(c) if c not in _KEPT and is_hidden(c) else c for c in text)
    if limit is not None and len(out) > limit:
        out = out[:limit] + f"\n[... {len(out) - limit} more characters cut]"
    return out


def one_line(text, limit=200):
    """:func:`clean` text folded onto one line (names, table cells)."""
    folded = clean(text).replace("\n", "\\n").replace("\t", " ")
    return folded if len(folded) <= limit else folded[:limit - 1] + "…"


def csv_cell(value):
    """A CSV cell that no spreadsheet evaluates: OWASP's rule, a leading quote.

    Numbers stay numbers; a string starting with ``= + - @``, tab or CR
    (after :func:`one_line`) is prefixed with ``'``.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = one_line(value, limit=10_000)
    if text.startswith(_FORMULA_START) or text.startswith("\\x0d") or text.startswith("\\x09"):
        return "'" + text
    return text


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
#: stems the outputs use for themselves (the class report's ``class.html`` ...)
RESERVED_STEMS = frozenset({"class", "index", "summary"})


def file_stem(name):
    """The file stem of a student's files (results, feedback pages): the name itself when it
    is a plain file name, else a sanitised form with a short hash of the name.

    Two names can still meet (in letter case, or a plain name that looks like another's
    sanitised form); ``grade-all`` makes a class's stems unique on top of this.
    """
    name = str(name)
    if _SAFE_NAME.fullmatch(name) and not name.endswith(".") and name.lower() not in RESERVED_STEMS:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    stem = re.sub(r"[^A-Za-z0-9._@+-]+", "_", name)
    stem = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", re.sub(r"\.{2,}", ".", stem))[:60] or "student"
    return f"{stem}-{digest}"
