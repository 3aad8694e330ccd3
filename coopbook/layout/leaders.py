"""Dot leaders drawn as one run of text each, not one run per dot.

WeasyPrint lays out a leader (`content: leader(" .")`, the contents' dot leaders in templates/css/pdf.css) as one
copy of its string per repetition, each a text box of its own, placed from the line's right edge leftwards (so
the dots of every entry stand on one grid), and draws each copy as a run of text of its own (a text matrix and a
TJ): on the bench book's contents (105 entries, 13 pages) 5,298 runs, which cost the front matter about 0.75 s
to draw, tag and pack (three quarters of its writing: coopbook.layout.part.write_part), on the critical path of
every rebuild whose folios move. After layout, `merge_leaders` replaces each leader's copies by one text box of
the repeated string, at the leftmost copy's place: the same glyphs at the same positions, drawn as one run.

A leader is merged only if its copies touch and the repeated string, shaped as one, is exactly as wide as the
copies side by side (a font that kerned the last glyph of one copy with the first of the next would set the
dots otherwise: such a leader is left as WeasyPrint laid it out).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from weasyprint import Document
from weasyprint.formatting_structure import boxes
from weasyprint.text.line_break import create_layout, line_size

TOLERANCE = 1e-3  # CSS px: how far the merged run's width may be from the copies' (floating point noise)


def merge_leaders(document: Document) -> int:
    """Merge the copies of each leader of the laid-out document into one text box; how many leaders merged."""
    merged = 0
    for page in document.pages:
        for leader in _leaders(page._page_box):
            texts = leader.children
            if len(texts) > 1 and _mergeable(texts):
                run = _run(texts)
                if run is not None:
                    leader.children = (run,)
                    merged += 1
    return merged


def _leaders(box: boxes.Box) -> Iterator[boxes.InlineBox]:
    """The leader boxes under box (only inline content is searched below a line box)."""
    for child in box.children if isinstance(box, boxes.ParentBox) else ():
        if child.is_leader:
            yield child
        elif isinstance(child, boxes.ParentBox):
            yield from _leaders(child)


def _mergeable(texts: tuple[boxes.Box, ...]) -> bool:
    """Copies of one string, each beside the next (WeasyPrint gives them right to left)."""
    first = texts[0]
    if not all(isinstance(t, boxes.TextBox) and t.text == first.text and t.style is first.style for t in texts):
        return False
    ordered = sorted(texts, key=lambda t: t.position_x)
    return all(abs(b.position_x - (a.position_x + a.width)) < TOLERANCE for a, b in itertools.pairwise(ordered))


def _run(texts: tuple[boxes.TextBox, ...]) -> boxes.TextBox | None:
    """One text box of the copies' string repeated, where the leftmost copy is; None if it would set otherwise."""
    left = min(texts, key=lambda t: t.position_x)
    if left.pango_layout.justification_spacing:  # drawn with spaces widened: as laid out, copy by copy
        return None
    text = left.text * len(texts)
    layout = create_layout(text, left.style, None, None, 0)
    width, _ = line_size(layout.get_first_line()[0], left.style)
    layout.deactivate()
    if abs(width - sum(t.width for t in texts)) >= TOLERANCE:
        return None
    run = left.copy()
    run.text = text
    run.pango_layout = layout
    run.width = width
    return run
