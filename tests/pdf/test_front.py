"""The front matter as a designer signs it off: the contents (Introduction, Note on the text, interviews, one Index
entry, no entry split across pages), the copyright page set at its foot, the Note on the text with identical
editorial notes merged, in the PDF and the EPUB."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest
import yaml

from coopbook.pipeline import BuildOptions, Output, build

from makers import make_book
from readers import Epub, epubcheck, pdf_pages

SHARED_NOTE = "The order of the answers follows the printed edition, not the web page."
OWN_NOTE = "A repeated sentence of the third answer is printed once."
SHARED_BY = (3, 17)  # two interviews with the same note
OWN_BY = 25
LEADER_FOLIO = re.compile(r"^(?P<title>.+?)[ .]*\.\s*(?P<folio>\d+|[ivxlcdm]+)$")


def name(n: int) -> str:
    """The interviewee of make_book's interview n."""
    return f"Person Number{n:02d}"


def add_note(content: Path, n: int, text: str) -> None:
    """Give make_book's interview n an editorial note."""
    path = content / "interviews" / f"person-{n:02d}.yaml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    doc["editorial_notes"] = [{"date": "2026-11-29", "note": text}]
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")


@pytest.fixture(scope="module")
def forty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Output]:
    """A book of forty short interviews (the contents runs over pages), two sharing an editorial note."""
    work = tmp_path_factory.mktemp("forty")
    content = make_book(work, [2] * 40)
    for n in SHARED_BY:
        add_note(content, n, SHARED_NOTE)
    add_note(content, OWN_BY, OWN_NOTE)
    return {o.format: o for o in build(BuildOptions(content, work / "build", ("pdf", "epub")))}


def contents_lines(path: Path) -> list[tuple[str, int, str]]:
    """(page label, page index, line) of every line of the contents pages: from the page titled Contents to the
    one before the Introduction."""
    reader = pypdf.PdfReader(str(path))
    pages = pdf_pages(path)
    first = next(n for n, text in enumerate(pages) if text.lstrip().startswith("Contents"))
    last = next(n for n, text in enumerate(pages) if text.lstrip().startswith("Introduction"))
    return [(reader.page_labels[n], n, line.strip()) for n in range(first, last)
            for line in pages[n].splitlines() if line.strip()]


def contents_folios(path: Path) -> dict[str, str]:
    """Each contents entry's title and the folio printed after its leader."""
    found = {}
    for _, _, line in contents_lines(path):
        match = LEADER_FOLIO.match(line)
        if match:
            found[match["title"].rstrip(" .")] = match["folio"]
    return found


def without_folio(text: str, label: str) -> str:
    """A page's text without the folio the page furniture draws first (under the text) on arabic pages."""
    first, _, rest = text.lstrip().partition("\n")
    return rest.lstrip() if first.strip() == label else text.lstrip()


def label_of_page_starting(path: Path, heading: str) -> str:
    """The page label of the first page whose text starts with a heading."""
    labels = pypdf.PdfReader(str(path)).page_labels
    return next(labels[n] for n, text in enumerate(pdf_pages(path))
                if without_folio(text, labels[n]).startswith(heading))


def text_heights(page: pypdf.PageObject) -> list[tuple[float, str]]:
    """(height above the page's foot, text) of every piece of text a page draws."""
    found: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            found.append((tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text.strip()))

    page.extract_text(visitor_text=visit)
    return found


@pytest.mark.slow
def test_no_contents_entry_splits_across_pages(forty: dict[str, Output]) -> None:
    """Forty entries run over pages; each name, its leader and folio and its role line are on one page."""
    lines = contents_lines(forty["pdf"].path)
    assert len({page for _, page, _ in lines}) > 1, "the contents fits one page: the test proves nothing"
    for n in range(40):
        at = [(i, page) for i, (_, page, line) in enumerate(lines) if line.startswith(name(n))]
        assert len(at) == 1, f"{name(n)} appears {len(at)} times in the contents"
        i, page = at[0]
        assert LEADER_FOLIO.match(lines[i][2]), f"{name(n)}'s folio is not on its line: {lines[i][2]!r}"
        assert lines[i + 1][1] == page and lines[i + 1][2] == "Cooperative organiser", \
            f"{name(n)}'s role is not below it on the same page"


