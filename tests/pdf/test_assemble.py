"""Assembling separately written part PDFs gives what a one-pass WeasyPrint write of the same pages gives.

Real PDFs, no mocks: a few small parts (front matter with contents links, a blank verso, two interviews with
cross-part and same-part links, an index with nested bookmarks) are laid out with the project's fonts; the
reference joins their pages with `Document.copy` and writes once, as coopbook does today.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf
import pypdf
import pytest
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration

from coopbook.layout.partpdf import FontUsage, pack_part
from coopbook.layout.partpdf import write_part_pdf as write_part
from coopbook.layout.structure import fold_spans
from coopbook.pdf.assemble import Assembled, AssemblyInfo, assemble, assemble_report
from coopbook.pdf.printmarks import add_bleed_and_marks
from coopbook.pipeline import Output
from coopbook.templating import TEMPLATES

CSS_TEXT = """
@page { size: 105mm 148mm; margin: 14mm 12mm; @bottom-center { content: counter(page); font: 8pt "Coopbook Serif"; } }
html { font: 10pt/1.35 "Coopbook Serif"; }
p { margin: 0 0 0.4em; text-align: justify; hyphens: auto; }
h1, h2 { font-family: "Coopbook Sans"; font-weight: bold; }
h1 { bookmark-level: 1; font-size: 1.6em; } h2 { bookmark-level: 2; font-size: 1.2em; }
.sc { font-variant: small-caps; }
"""
PROSE = ("The office of affluent fjords was the first to offer fifty fine efforts to the {n}th cooperative. "
         "Officials reflected on <i>fiscal affairs</i> and <b>efficient finance</b>; the <span class='sc'>Small "
         "Farmers Union</span> raised 1984 questions about “shuffled” ﬁgures — and answered them.")
FRONT_PAGES = 2


@dataclass(frozen=True)
class Book:
    """The parts as HTML (links as #id), the reference PDF and the parts' PDFs with their glyph usage."""

    reference: bytes
    parts: tuple[bytes, ...]
    exact: tuple[FontUsage, ...]


def page(body: str) -> str:
    """A part's HTML document."""
    return f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Part</title></head>' \
           f"<body>{body}</body></html>"


def interview(key: str, title: str, links: dict[int, str]) -> str:
    """An interview: a heading and numbered paragraphs with ids, some with links."""
    paragraphs = []
    for n in range(1, 15):
        link = f' <a href="{links[n]}">See {links[n]}.</a>' if n in links else ""
        paragraphs.append(f'<p id="p-{key}-{n}">{PROSE.format(n=n)}{link}</p>')
    return page(f'<h1 id="{key}">{title}</h1>' + "".join(paragraphs))


def index_part() -> str:
    """The index: an h1 with h2 sections (nested bookmarks) and entries linking to paragraphs."""
    sections = []
    for section, key in (("People", "one"), ("Countries", "two")):
        items = "".join(f'<li id="ix-{section}-{n}">Entry {n}, <a href="#p-{key}-{n % 14 + 1}">{n}</a></li>'
                        for n in range(1, 21))
        sections.append(f'<h2 id="index-{section.lower()}">{section}</h2><ul>{items}</ul>')
    return page('<h1 id="index">Index</h1>' + "".join(sections))


PARTS_HTML = (
    page('<h1 id="contents">Contents</h1><ul><li><a href="#one">One</a></li><li><a href="#two">Two</a></li>'
         '<li><a href="#index">Index</a></li><li><a href="#nowhere">A lost page</a></li></ul>'),
    page(""),
    interview("one", "Office affluence", {2: "#p-two-7", 4: "#p-one-9", 6: "https://example.org/", 8: "#two"}),
    interview("two", "Fifty fjords", {1: "#one", 3: "#p-one-5", 5: "#index-countries"}),
    index_part(),
)


def render(html: str, fonts: FontConfiguration, stylesheets: list[CSS]) -> Document:
    """Lay out one part."""
    return HTML(string=html, base_url=str(TEMPLATES) + "/").render(stylesheets=stylesheets, font_config=fonts)


@pytest.fixture(scope="module")
def book() -> Book:
    """The reference one-pass PDF and the part PDFs (in-book links as x-coopbook: URIs, whole font programs)."""
    fonts = FontConfiguration()
    sheets = [CSS(filename=str(TEMPLATES / "css" / "fonts.css"), font_config=fonts),
              CSS(string=CSS_TEXT, font_config=fonts)]
    documents = [render(html, fonts, sheets) for html in PARTS_HTML]
    reference = documents[0].copy([p for d in documents for p in d.pages]).write_pdf(pdf_tags=True)
    written = [write_part(render(html.replace('href="#', 'href="x-coopbook:'), fonts, sheets))
               for html in PARTS_HTML]
    parts = tuple(pack_part(data, frozenset()) for data, _ in written)  # as the worker caches them
    return Book(reference, parts, tuple(u for _, u in written))


INFO = AssemblyInfo(title="A Book", authors=("Ann Editor", "Bo Editor"), subject="Interviews",
                    keywords=("cooperatives", "ILO"), creator="coopbook 0.1", lang="en-GB",
                    created=dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC),
                    modified=dt.datetime(2024, 5, 7, 7, 8, 9, tzinfo=dt.UTC), front_pages=FRONT_PAGES)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A subset cache shared by the module's assemblies."""
    return tmp_path_factory.mktemp("subsets")


