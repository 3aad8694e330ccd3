"""Characters no shipped font can draw: `check` warns at each value that has some (they print as boxes).

The cmaps of the fonts in templates/fonts are read with fontTools; with a cache folder, what they cover is kept
between builds under a digest of the fonts (`kept_coverage`: reading the cmaps took ~0.11 s of every build's
validate stage), so a font added or changed in a watch session is read again.
"""

from __future__ import annotations

import importlib.metadata
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from ..errors import Problem, Problems
from ..interviewcache import code_digest, digest, folder_stamp
from ..lastvalue import remembered
from ..records import items, whole
from ..source.book import Book
from ..source.yamlreader import YamlDoc, string_values
from ..templating import TEMPLATES

FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")
INVISIBLE = ("Cc", "Cf", "Zl", "Zp")  # controls and format characters draw nothing: no glyph needed
SHOWN = 8  # characters named in one warning


def covered_characters(fonts: Path = TEMPLATES / "fonts") -> frozenset[int]:
    """Every code point some font in the folder maps to a glyph (read each time: see `kept_coverage`)."""
    from fontTools.ttLib import TTFont  # when a check reads the fonts (not cached), not at start-up

    codes: set[int] = set()
    for path in sorted(p for p in fonts.iterdir() if p.suffix.lower() in FONT_SUFFIXES):
        font = TTFont(path, lazy=True)
        try:
            codes.update(font.getBestCmap() or {})
        finally:
            font.close()
    return frozenset(codes)


def kept_coverage(cache_dir: Path | None, fonts: Path = TEMPLATES / "fonts") -> frozenset[int]:
    """`covered_characters`, kept in the cache folder (if any) under a digest of the fonts and of the code and
    fontTools version that read them."""
    def key() -> str:
        return digest("glyphs", code_digest(), importlib.metadata.version("fonttools"), folder_stamp(fonts))
    return remembered(cache_dir, "glyphs", key, lambda: covered_characters(fonts), sorted,
                      lambda data: frozenset(whole(code) for code in items(data)))


def missing_glyphs(text: str, covered: frozenset[int]) -> list[str]:
    """The distinct characters of text, in order, that no font covers and that draw something."""
    if not any(ord(c) not in covered and not c.isspace() and unicodedata.category(c) not in INVISIBLE
               for c in set(text)):
        return []  # the common case, found by looking at each distinct character once
    found: dict[str, None] = {}
    for char in text:
        if ord(char) not in covered and not char.isspace() and unicodedata.category(char) not in INVISIBLE:
            found.setdefault(char, None)
    return list(found)


def glyph_warnings(book: Book, fonts: Path = TEMPLATES / "fonts", docs: Sequence[YamlDoc] | None = None,
                   covered: frozenset[int] | None = None) -> tuple[Problem, ...]:
    """A warning at every value of book.yaml and the interviews (or of the docs given) with characters no shipped
    font has (covered: what the fonts have, when known)."""
    covered = covered_characters(fonts) if covered is None else covered
    problems = Problems()
    if docs is None:
        docs = [book.config_source] if book.config_source is not None else []
        docs += [book.sources[interview.id] for interview in book.interviews]
    for doc in docs:
        for ypath, text in string_values(doc.data, ()):
            missing = missing_glyphs(text, covered)
            if not missing:
                continue
            first = missing[0]
            codes = ", ".join(f"U+{ord(c):04X}" for c in missing[:SHOWN]) + (", …" if len(missing) > SHOWN else "")
            problems.warning(doc.locate(ypath, text, text.index(first), first),
                             "no font of the book has these characters: they print as empty boxes",
                             "".join(missing[:SHOWN]), f"{codes}; write them another way or add a font that has "
                             "them to templates/fonts")
    return tuple(problems.items)


