"""The EPUB for distribution: valid, accessible, reproducible, with the print edition's page numbers."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pypdf
import pytest

from coopbook.pipeline import BuildOptions, Output, build

from readers import NS, Epub, epubcheck, squash, strip_margins

A11Y = {
    "schema:accessMode": {"textual"},
    "schema:accessModeSufficient": {"textual"},
    "schema:accessibilityFeature": {"tableOfContents", "index", "printPageNumbers", "pageNavigation", "readingOrder",
                                    "structuralNavigation", "alternativeText"},
    "schema:accessibilityHazard": {"none"},
    "dcterms:conformsTo": {"EPUB Accessibility 1.1 - WCAG 2.1 Level AA"},
}
EPUB_TYPE = f"{{{NS['epub']}}}type"


@pytest.mark.parametrize("which", ["real", "mini"])
def test_epubcheck_reports_nothing(real_book: dict[str, Output], mini_book: dict[str, Output], which: str) -> None:
    book = real_book if which == "real" else mini_book
    assert epubcheck(book["epub"].path) == []


def meta(opf) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for element in opf.iterfind(".//opf:metadata/opf:meta[@property]", NS):
        found.setdefault(element.get("property"), set()).add((element.text or "").strip())
    return found


def test_accessibility_metadata(real_book: dict[str, Output]) -> None:
    found = meta(Epub.open(real_book["epub"].path).opf)
    for prop, values in A11Y.items():
        assert found.get(prop) == values, prop
    assert len(next(iter(found["schema:accessibilitySummary"]))) > 80


def test_accessibility_summary_says_whether_the_book_has_images(real_book: dict[str, Output],
                                                                mini_book: dict[str, Output]) -> None:
    for book, has_images in ((real_book, False), (mini_book, True)):
        epub = Epub.open(book["epub"].path)
        summary = next(iter(meta(epub.opf)["schema:accessibilitySummary"]))
        shows_images = any(b"<img" in epub.read(name) for name in epub.names if name.endswith(".xhtml")
                           and name != "EPUB/cover.xhtml")
        assert shows_images == has_images
        assert ("no images other than the cover" in summary) == (not has_images), summary


def test_pagination_source_is_declared(real_book: dict[str, Output]) -> None:
    opf = Epub.open(real_book["epub"].path).opf
    source = opf.find(".//dc:source", NS)
    assert source is not None and source.get("id")
    refine = opf.find(f".//opf:meta[@refines='#{source.get('id')}']", NS)
    assert refine is not None and refine.get("property") == "source-of" and refine.text == "pagination"


def nav_of(book: Epub):
    opf = book.opf
    href = opf.find(".//opf:manifest/opf:item[@properties='nav']", NS).get("href")
    return book.href(href), book.xml(book.href(href))


def nav_list(nav, kind: str) -> list[tuple[str, str, str]]:
    element = next(n for n in nav.iterfind(".//x:nav", NS) if n.get(EPUB_TYPE) == kind)
    return [(a.get("href"), "".join(a.itertext()).strip(), a.get(EPUB_TYPE) or "")
            for a in element.iterfind(".//x:a", NS)]


def test_landmarks(real_book: dict[str, Output]) -> None:
    _, nav = nav_of(Epub.open(real_book["epub"].path))
    kinds = {kind for _, _, kind in nav_list(nav, "landmarks")}
    assert {"cover", "toc", "bodymatter", "index"} <= kinds


def resolve(book: Epub, base: str, href: str):
    file_name, _, fragment = href.partition("#")
    folder = base.rsplit("/", 1)[0] + "/" if "/" in base else ""
    doc = book.xml(folder + file_name) if file_name else book.xml(base)
    if not fragment:
        return doc
    return doc.find(f".//*[@id='{fragment}']")


@pytest.mark.parametrize("which", ["real", "mini"])
def test_page_list_has_every_body_page_and_resolves(real_book: dict[str, Output], mini_book: dict[str, Output],
                                                    which: str) -> None:
    outputs = real_book if which == "real" else mini_book
    book = Epub.open(outputs["epub"].path)
    base, nav = nav_of(book)
    pages = nav_list(nav, "page-list")
    reader = pypdf.PdfReader(str(outputs["pdf"].path))
    index_start = reader.get_destination_page_number(reader.named_destinations["index"]) \
        if "index" in reader.named_destinations else len(reader.pages)
    labels = reader.page_labels
    body = [label for label in labels[labels.index("1"):index_start] if label.isdigit()]
    body = body[: max(i for i, _ in enumerate(body)) + 1]
    # The index opens on a recto: a blank verso just before it belongs to the body.
    listed = [label for _, label, _ in pages]  # the roman front matter first, the index pages after the body
    assert listed[listed.index("1"):][:len(body)] == body
    for href, label, _ in pages:
        target = resolve(book, base, href)
        assert target is not None, href
        assert target.get(EPUB_TYPE) == "pagebreak" and target.get("aria-label") == label
        assert target.get("role") == "doc-pagebreak"


@pytest.mark.parametrize("which", ["real", "mini"])
def test_page_breaks_stand_before_the_first_words_of_each_print_page(real_book: dict[str, Output],
                                                                     mini_book: dict[str, Output],
                                                                     which: str) -> None:
    outputs = real_book if which == "real" else mini_book
    reader = pypdf.PdfReader(str(outputs["pdf"].path))
    labels = reader.page_labels
    book = Epub.open(outputs["epub"].path)
    heads = {"ILO COOP 100", "Alexandre Soho", "Test Anthology", "Jürgen von Muralt", "María Pérez Muñoz"}
    checked = 0
    for name in book.spine_documents():
        raw = book.read(name).decode("utf-8")
        for match in re.finditer(r'<span[^>]*epub:type="pagebreak"[^>]*aria-label="(\d+)"[^>]*/>', raw):
            page_text = strip_margins(reader.pages[labels.index(match.group(1))].extract_text() or "", heads)
            if not page_text.strip():
                continue  # a blank verso
            after = re.sub(r"<[^>]+>", "", raw[match.end():match.end() + 600])
            expected = squash(page_text)
            if Path(name).name.startswith("index-"):  # each EPUB index document starts at its section's title
                expected = expected.removeprefix("Index")
            expected = expected[:25].casefold()  # the PDF sets the series label in small capitals from lower case
            got = squash(after).casefold()  # a short index document may end first: the page goes on in the next
            assert got.startswith(expected) or (got and expected.startswith(got)), (match.group(1), got[:40], expected)
            checked += 1
    assert checked >= (4 if which == "real" else 2)


def test_every_document_declares_its_language_and_no_body_role(real_book: dict[str, Output]) -> None:
    book = Epub.open(real_book["epub"].path)
    for name in book.spine_documents():
        root = book.xml(name)
        assert root.get("lang") == "en-GB" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
        assert root.find("x:body", NS).get("role") is None


def test_headings_in_order(real_book: dict[str, Output]) -> None:
    book = Epub.open(real_book["epub"].path)
    for name in book.spine_documents():
        levels = [int(el.tag[-1]) for el in book.xml(name).iter() if re.fullmatch(r"\{.*\}h[1-6]", str(el.tag))]
        for before, after in zip(levels, levels[1:], strict=False):
            assert after <= before + 1, (name, levels)


def test_cover_image_is_declared_and_shown(real_book: dict[str, Output]) -> None:
    book = Epub.open(real_book["epub"].path)
    item = book.opf.find(".//opf:manifest/opf:item[@properties='cover-image']", NS)
    assert item is not None and item.get("media-type") in ("image/svg+xml", "image/jpeg", "image/png")
    assert book.read(book.href(item.get("href"))).startswith(b"\x89PNG")  # drawn from templates/epub/cover.svg
    cover_page = book.xml(book.spine_documents()[0])
    image = cover_page.find(".//x:img", NS)
    assert image is not None and "ILO COOP 100" in image.get("alt") and "Interviews" in image.get("alt")


def test_footnotes_are_epub_footnotes(mini_book: dict[str, Output]) -> None:
    book = Epub.open(mini_book["epub"].path)
    doc = book.xml(book.href("interview-jurgen-von-muralt.xhtml"))
    refs = [a for a in doc.iterfind(".//x:a", NS) if a.get(EPUB_TYPE) == "noteref"]
    notes = [a for a in doc.iterfind(".//x:aside", NS) if a.get(EPUB_TYPE) == "footnote"]
    assert len(refs) == 2 and len(notes) == 2
    for ref in refs:
        target = doc.find(f".//*[@id='{ref.get('href').lstrip('#')}']")
        assert target is not None and target.get(EPUB_TYPE) == "footnote"
    assert "A note about Geneva." in "".join(notes[0].itertext())


@pytest.mark.slow
def test_one_word_changes_only_the_affected_document(content_copy: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build(BuildOptions(content_copy, tmp_path / "a", ("epub",)))[0].path
    interview = content_copy / "interviews" / "alexandre-soho.yaml"
    interview.write_text(interview.read_text("utf-8").replace("a privilege:", "an honour:", 1), "utf-8")
    second = build(BuildOptions(content_copy, tmp_path / "b", ("epub",)))[0].path
    with zipfile.ZipFile(first) as one, zipfile.ZipFile(second) as two:
        assert one.namelist() == two.namelist()
        changed = [n for n in one.namelist() if one.read(n) != two.read(n)]
        assert [i.date_time for i in one.infolist()] == [i.date_time for i in two.infolist()]
        assert one.infolist()[0].filename == "mimetype" and one.infolist()[0].compress_type == zipfile.ZIP_STORED
    assert changed == ["EPUB/interview-alexandre-soho.xhtml"]


def test_css_uses_relative_units_only(real_book: dict[str, Output]) -> None:
    book = Epub.open(real_book["epub"].path)
    css = book.read(book.href("css/book.css")).decode("utf-8")
    assert not re.search(r"\d(px|pt|mm|cm|in)\b", css), "reading-system CSS must use relative units"
    assert "@page" not in css
    assert not re.search(r"(color|background)\s*:\s*(#|rgb|hsl|black|white)", css), "no fixed colours (night mode)"


def test_mini_book_index_uses_print_pages(mini_book: dict[str, Output], tmp_path: Path) -> None:
    book = Epub.open(mini_book["epub"].path)
    docs = [n for n in book.spine_documents() if "index-" in n]
    assert docs
    text = " ".join(book.text_of(n) for n in docs)
    assert re.search(r"Côte d’Ivoire, \d", text) and re.search(r"Muralt, Jürgen von, \d", text)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_images_travel_with_the_epub(mini_book: dict[str, Output]) -> None:
    book = Epub.open(mini_book["epub"].path)
    item = book.opf.find(".//opf:manifest/opf:item[@href='images/map.svg']", NS)
    assert item is not None and item.get("media-type") == "image/svg+xml"
    doc = book.xml(book.href("interview-maria-perez.xhtml"))
    image = doc.find(".//x:img", NS)
    assert image.get("src") == "images/map.svg" and image.get("alt") == "Two cooperatives joined by a line"
