"""A part's own PDF as the assembler reads it: what the layout stage writes and `coopbook.pdf` relies on.

The contract between the two stages: in-book links are `x-coopbook:<id>` URIs (LINK_SCHEME), the book's own
font programs are left out (each marked with STRIPPED_KEY and its hash) and put back once by the assembler,
and each part comes with the glyphs it draws (`FontUsage`), taken exactly from WeasyPrint while drawing.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the contract's records need neither: only writing and packing a part do
    import weasyprint

LINK_SCHEME = "x-coopbook:"
STRIPPED_KEY = "/CoopbookProgram"
PART_FORMAT = "packed 5"  # in every part's cache key: what pack_part makes of a part's PDF, and how it is drawn
# (4: dot leaders drawn as one run each, coopbook.layout.leaders; 5: widths and ToUnicode of the glyphs drawn only)
Width = int | float


@dataclass(frozen=True)
class FontGlyphs:
    """The glyphs a part draws with one font resource: ids, widths (1/1000 em) and the text each stands for."""

    resource: str
    program: str
    name: str
    widths: tuple[tuple[int, Width], ...]
    texts: tuple[tuple[int, str], ...]
    notdef: tuple[int, ...] = ()

    @property
    def glyphs(self) -> frozenset[int]:
        """Every glyph id (character code) the part draws with this font."""
        return frozenset(g for g, _ in self.widths) | frozenset(g for g, _ in self.texts)


@dataclass(frozen=True)
class FontUsage:
    """The fonts of one part PDF, by resource name (plain, picklable data cached with the part)."""

    fonts: tuple[FontGlyphs, ...] = ()

    def by_resource(self) -> dict[str, FontGlyphs]:
        """The part's fonts keyed by resource name (e.g. "/SNPXXZ")."""
        return {font.resource: font for font in self.fonts}


def write_part_pdf(document: weasyprint.Document, tagged: bool = True, **options: Any) -> tuple[bytes, FontUsage]:
    """Write a part's PDF (tagged unless told, whole font programs) with the exact glyph usage WeasyPrint recorded.

    WeasyPrint knows the text behind every glyph (ligatures, small capitals), which the PDF's font dictionaries
    say only for the glyphs drawn. Other `write_pdf` options pass through.
    """
    captured: list[FontUsage] = []

    def finisher(doc: weasyprint.Document, pdf: Any) -> None:
        captured.append(usage_from_fonts(doc.fonts.values()))

    with whole_programs():
        data = document.write_pdf(**{**options, "pdf_tags": tagged, "full_fonts": False, "finisher": finisher})
    return data, captured[0]


@contextmanager
def whole_programs() -> Iterator[None]:
    """While writing a part: each font program embedded whole, its widths and ToUnicode for the glyphs drawn only.

    The assembler needs every part to embed the book's programs unchanged (it leaves them out of the cache and
    subsets each once for the whole book) and rewrites each font's widths and ToUnicode from the parts' glyphs.
    WeasyPrint offers whole programs only with `full_fonts`, which also writes the widths and text of every glyph
    of every font into every part: it parses each font with fontTools and writes thousands of entries the
    assembler throws away (measured at N = 100: a part's write took 0.16-0.28 s that way, 0.09-0.15 s this way).
    So a part is written with subsetting on and WeasyPrint's subsetting step (`Font.subset`, which its
    `Font.clean` calls before everything else it does to a font) made a no-op for the call. If a WeasyPrint
    release changes that, the programs no longer match the book's and the assembler refuses the part
    (tests/layout/test_part.py checks that every program is left out of a part and its widths are the drawn ones).
    """
    from weasyprint.pdf.fonts import Font

    subset = Font.subset
    Font.subset = _keep_whole  # type: ignore[method-assign]
    try:
        yield
    finally:
        Font.subset = subset  # type: ignore[method-assign]


def _keep_whole(font: Any, to_unicode: Any, hinting: Any) -> None:
    """Font.subset's place while a part is written: the program stays whole."""


def usage_from_fonts(fonts: Iterable[Any]) -> FontUsage:
    """FontUsage from WeasyPrint's Font objects after drawing: the exact widths and text of each glyph."""
    found: dict[str, FontGlyphs] = {}
    for font in fonts:
        if font.bitmap:
            continue
        resource = f"/{font.hash}"
        widths = dict(sorted(font.widths.items()))
        texts = {g: t for g, t in sorted(font.to_unicode.items()) if t}
        if resource in found:
            known = found[resource]
            widths = {**widths, **dict(known.widths)}
            texts = {**texts, **dict(known.texts)}
        found[resource] = FontGlyphs(
            resource=resource, program=hashlib.sha256(font.file_content).hexdigest(),
            name=base_name(font.name.decode()), widths=tuple(sorted(widths.items())),
            texts=tuple(sorted(texts.items())), notdef=tuple(sorted(set(font.missing.values()))))
    return FontUsage(tuple(found[name] for name in sorted(found)))


def base_name(base_font: str) -> str:
    """A BaseFont without its leading slash and subset tag: "/ABCDEF+Coopbook-Serif" -> "Coopbook-Serif"."""
    name = base_font.lstrip("/")
    return name[7:] if re.match(r"[A-Z]{6}\+", name) else name


def pack_part(part_pdf: bytes, known: Collection[str]) -> bytes:
    """A part's PDF as it is cached: the book's own font programs left out, WeasyPrint's bare spans folded.

    Every part embeds the same full programs; keeping them once, outside the cache, makes parts small.
    The stream keeps its dictionary and says which program it stood for; the assembler puts the program back.
    The structure tree loses its attribute-less `Span` elements, and content that WeasyPrint tags outside the
    tree becomes an artifact (coopbook.layout.structure): the same tags for a reader, a third of the objects.
    """
    import pikepdf

    from .structure import fold_spans, mark_orphans

    with pikepdf.open(io.BytesIO(part_pdf)) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/FontDescriptor":
                continue
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in obj:
                    stream = obj[key]
                    digest = hashlib.sha256(stream.read_bytes()).hexdigest()
                    if digest in known:
                        stream.write(b"")
                        stream[STRIPPED_KEY] = pikepdf.String(digest)
        fold_spans(pdf)
        mark_orphans(pdf)
        out = io.BytesIO()  # in object streams: half the bytes to keep and to read, parsed as fast; the same book
        pdf.save(out, compress_streams=True, deterministic_id=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
