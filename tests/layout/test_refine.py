"""The feedback step's trial layouts (coopbook.layout.refine): a paragraph laid out with the others hidden has the
lines it has in the full layout, on every test book; the final layout shows the lines the trials chose."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from test_typesetting import BOOKS, measured
from weasyprint import HTML

import coopbook.layout.part as part
from coopbook.layout import refine
from coopbook.layout.retouch import HIDDEN, Retouch, retouch
from coopbook.templating import TEMPLATES

Render = refine.Render


def _probe(differ: list, checked: list) -> refine.Render:
    """A stand-in for refine.refine: lays the part out in full, then twice in trials (every other paragraph
    shown, then the rest), and records every paragraph whose trial lines differ from its full-layout lines."""

    def probe(render: Render, name: str, memo: object = None) -> object:
        first = refine.measure(*render((), frozenset()), ())
        keys = sorted(first.settings)
        for group in (keys[0::2], keys[1::2]):
            if not group:
                continue
            retouches = [Retouch(s.retouch.element, s.retouch.shown, s.retouch.ink, ())
                         for s in (first.settings[key] for key in group)]
            blocks = refine.trial_blocks(first.elements, group)
            trial = refine.measure(*render(retouches, blocks.hidden, blocks.muted), retouches)
            assert len(trial.document.pages) <= len(first.document.pages)
            for key in group:
                full = refine.shape(first.settings[key].lines)
                tried = trial.settings.get(key)
                checked.append((name, key))
                if tried is None or refine.shape(tried.lines) != full:
                    differ.append((name, key, full, tried and refine.shape(tried.lines)))
        return first.document

    return probe


@pytest.mark.slow
@pytest.mark.parametrize("book", sorted(BOOKS))
def test_a_paragraph_has_the_same_lines_in_a_trial_as_in_the_full_layout(
        book: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hiding every block but some paragraphs (and the blocks that hold footnotes, whose numbers would change)
    leaves those paragraphs' lines as they are in the full layout: same texts, same breaks, same gaps; on every
    test book, footnotes, lists, blockquotes, paragraphs after a heading and paragraphs split across pages
    included."""
    differ: list = []
    checked: list = []
    monkeypatch.setattr(part, "refine", _probe(differ, checked))
    measured(BOOKS[book])
    assert checked
    assert not differ, differ


def test_hidden_blocks_keep_the_paragraphs_tried_their_ancestors_and_footnotes() -> None:
    """A trial hides the largest subtrees without a paragraph tried or a footnote; a hidden block keeps its
    place in the tree (selectors like p + p still match), with a class whose rule is display: none."""
    source = HTML(string='<body><h1>T</h1><p id=a>One</p><ul><li><p id=b>Two</p></li><li>Three</li></ul>'
                         '<p id=c>Four<span class="footnote">n</span></p><p id=d>Five</p></body>')
    elements = list(source.etree_element.iter())
    at = {e.get("id") or e.text: n for n, e in enumerate(elements)}
    hidden = refine.trial_blocks(elements, [at["b"]]).hidden
    names = sorted(elements[n].get("id") or elements[n].text for n in hidden)
    assert names == ["T", "Three", "a", "d"]
    retouch(source.etree_element, [], hidden)
    assert elements[at["a"]].get("class") == HIDDEN
    css = (Path(part.__file__).parents[2] / "templates" / "css" / "pdf.css").read_text("utf-8")
    assert re.search(rf"^\.{HIDDEN} {{ display: none !important; }}$", css, re.M)


@pytest.mark.slow
@pytest.mark.parametrize("book", ["real", "multilingual"])
def test_the_final_layout_shows_the_lines_the_trials_chose(book: str, caplog: pytest.LogCaptureFixture) -> None:
    """The build's debug log says, for each part retouched, that its final layout shows the lines its trials
    chose for every changed paragraph, and never keeps a layout with more pages, loose lines or faults."""
    with caplog.at_level(logging.DEBUG, logger="coopbook.layout.refine"):
        measured(BOOKS[book])
    finals = [m for m in (r.getMessage() for r in caplog.records) if "2 full layouts" in m]
    assert finals
    for message in finals:
        same = re.search(r"the lines its trials chose for (\d+) of (\d+) changed", message)
        assert same and same.group(1) == same.group(2), message
        assert message.endswith("final kept"), message