@pytest.mark.slow
def test_forty_interviews_folios_lead_to_their_openings(forty: dict[str, Output]) -> None:
    path = forty["pdf"].path
    folios = contents_folios(path)
    reader = pypdf.PdfReader(str(path))
    pages = pdf_pages(path)
    body = reader.page_labels.index("1")
    for n in range(40):
        opening = next(i for i in range(body, len(pages)) if name(n) in pages[i])
        assert folios[name(n)] == reader.page_labels[opening]
    assert folios["Introduction"] == label_of_page_starting(path, "Introduction")
    assert folios["Note on the text"] == label_of_page_starting(path, "Note on the text")
    assert folios["Index"] == label_of_page_starting(path, "Index")


@pytest.mark.slow
def test_identical_notes_merged_in_the_note_on_the_text(forty: dict[str, Output]) -> None:
    """One note for the two interviews that share it, naming both; the other note on its own; none on the
    copyright page."""
    pages = pdf_pages(forty["pdf"].path)
    note = " ".join(text for text in pages if text.lstrip().startswith("Note on the text"))
    flat = re.sub(r"\s+", " ", note)
    assert flat.count(SHARED_NOTE) == 1
    assert f"{name(SHARED_BY[0])}, {name(SHARED_BY[1])}" in flat
    assert flat.count(OWN_NOTE) == 1 and name(OWN_BY) in flat
    copyright_page = next(text for text in pages if "©" in text)
    assert SHARED_NOTE not in re.sub(r"\s+", " ", copyright_page)


@pytest.mark.slow
def test_epub_note_on_the_text_merged_and_clean(forty: dict[str, Output]) -> None:
    book = Epub.open(forty["epub"].path)
    spine = book.spine_documents()
    note = "EPUB/note-on-the-text.xhtml"
    assert spine.index(note) == spine.index("EPUB/introduction.xhtml") + 1
    text = re.sub(r"\s+", " ", book.text_of(note))
    assert text.count(SHARED_NOTE) == 1 and f"{name(SHARED_BY[0])}, {name(SHARED_BY[1])}" in text
    assert SHARED_NOTE not in book.text_of("EPUB/copyright.xhtml")
    assert "Note on the text" in book.text_of("EPUB/nav.xhtml")
    assert epubcheck(forty["epub"].path) == []


def test_contents_lists_introduction_and_one_index(real_book: dict[str, Output]) -> None:
    """The Introduction at its roman folio, the index as one entry at its first page, no entry per section."""
    path = real_book["pdf"].path
    folios = contents_folios(path)
    assert folios["Introduction"] == label_of_page_starting(path, "Introduction")
    assert folios["Index"] == label_of_page_starting(path, "Index")
    assert not any(title.startswith("Index:") for title in folios)
    assert folios["Note on the text"] == label_of_page_starting(path, "Note on the text")


def test_copyright_page_set_at_its_foot(real_book: dict[str, Output]) -> None:
    """©, the rights line, the identifier and the colophon, all in the lower half of the page; no notes."""
    path = real_book["pdf"].path
    reader = pypdf.PdfReader(str(path))
    n = next(i for i, text in enumerate(pdf_pages(path)) if "©" in text)
    text = re.sub(r"\s+", " ", pdf_pages(path)[n])
    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "content" / "book.yaml").read_text("utf-8"))
    for wanted in ("© 2026 International Labour Organization", re.sub(r"\s+", " ", config["rights"]),
                   config["identifiers"]["uid"], "Typeset with coopbook"):
        assert wanted in text
    assert "Editorial notes" not in text
    height = float(reader.pages[n].mediabox.height)
    heights = [h for h, _ in text_heights(reader.pages[n])]
    assert heights and max(heights) < height / 2, "the copyright text is not at the foot of the page"


def test_series_label_set_from_lower_case(real_book: dict[str, Output]) -> None:
    """The label above the name is all small capitals, set from lower case: one glyph per letter, one case back
    (all-small-caps would draw capitals and lower case with the same glyphs and read back mixed)."""
    reader = pypdf.PdfReader(str(real_book["pdf"].path))
    opening = pdf_pages(real_book["pdf"].path)[reader.page_labels.index("1")]
    assert without_folio(opening, "1").startswith("ilo coop 100 interview\nAlexandre Soho")
