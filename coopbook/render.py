"""Render stage: interviews' Markdown to HTML fragments (tagged for the index), and the Jinja2 environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup

from . import markup
from .content import Book, Interview

Target = Literal["pdf", "epub"]
NOTE_STYLE: dict[Target, markup.NoteStyle] = {"pdf": "print", "epub": "epub"}

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


def render_interview(interview: Interview, target: Target,
                     transform_for: FieldTransform | None = None) -> RenderedInterview:
    """Render one interview's questions, answers and closing message to HTML for the target."""
    notes = NOTE_STYLE[target]

    def html(text: str, path: tuple[str | int, ...], doc_id: str, inline: bool = False) -> Markup:
        transform = transform_for(interview.id, path) if transform_for else None
        if inline:
            return Markup(markup.inline_html(text, doc_id, transform))
        return Markup(markup.to_html(text, doc_id, transform, notes))

    questions = tuple(
        RenderedQuestion(
            anchor=f"q-{interview.id}-{n}",
            question_html=html(q.q, ("questions", n - 1, "q"), f"{interview.id}-q{n}", inline=True),
            answer_html=html(q.a, ("questions", n - 1, "a"), f"{interview.id}-a{n}"),
        )
        for n, q in enumerate(interview.questions, start=1)
    )
    closing = html(interview.closing, ("closing",), f"{interview.id}-closing") if interview.closing else None
    return RenderedInterview(interview, interview_anchor(interview.id), questions, closing)


def render_book(book: Book, target: Target, transform_for: FieldTransform | None = None) -> RenderedBook:
    """Render every interview and the introduction (the series description) for the target."""
    interviews = tuple(render_interview(i, target, transform_for) for i in book.interviews)
    intro = Markup(markup.to_html(book.config.series.description, "introduction", None, NOTE_STYLE[target]))
    return RenderedBook(book, interviews, intro)
