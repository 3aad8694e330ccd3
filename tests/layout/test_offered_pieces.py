"""Folio pieces taken from the cache before the body is laid out (`PartScheduler.offer`), joined while the workers
work: the build's bytes are a clean build's, whether the book draws them or not."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pypdf
import pytest

from coopbook.layout import stage
from coopbook.layout.part import PartSpec
from coopbook.layout.scheduler import PartScheduler
from coopbook.pdf.furniture import FOLIO_RUN
from coopbook.pipeline import BuildOptions, build

from makers import make_book


def pdf_of(content: Path, out: Path) -> bytes:
    """The screen PDF built with two layout workers (the offer is made only beside workers)."""
    (output,) = build(BuildOptions(content, out, ("pdf",), jobs=2))
    return output.path.read_bytes()


def test_offered_pieces_drawn_or_not_leave_a_clean_builds_bytes(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    offered: list[int] = []
    real_offer = PartScheduler.offer

    def counting(self: PartScheduler, specs: Sequence[PartSpec]) -> int:
        offered.append(real_offer(self, specs))
        return offered[-1]

    monkeypatch.setattr(PartScheduler, "offer", counting)
    long_book = make_book(tmp_path / "long", [60] * 6, questions=4)
    out = tmp_path / "out"
    pdf_of(long_book, out)  # its folio pieces reach beyond the short book's pages, and are cached
    assert offered == [0]  # nothing in the cache yet
    short_book = make_book(tmp_path / "short", [60] * 2, questions=4)  # its first two interviews: cached
    clean = pdf_of(short_book, tmp_path / "clean")
    assert len(pypdf.PdfReader(io.BytesIO(clean)).pages) <= FOLIO_RUN  # it draws the folio pieces of run 0 alone
    # offer every piece up to three runs past the body's cached pages: the short book draws few of them
    reach = stage.likely_folio_specs
    monkeypatch.setattr(stage, "likely_folio_specs",
                        lambda pages, variables, templates: reach(pages + 3 * FOLIO_RUN, variables, templates))
    offered.clear()
    assert pdf_of(short_book, out) == clean
    assert offered and offered[0] >= 3, offered  # run 0's and run 1's (not drawn) joined; these left out
