"""The build: a list of named stages from content/ to build/, each returning plain data.

load -> render (tag) -> paginate -> index -> write. Only `load` reads and `write` writes; a failure in any
stage leaves the previous outputs untouched, because every output is written atomically and only once all of
them are ready.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock

from . import __version__
from .content import Book, load_book
from .epub import build_epub, epub_documents, make_cover
from .errors import BuildError, ContentError, Location, Problem, Problems
from .fsutil import atomic_write
from .indexing import SECTION_TITLES, Index, build_index
from .pdf import (
    BookLayout,
    LaidOutPart,
    Paginator,
    TocEntry,
    Variant,
    contents_entries,
    lay_out_body,
    lay_out_front,
    lay_out_index,
    write_pdf,
)
from .registry import Registry, load_registry
from .render import RenderedBook, render_book
from .templating import TEMPLATES

log = logging.getLogger(__name__)

Format = Literal["pdf", "print", "epub"]
FORMATS: tuple[Format, ...] = ("pdf", "print", "epub")
END_OF_TEXT = 10**12  # a page-break marker offset past any text: the marker goes at the end


@dataclass(frozen=True)
class BuildOptions:
    """Where to read, where to write, and what to make."""

    content: Path
    out: Path
    formats: tuple[Format, ...] = ("pdf", "epub")
    templates: Path = TEMPLATES


@dataclass(frozen=True)
class Output:
    """One file the build wrote."""

    format: Format
    path: Path
    size: int
    pages: int | None = None


@dataclass(frozen=True)
class Loaded:
    """The load stage's result: the validated book and its authority registry."""

    book: Book
    registry: Registry


@dataclass(frozen=True)
class EditorialNoteLine:
    """An editorial note as the copyright page prints it."""

    who: str
    date: dt.date | None
    text: str


def build(options: BuildOptions) -> tuple[Output, ...]:
    """Run every stage for the requested formats and write the outputs atomically."""
    options.out.mkdir(parents=True, exist_ok=True)
    with FileLock(str(options.out / ".coopbook.lock")):
        loaded = load(options.content)
        context = template_context(loaded.book)
        slug = loaded.book.config.output_slug
        products: list[tuple[Format, Path, bytes, int | None]] = []
        for_pdf = render_book(loaded.book, "pdf", loaded.registry)
        screen = paginate(for_pdf, loaded.registry, context, "screen", options.templates)
        if "pdf" in options.formats:
            products.append(("pdf", options.out / f"{slug}.pdf", write_pdf(screen), screen.page_count))
        if "print" in options.formats:
            press = paginate(for_pdf, loaded.registry, context, "print", options.templates)
            products.append(("print", options.out / f"{slug}-print.pdf", write_pdf(press), press.page_count))
        if "epub" in options.formats:
            for_epub = render_book(loaded.book, "epub", loaded.registry)
            index = make_index(for_epub, loaded.registry, screen.anchor_folios)
            epub = make_epub(for_epub, index, page_markers(screen), context, options)
            products.append(("epub", options.out / f"{slug}.epub", epub, None))
        return tuple(write_outputs(products))


def load(content: Path) -> Loaded:
    """Load stage: book.yaml, every interview and the registry, validated as one phase."""
    book = load_book(content)
    problems = Problems()
    registry = load_registry(content, book.interviews, problems)
    problems.raise_if_errors(ContentError)
    return Loaded(book, registry)


def build_time(book: Book) -> dt.datetime:
    """The build's timestamp: SOURCE_DATE_EPOCH when set, else the book's date (reproducible either way)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise BuildError([Problem(Location("SOURCE_DATE_EPOCH"), "expected whole seconds since 1970-01-01",
                                      epoch)]) from None
    return dt.datetime.combine(book.config.date, dt.time(0), tzinfo=dt.UTC)


def template_context(book: Book) -> dict[str, Any]:
    """What every template sees: the book settings, version, timestamp and editorial notes."""
    when = build_time(book)
    notes = [EditorialNoteLine(i.interviewee.name, n.date, n.note) for i in book.interviews for n in i.editorial_notes]
    return {
        "config": book.config,
        "version": __version__,
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "built": when,
        "notes": notes,
        "series_name": book.config.series.name,
    }


def make_index(rendered: RenderedBook, registry: Registry, folios: Mapping[str, int] | None) -> Index:
    """Index stage: the sections book.yaml prints, with print folios when the layout is known."""
    titles = {item.interview.id: item.interview.short_title for item in rendered.interviews}
    return build_index(registry, rendered.mentions, rendered.book.config.print.indexes, folios, titles)


def paginate(rendered: RenderedBook, registry: Registry, context: dict[str, Any], variant: Variant,
             templates: Path) -> BookLayout:
    """Paginate stage: the body, then the index with exact folios, then the front matter with the contents."""
    paginator = Paginator(context, variant, templates)
    body, next_folio = lay_out_body(rendered, paginator)
    body_folios = BookLayout((), tuple(body)).anchor_folios
    index_parts = lay_out_index(make_index(rendered, registry, body_folios), paginator, next_folio)
    parts = body + index_parts
    contents = contents_entries(rendered, parts, index_contents(rendered, index_parts))
    front = lay_out_front(rendered, paginator, contents)
    return BookLayout(tuple(front), tuple(parts), variant)


def index_contents(rendered: RenderedBook, index_parts: Sequence[LaidOutPart]) -> list[TocEntry]:
    """Contents lines for the index sections that were printed."""
    anchors = {name: folio for part in index_parts for name, folio in part.layout.anchors.items()}
    return [TocEntry(f"Index: {SECTION_TITLES[name]}", f"index-{name}", str(anchors[f"index-{name}"]))
            for name in rendered.book.config.print.indexes if f"index-{name}" in anchors]


def page_markers(layout: BookLayout) -> dict[str, list[tuple[int, str]]]:
    """Where each print page of the body starts in each interview's text (a blank verso ends the one before)."""
    markers: dict[str, list[tuple[int, str]]] = {}
    last: str | None = None
    for part in layout.parts:
        facts = part.layout
        if facts.kind == "interview":
            last = facts.name
            markers[last] = [(offset, str(folio)) for offset, folio in zip(facts.page_offsets, facts.folios,
                                                                            strict=True)]
        elif facts.kind == "blank" and last is not None:
            markers[last].append((END_OF_TEXT, str(facts.first_folio)))
    return markers


def make_epub(rendered: RenderedBook, index: Index, markers: dict[str, list[tuple[int, str]]],
              context: dict[str, Any], options: BuildOptions) -> bytes:
    """Render the EPUB documents and assemble the reproducible EPUB."""
    css = "\n".join((options.templates / "css" / name).read_text("utf-8") for name in ("book.css", "epub.css"))
    documents = epub_documents(rendered, index, context, markers, options.templates)
    cover = make_cover(rendered, context, options.templates)
    return build_epub(rendered, documents, cover, css, context, options.templates)


def write_outputs(products: Sequence[tuple[Format, Path, bytes, int | None]]) -> list[Output]:
    """Write stage: every product atomically, only once all of them were made."""
    outputs = []
    for fmt, path, data, pages in products:
        atomic_write(path, data)
        outputs.append(Output(fmt, path, len(data), pages))
        log.info("wrote %s (%d bytes)", path, len(data))
    return outputs
