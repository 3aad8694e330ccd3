"""The part scheduler, model-based: a plain map over the stale parts that terminates, lays out every part
exactly once, returns results in input order, and places them at sequential folios.

A model pool delivers the workers' reports (`laid`, `done`, `error`) in an order hypothesis chooses, over
random book shapes: parts of 1 to 12 pages (a part's page count never depends on where it falls), blank
versos, parts already in the cache, failing parts, one to three workers. The oracle is the plain sequential
layout: each part at the folio after the one before, a blank verso before every part that would open on a
verso. The real pools run the same shapes with a layout function that needs no WeasyPrint.
`make test` runs a few hundred cases per pool; `make test-slow` (pytest -m slow) runs at least 2,000.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coopbook.errors import BuildError, ContentError, Location, Problem
from coopbook.layout.part import PartLayout, PartResult, PartSpec, Style, part_key
from coopbook.layout.scheduler import Event, Finish, InlinePool, PartScheduler, ProcessPool

STYLE = Style(Path("templates"), "", "model")
BLANK = PartSpec("blank", "blank", "<blank>")
COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


@dataclass(frozen=True)
class Shape:
    """A book to schedule: body parts (their page counts), the failing one, the cached ones (-1: the blank)."""

    body: tuple[int, ...]
    front: int
    jobs: int
    cached: frozenset[int]
    failing: int | None


def pages_of(shape: Shape) -> Callable[[PartSpec], int]:
    """The page count of a part: blanks 1, the front matter and body parts as drawn."""
    def pages(spec: PartSpec) -> int:
        if spec.kind == "blank":
            return 1
        if spec.kind == "front":
            return shape.front
        return shape.body[int(spec.name.removeprefix("part-"))]
    return pages


def specs_of(shape: Shape) -> list[PartSpec]:
    """One interview spec per body part."""
    return [PartSpec(f"part-{n}", "interview", f"<p>{n}</p>") for n in range(len(shape.body))]


def sequential(specs: list[PartSpec], first: int, recto: bool, pad_end: bool,
               pages: Callable[[PartSpec], int]) -> list[tuple[str, int, int]]:
    """The oracle: (name, first folio, pages) of every part of a plain sequential layout, blanks included."""
    placed, folio = [], first
    for spec in specs:
        if recto and folio % 2 == 0:
            placed.append(("blank", folio, 1))
            folio += 1
        count = pages(spec)
        placed.append((spec.name, folio, count))
        folio += count
    if pad_end and folio % 2 == 0:
        placed.append(("blank", folio, 1))
    return placed


def result(spec: PartSpec, pages: int) -> PartResult:
    """What a worker returns for a part: its layout facts at folio 1, an anchor on its last page."""
    return PartResult(PartLayout(spec.name, spec.kind, 1, pages, {f"end-{spec.name}": pages}),
                      f"%PDF {spec.name}".encode())


class DictCache:
    """The cache's interface over a dict, counting writes."""

    def __init__(self) -> None:
        self.entries: dict[str, PartResult] = {}
        self.puts = 0

    def get(self, key: str) -> PartResult | None:
        """The entry for key, if any."""
        return self.entries.get(key)

    def put(self, key: str, value: PartResult) -> None:
        """Store an entry."""
        self.entries[key] = value
        self.puts += 1


