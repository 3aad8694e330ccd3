"""A book whose language is Spanish (tests/books/spanish) is generated entirely in Spanish: no English word of the
interface in the PDF's text and metadata, nor in the EPUB's navigation, titles, labels and metadata."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import pytest
import yaml
from babel.messages.pofile import read_po

from coopbook import i18n
from coopbook.layout.book import index_specs
from coopbook.pipeline import Output, load, make_index, render, template_context
from coopbook.source.yamlreader import string_values
from tests.readers import NS, Epub, epubcheck, pdf_pages

REPO = Path(__file__).resolve().parents[2]
SPANISH = REPO / "tests" / "books" / "spanish"
WORD = re.compile(r"[^\W\d_]+")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
NAMES = {"linux", "libertine", "biolinum", "coopbook", "epub", "isbn", "wcag", "aa", "accessibility",  # names
         "no"}  # a Spanish word too
SETTINGS = {"id", "slug", "language", "order", "print", "identifiers", "see", "see_also", "country"}
# Not text but identifiers a machine reads: the conformance string EPUB Accessibility 1.1 asks for word for word,
# the vocabularies' values, the generator and the dates.
MACHINE_META = {"dcterms:conformsTo", "dcterms:modified", "schema:accessMode", "schema:accessModeSufficient",
                "schema:accessibilityFeature", "schema:accessibilityHazard", "title-type", "role", "source-of"}


def words(text: str) -> set[str]:
    """The words of a text (letters only), lower-cased."""
    return {w.lower() for w in WORD.findall(text)}


def catalogue_words(language: str) -> set[str]:
    """Every word of a catalogue's translations (placeholders left out)."""
    with i18n.catalogue_path(language).open("rb") as po:
        return set().union(*(words(re.sub(r"%\(\w+\)s", " ", m.string)) for m in read_po(po) if m.id))


def content_words(root: Path) -> set[str]:
    """Every word the book's own content (book.yaml, interviews, registry) may print (not its settings and ids)."""
    found: set[str] = set()
    for path in sorted(root.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found |= set().union(*(words(text) for ypath, text in string_values(data, ()) if not SETTINGS & set(ypath)))
    return found


@pytest.fixture(scope="module")
def english() -> set[str]:
    """The English interface words a Spanish book must not print: every word of the English catalogue, the
    English months and "Interview", less the names every language prints (Linux Libertine, EPUB…) and the words of
    the book's own content."""
    return (catalogue_words("en") | words(" ".join(MONTHS)) | {"interview"}) - NAMES - content_words(SPANISH)


def english_in(text: str, english: set[str]) -> list[str]:
    return sorted(words(text) & english)


def test_the_english_words_are_known(english: set[str]) -> None:
    """The test can fail: the words it looks for are the interface's."""
    assert {"contents", "index", "introduction", "closing", "see", "also", "pages", "landmarks", "july",
            "continued", "edition", "published"} <= english


def test_pdf_text_is_spanish(spanish_book: dict[str, Output], english: set[str]) -> None:
    text = "\n".join(pdf_pages(spanish_book["pdf"].path))
    assert english_in(text, english) == []
    flat = " ".join(text.split())
    for spanish in ("Índice", "Índice analítico", "Introducción", "Nota sobre el texto", "Mensaje final",
                    "Personas", "Países", "Programas de la OIT", "Organizaciones", "véase", "Véase también",
                    "Entrevista · 22 de julio de 2020", "1.ª edición, 22 de julio de 2024. Edita: Ediciones de Prueba.",
                    "(1 de julio de 2024)", "ISBN (edición impresa)", "Compuesto con coopbook"):
        assert spanish in flat, spanish


def test_pdf_metadata_is_spanish(spanish_book: dict[str, Output], english: set[str]) -> None:
    with pikepdf.open(spanish_book["pdf"].path) as pdf:
        info = {key: str(pdf.docinfo[key]) for key in ("/Title", "/Subject", "/Keywords") if key in pdf.docinfo}
        assert str(pdf.Root.Lang) == "es"
        with pdf.open_metadata() as xmp:
            xmp_text = " ".join(str(xmp.get(key, "")) for key in ("dc:title", "dc:description", "dc:subject",
                                                                   "pdf:Keywords"))
        outline = []
        with pdf.open_outline() as tree:
            stack = list(tree.root)
            while stack:
                item = stack.pop()
                outline.append(item.title)
                stack.extend(item.children)
    assert info["/Title"] == "Cooperativas en primera persona: Dos conversaciones"
    assert english_in(" ".join([*info.values(), xmp_text, *outline]), english) == []
    assert "Índice analítico" in outline


def test_epub_is_spanish(spanish_book: dict[str, Output], english: set[str]) -> None:
    epub = Epub.open(spanish_book["epub"].path)
    opf = epub.opf
    shown: list[str] = [e.text or "" for e in opf.find("opf:metadata", NS) if e.tag.startswith(f"{{{NS['dc']}}}")]
    for meta in opf.iterfind(".//opf:metadata/opf:meta", NS):
        if meta.get("property") and meta.get("property") not in MACHINE_META:
            shown.append(meta.text or "")
    summary = opf.find(".//opf:meta[@property='schema:accessibilitySummary']", NS)
    assert summary is not None and "índice analítico" in (summary.text or "")
    for name in epub.names:  # every document outside the interviews: all its text, titles and labels
        if not name.endswith((".xhtml", ".ncx")) or "/interview-" in name:
            continue
        root = epub.xml(name)
        shown.append(" ".join(root.itertext()))
        shown += [value for e in root.iter() for attr, value in e.attrib.items() if attr in ("alt", "aria-label")]
    for name in epub.names:  # the interviews: their headings' labels only (their text is the content's)
        if "/interview-" in name:
            root = epub.xml(name)
            shown += [e.get("aria-label", "") for e in root.iter()]
            shown += [" ".join(e.itertext()) for e in root.iter(f"{{{NS['x']}}}title")]
            shown += [" ".join(e.itertext()) for e in root.iter() if e.get("class") in ("closing-label", "dateline")]
    assert english_in("\n".join(shown), english) == []
    nav = epub.xml(epub.href("nav.xhtml"))
    headings = [" ".join(h.itertext()) for h in nav.iter() if h.tag in (f"{{{NS['x']}}}h1", f"{{{NS['x']}}}h2")]
    assert headings == ["Índice", "Puntos de referencia", "Páginas"]
    landmarks = [" ".join(a.itertext()) for a in nav.find(".//x:nav[@id='landmarks']", NS).iter(f"{{{NS['x']}}}a")]
    assert landmarks[:2] == ["Cubierta", "Índice"] and "Inicio del contenido" in landmarks
    assert "Índice analítico: Personas" in ElementTree.tostring(nav, encoding="unicode")


@pytest.mark.slow  # EPUBCheck starts a JVM
def test_epubcheck(spanish_book: dict[str, Output]) -> None:
    assert epubcheck(spanish_book["epub"].path) == []


def test_index_running_heads_are_spanish() -> None:
    """A section that runs over a page is headed "Personas (continuación)" (the index's own heads, set by CSS)."""
    loaded = load(SPANISH)
    rendered = render(loaded, ("pdf",)).books["pdf"]
    specs = index_specs(make_index(rendered, loaded.registry, None), template_context(loaded.book), i18n.TEMPLATES)
    assert len(specs) == 1
    spec = specs[0]
    assert 'data-title="Personas (continuación)"' in spec.html
    assert "continued" not in spec.html
