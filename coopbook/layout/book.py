"""Paginate the book: the parts to lay out (specs), the book's style, and what the laid-out parts say.

Each part (front matter, each interview, the index, blank versos) is laid out as its own document, at folio
1 and without folios in the body and index (coopbook.pdf.furniture draws those), so a part's pages do not
depend on where it falls; every part opens on a recto. The folio of every anchor is read from the
parts, so the contents and the index carry exact, final page numbers, and the index is laid out after the
body, so it cannot move an earlier page; a long index is several parts, laid out in parallel. coopbook.pdf.book
then assembles the parts' PDFs into the book.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ContentError, Location, Problem, display_path
from ..i18n import translations
from ..index.model import Index, IndexEntry, IndexSection
from ..interviewcache import code_digest, digest, folder_stamp
from ..lastvalue import remembered
from ..markdown import anchors
from ..markdown.fragments import RenderedBook
from ..records import items, pair, text
from ..source.resources import Image, used_images, walk_refs
from ..templating import TemplateContext, render_template
from .geometry import page_geometry
from .memo import memo_folder
from .part import PartResult, PartSpec, Style

if TYPE_CHECKING:
    from ..pdf.furniture import Furniture

log = logging.getLogger(__name__)
INDEX_PAGE_LINES = 100  # about the lines of one index page (two columns of ~50)
INDEX_TEMPLATES = ("pdf", "partials", "locale")  # the folders of templates/ that make the index's HTML

@dataclass(frozen=True)
class TocEntry:
    """One line of the contents: title, optional detail line, the anchor it links to and its folio (None: a page of
    the front matter itself, numbered by the layout)."""

    title: str
    anchor: str
    folio: str | None
    detail: str | None = None
    lang: str = ""  # an interview's own language when it is not the book's


@dataclass(frozen=True)
class BookPdf:
    """The whole book laid out: front matter (roman folios), then body and index (arabic folios)."""

    front: tuple[PartResult, ...]
    parts: tuple[PartResult, ...]
    specs: tuple[PartSpec, ...] = ()
    furniture: Furniture | None = None  # folios and heads of parts (coopbook.pdf.furniture), drawn at assembly

    @property
    def all_parts(self) -> tuple[PartResult, ...]:
        """Every part in page order."""
        return (*self.front, *self.parts)

    @property
    def anchor_folios(self) -> dict[str, int]:
        """The arabic folio of every anchor in the body and index."""
        return anchor_folios(self.parts)

    @property
    def front_page_count(self) -> int:
        """Pages numbered in roman (front matter, padded to end on a verso)."""
        return sum(p.layout.page_count for p in self.front)

    @property
    def page_count(self) -> int:
        """Physical pages in the whole PDF."""
        return sum(p.layout.page_count for p in self.all_parts)


def anchor_folios(parts: Sequence[PartResult]) -> dict[str, int]:
    """The folio of every anchor of the given parts (the first, if an id repeats)."""
    folios: dict[str, int] = {}
    for part in parts:
        for name, folio in part.layout.anchors.items():
            folios.setdefault(name, folio)
    return folios


def book_style(context: TemplateContext, templates: Path, rendered: RenderedBook | None = None,
               cache_dir: Path | None = None) -> Style:
    """The style every part is laid out with: templates, CSS, fonts, the images the book uses, the trim size, and
    the feedback step's memo in the cache folder, if any."""
    config = context.config
    page = page_geometry(config.print)
    geometry = render_template("css/geometry.css.j2", templates, geometry=page)
    trial = render_template("css/trial.css.j2", templates, geometry=page)
    if rendered is None:
        return Style.create(templates, geometry, memo=memo_folder(cache_dir), trial=trial)
    return Style.create(templates, geometry, rendered.book.root, book_images(rendered), memo_folder(cache_dir), trial)


def book_images(rendered: RenderedBook) -> tuple[Image, ...]:
    """The images the book shows, resolved and verified; ContentError for any it may not use.

    The build's validate stage has already reported each bad link and image at its line (the same pass as
    `coopbook check`); this is the last line of defence for callers that lay the book out without it.
    """
    book = rendered.book
    owners = [(book.sources[i.interview.id].path if i.interview.id in book.sources else i.interview.id,
               "".join([i.role_html, *(q.question_html + q.answer_html for q in i.questions), i.closing_html or ""]))
              for i in rendered.interviews]
    owners.append((display_path(book.root / "book.yaml"), rendered.introduction_html))
    refs = list(walk_refs(owners))
    images, refused = used_images(book.root, (src for _, src in refs))
    if refused:  # lint saw nothing wrong, yet the resolver refuses: still no build
        raise ContentError([Problem(Location(owner), refused[src].message, src, refused[src].hint)
                            for owner, src in dict.fromkeys(refs) if src in refused])
    return tuple(images.values())


