"""The page furniture of the body and index: folios and running heads, drawn after layout on the parts' pages.

Parts are laid out without folios or heads (so a part's pages do not depend on where it falls, and a
correction that moves pages lays out one part again). The furniture is one document of empty pages, one per
arabic page of the book, whose @page margin boxes print them (templates/css/pdf.css, the `folio` pages): a
part's opening page has its folio at the foot, other pages the folio at the outer top corner beside the head
(the book's title on versos, the part's head on rectos), blank versos nothing. It is laid out once per book
(cached by its page plan) and written untagged; at assembly each of its pages is drawn under the page's own
content as a Form XObject inside an /Artifact marked-content sequence, so folios and heads are pagination
artifacts, not text in the structure tree. Its fonts go through the book's font subsetting like a part's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pikepdf

from ..layout.part import PartLayout, PartResult, PartSpec, Style, lay_out, write_part
from ..templating import render_template

PageKind = str  # "open" (a part's first page), "page" (any other), "index" (an index page) or "blank" (a verso)
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
        else:  # the index sets its own heads ("Countries (continued)"): its pages take the folio only
            kinds.extend(["open", *["index" if part.kind == "index" else "page"] * (part.page_count - 1)])
    return tuple(kinds)


def page_heads(parts: Sequence[PartLayout], heads: Mapping[str, str]) -> tuple[str, ...]:
    """The recto running head of every page of the given parts (their part's; none on blank versos)."""
    return tuple(heads.get(part.name, "") for part in parts for _ in range(part.page_count))


class _HeadFinder(HTMLParser):
    """The running head a part sets: its first data-runhead attribute, else the text of its first h1."""

    def __init__(self) -> None:
        super().__init__()
        self.head: str | None = None
        self.h1: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Take a data-runhead at once; start reading the first h1."""
        value = dict(attrs).get("data-runhead")
        if self.head is None and value is not None:
            self.head = value
        elif tag == "h1" and self.h1 is None:
            self.h1 = []

    def handle_data(self, data: str) -> None:
        """Collect the first h1's text."""
        if self.h1 is not None and self.head is None:
            self.h1.append(data)

    def handle_endtag(self, tag: str) -> None:
        """The first h1 ends: its text is the head unless a data-runhead came first."""
        if tag == "h1" and self.head is None and self.h1 is not None:
            self.head = " ".join("".join(self.h1).split())


def running_head(html: str) -> str:
    """The recto running head of a part (what pdf.css's string-set rules give: data-runhead, or the h1)."""
    finder = _HeadFinder()
    finder.feed(html)
    return finder.head or ""


def furniture_spec(kinds: Sequence[PageKind], heads: Sequence[str], variables: dict[str, object],
                   templates: Path) -> PartSpec:
    """The furniture document: one empty page of each kind with its head, in order (pdf/furniture.html)."""
    html = render_template("pdf/furniture.html", templates, **variables, pages=list(zip(kinds, heads, strict=True)))
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
