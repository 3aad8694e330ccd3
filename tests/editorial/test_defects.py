"""Defects found by feeding coopbook bad and unusual content (issue 10, item 6).

Each bad input is refused with the same located error by `check` and by `build` (the rule lives in the render
or load stage both run), and each unusual but valid input gives a correct book: no text lost, every link
resolving, EPUBCheck clean.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import pikepdf
import pypdf
import pytest

from coopbook.editorial.check import check_content
from coopbook.errors import ContentError
from coopbook.pipeline import BuildOptions, Output, build
from coopbook.source.registryfiles import see_cycles

from makers import build_copy
from readers import NS, Epub, epubcheck, pdf_pages, squash

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "books" / "mini"
FEATURES = REPO / "tests" / "books" / "features"
IV = "content/interviews/maria-perez.yaml"
BOOK = "content/book.yaml"
HEAD = """\
id: maria-perez
interviewee:
  name: María Pérez Muñoz
  role: Cooperative leader
date: 2020-10-12
source: {publisher: ILO, kind: Interview}
questions:
  - q: "Where do you work?"
    a: |
"""  # the answer's first line is line 10, at column 7


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the mini book as ./content (so problems read content/...)."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(MINI, tmp_path / "content")
    return Path("content")


def answer(content: Path, text: str) -> None:
    """Make María's only answer the given Markdown (its first line is line 10 of the file)."""
    body = "".join(f"      {line}\n" if line else "\n" for line in text.split("\n"))
    (content / "interviews" / "maria-perez.yaml").write_text(HEAD + body, encoding="utf-8")


def set_book(content: Path, old: str, new: str) -> None:
    path = content / "book.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def check_errors(content: Path) -> list[str]:
    return [p.format() for p in check_content(content).errors]


def build_errors(content: Path, formats: tuple = ("pdf", "epub")) -> list[str]:
    """The errors a build stops with; it must stop, and write nothing."""
    out = content.parent / "build"
    with pytest.raises(ContentError) as caught:
        build(BuildOptions(content, out, formats, jobs=1))
    assert not any(out.glob("*.pdf")) and not any(out.glob("*.epub"))
    return [p.format() for p in caught.value.problems if p.severity == "error"]


def refused(content: Path, *expected: str) -> None:
    """check and build both report exactly these errors."""
    assert check_errors(content) == list(expected)
    assert build_errors(content) == list(expected)


# ---- character references ---------------------------------------------------------------------------

@pytest.mark.parametrize(("ref", "code"), [
    ("&#12;", "000C"), ("&#x0c;", "000C"), ("&#0;", "0000"), ("&#8;", "0008"), ("&#X1F;", "001F"),
    ("&#xD800;", "D800"), ("&#56319;", "DBFF"), ("&#xDFFF;", "DFFF"), ("&#xFFFE;", "FFFE"), ("&#65535;", "FFFF"),
    ("&#x110000;", "110000"),
])
def test_references_to_characters_xml_forbids_are_refused(content: Path, ref: str, code: str) -> None:
    answer(content, f"Before {ref} after.")
    refused(content, f"{IV}:10:14: error: character reference to U+{code}, a character XML does not allow ({ref}); "
                     "delete it (a control character or a surrogate cannot be printed)")


def test_allowed_references_and_references_in_code_build(content: Path) -> None:
    answer(content, "Tab&#9;, é &#233; &#xE9; &#x1F600;, and `&#12;` in code.")
    assert check_errors(content) == []
    outputs = {o.format: o for o in build(BuildOptions(content, Path("build"), ("epub",), jobs=1))}
    text = Epub.open(outputs["epub"].path).text_of("EPUB/interview-maria-perez.xhtml")
    assert "é é é \U0001F600, and &#12; in code." in text


# ---- nesting -----------------------------------------------------------------------------------------

def test_a_list_nested_ten_deep_is_an_error(content: Path) -> None:
    answer(content, "First.\n\n- - - - - - - - - - Deep item.\n\nA later paragraph.")
    refused(content, f"{IV}:12:7: error: lists and block quotes nested more than 6 deep (- - - - - - - - - - Deep "
                     "item.); nest at most 6 levels")


