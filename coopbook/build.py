"""The build: a list of named stages from content/ to build/, each returning plain data.

load -> render -> paginate -> write. Only `load` reads and `write` writes; a failure in any stage leaves
the previous outputs untouched, because every output is written atomically and only once all are ready.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock

from . import __version__
from .content import Book, load_book
from .epub import build_epub, epub_documents
from .errors import BuildError, Location, Problem
from .fsutil import atomic_write
from .pdf import BookLayout, Paginator, Variant, contents_entries, lay_out_body, lay_out_front, write_pdf
from .render import RenderedBook, render_book
from .templating import TEMPLATES

log = logging.getLogger(__name__)

Format = Literal["pdf", "print", "epub"]
FORMATS: tuple[Format, ...] = ("pdf", "print", "epub")


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
class EditorialNoteLine:
    """An editorial note as the copyright page prints it."""

    who: str
    date: dt.date | None
    text: str


def build(options: BuildOptions) -> tuple[Output, ...]:
    """Run every stage for the requested formats and write the outputs atomically."""
    options.out.mkdir(parents=True, exist_ok=True)
    with FileLock(str(options.out / ".coopbook.lock")):
        book = load_book(options.content)
        context = template_context(book)
        products: list[tuple[Format, Path, bytes, int | None]] = []
        slug = book.config.output_slug
        for variant, fmt, name in (("screen", "pdf", f"{slug}.pdf"), ("print", "print", f"{slug}-print.pdf")):
            if fmt in options.formats:
                layout = paginate(render_book(book, "pdf"), context, variant, options.templates)  # type: ignore[arg-type]
                products.append((fmt, options.out / name, write_pdf(layout), layout.page_count))
        if "epub" in options.formats:
            epub = make_epub(render_book(book, "epub"), context, options)
            products.append(("epub", options.out / f"{slug}.epub", epub, None))
        return tuple(write_outputs(products))


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


def paginate(rendered: RenderedBook, context: dict[str, Any], variant: Variant, templates: Path) -> BookLayout:
    """Lay out the body, then the front matter with the exact folios of the contents."""
    paginator = Paginator(context, variant, templates)
    parts, _next_folio = lay_out_body(rendered, paginator)
    front = lay_out_front(rendered, paginator, contents_entries(rendered, parts))
    return BookLayout(tuple(front), tuple(parts), variant)


def make_epub(rendered: RenderedBook, context: dict[str, Any], options: BuildOptions) -> bytes:
    """Render the EPUB documents and assemble the reproducible EPUB."""
    css = "\n".join((options.templates / "css" / name).read_text("utf-8") for name in ("book.css", "epub.css"))
    return build_epub(rendered, epub_documents(rendered, context, options.templates), css, context["built"])


def write_outputs(products: Sequence[tuple[Format, Path, bytes, int | None]]) -> list[Output]:
    """Write every product atomically (only once all of them were made)."""
    outputs = []
    for fmt, path, data, pages in products:
        atomic_write(path, data)
        outputs.append(Output(fmt, path, len(data), pages))
        log.info("wrote %s (%d bytes)", path, len(data))
    return outputs
