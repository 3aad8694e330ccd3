"""Remedies applied to a part's HTML before it is laid out again: spans with a class around characters (the
classes are rules of templates/css/pdf.css).

A remedy names a paragraph's characters by *ink offset*, their position among the paragraph's characters that are
not white space, counting only the text its lines show (not a footnote's body, not a nested block). That count
is the same in the laid-out lines, in a tree that already carries spans and in a freshly parsed one, so remedies
measured on one layout apply to the next. The author's text is never changed: only wrapped.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
HIDDEN = "fix-display-none"  # a rule of templates/css/pdf.css: what a trial layout does not lay out


@dataclass(frozen=True, order=True)
class Remedy:
    """A span with classes around a paragraph's characters, from ink offset start to end (start == end: the
    classes go on the paragraph itself)."""

    start: int
    end: int
    classes: str


@dataclass(frozen=True)
class Retouch:
    """A paragraph's remedies: the paragraph by its element's position in the parsed HTML, the positions of the
    elements whose text its lines show, and how many non-space characters those hold."""

    element: int
    shown: frozenset[int]
    ink: int
    remedies: tuple[Remedy, ...]


def inked(char: str) -> bool:
    """A character that is not white space (nor the zero-width space WeasyPrint puts between inline boxes)."""
    return not char.isspace() and char != "\u200b"


@dataclass(frozen=True)
class Node:
    """A text node of the tree: an element's text, or the tail of a child (holder) inside parent."""

    holder: Any
    tail: bool
    parent: Any


def nodes(element: Any, shown: set[int]) -> Iterator[Node]:
    """The text nodes under element, in order, that belong to shown elements (not footnotes or nested blocks)."""
    if id(element) in shown:
        yield Node(element, False, None)
    for child in element:
        yield from nodes(child, shown)
        if id(element) in shown:
            yield Node(child, True, element)


def text_of(node: Node) -> str:
    """The text of a text node."""
    return (node.holder.tail if node.tail else node.holder.text) or ""


def retouch(root: Any, retouches: Sequence[Retouch], hidden: Collection[int] = (),
            muted: Collection[int] = ()) -> list[Any]:
    """Apply remedies to a freshly parsed tree, hide the elements at these positions, emptied, and empty the muted
    ones' own text (a trial layout of some paragraphs); its elements in order, as parsed (before any span is
    added or hidden one emptied)."""
    elements = list(root.iter())
    for n in muted:  # a block kept for the footnotes it holds: its children stay (hidden, or footnotes)
        element = elements[n]
        element.text = None
        for child in element:
            child.tail = None
    for n in hidden:  # emptied too: what a hidden element holds costs nothing to style
        element = elements[n]
        element.set("class", " ".join(filter(None, [element.get("class"), HIDDEN])))
        element[:] = []
        element.text = None
    for item in retouches:
        if max(item.shown | {item.element}) >= len(elements):
            log.debug("paragraph %d: not in this tree: not retouched", item.element)
            continue
        shown = {id(elements[n]) for n in item.shown}
        found = list(nodes(elements[item.element], shown))
        where = [(n, k) for n, node in enumerate(found) for k, char in enumerate(text_of(node)) if inked(char)]
        if len(where) != item.ink:  # not the paragraph that was measured: left alone
            log.debug("paragraph %d: %d characters, not %d: not retouched", item.element, len(where), item.ink)
            continue
        pieces = []
        for remedy in item.remedies:
            if remedy.start == remedy.end:  # on the paragraph itself
                element = elements[item.element]
                element.set("class", " ".join(filter(None, [element.get("class"), remedy.classes])))
                continue
            (first, a), (last, b) = where[remedy.start], where[remedy.end - 1]
            for n in range(first, last + 1):
                stop = b + 1 if n == last else len(text_of(found[n]))
                pieces.append((n, a if n == first else 0, stop, remedy.classes))
        for n, start, stop, classes in sorted(_no_lone_spaces(found, pieces), reverse=True):  # from the end
            if start < stop:
                _wrap(found[n], start, stop, classes)
    return elements


def _no_lone_spaces(found: Sequence[Node], pieces: list[tuple[int, int, int, str]]) -> list[tuple[int, int, int, str]]:
    """Pieces that take in the white space around them when only white space would be left between them and
    the next piece or the node's ends: WeasyPrint justifies a lone space at a line's end (adding a zero-width
    space to it), which leaves the line short of the margin."""
    pieces = sorted(pieces)
    kept: list[tuple[int, int, int, str]] = []
    for index, (n, start, stop, classes) in enumerate(pieces):
        text = text_of(found[n])
        since = kept[-1][2] if kept and kept[-1][0] == n else 0
        if since < start and not text[since:start].strip():
            start = since
        following = pieces[index + 1] if index + 1 < len(pieces) and pieces[index + 1][0] == n else None
        until = following[1] if following else len(text)
        if stop < until and not text[stop:until].strip():
            stop = until
        kept.append((n, start, stop, classes))
    return kept


def _wrap(node: Node, start: int, stop: int, classes: str) -> None:
    """Put characters start:stop of a text node in a span with these classes."""
    text = text_of(node)
    span = node.holder.makeelement("span", {"class": classes})
    span.text, span.tail = text[start:stop], text[stop:] or None
    if node.tail:
        node.holder.tail = text[:start]
        node.parent.insert(list(node.parent).index(node.holder) + 1, span)
    else:
        node.holder.text = text[:start]
        node.holder.insert(0, span)