def test_block_quotes_nested_deeper_than_twenty_are_an_error(content: Path) -> None:
    answer(content, "> " * 21 + "Deep quote.\n\nA later paragraph.")
    refused(content, f"{IV}:10:7: error: lists and block quotes nested more than 6 deep ({'> ' * 21}Deep quote.); "
                     "nest at most 6 levels")


def test_far_too_deep_nesting_is_refused_not_crashed_on(content: Path) -> None:
    answer(content, "> " * 400 + "Deep.\n\n" + "- " * 400 + "Deeper.")
    assert [e.split(": error: ")[1][:40] for e in check_errors(content)] == [
        "lists and block quotes nested more than ", "lists and block quotes nested more than "]


def test_nesting_at_the_limit_keeps_every_later_paragraph(content: Path) -> None:
    answer(content, "Opening paragraph.\n\n- - - - - - Six lists deep.\n\n"
                    "> > > > > > Six quotes deep.\n\n"
                    "1. one\n   - two\n     > three\n     > - four\n     >   > five\n     >   > - Six mixed deep.\n\n"
                    "Later paragraph one.\n\nLater paragraph two, the last.")
    assert check_errors(content) == []
    outputs = {o.format: o for o in build(BuildOptions(content, Path("build"), ("pdf", "epub"), jobs=1))}
    pdf = squash(" ".join(pdf_pages(outputs["pdf"].path)))
    epub = squash(Epub.open(outputs["epub"].path).text_of("EPUB/interview-maria-perez.xhtml"))
    for text in ("Opening paragraph.", "Six lists deep.", "Six quotes deep.", "Six mixed deep.",
                 "Later paragraph one.", "Later paragraph two, the last."):
        assert squash(text) in pdf
        assert squash(text) in epub


# ---- footnotes, headings, attributes -----------------------------------------------------------------

def test_a_footnote_defined_twice_is_an_error(content: Path) -> None:
    answer(content, "Text.[^1]\n\n[^1]: First note.\n[^1]: Second note.")
    refused(content, f"{IV}:13:7: error: footnote defined twice ([^1]); the second definition would replace the "
                     "first: merge them or give one another label")


def test_an_undefined_footnote_is_an_error_in_build_too(content: Path) -> None:
    answer(content, "Text with a [^missing] note.")
    refused(content, f"{IV}:10:19: error: footnote referenced but not defined ([^missing]); add a line "
                     "'[^missing]: ...' to the same text")


@pytest.mark.parametrize(("markdown", "line", "shown"), [
    ("Intro.\n\n# A heading", 12, "# A heading"),
    ("Intro.\n\n### Smaller", 12, "### Smaller"),
    ("Intro.\n\nUnderlined\n---", 12, "Underlined"),
    ("Intro.\n\nUnderlined\n===", 12, "Underlined"),
])
def test_headings_in_answers_are_refused(content: Path, markdown: str, line: int, shown: str) -> None:
    answer(content, markdown)
    refused(content, f"{IV}:{line}:7: error: headings are not allowed here: write paragraphs, lists and quotes "
                     f"({shown}); make it a paragraph (**bold** if it must stand out); a line of --- or === under "
                     "text also makes a heading")


def test_a_heading_in_the_introduction_is_refused(content: Path) -> None:
    set_book(content, "    The test series introduction", "    ## Welcome\n\n    The test series introduction")
    refused(content, f"{BOOK}:16:5: error: headings are not allowed here: write paragraphs, lists and quotes "
                     "(## Welcome); make it a paragraph (**bold** if it must stand out); a line of --- or === "
                     "under text also makes a heading")


def test_index_attributes_after_an_image_or_code_are_refused(content: Path) -> None:
    answer(content, "See [Niger](https://www.ilo.org/){.country ref=ne} and\n"
                    "![Map](images/map.svg){.noindex} and `code`{.country}.")
    hint = "put the attributes on a span of text: [text]{.programme ref=...}"
    refused(content,
            f"{IV}:11:29: error: attributes after an image are not allowed ({{.noindex}}); {hint}",
            f"{IV}:11:50: error: attributes after code are not allowed ({{.country}}); {hint}")


