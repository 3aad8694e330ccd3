"""Join part PDFs (laid out and written separately, cached) into the book's one PDF.

Each part of the book is written by WeasyPrint on its own (`coopbook.layout.partpdf.write_part_pdf`: tagged,
whole font programs, then the book's left out), with every in-book link written as a URI `x-coopbook:<id>`.
`assemble` makes from the ordered parts the PDF that a one-pass `Document.copy(all_pages).write_pdf(pdf_tags=True)`
gives: pages in order, links as GoTo named destinations in one name tree, the parts' outlines in order, page labels, one
structure tree, each font program embedded once and subset to the glyphs the whole book uses, document info,
and the same bytes for the same inputs. The `Joiner` behind it takes parts in any order (the build feeds it each
part as its PDF arrives, while the others are laid out) and decides everything that depends on the order at
`finish`, so the bytes depend only on the parts in the book's order. Parts are opened one at a time, so memory
follows the output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from urllib.parse import unquote

import pikepdf

from ..layout.partpdf import STRIPPED_KEY, FontUsage
from ..layout.structure import kids
from .catalog import SAVE_OPTIONS, document_info, name_tree, outline_root, page_labels, structure_root, write
from .furniture import Furniture, draw_over
from .partcopy import (
    Copied,
    Link,
    copy_part,
    face_digest,
    materialize_objects,
    opened,
    resource_dicts,
    set_target,
)
from .subset import FontStats, font_program, install_fonts, merge_usage

log = logging.getLogger(__name__)
COPY_PAGES = 2000  # a book up to this many pages is copied to be saved (both in memory), a longer one saved twice

@dataclass(frozen=True)
class AssemblyInfo:
    """The book's metadata and the page facts the assembled PDF needs."""

    title: str
    authors: tuple[str, ...]
    subject: str | None
    keywords: tuple[str, ...]
    creator: str
    lang: str
    created: dt.datetime
    modified: dt.datetime
    front_pages: int


@dataclass(frozen=True)
class Assembled:
    """The assembled PDF and what assembly found: links dropped for want of a destination, font work."""

    pdf: bytes
    pages: int
    dropped_links: tuple[str, ...]
    fonts: FontStats


def assemble(parts: Sequence[bytes], usage: Sequence[FontUsage], info: AssemblyInfo,
             cache_dir: Path | None, programs: Mapping[str, bytes] | None = None,
             furniture: Furniture | None = None) -> bytes:
    """Join the part PDFs, in order, into the book's PDF (dropped links are logged; see assemble_report)."""
    return assemble_report(parts, usage, info, cache_dir, programs, furniture).pdf


def assemble_report(parts: Sequence[bytes], usage: Sequence[FontUsage], info: AssemblyInfo,
                    cache_dir: Path | None, programs: Mapping[str, bytes] | None = None,
                    furniture: Furniture | None = None) -> Assembled:
    """Join the part PDFs, in order, into the book's PDF; report the links dropped and the font work.

    `parts` is read once, in order, one part at a time (each part, and each furniture piece, is open only while
    it is copied, from a temporary file; the joiner keeps its bytes); `usage[i]` must describe `parts[i]`
    (from `write_part_pdf`); subset fonts are cached in `cache_dir`.
    `programs` gives, by hash, the font programs that parts left out (see `coopbook.layout.partpdf.pack_part`).
    `furniture` (coopbook.pdf.furniture) is drawn over the pages it covers; its fonts are subset with the parts'.
    """
    if len(parts) != len(usage):
        raise ValueError(f"{len(parts)} parts but {len(usage)} font usages")
    with joining(info.lang, programs or {}) as joiner:
        return joiner.finish(zip(parts, usage, strict=True), info, furniture, cache_dir)


@contextlib.contextmanager
def joining(lang: str, programs: Mapping[str, bytes]) -> Iterator[Joiner]:
    """A joiner for a book in lang (programs: the font programs parts left out), with its temporary folder."""
    with tempfile.TemporaryDirectory(prefix="coopbook-assemble-") as temporary:
        joiner = Joiner(lang, programs, Path(temporary))
        try:
            yield joiner
        finally:
            joiner.close()


