"""Render stage: each interview's Markdown to HTML fragments for a target, with its index mentions tagged.

The mention ids (`m-<interview>-<n>`) are the same for every target, so the PDF's anchors, the EPUB's links
and the index all speak of the same elements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from markupsafe import Markup

from . import markup
from .content import Book, Interview
from .errors import Location, Problems
from .registry import Registry
from .tagging import InterviewTagger, Matcher, Mention
from .yamlsource import YamlDoc, YamlPath

Target = Literal["pdf", "epub"]
TARGETS: tuple[Target, ...] = ("pdf", "epub")
NOTE_STYLE: dict[Target, markup.NoteStyle] = {"pdf": "print", "epub": "epub"}


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
    role_html: Markup
    heading_mention: str | None = None


@dataclass(frozen=True)
class RenderedBook:
    """Everything the output templates need from the content, in reading order, with every mention."""

    book: Book
    interviews: tuple[RenderedInterview, ...]
    introduction_html: Markup
    mentions: tuple[Mention, ...] = ()


def interview_anchor(interview_id: str) -> str:
    """The id of an interview's opening element (same in PDF and EPUB)."""
    return f"interview-{interview_id}"


def footnote_doc_id(interview_id: str, ypath: YamlPath) -> str:
    """The footnote-id prefix of a Markdown value: <id>-q<n>, <id>-a<n> (from 1) or <id>-closing."""
    if len(ypath) == 3 and ypath[0] == "questions" and isinstance(ypath[1], int):
        return f"{interview_id}-{ypath[2]}{ypath[1] + 1}"
    return f"{interview_id}-{'-'.join(str(p) for p in ypath)}"


def render_interview(interview: Interview, tagger: InterviewTagger | None = None,
                     source: YamlDoc | None = None) -> dict[Target, RenderedInterview]:
    """Render one interview's role, questions, answers and closing message for both targets.

    Each Markdown value is parsed and tagged once, then rendered for the PDF (page-foot footnotes) and the
    EPUB (noteref and aside footnotes), so both carry the same mention ids.
    """

    def tagged(text: str, ypath: YamlPath, inline: bool) -> tuple[list[Any], dict[str, Any]]:
        if tagger is not None and source is not None:
            tagger.set_field(source.where(ypath), block=source.is_block(ypath))
        doc_id = footnote_doc_id(interview.id, ypath)
        tokens, env = markup.parse_inline(text, doc_id) if inline else markup.parse(text, doc_id)
        return (tagger(tokens) if tagger is not None else tokens), env

    def html(text: str, ypath: YamlPath, inline: bool = False) -> dict[Target, Markup]:
        tokens, env = tagged(text, ypath, inline)
        if inline:
            same = Markup(markup.render_inline(tokens, env))
            return {"pdf": same, "epub": same}
        return {target: Markup(markup.render(tokens, env, NOTE_STYLE[target])) for target in TARGETS}

    heading = None
    if tagger is not None:
        where = source.where(("interviewee", "name")) if source else Location(interview.id)
        heading = tagger.add_mention(f"person:{interview.person_id}", interview.interviewee.name, where).id
    role = html(interview.interviewee.role, ("interviewee", "role"), inline=True)
    questions = [(f"q-{interview.id}-{n}", html(q.q, ("questions", n - 1, "q"), inline=True),
                  html(q.a, ("questions", n - 1, "a"))) for n, q in enumerate(interview.questions, start=1)]
    closing = html(interview.closing, ("closing",)) if interview.closing else None
    return {target: RenderedInterview(
        interview, interview_anchor(interview.id),
        tuple(RenderedQuestion(anchor, q[target], a[target]) for anchor, q, a in questions),
        closing[target] if closing else None, role[target], heading) for target in TARGETS}


def render_books(book: Book, registry: Registry | None = None,
                 found: Problems | None = None) -> dict[Target, RenderedBook]:
    """Render every interview for both targets (tagging mentions once, when a registry is given).

    Tagging problems (unknown refs, misused spans) go to `found` when given, else they are raised.
    """
    problems = Problems() if found is None else found
    matcher = Matcher.from_registry(registry) if registry is not None else None
    interviews: dict[Target, list[RenderedInterview]] = {target: [] for target in TARGETS}
    mentions: list[Mention] = []
    for interview in book.interviews:
        tagger = None
        if registry is not None and matcher is not None:
            tagger = InterviewTagger(matcher, registry, interview.id, problems)
        for target, rendered in render_interview(interview, tagger, book.sources.get(interview.id)).items():
            interviews[target].append(rendered)
        if tagger is not None:
            mentions.extend(tagger.mentions)
    if found is None:
        problems.raise_if_errors()
    intro_tokens, intro_env = markup.parse(book.config.series.description, "introduction")
    return {target: RenderedBook(book, tuple(interviews[target]),
                                 Markup(markup.render(intro_tokens, intro_env, NOTE_STYLE[target])), tuple(mentions))
            for target in TARGETS}


def render_book(book: Book, target: Target, registry: Registry | None = None) -> RenderedBook:
    """Render every interview for one target (see render_books)."""
    return render_books(book, registry)[target]