def test_index_attributes_after_a_link_mark_the_link_text(content: Path) -> None:
    answer(content, "See [Niger *today*](https://www.ilo.org/){.country ref=ne} and [x](https://e.org/){ref=td}.")
    assert check_errors(content) == [
        f"{IV}:10:90: error: ref needs an index class, e.g. {{.programme ref=...}} (td)"]
    answer(content, "See [Niger *today*](https://www.ilo.org/){.country ref=ne} and [Chad](https://e.org/){.noindex}.")
    assert check_errors(content) == []
    outputs = {o.format: o for o in build(BuildOptions(content, Path("build"), ("epub",), jobs=1))}
    doc = Epub.open(outputs["epub"].path).xml("EPUB/interview-maria-perez.xhtml")
    links = {a.get("href"): a for a in doc.iterfind(".//x:a", NS)}
    link = links["https://www.ilo.org/"]
    assert set(link.attrib) == {"href"}
    span = link.find("x:span", NS)
    assert span is not None and span.get("data-ref") == "country:ne" and span.get("id", "").startswith("m-")
    assert "".join(span.itertext()) == "Niger today"
    assert set(links["https://e.org/"].attrib) == {"href"}
    index = Epub.open(outputs["epub"].path).xml("EPUB/index-countries.xhtml")
    assert any(a.get("href", "").endswith(f"#{span.get('id')}") for a in index.iterfind(".//x:a", NS))


# ---- book.yaml and the registry ----------------------------------------------------------------------

def test_a_trailing_newline_does_not_pass_a_pattern(content: Path) -> None:
    set_book(content, "language: en-GB", 'language: "en-GB\\n"')
    refused(content, f"{BOOK}:5:11: error: language: expected a BCP 47 language tag such as en-GB, es or fr-CA "
                     "(en-GB\\n)")


def test_an_interview_id_with_a_trailing_newline_is_refused(content: Path) -> None:
    answer(content, "Fine.")
    path = content / "interviews" / "maria-perez.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: maria-perez", 'id: "maria-perez\\n"'), "utf-8")
    assert check_errors(content) == [
        f"{IV}:1:5: error: id: has a form that is not allowed (maria-perez\\n)"]


@pytest.mark.parametrize(("field", "value", "col", "bounds"), [
    ("trim_width", "0in", 15, "50 mm and 500 mm"),
    ("trim_width", "1mm", 15, "50 mm and 500 mm"),
    ("trim_height", "20000in", 16, "50 mm and 500 mm"),
    ("trim_height", "501mm", 16, "50 mm and 500 mm"),
    ("bleed", "2in", 10, "0 mm and 25 mm"),
])
def test_page_sizes_are_bounded(content: Path, field: str, value: str, col: int, bounds: str) -> None:
    old = {"trim_width": "trim_width: 148mm", "trim_height": "trim_height: 210mm", "bleed": "bleed: 5mm"}[field]
    set_book(content, old, f"{field}: {value}")
    line = {"trim_width": 21, "trim_height": 22, "bleed": 23}[field]
    refused(content, f"{BOOK}:{line}:{col}: error: print.{field}: must be between {bounds} ({value})")


def test_the_bounds_themselves_are_accepted(content: Path) -> None:
    set_book(content, "trim_width: 148mm", "trim_width: 5cm")
    set_book(content, "trim_height: 210mm", "trim_height: 500mm")
    set_book(content, "bleed: 5mm", "bleed: 0mm")
    assert check_errors(content) == []


def test_a_see_cycle_is_an_error_naming_the_cycle(content: Path) -> None:
    (content / "registry").mkdir()
    (content / "registry" / "people.yaml").write_text(
        "- id: ann\n  name: Ann Aa\n  see: [bob]\n"
        "- id: bob\n  name: Bob Bb\n  see: [person:cy]\n"
        "- id: cy\n  name: Cy Cc\n  see: [ann]\n", encoding="utf-8")
    expected = ["content/registry/people.yaml:3:9: error: see references go round in a circle: person:ann -> "
                "person:bob -> person:cy -> person:ann (bob); a see reference sends the reader to the entry that "
                "has the page numbers; end the chain there"]
    assert check_errors(content) == expected
    assert build_errors(content) == expected


def test_see_cycles_are_found_once_each() -> None:
    edges = {"a": ["b"], "b": ["a", "c"], "c": ["d"], "d": ["c"], "e": ["a"], "f": []}
    assert see_cycles(edges) == [("a", "b", "a"), ("c", "d", "c")]
    chain = {str(n): [str(n + 1)] for n in range(5000)}
    assert see_cycles(chain) == []


