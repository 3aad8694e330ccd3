"""Render stage: interviews' Markdown to HTML fragments (tagged for the index), and the Jinja2 environment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import markup
from .content import Book, Interview

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

# A factory of token transforms for one interview: (interview id) -> transform with a field setter.
FieldTransform = Callable[[str, tuple[str | int, ...]], markup.TokenTransform | None]


@dataclass(frozen=True)
class RenderedQuestion:
    """One question and answer as HTML fragments, with the question's anchor."""

    anchor: str
    question_html: Markup
    answer_html: Markup


@dataclass(frozen=True)
class RenderedInterview:
    """An interview ready for the templates: its record, anchors and HTML fragments."""

    interview: Interview
    anchor: str
    questions: tuple[RenderedQuestion, ...]
    closing_html: Markup | None


@dataclass(frozen=True)
class RenderedBook:
    """Everything the output templates need from the content, in reading order."""

    book: Book
    interviews: tuple[RenderedInterview, ...]
    introduction_html: Markup


def interview_anchor(interview_id: str) -> str:
    """The id of an interview's opening element (same in PDF and EPUB)."""
    return f"interview-{interview_id}"


def render_interview(interview: Interview, transform_for: FieldTransform | None = None) -> RenderedInterview:
    """Render one interview's questions, answers and closing message to HTML."""

    def html(text: str, path: tuple[str | int, ...], inline: bool = False) -> Markup:
        transform = transform_for(interview.id, path) if transform_for else None
        if inline:
            return Markup(markup.inline_html(text, interview.id, transform))
        return Markup(markup.to_html(text, interview.id, transform))

    questions = tuple(
        RenderedQuestion(
            anchor=f"q-{interview.id}-{n}",
            question_html=html(q.q, ("questions", n - 1, "q"), inline=True),
            answer_html=html(q.a, ("questions", n - 1, "a")),
        )
        for n, q in enumerate(interview.questions, start=1)
    )
    closing = html(interview.closing, ("closing",)) if interview.closing else None
    return RenderedInterview(interview, interview_anchor(interview.id), questions, closing)


def render_book(book: Book, transform_for: FieldTransform | None = None) -> RenderedBook:
    """Render every interview and the introduction (the series description)."""
    interviews = tuple(render_interview(i, transform_for) for i in book.interviews)
    intro = Markup(markup.to_html(book.config.series.description, "introduction"))
    return RenderedBook(book, interviews, intro)


def long_date(value: dt.date) -> str:
    """A date as a reader of en-GB expects it: 22 July 2020."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def roman(value: int) -> str:
    """Lower-case roman numeral (front-matter folios)."""
    numerals = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
                (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
    out = []
    for number, letters in numerals:
        while value >= number:
            out.append(letters)
            value -= number
    return "".join(out)


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
    env.filters["roman"] = roman
    return env


def render_template(name: str, root: Path = TEMPLATES, **context: object) -> str:
    """Render one template of templates/ with the given context."""
    return environment(root).get_template(name).render(**context)


def template_files(root: Path = TEMPLATES) -> Sequence[Path]:
    """Every file under templates/ (templates, CSS, fonts), sorted: what can change the output."""
    return sorted(p for p in root.rglob("*") if p.is_file())
