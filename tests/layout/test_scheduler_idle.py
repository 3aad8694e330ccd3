"""The scheduler's idle work: while a worker lays out a part, the parent is handed the parts that have arrived
(from the cache at once, from a worker once written), one call at a time, and reads the workers' reports in
between. No timing: the worker's part waits until the idle work has seen the cached parts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from test_scheduler import BLANK, STYLE, DictCache, result

from coopbook.layout import scheduler as scheduler_module
from coopbook.layout.part import PartLayout, PartResult, PartSpec, Style, part_key
from coopbook.layout.scheduler import Finish, InlinePool, PartScheduler, ProcessPool

CACHED = [PartSpec(f"cached-{n}", "interview", f"<p>{n}</p>") for n in range(3)]
STALE = PartSpec("stale", "interview", "<p>stale</p>")


def waiting_work(flag: Path) -> Callable[[Style, PartSpec], tuple[PartLayout, Finish]]:
    """Lay out a part (no WeasyPrint) only once the parent's idle work has made flag (else fail, in a minute)."""
    def work(style: Style, spec: PartSpec) -> tuple[PartLayout, Finish]:
        given_up = time.monotonic() + 60
        while not flag.exists():  # the parent makes it from its idle work
            if time.monotonic() > given_up:
                raise RuntimeError("the idle work never ran")
            time.sleep(0.01)
        done = result(spec, 2)
        return done.layout, lambda: done
    return work


def cache_with_parts() -> DictCache:
    """A cache holding the CACHED parts."""
    cache = DictCache()
    for spec in CACHED:
        cache.put(part_key(STYLE, spec), result(spec, 1))
    return cache


def test_idle_work_sees_every_arrived_part_while_a_worker_lays_out(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler_module, "CORES", 2)  # one worker busy leaves a core for the idle work
    flag = tmp_path / "idle-ran"
    calls: list[list[str]] = []
    taken: list[str] = []

    def idle(arrived: Sequence[PartResult]) -> bool:
        calls.append([part.layout.name for part in arrived])
        if len(taken) < len(arrived):
            taken.append(arrived[len(taken)].layout.name)
            if len(taken) == len(CACHED):
                flag.touch()
            return True
        return False

    pool = ProcessPool(2, waiting_work(flag))
    with PartScheduler(STYLE, cache_with_parts(), BLANK, 2, pool=pool) as scheduler:  # type: ignore[arg-type]
        scheduler.idle = idle
        placed = scheduler.run([*CACHED, STALE], 1)
    assert [p.layout.name for p in placed if p.layout.kind != "blank"] == [*(s.name for s in CACHED), "stale"]
    assert taken[:3] == [spec.name for spec in CACHED]  # one part a call, in the order they arrived
    assert calls[0] == [spec.name for spec in CACHED]  # the cached parts arrive at once
    assert "stale" in scheduler.arrived[3].layout.name  # then the laid-out part, with its PDF
    assert scheduler.arrived[3].pdf


def test_one_process_never_calls_the_idle_work() -> None:
    """Inline, a part is laid out as it is submitted: there is never a wait to fill (the pdf stage joins all)."""
    called: list[int] = []
    with PartScheduler(STYLE, cache_with_parts(), BLANK, 1, pool=InlinePool(lambda s, p: (
            result(p, 2).layout, lambda: result(p, 2)))) as scheduler:  # type: ignore[arg-type]
        scheduler.idle = lambda arrived: called.append(len(arrived)) is None and False
        scheduler.run([*CACHED, STALE], 1)
    assert called == [] and [p.layout.name for p in scheduler.arrived][:3] == [s.name for s in CACHED]


def test_no_idle_work_while_the_workers_use_every_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent's idle work would take a core from a worker: with every core busy, it waits instead."""
    monkeypatch.setattr(scheduler_module, "CORES", 1)
    called: list[int] = []

    def work(style: Style, spec: PartSpec) -> tuple[PartLayout, Finish]:
        done = result(spec, 2)
        return done.layout, lambda: done

    with PartScheduler(STYLE, cache_with_parts(), BLANK, 2, pool=ProcessPool(2, work)) as scheduler:  # type: ignore[arg-type]
        scheduler.idle = lambda arrived: called.append(len(arrived)) is None and False
        scheduler.run([*CACHED, STALE], 1)
    assert called == [] and len(scheduler.arrived) == len(CACHED) + 2  # the stale part and the blank