def test_characters_no_font_has_are_a_located_warning(content: Path) -> None:
    answer(content, "Fine text.")
    path = content / "interviews" / "maria-perez.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: María Pérez Muñoz", "name: María 李 Pérez 😀"),
                    "utf-8")
    warnings = [p.format() for p in check_content(content).warnings if "font" in p.message]
    assert warnings == [f"{IV}:3:15: warning: no font of the book has these characters: they print as empty boxes "
                        "(李😀); U+674E, U+1F600; write them another way or add a font that has them to "
                        "templates/fonts"]


# ---- the all-features book ---------------------------------------------------------------------------

IMAGE_NAMES = ("map of coops.svg", "carte-é.svg", "a&b.svg")


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Output]:
    """tests/books/features built in every format, once."""
    return build_copy(tmp_path_factory, "features", FEATURES, ("pdf", "print", "epub"))


def test_the_features_book_passes_check_strict() -> None:
    report = check_content(FEATURES)
    assert [p.format() for p in report.problems] == []
    assert len(list((FEATURES / "images").iterdir())) == 3
    assert {p.name for p in (FEATURES / "images").iterdir()} == set(IMAGE_NAMES)


@pytest.mark.slow
def test_the_features_epub_passes_epubcheck_with_its_image_names(features: dict[str, Output]) -> None:
    assert epubcheck(features["epub"].path) == []


def links(book: Epub) -> list[tuple[str, str]]:
    """(document, href) for every in-book link of every XHTML document."""
    found = []
    for name in book.names:
        if name.endswith(".xhtml"):
            for element in book.xml(name).iter():
                href = element.get("href")
                if href and element.tag.endswith("}a") and not re.match(r"[a-z]+:", href):
                    found.append((name, href))
    return found


def broken_links(book: Epub) -> list[str]:
    """In-book links whose document or fragment does not exist."""
    ids: dict[str, set[str]] = {}
    broken = []
    for name, href in links(book):
        path, _, fragment = href.partition("#")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), unquote(path))) if path else name
        if target not in book.names:
            broken.append(f"{name}: {href}")
            continue
        if target not in ids:
            ids[target] = {e.get("id") for e in book.xml(target).iter() if e.get("id")}
        if fragment and fragment not in ids[target]:
            broken.append(f"{name}: {href}")
    return broken


def test_every_in_book_link_of_the_features_epub_resolves(features: dict[str, Output]) -> None:
    book = Epub.open(features["epub"].path)
    found = links(book)
    assert ("EPUB/interview-title.xhtml", "interview-kofi-mensah.xhtml#interview-kofi-mensah") in found
    assert ("EPUB/interview-kofi-mensah.xhtml", "interview-title.xhtml#fn-title-a1-1") in found
    assert ("EPUB/introduction.xhtml", "nav.xhtml#toc") in found
    assert ("EPUB/interview-title.xhtml", "#q-title-3") in found
    assert any(href.startswith("interview-title.xhtml#page-") for name, href in found if name == "EPUB/nav.xhtml")
    assert any(href.startswith("interview-title.xhtml#m-title-") for name, href in found if "index-" in name)
    assert broken_links(book) == []


def test_an_interview_named_like_a_front_document_keeps_its_own_file(features: dict[str, Output]) -> None:
    book = Epub.open(features["epub"].path)
    assert len(book.names) == len(set(book.names))
    assert "Features Anthology" in book.text_of("EPUB/title.xhtml")
    assert "Amina" not in book.text_of("EPUB/title.xhtml")
    assert "It began in Dakar" in book.text_of("EPUB/interview-title.xhtml")
    assert book.spine_documents()[1:3] == ["EPUB/title.xhtml", "EPUB/copyright.xhtml"]