def blank_spec(context: TemplateContext, templates: Path) -> PartSpec:
    """A blank verso: no text, no folio."""
    return PartSpec("blank", "blank", render_template("pdf/blank.html", templates, **context.variables()))


def interview_specs(rendered: RenderedBook, context: TemplateContext, templates: Path) -> list[PartSpec]:
    """One part per interview, in reading order."""
    return [PartSpec(item.interview.id, "interview", render_template("pdf/interview.html", templates,
                                                                      **context.variables(), item=item))
            for item in rendered.interviews]


def index_specs(index: Index, context: TemplateContext, templates: Path,
                cache_dir: Path | None = None) -> list[PartSpec]:
    """The index as parts laid out (and cached) on their own, in parallel: the first carries the "Index" heading.

    A section opens a new part, and so a new page, once the part before holds about a page of lines; smaller
    sections run on in the part before (a short index stays one part). A part is named after its first section.
    With a cache folder, the last index's parts are kept (coopbook.lastvalue) under a digest of the index, the
    template variables, the templates that make its HTML and coopbook's code: a rebuild that moved no folio
    the index shows renders nothing (rendering took ~0.13 s of every rebuild at N = 100).
    """
    def key() -> str:
        return digest("index", code_digest(), *(folder_stamp(templates / f) for f in INDEX_TEMPLATES),
                      repr(context.variables()), repr(index))
    return remembered(cache_dir, "index", key, lambda: _index_specs(index, context, templates),
                      lambda specs: [[spec.name, spec.html] for spec in specs],
                      lambda data: [PartSpec(text(name), "index", text(html)) for name, html in map(pair, items(data))])


def _index_specs(index: Index, context: TemplateContext, templates: Path) -> list[PartSpec]:
    parts: list[list[IndexSection]] = []
    lines = INDEX_PAGE_LINES
    for section in (section for section in index.sections if not section.is_empty):
        if lines >= INDEX_PAGE_LINES:
            parts.append([])
            lines = 0
        parts[-1].append(section)
        lines += section_lines(section)
    return [PartSpec(f"index-{sections[0].name}", "index",
                     render_template("pdf/index.html", templates, **context.variables(), sections=sections,
                                     first=n == 0, href=lambda target: f"#{target}"))
            for n, sections in enumerate(parts)]


def section_lines(section: IndexSection) -> int:
    """About how many lines a section of the index sets: a letter heading, an entry or a sub-entry is one line."""
    def entries(items: Sequence[IndexEntry]) -> int:
        return sum(1 + entries(item.subentries) for item in items)
    return sum(1 + entries(group.entries) for group in section.groups)


def front_spec(rendered: RenderedBook, contents: Sequence[TocEntry], context: TemplateContext,
               templates: Path) -> PartSpec:
    """The front matter (half-title to introduction) with the final contents."""
    html = render_template("pdf/front.html", templates, **context.variables(), contents=contents,
                           introduction_html=rendered.introduction_html)
    return PartSpec("front", "front", html)


def contents_entries(rendered: RenderedBook, parts: Sequence[PartResult], templates: Path,
                     extra: Sequence[TocEntry] = ()) -> list[TocEntry]:
    """The contents: the introduction (and the Note on the text when there are editorial notes), each interview
    (name, role) at the folio where it opens, then extra entries; its words from the templates' catalogues."""
    opening = {p.layout.name: p.layout.first_folio for p in parts}
    words = translations(rendered.book.config.language, templates)
    front = [TocEntry(words.gettext("Introduction"), anchors.INTRODUCTION, None)]
    if any(item.interview.editorial_notes for item in rendered.interviews):
        front.append(TocEntry(words.gettext(anchors.NOTE_ON_TEXT_TITLE), anchors.NOTE_ON_TEXT, None))
    entries = [TocEntry(item.interview.interviewee.name, item.anchor, str(opening[item.interview.id]),
                        item.role_text, item.lang) for item in rendered.interviews]
    return front + entries + list(extra)
