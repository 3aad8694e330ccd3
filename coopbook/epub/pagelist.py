"""The EPUB's print page list: page-break markers put into each chapter where the PDF's pages start.

The offsets come from coopbook.layout.pagestarts (characters of running text counted in the PDF layout);
here the same characters are counted in the chapter's XHTML, skipping what the EPUB alone has (footnotes,
note references, earlier markers), and marker N goes right before the Kth one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence

from jinja2.runtime import Macro
from lxml import etree

from ..layout.pagestarts import IGNORED
from ..templating import template_macro

XHTML = "http://www.w3.org/1999/xhtml"
EPUB = "http://www.idpf.org/2007/ops"
SPACES_BELOW = 0x3001  # every white-space character of Unicode is below U+3001 (tested)
_UNCOUNTED = dict.fromkeys([n for n in range(SPACES_BELOW) if chr(n).isspace()] + [ord(c) for c in IGNORED])


def insert_page_markers(xhtml: str, markers: Sequence[tuple[int, str]]) -> str:
    """Insert a page-break marker (from templates/partials/pagebreak.xhtml) before the Kth counted character.

    markers are (offset, page label) pairs; markers past the end of the text go at the end of the body.
    """
    if not markers:
        return xhtml
    root = etree.fromstring(xhtml.encode("utf-8"))
    body = root.find(f"{{{XHTML}}}body")
    assert body is not None
    pending = sorted(markers, key=lambda m: m[0])
    macro = template_macro("partials/pagebreak.xhtml", "pagebreak")  # looked up once per chapter
    seen = 0
    for node, attr in list(_text_slots(body)):
        text = (node.text if attr == "text" else node.tail) or ""
        if not pending:
            break
        length = len(text.translate(_UNCOUNTED))  # the counted characters (as pagestarts.countable counts them)
        if not seen <= pending[0][0] < seen + length:
            seen += length  # no marker falls in this text: skip it without looking at each character
            continue
        cut_points: list[tuple[int, str]] = []
        count = seen
        for index, ch in enumerate(text):
            while pending and pending[0][0] == count and not ch.isspace() and ch not in IGNORED:
                cut_points.append((index, pending.pop(0)[1]))
            if not ch.isspace() and ch not in IGNORED:
                count += 1
        if cut_points:
            _split(node, attr, text, cut_points, macro)
        seen = count
    for _, label in pending:
        body.append(_marker(label, macro))
    return etree.tostring(root, encoding="unicode")


def _text_slots(element: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """(element, 'text' | 'tail') in document order, skipping footnotes and note references."""
    if _skipped(element):
        return
    yield element, "text"
    for child in element:
        if not isinstance(child.tag, str):
            yield child, "tail"
            continue
        yield from _text_slots(child)
        yield child, "tail"


def _skipped(element: etree._Element) -> bool:
    kind = element.get(f"{{{EPUB}}}type", "")
    return kind in ("footnote", "noteref", "pagebreak") or element.tag == f"{{{XHTML}}}aside"


def _marker(label: str, macro: Macro) -> etree._Element:
    markup = str(macro(label))
    wrapper = etree.fromstring(f'<wrap xmlns="{XHTML}" xmlns:epub="{EPUB}">{markup}</wrap>')
    return copy.deepcopy(wrapper[0])


def _split(node: etree._Element, attr: str, text: str, cuts: list[tuple[int, str]], macro: Macro) -> None:
    """Cut node.text (or node.tail) at the given indexes and put a marker at each cut."""
    pieces = []
    last = 0
    for index, _ in cuts:
        pieces.append(text[last:index])
        last = index
    pieces.append(text[last:])
    markers = [_marker(label, macro) for _, label in cuts]
    if attr == "text":
        node.text = pieces[0]
        for position, (marker, rest) in enumerate(zip(markers, pieces[1:], strict=True)):
            marker.tail = rest
            node.insert(position, marker)
    else:
        parent = node.getparent()
        node.tail = pieces[0]
        at = parent.index(node) + 1
        for offset, (marker, rest) in enumerate(zip(markers, pieces[1:], strict=True)):
            marker.tail = rest
            parent.insert(at + offset, marker)
