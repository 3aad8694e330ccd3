"""What the joiner (coopbook.pdf.assemble) needs to copy one part into the book: its file, its resources, its
streams made independent of it, and a fingerprint of its font dictionaries.

A part is opened from its bytes in memory and closed once its objects are copied: `materialize` first gives
every stream the copied pages use its own data. `face_digest` tells two parts' dictionaries of one font apart only
by what the book's font dictionary keeps of them (what coopbook.pdf.subset rewrites is left out), so any part's
copy can serve as the book's template when they agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

import pikepdf

from ..layout.partpdf import LINK_SCHEME
from ..layout.structure import kids
from .subset import sets_width

SKIPPED = frozenset({"/Parent", "/P", "/Dest", "/A"})  # keys leading away from a page's own resources
CONTAINERS = (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)
REWRITTEN = frozenset({"/BaseFont", "/FontName", "/W", "/ToUnicode", "/Encoding", "/CIDSet"})  # by install_fonts
FONT_FILES = frozenset({"/FontFile", "/FontFile2", "/FontFile3"})  # replaced by the subset (its dictionary read)
Key = tuple[int, int]


@contextlib.contextmanager
def opened(data: bytes) -> Iterator[pikepdf.Pdf]:
    """A PDF's bytes opened from memory (not through a temporary file: in a build, beside the workers writing
    the cache, writing and opening a part's file took ~1.2 ms, where the whole copy of a part takes ~3 ms)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        yield pdf


def resource_dicts(part: pikepdf.Pdf) -> Iterable[pikepdf.Dictionary]:
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


def materialize(pages: Iterable[pikepdf.Object]) -> None:
    """Give every stream the copied page objects use its own (still encoded) data, so that the part can be closed."""
    todo: list[pikepdf.Object] = []
    for page in pages:
        for key, value in page.items():
            if key == "/Annots":
                todo.extend(annot.AP for annot in value if "/AP" in annot)
            elif key not in SKIPPED and isinstance(value, CONTAINERS):
                todo.append(value)
    materialize_objects(todo)


def materialize_objects(objects: Iterable[pikepdf.Object]) -> None:
    """Give every stream reachable from the objects (not through SKIPPED keys) its own data (see materialize)."""
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


def face_digest(font: pikepdf.Object) -> str:
    """A digest of a font dictionary as the book keeps it: its tree without what the subsetting rewrites."""
    digest = hashlib.sha256()
    seen: dict[Key, int] = {}

    def walk(obj: pikepdf.Object, whole: bool = True) -> None:
        if isinstance(obj, CONTAINERS) and obj.is_indirect:
            if obj.objgen in seen:
                digest.update(b"@%d" % seen[obj.objgen])
                return
            seen[obj.objgen] = len(seen)
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            digest.update(b"<<")
            for key in sorted(obj.keys()):
                if key not in REWRITTEN and key not in SKIPPED:
                    digest.update(key.encode() + b" ")
                    walk(_kept_box(obj[key]) if key == "/FontBBox" else obj[key], key not in FONT_FILES)
            digest.update(b">>")
            if isinstance(obj, pikepdf.Stream) and whole:
                digest.update(b"stream%d:" % len(raw := obj.read_raw_bytes()) + raw)
        elif isinstance(obj, pikepdf.Array):
            digest.update(b"[")
            for item in obj:
                walk(item)
            digest.update(b"]")
        else:  # pikepdf gives numbers and booleans as Python values
            digest.update((obj.unparse() if isinstance(obj, pikepdf.Object) else repr(obj).encode()) + b" ")

    walk(font)
    return digest.hexdigest()


def _kept_box(box: pikepdf.Object) -> pikepdf.Object:
    """A FontBBox as the book keeps it: without the width install_fonts sets from the whole book's glyphs
    (`sets_width`), so that parts drawing different glyphs share one dictionary."""
    if isinstance(box, pikepdf.Array) and sets_width([float(v) for v in box]):
        return pikepdf.Array([box[0], box[1], box[3]])
    return box


@dataclass(frozen=True)
class Link:
    """An in-book link of a copied part: its annotation, its page in the part, its structure key, its id as written."""

    annot: pikepdf.Object
    page: int
    key: int | None
    target: str


@dataclass(frozen=True)
class Copied:
    """One part's pages, links, destinations, structure and bookmarks copied into the book's PDF, still numbered as
    in the part: its structure keys from 0 (the joiner renumbers them where the part falls)."""

    pages: tuple[pikepdf.Object, ...]
    page_keys: tuple[int | None, ...]  # each page's StructParents in the part
    annot_keys: tuple[tuple[pikepdf.Object, int], ...]  # each annotation's StructParent in the part
    links: tuple[Link, ...]  # the in-book links whose target the part does not name, or written with a "%"
    dests: Mapping[str, pikepdf.Object]
    outline: tuple[pikepdf.Dictionary, ...]
    outline_count: int
    kids: tuple[pikepdf.Dictionary, ...]  # its top structure elements
    parent_tree: dict[int, pikepdf.Object]
    span: int  # the structure keys it uses
    extras: Mapping[str, pikepdf.Object]  # its /Namespaces, /RoleMap, /ClassMap and its Document's /NS

    @property
    def plain(self) -> bool:
        """Pages and nothing else (a blank verso): placed again as copies of its page dictionaries."""
        return not (self.annot_keys or self.links or self.dests or self.outline or self.kids) and all(
            isinstance(value, pikepdf.Array) and len(value) == 0 for value in self.parent_tree.values())