def test_a_trial_empties_the_text_of_the_blocks_it_keeps_only_for_their_footnotes() -> None:
    """A block kept for the footnote it holds (not for a paragraph tried) loses its own text and its children's
    tails in a trial, not the footnote; a block that holds a paragraph tried keeps its text."""
    source = HTML(string='<body><p id=a>One</p><div id=w>Around<p id=b>Two</p><p id=c>Four<em>x</em> tail'
                         '<span class="footnote">n</span> end</p></div><p id=d>Five<span class="footnote">m</span>'
                         ' after</p></body>')
    elements = list(source.etree_element.iter())
    at = {e.get("id") or e.text: n for n, e in enumerate(elements)}
    blocks = refine.trial_blocks(elements, [at["b"]])
    assert sorted(elements[n].get("id") for n in blocks.muted) == ["c", "d"]
    assert sorted(elements[n].get("id") or elements[n].text for n in blocks.hidden) == ["a", "x"]
    retouch(source.etree_element, [], blocks.hidden, blocks.muted)
    c, d, w = elements[at["c"]], elements[at["d"]], elements[at["w"]]
    assert "".join(c.itertext()) == "n" and "".join(d.itertext()) == "m"
    assert w.text == "Around" and elements[at["b"]].text == "Two"


def test_a_trial_lays_out_the_paragraphs_tried_on_one_tall_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """A trial of every paragraph of the real book's longest interview fits one page (templates/css/trial.css.j2:
    the book's width, 5,000 mm tall), where the part in full takes several; its full layout keeps the
    book's trim."""
    pages: list[tuple[int, int, float, float]] = []

    def probe(render: Render, name: str, memo: object = None) -> object:
        first = refine.measure(*render((), frozenset()), ())
        blocks = refine.trial_blocks(first.elements, sorted(first.settings))
        trial, _ = render((), blocks.hidden, blocks.muted)
        pages.append((len(first.document.pages), len(trial.pages), first.document.pages[0].width,
                      trial.pages[0].width))
        assert trial.pages[0].height > 10 * first.document.pages[0].height
        return first.document

    monkeypatch.setattr(part, "refine", probe)
    measured(BOOKS["real"])
    full, tried = max(pages)[:2]
    assert full > 3 and tried == 1
    assert all(width == tried_width for _, _, width, tried_width in pages)


def _calls(document: object) -> list[str]:
    """The footnote calls' numbers, in the order they are laid out."""
    found: list[str] = []

    def walk(box: object, inside: bool) -> None:
        inside = inside or str(getattr(box, "element_tag", "")).endswith("::footnote-call")
        if inside and hasattr(box, "text"):
            found.append(box.text)
        for child in getattr(box, "children", None) or ():
            walk(child, inside)

    for page in document.pages:
        walk(page._page_box, False)
    return found


@pytest.mark.parametrize(("footnote", "kept"), [(refine.FOOTNOTE, True), ("no-such-class", False)])
def test_a_trial_keeps_the_footnotes_numbers(footnote: str, kept: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A footnote's call is numbered in the part (counter footnote): a trial keeps every block that holds a
    footnote, so the paragraph tried shows the call "12" it has in the full layout (hidden, the eleven notes
    before would make it "1", a narrower call that can move a line break)."""
    notes = "".join(f'<p>Paragraph {n} with a note<span class="footnote">Note {n}.</span> and more words.</p>'
                    for n in range(1, 13))
    html = (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>T</title></head>'
            f'<body class="part"><article><h1 id="t" class="interviewee" data-runhead="T">T</h1>{notes}'
            f'</article></body></html>')
    monkeypatch.setattr(refine, "FOOTNOTE", footnote)
    numbers: list[list[str]] = []

    def probe(render: Render, name: str, memo: object = None) -> object:
        first = refine.measure(*render((), frozenset()), ())
        elements = first.elements
        last = max(n for n, e in enumerate(elements) if e.tag == "p")
        retouches = [Retouch(last, frozenset({last}), 0, ())]
        blocks = refine.trial_blocks(elements, [last])
        trial, _ = render(retouches, blocks.hidden, blocks.muted)
        numbers.extend([_calls(first.document), _calls(trial)])
        return first.document

    monkeypatch.setattr(part, "refine", probe)
    style = part.Style.create(TEMPLATES, "@page { size: 110mm 180mm; }")
    part.lay_out(style, part.PartSpec("t", "interview", html), 1)
    full, trial = numbers
    assert full[-1] == "12"
    assert (trial[-1] == "12") is kept, trial