class ModelPool:
    """A pool of `jobs` workers whose reports arrive in the order hypothesis draws; it never blocks."""

    def __init__(self, jobs: int, choose: Callable[[int], int], batch: Callable[[], int],
                 pages: Callable[[PartSpec], int], failing: str | None) -> None:
        self.jobs, self.choose, self.batch, self.pages, self.failing = jobs, choose, batch, pages, failing
        self.pending: dict[int, list[Event]] = {}
        self.submitted: list[str] = []
        self.calls = 0

    def idle(self) -> bool:
        """A worker is free."""
        return len(self.pending) < self.jobs

    def busy(self) -> int:
        """Workers with reports still to deliver."""
        return len(self.pending)

    def submit(self, task: int, style: Style, spec: PartSpec) -> None:
        """Queue the reports this part will produce."""
        assert self.idle(), "submitted to a busy pool"
        self.submitted.append(spec.name)
        count = self.pages(spec)
        if spec.name == self.failing:
            self.pending[task] = [("error", task, "ValueError: drawn to fail")]
        else:
            done = result(spec, count)
            self.pending[task] = [("laid", task, done.layout), ("done", task, done)]

    def events(self) -> Iterator[Event]:
        """One to three reports from workers hypothesis picks."""
        self.calls += 1
        assert self.calls < 1000, "the scheduler keeps asking for events: a livelock"
        for _ in range(self.batch()):
            if not self.pending:
                return
            busy = sorted(self.pending)
            task = busy[self.choose(len(busy))]
            event = self.pending[task].pop(0)
            if not self.pending[task]:
                del self.pending[task]
            yield event

    def close(self, graceful: bool = True) -> None:
        """Nothing to stop."""


def fake_work(pages: Callable[[PartSpec], int], failing: str | None) -> Callable[..., tuple[PartLayout, Finish]]:
    """A layout function for the real pools: the drawn page count, no WeasyPrint."""
    def work(style: Style, spec: PartSpec) -> tuple[PartLayout, Finish]:
        if spec.name == failing:
            raise ValueError("drawn to fail")
        done = result(spec, pages(spec))
        return done.layout, lambda: done
    return work


SHAPES = st.builds(
    Shape,
    body=st.lists(st.integers(1, 12), min_size=0, max_size=14).map(tuple),
    front=st.integers(1, 9),
    jobs=st.integers(1, 3),
    cached=st.frozensets(st.integers(-1, 30), max_size=10),
    failing=st.none() | st.none() | st.integers(0, 13),
)


def prefill(cache: DictCache, shape: Shape, body: list[tuple[str, int, int]]) -> None:
    """Put the drawn parts in the cache as laid out (at folio 1; -1: the blank), and a stale entry of each."""
    specs = {s.name: s for s in specs_of(shape)}
    for name, _, count in body:
        n = -1 if name == "blank" else int(name.removeprefix("part-"))
        if n in shape.cached and n != shape.failing:
            spec = BLANK if name == "blank" else specs[name]
            cache.entries[part_key(STYLE, spec)] = result(spec, count)
    for spec in specs.values():  # an entry for other HTML must never be used
        cache.entries[part_key(STYLE, PartSpec(spec.name, spec.kind, spec.html + "old"))] = result(spec, 99)


def schedule_book(shape: Shape, make_pool: Callable[[Callable[[PartSpec], int], str | None], object],
                  early: int = 0, front_first: bool = False) -> None:
    """Run the body, the index-like tail and the front matter as the build does; compare with the oracle.

    early: how many body parts are started (`start`) before the body is run (and the front matter too, with
    front_first), as the build starts the body before validate and the front matter beside the index."""
    pages = pages_of(shape)
    failing = None if shape.failing is None or shape.failing >= len(shape.body) else f"part-{shape.failing}"
    specs = specs_of(shape)
    body_oracle = sequential(specs, 1, True, False, pages)
    cache = DictCache()
    prefill(cache, shape, body_oracle)
    pool = make_pool(pages, failing)
    scheduler = PartScheduler(STYLE, cache, BLANK, pool=pool)  # type: ignore[arg-type]
    front = PartSpec("front", "front", "<front>")
    try:
        with scheduler:
            scheduler.start([*specs[:early], *([front] if front_first else [])])
            facts_first = bool(early) or front_first  # and the body's parts given before their PDFs are written
            body = scheduler.run(specs, 1, early=facts_first)
            front_parts = scheduler.run([front], 1, recto=False, pad_end=True)
            if facts_first:
                body = scheduler.complete(body)
    except BuildError as exc:
        assert failing is not None, exc
        assert exc.problems[0].location.path == f"layout of {failing}"
        return
    assert failing is None, "a failing part was not reported"
    assert [(r.layout.name.partition("-")[0] if r.layout.kind == "blank" else r.layout.name,
             r.layout.first_folio, r.layout.page_count) for r in body] == body_oracle
    assert [(r.layout.name.partition("-")[0], r.layout.first_folio, r.layout.page_count)
            for r in front_parts] == sequential([front], 1, False, True, pages)
    for part in body:  # anchors move with the part; each part has its own PDF (`complete` after early=True)
        own = part.layout.name.partition("-")[0] if part.layout.kind == "blank" else part.layout.name
        assert part.pdf == f"%PDF {own}".encode()
        if part.layout.kind != "blank":
            assert part.layout.anchors == {f"end-{part.layout.name}": part.layout.folios[-1]}
    laid = getattr(pool, "submitted", None)
    if laid is not None:  # each stale part submitted exactly once, in input order; the blank at most once
        assert [n for n in laid if n.startswith("part-")] == [
            spec.name for n, spec in enumerate(specs) if n not in shape.cached]
        assert laid.count("blank") <= 1 and laid.count("front") == 1, laid


