"""Each interview's rendering kept between builds (coopbook.interviewcache, kind `render`).

An entry holds the interview's HTML fragments for every target, the mentions its tagging found and the problems
it recorded; it is keyed by coopbook's code, the interview file's path and text, book.yaml's text (language,
typography), the registry's sources (its terms and the interviewees it adds), the default templates (the
footnotes' markup comes from templates/partials/notes.html) and the targets. The interview's
record itself is not stored: the entry is rebuilt around the record the build just loaded from the same text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..interviewcache import (
    EntryStore,
    code_digest,
    digest,
    folder_stamp,
    location_from_record,
    location_record,
    problem_from_record,
    problem_record,
)
from ..records import fields, flag, items, maybe_text, text
from ..source.book import Book, Interview
from ..templating import TEMPLATES
from .fragments import TARGETS, InterviewRendering, RenderedInterview, RenderedQuestion, Target
from .mentions import Mention

if TYPE_CHECKING:
    from ..pipeline import Loaded

KIND = "render"


def render_cache(loaded: Loaded, cache_dir: Path | None) -> RenderCache | None:
    """The build's cache of renderings for this book and registry (None without a cache folder)."""
    if cache_dir is None:
        return None
    from ..session import registry_fingerprint  # session imports the render stage's memo from fragments

    registry = registry_fingerprint(loaded.book.root, loaded.book.interviews)
    return RenderCache(EntryStore(cache_dir, KIND), loaded.book, registry)


class RenderCache:
    """The renderings of a book's interviews on disk, for one registry (its sources' digest) and book.yaml."""

    def __init__(self, store: EntryStore, book: Book, registry_digest: str) -> None:
        self.store = store
        config = book.config_source.source if book.config_source else ""
        notes = folder_stamp(TEMPLATES)  # the footnotes' markup (convert renders templates/partials/notes.html)
        self.context = digest(KIND, code_digest(), registry_digest, config, notes)
        self.keys: dict[str, str] = {}  # each interview's key, by id, as entry_key gave it (for the EPUB stage's)

    def entry_key(self, interview: Interview, source_path: str, source_text: str, targets: tuple[Target, ...]) -> str:
        """The key of an interview's rendering: this cache's context, the interview file, the targets."""
        key = digest(self.context, interview.id, source_path, source_text, ",".join(targets))
        self.keys[interview.id] = key
        return key

    def get(self, key: str, interview: Interview, targets: tuple[Target, ...]) -> InterviewRendering | None:
        """The interview's cached rendering for the targets, or None."""
        return self.store.get(key, lambda record: rendering_from_record(record, interview, targets))

    def put(self, key: str, rendering: InterviewRendering) -> None:
        """Keep an interview's rendering for the next build."""
        self.store.put(key, rendering_record(rendering))


def rendering_record(rendering: InterviewRendering) -> dict[str, Any]:
    """An interview's rendering as JSON data (its Interview record left out)."""
    return {
        "targets": {target: {
            "anchor": item.anchor,
            "questions": [[q.anchor, str(q.question_html), str(q.answer_html)] for q in item.questions],
            "closing_html": None if item.closing_html is None else str(item.closing_html),
            "role_html": str(item.role_html), "heading_mention": item.heading_mention, "role_text": item.role_text,
            "lang": item.lang} for target, item in rendering.by_target.items()},
        "mentions": [[m.id, m.key, m.interview, m.text, m.explicit, location_record(m.location)]
                     for m in rendering.mentions],
        "problems": [problem_record(p) for p in rendering.problems],
    }


def rendering_from_record(record: Any, interview: Interview, targets: tuple[Target, ...]) -> InterviewRendering:
    """The rendering a record describes, around the interview's record; every field type-checked."""
    data = fields(record, {"targets", "mentions", "problems"})
    by_target = fields(data["targets"], set(targets))
    rendered: dict[Target, RenderedInterview] = {}
    for target in TARGETS:
        if target not in targets:
            continue
        item = fields(by_target[target], {"anchor", "questions", "closing_html", "role_html", "heading_mention",
                                          "role_text", "lang"})
        questions = []
        for question in items(item["questions"]):
            anchor, q, a = items(question)
            questions.append(RenderedQuestion(text(anchor), Markup(text(q)), Markup(text(a))))
        closing = maybe_text(item["closing_html"])
        rendered[target] = RenderedInterview(
            interview, text(item["anchor"]), tuple(questions), None if closing is None else Markup(closing),
            Markup(text(item["role_html"])), maybe_text(item["heading_mention"]), text(item["role_text"]),
            text(item["lang"]))
    mentions = []
    for mention in items(data["mentions"]):
        ident, key, owner, written, explicit, where = items(mention)
        mentions.append(Mention(text(ident), text(key), text(owner), text(written), flag(explicit),
                                location_from_record(where)))
    problems = tuple(problem_from_record(p) for p in items(data["problems"]))
    return InterviewRendering({t: rendered[t] for t in targets}, tuple(mentions), problems)
