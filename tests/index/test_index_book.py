"""The index of the real book, read back from the PDF and the EPUB and checked in both directions."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import pypdf
import pytest

from coopbook.index.model import RANGE_DASH, IndexEntry, page_locators
from coopbook.markdown.fragments import render_book
from coopbook.pipeline import Output, load
from coopbook.source.registry import Registry

from readers import NS, Epub, epubcheck, linked_number, pdf_words, squash

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("idx") / "content"
    shutil.copytree(REPO / "content", work)
    return load(work)


@pytest.fixture(scope="module")
def mention_keys(loaded) -> dict[str, str]:
    """Mention id -> registry key, as the renderer tagged them."""
    rendered = render_book(loaded.book, "pdf", loaded.registry)
    return {m.id: loaded.registry.canonical(m.key) for m in rendered.mentions}


@pytest.fixture(scope="module")
def pdf(real_book: dict[str, Output]) -> pypdf.PdfReader:
    return pypdf.PdfReader(str(real_book["pdf"].path))


def mention_pages(reader: pypdf.PdfReader, mention_keys: dict[str, str]) -> dict[str, set[str]]:
    """Registry key -> the printed folios on which the PDF has a mention of it (from its named destinations)."""
    labels = reader.page_labels
    pages: dict[str, set[str]] = defaultdict(set)
    for name, dest in reader.named_destinations.items():
        if name in mention_keys:
            pages[mention_keys[name]].add(labels[reader.get_destination_page_number(dest)])
    return pages


def index_page_numbers(reader: pypdf.PdfReader) -> list[int]:
    labels = reader.page_labels
    start = reader.get_destination_page_number(reader.named_destinations["index"])
    return list(range(start, len(labels)))


def collapse(folios: set[str]) -> str:
    """12, 13, 14, 17 -> '12–14, 17' (what the index must print)."""
    numbers = sorted(int(f) for f in folios)
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}{RANGE_DASH}{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def all_entries(entries: tuple[IndexEntry, ...]) -> list[IndexEntry]:
    out = []
    for entry in entries:
        out.append(entry)
        out.extend(all_entries(entry.subentries))
    return out


def surfaces(registry: Registry, key: str) -> list[str]:
    entry = registry.get(key)
    assert entry is not None
    return [entry.name, *entry.aliases, *([entry.index_term] if entry.kind == "person" else [])]


def test_the_countries_programmes_and_people_the_issue_names(pdf: pypdf.PdfReader) -> None:
    text = squash("\n".join(pdf.pages[i].extract_text() for i in index_page_numbers(pdf)))
    for term in ("Cameroon", "Côte d’Ivoire", "Ghana", "Madagascar", "Malawi", "Niger", "Norway", "Philippines",
                 "Uganda", "Senegal", "Dakar", "ACOPAM", "COOPNET", "COOPREFORM", "CUROR", "Soho, Alexandre"):
        assert squash(term) in text, term
    assert text.index(squash("Senegal")) < text.index(squash("Dakar")), "Dakar is a sub-entry of Senegal"


def test_every_index_entry_both_directions(pdf: pypdf.PdfReader, loaded, mention_keys: dict[str, str]) -> None:
    registry = loaded.registry
    labels = pdf.page_labels
    page_text = {labels[i]: squash(p.extract_text() or "") for i, p in enumerate(pdf.pages)}
    index_text = squash("\n".join(pdf.pages[i].extract_text() for i in index_page_numbers(pdf)))
    pages_of = mention_pages(pdf, mention_keys)
    assert pages_of, "no mention anchors found in the PDF"
    for key, folios in pages_of.items():
        entry = registry.get(key)
        assert entry is not None
        term = entry.index_term
        # Each page with a tagged mention is listed after a comma, de-duplicated and collapsed into ranges.
        assert squash(f"{term}, {collapse(folios)}") in index_text, (term, folios)
        # Each listed page really shows the term or one of its aliases.
        for folio in folios:
            assert any(squash(s) in page_text[folio] for s in surfaces(registry, key)), (term, folio)


def text_runs(page: pypdf.PageObject) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text run on a page, in PDF user space."""
    runs: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((x, y, text))

    page.extract_text(visitor_text=visit)
    return runs


def test_index_links_point_at_the_pages_they_print(pdf: pypdf.PdfReader, real_book: dict[str, Output]) -> None:
    labels = pdf.page_labels
    words = pdf_words(real_book["pdf"].path)
    checked = 0
    for number in index_page_numbers(pdf):
        page = pdf.pages[number]
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            dest = annot.get("/Dest") or annot["/A"].get("/D")
            if isinstance(dest, str | pypdf.generic.TextStringObject):
                target = pdf.get_destination_page_number(pdf.named_destinations[dest])
            else:
                target = pdf.get_page_number(dest[0].get_object())
            xa, ya, xb, yb = (float(v) for v in annot["/Rect"])
            x1, x2, y1, y2 = min(xa, xb), max(xa, xb), min(ya, yb), max(ya, yb)
            assert linked_number(words[number], (x1, y1, x2, y2)) == labels[target], (number, labels[target])
            checked += 1
    assert checked >= 20


def test_page_locators_merge_duplicates_and_collapse_ranges(mention_keys: dict[str, str]) -> None:
    from coopbook.errors import Location
    from coopbook.markdown.mentions import Mention

    mentions = [Mention(f"m-x-{i}", "country:cm", "x", "Cameroon", False, Location("f")) for i in range(1, 6)]
    pages = {"m-x-1": 12, "m-x-2": 12, "m-x-3": 13, "m-x-4": 14, "m-x-5": 17}
    locators = page_locators(mentions, pages)
    assert [(loc.first, loc.last, loc.first_target, loc.last_target) for loc in locators] == [
        (12, 14, "m-x-1", "m-x-4"), (17, None, "m-x-5", None)]