def model_pool(shape: Shape, data: st.DataObject) -> Callable[..., ModelPool]:
    """The model pool with the shape's number of workers, reporting in the order hypothesis draws."""
    def choose(busy: int) -> int:
        return data.draw(st.integers(0, busy - 1))

    def batch() -> int:
        return data.draw(st.integers(1, 3))

    return lambda pages, failing: ModelPool(shape.jobs, choose, batch, pages, failing)


ONE_PAGE_PARTS = Shape((1, 1, 1, 1, 2, 1), 3, 2, frozenset(), None)


def test_one_page_parts_with_the_newest_worker_always_first() -> None:
    """The shape that hung the build: one-page parts, so a blank is needed again while the first is laid out."""
    def newest_first(pages: Callable[[PartSpec], int], failing: str | None) -> ModelPool:
        return ModelPool(2, lambda busy: busy - 1, lambda: 1, pages, failing)

    for cached in (frozenset(), frozenset({-1}), frozenset({0, 2})):
        schedule_book(Shape(ONE_PAGE_PARTS.body, 3, 2, cached, None), newest_first)


@settings(max_examples=300, **COMMON)
@given(shape=SHAPES, data=st.data())
def test_model_pool_any_report_order(shape: Shape, data: st.DataObject) -> None:
    schedule_book(shape, model_pool(shape, data))


@pytest.mark.slow
@settings(max_examples=2500, **COMMON)
@given(shape=SHAPES, data=st.data())
def test_model_pool_any_report_order_at_length(shape: Shape, data: st.DataObject) -> None:
    schedule_book(shape, model_pool(shape, data))


@settings(max_examples=300, **COMMON)
@given(shape=SHAPES)
def test_inline_pool(shape: Shape) -> None:
    schedule_book(shape, lambda pages, failing: InlinePool(fake_work(pages, failing)))


@pytest.mark.slow
@settings(max_examples=2000, **COMMON)
@given(shape=SHAPES)
def test_inline_pool_at_length(shape: Shape) -> None:
    schedule_book(shape, lambda pages, failing: InlinePool(fake_work(pages, failing)))


@settings(max_examples=25, **COMMON)
@given(shape=SHAPES)
@example(shape=ONE_PAGE_PARTS)
def test_process_pool(shape: Shape) -> None:
    schedule_book(shape, lambda pages, failing: ProcessPool(max(2, shape.jobs), fake_work(pages, failing)))


@pytest.mark.slow
@settings(max_examples=300, **COMMON)
@given(shape=SHAPES)
def test_process_pool_at_length(shape: Shape) -> None:
    schedule_book(shape, lambda pages, failing: ProcessPool(max(2, shape.jobs), fake_work(pages, failing)))


