"""The Jinja2 environment over templates/: every piece of markup and CSS the book uses lives there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from . import i18n
from .markdown import anchors
from .source.yamlreader import is_dropping

if TYPE_CHECKING:
    from .source.bookconfig import BookConfig

TEMPLATES = i18n.TEMPLATES
DEFAULT_LANGUAGE = "en-GB"  # the language of a template rendered without one (CSS, PostScript: no words)


@dataclass(frozen=True)
class EditorialNoteLine:
    """An editorial note as the Note on the text prints it: its text, the interviewees it applies to, its dates."""

    who: tuple[str, ...]
    dates: tuple[dt.date, ...]
    text: str


def merge_notes(notes: Sequence[tuple[str, dt.date | None, str]]) -> tuple[EditorialNoteLine, ...]:
    """(interviewee, date, text) notes in reading order, those of identical text merged into one (first-seen order)."""
    merged: dict[str, tuple[list[str], set[dt.date]]] = {}
    for who, date, text in notes:
        names, dates = merged.setdefault(text, ([], set()))
        if who not in names:
            names.append(who)
        if date is not None:
            dates.add(date)
    return tuple(EditorialNoteLine(tuple(names), tuple(sorted(dates)), text) for text, (names, dates) in merged.items())


@dataclass(frozen=True)
class TemplateContext:
    """What every template sees: the book settings, coopbook's version, the build time, the editorial notes, and
    the book's language (render_template takes it from these variables to pick the catalogue and date format)."""

    config: BookConfig
    version: str
    timestamp: str
    built: dt.datetime
    notes: tuple[EditorialNoteLine, ...]
    series_name: str

    @property
    def language(self) -> str:
        """The book's language (BCP 47): its generated words' catalogue and its dates."""
        return self.config.language

    def variables(self) -> dict[str, object]:
        """The fields as template variables, by name (the records themselves, not copies), and the language."""
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "language": self.language}


def long_date(value: dt.date, language: str = DEFAULT_LANGUAGE) -> str:
    """A date as a reader of the language expects it: 22 July 2020 (en-GB), 22 de julio de 2020 (es)."""
    return i18n.long_date(value, language)


def make_environment(root: Path, *, autoescape: bool = True, language: str = DEFAULT_LANGUAGE,
                     catalogues: Path = TEMPLATES) -> jinja2.Environment:
    """A Jinja2 environment over a template folder, strict about undefined names, its words (`_("…")`) and dates
    in the language; with autoescape, markup templates (html, xhtml, xml, svg) are escaped; without it (YAML
    output) nothing is. catalogues: the templates folder whose locale/ holds the message catalogues."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        autoescape=jinja2.select_autoescape(("html", "xhtml", "xml", "svg")) if autoescape else False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(language, catalogues), newstyle=True)  # type: ignore[attr-defined]
    env.filters["long_date"] = lambda value: long_date(value, language)
    env.globals["anchors"] = anchors  # every element id templates give (see markdown/anchors.py)
    return env


def environment(root: Path = TEMPLATES, language: str = DEFAULT_LANGUAGE) -> jinja2.Environment:
    """The Jinja2 environment over templates/ in a language (autoescaped, strict about undefined names), made once
    per root, language and version of its catalogue (a changed translation is read again, as by `watch`)."""
    return _environment(root, language, i18n.catalogue_stamp(language, root))


@lru_cache(maxsize=16)
def _environment(root: Path, language: str, stamp: tuple[str, int, int]) -> jinja2.Environment:
    return make_environment(root, language=language, catalogues=root)


def render_template(name: str, root: Path = TEMPLATES, language: str = DEFAULT_LANGUAGE, **context: object) -> str:
    """Render one template of templates/ with the given context, in the book's language (TemplateContext's
    variables carry it; templates without words, CSS and PostScript, may leave the default)."""
    return environment(root, language).get_template(name).render(**context, language=language)


def template_macro(template: str, name: str, root: Path = TEMPLATES,
                   language: str = DEFAULT_LANGUAGE) -> jinja2.runtime.Macro:
    """One macro of a template (for small pieces of markup needed while rendering Markdown)."""
    return getattr(environment(root, language).get_template(template).module, name)


def template_files(root: Path = TEMPLATES) -> Sequence[Path]:
    """Every file under templates/ (templates, CSS, fonts), sorted: what can change the output."""
    return sorted(p for p in root.rglob("*") if p.is_file() and not is_dropping(p.name))
