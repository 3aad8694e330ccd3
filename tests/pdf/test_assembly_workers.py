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


def test_workers_stop_before_assembly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "tests" / "books" / "mini", tmp_path / "content")
    alive: list[int] = []
    real = pipeline.write_screen

    def counting(*args: Any) -> bytes:
        alive.append(len(multiprocessing.active_children()))
        return real(*args)

    monkeypatch.setattr(pipeline, "write_screen", counting)
    outputs = build(BuildOptions(tmp_path / "content", tmp_path / "build", ("pdf",), jobs=2, cache=False))
    assert [o.format for o in outputs] == ["pdf"] and outputs[0].path.stat().st_size > 0
    assert alive == [0]
