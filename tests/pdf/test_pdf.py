"""The PDF as a printer and a reader check it: page geometry, fonts, folios, bookmarks, footnotes, tags."""

from __future__ import annotations

import re

import pypdf
import pytest

from coopbook.pipeline import Output

from readers import pdf_pages, strip_margins, text_operations

SHIPPED_FONTS = {"Coopbook-Serif", "Coopbook-Serif-Italic", "Coopbook-Serif-Bold", "Coopbook-Serif-Bold-Italic",
                 "Coopbook-Sans", "Coopbook-Sans-Bold"}


def fonts_of(reader: pypdf.PdfReader) -> dict[str, bool]:
    """Base font names used on any page, with whether each is embedded."""
    found: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor_font = descendants[0].get_object() if descendants else font
            descriptor = descriptor_font.get("/FontDescriptor").get_object()
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font["/BaseFont"]).lstrip("/")] = embedded
    return found


@pytest.mark.parametrize("fmt", ["pdf", "print"])
def test_only_the_shipped_fonts_embedded_and_subset(real_book: dict[str, Output], mini_book: dict[str, Output],
                                                    fmt: str) -> None:
    for book in (real_book, mini_book):
        fonts = fonts_of(pypdf.PdfReader(str(book[fmt].path)))
        assert fonts, "no fonts found"
        for name, embedded in fonts.items():
            subset, _, family = name.partition("+")
            assert re.fullmatch(r"[A-Z]{6}", subset), f"{name} is not subset"
            assert family in SHIPPED_FONTS, f"fallback font {name} in the PDF"
            assert embedded, f"{name} is not embedded"


def test_print_variant_has_trim_and_bleed_and_screen_has_none(mini_book: dict[str, Output]) -> None:
    screen = pypdf.PdfReader(str(mini_book["pdf"].path))
    press = pypdf.PdfReader(str(mini_book["print"].path))
    assert len(press.pages) == len(screen.pages) + len(screen.pages) % 2  # the print PDF ends on a verso
    mm = 72 / 25.4
    for page in screen.pages:
        assert "/TrimBox" not in page and "/BleedBox" not in page
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width / mm), round(height / mm)) == (148, 210)
    for page in press.pages:
        trim, bleed, media = page["/TrimBox"], page["/BleedBox"], page.mediabox
        assert round((float(trim[2]) - float(trim[0])) / mm) == 148
        assert round((float(trim[3]) - float(trim[1])) / mm) == 210
        assert round((float(trim[0]) - float(bleed[0])) / mm, 1) == 5.0  # book.yaml: bleed 5mm
        assert round((float(bleed[0]) - float(media[0])) / mm) >= 5, "room for crop marks outside the bleed"
        assert b"/Artifact" in page.get_contents().get_data(), "crop marks drawn as artifacts"


def test_every_interview_opens_on_a_right_hand_page(mini_book: dict[str, Output]) -> None:
    reader = pypdf.PdfReader(str(mini_book["pdf"].path))
    labels = reader.page_labels
    texts = [p.extract_text() or "" for p in reader.pages]
    for name in ("Jürgen von Muralt", "María Pérez Muñoz"):
        opening = next(i for i, t in enumerate(texts) if f"test series\n{name}" in t)  # label set lower-case
        assert int(labels[opening]) % 2 == 1, f"{name} opens on page {labels[opening]}"


MINI_HEADS = {"Test Anthology", "Test Series", "Jürgen von Muralt", "María Pérez Muñoz"}


@pytest.mark.parametrize("variant", ["pdf", "print"])
def test_blank_pages_draw_no_text_and_no_folio(mini_book: dict[str, Output], variant: str) -> None:
    path = mini_book[variant].path
    texts, drawn = pdf_pages(path), text_operations(path)
    # A page with no body text is blank, whatever its margins print: a folio or a running head alone selects it.
    blanks = [i for i, text in enumerate(texts) if not strip_margins(text, MINI_HEADS).strip()]
    assert blanks, "the mini book has blank versos (each interview opens on a recto)"
    for i in blanks:
        assert i % 2 == 1, "only versos may be blank"
        assert drawn[i] == 0, f"blank page {i} draws text ({texts[i]!r}): a folio or a running head"


