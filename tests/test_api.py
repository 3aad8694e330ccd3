"""The public API (coopbook/__init__.py): every name in __all__ is there, and a caller needs nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import coopbook


def test_every_public_name_resolves() -> None:
    assert sorted(coopbook.__all__) == sorted(set(coopbook.__all__))
    for name in coopbook.__all__:
        assert getattr(coopbook, name) is not None, name


def test_check_and_load_through_the_public_api(repo: Path) -> None:
    report = coopbook.check_content(repo / "tests" / "books" / "mini")
    assert isinstance(report, coopbook.CheckReport)
    assert report.interviews > 0 and not report.failed()
    loaded = coopbook.load(repo / "tests" / "books" / "mini")
    assert isinstance(loaded.book, coopbook.Book)
    assert len(loaded.book.interviews) == report.interviews


def test_a_content_error_carries_located_problems(repo: Path, tmp_path: Path) -> None:
    content = tmp_path / "mini"
    shutil.copytree(repo / "tests" / "books" / "mini", content)
    (content / "book.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(coopbook.CoopbookError) as caught:
        coopbook.load(content)
    problem = caught.value.problems[0]
    assert isinstance(problem, coopbook.Problem) and isinstance(problem.location, coopbook.Location)
    assert problem.location.path.endswith("book.yaml") and problem.location.line >= 1
