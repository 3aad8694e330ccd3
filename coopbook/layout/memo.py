"""The feedback step's memo (coopbook.layout.refine): each candidate paragraph's chosen remedies, kept between
builds, so that a rebuild tries only the paragraphs it has not seen.

The step chooses a paragraph's setting from its own trials alone, and its lines depend only on what can change
them: its own HTML (with its inline structure, which the remedies' ink offsets follow), what the stylesheets'
selectors see of its context (each ancestor's tag and attributes, its own and each ancestor's previous element
sibling, and whether each is a first or last child, or of its type: `p + p`, `.closing-label + p`,
`body > section:first-child`), the number of footnotes before it when it holds a footnote (its calls are numbered
in the part), the style (Style.digest: templates, CSS, fonts, geometry, tool versions, REFINE_STEP; the images;
the part's first folio) and coopbook's own code (coopbook.interviewcache.code_digest, so a code change never
reuses a stale choice). The memo key is a digest of all of these.

An entry is a sealed JSON record (coopbook.fsutil.seal) under the build's cache folder, one file per key, written
atomically by the worker that chose it: the remedies, and the lines its trials showed (for the final layout's
check). Read back through typed constructors; a corrupt entry is a miss, removed and made again.
"""

from __future__ import annotations

import copy
import hashlib
import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ..fsutil import ENTRY_FORMAT, atomic_write, prune_entries, read_entry, seal
from ..interviewcache import code_digest
from ..records import fields, flag, items, number, text, whole
from .retouch import Remedy

KIND = "paragraph"
FOLDER = "memo"  # under the build's cache folder
Shape = tuple[tuple[str, bool, bool, float], ...]  # a paragraph's lines as coopbook.layout.refine.shape gives them


@dataclass(frozen=True)
class Choice:
    """What a paragraph's trials chose: its remedies (none: as first laid out), and the lines they showed."""

    remedies: tuple[Remedy, ...]
    lines: Shape


class Memo:
    """The chosen settings on disk, one sealed file per paragraph key (no folder: nothing read or written)."""

    def __init__(self, folder: Path | None, context: str) -> None:
        self.folder = folder
        self.context = hashlib.sha256(f"{code_digest()}\0{context}".encode()).hexdigest() if folder else ""

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.v{ENTRY_FORMAT}.memo"

    def keys(self, elements: Sequence[Any], positions: Sequence[int], footnote: str) -> dict[int, str]:
        """The memo key of each paragraph at these positions in the part's parsed elements, footnotes being the
        elements of class footnote (none without a folder)."""
        if self.folder is None:
            return {}
        finder = Context(elements, footnote)
        return {n: hashlib.sha256(f"{self.context}\0".encode() + finder.describe(n)).hexdigest() for n in positions}

    def get(self, key: str) -> Choice | None:
        """The choice kept under key, or None (missing, or corrupt: then removed, with a note)."""
        if self.folder is None:
            return None
        return read_entry(self._path(key), KIND, key, choice_from_record, "its paragraph tried again")

    def put(self, key: str, choice: Choice) -> None:
        """Keep a choice under key, atomically."""
        if self.folder is not None:
            # not flushed to disk first: a crash may lose a choice (a miss: tried again), and a build writes hundreds
            atomic_write(self._path(key), seal(KIND, key, choice_record(choice), b""), durable=False)


def memo_folder(cache_dir: Path | None) -> Path | None:
    """The memo's folder in a build's cache folder (None: no cache, no memo)."""
    return None if cache_dir is None else cache_dir / FOLDER


def prune(folder: Path, keep_seconds: float) -> int:
    """Remove the memo entries (of any format) no build used for keep_seconds; how many."""
    return prune_entries(folder, "*/*.memo", keep_seconds) if folder.is_dir() else 0


class Context:
    """What the stylesheets can see of a paragraph in its part, as bytes to digest."""

    def __init__(self, elements: Sequence[Any], footnote: str) -> None:
        self.elements = elements
        self.footnote = footnote
        self.parents = {id(child): parent for parent in elements for child in parent}
        self.notes = [n for n, element in enumerate(elements) if self._is_footnote(element)]

    def _is_footnote(self, element: Any) -> bool:
        return isinstance(element.tag, str) and self.footnote in str(element.get("class") or "").split()

    def describe(self, position: int) -> bytes:
        """The paragraph's HTML, its and its ancestors' places among their siblings, the footnotes before it."""
        element = self.elements[position]
        alone = copy.copy(element)  # its tail is the parent's text, not its own
        alone.tail = None
        parts = [ElementTree.tostring(alone, encoding="unicode")]
        node: Any = element
        while node is not None:
            parent = self.parents.get(id(node))
            parts.append(_tag(node) + _place(node, parent))
            node = parent
        holds_note = any(self._is_footnote(e) for e in element.iter()) or any(
            self._is_footnote(e) for e in _ancestors(element, self.parents))
        if holds_note:
            parts.append(f"footnotes before: {bisect_left(self.notes, position)}")
        return "\0".join(parts).encode("utf-8")


def _ancestors(element: Any, parents: dict[int, Any]) -> list[Any]:
    found = []
    parent = parents.get(id(element))
    while parent is not None:
        found.append(parent)
        parent = parents.get(id(parent))
    return found


def _tag(element: Any) -> str:
    """An element's tag and attributes, sorted."""
    if not isinstance(element.tag, str):
        return "#node"
    return element.tag + "".join(f" {name}={value!r}" for name, value in sorted(element.items()))


def _place(element: Any, parent: Any) -> str:
    """Where an element stands among its element siblings: first or last (of its type), and the one before."""
    if parent is None:
        return " (root)"
    siblings = [child for child in parent if isinstance(child.tag, str)]
    index = next(n for n, child in enumerate(siblings) if child is element)
    kind = [child for child in siblings if child.tag == element.tag]
    where = (index == 0, index == len(siblings) - 1, kind[0] is element, kind[-1] is element)
    before = _tag(siblings[index - 1]) if index else "-"
    return f" {where} after {before}"


def choice_record(choice: Choice) -> dict[str, Any]:
    """A choice as plain JSON data."""
    return {"remedies": [[r.start, r.end, r.classes] for r in choice.remedies],
            "lines": [[line, hyphenated, loose, gap if math.isfinite(gap) else None]  # JSON has no infinity
                      for line, hyphenated, loose, gap in choice.lines]}


def choice_from_record(record: Any, payload: bytes) -> Choice:
    """The Choice a record describes, every field type-checked (ValueError or TypeError when it does not fit)."""
    data = fields(record, {"remedies", "lines"})
    if payload:
        raise ValueError("a memo entry has no payload")
    remedies = []
    for item in items(data["remedies"]):
        start, end, classes = items(item)
        remedies.append(Remedy(whole(start), whole(end), text(classes)))
    lines = []
    for item in items(data["lines"]):
        line, hyphenated, loose, gap = items(item)
        lines.append((text(line), flag(hyphenated), flag(loose), math.inf if gap is None else float(number(gap))))
    return Choice(tuple(remedies), tuple(lines))
