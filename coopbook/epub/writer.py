"""Write the EPUB 3 with ebooklib: one XHTML document per part, our own nav (contents, landmarks, the print
edition's page-list), NCX, cover, accessibility metadata, and a byte-reproducible zip."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import io
import os
import re
import textwrap
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..errors import ContentError, Location, Problem, display_path
from ..i18n import translations
from ..index.model import Index
from ..layout.pagestarts import countable
from ..layout.part import PartLayout
from ..markdown import anchors
from ..markdown.fragments import RenderedBook
from ..source.resources import Refused, image_sources, package_name, resolve_image, used_images, verify_image
from ..templating import TEMPLATES, TemplateContext, render_template
from .doccache import DocumentCache
from .pagelist import insert_page_markers

if TYPE_CHECKING:  # ebooklib is imported where the EPUB is packed (on a layout worker, beside the PDF)
    from ebooklib import epub

PageMarkers = Mapping[str, Sequence[tuple[int, str]]]
IMG_SRC_ATTR = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)"')
A11Y_FEATURES = ("tableOfContents", "index", "printPageNumbers", "pageNavigation", "readingOrder",
                 "structuralNavigation")
PAGE_FEATURES = ("printPageNumbers", "pageNavigation")  # the page breaks, and the page-list to reach them
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
ELEMENT_ID = re.compile(r'\sid="([^"]+)"')
FRAGMENT_HREF = re.compile(r'href="#([^"]+)"')
OUTSIDE_DOCUMENTS = {"contents": "nav.xhtml#toc"}  # in-book targets that are not in a part's document
XHTML_NS = "{http://www.w3.org/1999/xhtml}"
HEADINGS = {f"{XHTML_NS}h{n}" for n in range(1, 7)}
PAGEBREAK = "{http://www.idpf.org/2007/ops}type"
FRONT_SECTIONS = (("copyright", "copyright.xhtml"), ("contents", "nav.xhtml"), ("introduction", "introduction.xhtml"),
                  (anchors.NOTE_ON_TEXT, "note-on-the-text.xhtml"))
ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
         (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def interview_file(interview_id: str) -> str:
    """The EPUB file name of an interview: prefixed, so no id can take the name of another document."""
    return f"interview-{interview_id}.xhtml"


@dataclass(frozen=True)
class EpubDocument:
    """One XHTML document of the EPUB: file name, title, markup, and its role in nav and landmarks."""

    file_name: str
    title: str
    xhtml: str
    in_toc: bool = True
    landmark: str | None = None
    pages: tuple[str, ...] = ()
    lang: str = ""  # its language when it is not the book's (an interview's own language)


@dataclass(frozen=True)
class NavLink:
    """A line of the nav document: a title (or page label), the link, and an epub:type for landmarks."""

    title: str
    href: str
    kind: str = ""
    label: str = ""
    lang: str = ""


@dataclass(frozen=True)
class Cover:
    """The cover image: the book's own from content/images, or one drawn from templates/epub/cover.svg."""

    file_name: str
    data: bytes
    alt: str


def roman(number: int) -> str:
    """A folio in lower-case roman numerals, as the PDF's page labels print the front matter."""
    out = []
    for value, letters in ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def text_pages(part: PartLayout) -> list[tuple[int, int]]:
    """(page index in the part, text offset) of each page that carries running text (a part's last page does)."""
    offsets = part.page_offsets
    return [(n, offset) for n, offset in enumerate(offsets) if n == len(offsets) - 1 or offsets[n + 1] > offset]


def front_markers(front: PartLayout | None) -> dict[str, list[tuple[int, str]]]:
    """The front matter's print pages in the EPUB documents: by file name, (offset in the document, roman label).

    Each front section starts on a new page: a page belongs to the last section started on or before it, at its
    text offset from the section's first page; the half-title and title pages are the EPUB's title page.
    """
    if front is None:
        return {}
    starts = sorted((front.anchors[anchor] - front.first_folio, file_name) for anchor, file_name in FRONT_SECTIONS
                    if anchor in front.anchors)
    markers: dict[str, list[tuple[int, str]]] = {}
    for page, offset in text_pages(front):
        file_name, first = "title.xhtml", None
        for start, name in starts:
            if start <= page:
                file_name, first = name, start
        relative = 0 if first is None or file_name == "nav.xhtml" else offset - front.page_offsets[first]
        markers.setdefault(file_name, []).append((relative, roman(front.first_folio + page)))
    return markers


