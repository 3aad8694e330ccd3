"""One part of the book (front matter, an interview, the index, a blank verso) laid out and written on its own.

A part is plain data in (its HTML, its first folio, the book's style) and plain data out (page count, the
folio of every anchor, where each page starts in the text, and the part's own PDF), so it can be laid out in
a worker process and cached on disk: WeasyPrint documents cannot be pickled, PDFs can.
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import gc
import hashlib
import importlib
import os
import shutil
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .. import __version__
from ..source.resources import Image, image_sources
from ..templating import render_template, template_files
from .linestats import LineStats
from .memo import Memo
from .partpdf import LINK_SCHEME, PART_FORMAT, FontUsage, pack_part, write_part_pdf
from .refine import REFINE_STEP, refine
from .retouch import Retouch, retouch

if TYPE_CHECKING:  # WeasyPrint is imported by the layout itself (a worker imports it as it starts: ENGINE)
    from weasyprint import CSS, Document
    from weasyprint.text.fonts import FontConfiguration

    from ..source.fetcher import BookFetcher

PartKind = Literal["front", "interview", "index", "blank", "furniture"]
STYLESHEETS = ("fonts.css", "book.css", "pdf.css")
LAYOUT_FOLDERS = ("css", "fonts", "pdf", "partials")  # what the PDF parts are made from (not epub/, bench/)
ENGINE = ("weasyprint", "weasyprint.text.fonts", "coopbook.source.fetcher", "coopbook.layout.indexlinks",
          "coopbook.layout.pagestarts", "pikepdf", "fontTools.subset")  # what lay_out needs


@dataclass(frozen=True)
class Style:
    """What every part is laid out with: the templates folder, the page geometry, and a digest of both."""

    templates: Path
    geometry: str
    digest: str
    font_programs: frozenset[str] = frozenset()
    content: Path | None = None
    images: tuple[tuple[str, str, str], ...] = ()  # (reference as written, real path, SHA-256) of each used image
    memo: Path | None = None  # the feedback step's memo folder (coopbook.layout.memo); None: no memo
    trial: str = ""  # CSS added to the feedback step's trial layouts (templates/css/trial.css.j2), after geometry

    @classmethod
    def create(cls, templates: Path, geometry: str, content: Path | None = None,
               images: Sequence[Image] = (), memo: Path | None = None, trial: str = "") -> Style:
        """Style for a book: templates, CSS, fonts and tool versions in its digest, and the used images' hashes."""
        digest = hashlib.sha256()
        for path in template_files(templates):
            if path.relative_to(templates).parts[0] not in LAYOUT_FOLDERS:
                continue
            digest.update(str(path.relative_to(templates)).encode() + b"\0" + path.read_bytes() + b"\0")
        digest.update(f"{geometry}\0{__version__}\0{version('weasyprint')}\0{REFINE_STEP}\0{PART_FORMAT}".encode())
        used = tuple(sorted((image.ref, str(image.path), image.digest()) for image in images))
        digest.update(f"\0{trial}".encode())
        return cls(templates, geometry, digest.hexdigest(), frozenset(font_programs(templates)), content, used, memo,
                   trial)


def font_programs(templates: Path) -> dict[str, bytes]:
    """The book's shipped font files by content hash (what a part embeds whole)."""
    return {hashlib.sha256(data).hexdigest(): data
            for data in (p.read_bytes() for p in sorted((templates / "fonts").glob("*.[ot]tf")))}


@dataclass(frozen=True)
class PartSpec:
    """A part to lay out: its name (unique in the book), kind and complete HTML."""

    name: str
    kind: PartKind
    html: str


@dataclass(frozen=True)
class PartLayout:
    """Plain facts about one laid-out part: where it starts, how long it is, where its anchors fall.

    A part is laid out (and cached) at folio 1; `placed` moves it, with its anchors, to where it falls.
    """

    name: str
    kind: PartKind
    first_folio: int
    page_count: int
    anchors: Mapping[str, int] = field(default_factory=dict)
    page_offsets: tuple[int, ...] = ()
    lines: LineStats | None = None  # how its text block is set (None for a part cached before this was kept)

    @property
    def folios(self) -> range:
        """The folios of the part's pages."""
        return range(self.first_folio, self.first_folio + self.page_count)


@dataclass(frozen=True)
class PartResult:
    """A laid-out part as the cache keeps it: its layout facts, its PDF and the glyphs that PDF uses."""

    layout: PartLayout
    pdf: bytes
    glyphs: FontUsage | None = None


def part_key(style: Style, spec: PartSpec) -> str:
    """The cache key: everything that can change the part's pages (with the images this part shows).

    Not the part's folio: its pages carry no folio (coopbook.pdf.furniture draws them at assembly), every
    part opens on a recto, and the running heads do not depend on where the part falls.
    """
    digest = hashlib.sha256()
    digest.update(f"{style.digest}\0{spec.kind}\0{spec.name}\0".encode())
    digest.update(spec.html.encode("utf-8"))
    shown = set(image_sources(spec.html))
    for ref, _, image_digest in style.images:
        if ref in shown:
            digest.update(f"\0{ref}\0{image_digest}".encode())
    return digest.hexdigest()


def import_engine() -> None:
    """Import what laying out a part needs (WeasyPrint, pikepdf...): a layout worker does it as it starts."""
    for name in ENGINE:
        importlib.import_module(name)


@cache
def fetcher(style: Style) -> BookFetcher:
    """The only way a part's layout reads a file: the templates' CSS and fonts and the images the book uses."""
    from ..source.fetcher import BookFetcher

    return BookFetcher(style.templates, LAYOUT_FOLDERS, (Path(path) for _, path, _ in style.images))


