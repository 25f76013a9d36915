"""The comparison itself, in a process of its own: ``python -m reports._fingerprints`` (JSON in, JSON out).

:mod:`reports.similarity` runs this module with a fixed ``PYTHONHASHSEED``
(copydetect hashes k-grams with Python's ``hash``, which is salted per process
otherwise: the same class would give slightly different figures on every run),
a memory limit and a time limit, and reads its answer. Nothing here runs or
imports student code: the texts are tokenised by Pygments' Python lexer and
fingerprinted by copydetect (winnowing, as MOSS), both of which only read them.

Reads from stdin a JSON object: ``known`` (texts whose fingerprints are removed
from every submission's: the stub and the reference), ``sources`` ({name: text}),
``noise`` (k, in characters of tokenised code), ``guarantee`` (the winnowing
guarantee: the window is ``guarantee - noise + 1``), ``threshold`` (a fraction),
``min_lines`` and ``max_pairs``. Writes a JSON object: ``empty`` (names with no
fingerprint left once the known texts are removed), ``pairs`` (each: ``a``,
``b``, ``share_a``, ``share_b``, ``lines_a``, ``lines_b``, ``regions_a``,
``regions_b`` as ``[[start, end], ...]`` character offsets in the texts as
given), ``eligible`` (how many pairs met both thresholds; at most ``max_pairs``
are listed, the most similar first), ``candidates`` (pairs sharing any
fingerprint) and ``seconds``.
"""
from __future__ import annotations

import ast
import bisect
import heapq
import io
import itertools
import json
import logging
import sys
import time

import numpy as np
from copydetect import CodeFingerprint, compare_files

#: the file name the lexer is chosen by (every submission is a Python module)
LEXED_AS = "submission.py"


def lexable(text):
    """``text`` as Pygments will read it, of the same length: Pygments drops a leading BOM, turns
    CRLF into LF and strips leading newlines before it lexes, and copydetect's regions are offsets
    in what was lexed; a module that began with 20 000 blank lines had every region marked 20 000
    characters early, on blank lines, and its copy was never listed. Spaces stand in for what it drops."""
    text = text.replace("\r\n", " \n")
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    lead = len(text) - len(text.lstrip("\r\n"))
    return " " * lead + text[lead:]


def without_no_ops(text):
    """``text`` with its statements that do nothing (``pass``, a bare constant, ``...`` or name, a
    docstring) and their ``;`` blanked with spaces, of the same length: ``x = y;pass`` after every
    statement left no 25 characters of tokenised code in common with the original, and a copy was
    never listed. A module that does not parse (or holds a CR) is left as it is."""
    if "\r" in text:
        return text
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text
    lines = text.split("\n")
    starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=0))

    def offset(line, col):  # ast's columns count UTF-8 bytes
        return starts[line - 1] + len(lines[line - 1].encode("utf-8")[:col].decode("utf-8", "replace"))

    chars = list(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr)
                                          and isinstance(node.value, (ast.Constant, ast.Name))):
            start, end = offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)
            before = start
            while before > 0 and chars[before - 1] in " \t":
                before -= 1
            if before > 0 and chars[before - 1] == ";":
                start = before - 1
            for i in range(start, end):
                if chars[i] != "\n":
                    chars[i] = " "
    return "".join(chars)


def fingerprint(text, noise, window, known=None):
    """copydetect's fingerprint of ``text``, the fingerprints in ``known`` removed."""
    return CodeFingerprint(LEXED_AS, noise, window, boilerplate=known,
                           fp=io.StringIO(lexable(without_no_ops(text))))


def known_hashes(texts, noise):
    """Every k-gram hash of the known texts (copydetect's own way: window 1, so none is missed)."""
    found = [np.array(sorted(fingerprint(t, noise, 1).hashes), dtype=np.int64) for t in texts]
    return np.unique(np.concatenate(found)) if found else np.array([], dtype=np.int64)