def index_markers(index: Sequence[PartLayout], documents: Sequence[EpubDocument],
                  title: str = "Index") -> dict[str, list[tuple[int, str]]]:
    """The index's print pages in the EPUB's index documents, by running-text offset.

    The printed index is one or more parts, each a run of sections (the first opening with the "Index" heading),
    each section the same text as its EPUB document, whose first id is the section's: an offset in a part, less
    the heading (title, in the book's language), falls in the document of the part's sections whose text spans it.
    """
    texts = [(ELEMENT_ID.findall(d.xhtml)[:1], d.file_name,
              countable("".join(etree.fromstring(d.xhtml.encode("utf-8")).find(f"{XHTML_NS}body").itertext())))
             for d in documents]
    markers: dict[str, list[tuple[int, str]]] = {}
    heading = countable(title)
    for n, part in enumerate(index):
        spans = [(file_name, length) for ids, file_name, length in texts if ids and ids[0] in part.anchors]
        for page, offset in text_pages(part) if spans else ():
            local = max(offset - (heading if n == 0 else 0), 0)
            for m, (file_name, length) in enumerate(spans):
                if local < length or m == len(spans) - 1:
                    markers.setdefault(file_name, []).append((min(local, length), str(part.first_folio + page)))
                    break
                local -= length
    return markers


def contents_pages(parts: Sequence[PartLayout]) -> tuple[str, ...]:
    """The labels of the print pages of the contents, which the EPUB's nav document stands for."""
    front = next((p for p in parts if p.kind == "front"), None)
    return tuple(label for _, label in front_markers(front).get("nav.xhtml", ()))


def epub_documents(rendered: RenderedBook, index: Index, context: TemplateContext, page_markers: PageMarkers,
                   templates: Path = TEMPLATES, parts: Sequence[PartLayout] = (),
                   cache: DocumentCache | None = None) -> list[EpubDocument]:
    """Render every part of the book to XHTML, in reading order: front matter, interviews, index sections.

    page_markers place the body's print pages; parts (the PDF's laid-out parts) place the front matter's and the
    index's. cache: the interviews' documents as rendered by an earlier build (before their page markers).
    """
    config = context.config
    words = translations(context.language, templates)
    front = front_markers(next((p for p in parts if p.kind == "front"), None))

    raw: dict[str, str] = {}  # each document as its template renders it, by file name (an index's is placed twice)

    def doc(file_name: str, title: str, template: str, in_toc: bool = True, landmark: str | None = None,
            markers: Sequence[tuple[int, str]] = (), cached_as: str = "", **extra: Any) -> EpubDocument:
        def render() -> str:
            return render_template(template, templates, **context.variables(), title=title, **extra)

        def place() -> str:
            if file_name not in raw:
                raw[file_name] = cache.xhtml(cached_as, render) if cache is not None and cached_as else render()
            return markers_before_headings(insert_page_markers(raw[file_name], markers))

        xhtml = cache.placed(cached_as, markers, place) if cache is not None and cached_as else place()
        return EpubDocument(file_name, title, xhtml, in_toc, landmark, tuple(label for _, label in markers))

    docs = [
        doc("title.xhtml", config.title, "epub/title.xhtml", in_toc=False, landmark="titlepage",
            markers=front.get("title.xhtml", ())),
        doc("copyright.xhtml", words.gettext("Copyright"), "epub/copyright.xhtml", in_toc=False,
            landmark="copyright-page", markers=front.get("copyright.xhtml", ())),
        doc("introduction.xhtml", words.gettext("Introduction"), "epub/introduction.xhtml", landmark="introduction",
            markers=front.get("introduction.xhtml", ()), introduction_html=rendered.introduction_html),
    ]
    if context.notes:
        docs.append(doc("note-on-the-text.xhtml", words.gettext(anchors.NOTE_ON_TEXT_TITLE), "epub/note_on_text.xhtml",
                        markers=front.get("note-on-the-text.xhtml", ())))
    for n, item in enumerate(rendered.interviews):
        interview = doc(interview_file(item.interview.id), item.interview.interviewee.name, "epub/interview.xhtml",
                        landmark="bodymatter" if n == 0 else None, markers=page_markers.get(item.interview.id, ()),
                        cached_as=item.interview.id, item=item)
        docs.append(replace(interview, lang=item.lang))
    files = {mention.id: interview_file(mention.interview) for mention in rendered.mentions}
    sections = [s for s in index.sections if not s.is_empty]

    def index_doc(n: int, section: Any, markers: PageMarkers) -> EpubDocument:
        file_name = f"index-{section.name}.xhtml"
        title = words.gettext("Index: %(section)s") % {"section": words.gettext(section.title)}
        return doc(file_name, title, "epub/index.xhtml", landmark="index" if n == 0 else None,
                   markers=markers.get(file_name, ()), section=section, href=lambda target: f"{files[target]}#{target}")

    plain = [index_doc(n, section, {}) for n, section in enumerate(sections)]
    placed = index_markers([p for p in parts if p.kind == "index"], plain, words.gettext("Index"))
    docs.extend(index_doc(n, section, placed) for n, section in enumerate(sections))
    return resolve_fragments(docs)


