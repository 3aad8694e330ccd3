"""The real book, end to end: every word of the seed reaches the PDF and the EPUB, in order; the EPUB is valid."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest

from coopbook.pipeline import Output

from readers import Epub, epubcheck, pdf_pages, sentences, squash, strip_margins, text_operations

CLOSING_START = "ILO COOP 100 is a unique opportunity"


def seed_parts(seed: str) -> dict[str, list[str]]:
    """Split the seed into its header lines, series paragraph, body paragraphs and the closing paragraph."""
    lines = [line for line in seed.splitlines() if line.strip()]
    dateline = next(i for i, line in enumerate(lines) if line.startswith("Article |"))
    body = lines[dateline + 1 :]
    return {
        "title": [lines[0]],
        "interviewee": [lines[1]],
        "series": [lines[2]],
        "dateline": [lines[dateline]],
        "body": [p for p in body if not p.startswith(CLOSING_START)],
        "closing": [p for p in body if p.startswith(CLOSING_START)],
        "questions": [p for p in body if p.rstrip().endswith("?")],
    }


def assert_in_order(haystack: str, needles: list[str], start: int = 0) -> int:
    """Each needle is found after the previous one; return the end position of the last."""
    position = start
    for needle in needles:
        found = haystack.find(squash(needle), position)
        assert found >= 0, f"not found in order: {needle!r}"
        position = found + len(squash(needle))
    return position


def body_sentences(paragraphs: list[str]) -> list[str]:
    return [s for p in paragraphs for s in sentences(p)]


@pytest.fixture(scope="module")
def pdf_text(real_book: dict[str, Output]) -> str:
    heads = {"ILO COOP 100", "Alexandre Soho"}
    return squash("\n".join(strip_margins(t, heads) for t in pdf_pages(real_book["pdf"].path)))


def test_seed_has_the_expected_shape(seed_text: str) -> None:
    parts = seed_parts(seed_text)
    assert len(parts["questions"]) == 5
    assert len(parts["closing"]) == 1
    assert len(body_sentences(parts["body"])) > 30


def test_pdf_has_every_sentence_in_order(seed_text: str, pdf_text: str) -> None:
    parts = seed_parts(seed_text)
    after_intro = assert_in_order(pdf_text, body_sentences(parts["series"]))
    after_body = assert_in_order(pdf_text, body_sentences(parts["body"]), after_intro)
    # The editor's recorded correction: the closing message is printed after the last answer.
    assert_in_order(pdf_text, body_sentences(parts["closing"]), after_body)


def test_pdf_has_every_question_and_the_header(seed_text: str, pdf_text: str) -> None:
    parts = seed_parts(seed_text)
    for question in parts["questions"]:
        assert squash(question) in pdf_text
    honorific_name, role = parts["interviewee"][0].split(", ", 1)
    assert squash(honorific_name.removeprefix("Mr ")) in pdf_text
    assert squash(role) in pdf_text
    assert squash("22 July 2020") in pdf_text
    assert squash(parts["title"][0]) in pdf_text


def test_epub_has_every_sentence_in_order(seed_text: str, real_book: dict[str, Output]) -> None:
    book = Epub.open(real_book["epub"].path)
    text = squash(" ".join(book.text_of(name) for name in book.spine_documents()))
    parts = seed_parts(seed_text)
    after_intro = assert_in_order(text, body_sentences(parts["series"]))
    after_body = assert_in_order(text, body_sentences(parts["body"]), after_intro)
    assert_in_order(text, body_sentences(parts["closing"]), after_body)
    for question in parts["questions"]:
        assert squash(question) in text


@pytest.mark.slow
def test_epub_passes_epubcheck_with_no_error_and_no_warning(real_book: dict[str, Output]) -> None:
    assert epubcheck(real_book["epub"].path) == []


def test_epub_metadata(real_book: dict[str, Output]) -> None:
    opf = Epub.open(real_book["epub"].path).opf
    ns = {"dc": "http://purl.org/dc/elements/1.1/"}
    assert opf.findtext(".//dc:title", namespaces=ns) == "ILO COOP 100"
    assert opf.findtext(".//dc:language", namespaces=ns) == "en-GB"
    assert opf.findtext(".//dc:identifier", namespaces=ns).startswith("urn:uuid:")
    assert opf.findtext(".//dc:creator", namespaces=ns) == "ILO Cooperatives Unit"
    assert opf.findtext(".//dc:date", namespaces=ns)


def test_contents_folio_is_where_the_interview_opens(real_book: dict[str, Output]) -> None:
    reader = pypdf.PdfReader(str(real_book["pdf"].path))
    labels = reader.page_labels
    texts = [p.extract_text() for p in reader.pages]
    contents = next(t for t in texts if t.lstrip().startswith("Contents"))
    folio = re.search(r"Alexandre Soho[ .]*?(\d+)", contents)
    assert folio, contents
    opening = next(i for i, t in enumerate(texts) if "ilo coop 100 interview\nAlexandre Soho" in t)  # lower-case
    assert labels[opening] == folio.group(1)
    assert opening % 2 == 0, "the interview must open on a right-hand page"


def printed_folio(page_text: str, heads: set[str]) -> str | None:
    """The folio printed in the margin of a page (with or beside a running head), if any.

    Body and index folios are drawn first (the page furniture, under the text), front matter folios last.
    """
    lines = [line.strip() for line in page_text.splitlines() if line.strip()]
    if not lines:
        return None
    for line in (lines[0], lines[-1]):
        if re.fullmatch(r"\d+|[ivxlc]+", line):
            return line
        for head in heads:
            match = re.fullmatch(rf"(\d+) {re.escape(head)}|{re.escape(head)} (\d+)", line)
            if match:
                return match.group(1) or match.group(2)
    return None


def test_page_labels_match_printed_folios(real_book: dict[str, Output]) -> None:
    reader = pypdf.PdfReader(str(real_book["pdf"].path))
    labels = reader.page_labels
    assert labels[0] == "i"
    assert labels.index("1") % 2 == 0
    heads = {"ILO COOP 100", "Alexandre Soho"}
    printed = [printed_folio(page.extract_text() or "", heads) for page in reader.pages]
    checked = [(label, folio) for label, folio in zip(labels, printed, strict=True) if folio is not None]
    assert len(checked) >= len(labels) // 2, "most pages carry a folio"
    assert all(label == folio for label, folio in checked), checked
    drawn = text_operations(real_book["pdf"].path)
    blanks = [i for i, page in enumerate(reader.pages) if not strip_margins(page.extract_text() or "", heads).strip()]
    assert blanks, "the real book has blank versos"
    for i in blanks:
        assert drawn[i] == 0, f"blank page {labels[i]} draws text: a folio ({printed[i]}) or a running head"
    assert all(drawn[i] > 0 for i, folio in enumerate(printed) if folio is not None), "a folio is drawn text"


def test_pdf_metadata(real_book: dict[str, Output]) -> None:
    reader = pypdf.PdfReader(str(real_book["pdf"].path))
    assert reader.metadata.title.startswith("ILO COOP 100")
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in reader.trailer["/Root"]


def test_outputs_named_after_the_slug(real_book: dict[str, Output]) -> None:
    assert real_book["pdf"].path.name == "ilo-coop-100.pdf"
    assert real_book["print"].path.name == "ilo-coop-100-print.pdf"
    assert real_book["epub"].path.name == "ilo-coop-100.epub"
    assert Path(real_book["epub"].path).read_bytes()[:2] == b"PK"
