"""What one part PDF draws: per font resource, the glyph ids, their widths and the text each stands for.

Run in the worker, next to the part's layout, and cached with the part: `part_glyphs` reads it from the part
PDF (a full-font ToUnicode only knows the cmap, so the text of ligatures, small capitals and other
substituted glyphs is read back from the font's GSUB table), while `usage_from_fonts` takes it exactly from
WeasyPrint's fonts after drawing (see `coopbook.pdf.assemble.write_part`).
"""

from __future__ import annotations

import array
import hashlib
import io
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pikepdf
from fontTools.ttLib import TTFont

TEXT_OPERATORS = frozenset({"TJ", "Tj", "'", '"'})
FEATURE_PRIORITY = ("liga", "clig", "rlig", "dlig", "hlig", "smcp", "pcap", "onum", "lnum", "pnum", "tnum", "sups",
                    "subs", "sinf", "numr", "dnom", "frac", "ordn", "case", "zero", "locl", "ccmp", "calt", "fina",
                    "salt", "swsh", "nalt", "c2sc", "c2pc", "aalt")
FONT_FILES = ("/FontFile2", "/FontFile3")
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


def part_glyphs(part_pdf: bytes) -> FontUsage:
    """Which glyph ids of which embedded font a part PDF draws, with widths and text (run in the worker)."""
    with pikepdf.open(io.BytesIO(part_pdf)) as pdf:
        shown: dict[tuple[int, int], bytearray] = {}
        fonts: dict[tuple[int, int], tuple[str, pikepdf.Object]] = {}
        seen: set[tuple[int, int]] = set()
        for page in pdf.pages:
            _scan(page.obj, page.obj.get("/Resources"), shown, fonts, seen)
        found: dict[str, FontGlyphs] = {}
        for key, (resource, font) in sorted(fonts.items()):
            glyphs = _font_glyphs(resource, font, _codes(shown.get(key, bytearray())))
            if glyphs is not None and resource not in found:
                found[resource] = glyphs
        return FontUsage(tuple(found[name] for name in sorted(found)))


