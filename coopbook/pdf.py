"""Paginate with WeasyPrint, part by part, and write the PDF (screen or print variant).

Each part (front matter, each interview, the index) is laid out as its own document with its first folio
set before layout; parts start on a recto, padded with a blank page when needed. The page of every anchor is
read from the laid-out documents, so the contents and the index carry exact, final page numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pydyf
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration

from .indexing import Index
from .pagebreaks import page_text_offsets
from .render import RenderedBook
from .templating import TEMPLATES, render_template

log = logging.getLogger(__name__)

Variant = Literal["screen", "print"]
PartKind = Literal["front", "interview", "index", "blank"]


@dataclass(frozen=True)
class TocEntry:
    """One line of the contents: title, optional detail line, the anchor it links to and its folio."""

    title: str
    anchor: str
    folio: str
    detail: str | None = None


@dataclass(frozen=True)
class PartLayout:
    """Plain facts about one laid-out part: where it starts, how long it is, where its anchors fall."""

    name: str
    kind: PartKind
    first_folio: int
    page_count: int
    anchors: Mapping[str, int] = field(default_factory=dict)
    page_offsets: tuple[int, ...] = ()

    @property
    def folios(self) -> range:
        """The folios of the part's pages."""
        return range(self.first_folio, self.first_folio + self.page_count)


@dataclass(frozen=True)
class LaidOutPart:
    """A part's layout facts together with its WeasyPrint document (which cannot be pickled)."""

    layout: PartLayout
    document: Document


@dataclass(frozen=True)
class BookLayout:
    """The whole book laid out: front matter (roman folios), then body and index (arabic folios)."""

    front: tuple[LaidOutPart, ...]
    parts: tuple[LaidOutPart, ...]
    variant: Variant = "screen"

    @property
    def front_page_count(self) -> int:
        """Pages numbered in roman (front matter, padded to end on a verso)."""
        return sum(p.layout.page_count for p in self.front)

    @property
    def anchor_folios(self) -> dict[str, int]:
        """The arabic folio of every anchor in the body and index."""
        folios: dict[str, int] = {}
        for part in self.parts:
            for name, folio in part.layout.anchors.items():
                folios.setdefault(name, folio)
        return folios

    @property
    def page_count(self) -> int:
        """Physical pages in the whole PDF."""
        return self.front_page_count + sum(p.layout.page_count for p in self.parts)


class Paginator:
    """Lays out HTML parts with the book's stylesheets; one per build and variant."""

    def __init__(self, context: Mapping[str, Any], variant: Variant, templates: Path = TEMPLATES) -> None:
        self.context = dict(context)
        self.templates = templates
        config = context["config"]
        geometry = render_template("css/geometry.css.j2", templates, width=config.print.trim_width,
                                   height=config.print.trim_height, bleed=config.print.bleed,
                                   print=variant == "print")
        css_dir = templates / "css"
        self.fonts = FontConfiguration()
        self.stylesheets = [CSS(filename=str(css_dir / name), font_config=self.fonts)
                            for name in ("fonts.css", "book.css", "pdf.css")]
        self.stylesheets.append(CSS(string=geometry, base_url=str(css_dir) + "/", font_config=self.fonts))
        self._blank: Document | None = None

    def layout(self, name: str, kind: PartKind, template: str, first_folio: int, **context: Any) -> LaidOutPart:
        """Lay out one part whose first page carries first_folio; read the page of each anchor."""
        html = render_template(template, self.templates, **self.context, **context)
        folio_css = render_template("css/folio.css.j2", self.templates, first_folio=first_folio)
        document = HTML(string=html, base_url=str(self.templates) + "/").render(
            stylesheets=[*self.stylesheets, CSS(string=folio_css, font_config=self.fonts)], font_config=self.fonts)
        anchors: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for anchor in page.anchors:
                anchors.setdefault(anchor, first_folio + index)
        log.debug("laid out %s: %d pages from %d", name, len(document.pages), first_folio)
        offsets = page_text_offsets(document)
        return LaidOutPart(PartLayout(name, kind, first_folio, len(document.pages), anchors, offsets), document)

    def blank(self, folio: int) -> LaidOutPart:
        """A blank verso (no text, no folio) to make the next part open on a recto."""
        if self._blank is None:
            self._blank = self.layout("blank", "blank", "pdf/blank.html", 1).document
        return LaidOutPart(PartLayout(f"blank-{folio}", "blank", folio, 1), self._blank)


