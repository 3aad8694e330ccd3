"""Join part PDFs (laid out and written separately, cached) into the book's one PDF.

Each part of the book is written by WeasyPrint on its own (`coopbook.layout.partpdf.write_part_pdf`: tagged,
full fonts, the book's font programs left out), with every in-book link written as a URI `x-coopbook:<id>`.
`assemble` makes from the ordered parts the PDF that a one-pass `Document.copy(all_pages).write_pdf(pdf_tags=True)`
gives: pages in order, links as GoTo named destinations in one name tree, the parts' outlines in order, page labels, one
structure tree, each font program embedded once and subset to the glyphs the whole book uses, document info,
and the same bytes for the same inputs. Parts are opened one at a time, so memory follows the output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import unquote

import pikepdf

from ..layout.partpdf import LINK_SCHEME, STRIPPED_KEY, FontUsage
from ..layout.structure import kids
from .catalog import document_info, name_tree, outline_root, page_labels, structure_root, write
from .furniture import Furniture, draw_over
from .subset import FontStats, font_program, install_fonts, merge_usage

log = logging.getLogger(__name__)

SKIPPED = frozenset({"/Parent", "/P", "/Dest", "/A"})  # keys leading away from a page's own resources
CONTAINERS = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)
Key = tuple[int, int]


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

    `parts` is read once, in order, one part at a time (a lazy sequence keeps memory low: each part, and each
    furniture piece, is open only while it is copied, from a temporary file); `usage[i]` must describe `parts[i]`
    (from `write_part_pdf`); subset fonts are cached in `cache_dir`.
    `programs` gives, by hash, the font programs that parts left out (see `coopbook.layout.partpdf.pack_part`).
    `furniture` (coopbook.pdf.furniture) is drawn over the pages it covers; its fonts are subset with the parts'.
    """
    if len(parts) != len(usage):
        raise ValueError(f"{len(parts)} parts but {len(usage)} font usages")
    with tempfile.TemporaryDirectory(prefix="coopbook-assemble-") as temporary:
        folder = Path(temporary)
        joiner = _Joiner(info, programs or {})
        all_usage = joiner.join(parts, usage, furniture, folder)
        fonts = joiner.finish(all_usage, cache_dir)
        write(joiner.out, joiner.version, folder / "book.pdf")
        pages, dropped = len(joiner.out.pages), tuple(joiner.dropped)
        del joiner  # the book's objects are freed before its bytes are read back
        pdf = (folder / "book.pdf").read_bytes()
    if dropped:
        log.warning("dropped %d links to %d ids with no destination in the book: %s", len(dropped),
                    len(set(dropped)), ", ".join(sorted(set(dropped))[:10]))
    return Assembled(pdf, pages, dropped, fonts)


@contextlib.contextmanager
def _opened(data: bytes, path: Path) -> Iterator[pikepdf.Pdf]:
    """A PDF's bytes opened through a file (qpdf reads a file far faster than a Python stream); removed after."""
    path.write_bytes(data)
    try:
        with pikepdf.open(path) as pdf:
            yield pdf
    finally:
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class _Pending:
    """A link whose target no part has named yet: kept if a later part names it, else dropped."""

    target: str
    page: int
    annot: pikepdf.Object
    key: int | None


