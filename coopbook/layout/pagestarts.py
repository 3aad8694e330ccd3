"""Where the print pages start in the text, measured in a part's WeasyPrint layout.

What counts: the characters of the part's running text that are not white space, leaving out what only one
output has (margin boxes, generated content such as list markers and footnote calls, footnote bodies, and the
hyphens added by hyphenation). Page N starts at the Kth such character in the PDF; coopbook.epub.pagelist
counts the same way to put the EPUB's page-break marker N right before its Kth character.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the EPUB counts with this module too, without WeasyPrint
    from weasyprint import Document
    from weasyprint.formatting_structure import boxes

# the hyphenation character, soft hyphens, and the zero-width space WeasyPrint adds to a one-space text box
# between inline boxes of a justified line (which would shift every later page start by one)
IGNORED = {"\u2010", "\u00ad", "\u200b"}


def countable(text: str) -> int:
    """How many characters of text count for page positions (no white space, no hyphenation marks)."""
    return sum(1 for ch in text if not ch.isspace() and ch not in IGNORED)


def page_text_offsets(document: Document) -> tuple[int, ...]:
    """For each page of a laid-out part, the count of running-text characters before its first one."""
    from weasyprint.formatting_structure import boxes
    offsets: list[int] = []
    seen = 0
    for page in document.pages:
        offsets.append(seen)
        for child in page._page_box.children:
            if isinstance(child, boxes.MarginBox | boxes.FootnoteAreaBox):
                continue
            seen += sum(countable(text) for text in _flow_texts(child, boxes.TextBox))
    return tuple(offsets)


def _flow_texts(box: boxes.Box, text_type: type[boxes.TextBox]) -> Iterator[str]:
    if "::" in (getattr(box, "element_tag", "") or ""):  # ::marker, ::before, ::after, ::footnote-call
        return
    if isinstance(box, text_type):
        yield box.text
        return
    for child in getattr(box, "children", None) or ():
        yield from _flow_texts(child, text_type)
