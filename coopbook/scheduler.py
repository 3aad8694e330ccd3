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
        self.speculative = jobs > 1
        self.progress = progress or (lambda event, name: None)
        self.tasks: dict[int, _Task] = {}  # every task handed to a worker, by id (they may outlive a run)
        self.by_key: dict[str, int] = {}  # key -> id of the task still making it

    def __enter__(self) -> PartScheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.close()

    def run(self, specs: Sequence[PartSpec], first_folio: int, recto: bool = True,
            pad_end: bool = False) -> list[PartResult]:
        """Lay out specs in order from first_folio, each opening on a recto (blank versos inserted).

        With pad_end, a blank verso is added at the end when needed so that what follows opens on a recto.
        While a part is being laid out, an idle worker lays out the next one at the folio it will most likely
        open on (predicted from the pages per character seen so far); if the guess proves right, that work is
        used, otherwise it is only cached under the folio it was made for: a result is always laid out at the
        folio its key names, so a wrong guess costs time, never correctness.
        """
        todo: deque[PartSpec | None] = deque(specs)
        if pad_end:
            todo.append(None)  # the end: pad to a recto
        slots: list[PartResult | None] = []
        folios: list[int] = []
        tasks, by_key = self.tasks, self.by_key
        for task in tasks.values():
            task.slot = None  # slots belong to one run
        rate = _PageRate()
        folio, known = first_folio, True
        pending: int | None = None  # the slot whose page count decides the next folio
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
                running = by_key.get(key)
                if cached is None and running is None and not self.pool.idle():
                    break
                if spec is not self.blank or todo[0] is None:
                    todo.popleft()
                slot = len(slots)
                slots.append(None)
                folios.append(folio)
                if cached is not None:
                    slots[slot] = cached
                    folio += cached.layout.page_count
                    rate.learn(spec, cached.layout.page_count)
                    self.progress("cached", spec.name)
                    continue
                if running is None:
                    running = self._submit(spec, key_folio, key)
                task = tasks[running]
                task.slot = slot
                if task.pages is None:
                    known, pending = False, slot
                else:
                    folio += task.pages
            if (self.speculative and not known and todo and todo[0] is not None and pending is not None
                    and self.pool.idle()):
                self._speculate(rate, todo[0], folios[pending], pending, recto)
            for event, task_id, payload in self.pool.events():
                task = tasks[task_id]
                if event == "error":
                    raise BuildError([Problem(Location(f"layout of {task.spec.name}"),
                                              "the part could not be laid out", str(payload))])
                if event == "laid":
                    task.pages = int(payload)
                    rate.learn(task.spec, task.pages)
                    if task.slot is not None and task.slot == pending:
                        folio, known, pending = folios[task.slot] + task.pages, True, None
                    self.progress("laid", task.spec.name)
                elif event == "done":
                    self.cache.put(task.key, payload)
                    by_key.pop(task.key, None)
                    if task.slot is not None:
                        slots[task.slot] = payload
                    self.progress("written", payload.layout.name)
        return [_at_folio(result, f) for result, f in zip(slots, folios, strict=True) if result is not None]

    def _submit(self, spec: PartSpec, folio: int, key: str) -> int:
        task_id = len(self.tasks)
        self.tasks[task_id] = _Task(spec, folio, key)
        self.by_key[key] = task_id
        self.pool.submit(task_id, self.style, spec, folio)
        return task_id

    def _speculate(self, rate: _PageRate, spec: PartSpec, pending_folio: int, pending: int, recto: bool) -> None:
        """Lay out the next part at its predicted folio while the pending part is still being laid out."""
        pending_task = next((t for t in self.tasks.values() if t.slot == pending), None)
        if pending_task is None:
            return
        guess = rate.pages(pending_task.spec)
        if guess is None:
            return
        folio = pending_folio + guess
        if recto and folio % 2 == 0:
            folio += 1
        key = part_key(self.style, spec, folio)
        if key in self.by_key or self.cache.get(key) is not None:
            return
        self._submit(spec, folio, key)


@dataclasses.dataclass
class _Task:
    """A part being laid out in a worker: for a slot of the sequence, or speculatively (slot None)."""

    spec: PartSpec
    folio: int
    key: str
    slot: int | None = None
    pages: int | None = None


class _PageRate:
    """Pages per character of HTML, learnt from the parts laid out so far, to predict the next folio."""

    def __init__(self) -> None:
        self.characters = 0
        self.pages_seen = 0

    def learn(self, spec: PartSpec, pages: int) -> None:
        if spec.kind == "interview":
            self.characters += len(spec.html)
            self.pages_seen += pages

    def pages(self, spec: PartSpec) -> int | None:
        if spec.kind != "interview" or not self.characters:
            return None
        return max(1, round(len(spec.html) * self.pages_seen / self.characters))


def _at_folio(result: PartResult, folio: int) -> PartResult:
    """A blank part reused at another folio (its pages carry no folio, so its PDF is the same)."""
    if result.layout.first_folio == folio:
        return result
    layout = dataclasses.replace(result.layout, name=f"blank-{folio}", first_folio=folio)
    return dataclasses.replace(result, layout=layout)
