"""The index's locators are plain text in its layout, linked afterwards (coopbook.layout.indexlinks): each link
covers the number it goes to, even where the term holds the same digits, in a range, over several lines, in a
sub-entry and before a "see" reference, and each is tagged as an <a> would be."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pypdf

from coopbook.index.model import RANGE_DASH, CrossRef, Index, IndexEntry, IndexSection, LetterGroup, Locator
from coopbook.layout.book import book_style, index_specs
from coopbook.layout.part import lay_out, write_part
from coopbook.layout.partpdf import LINK_SCHEME
from coopbook.pipeline import load, template_context
from coopbook.templating import TEMPLATES

from readers import linked_number, pdf_words

REPO = Path(__file__).resolve().parents[2]


def page(number: int, target: str) -> Locator:
    return Locator(number, None, target, None, str(number))


def pages(first: int, last: int, start: str, end: str) -> Locator:
    return Locator(first, last, start, end, f"{first}{RANGE_DASH}{last}")


ENTRIES = (
    IndexEntry("org:coop100", "ILO COOP 100", (page(100, "m-a-1"), pages(1, 10, "m-a-2", "m-a-3"))),
    IndexEntry("org:long", "International Year of Cooperatives 2012 Steering Committee",
               tuple(page(n, f"m-b-{n}") for n in range(200, 236, 3)), see=(CrossRef("org:coop100", "ILO COOP 100"),)),
    IndexEntry("org:parent", "Parent 7", (page(7, "m-c-1"),),
               subentries=(IndexEntry("org:child", "Child 77", (page(77, "m-c-2"), page(777, "m-c-3"))),)),
)


def test_each_locator_link_covers_its_number_and_is_tagged(tmp_path: Path) -> None:
    context = template_context(load(REPO / "tests" / "books" / "mini").book)
    style = book_style(context, TEMPLATES)
    index = Index((IndexSection("organisations", "Organisations", (LetterGroup("I", ENTRIES),)),))
    (spec,) = index_specs(index, context, TEMPLATES)
    document, layout = lay_out(style, spec, 1, placeholders=True)
    path = tmp_path / "index.pdf"
    path.write_bytes(write_part(document, layout, style).pdf)

    expected = {loc.first_target: str(loc.first) for entry in ENTRIES for e in (entry, *entry.subentries)
                for loc in e.locators}
    expected |= {loc.last_target: str(loc.last) for entry in ENTRIES for loc in entry.locators if loc.is_range}
    words = pdf_words(path)
    reader = pypdf.PdfReader(str(path))
    found: dict[str, str] = {}
    lines: set[float] = set()
    for number, pdf_page in enumerate(reader.pages):
        for annot in (a.get_object() for a in pdf_page.get("/Annots") or []):
            target = str(annot["/A"]["/URI"]).removeprefix(LINK_SCHEME)
            xa, ya, xb, yb = (float(v) for v in annot["/Rect"])
            found[target] = linked_number(words[number], (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)))
            if target.startswith("m-b-"):
                lines.add(round(min(ya, yb)))
    assert found == expected
    assert len(lines) >= 2, "the long entry's locators should run over lines"

    with pikepdf.open(path) as pdf:
        nums = list(pdf.Root.StructTreeRoot.ParentTree.Nums)
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        annots = [annot for pdf_page in pdf.pages for annot in pdf_page.obj.get("/Annots", [])]
        assert len(annots) == len(expected)
        for annot in annots:
            element = tree[int(annot.StructParent)]
            kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
            assert element.S == "/Link" and any(isinstance(k, pikepdf.Dictionary) and "/Obj" in k
                                                and k.Obj.objgen == annot.objgen for k in kids)
            parents = [element.P, element.P.P]  # the entry's body, or its text's block inside it
            assert any(parent.S in ("/LBody", "/LI") for parent in parents)  # beside the text of its entry
