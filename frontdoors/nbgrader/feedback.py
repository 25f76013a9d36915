"""Feedback pages that never render what a student wrote as live HTML or JavaScript.

The course's ``nbgrader_config.py`` turns on nbconvert's sanitiser,
``HTMLExporter.sanitize_html``: JavaScript and widget outputs are dropped,
``text/html`` and ``text/markdown`` outputs go through the ``clean_html``
filter. Two gaps remain, both closed here by filters the config registers:

- nbgrader 0.9.6's feedback template renders markdown cells (course text,
  written answers, cells a student added) with a block of its own,
  ``cell.source | markdown2html | strip_files_prefix``, which that switch
  does not reach: :func:`strip_files_prefix_and_clean` takes the place of
  ``strip_files_prefix``;
- nbconvert's ``clean_html`` allows so few tags that every paragraph and
  heading of a markdown cell would show as escaped ``<p>``/``<h2>`` text:
  :func:`clean` takes its place, with bleach (the library nbconvert uses)
  and an allow-list of what Markdown produces.

Anything else — ``<script>``, ``<style>``, ``<iframe>``, ``<form>``, event
handlers (``onerror=``…), ``style`` attributes, ``javascript:`` links, class
names that could imitate nbgrader's score panels — is escaped and shows as
text. The formgrader reads the same config, so the instructor's pages are
sanitised too.
"""
from __future__ import annotations

import re

import bleach
from nbconvert.filters import strip_files_prefix

#: What nbconvert's Markdown renderer produces (headings, lists, tables, code, links, images, math).
TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
#: Class names Markdown rendering uses: pygments' short token classes, code blocks, heading anchors.
_CLASS = re.compile(r"^(?:[a-z]{1,3}\d?|highlight|hl-[a-z0-9_-]{1,30}|anchor-link)$")
_IMAGE_DATA = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,", re.IGNORECASE)


def _allowed(tag, name, value):
    if name == "class":
        return all(_CLASS.match(token) for token in value.split())
    if name == "id":
        return tag in ("h1", "h2", "h3", "h4", "h5", "h6")
    if tag == "a":
        return name == "title" or (name == "href" and value.startswith(("#", "http://", "https://", "mailto:")))
    if tag == "img":
        return name in ("alt", "title", "width", "height") or (
            name == "src" and (value.startswith(("http://", "https://")) or bool(_IMAGE_DATA.match(value))))
    if tag in ("td", "th"):
        return name in ("align", "colspan", "rowspan")
    return False


_CLEANER = bleach.Cleaner(tags=TAGS, attributes=_allowed, protocols={"http", "https", "mailto", "data"},
                          strip=False, strip_comments=True)


def clean(html):
    """``html`` with only the tags and attributes Markdown produces left live; the rest escaped."""
    html = html.decode() if isinstance(html, bytes) else str(html)
    return _CLEANER.clean(html)


def strip_files_prefix_and_clean(text):
    """nbconvert's ``strip_files_prefix``, then :func:`clean`."""
    return clean(strip_files_prefix(text))
