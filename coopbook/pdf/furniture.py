"""The page furniture of the body and index: folios, drawn after layout over the parts' pages.

Parts are laid out without folios (so a part's pages do not depend on where it falls, and a correction that
moves pages lays out one part again). The folios are one "furniture" document of empty pages, one per arabic
page of the book, whose @page margin boxes print the folios (templates/css/pdf.css, the `folio` pages): a
part's opening page has its folio at the foot, other pages at the outer top corner, blank versos none. It is
laid out once per book (cached by its page plan) and written untagged; at assembly each of its pages is drawn
under the book's page content as a Form XObject inside an /Artifact marked-content sequence, so folios are pagination
artifacts, not text in the structure tree. Its fonts go through the book's font subsetting like a part's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from ..layout.part import PartLayout, PartResult, PartSpec, Style, lay_out, write_part
from ..templating import render_template

PageKind = str  # "open" (a part's first page), "page" (any other) or "blank" (a blank verso)
ARTIFACT = b"/Artifact <</Type /Pagination>> BDC\n"


@dataclass(frozen=True)
class Furniture:
    """The furniture PDF of the arabic pages, from the book's page first_page on, and each page's kind."""

    result: PartResult
    first_page: int
    kinds: tuple[PageKind, ...]


def page_kinds(parts: Sequence[PartLayout]) -> tuple[PageKind, ...]:
    """The kind of every page of the given parts, in order (the body and index, from folio 1)."""
    kinds: list[PageKind] = []
    for part in parts:
        if part.kind == "blank":
            kinds.extend(["blank"] * part.page_count)
        else:
            kinds.extend(["open", *["page"] * (part.page_count - 1)])
    return tuple(kinds)


def furniture_spec(kinds: Sequence[PageKind], variables: dict[str, object], templates: Path) -> PartSpec:
    """The furniture document: one empty page of each kind, in order (templates/pdf/furniture.html)."""
    html = render_template("pdf/furniture.html", templates, **variables, pages=list(kinds))
    return PartSpec("furniture", "furniture", html)


def lay_out_furniture(style: Style, spec: PartSpec, pages: int) -> PartResult:
    """Lay out and write the furniture (untagged, full fonts left out like a part's); check its page count."""
    document, layout = lay_out(style, spec, 1)
    if layout.page_count != pages:
        raise ValueError(f"the page furniture has {layout.page_count} pages for {pages} arabic pages")
    return write_part(document, layout, style, tagged=False)


def draw_over(out: pikepdf.Pdf, page: pikepdf.Page, furniture: pikepdf.Page, number: int) -> None:
    """Draw furniture page number over a book page: a Form XObject wrapped as a pagination artifact."""
    form = out.copy_foreign(furniture.as_form_xobject())
    name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/CoopbookFolio{number}"))
    # drawn first (under the page's own content, which it never overlaps), in its own graphics state
    page.contents_add(pikepdf.Stream(out, ARTIFACT + b"q " + bytes(str(name), "ascii") + b" Do Q\nEMC\n"),
                      prepend=True)