def markers_before_headings(xhtml: str) -> str:
    """Move a page-break marker that opens a heading to just before it (a screen reader reads "2When…" otherwise).

    A page that starts with a heading starts before it: the marker leaves the heading and stands in front.
    """
    if 'epub:type="pagebreak"' not in xhtml:
        return xhtml
    root = etree.fromstring(xhtml.encode("utf-8"))
    moved = False
    for heading in [e for e in root.iter() if e.tag in HEADINGS]:
        while len(heading) and heading[0].get(PAGEBREAK) == "pagebreak" and not (heading.text or "").strip():
            first = heading[0]
            heading.text = (heading.text or "") + (first.tail or "")
            first.tail = None
            heading.remove(first)
            heading.addprevious(first)
            moved = True
    return etree.tostring(root, encoding="unicode") if moved else xhtml


def resolve_fragments(docs: Sequence[EpubDocument]) -> list[EpubDocument]:
    """Point each `#id` link at the document that holds the id (in one PDF any part's anchor is `#id`)."""
    owners: dict[str, str] = {}
    for document in docs:
        for ident in ELEMENT_ID.findall(document.xhtml):
            owners.setdefault(ident, document.file_name)
    resolved = []
    for document in docs:
        own = set(ELEMENT_ID.findall(document.xhtml))

        def target(match: re.Match[str], own: set[str] = own) -> str:
            ident = match.group(1)
            if ident in own:
                return match.group()
            if ident in owners:
                return f'href="{owners[ident]}#{ident}"'
            return f'href="{OUTSIDE_DOCUMENTS.get(ident, "#" + ident)}"'

        resolved.append(dataclasses.replace(document, xhtml=FRAGMENT_HREF.sub(target, document.xhtml)))
    return resolved


def make_cover(rendered: RenderedBook, context: TemplateContext, templates: Path = TEMPLATES,
               cache: DocumentCache | None = None) -> Cover:
    """The book's cover image from book.yaml `cover:`, or a PNG drawn from the SVG template with its titles (kept
    in the cache, when given, by the SVG's text)."""
    config = rendered.book.config
    words = translations(context.language, templates)
    title = f"{config.title} — {config.subtitle}" if config.subtitle else config.title
    alt = words.gettext("Cover: %(title)s") % {"title": title}
    if config.cover:
        root = rendered.book.root
        try:
            image = resolve_image(root, config.cover)
            data = verify_image(image)
        except Refused as refused:
            where = Location(display_path(root / "book.yaml"))
            raise ContentError([Problem(where, f"cover: {refused.message}", refused.value, refused.hint)]) from None
        return Cover(f"images/cover{image.path.suffix.lower()}", data, alt)
    svg = render_template("epub/cover.svg", templates, **context.variables(),
                          title_lines=textwrap.wrap(config.title, 14) or [config.title],
                          subtitle_lines=textwrap.wrap(config.subtitle or "", 24))
    png = cache.cover(svg, svg_to_png) if cache is not None else svg_to_png(svg)
    return Cover("images/cover.png", png, alt)


def svg_to_png(svg: str) -> bytes:
    """The cover SVG drawn as a PNG by cairo (stores reject SVG covers; cairo's PNG is reproducible)."""
    import cairosvg  # imported here: a rebuild whose cover is cached never loads cairo

    return bytes(cairosvg.svg2png(bytestring=svg.encode("utf-8")))


