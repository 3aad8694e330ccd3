"""A book over EPUB_BESIDE_PAGES makes its EPUB after its PDF, not beside the PDF's assembly (memory budget),
and gets the same bytes either way."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from coopbook import pipeline
from coopbook.pipeline import BuildOptions, build


def outputs(content: Path, out: Path, caplog: pytest.LogCaptureFixture) -> tuple[dict[str, bytes], str]:
    """Build PDF and EPUB with two workers and no cache; the outputs' bytes and the debug log's stages."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="coopbook.pipeline"):
        made = build(BuildOptions(content, out, ("pdf", "epub"), jobs=2, cache=False))
    stages = "\n".join(r.getMessage() for r in caplog.records if r.getMessage().startswith("stage "))
    return {o.format: o.path.read_bytes() for o in made}, stages


def test_epub_beside_or_after_the_pdf_gives_the_same_book(repo: Path, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = repo / "tests" / "books" / "mini"
    beside, log_beside = outputs(content, tmp_path / "beside", caplog)
    assert "stage epub (the rest of its time beside the PDF)" in log_beside
    monkeypatch.setattr(pipeline, "EPUB_BESIDE_PAGES", 1)  # the mini book is then "too large" to overlap
    after, log_after = outputs(content, tmp_path / "after", caplog)
    assert "beside the PDF" not in log_after and "stage epub:" in log_after
    assert after == beside
