"""Books of shapes nobody designed for, built for real with 1, 2 and 3 workers: they finish and agree byte for byte.

Only one-page interviews; alternating one- and two-page interviews; a single interview; a book whose only
interview is one paragraph; forty interviews. Each is built from clean with `--jobs 1`, `2` and `3` (through
the command line, under a time limit, so a hang fails the test instead of stalling the suite); the PDF and
EPUB must be identical across job counts, every interview must open on a recto, and the EPUB must pass
EPUBCheck.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from makers import build_with_cli, make_book
from readers import epubcheck, openers

pytestmark = pytest.mark.slow  # builds with subprocesses, several times


def build(content: Path, out: Path, jobs: int) -> dict[str, bytes]:
    """Build PDF and EPUB from clean with the command line; return the outputs' bytes."""
    build_with_cli(content, out, jobs, "--format", "pdf", "--format", "epub")
    return {kind: (out / f"ilo-coop-100.{kind}").read_bytes() for kind in ("pdf", "epub")}


SHAPES = {
    "one-page interviews": [3, 4, 5, 3, 6],
    "alternating one- and two-page interviews": [4, 30, 4, 30, 4, 30],
    "a single interview": [40],
    "one paragraph only": [2],
    "forty interviews": [3 + (n * 7) % 30 for n in range(40)],
}


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_shape_builds_identically_with_one_two_and_three_workers(tmp_path: Path, shape: str) -> None:
    sentences = SHAPES[shape]
    content = make_book(tmp_path, sentences)
    outputs = {jobs: build(content, tmp_path / f"out-{jobs}", jobs) for jobs in (1, 2, 3)}
    assert outputs[1]["pdf"] == outputs[2]["pdf"] == outputs[3]["pdf"]
    assert outputs[1]["epub"] == outputs[2]["epub"] == outputs[3]["epub"]
    reader = pypdf.PdfReader(io.BytesIO(outputs[1]["pdf"]))
    labels = reader.page_labels
    starts = openers(outputs[1]["pdf"], len(sentences))
    assert starts == sorted(starts)
    assert all(int(labels[page]) % 2 == 1 for page in starts), [labels[p] for p in starts]
    text = "\n".join(reader.pages[page].extract_text() for page in range(starts[0], len(reader.pages)))
    assert text.count("Person Number") >= len(sentences)


def test_the_one_page_shapes_really_are_one_page(tmp_path: Path) -> None:
    """The shapes mean what they say: the short interviews fit on one page, the long ones take two."""
    content = make_book(tmp_path, SHAPES["alternating one- and two-page interviews"])
    pdf = build(content, tmp_path / "out", 2)["pdf"]
    starts = openers(pdf, 6)
    lengths = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert lengths[0] in (1, 2) and lengths[1] in (2, 3), lengths  # a one-page interview leaves a blank verso


def test_shapes_pass_epubcheck(tmp_path: Path) -> None:
    content = make_book(tmp_path, SHAPES["one-page interviews"])
    epub = build(content, tmp_path / "out", 2)["epub"]
    path = tmp_path / "book.epub"
    path.write_bytes(epub)
    assert epubcheck(path) == []
