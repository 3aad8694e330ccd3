"""The per-interview cache under build/.cache/interviews/: what depends on one interview only, kept between builds.

A rebuild after a correction to one interview reads the others' work from here instead of doing it again: each
interview's rendered fragments for both targets with its mentions and tagging problems (`render`), the anchor ids
its Markdown gives (`ids`) and its validate findings (`validate`, see editorial.check), and its EPUB document
before the print page markers, which depend on folios, are put in (`epub`). Each entry is keyed by a digest of
everything it depends on: coopbook's code and version and the versions of the libraries that shape the text, the
interview file's path and text, and per kind book.yaml's text, the registry's sources, the templates, the
template variables.

Entries are sealed JSON records (coopbook.fsutil.seal: kind, key, size and SHA-256 in a header), written
atomically, and read back field by field through explicit constructors: nothing is unpickled or evaluated, so a
planted file cannot run code, and an entry that is corrupt, truncated or made for another key is removed and
its work done again (one note in the log). Entries no build used for a week are pruned.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from . import __version__
from .errors import Location, Problem
from .fsutil import BadEntry, atomic_write, prune_entries, read_entry, seal
from .records import fields, items, maybe_text, text, whole

KEEP_SECONDS = 7 * 24 * 3600
FOLDER = "interviews"
LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "pycountry", "babel", "Jinja2", "lxml", "PyICU", "CairoSVG")
T = TypeVar("T")
Memos = dict[str, dict[str, Any]]  # a watch session's entries in memory: by kind, then key, what get made of them


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of coopbook's version and code (every module and data file, countrynames.yaml too) and of the
    versions of the libraries shaping text."""
    digest = hashlib.sha256(f"{__version__}\0".encode())
    package = Path(__file__).resolve().parent
    for code in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(code.relative_to(package)).encode() + b"\0" + code.read_bytes())
    for library in LIBRARIES:
        try:
            version = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"\0{library}={version}".encode())
    return digest.hexdigest()


def digest(*parts: str | bytes) -> str:
    """The hex SHA-256 of parts, each length-prefixed (so no two different lists of parts digest alike)."""
    result = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        result.update(f"{len(data)}:".encode() + data)
    return result.hexdigest()


def folder_stamp(root: Path) -> str:
    """A digest of every file under root by name and content (so a file copied in with its old modification time,
    or restored from a backup, still changes it; the templates and fonts hash in ~25 ms)."""
    result = hashlib.sha256()
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        try:
            data = path.read_bytes() if path.is_file() else None
        except OSError:
            continue
        if data is not None:
            result.update(f"{path.relative_to(root).as_posix()}\0".encode() + hashlib.sha256(data).digest())
    return result.hexdigest()


class EntryStore:
    """One kind of per-interview entry on disk: <cache>/interviews/<kind>/<key[:2]>/<key>.json, sealed.

    memo (a watch session's) keeps the records read or written in memory too, by key; `prune` leaves in it only
    those this build asked for.
    """

    def __init__(self, cache_dir: Path | None, kind: str, memo: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.folder = cache_dir / FOLDER / kind if cache_dir is not None else None
        self.memo = memo
        self.used: set[str] = set()

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str, build: Callable[[Any], T]) -> T | None:
        """The entry for key made into a record by build (None: missing; untrustworthy, then removed)."""
        if self.folder is None:
            return None
        self.used.add(key)
        if self.memo is not None and key in self.memo:
            return cast(T, self.memo[key])
        value = read_entry(self._path(key), self.kind, key, lambda record, payload: build(_empty(payload, record)),
                           "made again")
        if value is None:
            return None
        if self.memo is not None:
            self.memo[key] = value
        return value

    def put(self, key: str, record: Mapping[str, Any], value: object = None) -> None:
        """Store a record (plain JSON data) under key, atomically (value: what get makes of it, for the memo)."""
        if self.folder is not None:
            atomic_write(self._path(key), seal(self.kind, key, dict(record), b""))
            self.used.add(key)
            if self.memo is not None and value is not None:
                self.memo[key] = value

    def prune(self, keep_seconds: float = KEEP_SECONDS) -> int:
        """Remove the entries no build used for keep_seconds, and from the memo those this build did not ask for;
        return how many files were removed."""
        if self.folder is None:
            return 0
        if self.memo is not None:
            for stale in set(self.memo) - self.used:
                del self.memo[stale]
        return prune_entries(self.folder, "*/*.json", keep_seconds)


def _empty(payload: bytes, record: Any) -> Any:
    """The record of an entry that must have no payload (BadEntry otherwise)."""
    if payload:
        raise BadEntry("is corrupt (unexpected payload)")
    return record


# ---- problems and locations -------------------------------------------------------------------------------


def location_record(location: Location) -> list[Any]:
    """A Location as JSON data: [path, line, col]."""
    return [location.path, location.line, location.col]


def location_from_record(record: Any) -> Location:
    """The Location a record describes."""
    path, line, col = items(record)
    return Location(text(path), whole(line), whole(col))


def problem_record(problem: Problem) -> dict[str, Any]:
    """A Problem as JSON data."""
    return {"location": location_record(problem.location), "message": problem.message, "value": problem.value,
            "hint": problem.hint, "severity": problem.severity}


def problem_from_record(record: Any) -> Problem:
    """The Problem a record describes, every field type-checked."""
    data = fields(record, {"location", "message", "value", "hint", "severity"})
    severity = text(data["severity"])
    if severity not in ("error", "warning"):
        raise ValueError(f"unknown severity {severity!r}")
    return Problem(location_from_record(data["location"]), text(data["message"]), maybe_text(data["value"]),
                   maybe_text(data["hint"]), "error" if severity == "error" else "warning")