def test_the_blank_page_check_sees_a_folio(mini_book: dict[str, Output]) -> None:
    """The check above can fail: a page that prints only a folio counts as blank, and a folio is drawn text."""
    path = mini_book["pdf"].path
    texts, drawn = pdf_pages(path), text_operations(path)
    folioed = next(i for i, text in enumerate(texts) if text.splitlines() and text.splitlines()[-1] == "iv")
    assert drawn[folioed] > 0
    assert not strip_margins("iv", MINI_HEADS).strip() and not strip_margins("Test Series 3", MINI_HEADS).strip()


def test_contents_lists_each_interview_at_its_page(mini_book: dict[str, Output]) -> None:
    reader = pypdf.PdfReader(str(mini_book["pdf"].path))
    labels = reader.page_labels
    texts = [p.extract_text() or "" for p in reader.pages]
    contents = next(t for t in texts if t.lstrip().startswith("Contents"))
    for name in ("Jürgen von Muralt", "María Pérez Muñoz"):
        listed = re.search(rf"{name}[ .]*?(\d+)\n", contents)
        assert listed, contents
        opening = next(i for i, t in enumerate(texts) if f"test series\n{name}" in t)  # label set lower-case
        assert labels[opening] == listed.group(1)


def test_bookmarks_cover_front_matter_and_every_interview(mini_book: dict[str, Output]) -> None:
    reader = pypdf.PdfReader(str(mini_book["pdf"].path))
    titles = {item.title: reader.get_destination_page_number(item) for item in reader.outline
              if not isinstance(item, list)}
    labels = reader.page_labels
    assert {"Contents", "Introduction", "Jürgen von Muralt", "María Pérez Muñoz"} <= set(titles)
    assert labels[titles["Jürgen von Muralt"]] == "1"


def test_footnotes_sit_at_the_foot_of_their_page(mini_book: dict[str, Output]) -> None:
    reader = pypdf.PdfReader(str(mini_book["pdf"].path))
    page = next(p.extract_text() for p in reader.pages if "It began in Geneva" in (p.extract_text() or ""))
    lines = page.splitlines()
    note = next(i for i, line in enumerate(lines) if "A note about Geneva." in line)
    call = next(i for i, line in enumerate(lines) if "It began in Geneva" in line)
    assert note > call
    assert "Geneva.1" in page.replace(" ", "")


def test_document_is_tagged_with_title_language_and_metadata(mini_book: dict[str, Output]) -> None:
    reader = pypdf.PdfReader(str(mini_book["pdf"].path))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"
    meta = reader.metadata
    assert meta.title == "Test Anthology: Small and Complete"
    assert meta.author == "Ada Editor"
    assert meta["/CreationDate"].startswith("D:20240501")


def test_page_labels_roman_then_arabic(mini_book: dict[str, Output]) -> None:
    labels = pypdf.PdfReader(str(mini_book["pdf"].path)).page_labels
    first_arabic = labels.index("1")
    assert labels[:first_arabic] == ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"][:first_arabic]
    assert labels[first_arabic:] == [str(n) for n in range(1, len(labels) - first_arabic + 1)]
    assert first_arabic % 2 == 0


def test_images_are_drawn_with_their_alt_text_in_the_structure(mini_book: dict[str, Output]) -> None:
    import pikepdf

    with pikepdf.open(mini_book["pdf"].path) as pdf:
        alts = [str(o.Alt) for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/Alt" in o]
    assert alts == ["Two cooperatives joined by a line"]


def test_index_sections_are_bookmarked_under_index(real_book: dict[str, Output]) -> None:
    reader = pypdf.PdfReader(str(real_book["pdf"].path))
    outline = reader.outline
    titles = [item.title for item in outline if not isinstance(item, list)]
    assert "Index" in titles
    position = next(i for i, item in enumerate(outline) if not isinstance(item, list) and item.title == "Index")
    children = outline[position + 1]
    assert isinstance(children, list)
    assert [c.title for c in children] == ["People", "Countries", "ILO programmes", "Organisations"]
    labels = reader.page_labels
    for child in children:
        assert labels[reader.get_destination_page_number(child)].isdigit()
