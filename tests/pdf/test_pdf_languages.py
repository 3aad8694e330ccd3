"""Each interview of the mixed book is set in its own language in the PDF: hyphenated with that language's
dictionary, and tagged with its /Lang in the structure tree (issue 15).

WeasyPrint 70 writes a document's `lang` only as the catalog's /Lang, never on structure elements: each interview
is its own part, laid out with its language on the HTML root, and assembly gives that part's top structure
elements the part's /Lang when it is not the book's.

The breaks are read from a copy of the book at a narrower trim (NARROW_TRIM): at its own 110 mm the margins that
follow the trim and the feedback step leave too few hyphens to show each dictionary at work; this tests the
dictionaries, not the book's design.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pypdf
import pyphen
import pytest

from coopbook.layout.book import book_style, interview_specs
from coopbook.layout.part import part_key
from coopbook.markdown.fragments import render_book
from coopbook.pipeline import BuildOptions, Output, build, template_context
from coopbook.source.book import load_book
from coopbook.templating import TEMPLATES

BOOK = Path(__file__).parents[1] / "books" / "multilingual"
NARROW_TRIM = "90mm"  # a measure of 20 ems, about 45 characters (coopbook.layout.geometry.MIN_MEASURE_EM)
BOOK_LANG = "en-GB"
LANGUAGES = {"tendai-banda": "en-GB", "lucia-quispe": "es", "rokia-ouedraogo": "fr", "chiara-bonvicini": "it"}
DICTIONARIES = {"en-GB": "en_GB", "en-US": "en_US", "es": "es", "fr": "fr", "it": "it_IT"}  # pyphen's names
HYPHEN = "\u2010"  # what WeasyPrint draws at a hyphenated line end
BROKEN = re.compile(rf"(\w+){HYPHEN}$")
WORD = re.compile(r"\w+")


def interview_pages(path: Path) -> dict[str, range]:
    """The page indexes of each interview, from its named destination to the next part's."""
    with pikepdf.open(path) as pdf:
        pages = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        dests = pikepdf.NameTree(pdf.Root.Names.Dests)
        starts = {name: pages[dests[f"interview-{name}"][0].objgen] for name in LANGUAGES}
        ends = sorted([*starts.values(), pages[dests["index"][0].objgen]])
    return {name: range(start, min(e for e in ends if e > start)) for name, start in starts.items()}


def hyphenated(page_text: str) -> Iterator[tuple[str, int]]:
    """(word, break position) for every word broken at a line end on a page (not across pages)."""
    lines = page_text.split("\n")
    for line, following in zip(lines, lines[1:], strict=False):
        start, rest = BROKEN.search(line), WORD.match(following)
        if start and rest:
            yield start.group(1) + rest.group(), len(start.group(1))


def breaks(language: str, word: str) -> set[int]:
    """Where a pyphen dictionary may break a word (at any distance from its ends)."""
    return set(pyphen.Pyphen(lang=DICTIONARIES[language], left=1, right=1).positions(word.lower()))


@pytest.fixture(scope="module")
def narrow_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mixed book's PDF built at a narrower trim (its lines break more often)."""
    work = tmp_path_factory.mktemp("narrow")
    shutil.copytree(BOOK, work / "content")
    settings = work / "content" / "book.yaml"
    text = settings.read_text("utf-8")
    assert "trim_width: 110mm" in text
    settings.write_text(text.replace("trim_width: 110mm", f"trim_width: {NARROW_TRIM}"), "utf-8")
    return {o.format: o for o in build(BuildOptions(work / "content", work / "build", ("pdf",)))}["pdf"].path


@pytest.fixture(scope="module")
def broken_words(narrow_book: Path) -> dict[str, list[tuple[str, int]]]:
    """The hyphenated words of each interview's pages, as pypdf reads the laid-out lines."""
    path = narrow_book
    reader = pypdf.PdfReader(path)
    return {name: [found for n in pages for found in hyphenated(reader.pages[n].extract_text() or "")]
            for name, pages in interview_pages(path).items()}