@cache
def _stylesheets(style: Style) -> tuple[FontConfiguration, tuple[CSS, ...], tuple[CSS, ...]]:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    _made.append((os.getpid(), weakref.ref(fonts)))
    css_dir = style.templates / "css"
    fetch = fetcher(style)
    sheets = [CSS(filename=str(css_dir / name), font_config=fonts, url_fetcher=fetch) for name in STYLESHEETS]
    sheets.append(CSS(string=style.geometry, base_url=str(css_dir) + "/", font_config=fonts, url_fetcher=fetch))
    trial = (CSS(string=style.trial, font_config=fonts, url_fetcher=fetch),) if style.trial else ()
    return fonts, tuple(sheets), trial  # the trial layouts' sheet is added after the part's (its folio)


# each font configuration made here, with the process that made it: a forked worker shares its parent's (and the
# parent's temporary font folder) until it stops, and must not remove that folder then
_made: list[tuple[int, weakref.ref[FontConfiguration]]] = []


def release_fonts() -> None:
    """Remove the temporary font folder (WeasyPrint's, under /tmp) of each font configuration this process made,
    and drop the cached configurations; those a forked worker inherited keep their parent's folder.

    Run at exit, before modules are torn down (WeasyPrint, imported after this module, is torn down first), and by
    a layout worker as it stops (a forked worker ends in os._exit: no atexit handler runs there). The folder is
    removed here, not left to WeasyPrint's `FontConfiguration.__del__`: a build stopped by Ctrl-C or SIGTERM holds
    its configurations in the frames of the exception that stopped it, so `__del__` never ran and each stopped
    build left 2-3 folders of fonts (2.5 MB each) in /tmp (tests/cli/test_interrupt.py).
    """
    for pid, made in _made:
        fonts = made()
        if fonts is None:
            continue
        if pid == os.getpid() and fonts._folder:
            shutil.rmtree(fonts._folder, ignore_errors=True)
        fonts._folder = None  # WeasyPrint's FontConfiguration.__del__ removes `_folder`: never the parent's here
    _made.clear()
    _stylesheets.cache_clear()
    gc.collect()  # a configuration held in a reference cycle (a laid-out document's) is freed now, not never


atexit.register(release_fonts)


def lay_out(style: Style, spec: PartSpec, first_folio: int, *, placeholders: bool = False,
            refined: bool = True) -> tuple[Document, PartLayout]:
    """Lay out one part with its first folio set before layout; read its anchors and page starts.

    With placeholders, in-book links become `x-coopbook:<id>` URIs, which survive in a part's own PDF and are
    turned back into links to named destinations when the parts are assembled. Unless refined is False (to
    measure what it does), lines that break the text block's rules are set again (coopbook.layout.refine).
    """
    from weasyprint import CSS, HTML

    from .indexlinks import add_locator_links
    from .leaders import merge_leaders
    from .linestats import log_line_stats
    from .pagestarts import page_text_offsets

    fonts, sheets, trial_sheet = _stylesheets(style)
    html = spec.html.replace('href="#', f'href="{LINK_SCHEME}') if placeholders else spec.html
    folio_css = render_template("css/folio.css.j2", style.templates, first_folio=first_folio)
    base = style.content if style.content is not None else style.templates  # images are under content/
    fetch = fetcher(style)
    fetch.refused.clear()
    stylesheets = [*sheets, CSS(string=folio_css, font_config=fonts, url_fetcher=fetch)]
    trial_sheets = [*stylesheets, *trial_sheet]

    parsed = HTML(string=html, base_url=str(base) + "/", url_fetcher=fetch)

    def render(retouches: Sequence[Retouch], hidden: frozenset[int] = frozenset(),
               muted: frozenset[int] = frozenset()) -> tuple[Document, list]:
        source = copy.deepcopy(parsed, {id(fetch): fetch})  # a fresh tree for each layout, parsed once
        elements = retouch(source.etree_element, retouches, hidden, muted)
        trial = bool(hidden or muted)  # a trial of some paragraphs (coopbook.layout.refine), not the part in full
        return source.render(stylesheets=trial_sheets if trial else stylesheets, font_config=fonts), elements

    memo = Memo(style.memo, f"{style.digest}\0{style.images}\0{first_folio}\0{placeholders}")
    document = refine(render, spec.name, memo) if refined else render(())[0]
    fetch.raise_refused()
    merge_leaders(document)
    stats = log_line_stats(spec.name, document)
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            anchors.setdefault(anchor, first_folio + index)
    layout = PartLayout(spec.name, spec.kind, first_folio, len(document.pages), anchors,
                        page_text_offsets(document), stats)
    if spec.kind == "index":
        add_locator_links(document, placeholders)  # its locators are plain text: links after layout
    return document, layout


def placed(result: PartResult, folio: int, name: str | None = None) -> PartResult:
    """A part laid out at folio 1 (as every part is) placed at folio: its anchors' folios shifted."""
    layout = result.layout
    if layout.first_folio == folio and name is None:
        return result
    shift = folio - layout.first_folio
    moved = dataclasses.replace(layout, name=name or layout.name, first_folio=folio,
                                anchors={anchor: page + shift for anchor, page in layout.anchors.items()})
    return dataclasses.replace(result, layout=moved)


def write_part(document: Document, layout: PartLayout, style: Style, *, tagged: bool = True) -> PartResult:
    """Write a laid-out part to its own PDF (tagged, whole font programs left out for assembly), with its glyphs."""
    pdf, glyphs = write_part_pdf(document, tagged=tagged, uncompressed_pdf=True)
    fetcher(style).raise_refused()  # an SVG's sub-resources are asked for while drawing, and never served
    return PartResult(layout, pack_part(pdf, style.font_programs), glyphs)