def test_epub_index_locators_resolve_to_mentions_of_their_entry(real_book: dict[str, Output],
                                                               mention_keys: dict[str, str], loaded) -> None:
    book = Epub.open(real_book["epub"].path)
    index_docs = [n for n in book.spine_documents() if "/index-" in n or n.startswith("index-")]
    assert len(index_docs) >= 3
    checked = 0
    for name in index_docs:
        root = book.xml(name)
        section = root.find(".//x:section[@role='doc-index']", NS)
        assert section is not None and section.get(f"{{{NS['epub']}}}type") == "index"
        for li in root.iterfind(".//x:li", NS):
            key = li.get("data-ref")
            for link in li.findall("x:a", NS):
                href = link.get("href")
                file_name, _, target = href.partition("#")
                doc = book.xml(book.href(file_name))
                element = doc.find(f".//*[@id='{target}']")
                assert element is not None, href
                assert loaded.registry.canonical(element.get("data-ref")) == key, (href, key)
                checked += 1
    assert checked >= 30


def index_lines(reader: pypdf.PdfReader) -> list[str]:
    """The index pages' text, one entry per printed line."""
    return [line for i in index_page_numbers(reader) for line in (reader.pages[i].extract_text() or "").splitlines()]


def test_locators_are_set_off_from_the_heading_by_a_comma(pdf: pypdf.PdfReader) -> None:
    text = squash("\n".join(index_lines(pdf)))
    assert squash("ILO COOP 100, 4") in text  # not "ILO COOP 100 4", which reads as page 1004
    assert squash("Cameroon, 1–2") in text


def test_a_page_range_never_breaks_at_its_dash(pdf: pypdf.PdfReader) -> None:
    lines = [line.strip() for line in index_lines(pdf)]
    assert any(re.search(rf"\d{RANGE_DASH}\d", line) for line in lines), "the index prints no range to check"
    for line in lines:
        assert not line.endswith(RANGE_DASH) and not line.startswith(RANGE_DASH), line


def first_run(runs: list[tuple[float, float, str]], start: str) -> tuple[float, float]:
    """(x, y) of the first text run on the page that starts with start."""
    return next((x, y) for x, y, text in runs if text.strip().startswith(start))


def test_run_overs_hang_deeper_than_sub_entries_and_column_tops_line_up(pdf: pypdf.PdfReader) -> None:
    runs = [run for i in index_page_numbers(pdf) for run in text_runs(pdf.pages[i])]
    # Countries: "Yaoundé" is a sub-entry of "Cameroon"; "of Work, 3" runs over "ILO Centenary Declaration …".
    parent, sub = first_run(runs, "Cameroon"), first_run(runs, "Yaoundé")
    heading, runover = first_run(runs, "ILO Centenary"), first_run(runs, "of Work")
    assert runover[1] < heading[1] and sub[1] < parent[1]
    assert 0 < sub[0] - parent[0] < runover[0] - heading[0]
    # The right column's first letter heading ("N") stands level with the left column's ("C").
    page = next(i for i in index_page_numbers(pdf) if "Countries" in (pdf.pages[i].extract_text() or ""))
    letters: dict[str, tuple[float, float]] = {}
    for x, y, text in text_runs(pdf.pages[page]):
        if len(text.strip()) == 1:
            letters.setdefault(text.strip(), (x, y))  # the first "C" is the Countries' (ILO programmes has one)
    assert letters["N"][0] > letters["C"][0] and abs(letters["N"][1] - letters["C"][1]) < 0.5


def test_epub_see_references_link_to_the_entry_they_name(real_book: dict[str, Output], loaded) -> None:
    book = Epub.open(real_book["epub"].path)
    checked = 0
    for name in (n for n in book.spine_documents() if "index-" in n):
        root = book.xml(name)
        for span in root.iterfind(".//x:span[@epub:type]", NS):
            if span.get(f"{{{NS['epub']}}}type") not in ("index-xref-preferred", "index-xref-related"):
                continue
            links = span.findall("x:a", NS)
            assert links, squash("".join(span.itertext()))
            for link in links:
                file_name, _, target = link.get("href").partition("#")
                doc = book.xml(book.href(file_name)) if file_name else root
                entry = doc.find(f".//x:li[@id='{target}']", NS)
                assert entry is not None, link.get("href")
                term = entry.find("x:span", NS)
                assert term is not None and squash("".join(term.itertext())) in squash(link.text or ""), link.text
                checked += 1
    assert checked >= 2
    assert epubcheck(real_book["epub"].path) == []


def test_a_page_the_index_runs_over_to_names_the_continued_section(pdf: pypdf.PdfReader) -> None:
    numbers = index_page_numbers(pdf)
    assert len(numbers) >= 2, "the real book's index should run over a page"
    assert "(continued)" not in (pdf.pages[numbers[0]].extract_text() or "")  # every section starts on it
    for number in numbers[1:]:
        text = pdf.pages[number].extract_text() or ""
        runs = text_runs(pdf.pages[number])
        top = max(y for _, y, _ in runs)
        head = " ".join(t.strip() for _, y, t in runs if y > top - 1)  # the running head and folio, above the text
        assert "Organisations (continued)" in head, (head, text[:80])
