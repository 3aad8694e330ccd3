"""The book's fonts (coopbook.pdf.subset): usage merged across parts, one real font program subset and cached."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from coopbook.layout.partpdf import FontGlyphs, FontUsage
from coopbook.pdf.subset import (
    cached_subsets,
    encoding_cmap,
    merge_usage,
    subset_program,
    subset_requests,
    to_unicode_cmap,
    widths_array,
)
from coopbook.templating import TEMPLATES

FONT = (TEMPLATES / "fonts" / "LinLibertine_R.otf").read_bytes()
PROGRAM = hashlib.sha256(FONT).hexdigest()


def glyphs_of(text: str) -> dict[int, str]:
    """The glyph ids of the font's cmap for each character of text."""
    font = TTFont(io.BytesIO(FONT))
    order = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    cmap = font.getBestCmap()
    return {order[cmap[ord(ch)]]: ch for ch in text}


def usage(resource: str, texts: dict[int, str], width: int, notdef: tuple[int, ...] = ()) -> FontUsage:
    """One part's usage of the Libertine program under a resource name."""
    return FontUsage((FontGlyphs(resource, PROGRAM, "LinLibertine", tuple((g, width) for g in sorted(texts)),
                                 tuple(sorted(texts.items())), notdef),))


def test_merge_keeps_the_first_width_and_text_and_unites_missing_codes() -> None:
    first = usage("/A", {3: "a", 4: "b"}, 500)
    second = usage("/A", {4: "x", 5: "c"}, 600, notdef=(9,))
    other = usage("/B", {7: "d"}, 700)
    merged = merge_usage([first, second, other])
    assert list(merged) == [(PROGRAM, "/A"), (PROGRAM, "/B")]
    font = merged[(PROGRAM, "/A")]
    assert dict(font.widths) == {3: 500, 4: 500, 5: 600} and dict(font.texts) == {3: "a", 4: "b", 5: "c"}
    assert font.notdef == {9}
    glyphs, notdef_outline = subset_requests(merged)[PROGRAM]
    assert glyphs == {0, 3, 4, 5, 7} and notdef_outline


def test_subset_keeps_glyph_ids_and_drops_the_rest() -> None:
    wanted = glyphs_of("Office")
    data = subset_program(FONT, wanted, notdef_outline=False)
    assert len(data) < len(FONT) / 10
    original, subset = TTFont(io.BytesIO(FONT)), TTFont(io.BytesIO(data))
    for gid in wanted:
        assert subset.getGlyphOrder()[gid] == original.getGlyphOrder()[gid]
    assert len(subset.getGlyphOrder()) == max(wanted) + 1 < len(original.getGlyphOrder())


def test_subsets_are_cached_and_a_bad_entry_is_made_again(tmp_path: Path) -> None:
    requests = {PROGRAM: (frozenset({0, *glyphs_of("fjord")}), False)}
    first, made = cached_subsets(requests, {PROGRAM: FONT}.__getitem__, tmp_path)
    assert made == 1
    second, made = cached_subsets(requests, {PROGRAM: FONT}.__getitem__, tmp_path)
    assert made == 0 and second == first
    (entry,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    entry.write_bytes(entry.read_bytes()[:-10])
    third, made = cached_subsets(requests, {PROGRAM: FONT}.__getitem__, tmp_path)
    assert made == 1 and third == first


def test_widths_in_runs_and_cmaps_sorted() -> None:
    assert [x if isinstance(x, int) else [int(w) for w in x] for x in widths_array({5: 700, 1: 500, 2: 600})] == \
        [1, [500, 600], 5, [700]]
    cmap = to_unicode_cmap({0x42: "ffi", 0x03: "a"})
    assert cmap.index(b"<0003> <0061>") < cmap.index(b"<0042> <006600660069>")
    encoding = encoding_cmap({4, 9}, frozenset({9}))
    assert b"<0004> 4\n" in encoding and b"<0009> 0\n" in encoding


@pytest.mark.parametrize("bad", [b"", b"not a font"])
def test_a_program_fonttools_cannot_read_is_embedded_whole(bad: bytes, tmp_path: Path) -> None:
    results, made = cached_subsets({"x": (frozenset({0, 1}), False)}, {"x": bad}.__getitem__, None)
    assert made == 1 and results["x"][0] == bad
