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
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from ..fsutil import ENTRY_FORMAT, BadEntry, atomic_write, discard_entry, make_folder, seal, unseal
from .linestats import LineStats
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
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            discard_entry(path, f"cannot be read ({error.strerror or error})", "laid out again")
            return None
        try:
            record, pdf = unseal(data, KIND, key)
            result = part_from_record(record, pdf)
        except BadEntry as bad:
            discard_entry(path, str(bad), "laid out again")
            return None
        try:
            os.utime(path)
        except OSError:
            pass  # a read-only cache still serves; the entry is only pruned sooner
        return result

    def put(self, key: str, result: PartResult) -> None:
        """Store a part under key, atomically."""
        if self.folder is None:
            return
        atomic_write(self._path(key), seal(KIND, key, part_record(result), result.pdf))

    def prune(self, keep_seconds: float = KEEP_SECONDS) -> int:
        """Remove entries (of any format) not used for keep_seconds; return how many were removed."""
        if self.folder is None:
            return 0
        limit = time.time() - keep_seconds
        removed = 0
        for path in self.folder.glob("*/*.part"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink(missing_ok=True)
                    removed += 1
            except OSError:
                continue
        return removed


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
    """The PartResult a record describes, every field type-checked; BadEntry if anything is off."""
    try:
        fields = _fields(record, {"layout", "glyphs"})
        layout = _fields(fields["layout"], {"name", "kind", "first_folio", "page_count", "anchors", "page_offsets",
                                            "lines"})
        kind = _str(layout["kind"])
        if kind not in PART_KINDS:
            raise ValueError(f"unknown part kind {kind!r}")
        anchors = layout["anchors"]
        if not isinstance(anchors, Mapping):
            raise ValueError("anchors")
        facts = PartLayout(_str(layout["name"]), kind, _int(layout["first_folio"]),  # type: ignore[arg-type]
                           _int(layout["page_count"]), {_str(k): _int(v) for k, v in anchors.items()},
                           tuple(_int(v) for v in _list(layout["page_offsets"])),
                           None if layout["lines"] is None else LineStats(*(_int(v) for v in _list(layout["lines"]))))
        glyphs = None if fields["glyphs"] is None else usage_from_record(fields["glyphs"])
    except (ValueError, TypeError, KeyError) as error:
        raise BadEntry(f"is corrupt (bad record: {error})") from None
    if not pdf.startswith(b"%PDF-"):
        raise BadEntry("is corrupt (its payload is not a PDF)")
    return PartResult(facts, pdf, glyphs)


def usage_from_record(record: Any) -> FontUsage:
    """The FontUsage a JSON record describes (ValueError/TypeError when it does not fit)."""
    fonts = []
    for item in _list(_fields(record, {"fonts"})["fonts"]):
        font = _fields(item, {"resource", "program", "name", "widths", "texts", "notdef"})
        fonts.append(FontGlyphs(
            resource=_str(font["resource"]), program=_str(font["program"]), name=_str(font["name"]),
            widths=tuple((_int(g), _number(w)) for g, w in (_pair(p) for p in _list(font["widths"]))),
            texts=tuple((_int(g), _str(t)) for g, t in (_pair(p) for p in _list(font["texts"]))),
            notdef=tuple(_int(g) for g in _list(font["notdef"]))))
    return FontUsage(tuple(fonts))


def _fields(value: Any, names: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != names:
        raise ValueError(f"expected the fields {', '.join(sorted(names))}")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _pair(value: Any) -> list[Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError("expected a pair")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return value
