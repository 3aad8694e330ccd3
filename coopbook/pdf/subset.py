"""The book's fonts: each embedded program once, subset to the union of the glyphs every part draws.

Parts embed full font programs (WeasyPrint's `full_fonts=True`), identified by hash in their `FontUsage`
(coopbook.layout.partpdf). Each program is subset once for the whole book with fontTools, with the options and
dropped tables of WeasyPrint's fontTools path, and the subset is cached by (program hash, glyph set hash) as a
sealed entry (`coopbook.fsutil.seal`: key, format and checksum verified on read; a bad entry is subset again).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fontTools
import pikepdf

from ..fsutil import ENTRY_FORMAT, BadEntry, atomic_write, discard_entry, seal, unseal
from ..layout.partpdf import FontUsage, Width

log = logging.getLogger(__name__)

SUBSET_VERSION = "1"  # bump when the subsetting options change: old cache entries are then ignored
FONT_SIGNATURES = (b"OTTO", b"\x00\x01\x00\x00", b"true")
SUBSET_KIND = "font subset"
FONT_FILES = ("/FontFile2", "/FontFile3")


def font_program(font: pikepdf.Object) -> pikepdf.Stream | None:
    """The embedded program of a Type0 font with an Identity CIDToGIDMap (what WeasyPrint writes), if any."""
    if font.get("/Subtype") != "/Type0" or "/DescendantFonts" not in font:
        return None
    descendant = font.DescendantFonts[0]
    if descendant.get("/CIDToGIDMap", pikepdf.Name.Identity) != pikepdf.Name.Identity:
        return None
    descriptor = descendant.get("/FontDescriptor")
    if descriptor is None:
        return None
    for key in FONT_FILES:
        if key in descriptor:
            return descriptor[key]
    return None


def number(value: Any) -> Width:
    """A PDF number as int when integral, else float."""
    result = float(value)
    return int(result) if result.is_integer() else result


@dataclass(frozen=True)
class MergedFont:
    """One font dictionary of the book: a (program, resource name) pair with the union of its glyphs."""

    program: str
    resource: str
    name: str
    widths: Mapping[int, Width]
    texts: Mapping[int, str]
    notdef: frozenset[int]


def merge_usage(usage: Sequence[FontUsage]) -> dict[tuple[str, str], MergedFont]:
    """One entry per (program, resource name) across parts; the first part to give a glyph's width/text wins."""
    widths: dict[tuple[str, str], dict[int, Width]] = {}
    texts: dict[tuple[str, str], dict[int, str]] = {}
    notdef: dict[tuple[str, str], set[int]] = {}
    names: dict[tuple[str, str], str] = {}
    conflicts = 0
    for part in usage:
        for font in part.fonts:
            key = (font.program, font.resource)
            names.setdefault(key, font.name)
            known = widths.setdefault(key, {})
            for glyph, width in font.widths:
                known.setdefault(glyph, width)
            known_texts = texts.setdefault(key, {})
            for glyph, text in font.texts:
                if known_texts.setdefault(glyph, text) != text and glyph in font.notdef:
                    conflicts += 1
            notdef.setdefault(key, set()).update(font.notdef)
    if conflicts:
        log.warning("%d missing characters share a .notdef code with another in an earlier part: their text "
                    "may extract wrongly", conflicts)
    return {key: MergedFont(key[0], key[1], names[key], widths[key], texts[key], frozenset(notdef[key]))
            for key in sorted(widths)}


def glyph_set_hash(glyphs: Iterable[int], notdef_outline: bool) -> str:
    """A stable hash of a glyph set (and of what else changes a subset: options, fontTools version)."""
    text = f"{SUBSET_VERSION}:{fontTools.version}:{int(notdef_outline)}:" + ",".join(map(str, sorted(glyphs)))
    return hashlib.sha256(text.encode()).hexdigest()


def subset_tag(program: str, glyph_hash: str) -> str:
    """The 6-letter uppercase subset tag of a program subset to a glyph set."""
    digest = hashlib.sha256(f"{program}:{glyph_hash}".encode()).digest()
    return "".join(chr(65 + byte % 26) for byte in digest[:6])