@pytest.fixture(scope="module")
def assembled(book: Book, cache: Path) -> Assembled:
    """The book assembled from its parts with the exact usage (the worker's `write_part`)."""
    return assemble_report(book.parts, book.exact, INFO, cache)


def open_pdf(data: bytes) -> pikepdf.Pdf:
    """Open PDF bytes with pikepdf."""
    return pikepdf.open(io.BytesIO(data))


def texts(data: bytes) -> list[str]:
    """The text of every page, as pypdf extracts it."""
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def links(data: bytes) -> list[list[tuple[tuple[float, ...], object]]]:
    """Per page: each link's rectangle and target (page index of its named destination, or its URI)."""
    pdf = open_pdf(data)
    index = {p.objgen: i for i, p in enumerate(pdf.pages)}
    tree = pikepdf.NameTree(pdf.Root.Names.Dests)
    found = []
    for page in pdf.pages:
        items: list[tuple[tuple[float, ...], object]] = []
        for annot in page.obj.get("/Annots", []):
            rect = tuple(round(float(v), 2) for v in annot.Rect)
            if "/Dest" in annot:
                dest = tree[str(annot.Dest)]
                items.append((rect, index[(dest if isinstance(dest, pikepdf.Array) else dest.D)[0].objgen]))
            else:
                items.append((rect, str(annot.A.URI)))
        found.append(sorted(items, key=repr))
    return found


def outline(data: bytes) -> list[tuple[int, str, int]]:
    """The bookmarks as (depth, title, page index), in order."""
    reader = pypdf.PdfReader(io.BytesIO(data))

    def walk(items: list, depth: int) -> Iterator[tuple[int, str, int]]:
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item)

    return list(walk(reader.outline, 0))


def test_pages_and_text_as_one_pass(book: Book, assembled: Assembled) -> None:
    assert assembled.pages == len(pypdf.PdfReader(io.BytesIO(book.reference)).pages) > len(PARTS_HTML)
    assert texts(assembled.pdf) == texts(book.reference)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not installed")
def test_pdftotext_reads_the_same(book: Book, assembled: Assembled, tmp_path: Path) -> None:
    def text(data: bytes, name: str) -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()

    ours = text(assembled.pdf, "ours.pdf")
    assert ours == text(book.reference, "reference.pdf")
    assert "office of affluent fjords" in ours and "Small Farmers Union" in ours.replace("\n", " ")


def test_usage_knows_the_text_of_ligatures(book: Book) -> None:
    """The usage WeasyPrint records while drawing gives each ligature glyph the text it stands for."""
    serif = {text for usage in book.exact for font in usage.fonts for _, text in font.texts
             if font.name == "Coopbook-Serif"}
    assert {"fi", "ffl", "ff"} <= serif and "m" in serif


def test_links_resolve_to_the_reference_pages(book: Book, assembled: Assembled) -> None:
    ours = links(assembled.pdf)
    assert ours == links(book.reference)
    assert sum(len(page) for page in ours) >= 40
    pdf = open_pdf(assembled.pdf)
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            assert "/A" not in annot or not str(annot.A.URI).startswith("x-coopbook:")


