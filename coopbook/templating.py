"""The Jinja2 environment over templates/: every piece of markup and CSS the book uses lives there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import jinja2

from .markdown import anchors
from .source.yamlreader import is_dropping

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def long_date(value: dt.date) -> str:
    """A date as a reader of en-GB expects it: 22 July 2020."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


@lru_cache(maxsize=4)
def environment(root: Path = TEMPLATES) -> jinja2.Environment:
    """The Jinja2 environment over templates/ (autoescaped, strict about undefined names)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        autoescape=jinja2.select_autoescape(("html", "xhtml", "xml", "svg")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    env.globals["anchors"] = anchors  # every element id templates give (see markdown/anchors.py)
    return env


def render_template(name: str, root: Path = TEMPLATES, **context: object) -> str:
    """Render one template of templates/ with the given context."""
    return environment(root).get_template(name).render(**context)


def template_macro(template: str, name: str, root: Path = TEMPLATES) -> jinja2.runtime.Macro:
    """One macro of a template (for small pieces of markup needed while rendering Markdown)."""
    return getattr(environment(root).get_template(template).module, name)


def template_files(root: Path = TEMPLATES) -> Sequence[Path]:
    """Every file under templates/ (templates, CSS, fonts), sorted: what can change the output."""
    return sorted(p for p in root.rglob("*") if p.is_file() and not is_dropping(p.name))
