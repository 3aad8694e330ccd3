"""Folding WeasyPrint's bare spans into their parents keeps every tag a reader uses (coopbook.layout.structure).

A real tagged PDF from WeasyPrint (paragraphs that run over pages, links, emphasis in links, a footnote-like
nested span), folded: the content of every element in reading order, the parent tree of every page and
annotation and the /P of every element still agree; no bare span is left; and far fewer objects are written.
What WeasyPrint draws in page-margin boxes, tagged outside the tree, becomes a pagination artifact.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pikepdf
import pypdf
import pytest
from weasyprint import HTML

from coopbook.layout.partpdf import pack_part
from coopbook.layout.structure import fold_spans

WORDS = "cooperative " * 70
HTML_TEXT = "<html lang='en'><body>" + "".join(
    f"<p>Paragraph {i} with <em>emphasis</em>, <a href='https://example.org/{i}'>a link with <strong>bold "
    f"words</strong></a> and <span lang='fr'>un peu de <em>français</em></span>. {WORDS}</p>"
    for i in range(24)) + "<ul><li>One item</li><li>Two <em>items</em></li></ul></body></html>"

Content = tuple[tuple[int, int], int]  # (page object number, mcid), its holding element's object number


@pytest.fixture(scope="module")
def tagged() -> bytes:
    """A tagged PDF of several pages, as WeasyPrint writes a part."""
    return HTML(string=HTML_TEXT).write_pdf(pdf_tags=True)


def kids(value: object) -> list:
    """A /K value as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, pikepdf.Array) else [value]


def is_element(value: object) -> bool:
    """Whether a /K item is a structure element."""
    return isinstance(value, pikepdf.Dictionary) and "/S" in value


def content(element: pikepdf.Dictionary, holder: pikepdf.Dictionary | None = None) -> Iterator[Content]:
    """Every marked-content item under element in reading order, with the nearest non-Span element holding it."""
    holder = element if element.get("/S") != "/Span" or holder is None else holder
    for kid in kids(element.get("/K")):
        if isinstance(kid, int):
            yield (element.Pg.objgen, kid), holder.objgen[0]
        elif is_element(kid):
            yield from content(kid, holder)
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            yield (kid.Pg.objgen, int(kid.MCID)), holder.objgen[0]


def reading(pdf: pikepdf.Pdf) -> list[Content]:
    """The whole structure tree's content in reading order."""
    return [item for top in kids(pdf.Root.StructTreeRoot.K) for item in content(top)]


def spans(pdf: pikepdf.Pdf) -> int:
    """How many Span elements the tree holds."""
    todo, count = kids(pdf.Root.StructTreeRoot.K), 0
    while todo:
        element = todo.pop()
        count += element.get("/S") == "/Span"
        todo.extend(kid for kid in kids(element.get("/K")) if is_element(kid))
    return count


def test_folding_keeps_reading_order_and_holders(tagged: bytes) -> None:
    pdf = pikepdf.open(io.BytesIO(tagged))
    before = reading(pdf)
    assert spans(pdf) > 300 and len(pdf.pages) >= 3
    folded = fold_spans(pdf)
    assert folded > 300 and spans(pdf) == 0
    assert reading(pdf) == before  # same content, same order, held by the same paragraphs, links, items


def test_folded_parent_tree_and_parents_agree(tagged: bytes) -> None:
    pdf = pikepdf.open(io.BytesIO(tagged))
    fold_spans(pdf)
    out = io.BytesIO()
    pdf.save(out)
    pdf = pikepdf.open(io.BytesIO(out.getvalue()))
    tree = dict(pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree).items())
    held = {item: holder for item, holder in reading(pdf)}
    for page in pdf.pages:
        mcids = [int(operands[1].MCID) for operands, _ in pikepdf.parse_content_stream(page, "BDC")
                 if isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]]
        entry = list(tree[int(page.obj.StructParents)])
        assert sorted(mcids) == list(range(len(entry)))
        for mcid, element in enumerate(entry):
            assert held[(page.obj.objgen, mcid)] == element.objgen[0]
        for annot in page.obj.get("/Annots", []):
            link = tree[int(annot.StructParent)]
            assert any(isinstance(k, pikepdf.Dictionary) and k.get("/Obj") is not None
                                             and k.Obj.objgen == annot.objgen for k in kids(link.K))
    todo = kids(pdf.Root.StructTreeRoot.K)
    while todo:
        element = todo.pop()
        for kid in kids(element.get("/K")):
            if is_element(kid):
                assert kid.P.objgen == element.objgen
                todo.append(kid)


def test_content_on_another_page_than_its_parent_becomes_a_reference(tagged: bytes) -> None:
    pdf = pikepdf.open(io.BytesIO(tagged))
    span = next(e for e in pdf.objects if isinstance(e, pikepdf.Dictionary) and e.get("/S") == "/Span"
                and e.P.get("/S") == "/P" and e.P.Pg.objgen == pdf.pages[0].obj.objgen)
    parent, mcid = span.P, int(kids(span.K)[0])
    span.Pg = pdf.pages[1].obj  # as a span of a paragraph on its next page would be
    fold_spans(pdf)
    (reference,) = [k for k in kids(parent.K) if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/MCR"]
    assert reference.Pg.objgen == pdf.pages[1].obj.objgen and int(reference.MCID) == mcid


def test_a_span_with_attributes_stays(tagged: bytes) -> None:
    pdf = pikepdf.open(io.BytesIO(tagged))
    first = next(e for e in pdf.objects if isinstance(e, pikepdf.Dictionary) and e.get("/S") == "/Span"
                 and e.P.get("/S") == "/P")
    first.Lang = pikepdf.String("fr")
    fold_spans(pdf)
    assert spans(pdf) == 1


def test_packed_part_is_a_third_of_the_objects(tagged: bytes) -> None:
    plain = pikepdf.open(io.BytesIO(tagged))
    packed = pikepdf.open(io.BytesIO(pack_part(tagged, frozenset())))
    assert spans(packed) == 0 and reading(packed) != []
    assert len(packed.objects) * 2 < len(plain.objects)


def test_margin_box_content_becomes_a_pagination_artifact() -> None:
    folios = "<style>@page { @bottom-center { content: 'folio ' counter(page) } }</style>"
    data = HTML(string=folios + HTML_TEXT).write_pdf(pdf_tags=True)
    pdf = pikepdf.open(io.BytesIO(data))

    def lost(pdf: pikepdf.Pdf) -> int:
        reached = {element.objgen for top in kids(pdf.Root.StructTreeRoot.K) for element in walk(top)}
        tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        return sum(isinstance(e, pikepdf.Dictionary) and e.objgen not in reached
                   for page in pdf.pages for e in tree[int(page.obj.StructParents)])

    assert lost(pdf) == len(pdf.pages)  # WeasyPrint: each folio is content of an element outside the tree
    packed_data = pack_part(data, frozenset())
    packed = pikepdf.open(io.BytesIO(packed_data))
    assert lost(packed) == 0
    for number, page in enumerate(packed.pages, start=1):
        artifacts = [operands for operands, op in pikepdf.parse_content_stream(page, "BDC")
                     if operands[0] == "/Artifact" and operands[1].get("/Type") == "/Pagination"]
        assert len(artifacts) == 1, f"page {number}"
        assert f"folio {number}" in pypdf.PdfReader(io.BytesIO(packed_data)).pages[number - 1].extract_text()


def walk(element: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    """The element and every structure element under it."""
    yield element
    for kid in kids(element.get("/K")):
        if is_element(kid):
            yield from walk(kid)
