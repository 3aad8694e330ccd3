"""One value kept between builds in a single sealed file of the cache folder, made again when its key changes.

For work a build repeats with the same inputs far more often than not, where only the last result is worth
keeping (the index's HTML after a correction that moved no folio; the characters the shipped fonts have): one
file per kind, `<cache>/last/<kind>.json`, overwritten when the key differs, so nothing piles up. The file is a
sealed entry (coopbook.fsutil) whose record holds the value's own key and the value as plain JSON data, read
back through an explicit constructor: nothing is unpickled or evaluated. A corrupt file is removed (one note in
the log) and the value made again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .fsutil import atomic_write, read_entry, seal
from .records import fields, text

T = TypeVar("T")
SLOT = "last"  # the sealed entry's key: one slot per kind; the value's own key is in the record
FOLDER = "last"


def remembered(cache_dir: Path | None, kind: str, key_of: Callable[[], str], make: Callable[[], T],
               to_data: Callable[[T], Any], from_data: Callable[[Any], T]) -> T:
    """The value for the key key_of() gives: the last one kept for kind if it was made for that key, else make()
    (then kept).

    to_data gives the value as JSON data; from_data makes it back, raising ValueError, TypeError or KeyError on
    data that does not fit (the entry is then corrupt). Without a cache folder, make() every time, and no key is
    computed (a key can cost as much as hashing the fonts).
    """
    if cache_dir is None:
        return make()
    key = key_of()
    path = cache_dir / FOLDER / f"{kind}.json"
    kept = read_entry(path, kind, SLOT, lambda record, payload: _unpack(record, payload, from_data), "made again")
    if kept is not None and kept[0] == key:
        return kept[1]
    value = make()
    atomic_write(path, seal(kind, SLOT, {"key": key, "value": to_data(value)}, b""), durable=False)
    return value


def _unpack(record: Any, payload: bytes, from_data: Callable[[Any], T]) -> tuple[str, T]:
    if payload:
        raise ValueError("unexpected payload")
    data = fields(record, {"key", "value"})
    return text(data["key"]), from_data(data["value"])
