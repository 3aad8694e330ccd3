"""The build cache under build/.cache/: laid-out parts keyed by a hash of everything that can change them.

An entry is the part's PDF bytes plus a JSON record of its layout facts (`PartLayout`) and the glyphs its PDF
draws (`FontUsage`), sealed with its key, a format version and a SHA-256 of its content (see
`coopbook.fsutil.seal`). Nothing in the cache is ever unpickled or evaluated: a planted file cannot run code.
Every read verifies the seal and the record's types; an entry that fails (a flipped bit, a truncated file, a
file made for another key or by something else) is removed and the part laid out again, with a one-line note.
Entries are written atomically (a killed build leaves either the old entry or the new one), and entries no
build used for a while are pruned.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from ..fsutil import ENTRY_FORMAT, BadEntry, atomic_write, make_folder, prune_entries, read_entry, seal
from ..records import fields, items, number, pair, text, whole
from .linestats import LineStats
from .memo import FOLDER as MEMO
from .memo import prune as prune_memo
from .part import PartKind, PartLayout, PartResult
from .partpdf import FontGlyphs, FontUsage

log = logging.getLogger(__name__)

FORMAT = ENTRY_FORMAT
KEEP_SECONDS = 7 * 24 * 3600
KIND = "part"
PART_KINDS = frozenset(get_args(PartKind))


class PartCache:
    """Laid-out parts on disk, one sealed file per key."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder / "parts" if folder is not None else None
        if self.folder is not None:
            make_folder(self.folder)

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.v{FORMAT}.part"  # older formats are never read, only pruned

    def get(self, key: str) -> PartResult | None:
        """The cached part for key, or None (missing; or untrustworthy: then removed, with a note)."""
        if self.folder is None:
            return None
        return read_entry(self._path(key), KIND, key, part_from_record, "laid out again")

    def put(self, key: str, result: PartResult) -> None:
        """Store a part under key, atomically."""
        if self.folder is None:
            return
        atomic_write(self._path(key), seal(KIND, key, part_record(result), result.pdf))

    def prune(self, keep_seconds: float = KEEP_SECONDS) -> int:
        """Remove entries (of any format) not used for keep_seconds, and the paragraph memo's (coopbook.layout.memo);
        return how many were removed."""
        if self.folder is None:
            return 0
        memo = prune_memo(self.folder.parent / MEMO, keep_seconds)
        return prune_entries(self.folder, "*/*.part", keep_seconds) + memo


# ---- the JSON record of a part ----------------------------------------------------------------------------


def part_record(result: PartResult) -> dict[str, Any]:
    """A part's layout facts and glyphs as plain JSON data (its PDF travels as the entry's payload)."""
    layout = result.layout
    return {
        "layout": {"name": layout.name, "kind": layout.kind, "first_folio": layout.first_folio,
                   "page_count": layout.page_count, "anchors": dict(layout.anchors),
                   "page_offsets": list(layout.page_offsets),
                   "lines": None if layout.lines is None else list(dataclasses.astuple(layout.lines))},
        "glyphs": None if result.glyphs is None else usage_record(result.glyphs),
    }


def usage_record(usage: FontUsage) -> dict[str, Any]:
    """A part's FontUsage as JSON data: per font resource, glyph widths, texts and missing characters."""
    if not isinstance(usage, FontUsage):
        raise TypeError(f"a part's glyphs must be a FontUsage, not {type(usage).__name__}")
    return {"fonts": [{"resource": f.resource, "program": f.program, "name": f.name,
                       "widths": [[glyph, width] for glyph, width in f.widths],
                       "texts": [[glyph, text] for glyph, text in f.texts],
                       "notdef": list(f.notdef)} for f in usage.fonts]}


def part_from_record(record: Any, pdf: bytes) -> PartResult:
    """The PartResult a record describes, every field type-checked (what does not fit raises ValueError,
    TypeError or KeyError, which coopbook.fsutil.read_entry calls corrupt); BadEntry if its payload is no PDF."""
    data = fields(record, {"layout", "glyphs"})
    layout = fields(data["layout"], {"name", "kind", "first_folio", "page_count", "anchors", "page_offsets", "lines"})
    kind = text(layout["kind"])
    if kind not in PART_KINDS:
        raise ValueError(f"unknown part kind {kind!r}")
    anchors = layout["anchors"]
    if not isinstance(anchors, Mapping):
        raise ValueError("anchors")
    facts = PartLayout(text(layout["name"]), kind, whole(layout["first_folio"]),  # type: ignore[arg-type]
                       whole(layout["page_count"]), {text(k): whole(v) for k, v in anchors.items()},
                       tuple(whole(v) for v in items(layout["page_offsets"])),
                       None if layout["lines"] is None else LineStats(*(whole(v) for v in items(layout["lines"]))))
    glyphs = None if data["glyphs"] is None else usage_from_record(data["glyphs"])
    if not pdf.startswith(b"%PDF-"):
        raise BadEntry("is corrupt (its payload is not a PDF)")
    return PartResult(facts, pdf, glyphs)


def usage_from_record(record: Any) -> FontUsage:
    """The FontUsage a JSON record describes (ValueError/TypeError when it does not fit)."""
    fonts = []
    for item in items(fields(record, {"fonts"})["fonts"]):
        font = fields(item, {"resource", "program", "name", "widths", "texts", "notdef"})
        fonts.append(FontGlyphs(
            resource=text(font["resource"]), program=text(font["program"]), name=text(font["name"]),
            widths=tuple((whole(g), number(w)) for g, w in (pair(p) for p in items(font["widths"]))),
            texts=tuple((whole(g), text(t)) for g, t in (pair(p) for p in items(font["texts"]))),
            notdef=tuple(whole(g) for g in items(font["notdef"]))))
    return FontUsage(tuple(fonts))
