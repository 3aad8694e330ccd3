"""The index's locator links, added to the laid-out pages instead of being laid out as inline boxes.

Every inline box of the index's ~2,000 lines costs layout time: WeasyPrint splits each box of a line on its own,
again for each trial of the two-column balancing, and a link box costs more again (about two thirds of the
index's layout and half of its writing, measured on the bench corpus). So the PDF's index prints its locators as
plain text, each entry naming what its locators link to (`data-locators`: [label, target] in printed order,
templates/partials/index_section.html), and the links are put on the pages after layout: each locator's rectangle
is read from the glyphs of the line that prints it, and each link gets a box of its own (a `Link` element with
its annotation in the structure tree, as an `<a>` would have).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from weasyprint import Document
from weasyprint.formatting_structure import boxes
from weasyprint.text.ffi import FROM_UNITS, ffi

from .partpdf import LINK_SCHEME

log = logging.getLogger(__name__)
ATTRIBUTE = "data-locators"


@dataclass(frozen=True)
class Run:
    """A text box that prints (part of) an entry's own text, with the line box and page it is on."""

    page: int
    line: boxes.LineBox
    text: boxes.TextBox


def add_locator_links(document: Document, placeholders: bool) -> int:
    """Put a link on each printed locator of the index's entries (x-coopbook URIs with placeholders); the count."""
    entries: dict[object, list[Run]] = {}
    for number, page in enumerate(document.pages):
        for line, text in text_boxes(page._page_box):
            if text.element is not None and text.element.get(ATTRIBUTE) is not None:
                entries.setdefault(text.element, []).append(Run(number, line, text))
    located: dict[boxes.TextBox, list[tuple[str, Run, int, int]]] = {}
    for element, runs in entries.items():
        for target, run, start, end in locate(json.loads(element.get(ATTRIBUTE)), runs):
            located.setdefault(run.text, []).append((target, run, start, end))
    count = 0
    for text, found in located.items():
        edges = glyph_edges(text, sorted({i for _, _, start, end in found for i in (start, end)}))
        for target, run, start, end in found:
            kind, uri = ("external", LINK_SCHEME + target) if placeholders else ("internal", target)
            x1, x2 = edges[start], edges[end]
            box = link_box(run.line, text, x1, x2)
            document.pages[run.page].links.append((kind, uri, (x1, box.position_y, x2, box.position_y + box.height),
                                                   box))
            count += 1
    log.debug("%d index locators linked on %d pages", count, len(document.pages))
    return count


def text_boxes(box: boxes.Box, line: boxes.LineBox | None = None) -> Iterator[tuple[boxes.LineBox, boxes.TextBox]]:
    """Every text box under box, in order, with its line box."""
    for child in box.children if isinstance(box, boxes.ParentBox) else ():
        if isinstance(child, boxes.TextBox):
            if line is not None:
                yield line, child
        else:
            yield from text_boxes(child, child if isinstance(child, boxes.LineBox) else line)


def locate(pairs: list[list[str]], runs: list[Run]) -> Iterator[tuple[str, Run, int, int]]:
    """(target, run, start, end) of each locator in the entry's own text, found from the end.

    The locators end the entry's own text (only the punctuation of "see" references, whose words are elements
    of their own, follows), so each label is the last match before the one after it, and the term, which may
    hold the same digits, is never reached.
    """
    chars = [(run, i) for run in runs for i, c in enumerate(run.text.text) if not c.isspace()]
    text = "".join(run.text.text[i] for run, i in chars)
    found = []
    cursor = len(text)
    for label, target in reversed(pairs):
        squashed = "".join(label.split())
        at = text.rfind(squashed, 0, cursor)
        if at < 0:
            raise ValueError(f"index locator {label!r} not found in {text!r}")
        (run, start), (last_run, end) = chars[at], chars[at + len(squashed) - 1]
        if last_run is not run:
            raise ValueError(f"index locator {label!r} broken across lines in {text!r}")
        found.append((target, run, start, end + 1))
        cursor = at
    return reversed(found)


def glyph_edges(text: boxes.TextBox, indexes: list[int]) -> dict[int, float]:
    """The x of the characters at indexes (an index at the text's length: its end) in a laid-out text box.

    Read from the glyphs of its line, as WeasyPrint draws them (its Pango layout is set up again for the
    purpose, as for drawing, and let go after).
    """
    layout = text.pango_layout
    layout.reactivate(text.style)
    try:
        offsets = {index: len(layout.text[:index].encode()) for index in indexes}
        starts: list[tuple[int, float]] = []  # (byte offset, x) of each glyph, then the end
        line, _ = layout.get_first_line()
        x = 0.0
        run = line.runs
        while run != ffi.NULL:
            item = run.data
            run = run.next
            for i in range(item.glyphs.num_glyphs):
                starts.append((item.item.offset + item.glyphs.log_clusters[i], x))
                x += item.glyphs.glyphs[i].geometry.width * FROM_UNITS
    finally:
        layout.deactivate()
    return {index: text.position_x + next((gx for byte, gx in starts if byte >= offset), x)
            for index, offset in offsets.items()}


def link_box(line: boxes.LineBox, text: boxes.TextBox, x1: float, x2: float) -> boxes.InlineBox:
    """An empty inline box standing for an `<a>` on the line: it carries the link into the structure tree."""
    box = boxes.InlineBox.anonymous_from(line, [])
    box.element_tag = "a"
    box.position_x, box.position_y = x1, text.position_y
    box.width, box.height = x2 - x1, text.height
    for side in ("top", "right", "bottom", "left"):
        setattr(box, f"margin_{side}", 0)
        setattr(box, f"padding_{side}", 0)
        setattr(box, f"border_{side}_width", 0)
    box.background = None
    line.children = (*line.children, box) if isinstance(line.children, tuple) else [*line.children, box]
    return box
