"""How well a laid-out part's text block is set, read from WeasyPrint's boxes: hyphenated lines and loose lines.

A paragraph's lines are the line boxes of its block box(es) in page order (a paragraph cut by a page break is
one paragraph). A *full* line is any line but a paragraph's last; a line is *hyphenated* when its last text ends
with the hyphenation character; a justified line is *loose* when a gap between its words (the space, any word- and
letter-spacing, and what justification adds) is over twice the normal space.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # WeasyPrint is imported where a part is laid out, not with the data here
    from weasyprint import Document
    from weasyprint.formatting_structure import boxes

log = logging.getLogger(__name__)
HYPHENS = ("\u2010", "-", "\u00ad")
NORMAL_SPACE_EM = 0.25  # the space of the book's faces (Linux Libertine): 250 of 1000 units
LOOSE_GAP = 2.0  # a word gap over twice the normal space makes a line loose
SHORT = 0.9  # a justified full line of one word filling less than this of the measure is loose too
RAGGED_PX = 1.0  # a justified line whose text ends this far short of the margin is loose too


@dataclass(frozen=True)
class Line:
    """One line of a paragraph: its text, whether a hyphenation break ends it, whether it is loose, its widest gap.

    gap is the widest space between two words, in normal spaces (1.0 when justification adds nothing).
    """

    text: str
    hyphenated: bool
    loose: bool
    gap: float = 1.0


@dataclass(frozen=True)
class Paragraph:
    """The lines of one paragraph, across pages, and the first page (0-based) it is on.

    element is the paragraph's element in the laid-out HTML tree, inline the elements whose text its lines show,
    lang the language of its first text.
    """

    page: int
    lines: tuple[Line, ...]
    element: Any = None
    inline: tuple[Any, ...] = ()
    lang: str | None = None


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
    from weasyprint.formatting_structure import boxes
    found: dict[int, tuple[int, Any, list[Line], dict[int, Any]]] = {}
    langs: dict[int, str | None] = {}
    for number, page in enumerate(document.pages):
        for child in page._page_box.children:
            if isinstance(child, boxes.MarginBox | boxes.FootnoteAreaBox):
                continue
            for block, line_box in _lines(child, boxes.LineBox):
                key = id(block.element) if block.element is not None else id(block)
                _, _, lines, inline = found.setdefault(key, (number, block.element, [], {}))
                texts = list(_texts(line_box, boxes.TextBox))
                lines.append(_line(texts, line_box, block))
                inline.update((id(t.element), t.element) for t in texts if t.element is not None)
                langs.setdefault(key, texts[0].style["lang"] if texts else None)
    return [Paragraph(page, tuple(lines), element, tuple(inline.values()), langs.get(key))
            for key, (page, element, lines, inline) in found.items()]


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


def _lines(box: boxes.Box, line_type: type[boxes.LineBox]) -> Iterator[tuple[boxes.Box, boxes.LineBox]]:
    children = getattr(box, "children", None) or ()
    if any(isinstance(child, line_type) for child in children):
        for child in children:
            if isinstance(child, line_type):
                yield box, child
            else:
                yield from _lines(child, line_type)
        return
    for child in children:
        yield from _lines(child, line_type)


def _line(texts: list[boxes.TextBox], line_box: boxes.LineBox, block: boxes.Box) -> Line:
    text = "".join(t.text for t in texts)
    hyphenated = bool(texts) and texts[-1].text.endswith(HYPHENS) and text.rstrip(" ")[-2:-1].isalpha()
    spaced = [t for t in texts if " " in t.text.strip(" ") or "\u00a0" in t.text]
    gap = max((_gap(t) for t in spaced), default=1.0)
    justified = line_box.style["text_align_all"] == "justify"
    if texts and not spaced and justified and line_box.width < SHORT * block.width:
        gap = math.inf  # a lone word that justification cannot spread: the loosest line there is
    inked = [t for t in texts if t.text.strip(" \u200b")]
    if inked and justified and any(t.justification_spacing for t in texts) and (
            max(t.position_x + t.width for t in inked) < block.content_box_x() + block.width - RAGGED_PX):
        gap = math.inf  # justified, yet short of the margin (a lone space at its end took the stretch)
    return Line(text, hyphenated, gap > LOOSE_GAP, gap)


def _gap(text: boxes.TextBox) -> float:
    """A text box's word gap in normal spaces: the space, word- and letter-spacing, and justification's share."""
    size = text.style["font_size"] or 1
    spacing = sum(value for value in (text.style["word_spacing"], text.style["letter_spacing"])
                  if isinstance(value, int | float))
    normal = NORMAL_SPACE_EM * size
    return (normal + spacing + text.justification_spacing) / normal


def _texts(box: boxes.Box, text_type: type[boxes.TextBox]) -> Iterator[boxes.TextBox]:
    if "::" in (getattr(box, "element_tag", "") or ""):
        return
    if isinstance(box, text_type):
        yield box
        return
    for child in getattr(box, "children", None) or ():
        yield from _texts(child, text_type)


def log_line_stats(name: str, document: Document) -> LineStats:
    """Say in the build's debug log how the part's text block is set (hyphen rate, stacks, loose lines)."""
    stats = line_stats(document)
    log.debug("%s: %d full lines, %d hyphenated (%.1f %%), longest stack %d, %d loose", name, stats.full_lines,
              stats.hyphenated, 100 * stats.hyphen_rate, stats.longest_stack, stats.loose)
    return stats


def log_book_line_stats(parts: Sequence[LineStats | None]) -> LineStats:
    """Say in the build's debug log how the whole book's text block is set (the parts' counts added up)."""
    known = [stats for stats in parts if stats is not None]
    total = LineStats(sum(s.full_lines for s in known), sum(s.hyphenated for s in known),
                      max((s.longest_stack for s in known), default=0), sum(s.loose for s in known))
    log.debug("book: %d full lines, %d hyphenated (%.1f %%), longest stack %d, %d loose (%d parts)",
              total.full_lines, total.hyphenated, 100 * total.hyphen_rate, total.longest_stack, total.loose,
              len(known))
    return total