@pytest.mark.parametrize("interview", list(LANGUAGES))
def test_each_interview_is_hyphenated_with_its_own_dictionary(broken_words: dict[str, list[tuple[str, int]]],
                                                              interview: str) -> None:
    """Every break is one its language's dictionary allows, and at least one is a break that no other dictionary
    (English, US English, Spanish, French, Italian) gives: the right patterns were used, not merely some."""
    language = LANGUAGES[interview]
    found = broken_words[interview]
    assert found, f"no hyphenated line in {interview}"
    for word, at in found:
        assert at in breaks(language, word), f"{word[:at]}-{word[at:]} is not a {language} break"
    own = [(word, at) for word, at in found
           if all(at not in breaks(other, word) for other in DICTIONARIES if other != language)]
    assert own, f"{interview}: every break {found} is also another language's"


def test_a_unique_break_would_not_happen_in_another_language() -> None:
    """The test's own premise: the words the mixed book carries for it break differently in the other languages."""
    for language, word, at in (("es", "enseñanza", 4), ("fr", "menaçantes", 4), ("it", "mutualistiche", 7),
                               ("en-GB", "representatives", 11)):
        assert at in breaks(language, word)
        assert all(at not in breaks(other, word) for other in DICTIONARIES if other != language), word


def structure_elements(pdf: pikepdf.Pdf) -> list[tuple[pikepdf.Dictionary, int]]:
    """The book's top structure elements (the Document's children), each with the page its content starts on."""
    pages = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}

    def first_page(element: pikepdf.Object) -> int | None:
        if not isinstance(element, pikepdf.Dictionary):
            return None
        if "/Pg" in element:
            return pages[element.Pg.objgen]
        kids = element.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]:
            if (page := first_page(kid)) is not None:
                return page
        return None

    document = pdf.Root.StructTreeRoot.K
    document = document[0] if isinstance(document, pikepdf.Array) else document
    assert document.S == "/Document"
    return [(element, page) for element in document.K if (page := first_page(element)) is not None]


def test_each_interview_carries_its_language_in_the_structure_tree(multilingual_book: dict[str, Output]) -> None:
    path = multilingual_book["pdf"].path
    ranges = interview_pages(path)
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == BOOK_LANG  # the document's language stays the book's
        seen: dict[str, set[str]] = {name: set() for name in LANGUAGES}
        for element, page in structure_elements(pdf):
            owner = next((name for name, pages in ranges.items() if page in pages), None)
            lang = str(element.get("/Lang", ""))
            if owner is None:
                assert lang == "", f"{element.S} on page {page + 1} is not an interview's, yet carries /Lang {lang}"
            else:
                seen[owner].add(lang)
    assert seen == {"tendai-banda": {""}, "lucia-quispe": {"es"}, "rokia-ouedraogo": {"fr"},
                    "chiara-bonvicini": {"it"}}  # an interview in the book's language inherits the document's


def test_weasyprint_writes_lang_only_in_the_catalog(multilingual_book: dict[str, Output]) -> None:
    """Why assembly adds /Lang: below the top elements no structure element carries one (WeasyPrint 70 writes
    none for `lang` attributes, even the book-language labels inside a Spanish interview)."""
    with pikepdf.open(multilingual_book["pdf"].path) as pdf:
        deeper = []

        def walk(element: pikepdf.Object, depth: int) -> None:
            if isinstance(element, pikepdf.Dictionary) and "/S" in element:
                if depth > 0 and "/Lang" in element:
                    deeper.append(str(element.S))
                kids = element.get("/K")
                for kid in kids if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]:
                    walk(kid, depth + 1)

        for element, _ in structure_elements(pdf):
            walk(element, 0)
    assert deeper == []


def test_the_part_cache_key_includes_the_language(tmp_path: Path) -> None:
    """The same interview in another language is another part (its line breaks differ): another cache key."""
    shutil.copytree(BOOK, tmp_path / "content")
    book = load_book(tmp_path / "content")
    keys = []
    for language in ("fr", "it", None):
        interviews = tuple(dataclasses.replace(i, language=language) if i.id == "rokia-ouedraogo" else i
                           for i in book.interviews)
        variant = dataclasses.replace(book, interviews=interviews)
        rendered = render_book(variant, "pdf")
        context = template_context(variant)
        style = book_style(context, TEMPLATES, rendered)
        spec = next(s for s in interview_specs(rendered, context, TEMPLATES) if s.name == "rokia-ouedraogo")
        assert f'<html lang="{language or BOOK_LANG}"' in spec.html
        keys.append(part_key(style, spec))
    assert len(set(keys)) == 3
