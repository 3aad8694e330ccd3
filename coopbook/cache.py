"""The build cache under build/.cache/: laid-out parts keyed by a hash of everything that can change them.

Entries are written atomically (a killed build leaves either the old entry or the new one), read back only
when their key matches exactly, and entries no build used for a while are pruned.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from pathlib import Path

from .fsutil import atomic_write
from .parts import PartResult

log = logging.getLogger(__name__)

FORMAT = 1
KEEP_SECONDS = 7 * 24 * 3600


class PartCache:
    """Laid-out parts on disk, one file per key."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder / "parts" if folder is not None else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.part"

    def get(self, key: str) -> PartResult | None:
        """The cached part for key, or None (a missing, stale or unreadable entry is a miss)."""
        if self.folder is None:
            return None
        path = self._path(key)
        try:
            with path.open("rb") as handle:
                version, stored_key, result = pickle.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            log.warning("ignoring an unreadable cache entry: %s", path)
            return None
        if version != FORMAT or stored_key != key or not isinstance(result, PartResult):
            return None
        os.utime(path)
        return result

    def put(self, key: str, result: PartResult) -> None:
        """Store a part under key, atomically."""
        if self.folder is None:
            return
        atomic_write(self._path(key), pickle.dumps((FORMAT, key, result), protocol=pickle.HIGHEST_PROTOCOL))

    def prune(self, keep_seconds: float = KEEP_SECONDS) -> int:
        """Remove entries not used for keep_seconds; return how many were removed."""
        if self.folder is None:
            return 0
        limit = time.time() - keep_seconds
        removed = 0
        for path in self.folder.glob("*/*.part"):
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