@settings(max_examples=200, **COMMON)
@given(shape=SHAPES, data=st.data(), early=st.integers(0, 14), front_first=st.booleans())
def test_parts_started_early_are_laid_out_once(shape: Shape, data: st.DataObject, early: int,
                                               front_first: bool) -> None:
    """Parts handed over before they are asked for (`start`) are laid out once and placed as the oracle says."""
    schedule_book(shape, model_pool(shape, data), early, front_first)


@settings(max_examples=15, **COMMON)
@given(shape=SHAPES, early=st.integers(0, 14), front_first=st.booleans())
def test_parts_started_early_on_the_process_pool(shape: Shape, early: int, front_first: bool) -> None:
    schedule_book(shape, lambda pages, failing: ProcessPool(max(2, shape.jobs), fake_work(pages, failing)),
                  early, front_first)


class SilentPool(InlinePool):
    """A broken pool that accepts work and never reports: the scheduler must say so, not spin."""

    def submit(self, task: int, style: Style, spec: PartSpec) -> None:
        """Accept and drop."""


def test_a_stalled_pool_is_an_internal_error_not_a_spin() -> None:
    from coopbook.layout.scheduler import SchedulerStalled

    with pytest.raises(SchedulerStalled, match="no worker busy"):
        with PartScheduler(STYLE, DictCache(), BLANK, pool=SilentPool()) as scheduler:  # type: ignore[arg-type]
            scheduler.run([PartSpec("part-0", "interview", "x")], 1)


def twice(text: str) -> str:
    """A job for a worker."""
    return text * 2


def refuse(path: str) -> str:
    """A job that finds a content problem."""
    raise ContentError([Problem(Location(path, 3, 1), "not allowed", "x")])


def crash(_: str) -> str:
    """A job that fails."""
    raise ValueError("broken")


def test_a_job_beside_the_parent_gives_its_result_or_raises_its_problems() -> None:
    """`ProcessPool.call` (the EPUB made beside the PDF's assembly): the result, or the same located problems."""
    pool = ProcessPool(2, fake_work(lambda spec: 1, None))
    try:
        pool.start()
        result = pool.call(twice, "ab")
        assert len(pool.workers) == 1, "the idle workers stop while the job runs"
        assert result() == "abab"
        with pytest.raises(ContentError) as refused:
            pool.call(refuse, "content/interviews/a.yaml")()
        assert [p.format() for p in refused.value.problems] == [
            "content/interviews/a.yaml:3:1: error: not allowed (x)"]
        with pytest.raises(BuildError, match="ValueError: broken"):
            pool.call(crash, "")()
        with PartScheduler(STYLE, DictCache(), BLANK, pool=pool) as scheduler:  # the pool lays out again after
            assert [r.layout.page_count for r in scheduler.lay_out(specs_of(Shape((1, 1), 1, 2, frozenset(),
                                                                                   None)))] == [1, 1]
    finally:
        pool.close()


def test_one_process_caches_each_part_before_it_lays_out_the_next() -> None:
    """With one process, a build stopped midway (Ctrl-C in the third part) keeps the parts it finished."""
    cache = DictCache()
    specs = [PartSpec(f"part-{n}", "interview", f"<p>{n}</p>") for n in range(4)]
    laid: list[str] = []

    def work(style: Style, spec: PartSpec) -> tuple[PartLayout, Finish]:
        if spec.name == "part-2":
            raise KeyboardInterrupt
        laid.append(spec.name)
        done = result(spec, 2)
        return done.layout, lambda: done

    with pytest.raises(KeyboardInterrupt), PartScheduler(STYLE, cache, BLANK, 1, pool=InlinePool(work)) as scheduler:
        scheduler.run(specs, 1)
    assert laid == ["part-0", "part-1"]
    assert set(cache.entries) == {part_key(STYLE, spec) for spec in specs[:2]}