def test_missing_target_is_dropped_and_reported(assembled: Assembled) -> None:
    assert assembled.dropped_links == ("nowhere",)
    pdf = open_pdf(assembled.pdf)
    contents = [str(a.get("/Contents", "")) for p in pdf.pages for a in p.obj.get("/Annots", [])]
    assert "nowhere" not in contents and "x-coopbook:nowhere" not in contents


def test_one_sorted_name_tree(book: Book, assembled: Assembled) -> None:
    pdf = open_pdf(assembled.pdf)
    dests = pdf.Root.Names.Dests
    names = list(pikepdf.NameTree(dests).keys())
    assert names == sorted(names)
    assert set(names) == set(pikepdf.NameTree(open_pdf(book.reference).Root.Names.Dests).keys())
    assert "/Kids" in dests and len(names) > 64  # a balanced tree, leaves with /Limits
    for kid in dests.Kids:
        assert str(kid.Limits[0]) <= str(kid.Limits[1])


def test_bookmarks_as_one_pass(book: Book, assembled: Assembled) -> None:
    ours = outline(assembled.pdf)
    assert ours == outline(book.reference)
    assert (0, "Index", ours[-3][2]) == ours[-3][:3] and [d for d, _, _ in ours[-2:]] == [1, 1]


def test_page_labels(assembled: Assembled) -> None:
    labels = pypdf.PdfReader(io.BytesIO(assembled.pdf)).page_labels
    assert labels[:FRONT_PAGES] == ["i", "ii"]
    assert labels[FRONT_PAGES:] == [str(n) for n in range(1, assembled.pages - FRONT_PAGES + 1)]


def test_one_structure_tree(book: Book, assembled: Assembled) -> None:
    pdf = open_pdf(assembled.pdf)
    root = pdf.Root
    assert root.MarkInfo.Marked is True and root.ViewerPreferences.DisplayDocTitle is True
    assert str(root.Lang) == "en-GB"
    struct = root.StructTreeRoot
    nums = list(struct.ParentTree.Nums)
    tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    assert int(struct.ParentTreeNextKey) > max(tree)
    (document,) = list(struct.K)
    assert document.S == "/Document" and document.P.objgen == struct.objgen
    for number, page in enumerate(pdf.pages):
        mcids = [int(operands[1].MCID) for operands, op in pikepdf.parse_content_stream(page, "BDC")
                 if isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]]
        entry = tree[int(page.obj.StructParents)]
        tagged = [mcid for mcid, element in enumerate(entry) if element is not None]  # None: made an artifact
        assert sorted(mcids) == tagged and len(tagged) >= len(entry) - 1, f"page {number}"
        for mcid in tagged:  # on the element's page, or referenced with its page (MCR)
            element = entry[mcid]
            assert (mcid in [int(k) for k in _kids(element.K) if not isinstance(k, pikepdf.Dictionary)]
                    and element.Pg.objgen == page.obj.objgen) or any(
                isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/MCR" and int(k.MCID) == mcid
                and k.Pg.objgen == page.obj.objgen for k in _kids(element.K))
        for annot in page.obj.get("/Annots", []):
            element = tree[int(annot.StructParent)]
            assert any(isinstance(k, pikepdf.Dictionary) and k.get("/Obj") is not None
                       and k.Obj.objgen == annot.objgen for k in _kids(element.K))
    count = 0
    todo = [document]
    while todo:
        element = todo.pop()
        count += 1
        for kid in _kids(element.get("/K", pikepdf.Array())):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                assert kid.P.objgen == element.objgen
                todo.append(kid)
    reference = open_pdf(book.reference)
    assert fold_spans(reference) > 50  # the parts' bare spans are folded into their parents (layout.structure)
    assert count == _count(reference.Root.StructTreeRoot.K[0])


def _kids(value: pikepdf.Object) -> list:
    return list(value) if isinstance(value, pikepdf.Array) else [value]


def _count(element: pikepdf.Object) -> int:
    return 1 + sum(_count(k) for k in _kids(element.get("/K", pikepdf.Array()))
                   if isinstance(k, pikepdf.Dictionary) and "/S" in k)


