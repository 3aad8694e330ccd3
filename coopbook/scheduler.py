"""Lay out a sequence of parts, each opening on a recto, in worker processes, with the cache in front.

A part's first folio depends on the page counts of the parts before it, so layouts follow one another, but
a worker reports its page count as soon as its layout is done and writes its PDF while the next worker
lays out the next part: layout and writing overlap across cores. Cached parts cost nothing. Memory stays
bounded by the largest part: each worker holds one part's document at a time.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from .cache import PartCache
from .errors import BuildError, Location, Problem
from .parts import PartResult, PartSpec, Style, lay_out, part_key, write_part

log = logging.getLogger(__name__)

Progress = Callable[[str, str], None]  # (event: "cached" | "laid" | "written", part name)
Event = tuple[str, int, Any]


class _InlinePool:
    """Runs parts in this process, one at a time (for one core, or books of a few parts)."""

    def __init__(self) -> None:
        self.queue: deque[Event] = deque()

    def idle(self) -> bool:
        return True

    def submit(self, slot: int, style: Style, spec: PartSpec, folio: int) -> None:
        try:
            document, layout = lay_out(style, spec, folio, placeholders=True)
            self.queue.append(("laid", slot, layout.page_count))
            self.queue.append(("done", slot, write_part(document, layout, style)))
        except Exception as exc:  # noqa: BLE001 - reported as a located build error
            self.queue.append(("error", slot, f"{type(exc).__name__}: {exc}"))

    def events(self) -> Iterator[Event]:
        while self.queue:
            yield self.queue.popleft()

    def close(self) -> None:
        self.queue.clear()


def _worker(conn: Connection, inherited: list[Connection]) -> None:
    for other in inherited:  # the parent's ends of every pipe: without them, the parent's death is an EOF here
        other.close()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the build was stopped: nothing more to do
            return
        if message is None:
            return
        slot, style, spec, folio = message
        try:
            try:
                document, layout = lay_out(style, spec, folio, placeholders=True)
                conn.send(("laid", slot, layout.page_count))
                result = write_part(document, layout, style)
                del document
                conn.send(("done", slot, result))
            except (BrokenPipeError, EOFError, ConnectionError):
                raise
            except Exception as exc:  # noqa: BLE001 - sent to the parent, which reports it
                log.debug("worker failed: %s", traceback.format_exc())
                conn.send(("error", slot, f"{type(exc).__name__}: {exc}"))
        except (BrokenPipeError, EOFError, ConnectionError):  # the build was stopped
            return


class _ProcessPool:
    """Worker processes (forked, so WeasyPrint is already imported), started on first use."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        self.free: list[Connection] = []
        self.busy: set[Connection] = set()

    def idle(self) -> bool:
        return bool(self.free) or len(self.workers) < self.jobs

    def submit(self, slot: int, style: Style, spec: PartSpec, folio: int) -> None:
        if not self.free:
            parent, child = multiprocessing.get_context("fork").Pipe()
            inherited = [conn for _, conn in self.workers] + [parent]
            process = multiprocessing.get_context("fork").Process(target=_worker, args=(child, inherited),
                                                                  daemon=True)
            process.start()
            child.close()
            self.workers.append((process, parent))
            self.free.append(parent)
        conn = self.free.pop()
        conn.send((slot, style, spec, folio))
        self.busy.add(conn)

    def events(self) -> Iterator[Event]:
        if not self.busy:
            return
        for conn in wait(list(self.busy)):
            assert isinstance(conn, Connection)
            try:
                event = conn.recv()
            except EOFError:
                yield ("error", -1, "a layout worker died")
                return
            if event[0] in ("done", "error"):
                self.busy.discard(conn)
                self.free.append(conn)
            yield event

    def close(self) -> None:
        for process, conn in self.workers:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            conn.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        self.workers.clear()


class PartScheduler:
    """Lays out sequences of parts through the cache and a pool; use as a context manager."""

    def __init__(self, style: Style, cache: PartCache, blank: PartSpec, jobs: int = 1,
                 progress: Progress | None = None) -> None:
        self.style = style
        self.cache = cache
        self.blank = blank
        self.pool: _InlinePool | _ProcessPool = _ProcessPool(jobs) if jobs > 1 else _InlinePool()
        self.progress = progress or (lambda event, name: None)

    def __enter__(self) -> PartScheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.close()

    def run(self, specs: Sequence[PartSpec], first_folio: int, recto: bool = True,
            pad_end: bool = False) -> list[PartResult]:
        """Lay out specs in order from first_folio, each opening on a recto (blank versos inserted).

        With pad_end, a blank verso is added at the end when needed so that what follows opens on a recto.
        """
        todo: deque[PartSpec | None] = deque(specs)
        if pad_end:
            todo.append(None)  # the end: pad to a recto
        slots: list[PartResult | None] = []
        folios: list[int] = []
        keys: list[str] = []
        names: list[str] = []
        folio, known = first_folio, True
        while todo or any(s is None for s in slots):
            while known and todo:
                if todo[0] is None and folio % 2 == 1:
                    todo.popleft()
                    continue
                spec = self.blank if (recto or todo[0] is None) and folio % 2 == 0 else todo[0]
                assert spec is not None
                key_folio = 1 if spec.kind == "blank" else folio
                key = part_key(self.style, spec, key_folio)
                cached = self.cache.get(key)
                if cached is None and not self.pool.idle():
                    break
                if spec is not self.blank or todo[0] is None:
                    todo.popleft()
                slot = len(slots)
                slots.append(None)
                folios.append(folio)
                keys.append(key)
                names.append(spec.name)
                if cached is not None:
                    slots[slot] = cached
                    folio += cached.layout.page_count
                    self.progress("cached", spec.name)
                else:
                    self.pool.submit(slot, self.style, spec, key_folio)
                    known = False
            for event, slot, payload in self.pool.events():
                if event == "error":
                    name = names[slot] if slot >= 0 else "a part"
                    raise BuildError([Problem(Location(f"layout of {name}"), "the part could not be laid out",
                                              str(payload))])
                if event == "laid":
                    folio = folios[slot] + int(payload)
                    known = True
                    self.progress("laid", names[slot])
                elif event == "done":
                    slots[slot] = payload
                    self.cache.put(keys[slot], payload)
                    self.progress("written", payload.layout.name)
        return [_at_folio(result, f) for result, f in zip(slots, folios, strict=True) if result is not None]


def _at_folio(result: PartResult, folio: int) -> PartResult:
    """A blank part reused at another folio (its pages carry no folio, so its PDF is the same)."""
    if result.layout.first_folio == folio:
        return result
    layout = dataclasses.replace(result.layout, name=f"blank-{folio}", first_folio=folio)
    return dataclasses.replace(result, layout=layout)
