"""Feedback pages that never render what a student wrote as HTML or JavaScript.

The course's ``nbgrader_config.py`` turns on nbconvert's own sanitiser,
``HTMLExporter.sanitize_html`` (outputs: ``text/html`` and ``text/markdown``
cleaned with bleach, JavaScript and widget outputs dropped). nbgrader 0.9.6's
feedback template renders markdown cells with its own block,
``cell.source | markdown2html | strip_files_prefix``, which that switch does
not reach; the config therefore registers :func:`clean_rendered_markdown` as
the ``strip_files_prefix`` filter: the same prefix stripping, then
nbconvert's ``clean_html`` — so a ``<script>`` in a markdown cell or a
written answer shows as text. The formgrader reads the same config, so the
instructor's pages are sanitised too.
"""
from __future__ import annotations

from nbconvert.filters import clean_html, strip_files_prefix

#: The filter name :func:`clean_rendered_markdown` replaces in the HTML exporter.
FILTER = "strip_files_prefix"


def clean_rendered_markdown(text):
    """``strip_files_prefix`` followed by nbconvert's ``clean_html`` (bleach, nbconvert's allow-list)."""
    return clean_html(strip_files_prefix(text))