def to_recto(parts: list[LaidOutPart], paginator: Paginator, next_folio: int) -> int:
    """Pad with a blank page when next_folio is even; return the folio where the next part opens."""
    if next_folio % 2 == 0:
        parts.append(paginator.blank(next_folio))
        next_folio += 1
    return next_folio


def lay_out_body(rendered: RenderedBook, paginator: Paginator) -> tuple[list[LaidOutPart], int]:
    """Lay out every interview from folio 1, each on a recto; return the parts and the next free folio."""
    parts: list[LaidOutPart] = []
    folio = 1
    for item in rendered.interviews:
        folio = to_recto(parts, paginator, folio)
        part = paginator.layout(item.interview.id, "interview", "pdf/interview.html", folio, item=item)
        parts.append(part)
        folio += part.layout.page_count
    return parts, folio


def lay_out_front(rendered: RenderedBook, paginator: Paginator, contents: Sequence[TocEntry]) -> list[LaidOutPart]:
    """Lay out the front matter (half-title to introduction) with the final contents, ending on a verso."""
    front = paginator.layout("front", "front", "pdf/front.html", 1, contents=contents,
                             introduction_html=rendered.introduction_html)
    parts = [front]
    to_recto(parts, paginator, front.layout.page_count + 1)
    return parts


def lay_out_index(index: Index, paginator: Paginator, folio: int) -> list[LaidOutPart]:
    """Lay out the index after the body, on a recto; its folios cannot move any earlier page."""
    if all(section.is_empty for section in index.sections):
        return []
    parts: list[LaidOutPart] = []
    folio = to_recto(parts, paginator, folio)
    parts.append(paginator.layout("index", "index", "pdf/index.html", folio, index=index,
                                  href=lambda target: f"#{target}"))
    return parts


def contents_entries(rendered: RenderedBook, parts: Sequence[LaidOutPart],
                     extra: Sequence[TocEntry] = ()) -> list[TocEntry]:
    """The contents: each interview (name, role) at the folio where it opens, then extra entries."""
    opening = {p.layout.name: p.layout.first_folio for p in parts}
    entries = [TocEntry(item.interview.interviewee.name, item.anchor, str(opening[item.interview.id]),
                        item.interview.interviewee.role) for item in rendered.interviews]
    return entries + list(extra)


def pdf_finisher(front_pages: int, variant: Variant) -> Callable[[Document, pydyf.PDF], None]:
    """A WeasyPrint finisher: /PageLabels (roman front matter, arabic from 1) and the variant's page boxes.

    The print variant's BleedBox is the full CSS bleed (WeasyPrint caps it at 10 pt); the screen variant has
    no TrimBox or BleedBox at all, so that no viewer or preflight mistakes it for the printer's file.
    """

    def finish(document: Document, pdf: pydyf.PDF) -> None:
        nums = pydyf.Array([0, pydyf.Dictionary({"S": "/r"})])
        if len(document.pages) > front_pages:
            nums.extend([front_pages, pydyf.Dictionary({"S": "/D", "St": 1})])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": nums})
        for obj in pdf.objects:
            if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page":
                if variant == "screen":
                    obj.pop("TrimBox", None)
                    obj.pop("BleedBox", None)
                else:
                    obj["BleedBox"] = obj["MediaBox"]

    return finish


def write_pdf(layout: BookLayout) -> bytes:
    """Join the parts' pages into one document and write the PDF bytes (tagged, with page labels)."""
    pages = [page for part in (*layout.front, *layout.parts) for page in part.document.pages]
    joined = layout.front[0].document.copy(pages)
    finisher = pdf_finisher(layout.front_page_count, layout.variant)
    return joined.write_pdf(pdf_tags=True, finisher=finisher)