def _codes(data: bytearray) -> set[int]:
    """The distinct 2-byte big-endian character codes of shown strings."""
    codes = array.array("H")
    codes.frombytes(bytes(data[:len(data) // 2 * 2]))
    if sys.byteorder == "little":
        codes.byteswap()
    return set(codes)


def _scan(content: pikepdf.Object, resources: pikepdf.Object | None, shown: dict[tuple[int, int], bytearray],
          fonts: dict[tuple[int, int], tuple[str, pikepdf.Object]], seen: set[tuple[int, int]]) -> None:
    """Collect the strings a content stream (and the forms it draws) shows, per font object."""
    if resources is None:
        resources = pikepdf.Dictionary()
    font_dict = resources.get("/Font", pikepdf.Dictionary())
    for name, font in font_dict.items():
        if font.is_indirect:
            fonts.setdefault(font.objgen, (name, font))
    stack: list[bytearray | None] = []
    current: bytearray | None = None
    for operands, operator in pikepdf.parse_content_stream(content, "Tf TJ Tj ' \" q Q Do"):
        op = str(operator)
        if op == "Tf":
            font = font_dict.get(str(operands[0]))
            current = shown.setdefault(font.objgen, bytearray()) if font is not None and font.is_indirect else None
        elif op in TEXT_OPERATORS:
            if current is not None:
                operand = operands[-1]
                for item in operand if isinstance(operand, pikepdf.Array) else (operand,):
                    if isinstance(item, pikepdf.String):
                        data = bytes(item)
                        current += data[:len(data) // 2 * 2]
        elif op == "q":
            stack.append(current)
        elif op == "Q":
            current = stack.pop() if stack else current
        elif op == "Do":
            xobject = resources.get("/XObject", pikepdf.Dictionary()).get(str(operands[0]))
            if xobject is not None and xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                _scan(xobject, xobject.get("/Resources", resources), shown, fonts, seen)


def _font_glyphs(resource: str, font: pikepdf.Object, codes: set[int]) -> FontGlyphs | None:
    """The usage of one Type0 font with an embedded OpenType/TrueType program, or None for other fonts."""
    program = font_program(font)
    if program is None:
        return None
    data = program.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    descendant = font.DescendantFonts[0]
    widths = parse_widths(descendant.get("/W", pikepdf.Array()), codes)
    default_width = descendant.get("/DW", 1000)
    texts = _parsed_cmap(font.ToUnicode.read_bytes()) if "/ToUnicode" in font else {}
    repaired = repaired_texts(digest, lambda: data)
    chosen: dict[int, str] = {}
    for code in sorted(codes):
        text = texts.get(code)
        if code in repaired and (text is None or not natural(text)):
            text = repaired[code]
        if text is not None:
            chosen[code] = text
    encoding = font.get("/Encoding")
    notdef = missing_codes(encoding.read_bytes()) & codes if isinstance(encoding, pikepdf.Stream) else set()
    return FontGlyphs(
        resource=resource, program=digest, name=base_name(str(font.BaseFont)),
        widths=tuple((code, widths.get(code, number(default_width))) for code in sorted(codes)),
        texts=tuple(sorted(chosen.items())), notdef=tuple(sorted(notdef)))


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


def base_name(base_font: str) -> str:
    """A BaseFont without its leading slash and subset tag: "/ABCDEF+Coopbook-Serif" -> "Coopbook-Serif"."""
    name = base_font.lstrip("/")
    return name[7:] if re.match(r"[A-Z]{6}\+", name) else name


def number(value: Any) -> Width:
    """A PDF number as int when integral, else float."""
    result = float(value)
    return int(result) if result.is_integer() else result


def parse_widths(array: pikepdf.Array, wanted: set[int]) -> dict[int, Width]:
    """The /W entries of a CIDFont for the wanted codes (both `c [w…]` and `c1 c2 w` forms)."""
    items = list(array)
    widths: dict[int, Width] = {}
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for offset, width in enumerate(items[i + 1]):
                if first + offset in wanted:
                    widths[first + offset] = number(width)
            i += 2
        else:
            last, width = int(items[i + 1]), number(items[i + 2])
            widths.update((code, width) for code in wanted if first <= code <= last)
            i += 3
    return widths


HEX = rb"<([0-9A-Fa-f]*)>"


def _utf16(hex_text: bytes) -> str:
    """Decode a CMap destination string (UTF-16BE hex)."""
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be", errors="replace")


_CMAPS: dict[bytes, dict[int, str]] = {}


def _parsed_cmap(data: bytes) -> dict[int, str]:
    """parse_cmap, remembered by content (every part embeds the same full-font ToUnicode)."""
    key = hashlib.sha1(data, usedforsecurity=False).digest()
    if key not in _CMAPS:
        if len(_CMAPS) >= 64:
            _CMAPS.pop(next(iter(_CMAPS)))
        _CMAPS[key] = parse_cmap(data)
    return _CMAPS[key]


def parse_cmap(data: bytes) -> dict[int, str]:
    """The code -> text mapping of a ToUnicode CMap (bfchar and bfrange sections)."""
    texts: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(HEX + rb"\s*" + HEX, block):
            texts.setdefault(int(src, 16), _utf16(dst))
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, rest in re.findall(HEX + rb"\s*" + HEX + rb"\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block):
            low, high = int(lo, 16), int(hi, 16)
            if rest.startswith(b"["):
                for offset, dst in enumerate(re.findall(HEX, rest)):
                    texts.setdefault(low + offset, _utf16(dst))
            else:
                start = _utf16(rest[1:-1])
                for offset in range(high - low + 1):
                    texts.setdefault(low + offset, start[:-1] + chr(ord(start[-1]) + offset) if start else "")
    return texts


def missing_codes(data: bytes) -> set[int]:
    """Codes an Encoding CMap sends to CID 0 (.notdef): the characters the fonts lacked."""
    codes: set[int] = set()
    for block in re.findall(rb"begincidchar(.*?)endcidchar", data, re.S):
        codes.update(int(src, 16) for src, cid in re.findall(HEX + rb"\s*(\d+)", block) if int(cid) == 0)
    return codes - {0}


def natural(text: str) -> bool:
    """Whether text is what a reader typed, not a private-use or presentation form (ligature, small cap…)."""
    for char in text:
        point = ord(char)
        if 0xE000 <= point <= 0xF8FF or 0xFB00 <= point <= 0xFB4F or point >= 0xF0000:
            return False
        if unicodedata.decomposition(char).split(" ")[0] in ("<super>", "<sub>", "<small>", "<fraction>"):
            return False
    return True


_REPAIRED: dict[str, dict[int, str]] = {}


def repaired_texts(digest: str, data: Callable[[], bytes]) -> dict[int, str]:
    """GSUB-derived text of a font program's glyphs, computed once per program and process."""
    if digest not in _REPAIRED:
        if len(_REPAIRED) >= 32:
            _REPAIRED.pop(next(iter(_REPAIRED)))
        _REPAIRED[digest] = gsub_texts(data())
    return _REPAIRED[digest]


def gsub_texts(data: bytes) -> dict[int, str]:
    """Text for glyphs reached through GSUB (ligatures, small capitals, figure styles), from the font itself.

    A full-font ToUnicode only knows the cmap, so a ligature reads as U+FB01 or nothing and a small capital as
    a private-use character; here each substituted glyph gets the text of the glyphs it replaces, following
    the features in FEATURE_PRIORITY order (first assignment wins).
    """
    font = TTFont(io.BytesIO(data), lazy=True, fontNumber=0)
    order = font.getGlyphOrder()
    gid = {name: i for i, name in enumerate(order)}
    base: dict[int, str] = {}
    for point, name in sorted(font.getBestCmap().items()):
        base.setdefault(gid[name], chr(point))
    if "GSUB" not in font or font["GSUB"].table.LookupList is None:
        return {}
    table = font["GSUB"].table
    lookups = table.LookupList.Lookup
    by_feature: dict[str, list[int]] = {}
    for record in table.FeatureList.FeatureRecord if table.FeatureList else ():
        by_feature.setdefault(record.FeatureTag, []).extend(record.Feature.LookupListIndex)
    ranked = [tag for tag in FEATURE_PRIORITY if tag in by_feature] + sorted(set(by_feature) - set(FEATURE_PRIORITY))
    ordered: list[int] = []
    for index in [i for tag in ranked for i in sorted(by_feature[tag])] + list(range(len(lookups))):
        if index not in ordered:
            ordered.append(index)
    derived: dict[int, str] = {}

    def text_of(name: str) -> str | None:
        glyph = gid.get(name)
        return derived.get(glyph, base.get(glyph)) if glyph is not None else None

    def offer(name: str, text: str | None) -> bool:
        glyph = gid.get(name)
        if glyph is None or text is None or not text or glyph in derived:
            return False
        if glyph in base and natural(base[glyph]):
            return False
        derived[glyph] = text
        return True

    for _ in range(3):
        changed = False
        for index in ordered:
            for kind, mapping in _substitutions(lookups[index]):
                for source in sorted(mapping, key=lambda name: (text_of(name) or "\U0010ffff", name)):
                    if kind == "ligature":
                        for ligature in mapping[source]:
                            parts = [text_of(source), *(text_of(c) for c in ligature.Component)]
                            if all(parts):
                                changed |= offer(ligature.LigGlyph, "".join(p for p in parts if p))
                    else:
                        for target in mapping[source]:
                            changed |= offer(target, text_of(source))
        if not changed:
            break
    return derived


def _substitutions(lookup: Any) -> Iterable[tuple[str, Mapping[str, Sequence[Any]]]]:
    """The single, alternate and ligature substitutions of one GSUB lookup (extension lookups unwrapped)."""
    for sub in lookup.SubTable:
        kind = lookup.LookupType
        if kind == 7:
            kind, sub = sub.ExtensionLookupType, sub.ExtSubTable
        if kind == 1:
            yield "single", {source: [target] for source, target in sub.mapping.items()}
        elif kind == 3:
            yield "single", dict(sub.alternates)
        elif kind == 4:
            yield "ligature", dict(sub.ligatures)


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