def copy_part(out: pikepdf.Pdf, part: pikepdf.Pdf, lang: str, book_lang: str) -> Copied:
    """Copy a part's pages (not into the page tree), links as named destinations, destinations, structure, outline.

    A part in another language than the book's (an interview's own `language:`, its HTML root's lang, which
    WeasyPrint writes only as the part's catalog /Lang) gives its top structure elements that /Lang.
    """
    foreign_dests = _dests(part)
    names = set(pikepdf.NameTree(foreign_dests).keys()) if foreign_dests is not None else set()
    written = [_prepare_page(page.obj, names) for page in part.pages]
    pages = tuple(out.copy_foreign(page.obj) for page in part.pages)  # pages first: what follows points to them
    page_keys = tuple(int(page.StructParents) if "/StructParents" in page else None for page in pages)
    annot_keys: list[tuple[pikepdf.Object, int]] = []
    links: list[Link] = []
    for number, (page, targets) in enumerate(zip(pages, written, strict=True)):
        for index, annot in enumerate(page.get("/Annots", ())):
            key = int(annot.StructParent) if "/StructParent" in annot else None
            if key is not None:
                annot_keys.append((annot, key))
            target = targets.get(index)
            if target is not None and (target not in names or "%" in target):
                links.append(Link(annot, number, key, target))
    dests = dict(pikepdf.NameTree(out.copy_foreign(foreign_dests)).items()) if foreign_dests is not None else {}
    struct = part.Root.get("/StructTreeRoot")
    kids_: list[pikepdf.Dictionary] = []
    parents: dict[int, pikepdf.Object] = {}
    extras: dict[str, pikepdf.Object] = {}
    span = 0
    if struct is not None:
        copied = out.copy_foreign(struct)
        parents = dict(pikepdf.NumberTree(copied.ParentTree).items()) if "/ParentTree" in copied else {}
        extras = {name: copied[name] for name in ("/Namespaces", "/RoleMap", "/ClassMap") if name in copied}
        kids_ = _structure_kids(copied, extras)
        if lang and lang != book_lang:
            for element in kids_:
                element.Lang = pikepdf.String(lang)
        span = max(max(parents, default=-1) + 1, int(copied.get("/ParentTreeNextKey", 0)))
    outline, count = _outline(out, part)
    materialize(pages)
    return Copied(pages, page_keys, tuple(annot_keys), tuple(links), dests, outline, count, tuple(kids_), parents,
                  span, extras)


def _dests(part: pikepdf.Pdf) -> pikepdf.Object | None:
    """The part's /Dests name tree (made indirect, so that it can be copied), if it has one."""
    names = part.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return None
    if not names.Dests.is_indirect:
        names.Dests = part.make_indirect(names.Dests)
    return names.Dests


def _prepare_page(page: pikepdf.Dictionary, names: set[str]) -> dict[int, str]:
    """Drop WeasyPrint's page boxes and turn x-coopbook links into links to named destinations, in the part;
    return each rewritten link's target as written, by its place in the page's /Annots.

    The screen PDF has only a MediaBox; the print variant (coopbook.pdf.printmarks) sets its own boxes. A target
    with a "%" is taken as written when the part names it, else unquoted (the joiner decides again against the
    whole book's names).
    """
    for box in ("/TrimBox", "/BleedBox"):
        if box in page:
            del page[box]
    targets: dict[int, str] = {}
    for index, annot in enumerate(page.get("/Annots", ())):
        action = annot.get("/A")
        if action is None or action.get("/S") != "/URI":
            continue
        uri = str(action.get("/URI", ""))
        if not uri.startswith(LINK_SCHEME):
            continue
        target = targets[index] = uri[len(LINK_SCHEME):]
        del annot["/A"]
        set_target(annot, target if target in names or "%" not in target else unquote(target))
    return targets


def set_target(annot: pikepdf.Object, target: str) -> None:
    """Point a link annotation at the named destination target."""
    annot.Dest = pikepdf.String(target)
    if "/Contents" in annot:
        annot.Contents = pikepdf.String(target)


def _structure_kids(struct: pikepdf.Dictionary, extras: dict[str, pikepdf.Object]) -> list[pikepdf.Dictionary]:
    """The part's top structure elements: its Document's children join the book's (a Document of anything else
    becomes a Part); the Document's /NS goes into extras."""
    found: list[pikepdf.Dictionary] = []
    for element in kids(struct.get("/K", pikepdf.Array())):
        children = kids(element.get("/K", pikepdf.Array()))
        if element.get("/S") == "/Document" and all(isinstance(k, pikepdf.Dictionary) and "/S" in k
                                                   for k in children):
            if "/NS" in element and "/NS" not in extras:
                extras["/NS"] = element.NS
            found.extend(children)  # type: ignore[arg-type]
        else:
            if element.get("/S") == "/Document":
                element.S = pikepdf.Name.Part
            found.append(element)  # type: ignore[arg-type]
    return found


def _outline(out: pikepdf.Pdf, part: pikepdf.Pdf) -> tuple[tuple[pikepdf.Dictionary, ...], int]:
    """The part's top-level bookmarks (their targets are the copied pages) and its outline's /Count."""
    outlines = part.Root.get("/Outlines")
    if outlines is None or "/First" not in outlines:
        return (), 0
    local = out.copy_foreign(outlines)
    items = []
    item = local.First
    while True:
        items.append(item)
        if "/Next" not in item:
            break
        item = item.Next
    return tuple(items), int(local.get("/Count", 0))