def known_lines(texts):
    """The lines of the known texts, stripped: a line of a submission that is one of them is theirs."""
    return {line.strip() for text in texts for line in text.splitlines()}


class Lines:
    """Where the lines of a text start, and which of them are the student's own: not blank, not
    a comment, not a line of a known text."""

    def __init__(self, text, known):
        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
        self.ends = self.starts[1:] + [len(text)]
        self.own = []
        for start, end in zip(self.starts, self.ends):
            stripped = text[start:end].strip()
            self.own.append(bool(stripped) and not stripped.startswith("#") and stripped not in known)

    def cut(self, regions):
        """``regions`` ([start, end) character offsets) cut to the own lines; ``(regions, lines)``.

        copydetect's regions run from the first to the last character of matching k-grams, so a
        region that ends in one function body and starts again in the next also covers the stub's
        docstring between them: that docstring is no evidence, and is neither marked nor counted.
        """
        out, lines = [], set()
        for start, end in sorted(regions):
            line = bisect.bisect_right(self.starts, start) - 1
            while line < len(self.starts) and self.starts[line] < end:
                if self.own[line]:
                    lo, hi = max(start, self.starts[line]), min(end, self.ends[line])
                    lines.add(line)
                    if out and out[-1][1] >= lo:
                        out[-1][1] = max(out[-1][1], hi)
                    else:
                        out.append([lo, hi])
                line += 1
        return out, len(lines)


def _regions(slices):
    return [[int(s), int(e)] for s, e in zip(slices[0], slices[1]) if e > s] if len(slices) == 2 else []


def run(request):
    """The answer (a dict, see the module's docstring) to one request."""
    started = time.monotonic()
    noise, window = int(request["noise"]), int(request["guarantee"]) - int(request["noise"]) + 1
    threshold, min_lines = float(request["threshold"]), int(request["min_lines"])
    known, lines_known = known_hashes(request["known"], noise), known_lines(request["known"])
    texts = dict(request["sources"])
    prints = {name: fingerprint(text, noise, window, known) for name, text in texts.items()}
    empty = sorted(name for name, fp in prints.items() if not fp.hashes)
    names = sorted(name for name in prints if name not in empty)
    kept, eligible, candidates, lines = [], 0, 0, {}
    most = int(request["max_pairs"])
    for a, b in itertools.combinations(names, 2):
        if prints[a].hashes.isdisjoint(prints[b].hashes):
            continue
        candidates += 1
        _, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        if max(share_a, share_b) < threshold:
            continue
        for name in (a, b):
            if name not in lines:
                lines[name] = Lines(texts[name], lines_known)
        regions_a, lines_a = lines[a].cut(_regions(slices_a))
        regions_b, lines_b = lines[b].cut(_regions(slices_b))
        if min(lines_a, lines_b) < min_lines:
            continue
        eligible += 1
        # the most similar pairs are kept (a heap of at most max_pairs: memory stays bounded)
        rank = (max(share_a, share_b), min(lines_a, lines_b), _reverse(a), _reverse(b))
        pair = {"a": a, "b": b, "share_a": float(share_a), "share_b": float(share_b), "lines_a": lines_a,
                "lines_b": lines_b, "regions_a": regions_a, "regions_b": regions_b}
        if len(kept) < most:
            heapq.heappush(kept, (rank, eligible, pair))
        elif most and rank > kept[0][0]:
            heapq.heapreplace(kept, (rank, eligible, pair))
    pairs = [pair for _, _, pair in sorted(kept, key=lambda item: item[0], reverse=True)]
    return {"empty": empty, "pairs": pairs, "eligible": eligible, "candidates": candidates,
            "seconds": time.monotonic() - started}


def _reverse(name):
    """A key that sorts names backwards (so that, ranked from the top, ties read alphabetically)."""
    return [-ord(c) for c in name]


def main():
    logging.disable(logging.WARNING)  # copydetect logs a warning per file it cannot lex; none here
    json.dump(run(json.load(sys.stdin)), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
