"""Render stage: each interview's Markdown to HTML fragments for a target, with its index mentions tagged.

The mention ids (anchors.mention) are the same for every target, so the PDF's anchors, the EPUB's links
and the index all speak of the same elements.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from markupsafe import Markup

from ..errors import Location, Problem, Problems
from ..source.book import Book, Interview
from ..source.languages import base_language
from ..source.registry import Registry
from ..source.yamlreader import YamlDoc, YamlPath
from . import anchors
from . import convert as markup
from .fields import INLINE_KINDS, ROLE, is_inline, markdown_fields
from .mentions import InterviewTagger, Matcher, Mention
from .typography import Typography, for_language

if TYPE_CHECKING:
    from .rendercache import RenderCache

Target = Literal["pdf", "epub"]
TARGETS: tuple[Target, ...] = ("pdf", "epub")
MemoKey = tuple[str, str, str, tuple[Target, ...]]  # interview id, its file's text, book.yaml's text, targets
Memo = MutableMapping[MemoKey, "InterviewRendering"]
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
    role_text: str = ""
    lang: str = ""  # the interview's own language tag when it is not the book's ("": the book's)


@dataclass(frozen=True)
class InterviewRendering:
    """One interview rendered for the targets, with the mentions its tagging found and the problems it recorded."""

    by_target: dict[Target, RenderedInterview]
    mentions: tuple[Mention, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class RenderedBook:
    """Everything the output templates need from the content, in reading order, with every mention."""

    book: Book
    interviews: tuple[RenderedInterview, ...]
    introduction_html: Markup
    mentions: tuple[Mention, ...] = ()


def markdown_problems(text: str, tokens: list[Any], env: dict[str, Any], ypath: YamlPath,
                      source: YamlDoc | None, problems: Problems) -> None:
    """Record, located in its file, everything markup.issues refuses in one Markdown value."""
    kind = INLINE_KINDS.get(str(ypath[-1])) if ypath else None
    for issue in markup.issues(text, tokens, env, kind):
        where = source.locate(ypath, text, issue.offset, issue.needle) if source else Location("(text)")
        problems.error(where, issue.message, issue.value, issue.hint)


def interview_fragments(interview: Interview, tagger: InterviewTagger | None = None, source: YamlDoc | None = None,
                        problems: Problems | None = None, targets: tuple[Target, ...] = TARGETS,
                        lang: str = "", typography: Typography | None = None) -> dict[Target, RenderedInterview]:
    """Render one interview's role, questions, answers and closing message as HTML fragments for the targets.

    Each Markdown value is parsed and tagged once, then rendered for the PDF (page-foot footnotes) and/or the
    EPUB (noteref and aside footnotes), so both carry the same mention ids. What the Markdown rules refuse
    is recorded in problems (by default the tagger's; not checked without either). lang is the interview's own
    language when it is not the book's, typography how its text is set (see render_books).
    """
    collector = problems if problems is not None else tagger.problems if tagger is not None else None

    def html(text: str, ypath: YamlPath) -> dict[Target, Markup]:
        if tagger is not None and source is not None:
            tagger.set_field(source.where(ypath), block=source.is_block(ypath))
        doc_id = anchors.footnote_doc_id(interview.id, ypath)
        inline = is_inline(ypath)
        tokens, env = (markup.parse_inline if inline else markup.parse)(text, doc_id, typography)
        if collector is not None:
            markdown_problems(text, tokens, env, ypath, source, collector)
        tokens = tagger(tokens) if tagger is not None else tokens
        if inline:
            same = Markup(markup.render_inline(tokens, env))
            return {target: same for target in targets}
        return {target: Markup(markup.render(tokens, env, NOTE_STYLE[target])) for target in targets}

    heading = None
    if tagger is not None:
        where = source.where(("interviewee", "name")) if source else Location(interview.id)
        heading = tagger.add_mention(f"person:{interview.person_id}", interview.interviewee.name, where).id
    fragments = {ypath: html(text, ypath) for ypath, text in markdown_fields(interview)}
    questions = [(anchors.question(interview.id, n), fragments[("questions", n - 1, "q")],
                  fragments[("questions", n - 1, "a")]) for n in range(1, len(interview.questions) + 1)]
    closing = fragments.get(("closing",)) if interview.closing else None
    return {target: RenderedInterview(
        interview, anchors.interview(interview.id),
        tuple(RenderedQuestion(anchor, q[target], a[target]) for anchor, q, a in questions),
        closing[target] if closing else None, fragments[ROLE][target], heading,
        markup.plain_text(interview.interviewee.role), lang)
        for target in targets}


def render_books(book: Book, registry: Registry | None = None, found: Problems | None = None,
                 targets: tuple[Target, ...] = TARGETS, memo: Memo | None = None,
                 cache: RenderCache | None = None) -> dict[Target, RenderedBook]:
    """Render every interview for the targets (tagging mentions once, when a registry is given).

    Tagging problems (unknown refs, misused spans) go to `found` when given, else they are raised. `memo` (a
    watch session's, for one registry) keeps each interview's rendering by its file's and book.yaml's text: an
    interview whose file did not change is not rendered again. `cache` (the build's, on disk, for the same
    registry) does the same from one build to the next.
    """
    problems = Problems() if found is None else found
    interviews: dict[Target, list[RenderedInterview]] = {target: [] for target in targets}
    mentions: list[Mention] = []
    config = book.config
    used: set[MemoKey] = set()
    for interview in book.interviews:
        source = book.sources.get(interview.id)
        key = (interview.id, source.source if source else "",
               book.config_source.source if book.config_source else "", targets)
        entry = memo.get(key) if memo is not None and source is not None else None
        stored = cache.entry_key(interview, source.path, source.source, targets) if cache and source else None
        if entry is None and cache is not None and stored is not None:
            entry = cache.get(stored, interview, targets)
            if entry is not None and memo is not None:
                memo[key] = entry
        if entry is None:
            own = Problems()
            lang = interview.language_of(config.language)
            tagger = None
            if registry is not None:  # each interview's mentions in its own language (one matcher per language)
                matcher = Matcher.for_language(registry, base_language(lang))
                tagger = InterviewTagger(matcher, registry, interview.id, own)
            entry = InterviewRendering(interview_fragments(interview, tagger, source, own, targets,
                                                          "" if lang == config.language else lang,
                                                          for_language(lang, config.typography.quotes)),
                                      tuple(tagger.mentions) if tagger is not None else (), tuple(own.items))
            if memo is not None and source is not None:
                memo[key] = entry
            if cache is not None and stored is not None:
                cache.put(stored, entry)
        used.add(key)
        for target, rendered in entry.by_target.items():
            interviews[target].append(rendered)
        mentions.extend(entry.mentions)
        problems.extend(entry.problems)
    if memo is not None:
        for stale in set(memo) - used:
            del memo[stale]
    intro = book.config.series.description
    intro_tokens, intro_env = markup.parse(intro, anchors.INTRODUCTION_DOC_ID,
                                           for_language(config.language, config.typography.quotes))
    markdown_problems(intro, intro_tokens, intro_env, ("series", "description"), book.config_source, problems)
    if found is None:
        problems.raise_if_errors()
    return {target: RenderedBook(book, tuple(interviews[target]),
                                 Markup(markup.render(intro_tokens, intro_env, NOTE_STYLE[target])), tuple(mentions))
            for target in targets}


def render_book(book: Book, target: Target, registry: Registry | None = None) -> RenderedBook:
    """Render every interview for one target only (see render_books)."""
    return render_books(book, registry, targets=(target,))[target]
