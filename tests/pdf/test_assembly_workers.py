"""The assembly runs without the layout workers: a build stops them first, so their memory is not held beside
the book's objects while it is assembled (the build's largest moment)."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path
from typing import Any

import pytest

from coopbook import pipeline
from coopbook.pipeline import BuildOptions, build

REPO = Path(__file__).resolve().parents[2]


def count_workers_at_assembly(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of live worker processes each time the screen PDF is assembled, filled in as the build runs."""
    alive: list[int] = []
    real = pipeline.write_screen

    def counting(*args: Any) -> bytes:
        alive.append(len(multiprocessing.active_children()))
        return real(*args)

    monkeypatch.setattr(pipeline, "write_screen", counting)
    return alive


def test_workers_stop_before_assembly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "tests" / "books" / "mini", tmp_path / "content")
    alive = count_workers_at_assembly(monkeypatch)
    outputs = build(BuildOptions(tmp_path / "content", tmp_path / "build", ("pdf",), jobs=2, cache=False))
    assert [o.format for o in outputs] == ["pdf"] and outputs[0].path.stat().st_size > 0
    assert alive == [0]


@pytest.mark.parametrize(("beside_pages", "workers"), [(10**6, 1), (1, 0)])
def test_with_the_epub_only_its_worker_stays_and_none_for_a_large_book(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beside_pages: int, workers: int) -> None:
    """The EPUB is made on one worker beside the assembly; a book over EPUB_BESIDE_PAGES keeps none alive."""
    shutil.copytree(REPO / "tests" / "books" / "mini", tmp_path / "content")
    alive = count_workers_at_assembly(monkeypatch)
    monkeypatch.setattr(pipeline, "EPUB_BESIDE_PAGES", beside_pages)
    outputs = build(BuildOptions(tmp_path / "content", tmp_path / "build", ("pdf", "epub"), jobs=2, cache=False))
    assert sorted(o.format for o in outputs) == ["epub", "pdf"]
    assert alive == [workers]
