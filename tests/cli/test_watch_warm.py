"""A warm watch: its builds share one pool of layout workers, which the watch stops when it ends."""

from __future__ import annotations

import multiprocessing
import shutil
import threading
import time
from pathlib import Path

import pytest

from coopbook.editorial.watch import Rebuild, watch, watch_session
from coopbook.pipeline import BuildOptions
from coopbook.session import BuildSession

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / "tests" / "books" / "mini"


def wait_until(events: list[Rebuild], count: int, timeout: float, change: Path, text: str) -> None:
    """Wait for `count` builds, writing `text` to `change` every second (the watcher may miss an early save)."""
    deadline = time.monotonic() + timeout
    while len(events) < count:
        assert time.monotonic() < deadline, f"only {len(events)} builds after {timeout} s: {events}"
        change.write_text(text, "utf-8")
        time.sleep(1)


@pytest.mark.slow
def test_the_second_build_of_a_watch_uses_the_same_workers(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    session = BuildSession(BuildOptions(content, tmp_path / "out", ("pdf",), jobs=2))
    events: list[Rebuild] = []
    pids: list[tuple[int, ...]] = []

    def on_build(rebuild: Rebuild) -> None:
        events.append(rebuild)
        pool = session.warm.pool
        pids.append(pool.pids() if pool is not None else ())

    stop = threading.Event()
    thread = threading.Thread(target=watch_session, args=(session, on_build), daemon=True,
                              kwargs={"stop_event": stop, "debounce_ms": 100})
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not events:
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert events[0].ok, events[0]
        interview = content / "interviews" / "maria-perez.yaml"
        corrected = interview.read_text("utf-8").replace("In Colombia", "In Bogotá, Colombia")
        wait_until(events, 2, 60, interview, corrected)
        assert events[1].ok, events[1]
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(pids[0]) == 2 and pids[1] == pids[0]  # the correction was laid out by the warm workers
    workers = [child for child in multiprocessing.active_children() if child.pid in pids[0]]
    assert len(workers) == 2  # still alive: the session owns them until it is closed
    session.close()
    assert not [child for child in multiprocessing.active_children() if child.pid in pids[0]]


@pytest.mark.slow
def test_a_watch_stops_its_workers_when_it_ends(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(MINI, content)
    events: list[Rebuild] = []
    before = {child.pid for child in multiprocessing.active_children()}
    assert watch(BuildOptions(content, tmp_path / "out", ("pdf",), jobs=2), events.append, max_builds=1) == 1
    assert events[0].ok, events[0]
    assert {child.pid for child in multiprocessing.active_children()} <= before