def subset_program(data: bytes, glyphs: Iterable[int], notdef_outline: bool) -> bytes:
    """Subset a font program to glyph ids, keeping ids (fontTools, WeasyPrint's options and dropped tables)."""
    from fontTools import subset as ft_subset  # only on a subset the cache does not have: not at start-up
    from fontTools.ttLib import TTFont

    options = ft_subset.Options(retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True,
                                hinting=False, desubroutinize=True, notdef_outline=notdef_outline)
    options.drop_tables += ["GSUB", "GPOS", "SVG"]
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(gids=sorted(set(glyphs) | {0}))
    font = TTFont(io.BytesIO(data), recalcTimestamp=False, fontNumber=0)
    chatty = logging.getLogger("fontTools.subset")
    level = chatty.level
    chatty.setLevel(max(level, logging.WARNING))  # fontTools logs every table it touches at INFO
    try:
        subsetter.subset(font)
    finally:
        chatty.setLevel(level)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def cached_subsets(requests: Mapping[str, tuple[frozenset[int], bool]], program_bytes: Callable[[str], bytes],
                   cache_dir: Path | None) -> tuple[dict[str, tuple[bytes, str]], int]:
    """Subset each program to its glyphs, reusing cache_dir; return program -> (bytes, glyph hash), subsets made."""
    results: dict[str, tuple[bytes, str]] = {}
    missing: list[str] = []
    for program, (glyphs, notdef_outline) in sorted(requests.items()):
        glyph_hash = glyph_set_hash(glyphs, notdef_outline)
        data = cached_subset(cache_path(cache_dir, program, glyph_hash), program, glyph_hash)
        if data is not None:
            results[program] = (data, glyph_hash)
        else:
            missing.append(program)
    for program in missing:
        glyphs, notdef_outline = requests[program]
        glyph_hash = glyph_set_hash(glyphs, notdef_outline)
        try:
            data = subset_program(program_bytes(program), glyphs, notdef_outline)
        except Exception as error:  # fontTools raises many kinds; a full font is still a correct PDF
            log.warning("could not subset font program %s (%s): embedding it whole", program[:12], error)
            data = program_bytes(program)
        path = cache_path(cache_dir, program, glyph_hash)
        if path is not None:
            atomic_write(path, seal(SUBSET_KIND, f"{program}:{glyph_hash}", {"program": program,
                                                                            "glyph_hash": glyph_hash}, data))
            prune_cache(path.parent, program, keep=path)
        results[program] = (data, glyph_hash)
    if missing:
        log.debug("subset %d font programs (%d from cache)", len(missing), len(results) - len(missing))
    return results, len(missing)


def cached_subset(path: Path | None, program: str, glyph_hash: str) -> bytes | None:
    """The cached subset at path if its seal, key and font signature check out; else None (a bad entry noted)."""
    if path is None:
        return None
    try:
        entry = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        discard_entry(path, f"cannot be read ({error.strerror or error})", "subset again")
        return None
    try:
        _, data = unseal(entry, SUBSET_KIND, f"{program}:{glyph_hash}")
        if data[:4] not in FONT_SIGNATURES:
            raise BadEntry("is corrupt (its payload is not a font program)")
    except BadEntry as bad:
        discard_entry(path, str(bad), "subset again")
        return None
    return data


def cache_path(cache_dir: Path | None, program: str, glyph_hash: str) -> Path | None:
    """Where the subset of a program to a glyph set is cached (older entry formats have other names)."""
    if cache_dir is None:
        return None
    return cache_dir / f"subset-{program[:32]}-{glyph_hash[:32]}.v{ENTRY_FORMAT}.font"


def prune_cache(cache_dir: Path, program: str, keep: Path, limit: int = 4) -> None:
    """Keep only the newest few subsets of a program (older glyph sets are unlikely to come back)."""
    entries = sorted(cache_dir.glob(f"subset-{program[:32]}-*.font"), key=lambda p: (p.stat().st_mtime, p.name))
    for stale in entries[:-limit]:
        if stale != keep:
            try:
                os.unlink(stale)
            except OSError:
                pass


# ---- font objects of the assembled PDF ------------------------------------------------------------------


def subset_requests(merged: Mapping[tuple[str, str], MergedFont]) -> dict[str, tuple[frozenset[int], bool]]:
    """Per program: the union of glyph ids every font dictionary using it draws, and whether .notdef is drawn."""
    glyphs: dict[str, set[int]] = {}
    notdef: dict[str, bool] = {}
    for font in merged.values():
        used = (set(font.widths) | set(font.texts)) - set(font.notdef)
        glyphs.setdefault(font.program, {0}).update(used)
        notdef[font.program] = notdef.get(font.program, False) or bool(font.notdef)
    return {program: (frozenset(glyphs[program]), notdef[program]) for program in sorted(glyphs)}


def widths_array(widths: Mapping[int, Width]) -> pikepdf.Array:
    """A /W array for the given glyphs: runs of consecutive ids as `first [w w w]`."""
    items: list[Any] = []
    run: list[Width] = []
    previous = -2
    for glyph in sorted(widths):
        if glyph != previous + 1:
            if run:
                items.append(pikepdf.Array(run))
            items.append(glyph)
            run = []
        run.append(widths[glyph])
        previous = glyph
    if run:
        items.append(pikepdf.Array(run))
    return pikepdf.Array(items)


CMAP_HEAD = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
             b"<< /Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n"
             b"/CMapType 2 def\n1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n")
