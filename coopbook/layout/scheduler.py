"""Lay out a sequence of parts, each opening on a recto, in worker processes, with the cache in front.

A part's first folio depends on the page counts of the parts before it, so layouts follow one another, but
a worker reports its page count as soon as its layout is done and writes its PDF while the next worker
lays out the next part: layout and writing overlap across cores. Cached parts cost nothing. Memory stays
bounded by the largest part: each worker holds one part's document at a time.

The scheduler cannot spin: each turn of its loop either places a part in the sequence or blocks until a
worker reports, and a state where work remains but no worker is busy is raised at once as `SchedulerStalled`.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import signal
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from ..errors import BuildError, Location, Problem
from .cache import PartCache
from .part import PartResult, PartSpec, Style, lay_out, part_key, write_part

log = logging.getLogger(__name__)

Progress = Callable[[str, str], None]  # (event: "cached" | "laid" | "written", part name)
Event = tuple[str, int, Any]  # ("laid", task, page count) | ("done", task, PartResult) | ("error", task, message)
Finish = Callable[[], PartResult]
LayOut = Callable[[Style, PartSpec, int], tuple[int, Finish]]  # lay out: page count, then write on demand


class SchedulerStalled(RuntimeError):
    """Work remains but no worker is busy: a bug in the scheduler, reported at once instead of spinning."""


class Pool(Protocol):
    """Where parts are laid out: `submit` hands one over, `events` blocks until at least one report."""

    def idle(self) -> bool:
        """True when a part can be submitted now."""
        ...

    def busy(self) -> int:
        """How many submitted parts have not finished (done or error) yet."""
        ...

    def submit(self, task: int, style: Style, spec: PartSpec, folio: int) -> None:
        """Start laying out spec at folio; its events carry the task number."""
        ...

    def events(self) -> Iterator[Event]:
        """Wait until a worker reports, then yield every report that is ready (nothing when none is busy)."""
        ...

    def close(self, graceful: bool = True) -> None:
        """Stop the workers: let them finish (graceful), or kill them (after an error or Ctrl-C)."""
        ...


def lay_out_and_write(style: Style, spec: PartSpec, folio: int) -> tuple[int, Finish]:
    """Lay out one part with WeasyPrint: its page count at once, and the function that writes its PDF."""
    document, layout = lay_out(style, spec, folio, placeholders=True)
    return layout.page_count, lambda: write_part(document, layout, style)


class InlinePool:
    """Runs parts in this process, one at a time (for one core, or books of a few parts)."""

    def __init__(self, work: LayOut = lay_out_and_write) -> None:
        self.work = work
        self.queue: deque[Event] = deque()
        self.running = 0

    def idle(self) -> bool:
        """Always: a part is laid out as soon as it is submitted."""
        return True

    def busy(self) -> int:
        """Parts whose events have not all been read yet."""
        return self.running

    def submit(self, task: int, style: Style, spec: PartSpec, folio: int) -> None:
        """Lay out and write the part now; its events wait in a queue."""
        self.running += 1
        try:
            pages, finish = self.work(style, spec, folio)
            self.queue.append(("laid", task, pages))
            self.queue.append(("done", task, finish()))
        except Exception as exc:  # noqa: BLE001 - reported as a located build error
            log.debug("layout failed: %s", traceback.format_exc())
            self.queue.append(("error", task, f"{type(exc).__name__}: {exc}"))

    def events(self) -> Iterator[Event]:
        """The queued reports, in order."""
        while self.queue:
            event = self.queue.popleft()
            if event[0] != "laid":
                self.running -= 1
            yield event

    def close(self, graceful: bool = True) -> None:
        """Forget what is queued."""
        self.queue.clear()
        self.running = 0


def _worker(conn: Connection, inherited: list[Connection], work: LayOut) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    for other in inherited:  # the parent's ends of every pipe: without them, the parent's death is an EOF here
        other.close()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the build was stopped: nothing more to do
            return
        if message is None:
            return
        task, style, spec, folio = message
        try:
            try:
                pages, finish = work(style, spec, folio)
                conn.send(("laid", task, pages))
                result = finish()
                del finish
                conn.send(("done", task, result))
            except (BrokenPipeError, EOFError, ConnectionError):
                raise
            except Exception as exc:  # noqa: BLE001 - sent to the parent, which reports it
                log.debug("worker failed: %s", traceback.format_exc())
                conn.send(("error", task, f"{type(exc).__name__}: {exc}"))
        except (BrokenPipeError, EOFError, ConnectionError):  # the build was stopped
            return


class ProcessPool:
    """Worker processes (forked, so WeasyPrint is already imported), started on first use."""

    def __init__(self, jobs: int, work: LayOut = lay_out_and_write) -> None:
        self.jobs = jobs
        self.work = work
        self.workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        self.free: list[Connection] = []
        self.running: dict[Connection, int] = {}  # a busy worker's pipe -> its task

    def idle(self) -> bool:
        """True when a worker is free or another may be started."""
        return bool(self.free) or len(self.workers) < self.jobs

    def busy(self) -> int:
        """Workers laying out or writing a part."""
        return len(self.running)

    def submit(self, task: int, style: Style, spec: PartSpec, folio: int) -> None:
        """Hand the part to a free worker (starting one if fewer than jobs are running)."""
        if not self.free:
            context = multiprocessing.get_context("fork")
            parent, child = context.Pipe()
            inherited = [conn for _, conn in self.workers] + [parent]
            process = context.Process(target=_worker, args=(child, inherited, self.work), daemon=True)
            process.start()
            child.close()
            self.workers.append((process, parent))
            self.free.append(parent)
        conn = self.free.pop()
        conn.send((task, style, spec, folio))
        self.running[conn] = task

    def events(self) -> Iterator[Event]:
        """Block until a busy worker reports, then yield what the ready workers sent."""
        if not self.running:
            return
        for conn in wait(list(self.running)):
            assert isinstance(conn, Connection)
            try:
                event = conn.recv()
            except (EOFError, OSError):
                yield ("error", self.running.pop(conn), "a layout worker died")
                return
            if event[0] in ("done", "error"):
                del self.running[conn]
                self.free.append(conn)
            yield event

    def close(self, graceful: bool = True) -> None:
        """Stop the workers: ask them to finish (graceful) or kill them (after an error or Ctrl-C)."""
        for process, conn in self.workers:
            if graceful:
                try:
                    conn.send(None)
                except (BrokenPipeError, OSError):
                    pass
            conn.close()
            process.join(timeout=5 if graceful else 0)
            if process.is_alive():
                process.kill()
                process.join()
        self.workers.clear()
        self.free.clear()
        self.running.clear()


@dataclasses.dataclass
class _Task:
    """A part handed to the pool, and every slot of the sequence waiting for it (a blank may fill several)."""

    spec: PartSpec
    key: str
    slots: list[int]
    pages: int | None = None


class PartScheduler:
    """Lays out sequences of parts through the cache and a pool; use as a context manager."""

    def __init__(self, style: Style, cache: PartCache, blank: PartSpec, jobs: int = 1,
                 progress: Progress | None = None, pool: Pool | None = None) -> None:
        self.style = style
        self.cache = cache
        self.blank = blank
        self.pool: Pool = pool if pool is not None else ProcessPool(jobs) if jobs > 1 else InlinePool()
        self.progress = progress or (lambda event, name: None)

    def __enter__(self) -> PartScheduler:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.pool.close(graceful=kind is None)

    def run(self, specs: Sequence[PartSpec], first_folio: int, recto: bool = True,
            pad_end: bool = False) -> list[PartResult]:
        """Lay out specs in order from first_folio, each opening on a recto (blank versos inserted).

        With pad_end, a blank verso is added at the end when needed so that what follows opens on a recto.
        The next part is placed as soon as the page count of the one before is known; parts already in the
        cache are taken from it, and a part needed twice while it is being laid out (a blank) is laid out once.
        """
        todo: deque[PartSpec | None] = deque(specs)
        if pad_end:
            todo.append(None)  # the end: pad to a recto
        slots: list[PartResult | None] = []
        folios: list[int] = []
        tasks: dict[int, _Task] = {}
        by_key: dict[str, int] = {}  # key -> the task making it
        folio = first_folio
        waiting: _Task | None = None  # the task whose page count decides the next folio
        while True:
            while waiting is None and todo:
                if todo[0] is None and folio % 2 == 1:
                    todo.popleft()
                    continue
                spec = self.blank if (recto or todo[0] is None) and folio % 2 == 0 else todo[0]
                assert spec is not None
                key = part_key(self.style, spec, 1 if spec.kind == "blank" else folio)
                cached = self.cache.get(key) if key not in by_key else None
                if cached is None and key not in by_key and not self.pool.idle():
                    break  # every worker is busy: wait for one
                if spec is not self.blank or todo[0] is None:
                    todo.popleft()
                slots.append(None)
                folios.append(folio)
                if cached is not None:
                    slots[-1] = cached
                    folio += cached.layout.page_count
                    self.progress("cached", spec.name)
                    continue
                if key not in by_key:
                    by_key[key] = len(tasks)
                    tasks[len(tasks)] = _Task(spec, key, [])
                    self.pool.submit(by_key[key], self.style, spec, folio)
                task = tasks[by_key[key]]
                task.slots.append(len(slots) - 1)
                if task.pages is None:
                    waiting = task
                else:
                    folio += task.pages
            if not todo and waiting is None and by_key == {}:
                break
            if not self.pool.busy():
                raise SchedulerStalled(f"the layout scheduler stalled with {len(todo)} parts to place and "
                                       f"{len(by_key)} unfinished, but no worker busy")
            for event, number, payload in self.pool.events():
                task = tasks[number]
                if event == "error":
                    raise BuildError([Problem(Location(f"layout of {task.spec.name}"),
                                              "the part could not be laid out", str(payload))])
                if event == "laid":
                    task.pages = int(payload)
                    if task is waiting:
                        folio, waiting = folio + task.pages, None
                    self.progress("laid", task.spec.name)
                elif event == "done":
                    self.cache.put(task.key, payload)
                    del by_key[task.key]
                    for slot in task.slots:
                        if slots[slot] is not None:
                            raise SchedulerStalled(f"slot {slot} was filled twice")
                        slots[slot] = payload
                    self.progress("written", payload.layout.name)
        return [_at_folio(result, f) for result, f in zip(slots, folios, strict=True) if result is not None]


def _at_folio(result: PartResult, folio: int) -> PartResult:
    """A blank part reused at another folio (its pages carry no folio, so its PDF is the same)."""
    if result.layout.first_folio == folio:
        return result
    layout = dataclasses.replace(result.layout, name=f"blank-{folio}", first_folio=folio)
    return dataclasses.replace(result, layout=layout)
