"""The pages' one Jinja2 environment: autoescape on for every template, undefined names fail."""
from __future__ import annotations

from pathlib import Path

import jinja2

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True,  # every {{ value }} is HTML-escaped, whatever the template's name
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

#: the pages fetch nothing and run nothing, even if a string escaped its escaping
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")


def render(template, **context):
    return _ENV.get_template(template).render(csp=CSP, **context)
