"""Publishing a build's outputs as one set: the screen PDF, print PDF and EPUB change together or not at all.

Replacing three files cannot be one atomic step, so the set is published through a staging folder with a
manifest, and an interrupted publish is finished (rolled forward) by the next build:

1. Stage: every product is written to `build/.staging/<name>` (same folder tree, so the same file system),
   each flushed to disk. A kill here leaves the published outputs untouched; the half-filled staging folder
   has no manifest and is thrown away by the next build.
2. Commit: the manifest `build/.staging/.edition.json` (format, and per file its name, size and SHA-256) is
   written atomically and flushed once every staged file is on disk. From this moment the new set *is* the
   edition: whatever happens next, it is finished, never abandoned.
3. Publish: each staged file is renamed over its output (`os.replace`, atomic per file), the folder is
   flushed, then the manifest is renamed to `build/.edition.json` and the empty staging folder removed.

`finish_publishing` is step 3 on its own and is idempotent: a file already moved is recognised by its checksum
and skipped. The build runs it first thing (under the build lock), before it reads any content, and
`write_outputs` runs it before staging, so a kill between two renames (or a failed rename) leaves a mixed
set on disk only until the next build or `write_outputs` starts, which completes the committed set.
`build/.edition.json` then names the files of the last published set and their checksums, for anyone who
wants to verify them. A staged file that no longer matches its manifest (damaged on disk after it was
flushed) cannot be published: the staging folder is discarded with a warning, and the build that follows
writes a complete new set.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import display_path
from .fsutil import atomic_write, environment_problem, fsync_folder, make_folder, sha256

log = logging.getLogger(__name__)

STAGING = ".staging"
MANIFEST = ".edition.json"
MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class EditionFile:
    """One file of a published set, as the manifest records it."""

    name: str
    size: int
    sha256: str


def publish(out: Path, products: Sequence[tuple[str, bytes]]) -> None:
    """Replace the files `out/<name>` by these products as one set (stage, commit the manifest, publish)."""
    finish_publishing(out)
    staging = out / STAGING
    _remove(staging)
    make_folder(staging)
    files = []
    for name, data in products:
        _check_name(name)
        atomic_write(staging / name, data, shown=out / name)
        files.append(EditionFile(name, len(data), sha256(data)))
    fsync_folder(staging)
    manifest = {"format": MANIFEST_FORMAT, "files": [vars(f) for f in files]}
    atomic_write(staging / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8") + b"\n", shown=out / MANIFEST)
    fsync_folder(staging)
    finish_publishing(out)


def finish_publishing(out: Path) -> bool:
    """Complete an interrupted publish in out (roll forward), or discard an uncommitted staging folder.

    Returns whether a committed set was (re)published. Safe to run at any time under the build lock.
    """
    staging = out / STAGING
    if not staging.is_dir():
        return False
    files = read_manifest(staging / MANIFEST)
    if files is None:
        _remove(staging)  # staged but never committed: the published set was never touched
        return False
    for item in files:
        source, target = staging / item.name, out / item.name
        if source.exists():
            if _digest(source) != item.sha256:
                log.warning("%s: the staged output does not match its manifest; the interrupted publish is "
                            "discarded and the outputs are written anew by the next build", display_path(source))
                _remove(staging)
                return False
            try:
                os.replace(source, target)
            except OSError as error:
                raise environment_problem(target, "write", error) from error
        elif _digest(target) != item.sha256:
            log.warning("%s: neither staged nor published as the manifest says; the interrupted publish is "
                        "discarded and the outputs are written anew by the next build", display_path(target))
            _remove(staging)
            return False
    fsync_folder(out)
    try:
        os.replace(staging / MANIFEST, out / MANIFEST)
    except OSError as error:
        raise environment_problem(out / MANIFEST, "write", error) from error
    fsync_folder(out)
    _remove(staging)
    return True


def read_manifest(path: Path) -> list[EditionFile] | None:
    """The files a manifest lists, or None when it is missing, incomplete or not one of ours."""
    try:
        data: Any = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("files"), list):
        return None
    files = []
    for item in data["files"]:
        if not isinstance(item, dict) or set(item) != {"name", "size", "sha256"}:
            return None
        name, size, digest = item["name"], item["size"], item["sha256"]
        if not (isinstance(name, str) and isinstance(size, int) and isinstance(digest, str)):
            return None
        try:
            _check_name(name)
        except ValueError:
            return None
        files.append(EditionFile(name, size, digest))
    return files


def _check_name(name: str) -> None:
    """An output is a plain file name in the output folder (a manifest cannot move files elsewhere)."""
    if not name or name != Path(name).name or name.startswith(".") or "\\" in name:
        raise ValueError(f"not a plain output file name: {name!r}")


def _digest(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except OSError:
        return None


def _remove(folder: Path) -> None:
    if folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
