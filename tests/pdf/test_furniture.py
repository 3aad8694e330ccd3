"""The page furniture's pieces: what each page draws, and pieces that do not depend on any page count."""

from __future__ import annotations

from pathlib import Path

from coopbook.layout.part import PartLayout
from coopbook.pdf.furniture import FOLIO_RUN, VERSO_HEAD, head_specs, page_heads, page_kinds, plan_furniture
from coopbook.pipeline import template_context
from coopbook.source.book import load_book
from coopbook.templating import TEMPLATES

MINI = Path(__file__).resolve().parents[1] / "books" / "mini"
VARIABLES = template_context(load_book(MINI)).variables()


def plan(pages: list[tuple[str, str, int]]) -> tuple[list[str], tuple[tuple[tuple[str, int], ...], ...]]:
    """The plan of parts given as (name, kind, page count), from folio 1: folio pieces' names and each page's draws."""
    layouts, folio = [], 1
    for name, kind, count in pages:
        layouts.append(PartLayout(name, kind, folio, count))  # type: ignore[arg-type]
        folio += count
    heads = {name: f"Head of {name}" for name, kind, _ in pages if kind == "interview"}
    result = plan_furniture(page_kinds(layouts), page_heads(layouts, heads), list(heads.values()), 1, VARIABLES,
                            TEMPLATES)
    return [spec.name for spec in result.specs], result.draws


def test_each_page_draws_its_folio_and_its_head_left_to_right() -> None:
    names, draws = plan([("a", "interview", 3), ("blank", "blank", 1), ("b", "interview", 3), ("index", "index", 2)])
    assert names == ["furniture-folio-foot-0", "furniture-folio-top-0"]
    assert draws[0] == (("furniture-folio-foot-0", 0),)  # an opening page: the folio at the foot only
    assert draws[1] == (("furniture-folio-top-0", 1), (VERSO_HEAD, 0))  # a verso: folio, then the book's title
    assert draws[2] == (("furniture-head-0", 0), ("furniture-folio-top-0", 2))  # a recto: its head, then the folio
    assert draws[3] == ()  # a blank verso: nothing
    assert draws[6] == (("furniture-head-0", 1), ("furniture-folio-top-0", 6))  # b's head is the run's second
    assert draws[7] == (("furniture-folio-foot-0", 7),) and draws[8] == (("furniture-folio-top-0", 8),)  # the index


def test_a_page_shift_needs_the_same_pieces_but_at_the_end() -> None:
    book = [(f"i{n}", "interview", 9) for n in range(20)]
    before, _ = plan(book)
    book[3] = ("i3", "interview", 11)  # a correction adds two pages to the fourth interview
    after, _ = plan(book)
    assert len(before) >= 10 and set(before) <= set(after)
    assert len(set(after) - set(before)) <= 2  # the run the book's last pages now reach, if any


def test_folio_pieces_number_their_run_and_head_pieces_hold_their_heads() -> None:
    _, draws = plan([(f"i{n}", "interview", 7) for n in range(12)])
    last = draws[-1][0]  # folio 84, a verso: its folio first
    assert last == (f"furniture-folio-top-{(len(draws) - 1) // FOLIO_RUN}", (len(draws) - 1) % FOLIO_RUN)
    specs = head_specs([f"Head {n}" for n in range(20)] + ["Head 3"], VARIABLES, TEMPLATES)
    assert [s.name for s in specs] == [VERSO_HEAD, "furniture-head-0", "furniture-head-1"]
    assert specs[2].html.count("data-runhead=") == 4 and 'data-runhead="Head 19"' in specs[2].html
