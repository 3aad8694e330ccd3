"""Files on disk: atomic writes, sealed cache entries, and file system failures reported as located problems.

A failed build never damages the previous good output: every file is written to a temporary file in the same
folder, flushed to disk, then renamed over the old one. A write the machine refuses (a full disk, a read-only
folder, a path below a regular file) becomes an `EnvironmentProblem` naming the path, never a traceback.

Cache entries are *sealed*: a header line `{"format", "kind", "key", "size", "sha256"}` (JSON) followed by the
body, which is a one-line JSON record and then the raw payload bytes. The checksum covers the whole body, so a
flipped bit or a truncated file is noticed on read; the kind and key say what the entry is for, so a file
copied to another name or written by something else is noticed too. Nothing is ever unpickled or evaluated.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .errors import EnvironmentProblem, Location, Problem, display_path

log = logging.getLogger("coopbook.layout.cache")

ENTRY_MAGIC = b"coopbook-cache "  # every sealed entry starts with this, then its JSON header line
ENTRY_FORMAT = 2  # 1 was a pickle; bump when the header or a record's fields change
HEADER_LIMIT = 4096  # a header line longer than this is not one of ours


def environment_problem(path: Path | str, action: str, error: OSError) -> EnvironmentProblem:
    """The problem for a file the machine would not let the build use: `path: error: cannot write: reason`."""
    code = error.errno
    reason = os.strerror(code) if code is not None else (error.strerror or str(error) or type(error).__name__)
    reason = reason[:1].lower() + reason[1:]
    shown = display_path(Path(path)) if isinstance(path, Path) else path
    return EnvironmentProblem([Problem(Location(shown), f"cannot {action}: {reason}")])


@contextlib.contextmanager
def environment_errors() -> Iterator[None]:
    """Turn an OSError about a named file (a read-only or full disk, a missing folder) into an EnvironmentProblem."""
    try:
        yield
    except OSError as error:
        if error.filename is None:
            raise
        raise environment_problem(Path(os.fsdecode(error.filename)), "read or write", error) from error


def make_folder(path: Path) -> None:
    """Create a folder (and its parents) or report why it cannot be created."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as error:  # a regular file where the folder should be
        raise environment_problem(path, "create the folder", OSError(errno.ENOTDIR, "")) from error
    except OSError as error:
        raise environment_problem(path, "create the folder", error) from error


def fsync_folder(path: Path) -> None:
    """Flush a folder's entries (renames, new files) to disk, where the platform allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename is then as durable as they make it
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, shown: Path | None = None, *, overwrite: bool = True,
                 mode: int = 0o644, durable: bool = True) -> bool:
    """Write data to path through a temporary file in the same folder, flushed to disk, then rename over it.

    Without `overwrite`, an existing path is left alone and False returned (the new file is linked into place,
    which fails instead of replacing). A failure is reported as an EnvironmentProblem naming `shown` (default:
    path), and leaves path as it was. Unless durable, the file is not flushed to disk first (an entry a crash
    may lose or truncate, which a sealed entry's reader takes for a miss).
    """
    make_folder(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise environment_problem(shown or path, "write", error) from error
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, path)
            return True
        return _link_new(Path(tmp), path, data)
    except OSError as error:
        raise environment_problem(shown or path, "write", error) from error
    finally:
        Path(tmp).unlink(missing_ok=True)


def _link_new(tmp: Path, path: Path, data: bytes) -> bool:
    """Put a written temporary file at path unless path exists (False then): a hard link, else exclusive create."""
    try:
        os.link(tmp, path)  # atomic, and fails instead of replacing an existing file
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system: exclusive create, then write
        try:
            with path.open("xb") as handle:
                handle.write(data)
        except FileExistsError:
            return False
    return True


def sha256(data: bytes) -> str:
    """The hex SHA-256 of data."""
    return hashlib.sha256(data).hexdigest()


class BadEntry(Exception):
    """A cache entry that cannot be trusted; the message says why, to finish `cache entry ...`."""


def seal(kind: str, key: str, record: dict[str, Any], payload: bytes) -> bytes:
    """A cache entry: header (format, kind, key, body size and checksum), then the JSON record and the payload."""
    body = json.dumps(record, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")
    body += b"\n" + payload
    header = {"format": ENTRY_FORMAT, "kind": kind, "key": key, "size": len(body), "sha256": sha256(body)}
    return ENTRY_MAGIC + json.dumps(header, separators=(",", ":")).encode("ascii") + b"\n" + body


def unseal(data: bytes, kind: str, key: str) -> tuple[Any, bytes]:
    """The record and payload of a sealed entry made for kind and key; BadEntry if it is anything else."""
    if not data.startswith(ENTRY_MAGIC):
        raise BadEntry("is not in coopbook's format")
    end = data.find(b"\n", 0, HEADER_LIMIT)
    if end < 0:
        raise BadEntry("is truncated" if len(data) < HEADER_LIMIT else "is corrupt (no header)")
    try:
        header = json.loads(data[len(ENTRY_MAGIC):end], parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        raise BadEntry("is corrupt (unreadable header)") from None
    if not isinstance(header, dict) or set(header) != {"format", "kind", "key", "size", "sha256"}:
        raise BadEntry("is corrupt (unreadable header)")
    if header["format"] != ENTRY_FORMAT:
        raise BadEntry("is from another coopbook version")
    if header["kind"] != kind or header["key"] != key:
        raise BadEntry("was made for another part or font (its key differs)")
    body = data[end + 1:]
    size = header["size"]
    if not isinstance(size, int) or isinstance(size, bool) or not isinstance(header["sha256"], str):
        raise BadEntry("is corrupt (unreadable header)")
    if len(body) < size:
        raise BadEntry(f"is truncated ({len(body)} of {size} bytes)")
    if len(body) > size or sha256(body) != header["sha256"]:
        raise BadEntry("is corrupt (checksum mismatch)")
    line, _, payload = body.partition(b"\n")
    try:
        record = json.loads(line, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        raise BadEntry("is corrupt (unreadable record)") from None
    return record, payload


def discard_entry(path: Path, why: str, redo: str) -> None:
    """Remove an untrustworthy cache entry and say so in one line: `path: note: cache entry is corrupt; ...`."""
    log.warning("%s: note: cache entry %s; %s", display_path(path), why, redo)
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


T = TypeVar("T")
RECORD_ERRORS = (ValueError, TypeError, KeyError, IndexError)  # what a record that does not fit its type raises


def read_entry(path: Path, kind: str, key: str, make: Callable[[Any, bytes], T], redo: str) -> T | None:
    """The sealed entry at path made into a value by make(record, payload), its time touched (so it is not pruned);
    None if it is missing, or untrustworthy (then removed, with a note ending in redo)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        discard_entry(path, f"cannot be read ({error.strerror or error})", redo)
        return None
    try:
        record, payload = unseal(data, kind, key)
        try:
            value = make(record, payload)
        except RECORD_ERRORS as error:
            raise BadEntry(f"is corrupt (bad record: {error})") from None
    except BadEntry as bad:
        discard_entry(path, str(bad), redo)
        return None
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only cache still serves; the entry is only pruned sooner
    return value


def prune_entries(folder: Path, pattern: str, keep_seconds: float) -> int:
    """Remove the files under folder matching pattern that no build touched for keep_seconds; how many."""
    limit = time.time() - keep_seconds
    removed = 0
    for path in folder.glob(pattern):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        except OSError:
            continue
    return removed


def _no_constant(name: str) -> Any:
    """Refuse NaN and Infinity in cache JSON (coopbook never writes them)."""
    raise ValueError(f"{name} is not allowed")
