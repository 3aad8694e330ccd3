"""`coopbook watch`: rebuild whenever content/ or templates/ change, reporting problems without stopping.

The loop is a plain function so that a test can run it for real: it builds once, then waits for changes
(debounced by watchfiles) and rebuilds; it returns when `stop_event` is set or after `max_builds` builds.
Each build's result goes to a callback; nothing here prints. The builds of one watch share a `BuildSession`, so
what is unchanged between them (the loaded registry, the layout workers with their fonts) stays warm; the
workers are stopped when the watch ends, however it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import watchfiles

from ..errors import CoopbookError, Problem, display_path
from ..pipeline import BuildOptions, Output, build
from ..session import BuildSession

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300
# Temporary files: ours (atomic writes: .name.xxxx.tmp) and editors' (swap, backup, lock files).
IGNORED_NAMES = (r"^\..*\.tmp$", r"\.sw.$", r"~$", r"^\.#", r"^#.*#$", r"^4913$", r"\.lock$", r"^\.DS_Store$", r"^\._")


@dataclass(frozen=True)
class Rebuild:
    """One build run by the watcher: what triggered it, how long it took, and what came of it."""

    number: int
    changed: tuple[str, ...]
    seconds: float
    outputs: tuple[Output, ...] = ()
    problems: tuple[Problem, ...] = ()
    internal: str | None = None

    @property
    def ok(self) -> bool:
        """True when the outputs were written (the problems are warnings, if any)."""
        return self.internal is None and not any(p.severity == "error" for p in self.problems)


def run_build(options: BuildOptions, number: int, changed: tuple[str, ...] = (), *, debug: bool = False,
              session: BuildSession | None = None) -> Rebuild:
    """Build once and describe the result; content problems and crashes are reported, never raised."""
    started = time.perf_counter()
    warnings: list[Problem] = []
    try:
        outputs = build(replace(options, on_warnings=warnings.extend), session)
    except CoopbookError as exc:
        return Rebuild(number, changed, time.perf_counter() - started, problems=exc.problems)
    except Exception as exc:  # noqa: BLE001 - a watcher outlives a crash; the next change gets a new try
        if debug:
            log.exception("internal error during the build")
        return Rebuild(number, changed, time.perf_counter() - started, internal=f"{type(exc).__name__}: {exc}")
    return Rebuild(number, changed, time.perf_counter() - started, outputs=outputs, problems=tuple(warnings))


def watched_paths(options: BuildOptions) -> tuple[Path, ...]:
    """The folders whose changes trigger a rebuild: the content and the templates."""
    return tuple(dict.fromkeys(p for p in (options.content, options.templates) if p.is_dir()))


def change_filter(options: BuildOptions) -> watchfiles.DefaultFilter:
    """Ignore the output folder, version-control folders, and temporary files of editors and atomic writes."""
    patterns = (*watchfiles.DefaultFilter.ignore_entity_patterns, *IGNORED_NAMES)
    return watchfiles.DefaultFilter(ignore_entity_patterns=patterns, ignore_paths=(options.out.resolve(),))


def lasting_changes(changes: set[tuple[watchfiles.Change, str]]) -> tuple[str, ...]:
    """The changed paths worth naming, for display: files made and removed within the batch are left out."""
    added = {path for change, path in changes if change == watchfiles.Change.added}
    deleted = {path for change, path in changes if change == watchfiles.Change.deleted}
    transient = {path for path in added & deleted if not Path(path).exists()}
    return tuple(sorted({display_path(Path(path)) for _, path in changes if path not in transient}))


def watch(options: BuildOptions, on_build: Callable[[Rebuild], None], *, stop_event: threading.Event | None = None,
          max_builds: int | None = None, debounce_ms: int = DEBOUNCE_MS, debug: bool = False) -> int:
    """Build now, then rebuild on every (debounced) change until stopped; return the number of builds run."""
    session = BuildSession(options)
    try:
        return watch_session(session, on_build, stop_event=stop_event, max_builds=max_builds,
                             debounce_ms=debounce_ms, debug=debug)
    finally:  # the warm workers never outlive the watch (Ctrl-C included)
        session.close()


def watch_session(session: BuildSession, on_build: Callable[[Rebuild], None], *,
                  stop_event: threading.Event | None = None, max_builds: int | None = None,
                  debounce_ms: int = DEBOUNCE_MS, debug: bool = False) -> int:
    """The watch loop over one session (its workers stay warm between builds; the caller closes it)."""
    options = session.options
    paths = watched_paths(options)
    count = 1
    on_build(run_build(options, count, debug=debug, session=session))
    if (max_builds is not None and count >= max_builds) or (stop_event is not None and stop_event.is_set()):
        return count
    for changes in watchfiles.watch(*paths, watch_filter=change_filter(options), debounce=debounce_ms,
                                    stop_event=stop_event, rust_timeout=0):
        changed = lasting_changes(changes)
        if not changed:
            continue
        count += 1
        on_build(run_build(options, count, changed, debug=debug, session=session))
        if max_builds is not None and count >= max_builds:
            break
    return count