def test_each_font_program_once_and_subset(book: Book, assembled: Assembled) -> None:
    pdf = open_pdf(assembled.pdf)
    programs: dict[str, tuple[int, int]] = {}
    for page in pdf.pages:
        for font in page.Resources.Font.values():
            assert re.fullmatch(r"/[A-Z]{6}\+Coopbook-[A-Za-z-]+", str(font.BaseFont))
            stream = font.DescendantFonts[0].FontDescriptor.FontFile3
            programs.setdefault(hashlib.sha256(stream.read_bytes()).hexdigest(), stream.objgen)
    objects = {s.objgen for s in pdf.objects if isinstance(s, pikepdf.Stream) and s.get("/Subtype") == "/OpenType"}
    assert len(objects) == len(programs) == len({v for v in programs.values()}) >= 4
    smallest = min(p.stat().st_size for p in (TEMPLATES / "fonts").glob("*.otf"))
    for objgen in objects:
        assert len(pdf.get_object(objgen).read_bytes()) < smallest / 4


def test_size_close_to_one_pass(book: Book, assembled: Assembled) -> None:
    assert len(assembled.pdf) <= 1.5 * len(book.reference)


def test_metadata(assembled: Assembled) -> None:
    pdf = open_pdf(assembled.pdf)
    info = pdf.docinfo
    assert str(info.Title) == "A Book" and str(info.Author) == "Ann Editor, Bo Editor"
    assert str(info.Subject) == "Interviews" and str(info.Keywords) == "cooperatives, ILO"
    assert str(info.Creator) == "coopbook 0.1" and str(info.Producer).endswith("+ coopbook")
    assert str(info.CreationDate) == "D:20240506070809Z" and str(info.ModDate) == "D:20240507070809Z"


def test_page_boxes_screen_and_print(book: Book, assembled: Assembled) -> None:
    """The screen PDF has only a MediaBox; its print variant trims where WeasyPrint's TrimBox would."""
    for page in open_pdf(assembled.pdf).pages:
        assert "/TrimBox" not in page.obj and "/BleedBox" not in page.obj
    printed = open_pdf(add_bleed_and_marks(assembled.pdf, "3mm"))
    reference = open_pdf(book.reference)
    for ours, theirs in zip(printed.pages, reference.pages, strict=True):
        assert [float(v) for v in ours.TrimBox] == [float(v) for v in theirs.TrimBox]
        assert float(ours.BleedBox[0]) == pytest.approx(float(theirs.TrimBox[0]) - 3 * 72 / 25.4)


def test_deterministic_and_cached(book: Book, tmp_path: Path) -> None:
    first = assemble_report(book.parts, book.exact, INFO, tmp_path)
    cached = sorted(p.name for p in tmp_path.iterdir())
    assert len(cached) == first.fonts.programs == first.fonts.subsets_made >= 4
    second = assemble_report(book.parts, book.exact, INFO, tmp_path)
    assert second.fonts.subsets_made == 0 and second.fonts.subsets_cached == first.fonts.programs
    assert sorted(p.name for p in tmp_path.iterdir()) == cached
    assert second.pdf == first.pdf
    assert assemble(book.parts, book.exact, INFO, None) == first.pdf


def test_usage_must_describe_its_part(book: Book) -> None:
    wrong = FontUsage(tuple(replace(font, program="0" * 64) for font in book.exact[2].fonts))
    with pytest.raises(ValueError, match="not the program its usage names"):
        assemble(book.parts, (*book.exact[:2], wrong, *book.exact[3:]), INFO, None)
    with pytest.raises(ValueError, match="parts but"):
        assemble(book.parts, book.exact[:-1], INFO, None)


def test_missing_characters_read_as_in_one_pass(tmp_path: Path) -> None:
    """A character no font has is drawn as .notdef through an Encoding CMap; its text survives assembly."""
    fonts = FontConfiguration()
    sheets = [CSS(filename=str(TEMPLATES / "css" / "fonts.css"), font_config=fonts),
              CSS(string=CSS_TEXT, font_config=fonts)]
    html = (page('<h1 id="a">Odd</h1><p>An unassigned \u0378 character, then <a href="#b">more</a>.</p>'),
            page('<h1 id="b">Two</h1><p>Again \u0378 and <a href="#a">back</a>.</p>'))
    documents = [render(h, fonts, sheets) for h in html]
    reference = documents[0].copy([p for d in documents for p in d.pages]).write_pdf(pdf_tags=True)
    written = [write_part(render(h.replace('href="#', 'href="x-coopbook:'), fonts, sheets)) for h in html]
    result = assemble_report([d for d, _ in written], [u for _, u in written], replace(INFO, front_pages=0),
                             tmp_path)
    assert any(font.notdef for _, usage in written for font in usage.fonts)
    assert texts(result.pdf) == texts(reference)
    assert links(result.pdf) == links(reference)
    pdf = open_pdf(result.pdf)
    encodings = [font.Encoding for font in pdf.pages[0].Resources.Font.values()]
    assert any(isinstance(encoding, pikepdf.Stream) for encoding in encodings)
    assert pypdf.PdfReader(io.BytesIO(result.pdf)).page_labels == ["1", "2"]


