"""How well a laid-out part's text block is set, read from WeasyPrint's boxes: hyphenated lines and loose lines.

A paragraph's lines are the line boxes of its block box(es) in page order (a paragraph cut by a page break is
one paragraph). A *full* line is any line but a paragraph's last; a line is *hyphenated* when its last text ends
with the hyphenation character; a justified line is *loose* when its extra space per word space is more than the
normal space (so each space is over twice its width).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from weasyprint import Document
from weasyprint.formatting_structure import boxes

log = logging.getLogger(__name__)
HYPHENS = ("\u2010", "-", "\u00ad")
NORMAL_SPACE_EM = 0.25  # the space of the book's faces (Linux Libertine): 250 of 1000 units


@dataclass(frozen=True)
class Line:
    """One line of a paragraph: its text, whether a hyphenation break ends it, its extra space per word space."""

    text: str
    hyphenated: bool
    loose: bool


@dataclass(frozen=True)
class Paragraph:
    """The lines of one paragraph, across pages, and the first page (0-based) it is on."""

    page: int
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class LineStats:
    """The counts a production editor looks at: full lines, hyphenated ones, the longest stack, loose lines."""

    full_lines: int
    hyphenated: int
    longest_stack: int
    loose: int

    @property
    def hyphen_rate(self) -> float:
        """The share of full lines that end in a hyphenation break."""
        return self.hyphenated / self.full_lines if self.full_lines else 0.0


def paragraphs(document: Document) -> list[Paragraph]:
    """Every paragraph of running text (blocks of lines, not margin boxes or footnotes), in reading order."""
    found: dict[int, tuple[int, list[Line]]] = {}
    for number, page in enumerate(document.pages):
        for child in page._page_box.children:
            if isinstance(child, boxes.MarginBox | boxes.FootnoteAreaBox):
                continue
            for block, line in _lines(child):
                key = id(block.element) if block.element is not None else id(block)
                found.setdefault(key, (number, []))[1].append(line)
    return [Paragraph(page, tuple(lines)) for page, lines in found.values()]


def line_stats(document: Document) -> LineStats:
    """The hyphenation and spacing counts of a laid-out part."""
    full = hyphenated = stack = longest = loose = 0
    for paragraph in paragraphs(document):
        for line in paragraph.lines[:-1]:
            full += 1
            loose += line.loose
            if line.hyphenated:
                hyphenated += 1
                stack += 1
                longest = max(longest, stack)
            else:
                stack = 0
        stack = 0  # a stack is lines in a row within one paragraph
    return LineStats(full, hyphenated, longest, loose)


def _lines(box: boxes.Box) -> Iterator[tuple[boxes.Box, Line]]:
    children = getattr(box, "children", None) or ()
    if any(isinstance(child, boxes.LineBox) for child in children):
        for child in children:
            if isinstance(child, boxes.LineBox):
                yield box, _line(child)
            else:
                yield from _lines(child)
        return
    for child in children:
        yield from _lines(child)


def _line(line: boxes.LineBox) -> Line:
    texts = list(_texts(line))
    text = "".join(t.text for t in texts)
    hyphenated = bool(texts) and texts[-1].text.endswith(HYPHENS) and text.rstrip(" ")[-2:-1].isalpha()
    loose = any(t.justification_spacing > NORMAL_SPACE_EM * t.style["font_size"] for t in texts if " " in t.text)
    return Line(text, hyphenated, loose)


def _texts(box: boxes.Box) -> Iterator[boxes.TextBox]:
    if "::" in (getattr(box, "element_tag", "") or ""):
        return
    if isinstance(box, boxes.TextBox):
        yield box
        return
    for child in getattr(box, "children", None) or ():
        yield from _texts(child)


def log_line_stats(name: str, document: Document) -> None:
    """Say in the build's debug log how the part's text block is set (hyphen rate, stacks, loose lines)."""
    stats = line_stats(document)
    log.debug("%s: %d full lines, %d hyphenated (%.1f %%), longest stack %d, %d loose", name, stats.full_lines,
              stats.hyphenated, 100 * stats.hyphen_rate, stats.longest_stack, stats.loose)
