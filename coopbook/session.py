"""A warm build session: frozen build options plus caches that one long-lived process (`coopbook watch`) keeps.

`pipeline.build(options, session)` asks the session for the registry instead of loading it again, renders again
only the interviews whose file changed (while the registry is the same), and lays parts out on the session's
worker processes, which stay alive (fonts and stylesheets loaded) from build to build until `close`. With the
build cache on, it also keeps in memory what the per-interview cache holds (coopbook.interviewcache: validate
findings and link targets, EPUB documents), only for the content of its last build, and each interview file's
parsed document and interview while its text is unchanged (not parsed and validated again). The loaded
registry (and the problems its load found) is reused only while the bytes of every file under content/registry/
and the interviewees it adds (id, person id, name) are unchanged; anything else is built afresh, as in a new
process, so a warm build writes the same bytes as a cold one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problem, Problems
from .interviewcache import Memos
from .layout.scheduler import ProcessPool
from .markdown.fragments import Memo
from .source.book import Interview, LoadMemo
from .source.registry import Registry
from .source.registryfiles import load_registry

if TYPE_CHECKING:
    from .pipeline import BuildOptions


@dataclass(frozen=True)
class RegistryEntry:
    """A registry loaded once, the fingerprint of what it was loaded from, and the problems its load recorded."""

    key: str
    registry: Registry
    problems: tuple[Problem, ...]


@dataclass
class WarmCaches:
    """What a session keeps between builds (mutable: replaced as the content changes), and how often it helped."""

    registry: RegistryEntry | None = None
    registry_hits: int = 0
    registry_loads: int = 0
    pool: ProcessPool | None = None
    rendered: Memo = field(default_factory=dict)  # each interview's rendering (markdown/fragments), for...
    rendered_for: Registry | None = None  # ...this registry
    stored: Memos = field(default_factory=dict)  # per-interview cache entries read or written, by kind
    loaded: LoadMemo = field(default_factory=dict)  # each interview file's text and what it gave (source.book)


@dataclass(frozen=True)
class BuildSession:
    """The options every build of a watch uses, and the caches kept warm between those builds."""

    options: BuildOptions
    warm: WarmCaches = field(default_factory=WarmCaches, compare=False)

    def pool(self, jobs: int) -> ProcessPool | None:
        """The session's layout workers (started on first use, then kept warm), or None for one job (in-process)."""
        if jobs <= 1:
            return None
        if self.warm.pool is None or self.warm.pool.jobs != jobs:
            self.close()
            self.warm.pool = ProcessPool(jobs)
        return self.warm.pool

    def render_memo(self, registry: Registry) -> Memo:
        """The interviews rendered before with this registry (emptied when the registry is loaded again)."""
        if self.warm.rendered_for is not registry:
            self.warm.rendered = {}
            self.warm.rendered_for = registry
        return self.warm.rendered

    def close(self) -> None:
        """Stop the session's workers, if any (a watch does on exit, Ctrl-C included)."""
        if self.warm.pool is not None:
            self.warm.pool.close()
            self.warm.pool = None

    def registry(self, root: Path, interviews: Sequence[Interview], problems: Problems) -> Registry:
        """The registry for this content: the one loaded before when its sources are unchanged, else a new one."""
        key = registry_fingerprint(root, interviews)
        cached = self.warm.registry
        if cached is not None and cached.key == key:
            self.warm.registry_hits += 1
            problems.extend(cached.problems)
            return cached.registry
        found = Problems()
        registry = load_registry(root, interviews, found)
        problems.extend(found.items)
        self.warm.registry_loads += 1
        self.warm.registry = None if found.errors else RegistryEntry(key, registry, tuple(found.items))
        return registry


def registry_fingerprint(root: Path, interviews: Sequence[Interview]) -> str:
    """A digest of the registry's sources: every file under root/registry (path and bytes) and the interviewees."""
    digest = hashlib.sha256(str(root.resolve()).encode())
    folder = root / "registry"
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    for path in files:
        data = path.read_bytes()
        digest.update(f"\0{path.relative_to(folder).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    for interview in interviews:
        digest.update(f"\1{interview.id}\0{interview.person_id}\0{interview.interviewee.name}".encode())
    return digest.hexdigest()
