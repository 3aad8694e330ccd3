"""The EPUB as stores and reading systems take it, read back from real builds with zipfile and ElementTree.

The real book, tests/books/mini, tests/books/features and a book of several interviews: every PDF page that
carries text has a page-list entry (roman front matter and index included) whose target exists; no page-break
marker stands inside a heading; the cover is a PNG, declared as the cover image and shown by the cover page;
the stylesheet speaks the prefixes reading systems know; the titles are refined for stores; the copyright page
claims no typeface the EPUB does not carry; EPUBCheck stays clean.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pypdf
import pytest

from coopbook.epub.writer import make_cover
from coopbook.pipeline import BuildOptions, load, render, template_context
from coopbook.pipeline import build as build_book

from makers import make_book
from readers import epubcheck

REPO = Path(__file__).resolve().parents[2]
NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops", "opf": "http://www.idpf.org/2007/opf",
      "dc": "http://purl.org/dc/elements/1.1/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
HEADINGS = {f"{{{NS['x']}}}h{n}" for n in range(1, 7)}


@pytest.fixture(scope="module", params=["real", "mini", "features", "several"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One test book built (screen PDF and EPUB): the paths of both."""
    work = tmp_path_factory.mktemp(request.param)
    if request.param == "several":
        content = make_book(work, [4, 30, 2, 12, 60, 8], questions=2)
    else:
        source = {"real": REPO / "content", "mini": REPO / "tests" / "books" / "mini",
                  "features": REPO / "tests" / "books" / "features"}[request.param]
        content = work / "content"
        shutil.copytree(source, content)
    outputs = {o.format: o.path for o in build_book(BuildOptions(content, work / "build", ("pdf", "epub")))}
    return outputs["pdf"], outputs["epub"]


def documents(epub: Path) -> dict[str, ElementTree.Element]:
    """Every XHTML document of the EPUB, parsed, by its name in the zip."""
    with zipfile.ZipFile(epub) as z:
        return {name: ElementTree.fromstring(z.read(name)) for name in z.namelist() if name.endswith(".xhtml")}


def opf(epub: Path) -> ElementTree.Element:
    """The package document."""
    with zipfile.ZipFile(epub) as z:
        return ElementTree.fromstring(z.read("EPUB/content.opf"))


def test_page_list_covers_every_printed_page_with_text(built: tuple[Path, Path]) -> None:
    """Every PDF page that carries text (front matter, body, index) has a page-list entry that reaches a marker."""
    pdf, epub = built
    reader = pypdf.PdfReader(pdf)
    printed = [reader.page_labels[n] for n, page in enumerate(reader.pages) if page.extract_text().strip()]
    docs = documents(epub)
    page_list = docs["EPUB/nav.xhtml"].find(".//x:nav[@epub:type='page-list']", NS)
    assert page_list is not None
    entries = {a.text: a.get("href") for a in page_list.iter(f"{{{NS['x']}}}a")}
    missing = [label for label in printed if label not in entries]
    assert not missing, f"printed pages without a page-list entry: {missing}"
    assert any(re.fullmatch(r"[ivxlc]+", label) for label in entries), "no roman front-matter page"
    ids = {(name.removeprefix("EPUB/"), e.get("id")) for name, root in docs.items() for e in root.iter()
           if e.get(EPUB_TYPE) == "pagebreak"}
    for label, href in entries.items():
        file_name, _, fragment = href.partition("#")
        assert (file_name, fragment) in ids, f"page {label}: {href} reaches no page-break marker"
    features = [m.text for m in opf(epub).iter(f"{{{NS['opf']}}}meta")
                if m.get("property") == "schema:accessibilityFeature"]
    assert "printPageNumbers" in features and "pageNavigation" in features


def test_page_markers_stand_outside_headings(built: tuple[Path, Path]) -> None:
    """A page that starts with a heading has its marker before the heading (no "2When and where…")."""
    inside = [(name, "".join(h.itertext())[:40]) for name, root in documents(built[1]).items()
              for h in root.iter() if h.tag in HEADINGS
              for e in h.iter() if e.get(EPUB_TYPE) == "pagebreak"]
    assert not inside, inside


def test_raster_cover(built: tuple[Path, Path]) -> None:
    """The cover image is a PNG in the manifest's cover-image, named by the cover meta and shown by cover.xhtml."""
    package = opf(built[1])
    covers = [i for i in package.iter(f"{{{NS['opf']}}}item") if "cover-image" in (i.get("properties") or "")]
    assert len(covers) == 1 and covers[0].get("media-type") == "image/png", covers
    meta = [m for m in package.iter(f"{{{NS['opf']}}}meta") if m.get("name") == "cover"]
    assert meta and meta[0].get("content") == covers[0].get("id")
    with zipfile.ZipFile(built[1]) as z:
        assert z.read(f"EPUB/{covers[0].get('href')}").startswith(b"\x89PNG\r\n\x1a\n")
    shown = [img.get("src") for img in documents(built[1])["EPUB/cover.xhtml"].iter(f"{{{NS['x']}}}img")]
    assert shown == [covers[0].get("href")]


def test_cover_is_reproducible() -> None:
    """Drawing the cover twice gives the same bytes (the PNG is part of a byte-reproducible EPUB)."""
    loaded = load(REPO / "content")
    rendered = render(loaded).books["epub"]
    context = template_context(loaded.book)
    first, second = make_cover(rendered, context), make_cover(rendered, context)
    assert first.file_name == "images/cover.png" and first.data == second.data


def test_stylesheet_speaks_reading_systems(built: tuple[Path, Path]) -> None:
    """Hyphenation and page-break properties with the prefixes and old names reading systems know; visible links."""
    with zipfile.ZipFile(built[1]) as z:
        css = z.read("EPUB/css/book.css").decode("utf-8")
    for needed in ("-webkit-hyphens: auto", "adobe-hyphenate: auto", "-epub-hyphens: auto", "hyphens: auto",
                   "page-break-after: avoid", "break-after: avoid"):
        assert needed in css, needed
    assert re.search(r"nav#toc a, \.index a \{[^}]*text-decoration: underline", css)


def test_titles_refined_for_stores(built: tuple[Path, Path]) -> None:
    """The main title and the subtitle are separate dc:title elements with their title-type."""
    package = opf(built[1])
    titles = {t.get("id"): t.text for t in package.iter(f"{{{NS['dc']}}}title")}
    kinds = {m.get("refines"): m.text for m in package.iter(f"{{{NS['opf']}}}meta")
             if m.get("property") == "title-type"}
    assert kinds.get("#title-main") == "main" and titles.get("title-main")
    if "title-sub" in titles:
        assert kinds.get("#title-sub") == "subtitle"


def test_copyright_claims_no_missing_typeface(built: tuple[Path, Path]) -> None:
    """The EPUB carries no fonts, so its copyright page does not say it is typeset in Linux Libertine."""
    with zipfile.ZipFile(built[1]) as z:
        fonts = [n for n in z.namelist() if n.lower().endswith((".otf", ".ttf", ".woff", ".woff2"))]
    text = "".join(documents(built[1])["EPUB/copyright.xhtml"].itertext())
    assert fonts or "Typeset with" not in text
    assert "print edition is set in Linux Libertine" in text


def test_epubcheck_clean(built: tuple[Path, Path]) -> None:
    """EPUBCheck has nothing to say."""
    assert epubcheck(built[1]) == []