@dataclass(frozen=True)
class _Part:
    """A part or furniture piece in the joiner: its bytes and glyphs, and what was copied of it."""

    name: str
    data: bytes
    usage: FontUsage
    version: str
    faces: Mapping[tuple[str, str], str]  # the face digest of each font the book re-embeds
    slots: tuple[tuple[pikepdf.Dictionary, dict[str, tuple[str, str]]], ...]  # font dictionaries to fill
    copied: Copied | None  # a part's pages and the rest (None: a piece)
    forms: Mapping[int, pikepdf.Object]  # a piece's pages as Form XObjects


class Joiner:
    """Takes in parts in any order, each once (known by its bytes), and joins them in the book's order at `finish`.

    `add` copies a part's objects into the output without placing them; `finish` is given the book's parts in
    order and decides there everything that depends on it: the page tree, structure keys, the parent tree, the
    structure's, outline's and name tree's order, font templates, link targets and the links dropped, the PDF
    version. qpdf numbers the objects of generated object streams in the order they were made, so the output is
    then renumbered before its one saved form: copied into a new PDF (qpdf numbers copies as it reaches them),
    or, for a book over `COPY_PAGES` pages, saved without object streams and read back (peak memory: one save);
    either way the bytes depend only on the parts in order, not on when each was added.
    """

    def __init__(self, lang: str, stripped: Mapping[str, bytes], folder: Path) -> None:
        self.out = pikepdf.new()
        self.lang = lang
        self.stripped = stripped
        self.folder = folder
        self.parts: dict[tuple[bool, bytes], _Part] = {}
        self.pages = 0  # the pages copied so far
        self.templates: dict[tuple[tuple[str, str], str], pikepdf.Dictionary] = {}  # by font key and face digest
        self.programs: dict[str, bytes] = {}
        self.program_lengths: dict[str, int] = {}

    def close(self) -> None:
        """Free the output's objects."""
        self.out.close()

    @staticmethod
    def _identity(data: bytes, piece: bool) -> tuple[bool, bytes]:
        return piece, hashlib.sha256(data).digest()

    def add(self, data: bytes, usage: FontUsage | None, name: str, piece: bool = False) -> bool:
        """Copy a part (or a furniture piece: its pages as forms) into the output, once (False: it was in);
        name is for messages."""
        identity = self._identity(data, piece)
        if identity in self.parts:
            return False
        self.parts[identity] = self._copy(data, usage, name, piece)
        return True

    def _copy(self, data: bytes, usage: FontUsage | None, name: str, piece: bool) -> _Part:
        if usage is None:
            raise ValueError(f"the {'furniture piece' if piece else 'part'} {name} has no font usage")
        with opened(data) as part:
            faces, foreign = self._detach_fonts(name, part, usage)
            copied = None if piece else copy_part(self.out, part, str(part.Root.get("/Lang", "")), self.lang)
            forms: dict[int, pikepdf.Object] = {}
            if piece:
                forms = {n: self.out.copy_foreign(page.as_form_xobject()) for n, page in enumerate(part.pages)}
                materialize_objects(forms.values())
            slots = tuple((self.out.copy_foreign(fonts), mapping) for fonts, mapping in foreign)
            if copied is not None:
                self.pages += len(copied.pages)
            return _Part(name, data, usage, part.pdf_version, faces, slots, copied, forms)

    def _detach_fonts(self, name: str, part: pikepdf.Pdf, usage: FontUsage) -> tuple[
            dict[tuple[str, str], str], list[tuple[pikepdf.Dictionary, dict[str, tuple[str, str]]]]]:
        """Empty the part's font resource dictionaries of the fonts the book re-embeds, remembering each entry;
        keep a copy of each font dictionary that differs from those kept (by face digest) as a template."""
        known = usage.by_resource()
        faces: dict[tuple[str, str], str] = {}
        slots: list[tuple[pikepdf.Dictionary, dict[str, tuple[str, str]]]] = []
        seen: set[tuple[int, int]] = set()
        for resources in resource_dicts(part):
            fonts = resources.get("/Font")
            if fonts is None:
                continue
            if not fonts.is_indirect:
                fonts = resources.Font = part.make_indirect(fonts)
            if fonts.objgen in seen:
                continue
            seen.add(fonts.objgen)
            mapping: dict[str, tuple[str, str]] = {}
            for resource in sorted(fonts.keys()):
                program = font_program(fonts[resource])
                if program is None:
                    continue
                glyphs = known.get(resource)
                if glyphs is None:
                    log.warning("part %s: font %s is missing from its usage; embedded whole", name, resource)
                    continue
                key = (glyphs.program, resource)
                self._check_program(name, resource, glyphs.program, program)
                face = faces.setdefault(key, face_digest(fonts[resource]))
                if (key, face) not in self.templates:
                    self.templates[key, face] = self.out.copy_foreign(fonts[resource])
                mapping[resource] = key
                del fonts[resource]
            if mapping:
                slots.append((fonts, mapping))
        return faces, slots

    def _check_program(self, name: str, resource: str, program: str, stream: pikepdf.Stream) -> None:
        """Read each program once (checking its hash); other parts must embed a stream of the same length."""
        length = int(stream.get("/Length", -1))
        if program not in self.programs:
            data = stream.read_bytes()
            if not data and STRIPPED_KEY in stream and program in self.stripped:
                data = self.stripped[program]
            if hashlib.sha256(data).hexdigest() != program:
                raise ValueError(f"part {name}: font {resource} is not the program its usage names")
            self.programs[program], self.program_lengths[program] = data, length
        elif self.program_lengths[program] != length:
            raise ValueError(f"part {name}: font {resource} differs from the program its usage names")

    # ---- the book, in order ----

    def finish(self, parts: Iterable[tuple[bytes, FontUsage | None]], info: AssemblyInfo,
               furniture: Furniture | None, cache_dir: Path | None) -> Assembled:
        """The book's PDF from its parts in order (those not yet in are added now) and its furniture."""
        order = []
        before = len(self.parts)
        for number, (data, usage) in enumerate(parts):
            self.add(data, usage, str(number))
            order.append(self.parts[self._identity(data, False)])
        log.debug("finish: %d parts and pieces joined before, %d now (%d font dictionaries kept as templates)",
                  before, len(self.parts) - before, len(self.templates))
        pieces = []
        if furniture is not None:
            for name in furniture.used():
                piece = furniture.pieces[name]
                self.add(piece.pdf, piece.glyphs, name, piece=True)
                pieces.append(self.parts[self._identity(piece.pdf, True)])
        book = _Book(self, order, pieces, info)
        book.place()
        if furniture is not None:
            book.draw(furniture, {name: p.forms for name, p in zip(furniture.used(), pieces, strict=True)})
        fonts = book.fonts(cache_dir)
        book.catalog()
        version = max((p.version for p in (*order, *pieces)), default="1.4")
        pages, dropped = len(self.out.pages), tuple(sorted(book.dropped))
        del book, order, pieces  # nothing but the output holds the book's objects now
        self.parts.clear()
        self.templates.clear()
        final = self.folder / "book.pdf"
        started = time.perf_counter()
        if pages <= COPY_PAGES:
            self._save_copied(version, final)
        else:
            self._save_twice(version, final)
        log.debug("finish: numbered and saved in %.3f s", time.perf_counter() - started)
        pdf = final.read_bytes()
        final.unlink()
        if dropped:
            log.warning("dropped %d links to %d ids with no destination in the book: %s", len(dropped),
                        len(set(dropped)), ", ".join(sorted(set(dropped))[:10]))
        return Assembled(pdf, pages, dropped, fonts)

    def _save_copied(self, version: str, path: Path) -> None:
        """Copy the output into a new PDF, pages first, then the catalog's entries and the document info (qpdf
        numbers the copies as it reaches them, whatever order the originals were made in), and save that.

        Faster than `_save_twice` (no file written and read back, and the copy saved from memory: 0.32 s against
        0.46 s for the bench book at N = 100, 874 pages, measured), but both PDFs are in memory at the end (its
        full build's largest process: 256 MiB against 209 MiB): for books up to `COPY_PAGES` pages."""
        book = pikepdf.new()
        with warnings.catch_warnings():  # the named destinations are the catalog's, copied below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            book.pages.extend(self.out.pages)
        for key, value in self.out.Root.items():
            if key not in ("/Type", "/Pages"):
                book.Root[key] = _copy_into(book, value)
        book.trailer.Info = _copy_into(book, self.out.trailer.Info)
        write(book, version, path)
        book.close()
        self.close()

    def _save_twice(self, version: str, path: Path) -> None:
        """Save the output without object streams (its objects numbered as qpdf reaches them from the trailer,
        whatever order they were made in), free it, then save that file as the book.

        qpdf numbers the objects of each generated object stream in the order they were made: saved once, the
        bytes would follow the order of adds. Through the file, the peak memory is one save's (measured at N=100:
        213 MiB against 208 MiB joined in order; a copy into a new PDF in memory instead peaked at 262 MiB)."""
        first = self.folder / "joined.pdf"
        self.out.save(first, min_version=version,
                      **{**SAVE_OPTIONS, "object_stream_mode": pikepdf.ObjectStreamMode.disable})
        self.close()
        self.out = pikepdf.new()  # the book's objects are freed (nothing else holds them now) before it is read
        with pikepdf.open(first) as joined:
            del joined.trailer["/ID"]
            write(joined, version, path)
        first.unlink()


