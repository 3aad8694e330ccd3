"""The page geometry follows the trim (coopbook.layout.geometry): the 6 × 9 in design's margins unchanged, a
measure of 20 to 33 ems (about 45 to 75 characters) at a small and a large trim, and on the multilingual book's
110 mm pages every word inside the text block or, for folios and running heads, in the head or foot margin."""

from __future__ import annotations

import pytest

from coopbook.layout.geometry import MAX_MEASURE_EM, MIN_MEASURE_EM, PageGeometry, page_geometry
from coopbook.source.bookconfig import PrintSettings, millimetres
from coopbook.templating import render_template

from readers import FOLIO, pdf_words

POINTS_PER_MM = 72 / 25.4
SLACK = 0.6  # points: a glyph's box may pass its advance by a hair (a hyphen, an italic's overhang)


def test_the_6_by_9_design_keeps_its_margins_and_its_stylesheet() -> None:
    """At 6 × 9 in the margins are the design's 20/22 mm head and foot, 19 mm gutter and 17 mm outer edge, written
    as before (the real book's pages do not change), versos mirrored for every page kind that falls on one."""
    geometry = page_geometry(PrintSettings(trim_width="6in", trim_height="9in"))
    assert (geometry.head, geometry.foot, geometry.gutter, geometry.outer, geometry.type_pt) == (20, 22, 19, 17, 10.5)
    css = render_template("css/geometry.css.j2", geometry=geometry)
    assert "@page { size: 6in 9in; margin: 20mm 17mm 22mm 19mm; }" in css
    assert "html { font-size: 10.5pt; }" in css
    for page in ("body", "folio-top", "folio-foot", "front", "index"):
        assert f"@page {page}:left {{ margin-left: 17mm; margin-right: 19mm; }}" in css
    assert page_geometry(PrintSettings(trim_width="152.4mm", trim_height="228.6mm")) == PageGeometry(
        "152.4mm", "228.6mm", 20, 22, 19, 17)


@pytest.mark.parametrize(("width", "height"), [("110mm", "180mm"), ("148mm", "210mm"), ("210mm", "297mm"),
                                               ("500mm", "500mm"), ("50mm", "80mm")])
def test_the_measure_stays_in_range(width: str, height: str) -> None:
    """At a pocket trim, A5, A4 and the largest and smallest trims allowed, the margins are positive and the
    measure lies within 20 to 33 ems of the body type (the smallest trim: as wide as half its margins allow)."""
    geometry = page_geometry(PrintSettings(trim_width=width, trim_height=height))
    assert min(geometry.head, geometry.foot, geometry.gutter, geometry.outer) > 0
    assert geometry.gutter > geometry.outer
    if width != "50mm":
        assert MIN_MEASURE_EM - 0.01 <= geometry.measure_em <= MAX_MEASURE_EM + 0.01, geometry
    else:
        assert geometry.measure_em < MIN_MEASURE_EM


def test_a_small_trim_gets_narrower_margins_and_a_large_one_wider() -> None:
    """The margins follow the trim: at 110 × 180 mm the measure is ~84 mm (it was 74 mm with the 6 × 9 margins),
    at A4 the side margins take what would make lines over 75 characters."""
    small = page_geometry(PrintSettings(trim_width="110mm", trim_height="180mm"))
    assert (small.head, small.foot, small.gutter, small.outer) == (15.75, 17.32, 13.71, 12.27)
    assert 22 < small.measure_em < 23
    large = page_geometry(PrintSettings(trim_width="210mm", trim_height="297mm"))
    assert large.gutter > 40 and large.outer > 35 and large.measure_em == pytest.approx(MAX_MEASURE_EM, abs=0.01)


def test_words_and_furniture_stay_in_their_places_on_a_small_trim(multilingual_book: dict) -> None:
    """On every page of the multilingual book (110 × 180 mm) every word lies between the page's side margins
    (mirrored: the gutter on the left of a recto), and above or below the text block only folios and running
    heads are printed, inside the head and foot margins."""
    geometry = page_geometry(PrintSettings(trim_width="110mm", trim_height="180mm"))
    width, height = (millimetres(geometry.width) * POINTS_PER_MM, millimetres(geometry.height) * POINTS_PER_MM)
    top, foot = height - geometry.head * POINTS_PER_MM, geometry.foot * POINTS_PER_MM
    outside, margin_words = [], {}
    for number, words in enumerate(pdf_words(multilingual_book["pdf"].path), start=1):
        left, right = (geometry.gutter, geometry.outer) if number % 2 else (geometry.outer, geometry.gutter)
        x1, x2 = left * POINTS_PER_MM - SLACK, width - right * POINTS_PER_MM + SLACK
        for word in words:
            if word.x1 < x1 or word.x2 > x2 or word.y1 < 0 or word.y2 > height:
                outside.append((number, word.text, round(word.x1, 1), round(word.x2, 1)))
            if word.y1 > top - SLACK or word.y2 < foot + SLACK:
                margin_words.setdefault(number, []).append(word.text)
    assert not outside, outside
    assert len(margin_words) > 10, margin_words
    for number, texts in margin_words.items():  # one folio; a head (the book's title, an index section's) on versos
        assert sum(FOLIO.fullmatch(text) is not None for text in texts) == 1, (number, texts)
        assert len(texts) == 1 or number % 2 == 0, (number, texts)
