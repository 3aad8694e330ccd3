"""Lay out parts in worker processes, with the cache in front, then place them in order, each on a recto.

No part depends on where it falls: its pages carry no folio (coopbook.pdf.furniture draws the folios at
assembly), so every stale part is laid out at once across the workers (a plain map), and placing them is
arithmetic on page counts, with one cached blank page as the verso before a part that would open on a left
page. Cached parts cost nothing. Memory stays bounded: each worker holds one part's document at a time.

The scheduler cannot spin: each turn of its loop submits parts or blocks until a worker reports, and a state
where work remains but no worker is busy is raised at once as `SchedulerStalled`."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol, TypeVar

from ..errors import BuildError, ContentError, CoopbookError, Location, Problem
from .cache import PartCache
from .csswarnings import worker_started
from .part import (
    PartLayout,
    PartResult,
    PartSpec,
    Style,
    import_engine,
    lay_out,
    part_key,
    placed,
    release_fonts,
    write_part,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
CORES = os.cpu_count() or 1  # idle work is done while fewer workers than this are busy
CALL = "call"  # a worker message that runs a job (ProcessPool.call) instead of laying out a part
Progress = Callable[[str, str], None]  # (event: "cached" | "laid" | "written", part name)
Event = tuple[str, int, Any]  # ("laid", task, PartLayout) | ("done", task, PartResult) | ("error", task, message)
Finish = Callable[[], PartResult]
LayOut = Callable[[Style, PartSpec], tuple[PartLayout, Finish]]  # lay out: its facts, then write on demand


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

    def submit(self, task: int, style: Style, spec: PartSpec) -> None:
        """Start laying out spec; its events carry the task number."""
        ...

    def events(self) -> Iterator[Event]:
        """Wait until a worker reports, then yield every report that is ready (nothing when none is busy)."""
        ...

    def ready(self) -> bool:
        """True when a report can be read without waiting (or none will come)."""
        ...

    def close(self, graceful: bool = True) -> None:
        """Stop the workers: let them finish (graceful), or kill them (after an error or Ctrl-C)."""
        ...


def lay_out_and_write(style: Style, spec: PartSpec) -> tuple[PartLayout, Finish]:
    """Lay out one part with WeasyPrint: its layout facts at once, and the function that writes its PDF."""
    started = time.perf_counter()
    document, layout = lay_out(style, spec, 1, placeholders=True)
    log.debug("laid out %s (%d pages) in %.3f s", spec.name, layout.page_count, time.perf_counter() - started)
    # page furniture (coopbook.pdf.furniture) is drawn inside other pages: untagged
    return layout, lambda: write_part(document, layout, style, tagged=spec.kind != "furniture")


class InlinePool:
    """Runs parts in this process, one at a time (for one core, or books of a few parts)."""

    def __init__(self, work: LayOut = lay_out_and_write) -> None:
        self.work = work
        self.queue: deque[Event] = deque()
        self.running = 0

    def idle(self) -> bool:
        """When the reports of the part before have been read (a part is laid out as soon as it is submitted):
        each part is cached before the next one starts, so a build stopped midway keeps what it finished."""
        return not self.running

    def busy(self) -> int:
        """Parts whose events have not all been read yet."""
        return self.running

    def submit(self, task: int, style: Style, spec: PartSpec) -> None:
        """Lay out and write the part now; its events wait in a queue."""
        self.running += 1
        try:
            layout, finish = self.work(style, spec)
            self.queue.append(("laid", task, layout))
            self.queue.append(("done", task, finish()))
        except Exception as exc:  # noqa: BLE001 - reported as a located build error
            log.debug("layout failed: %s", traceback.format_exc())
            self.queue.append(("error", task, f"{type(exc).__name__}: {exc}"))

    def ready(self) -> bool:
        """Always: the reports are queued as a part is submitted."""
        return True

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


STOP_WAIT = 2.0  # seconds a worker stopped by SIGTERM has to end before it is killed
PR_SET_PDEATHSIG = 1  # prctl(2), Linux: the signal a process is sent when the thread that forked it ends


def _end_with_parent(parent: int) -> None:
    """Be sent SIGTERM as soon as the parent ends (Linux), and end on SIGTERM as on SystemExit, so that the worker's
    `finally` runs (its fonts' folders removed). Without it, a worker whose parent was killed ended only at its
    next read of the pipe, once its part was laid out: measured up to 12 s of a busy core after the parent."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # no prctl: the worker ends at its next read of the pipe, as before
        return
    if os.getppid() != parent:  # the parent ended before the request was made: nobody will send it
        raise SystemExit(0)


def _stop(signum: int, frame: object) -> None:
    """SIGTERM in a worker: end through SystemExit (its `finally` clauses run, atomic writes leave no temporary).
    A second SIGTERM (a stopped parent's own, after the terminal's or the process group's) would interrupt those
    clauses: it is ignored from now on."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise SystemExit(0)


def _worker(conn: Connection, inherited: list[Connection], work: LayOut, eager: bool, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    _end_with_parent(parent)
    for other in inherited:  # the parent's ends of every pipe: without them, the parent's death is an EOF here
        other.close()
    if eager:  # the parent forks before importing WeasyPrint: the import runs here, beside its first stages
        import_engine()
    worker_started(eager)  # the eager worker reads the stylesheets (their warnings said once)
    try:
        _serve(conn, work)
    finally:
        release_fonts()  # a forked worker ends in os._exit: its fonts' temporary folders are removed here


def _serve(conn: Connection, work: LayOut) -> None:
    """A worker's loop: lay out the parts and run the jobs the parent sends, until it says stop or goes away."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the build was stopped: nothing more to do
            return
        if message is None:
            return
        if message[0] == CALL:
            _serve_call(conn, message[1], message[2])
            continue
        task, style, spec = message
        try:
            try:
                layout, finish = work(style, spec)
                conn.send(("laid", task, layout))
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


def _serve_call(conn: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Run one job beside the parent's work and send back its result, or the problems or error it raised."""
    try:
        reply: tuple[str, Any] = ("done", function(*args))
    except CoopbookError as exc:
        reply = ("problems", (type(exc), exc.problems))
    except Exception as exc:  # noqa: BLE001 - sent to the parent, which raises it there
        log.debug("worker failed: %s", traceback.format_exc())
        reply = ("error", f"{type(exc).__name__}: {exc}")
    try:
        conn.send(reply)
    except (BrokenPipeError, EOFError, ConnectionError):  # the build was stopped
        pass


class ProcessPool:
    """Worker processes (forked), started on first use (again after close).

    The parent forks them before it imports WeasyPrint (it may never need it). One worker, the one that gets the
    first part, imports the layout engine as it starts, beside the parent's first stages; the others import it
    with their first part, so a rebuild of one part spends no second import on a shared core.
    A pool may serve several builds (a watch session keeps one): each worker keeps its fonts and parsed
    stylesheets between parts, so a warm worker lays out a part without reading the book's CSS and fonts again.
    """

    def __init__(self, jobs: int, work: LayOut = lay_out_and_write) -> None:
        self.jobs = jobs
        self.work = work
        self.workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        self.free: list[Connection] = []
        self.running: dict[Connection, int] = {}  # a busy worker's pipe -> its task
        self.eager = False  # a worker that imported the engine as it started (and read the stylesheets) ran

    def idle(self) -> bool:
        """True when a worker is free or another may be started."""
        return bool(self.free) or len(self.workers) < self.jobs

    def busy(self) -> int:
        """Workers laying out or writing a part."""
        return len(self.running)

    def start(self) -> None:
        """Start every worker now (before the parent starts threads or grows: a fork copies the parent)."""
        while len(self.workers) < self.jobs:
            self._spawn(eager=len(self.workers) == self.jobs - 1)  # the last started is the first given a part

    def _spawn(self, eager: bool = True) -> None:
        eager = eager and not self.eager  # one worker in the pool's life
        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe()
        inherited = [conn for _, conn in self.workers] + [parent]
        process = context.Process(target=_worker, args=(child, inherited, self.work, eager, os.getpid()),
                                  daemon=True)
        process.start()
        self.eager |= eager
        child.close()
        self.workers.append((process, parent))
        self.free.append(parent)

    def submit(self, task: int, style: Style, spec: PartSpec) -> None:
        """Hand the part to a free worker (starting one if fewer than jobs are running)."""
        if not self.free:
            self._spawn()
        conn = self.free.pop()
        conn.send((task, style, spec))
        self.running[conn] = task

    def ready(self) -> bool:
        """True when a busy worker has sent a report (or died), or when none is busy."""
        return not self.running or bool(wait(list(self.running), 0))

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

    def call(self, function: Callable[..., T], *args: Any) -> Callable[[], T]:
        """Run function(*args) on a free worker (beside whatever the parent does next); wait for it with the
        returned function, which gives its result or raises what it raised (a coopbook error with its problems).

        The worker must be idle and stays out of the pool until its result is read; the other idle workers are
        stopped first, so the pool's memory is one small worker beside the parent's.
        """
        if self.running:
            raise RuntimeError("a job is handed to a worker only when none is laying out a part")
        if not self.free:
            self._spawn()
        conn = self.free.pop()
        self._stop_free()
        conn.send((CALL, function, args))

        def result() -> T:
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                raise BuildError([Problem(Location(f"{function.__name__} in a worker"), "the worker died")]) from None
            self.free.append(conn)
            if kind == "problems":
                error_type, problems = payload
                raise error_type(problems)
            if kind == "error":
                raise BuildError([Problem(Location(f"{function.__name__} in a worker"), "it failed", payload)])
            return payload  # type: ignore[no-any-return]

        return result

    def _stop_free(self) -> None:
        """Stop the idle workers (gracefully): they are started again when parts are submitted."""
        for conn in self.free:
            for entry in [w for w in self.workers if w[1] is conn]:
                process, _ = entry
                try:
                    conn.send(None)
                except (BrokenPipeError, OSError):
                    pass
                conn.close()
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
                    process.join()
                self.workers.remove(entry)
        self.free.clear()

    def pids(self) -> tuple[int, ...]:
        """The process ids of the running workers (a warm pool keeps the same ones from build to build)."""
        return tuple(process.pid for process, _ in self.workers if process.pid is not None)

    def close(self, graceful: bool = True) -> None:
        """Stop the workers: ask them to finish (graceful), or stop them where they are (after an error or Ctrl-C)
        with SIGTERM, which ends a worker through its `finally` (its fonts' temporary folders removed: SIGKILL left
        them in /tmp); one that has not ended within `STOP_WAIT` seconds is killed."""
        for process, conn in self.workers:
            if graceful:
                try:
                    conn.send(None)
                except (BrokenPipeError, OSError):
                    pass
            else:
                process.terminate()
        for process, conn in self.workers:
            conn.close()
            process.join(timeout=5 if graceful else STOP_WAIT)
            if process.is_alive():
                process.kill()
                process.join()
        self.workers.clear()
        self.free.clear()
        self.running.clear()


class PartScheduler:
    """Lays out parts through the cache and a pool, then places them in order; use as a context manager."""

    def __init__(self, style: Style, cache: PartCache, blank: PartSpec, jobs: int = 1,
                 progress: Progress | None = None, pool: Pool | None = None) -> None:
        self.style = style
        self.cache = cache
        self.blank = blank
        self.owns_pool = pool is None  # a pool given (a watch session's, kept warm) outlives the scheduler
        self.pool: Pool = pool if pool is not None else ProcessPool(jobs) if jobs > 1 else InlinePool()
        self.progress = progress or (lambda event, name: None)
        self.blank_result: PartResult | None = None
        self.results: dict[str, PartResult] = {}  # every part this scheduler gave, by key (asked again: no layout)
        self.tasks: dict[int, tuple[str, PartSpec]] = {}  # every part handed to the pool, by task number
        self.queue: deque[int] = deque()  # tasks not yet submitted
        self.waiting: set[str] = set()  # keys queued or being laid out
        self.facts: dict[str, PartLayout] = {}  # parts laid out whose PDF is still being written, by key
        # the key of each part `run(early=True)` placed, by its kind and name (an interview may be called
        # "index-people", as an index section is)
        self.placed_keys: dict[tuple[str, str], str] = {}
        self.arrived: list[PartResult] = []  # every part with its PDF, as it came (from the cache or a worker)
        # work done while the workers work, on a core none of them uses: called with `arrived` whenever no
        # report is waiting, until it returns False (e.g. the assembly of the parts so far, coopbook.pdf.book.Feed)
        self.idle: Callable[[Sequence[PartResult]], bool] | None = None

    def __enter__(self) -> PartScheduler:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        # after an error or Ctrl-C even a lent pool's workers are killed, unless the content's problems stopped
        # the build while none was busy (a watch's workers then stay warm)
        if self.owns_pool or (kind is not None and (self.pool.busy() or not issubclass(kind, ContentError))):
            self.pool.close(graceful=kind is None)

    def start(self, specs: Sequence[PartSpec]) -> None:
        """Begin laying out the stale specs on the free workers, without waiting (lay_out collects them)."""
        for spec in specs:
            self._want(part_key(self.style, spec), spec)
        self._submit()

    def offer(self, specs: Sequence[PartSpec]) -> int:
        """Pass on to `idle` (with the parts that arrive) those of specs the cache holds, laying none out: pieces
        the book will likely use, joined while the workers work (unused ones leave nothing); how many."""
        offered = 0
        for spec in specs:
            key = part_key(self.style, spec)
            if key not in self.results and key not in self.waiting:
                offered += self._from_cache(key, spec)
        return offered

    def cached_pages(self, specs: Sequence[PartSpec]) -> int:
        """The pages of those specs already taken from the cache (`start`): what the book has at least."""
        found = (self.results.get(part_key(self.style, spec)) for spec in specs)
        return sum(result.layout.page_count for result in found if result is not None)

    def _want(self, key: str, spec: PartSpec) -> None:
        """Take a part from the cache, or queue it for layout (once per key)."""
        if key in self.results or key in self.waiting or self._from_cache(key, spec):
            return
        number = len(self.tasks)
        self.tasks[number] = (key, spec)
        self.queue.append(number)
        self.waiting.add(key)

    def _from_cache(self, key: str, spec: PartSpec) -> bool:
        """Take a part from the cache into the results (it arrives, for `idle`), if the cache has it."""
        cached = self.cache.get(key)
        if cached is None:
            return False
        self.results[key] = cached
        self.arrived.append(cached)
        self.progress("cached", spec.name)
        return True

    def _submit(self) -> None:
        """Hand queued parts to the pool while it has room."""
        while self.queue and self.pool.idle():
            number = self.queue.popleft()
            self.pool.submit(number, self.style, self.tasks[number][1])

    def lay_out(self, specs: Sequence[PartSpec]) -> list[PartResult]:
        """Every spec laid out (at folio 1), in input order: cached ones from the cache, the rest across the pool.

        No part depends on another's position, so the stale parts are a plain map over the workers; a spec
        given twice (same key) is laid out once, and parts started before (`start`) are not started again.
        """
        keys = [part_key(self.style, spec) for spec in specs]
        for key, spec in dict(zip(keys, specs, strict=True)).items():  # each key once, in input order
            self._want(key, spec)
        self._wait(keys, lambda key: key in self.results)
        return [self.results[key] for key in keys]

    def _wait(self, keys: Sequence[str], ready: Callable[[str], bool]) -> None:
        """Submit and read the workers' reports until every key is ready."""
        while unfinished := sum(not ready(key) for key in dict.fromkeys(keys)):
            self._submit()
            if not self.pool.busy():
                raise SchedulerStalled(f"the layout scheduler stalled with {unfinished} parts unfinished "
                                       f"({len(self.queue)} not submitted), but no worker busy")
            if self.idle is not None and self.pool.busy() < CORES:  # only on a core no worker is using,
                while not self.pool.ready() and self.idle(self.arrived):  # a piece at a time, reports read between
                    pass
            for event, number, payload in self.pool.events():
                key, spec = self.tasks[number]
                if event == "error":
                    raise BuildError([Problem(Location(f"layout of {spec.name}"),
                                              "the part could not be laid out", str(payload))])
                if event == "laid":
                    self.facts[key] = payload
                    self.progress("laid", spec.name)
                elif event == "done":
                    if key in self.results:
                        raise SchedulerStalled(f"{spec.name} was laid out twice")
                    self.cache.put(key, payload)
                    self.results[key] = payload
                    self.arrived.append(payload)
                    self.facts.pop(key, None)
                    self.waiting.discard(key)
                    self.progress("written", spec.name)

    def run(self, specs: Sequence[PartSpec], first_folio: int, recto: bool = True, pad_end: bool = False,
            run_on: bool = False, also: Sequence[PartSpec] = (), early: bool = False) -> list[PartResult]:
        """Lay out specs and place them in order from first_folio, each opening on a recto (blank versos inserted).

        With recto=False the first part opens on first_folio whatever its side. With run_on, only the first part
        opens on a recto and the others follow on the next page. With pad_end, a blank verso is added at the end
        when needed so that what follows opens on a recto. Blanks are one cached page. `also` is laid out in the
        same map, after specs, but not placed (lay_out gives it again at no cost). With early, a part is given
        as soon as its layout is known, before its PDF is written (its pdf empty until `complete`).
        """
        if early:
            self.start([*specs, *also])
            keys = [part_key(self.style, spec) for spec in specs]
            self._wait(keys, lambda key: key in self.results or key in self.facts)
            results = [self.results[key] if key in self.results else PartResult(self.facts[key], b"")
                       for key in keys]
            self.placed_keys.update(((spec.kind, spec.name), key) for spec, key in zip(specs, keys, strict=True))
        else:
            results = self.lay_out([*specs, *also])[:len(specs)]
        placed_parts: list[PartResult] = []
        folio = first_folio
        for n, result in enumerate(results):
            if recto and folio % 2 == 0 and not (run_on and n):
                placed_parts.append(self._blank(folio))
                folio += 1
            placed_parts.append(placed(result, folio))
            folio += result.layout.page_count
        if pad_end and folio % 2 == 0:
            placed_parts.append(self._blank(folio))
        return placed_parts

    def complete(self, parts: Sequence[PartResult]) -> list[PartResult]:
        """Parts placed by `run(early=True)` with their PDFs, waiting for those still being written."""
        named = [(part.layout.kind, part.layout.name) for part in parts]
        keys = {name: self.placed_keys[name] for name in named if name in self.placed_keys}
        self._wait(list(keys.values()), lambda key: key in self.results)
        return [placed(self.results[keys[name]], part.layout.first_folio) if name in keys else part
                for name, part in zip(named, parts, strict=True)]

    def _blank(self, folio: int) -> PartResult:
        """The blank verso at folio (laid out once; its page carries no folio, so its PDF is the same)."""
        if self.blank_result is None:
            (self.blank_result,) = self.lay_out([self.blank])
        return placed(self.blank_result, folio, f"blank-{folio}")
