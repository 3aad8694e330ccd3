"""One part laid out and written on its own (coopbook.layout.part), then two parts assembled (coopbook.pdf)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pikepdf
import pypdf
import pytest

from coopbook.layout.part import PartResult, PartSpec, Style, font_programs, lay_out, write_part
from coopbook.layout.partpdf import LINK_SCHEME, STRIPPED_KEY
from coopbook.pdf.assemble import AssemblyInfo, assemble_report
from coopbook.templating import TEMPLATES

GEOMETRY = "@page { size: 105mm 148mm; }"
TEXT = "Cooperatives of small farmers met each season to settle prices and share the harvest. " * 12


def part_html(key: str, title: str, paragraphs: int, link: str) -> str:
    """A part with a heading (a bookmark), numbered paragraphs with ids and one in-book link."""
    body = "".join(f'<p id="{key}-{n}">{TEXT}</p>' for n in range(1, paragraphs + 1))
    return (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body class="part"><article><h1 id="{key}" class="interviewee" data-runhead="{title}">{title}</h1>'
            f'<p><a href="#{link}">See {link}.</a></p>{body}</article></body></html>')


@pytest.fixture(scope="module")
def style() -> Style:
    """The project's templates and fonts, on a small page."""
    return Style.create(TEMPLATES, GEOMETRY)


@pytest.fixture(scope="module")
def parts(style: Style) -> list[PartResult]:
    """Two parts, each linking into the other, the second starting on the folio after the first."""
    first_spec = PartSpec("one", "interview", part_html("one", "First", 6, "two-2"))
    first_doc, first = lay_out(style, first_spec, 1, placeholders=True)
    second_spec = PartSpec("two", "interview", part_html("two", "Second", 3, "one-5"))
    second_doc, second = lay_out(style, second_spec, first.first_folio + first.page_count, placeholders=True)
    return [write_part(first_doc, first, style), write_part(second_doc, second, style)]


def test_a_part_knows_its_pages_and_anchors(parts: list[PartResult]) -> None:
    first, second = (p.layout for p in parts)
    assert first.page_count >= 3 and first.folios == range(1, first.page_count + 1)
    folios = [first.anchors[f"one-{n}"] for n in range(1, 7)]
    assert first.anchors["one"] == 1 and folios == sorted(folios) and first.page_count - 1 <= folios[-1]
    assert second.first_folio == first.page_count + 1 and second.anchors["two"] == second.first_folio
    assert len(first.page_offsets) == first.page_count and first.page_offsets[0] == 0
    assert list(first.page_offsets) == sorted(set(first.page_offsets))


def test_a_part_pdf_keeps_links_as_placeholders_and_leaves_the_book_fonts_out(parts: list[PartResult]) -> None:
    pdf = pikepdf.open(io.BytesIO(parts[0].pdf))
    uris = [str(a.A.URI) for page in pdf.pages for a in page.obj.get("/Annots", ()) if "/A" in a]
    assert uris == [f"{LINK_SCHEME}two-2"]
    stripped = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and STRIPPED_KEY in obj]
    assert stripped and all(not s.read_bytes() and str(s[STRIPPED_KEY]) in font_programs(TEMPLATES)
                            for s in stripped)
    assert "Coopbook-Serif" in {font.name for font in parts[0].glyphs.fonts}


def widths_ids(widths: pikepdf.Array) -> set[int]:
    """The glyph ids a /W array gives widths for (`first [w w ...]` runs; `first last w` ranges)."""
    ids: set[int] = set()
    items = list(widths)
    while items:
        first = int(items.pop(0))
        if isinstance(items[0], pikepdf.Array):
            ids.update(range(first, first + len(items.pop(0))))
        else:
            last = int(items.pop(0))
            items.pop(0)
            ids.update(range(first, last + 1))
    return ids


def test_a_part_pdf_describes_the_glyphs_it_draws_only(parts: list[PartResult]) -> None:
    # each program whole (so left out: none is embedded), but widths and ToUnicode for the glyphs drawn only: not
    # the whole font's, which WeasyPrint's full_fonts writes (~0.1 s a part, thrown away by the assembler)
    from weasyprint.pdf.fonts import Font

    from coopbook.layout.partpdf import _keep_whole

    for result in parts:
        pdf = pikepdf.open(io.BytesIO(result.pdf))
        usage = result.glyphs.by_resource()
        fonts = {str(name): font for page in pdf.pages for name, font in page.Resources.Font.items()}
        assert fonts and set(fonts) == set(usage)
        for name, font in fonts.items():
            drawn = {glyph for glyph, _ in usage[name].widths}
            assert widths_ids(font.DescendantFonts[0].W) == drawn
            cmap = font.ToUnicode.read_bytes().decode("ascii")
            assert sum(int(n) for n in re.findall(r"(\d+) beginbfchar", cmap)) == len(usage[name].texts)
            program = next(font.DescendantFonts[0].FontDescriptor[key] for key in ("/FontFile2", "/FontFile3")
                           if key in font.DescendantFonts[0].FontDescriptor)
            assert STRIPPED_KEY in program and not program.read_bytes()
    assert Font.subset is not _keep_whole  # WeasyPrint's own subsetting is back once a part is written


def test_two_parts_assembled(parts: list[PartResult]) -> None:
    when = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    info = AssemblyInfo("Book", ("Ed",), None, (), "coopbook test", "en-GB", when, when, front_pages=0)
    result = assemble_report([p.pdf for p in parts], [p.glyphs for p in parts], info, None,
                             font_programs(TEMPLATES))
    total = sum(p.layout.page_count for p in parts)
    assert result.pages == total and result.dropped_links == ()
    pdf = pikepdf.open(io.BytesIO(result.pdf))
    names = pikepdf.NameTree(pdf.Root.Names.Dests)
    assert {"one", "one-5", "two", "two-2"} <= set(names.keys())
    page_of = {page.objgen: n for n, page in enumerate(pdf.pages)}
    targets = {str(a.Dest): page_of[names[str(a.Dest)][0].objgen]
               for page in pdf.pages for a in page.obj.get("/Annots", ()) if "/Dest" in a}
    assert targets == {"two-2": parts[1].layout.anchors["two-2"] - 1, "one-5": parts[0].layout.anchors["one-5"] - 1}
    assert [item.title for item in pdf.open_outline().root] == ["First", "Second"]
    reader = pypdf.PdfReader(io.BytesIO(result.pdf))
    assert reader.page_labels == [str(n) for n in range(1, total + 1)]
    assert all("/TrimBox" not in page.obj for page in pdf.pages)
    assert "Cooperatives of small farmers" in " ".join(reader.pages[0].extract_text().split())  # justified: wide spaces