def build_epub(rendered: RenderedBook, documents: Sequence[EpubDocument], cover: Cover, stylesheet: str,
               context: TemplateContext, templates: Path = TEMPLATES, nav_pages: Sequence[str] = ()) -> bytes:
    """Assemble the EPUB with ebooklib and return reproducible zip bytes (nav_pages: the contents' print pages)."""
    from ebooklib import epub

    config = rendered.book.config
    modified: dt.datetime = context.built
    book = epub.EpubBook()
    _metadata(book, rendered, context, templates, has_pages=any(d.pages for d in documents) or bool(nav_pages),
              has_images=any(image_sources(d.xhtml) for d in documents))

    css = epub.EpubItem(uid="css", file_name="css/book.css", media_type="text/css", content=stylesheet.encode())
    book.add_item(css)
    image = epub.EpubCover(uid="cover-image", file_name=cover.file_name)
    image.content = cover.data
    book.add_item(image)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    words = translations(context.language, templates)
    cover_doc = EpubDocument("cover.xhtml", words.gettext("Cover"), render_template(
        "epub/cover.xhtml", templates, **context.variables(), title=words.gettext("Cover"), image=cover.file_name,
        alt=cover.alt), in_toc=False, landmark="cover")

    names = _pack_images(book, rendered, documents, cover)
    items: list[tuple[EpubDocument, epub.EpubHtml]] = []
    for document in (cover_doc, *(replace(d, xhtml=_rename_images(d.xhtml, names)) for d in documents)):
        item = epub.EpubHtml(uid=document.file_name.removesuffix(".xhtml"), title=document.title,
                             file_name=document.file_name, lang=document.lang or config.language)
        item.content = document.xhtml.encode("utf-8")
        item.add_item(css)
        book.add_item(item)
        items.append((document, item))

    nav = epub.EpubHtml(uid="nav", title=words.gettext("Contents"), file_name="nav.xhtml", lang=config.language)
    nav.properties.append("nav")
    nav.content = _nav(documents, cover_doc, context, templates, tuple(nav_pages)).encode("utf-8")
    nav.add_item(css)
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.toc = [item for document, item in items if document.in_toc]
    spine = [item for _, item in items]
    book.spine = [(spine[0], "no"), *spine[1:3], nav, *spine[3:]]
    buffer = io.BytesIO()
    # ebooklib's zip is only read back by reproducible_zip, which deflates every file itself: stored, not deflated
    # twice (deflating the N = 100 bench book's 2.7 MB took 0.087 s at ebooklib's level 6, 0.008 s at level 0)
    writer = _writer_type()(buffer, book, {"mtime": modified, "epub3_pages": False, "epub3_landmark": False,
                                           "compresslevel": 0})
    writer.process()
    writer.write()
    return reproducible_zip(buffer.getvalue(), modified)


def _pack_images(book: epub.EpubBook, rendered: RenderedBook, documents: Sequence[EpubDocument],
                 cover: Cover) -> dict[str, str]:
    """Add every image the documents show, as resources.resolve_image allows; the packed name of each reference.

    A reference is percent-encoded (`images/caf%C3%A9%20%26.png`): the file read is the decoded name, and a name
    that is not plain ASCII is packed under a plain one (EPUBCheck warns about spaces and other characters).
    """
    from ebooklib import epub

    root = rendered.book.root
    owners = {interview_file(i.id): rendered.book.sources[i.id].path for i in rendered.book.interviews
              if i.id in rendered.book.sources}
    refs = [(d.file_name, src) for d in documents for src in image_sources(d.xhtml)]
    images, refused = used_images(root, (src for _, src in refs))
    if refused:
        shown = display_path(root / "book.yaml")
        raise ContentError([Problem(Location(owners.get(owner, shown)), refused[src].message, src, refused[src].hint)
                            for owner, src in dict.fromkeys(refs) if src in refused])
    names: dict[str, str] = {}
    packed: dict[str, str] = {}
    for ref, image in sorted(images.items()):
        name = package_name(image)
        if name == cover.file_name or packed.get(name, str(image.path)) != str(image.path):
            stem, suffix = os.path.splitext(name)
            name = f"{stem}-{hashlib.sha256(str(image.path).encode()).hexdigest()[:8]}{suffix}"
        names[ref] = name
        if name not in packed:
            packed[name] = str(image.path)
            book.add_item(epub.EpubImage(uid=f"img-{len(book.items)}", file_name=name, media_type=image.media_type,
                                         content=image.read()))
    return names


def _rename_images(xhtml: str, names: Mapping[str, str]) -> str:
    def rename(match: re.Match[str]) -> str:
        src = html.unescape(match.group(2))
        return f"{match.group(1)}{html.escape(names.get(src, src))}\""

    return IMG_SRC_ATTR.sub(rename, xhtml)