# ---- the page furniture: folios drawn after layout, as artifacts ------------------------------------------


def furniture_operations(page: pikepdf.Page) -> list[tuple[str, list[object]]]:
    """The operators of a page's content stream, as (operator, operands)."""
    return [(str(op), list(operands)) for operands, op in pikepdf.parse_content_stream(page)]


def test_folios_and_heads_are_artifacts_drawn_from_the_furniture(mini_book: dict[str, Output]) -> None:
    output = mini_book["pdf"]
    reader = pypdf.PdfReader(str(output.path))
    labels = reader.page_labels
    with pikepdf.open(output.path) as pdf:
        drawn = 0
        for number, label in enumerate(labels):
            page = pdf.pages[number]
            ops = furniture_operations(page)
            folios = [name for name in page.obj.Resources.get("/XObject", {}).keys()
                      if name.startswith("/CoopbookFolio")]
            text = reader.pages[number].extract_text() or ""
            if not label.isdigit() or not text.strip():  # front matter (its own folios) and blank versos
                assert not (ops and ops[0][0] == "BDC" and ops[0][1][0] == "/Artifact"), label
                continue
            assert ops[0][0] == "BDC" and ops[0][1][0] == "/Artifact", (label, ops[:3])
            end = [op for op, _ in ops].index("EMC")
            assert [op for op, _ in ops[1:end]] == ["q", "Do", "Q"] * ((end - 1) // 3), (label, ops[:end + 1])
            inner = []
            for _, operands in ops[2:end:3]:  # each Do: a folio piece's page or a head piece's page
                assert str(operands[0]) in folios
                form = page.obj.Resources.XObject[operands[0]]
                inner += [(str(op), list(args)) for args, op in pikepdf.parse_content_stream(form)]
            assert not any(op in ("BDC", "BMC") for op, _ in inner), "the furniture carries no tags"
            first_line = text.split("\n", 1)[0].split()
            assert label in (first_line[0], first_line[-1]), (label, text[:40])  # the folio the label says
            shown = [op for op, _ in inner if op in ("Tj", "TJ")]
            opening = label == "1" or len(first_line) == 1
            assert len(shown) >= (1 if opening else 2), (label, shown)  # a folio, and a running head but on openers
            drawn += 1
        assert drawn >= 3
        programs = [str(obj.FontName) for obj in pdf.objects
                    if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor"]
        assert len(programs) == len(set(programs)), programs  # the furniture's fonts merged with the parts'
        struct_text = str(pdf.Root.StructTreeRoot.K)
        assert "/CoopbookFolio" not in struct_text


def test_each_furniture_page_embedded_once(real_book: dict[str, Output]) -> None:
    """A piece's page drawn on many book pages (the versos' title) is one Form XObject; no two forms are equal."""
    with pikepdf.open(real_book["pdf"].path) as pdf:
        uses: dict[tuple[int, int], int] = {}
        contents: dict[tuple[int, int], bytes] = {}
        for page in pdf.pages:
            for name, form in page.obj.Resources.get("/XObject", {}).items():
                if name.startswith("/CoopbookFolio"):
                    uses[form.objgen] = uses.get(form.objgen, 0) + 1
                    contents[form.objgen] = form.read_bytes()
    assert max(uses.values()) >= 2, uses  # the versos' title: one form, drawn on each verso
    assert len(set(contents.values())) == len(contents), "a piece's page was copied more than once"


def test_assembly_leaves_no_files(book: Book, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts are read through temporary files; none is left behind, and the bytes are as from any other run."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert assemble(book.parts, book.exact, INFO, cache) == assemble(list(book.parts), book.exact, INFO, cache)
    assert list(tmp_path.iterdir()) == []