@pytest.mark.slow
@pytest.mark.parametrize("ids", [("nav", "index-people"), ("cover", "copyright"), ("introduction", "toc")])
def test_interview_ids_never_collide_with_the_epubs_documents(content: Path, ids: tuple[str, str]) -> None:
    for old, new in zip(("jurgen-von-muralt", "maria-perez"), ids, strict=True):
        source = content / "interviews" / f"{old}.yaml"
        text = source.read_text(encoding="utf-8").replace(f"id: {old}", f"id: {new}")
        source.unlink()
        (content / "interviews" / f"{new}.yaml").write_text(text, encoding="utf-8")
    set_book(content, "order: [jurgen-von-muralt, maria-perez]", f"order: [{ids[0]}, {ids[1]}]")
    outputs = {o.format: o for o in build(BuildOptions(content, Path("build"), ("pdf", "epub"), jobs=1))}
    book = Epub.open(outputs["epub"].path)
    assert len(book.names) == len(set(book.names))
    assert {f"EPUB/interview-{ids[0]}.xhtml", f"EPUB/interview-{ids[1]}.xhtml"} <= set(book.names)
    assert broken_links(book) == []
    assert epubcheck(outputs["epub"].path) == []
    top = [item.title for item in pypdf.PdfReader(str(outputs["pdf"].path)).outline if not isinstance(item, list)]
    assert {"Jürgen von Muralt", "María Pérez Muñoz"} <= set(top)


def test_every_in_book_link_of_the_features_pdf_resolves(features: dict[str, Output]) -> None:
    pdf = pikepdf.open(features["pdf"].path)
    names = set(pikepdf.NameTree(pdf.Root.Names.Dests).keys())
    targets = set()
    for page in pdf.pages:
        for annot in page.get("/Annots", []):
            action = annot.get("/A")
            if annot.get("/Subtype") == "/Link" and not (action is not None and "/URI" in action):
                dest = annot.get("/Dest") if annot.get("/Dest") is not None else action.get("/D")
                targets.add(str(dest))
    assert {"interview-kofi-mensah", "q-kofi-mensah-1", "fn-kofi-mensah-a1-1", "interview-title", "q-title-1",
            "fn-title-a1-1", "q-title-3", "contents", "introduction"} <= targets
    assert targets <= names


def test_the_contents_print_the_role_as_text(features: dict[str, Output]) -> None:
    pages = pdf_pages(features["pdf"].path)
    contents = next(page for page in pages if "Contents" in page and "Kofi Mensah" in page)
    assert "Head of the Cooperatives Unit" in " ".join(contents.split())
    assert "*" not in contents and "](" not in contents


def test_the_features_pdf_has_every_paragraph_and_no_heading_bookmarks(features: dict[str, Output]) -> None:
    text = squash(" ".join(pdf_pages(features["pdf"].path)))
    for phrase in ("It began in Dakar", "nested once more.", "A quote in a quote.", "another one, with an email.",
                   "is not indexed here.", "Three maps.", "Thank you, and see the introduction.",
                   "Read Amina’s interview", "Kofi’s note.", "A note about Dakar."):
        assert squash(phrase) in text, phrase
    reader = pypdf.PdfReader(str(features["pdf"].path))
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Amina Diallo" in top and "Kofi Mensah" in top


def test_the_features_epub_keeps_the_markdown_features(features: dict[str, Output]) -> None:
    book = Epub.open(features["epub"].path)
    doc = book.xml("EPUB/interview-title.xhtml")
    tags = {element.tag.rpartition("}")[2] for element in doc.iter()}
    assert {"em", "strong", "code", "ul", "ol", "blockquote", "img", "aside", "a", "span"} <= tags
    hrefs = {a.get("href") for a in doc.iterfind(".//x:a", NS)}
    assert {"https://www.ilo.org/", "http://example.org/", "mailto:editor@example.org"} <= hrefs
    spans = {s.get("data-ref") for s in doc.iterfind(".//x:span[@data-ref]", NS)}
    assert {"programme:acopam", "organisation:undp", "place:dakar", "country:ci", "country:sn"} <= spans
    site = next(a for a in doc.iterfind(".//x:a", NS) if "".join(a.itertext()) == "its site")
    inner = site.find("x:span", NS)
    assert inner is not None and inner.get("data-ref") == "programme:acopam"
    noindex = [s for s in doc.iterfind(".//x:span", NS) if s.get("class") == "noindex"]
    assert [s.text for s in noindex] == ["Niger"]
    assert all("ref" not in a.attrib for a in doc.iter())
    with zipfile.ZipFile(features["epub"].path) as zf:
        assert ElementTree.fromstring(zf.read("EPUB/interview-kofi-mensah.xhtml")) is not None