@cache
def _writer_type() -> type[epub.EpubWriter]:
    """ebooklib's writer, with the book's language on the OPF `<package>` (`xml:lang`), which ebooklib omits."""
    from ebooklib import epub

    class Writer(epub.EpubWriter):
        def _write_opf_file(self, root: Any) -> None:
            root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
            super()._write_opf_file(root)

    return Writer


def _metadata(book: epub.EpubBook, rendered: RenderedBook, context: TemplateContext, templates: Path,
              has_pages: bool, has_images: bool) -> None:
    config = rendered.book.config
    book.set_identifier(config.identifiers.uid)
    book.title = config.title  # the NCX's title; the OPF's titles are refined for stores below
    book.add_metadata("DC", "title", config.title, {"id": "title-main"})
    book.add_metadata(None, "meta", "main", {"refines": "#title-main", "property": "title-type"})
    if config.subtitle:
        book.add_metadata("DC", "title", config.subtitle, {"id": "title-sub"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#title-sub", "property": "title-type"})
    book.set_language(config.language)
    for n, editor in enumerate(config.editors, start=1):
        book.add_author(editor, role="edt", uid=f"editor-{n}")
    book.add_metadata("DC", "publisher", config.publisher)
    book.add_metadata("DC", "date", config.date.isoformat())
    book.add_metadata("DC", "rights", config.rights)
    book.add_metadata("DC", "description", config.series.name)
    for keyword in config.keywords:
        book.add_metadata("DC", "subject", keyword)
    if has_pages:
        source = config.identifiers.isbn_print or f"{config.identifiers.uid}:print"
        book.add_metadata("DC", "source", source, {"id": "print-source"})
        book.add_metadata(None, "meta", "pagination", {"refines": "#print-source", "property": "source-of"})
    features = A11Y_FEATURES if has_pages else tuple(f for f in A11Y_FEATURES if f not in PAGE_FEATURES)
    summary = " ".join(render_template("epub/accessibility-summary.txt", templates, **context.variables(),
                                       has_images=has_images).split())
    meta = [("schema:accessMode", "textual"), ("schema:accessModeSufficient", "textual"),
            *(("schema:accessibilityFeature", feature) for feature in features),
            ("schema:accessibilityFeature", "alternativeText"),
            ("schema:accessibilityHazard", "none"), ("schema:accessibilitySummary", summary),
            ("dcterms:conformsTo", CONFORMANCE)]
    for prop, value in meta:
        book.add_metadata(None, "meta", value, {"property": prop})


def _nav(documents: Sequence[EpubDocument], cover: EpubDocument, context: TemplateContext,
         templates: Path, nav_pages: tuple[str, ...] = ()) -> str:
    words = translations(context.language, templates)
    toc = [NavLink(d.title, d.file_name) for d in documents if d.in_toc]
    landmarks = [NavLink(d.title if d.landmark != "bodymatter" else words.gettext("Start of content"), d.file_name,
                         d.landmark) for d in (cover, *documents) if d.landmark]
    landmarks.insert(1, NavLink(words.gettext("Contents"), "nav.xhtml#toc", "toc"))
    pages = [NavLink(label, f"{d.file_name}#page-{label}", label=label) for d in documents for label in d.pages]
    languages = {d.file_name: d.lang for d in documents}  # an interview in its own language: its entry too
    toc = [replace(link, lang=languages[link.href]) for link in toc]
    before_nav = sum(len(d.pages) for d in documents[:2])  # the spine reads title, copyright, then the nav
    pages[before_nav:before_nav] = [NavLink(label, f"nav.xhtml#page-{label}", label=label) for label in nav_pages]
    return render_template("epub/nav.xhtml", templates, **context.variables(), title=words.gettext("Contents"), toc=toc,
                           landmarks=landmarks, pages=pages, nav_pages=nav_pages)


def reproducible_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite a zip with fixed timestamps and attributes: `mimetype` first and stored, the rest deflated."""
    zip_range = dt.datetime(1980, 1, 1, tzinfo=dt.UTC), dt.datetime(2107, 12, 31, 23, 59, 58, tzinfo=dt.UTC)
    stamp = min(max(when, zip_range[0]), zip_range[1]).timetuple()[:6]  # clamped to what ZIP can store
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    ordered = ["mimetype"] + [n for n in names if n != "mimetype"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, source.read(name), compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()
