"""The page furniture of the body and index: folios and running heads, drawn after layout on the parts' pages.

Parts are laid out without folios or heads (so a part's pages do not depend on where it falls, and a
correction that moves pages lays out one part again). The furniture is drawn from small documents of empty
pages, "pieces", whose @page margin boxes print it (templates/css/pdf.css): folio pieces, each a run of
FOLIO_RUN numbers at the outer top corner or at the foot (a part's opening page), and head pieces, each the
recto running heads of up to HEAD_RUN parts, plus one with the book's title for versos. A piece depends on no
page count, so a correction that moves pages finds every piece in the cache but the few new numbers at the end;
pieces are laid out across the workers like parts. A page's furniture is a list of (piece, page) draws; at
assembly each is drawn under the page's own content as a Form XObject inside one /Artifact marked-content
sequence, so folios and heads are pagination artifacts, not text in the structure tree. Pieces are written
untagged; their fonts go through the book's font subsetting like a part's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pikepdf

from ..layout.part import PartLayout, PartResult, PartSpec
from ..templating import render_template

PageKind = str  # "open" (a part's first page), "page" (any other), "index" (an index page) or "blank" (a verso)
Draw = tuple[str, int]  # (piece name, page of the piece)
ARTIFACT = b"/Artifact <</Type /Pagination>> BDC\n"
FOLIO_RUN = 32  # numbers per folio piece (even: a run starts on an odd, recto number, as its piece's first page)
HEAD_RUN = 16  # running heads per head piece
PIECE = "furniture-"  # the prefix of every piece's name (progress events tell pieces from parts by it)
VERSO_HEAD = f"{PIECE}head-verso"


@dataclass(frozen=True)
class Furniture:
    """The pieces (laid out) and, for each arabic page from the book's page first_page on, what to draw on it."""

    pieces: Mapping[str, PartResult]
    first_page: int
    draws: tuple[tuple[Draw, ...], ...]

    def used(self) -> list[str]:
        """The pieces some page draws, in a fixed order (their names, sorted)."""
        return sorted({name for page in self.draws for name, _ in page})


@dataclass(frozen=True)
class FurniturePlan:
    """The pieces the body and index need (specs to lay out) and each page's draws."""

    specs: tuple[PartSpec, ...]
    draws: tuple[tuple[Draw, ...], ...]


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
    end = html.find("</h1>")  # once the first h1 has ended, the head is known: the rest need not be read
    finder.feed(html if end < 0 else html[:end + len("</h1>")])
    return finder.head or ""


def head_runs(heads: Sequence[str]) -> list[tuple[str, ...]]:
    """The distinct recto heads, in order of first use, cut into runs of HEAD_RUN (one head piece each)."""
    distinct = list(dict.fromkeys(heads))
    return [tuple(distinct[i:i + HEAD_RUN]) for i in range(0, len(distinct), HEAD_RUN)]


def head_specs(heads: Sequence[str], variables: Mapping[str, object], templates: Path) -> list[PartSpec]:
    """The head pieces: the versos' book title, then each run of recto heads (known before any layout)."""
    specs = [_spec(VERSO_HEAD, "head-verso", [""], 0, variables, templates)]
    specs += [_spec(f"{PIECE}head-{number}", "head-recto", list(run), 0, variables, templates)
              for number, run in enumerate(head_runs(heads))]
    return specs


def folio_spec(style: str, run: int, variables: Mapping[str, object], templates: Path) -> PartSpec:
    """The folio piece of a style ("top" or "foot") for run `run`: folios run*FOLIO_RUN+1 to (run+1)*FOLIO_RUN."""
    return _spec(f"{PIECE}folio-{style}-{run}", f"folio-{style}", [""] * FOLIO_RUN, run * FOLIO_RUN + 1, variables,
                 templates)


def likely_folio_specs(pages: int, variables: Mapping[str, object], templates: Path) -> list[PartSpec]:
    """The folio pieces, both styles, of every run that a book of at least `pages` arabic pages reaches."""
    return [folio_spec(style, run, variables, templates)
            for run in range((pages + FOLIO_RUN - 1) // FOLIO_RUN) for style in ("top", "foot")]


def _spec(name: str, page: str, heads: list[str], first: int, variables: Mapping[str, object],
          templates: Path) -> PartSpec:
    html = render_template("pdf/furniture.html", templates, **variables, page=page, heads=heads, first=first)
    return PartSpec(name, "furniture", html)


def plan_furniture(kinds: Sequence[PageKind], heads: Sequence[str], all_heads: Sequence[str], first_folio: int,
                   variables: Mapping[str, object], templates: Path) -> FurniturePlan:
    """What each page draws (folio and head pieces) and the folio pieces that needs; head pieces: head_specs.

    Pages are numbered from first_folio; versos (even folios) take the book's title, rectos their part's head
    (all_heads: every recto head of the book, in order, as head_specs cut them into pieces).
    """
    piece_of_head = {head: (f"{PIECE}head-{number}", index)
                     for number, run in enumerate(head_runs(all_heads)) for index, head in enumerate(run)}
    draws: list[tuple[Draw, ...]] = []
    folios: dict[str, PartSpec] = {}
    for offset, (kind, head) in enumerate(zip(kinds, heads, strict=True)):
        folio = first_folio + offset
        if kind == "blank":
            draws.append(())
            continue
        style = "foot" if kind == "open" else "top"
        run, place = divmod(folio - 1, FOLIO_RUN)
        spec = folios.get(f"{PIECE}folio-{style}-{run}") or folio_spec(style, run, variables, templates)
        folios[spec.name] = spec
        number: Draw = (spec.name, place)
        if kind != "page":
            draws.append((number,))
        elif folio % 2 == 0:
            draws.append((number, (VERSO_HEAD, 0)))
        else:  # left to right, as the margin boxes were drawn: head, then folio
            draws.append((piece_of_head[head], number))
    return FurniturePlan(tuple(folios[name] for name in sorted(folios)), tuple(draws))


def draw_over(out: pikepdf.Pdf, page: pikepdf.Page, forms: Sequence[pikepdf.Object], number: int) -> None:
    """Draw furniture pages (Form XObjects) over a book page, under its content, as one pagination artifact."""
    ops = [ARTIFACT]
    for index, form in enumerate(forms):
        name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/CoopbookFolio{number}_{index}"))
        ops.append(b"q " + bytes(str(name), "ascii") + b" Do Q\n")
    ops.append(b"EMC\n")
    # drawn first (under the page's own content, which it never overlaps), in its own graphics state
    page.contents_add(pikepdf.Stream(out, b"".join(ops)), prepend=True)
