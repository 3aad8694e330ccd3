"""Dot leaders drawn as one run each (coopbook.layout.leaders): the same dots at the same places, one run of text.

Laid out by WeasyPrint with the book's own stylesheets (templates/css: fonts, book, pdf), read back from the boxes
(each dot's x from the merged run's glyphs) and from the written PDF (pypdf: its text and its runs of text).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdf
import pytest
from weasyprint import CSS, HTML, Document
from weasyprint.formatting_structure import boxes

from coopbook.layout.indexlinks import glyph_edges
from coopbook.layout.leaders import merge_leaders

TITLES = ("Introduction", "Baba Migura", "A title long enough to run over onto a second line of the contents, "
          "so that its leader is on its last line", "Zu")
LEADER = " ."  # templates/css/pdf.css: the string a contents leader repeats
ENTRY = '<li><a href="#x"><span class="toc-title" data-folio="{folio}">{title}</span></a></li>'


def contents(templates: Path) -> Document:
    """A contents page of four entries, laid out with the book's stylesheets."""
    folios = (5, 17, 123, 1001)
    items = "".join(ENTRY.format(title=title, folio=folio) for title, folio in zip(TITLES, folios, strict=True))
    html = (f'<html lang="en"><body><section class="contents"><ol class="toc">{items}</ol></section>'
            '<p id="x">Text.</p></body></html>')
    sheets = [CSS(filename=str(templates / "css" / name)) for name in ("fonts.css", "book.css", "pdf.css")]
    return HTML(string=html, base_url=str(templates) + "/").render(stylesheets=sheets)


def descendants(box: boxes.Box) -> list[boxes.Box]:
    """Every box under box, in order."""
    found = []
    for child in box.children if isinstance(box, boxes.ParentBox) else ():
        found += [child, *descendants(child)]
    return found


def page_boxes(document: Document, kind: type[boxes.Box] = boxes.Box) -> list[boxes.Box]:
    """The boxes of the document's pages of a kind, in order."""
    return [box for page in document.pages for box in descendants(page._page_box) if isinstance(box, kind)]


def page_leaders(document: Document) -> list[boxes.InlineBox]:
    """The leader boxes of the document's pages, in order."""
    return [box for box in page_boxes(document, boxes.InlineBox) if box.is_leader]


def text_shows(pdf: bytes) -> int:
    """How many runs of text (TJ operators, each placed by its own text matrix) the PDF's pages draw."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return sum(len(re.findall(rb"(?m) TJ$", page.get_contents().get_data())) for page in reader.pages)


def page_text(pdf: bytes) -> str:
    """The PDF's text, spaces squeezed out (a reader's extraction spaces a run and its copies alike but for gaps)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


@pytest.fixture(scope="module")
def templates(repo: Path) -> Path:
    return repo / "templates"


def test_each_leader_becomes_one_run_with_the_dots_where_they_were(templates: Path) -> None:
    document = contents(templates)
    before = [sorted(text.position_x for text in leader.children) for leader in page_leaders(document)]
    assert len(before) == len(TITLES) and all(len(xs) > 10 for xs in before), "no leader was laid out in copies"
    assert merge_leaders(document) == len(TITLES)
    for leader, xs in zip(page_leaders(document), before, strict=True):
        (run,) = leader.children
        assert isinstance(run, boxes.TextBox) and run.text == LEADER * len(xs)
        assert run.width == pytest.approx(len(xs) * (xs[1] - xs[0]), abs=1e-3)
        edges = glyph_edges(run, [n * len(LEADER) for n in range(len(xs))])
        assert [edges[n * len(LEADER)] for n in range(len(xs))] == pytest.approx(xs, abs=1e-3)


def test_a_merged_page_draws_the_same_text_in_a_few_runs_an_entry(templates: Path) -> None:
    copies, merged = contents(templates), contents(templates)
    dots = sum(len(leader.children) for leader in page_leaders(copies))
    merge_leaders(merged)
    as_laid, as_merged = copies.write_pdf(), merged.write_pdf()
    assert page_text(as_merged) == page_text(as_laid)
    assert re.search(r"\. \. \. \.\s+123\n", pypdf.PdfReader(io.BytesIO(as_merged)).pages[0].extract_text())
    assert text_shows(as_laid) >= dots
    assert text_shows(as_merged) <= 4 * len(TITLES) + 1  # each entry's title (two lines at most), dots and folio


def test_no_dot_touches_the_title(templates: Path) -> None:
    """Each dot has a space before it: the first is at least a space's width after the title's last letter."""
    document = contents(templates)
    merge_leaders(document)
    for leader in page_leaders(document):
        (run,) = leader.children
        line = next(box for box in page_boxes(document, boxes.LineBox) if leader in descendants(box))
        title = [text for text in descendants(line)
                 if isinstance(text, boxes.TextBox) and text.position_x < run.position_x]
        title_end = max(text.position_x + text.width for text in title)
        first_dot = glyph_edges(run, [LEADER.index(".")])[LEADER.index(".")]
        assert first_dot - title_end >= 0.2 * run.style["font_size"], (first_dot, title_end)


def test_copies_that_do_not_touch_are_left_as_laid_out(templates: Path) -> None:
    document = contents(templates)
    moved = page_leaders(document)[1]
    copy = moved.children[3]
    copy.position_x += 0.5  # a gap between two copies: not one run any more
    assert merge_leaders(document) == len(TITLES) - 1
    assert copy in moved.children and len(moved.children) > 1
    assert all(len(leader.children) == 1 for n, leader in enumerate(page_leaders(document)) if n != 1)


def test_merging_twice_changes_nothing(templates: Path) -> None:
    document = contents(templates)
    merge_leaders(document)
    runs = [leader.children for leader in page_leaders(document)]
    assert merge_leaders(document) == 0
    assert [leader.children for leader in page_leaders(document)] == runs