class _Book:
    """One finish: the joiner's parts placed in the book's order, then its fonts and catalog."""

    def __init__(self, joiner: Joiner, order: Sequence[_Part], pieces: Sequence[_Part], info: AssemblyInfo) -> None:
        self.joiner, self.out, self.info = joiner, joiner.out, info
        self.order, self.pieces = order, pieces
        self.placed: list[_Part] = []  # each part once (a part placed again, not plain, is copied again)
        self.dropped: list[str] = []
        self.dests: dict[str, pikepdf.Object] = {}
        self.parent_tree: dict[int, pikepdf.Object] = {}
        self.next_key = 0
        self.kids: list[pikepdf.Dictionary] = []
        self.outline: list[pikepdf.Dictionary] = []
        self.outline_count = 0
        self.extras: dict[str, pikepdf.Object] = {}

    def place(self) -> None:
        """Pages in order with their structure keys renumbered; links, destinations, structure and outline."""
        for part in self.order:
            for name, value in _copied(part).dests.items():  # the first part in book order to name an id wins
                self.dests.setdefault(name, value)
        for part in self.order:
            if any(part is done for done in self.placed):
                copied = _copied(part)
                if copied.plain:
                    pages = tuple(self.out.make_indirect(page.copy()) for page in copied.pages)
                    self._place(copied, pages, {key: pikepdf.Array() for key in copied.parent_tree})
                    continue
                part = self.joiner._copy(part.data, part.usage, part.name, piece=False)
            self.placed.append(part)
            copied = _copied(part)
            self._place(copied, copied.pages, copied.parent_tree)
            self._merge_extras(copied.extras)

    def _place(self, copied: Copied, pages: Sequence[pikepdf.Object], parents: Mapping[int, pikepdf.Object]) -> None:
        offset = self.next_key
        for page, key in zip(pages, copied.page_keys, strict=True):
            if key is not None:
                page.StructParents = key + offset
            self.out.pages.append(pikepdf.Page(page))
        for annot, key in copied.annot_keys:
            annot.StructParent = key + offset
        self.parent_tree.update((key + offset, value) for key, value in parents.items())
        self.next_key = offset + copied.span
        for link in copied.links:
            target = link.target
            if "%" in target:  # decided against every name in the book
                target = target if target in self.dests else unquote(target)
                set_target(link.annot, target)
            if target not in self.dests:
                self._drop(target, link, pages[link.page], offset)
        self.kids.extend(copied.kids)
        self.outline.extend(copied.outline)
        self.outline_count += copied.outline_count

    def _merge_extras(self, extras: Mapping[str, pikepdf.Object]) -> None:
        """The first part's /Namespaces and Document /NS; /RoleMap and /ClassMap merged, the first entry winning."""
        for name, value in extras.items():
            if name not in self.extras:
                self.extras[name] = value
            elif name in ("/RoleMap", "/ClassMap"):
                merged = self.extras[name]
                for key, entry in value.items():
                    if key not in merged:
                        merged[key] = entry

    def _drop(self, target: str, link: Link, page: pikepdf.Object, offset: int) -> None:
        """Remove a link to an id no part names: the annotation, its OBJR and its ParentTree entry."""
        self.dropped.append(target)
        kept = [a for a in page.get("/Annots", ()) if a.objgen != link.annot.objgen]
        if kept:
            page.Annots = pikepdf.Array(kept)
        elif "/Annots" in page:
            del page["/Annots"]
        element = self.parent_tree.pop(link.key + offset, None) if link.key is not None else None
        if isinstance(element, pikepdf.Dictionary) and "/K" in element:
            element.K = pikepdf.Array([
                kid for kid in kids(element.K)
                if not (isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"
                        and kid.Obj.objgen == link.annot.objgen)])

    def draw(self, furniture: Furniture, forms: Mapping[str, Mapping[int, pikepdf.Object]]) -> None:
        """Draw each page's furniture (the pieces' pages, as forms) under its book page."""
        if furniture.first_page + len(furniture.draws) > len(self.out.pages):
            raise ValueError(f"the page furniture ({len(furniture.draws)} pages from page {furniture.first_page}) "
                             f"does not fit the book's {len(self.out.pages)} pages")
        for draws in furniture.draws:
            for name, page in draws:
                if page not in forms[name]:
                    raise ValueError(f"the furniture piece {name} has no page {page + 1}")
        for number, draws in enumerate(furniture.draws):
            if draws:
                draw_over(self.out, self.out.pages[furniture.first_page + number],
                          [forms[name][page] for name, page in draws], number)

    def fonts(self, cache_dir: Path | None) -> FontStats:
        """Each font program once, subset to the glyphs of the parts and pieces; the first one's dictionary."""
        users = [*self.placed, *self.pieces]
        templates: dict[tuple[str, str], pikepdf.Dictionary] = {}
        for part in users:
            for key, face in part.faces.items():
                if key not in templates:
                    templates[key] = self.joiner.templates[key, face]
        usage = [part.usage for part in (*self.order, *self.pieces)]
        merged = {key: font for key, font in merge_usage(usage).items() if key in templates}
        fonts, stats = install_fonts(self.out, merged, templates, self.joiner.programs, cache_dir)
        for part in users:
            for local, mapping in part.slots:
                for name, key in sorted(mapping.items()):
                    local[name] = fonts[key]
        return stats

    def catalog(self) -> None:
        """The name tree, outline, structure tree, page labels, catalog entries and document info."""
        out, info = self.out, self.info
        root = out.Root
        if self.dests:
            root.Names = pikepdf.Dictionary(Dests=name_tree(out, self.dests))
        if self.outline:
            root.Outlines = outline_root(out, self.outline, self.outline_count)
        root.StructTreeRoot = structure_root(out, self.kids, self.parent_tree, self.next_key, self.extras)
        root.PageLabels = page_labels(info.front_pages, len(out.pages))
        root.Lang = pikepdf.String(info.lang)
        root.MarkInfo = pikepdf.Dictionary(Marked=True)
        root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
        out.trailer.Info = out.make_indirect(document_info(
            info.title, info.authors, info.subject, info.keywords, info.creator, info.created, info.modified,
            f"WeasyPrint {package_version('weasyprint')} + coopbook"))


def _copy_into(book: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    """A catalog value of another PDF as book holds it: each object it reaches copied once; direct values stay
    direct (a dictionary or array rebuilt around its copied items)."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return book.copy_foreign(value)
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copy_into(book, item) for key, item in value.items()})
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copy_into(book, item) for item in value])
    return value


def _copied(part: _Part) -> Copied:
    """What was copied of a part (not a furniture piece)."""
    assert part.copied is not None
    return part.copied
