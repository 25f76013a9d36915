"""Student-derived text made safe for every output: terminal, results.json, CSV, pages.

Everything a submission can influence — what it prints, its exception
messages and type names, its file and folder names — passes through
:func:`clean` before it reaches a person. HTML pages escape on top of that
(their template engine does); CSV cells also go through :func:`csv_cell`.
"""
from __future__ import annotations

import re

#: C0 controls but newline and tab, DEL, and C1 controls (ESC sequences, CR, backspace,
#: bell, the 8-bit CSI …) plus the Unicode bidirectional overrides that reorder a line,
#: and lone surrogates (undecodable file-name bytes), which no UTF-8 output can hold.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                      "\ud800-\udfff]")

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible(match):
    return f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100 else f"\\u{ord(match.group()):04x}"


def clean(text, limit=None):
    """``text`` with every control character but newline and tab shown as ``\\xNN``.

    A carriage return cannot overwrite a line, an escape sequence cannot clear
    the screen or recolour it, a bidirectional override cannot reorder what
    follows. ``limit`` cuts the result to that many characters (marked).
    """
    text = str(text)
    out = _CONTROL.sub(_visible, text)
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