class _Joiner:
    """Accumulates parts into one output PDF; `finish` builds the book-wide objects once all parts are in."""

    def __init__(self, info: AssemblyInfo, stripped: Mapping[str, bytes]) -> None:
        self.out = pikepdf.new()
        self.info = info
        self.stripped = stripped
        self.version = "1.4"
        self.names: set[str] = set()
        self.dests: dict[str, pikepdf.Object] = {}
        self.pending: list[_Pending] = []
        self.dropped: list[str] = []
        self.outline_items: list[pikepdf.Dictionary] = []
        self.outline_count = 0
        self.struct_kids: list[pikepdf.Dictionary] = []
        self.parent_tree: dict[int, pikepdf.Object] = {}
        self.next_key = 0
        self.struct_extras: dict[str, pikepdf.Object] = {}
        self.templates: dict[tuple[str, str], pikepdf.Dictionary] = {}
        self.programs: dict[str, bytes] = {}
        self.program_lengths: dict[str, int] = {}
        self.font_slots: list[tuple[pikepdf.Dictionary, dict[str, tuple[str, str]]]] = []

    def join(self, parts: Sequence[bytes], usage: Sequence[FontUsage], furniture: Furniture | None,
             folder: Path) -> list[FontUsage]:
        """Take in every part, then the furniture, each opened from a file in folder; return all font usage."""
        for index, (data, part_usage) in enumerate(zip(parts, usage, strict=True)):
            with _opened(data, folder / f"part-{index}.pdf") as part:
                self.add(index, part, part_usage)
        all_usage = list(usage)
        if furniture is not None:
            forms: dict[tuple[str, int], pikepdf.Object] = {}
            for name in furniture.used():  # one piece open at a time: its fonts and drawn pages are copied
                piece = furniture.pieces[name]
                if piece.glyphs is None:
                    raise ValueError(f"the furniture piece {name} has no font usage")
                with _opened(piece.pdf, folder / f"{name}.pdf") as drawn:
                    self.add_piece(len(all_usage), name, drawn, piece.glyphs)
                    forms.update(self.copy_forms(name, drawn, furniture))
                all_usage.append(piece.glyphs)
            self.draw_furniture(forms, furniture)
        return all_usage

    # ---- one part ----

    def add(self, index: int, part: pikepdf.Pdf, usage: FontUsage) -> None:
        """Copy one part's pages, links, destinations, outline and structure into the output."""
        self.version = max(self.version, part.pdf_version)
        struct = part.Root.get("/StructTreeRoot")
        offset, first_page = self.next_key, len(self.out.pages)
        dests = self._dests(part)
        if dests is not None:
            self.names.update(pikepdf.NameTree(dests).keys())
        pending = self._prepare_pages(part, offset, first_page)
        slots = self._detach_fonts(index, part, usage)
        with warnings.catch_warnings():  # destinations, outline and structure are carried over below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            self.out.pages.extend(part.pages)
        self.font_slots.extend((self.out.copy_foreign(fonts), mapping) for fonts, mapping in slots)
        self.pending.extend(_Pending(p.target, p.page, self.out.copy_foreign(p.annot), p.key) for p in pending)
        if dests is not None:
            for name, value in pikepdf.NameTree(self.out.copy_foreign(dests)).items():
                self.dests.setdefault(name, value)
        if struct is not None:
            span = self._add_structure(struct, offset, str(part.Root.get("/Lang", "")))
            self.next_key = offset + max(span, int(struct.get("/ParentTreeNextKey", 0)))
        self._add_outline(part)
        _materialize(self.out.pages[first_page:])

    @staticmethod
    def _dests(part: pikepdf.Pdf) -> pikepdf.Object | None:
        """The part's /Dests name tree (made indirect, so that it can be copied), if it has one."""
        names = part.Root.get("/Names")
        if names is None or "/Dests" not in names:
            return None
        if not names.Dests.is_indirect:
            names.Dests = part.make_indirect(names.Dests)
        return names.Dests

    def _prepare_pages(self, part: pikepdf.Pdf, offset: int, first_page: int) -> list[_Pending]:
        """Rewrite x-coopbook links to named destinations, renumber StructParents, drop WeasyPrint's page boxes.

        The screen PDF has only a MediaBox; the print variant (coopbook.pdf.printmarks) sets its own boxes.
        """
        pending: list[_Pending] = []
        for number, page in enumerate(part.pages):
            obj = page.obj
            if "/StructParents" in obj:
                obj.StructParents = int(obj.StructParents) + offset
            for box in ("/TrimBox", "/BleedBox"):
                if box in obj:
                    del obj[box]
            for annot in obj.get("/Annots", ()):
                key = int(annot.StructParent) + offset if "/StructParent" in annot else None
                if key is not None:
                    annot.StructParent = key
                target = self._rewrite_link(annot)
                if target is not None and target not in self.names:
                    pending.append(_Pending(target, first_page + number, annot, key))
        return pending

    def _rewrite_link(self, annot: pikepdf.Object) -> str | None:
        """Turn a `x-coopbook:ID` URI link into a link to the named destination ID; return ID."""
        action = annot.get("/A")
        if action is None or action.get("/S") != "/URI":
            return None
        uri = str(action.get("/URI", ""))
        if not uri.startswith(LINK_SCHEME):
            return None
        target = uri[len(LINK_SCHEME):]
        if target not in self.names and "%" in target:
            target = unquote(target)
        del annot["/A"]
        annot.Dest = pikepdf.String(target)
        if "/Contents" in annot:
            annot.Contents = pikepdf.String(target)
        return target

    def _detach_fonts(self, index: int, part: pikepdf.Pdf,
                      usage: FontUsage) -> list[tuple[pikepdf.Dictionary, dict[str, tuple[str, str]]]]:
        """Empty the part's font resource dictionaries of the fonts the book re-embeds, remembering each entry."""
        known = usage.by_resource()
        slots: list[tuple[pikepdf.Dictionary, dict[str, tuple[str, str]]]] = []
        seen: set[Key] = set()
        for resources in _resource_dicts(part):
            fonts = resources.get("/Font")
            if fonts is None:
                continue
            if not fonts.is_indirect:
                fonts = resources.Font = part.make_indirect(fonts)
            if fonts.objgen in seen:
                continue
            seen.add(fonts.objgen)
            mapping: dict[str, tuple[str, str]] = {}
            for name in sorted(fonts.keys()):
                program = font_program(fonts[name])
                if program is None:
                    continue
                glyphs = known.get(name)
                if glyphs is None:
                    log.warning("part %d: font %s is missing from its usage; embedded whole", index, name)
                    continue
                key = (glyphs.program, name)
                self._check_program(index, name, glyphs.program, program)
                if key not in self.templates:
                    self.templates[key] = self.out.copy_foreign(fonts[name])
                mapping[name] = key
                del fonts[name]
            if mapping:
                slots.append((fonts, mapping))
        return slots

    def _check_program(self, index: int, name: str, program: str, stream: pikepdf.Stream) -> None:
        """Read each program once (checking its hash); later parts must embed a stream of the same length."""
        length = int(stream.get("/Length", -1))
        if program not in self.programs:
            data = stream.read_bytes()
            if not data and STRIPPED_KEY in stream and program in self.stripped:
                data = self.stripped[program]
            if hashlib.sha256(data).hexdigest() != program:
                raise ValueError(f"part {index}: font {name} is not the program its usage names")
            self.programs[program], self.program_lengths[program] = data, length
        elif self.program_lengths[program] != length:
            raise ValueError(f"part {index}: font {name} differs from the program its usage names")

    def _add_structure(self, foreign: pikepdf.Object, offset: int, lang: str = "") -> int:
        """Copy the part's structure tree (its Document's children join the book's); return its key count.

        A part in another language than the book's (an interview's own `language:`, its HTML root's lang, which
        WeasyPrint writes only as the part's catalog /Lang) gives its top structure elements that /Lang.
        """
        struct = self.out.copy_foreign(foreign)
        first = len(self.struct_kids)
        parents = dict(pikepdf.NumberTree(struct.ParentTree).items()) if "/ParentTree" in struct else {}
        self.parent_tree.update((key + offset, value) for key, value in parents.items())
        for name in ("/Namespaces", "/RoleMap", "/ClassMap"):
            if name in struct and name not in self.struct_extras:
                self.struct_extras[name] = struct[name]
            elif name in struct and name != "/Namespaces":
                merged = self.struct_extras[name]
                for key, value in struct[name].items():
                    if key not in merged:
                        merged[key] = value
        for element in kids(struct.get("/K", pikepdf.Array())):
            children = kids(element.get("/K", pikepdf.Array()))
            if element.get("/S") == "/Document" and all(isinstance(k, pikepdf.Dictionary) and "/S" in k
                                                       for k in children):
                if "/NS" in element and "/NS" not in self.struct_extras:
                    self.struct_extras["/NS"] = element.NS
                self.struct_kids.extend(children)
            else:
                if element.get("/S") == "/Document":
                    element.S = pikepdf.Name.Part
                self.struct_kids.append(element)
        if lang and lang != self.info.lang:
            for element in self.struct_kids[first:]:
                element.Lang = pikepdf.String(lang)
        return max(parents, default=-1) + 1

    def _add_outline(self, part: pikepdf.Pdf) -> None:
        """Queue the part's top-level bookmarks (their targets are the copied pages)."""
        outlines = part.Root.get("/Outlines")
        if outlines is None or "/First" not in outlines:
            return
        local = self.out.copy_foreign(outlines)
        item = local.First
        while True:
            self.outline_items.append(item)
            if "/Next" not in item:
                break
            item = item.Next
        self.outline_count += int(local.get("/Count", 0))

    def add_piece(self, index: int, name: str, drawn: pikepdf.Pdf, glyphs: FontUsage) -> None:
        """Take in one furniture piece: its fonts join the book's like a part's (it is drawn by draw_furniture)."""
        self.version = max(self.version, drawn.pdf_version)
        slots = self._detach_fonts(index, drawn, glyphs)
        self.font_slots.extend((self.out.copy_foreign(fonts), mapping) for fonts, mapping in slots)

    def copy_forms(self, name: str, drawn: pikepdf.Pdf,
                   furniture: Furniture) -> dict[tuple[str, int], pikepdf.Object]:
        """Copy the pages of one furniture piece that some page draws, each once, as Form XObjects."""
        wanted = sorted({page for draws in furniture.draws for piece, page in draws if piece == name})
        forms: dict[tuple[str, int], pikepdf.Object] = {}
        for page in wanted:
            if page >= len(drawn.pages):
                raise ValueError(f"the furniture piece {name} has no page {page + 1}")
            forms[name, page] = self.out.copy_foreign(drawn.pages[page].as_form_xobject())
        _materialize_objects(forms.values())
        return forms

    def draw_furniture(self, forms: Mapping[tuple[str, int], pikepdf.Object], furniture: Furniture) -> None:
        """Draw each page's furniture (the pieces' pages, copied by copy_forms) under its book page."""
        if furniture.first_page + len(furniture.draws) > len(self.out.pages):
            raise ValueError(f"the page furniture ({len(furniture.draws)} pages from page {furniture.first_page}) "
                             f"does not fit the book's {len(self.out.pages)} pages")
        for number, draws in enumerate(furniture.draws):
            if draws:
                draw_over(self.out, self.out.pages[furniture.first_page + number], [forms[d] for d in draws], number)

    # ---- the book-wide objects ----

    def finish(self, usage: Sequence[FontUsage], cache_dir: Path | None) -> FontStats:
        """Drop dead links; build fonts, name tree, outline, structure tree, labels, catalog and info."""
        for link in self.pending:
            if link.target not in self.names:
                self._drop(link)
        out = self.out
        merged = {key: font for key, font in merge_usage(usage).items() if key in self.templates}
        fonts, stats = install_fonts(out, merged, self.templates, self.programs, cache_dir)
        for local, mapping in self.font_slots:
            for name, key in sorted(mapping.items()):
                local[name] = fonts[key]
        root = out.Root
        if self.dests:
            root.Names = pikepdf.Dictionary(Dests=name_tree(out, self.dests))
        if self.outline_items:
            root.Outlines = outline_root(out, self.outline_items, self.outline_count)
        root.StructTreeRoot = structure_root(out, self.struct_kids, self.parent_tree, self.next_key,
                                             self.struct_extras)
        root.PageLabels = page_labels(self.info.front_pages, len(out.pages))
        root.Lang = pikepdf.String(self.info.lang)
        root.MarkInfo = pikepdf.Dictionary(Marked=True)
        root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
        info = self.info
        out.trailer.Info = out.make_indirect(document_info(
            info.title, info.authors, info.subject, info.keywords, info.creator, info.created, info.modified,
            f"WeasyPrint {version('weasyprint')} + coopbook"))
        return stats

    def _drop(self, link: _Pending) -> None:
        """Remove a link to an id no part names: the annotation, its OBJR and its ParentTree entry."""
        self.dropped.append(link.target)
        page = self.out.pages[link.page].obj
        kept = [a for a in page.get("/Annots", ()) if a.objgen != link.annot.objgen]
        if kept:
            page.Annots = pikepdf.Array(kept)
        elif "/Annots" in page:
            del page["/Annots"]
        element = self.parent_tree.pop(link.key, None) if link.key is not None else None
        if isinstance(element, pikepdf.Dictionary) and "/K" in element:
            element.K = pikepdf.Array([
                kid for kid in kids(element.K)
                if not (isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"
                        and kid.Obj.objgen == link.annot.objgen)])