CMAP_TAIL = b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
ENCODING_HEAD = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
                 b"3 dict dup begin\n/Registry (Adobe) def\n/Ordering (Identity) def\n/Supplement 0 def\nend def\n"
                 b"/CMapName /WP-Encod-0 def\n/CMapType 1 def\n1 begincodespacerange\n<0000> <ffff>\n"
                 b"endcodespacerange\n")


def to_unicode_cmap(texts: Mapping[int, str]) -> bytes:
    """A ToUnicode CMap (bfchar, 100 a block) for the given glyph texts, sorted by glyph id."""
    lines = [CMAP_HEAD]
    items = sorted(texts.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar\n".encode())
        lines.extend(f"<{glyph:04x}> <{text.encode('utf-16-be').hex()}>\n".encode() for glyph, text in batch)
        lines.append(b"endbfchar\n")
    lines.append(CMAP_TAIL)
    return b"".join(lines)


def encoding_cmap(codes: Iterable[int], notdef: frozenset[int]) -> bytes:
    """An Encoding CMap sending the codes of missing characters to CID 0 and every other code to itself."""
    lines = [ENCODING_HEAD]
    items = sorted(set(codes))
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} begincidchar\n".encode())
        lines.extend(f"<{code:04x}> {0 if code in notdef else code}\n".encode() for code in batch)
        lines.append(b"endcidchar\n")
    lines.append(CMAP_TAIL)
    return b"".join(lines)


@dataclass(frozen=True)
class FontStats:
    """What the font step did: programs embedded, subsets made now and reused from the cache."""

    programs: int
    subsets_made: int
    subsets_cached: int


def flate_stream(out: pikepdf.Pdf, data: bytes, level: int = 6) -> pikepdf.Stream:
    """A new Flate-compressed stream holding data."""
    stream = pikepdf.Stream(out, b"")
    stream.write(zlib.compress(data, level), filter=pikepdf.Name.FlateDecode)
    return stream


def sets_width(bbox: Sequence[float]) -> bool:
    """Whether install_fonts sets a FontBBox's width from the glyphs the book draws: WeasyPrint's `[0 y0 x1 y1]`,
    whose x1 is the widest glyph a part drew."""
    return len(bbox) == 4 and bbox[0] == 0


def install_fonts(out: pikepdf.Pdf, merged: Mapping[tuple[str, str], MergedFont],
                  templates: Mapping[tuple[str, str], pikepdf.Dictionary], programs: Mapping[str, bytes],
                  cache_dir: Path | None) -> tuple[dict[tuple[str, str], pikepdf.Dictionary], FontStats]:
    """Turn each template (a part's font dictionary copied into out) into the book's subset font dictionary.

    `programs` holds each full font program by hash, read while its part was open.
    """
    requests = subset_requests(merged)
    subsets, made = cached_subsets(requests, programs.__getitem__, cache_dir)
    streams: dict[str, pikepdf.Stream] = {}
    fonts: dict[tuple[str, str], pikepdf.Dictionary] = {}
    for key, font in merged.items():
        data, glyph_hash = subsets[font.program]
        template = templates[key]
        descendant = template.DescendantFonts[0]
        descriptor = descendant.FontDescriptor
        file_key = next(k for k in FONT_FILES if k in descriptor)
        if font.program not in streams:
            original = descriptor[file_key]
            stream = flate_stream(out, data, level=9)
            if "/Subtype" in original:
                stream.Subtype = original.Subtype
            if file_key == "/FontFile2":
                stream.Length1 = len(data)
            streams[font.program] = stream
        name = pikepdf.Name(f"/{subset_tag(font.program, glyph_hash)}+{font.name}")
        template.BaseFont = descendant.BaseFont = descriptor.FontName = name
        descriptor[file_key] = streams[font.program]
        if "/CIDSet" in descriptor:
            del descriptor["/CIDSet"]
        bbox = [float(v) for v in descriptor.get("/FontBBox", [])]
        if sets_width(bbox) and font.widths:
            descriptor.FontBBox = pikepdf.Array([0, number(bbox[1]), max(font.widths.values()), number(bbox[3])])
        descendant.W = widths_array(font.widths)
        template.ToUnicode = flate_stream(out, to_unicode_cmap(font.texts))
        if font.notdef:
            encoding = flate_stream(out, encoding_cmap(font.widths, font.notdef))
            encoding.Type = pikepdf.Name.CMap
            encoding.CMapName = pikepdf.Name("/WP-Encod-0")
            encoding.CIDSystemInfo = pikepdf.Dictionary(Registry=pikepdf.String("Adobe"),
                                                        Ordering=pikepdf.String("Identity"), Supplement=0)
            template.Encoding = encoding
        else:
            template.Encoding = pikepdf.Name("/Identity-H")
        fonts[key] = template
    return fonts, FontStats(len(streams), made, len(requests) - made)