def _resource_dicts(part: pikepdf.Pdf) -> Iterable[pikepdf.Dictionary]:
    """Every resource dictionary reachable from the pages (pages, form XObjects, patterns), each once."""
    seen: set[Key] = set()
    todo = [page.obj.get("/Resources") for page in part.pages]
    while todo:
        resources = todo.pop()
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        yield resources
        for category in ("/XObject", "/Pattern"):
            for _, child in sorted(resources.get(category, pikepdf.Dictionary()).items()):
                if isinstance(child, pikepdf.Dictionary | pikepdf.Stream) and "/Resources" in child:
                    if child.is_indirect and child.objgen in seen:
                        continue
                    if child.is_indirect:
                        seen.add(child.objgen)
                    todo.append(child.Resources)


def _materialize(pages: Iterable[pikepdf.Page]) -> None:
    """Give every stream the copied pages use its own (still encoded) data, so that the part can be closed."""
    todo: list[pikepdf.Object] = []
    for page in pages:
        for key, value in page.obj.items():
            if key == "/Annots":
                todo.extend(annot.AP for annot in value if "/AP" in annot)
            elif key not in SKIPPED and isinstance(value, CONTAINERS):
                todo.append(value)
    _materialize_objects(todo)


def _materialize_objects(objects: Iterable[pikepdf.Object]) -> None:
    """Give every stream reachable from the objects (not through SKIPPED keys) its own data (see _materialize)."""
    seen: set[Key] = set()
    todo = list(objects)
    while todo:
        obj = todo.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Stream):
            obj.write(obj.read_raw_bytes(), filter=obj.get("/Filter"), decode_parms=obj.get("/DecodeParms"),
                      type_check=False)
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            todo.extend(value for key, value in obj.items() if key not in SKIPPED and isinstance(value, CONTAINERS))
        elif isinstance(obj, pikepdf.Array):
            todo.extend(item for item in obj if isinstance(item, CONTAINERS))
