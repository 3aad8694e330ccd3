"""Shapes test_shapes.py and test_incremental.py leave out, byte for byte across job counts and rebuilds.

Interviews that end exactly at the foot of a page (a blank verso after the one-page ones, none after the
two-page one), corrected by one line so that the two-page interview spills onto a third page and every later
page moves on by two, rebuilt from the cache with three workers and then reverted; and books without an index
(`print.indexes: []`, or only an index no interview mentions anything for). Every build goes through the
command line under a time limit (a hang fails the test) and makes all three outputs (screen PDF, print PDF,
EPUB), which must equal a clean `--no-cache` build with one worker.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pypdf
import pytest
import yaml

from makers import SENTENCE, build_with_cli, make_book
from readers import epubcheck, openers

pytestmark = pytest.mark.slow  # builds with subprocesses, several times

# Sentences (one line each) that fill an interview's first page exactly, and its first two pages exactly:
# one sentence more spills onto the next page.
ONE_PAGE, TWO_PAGES = 24, 61
PLAIN = "I worked with the farmers of the valley for many long years and learned a great deal. "


def build(content: Path, out: Path, jobs: int, cache: bool) -> dict[str, bytes]:
    """Build the screen PDF, print PDF and EPUB with the command line; return each output's bytes by name."""
    build_with_cli(content, out, jobs, "--format", "all", *([] if cache else ["--no-cache"]))
    outputs = {path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.suffix in (".pdf", ".epub")}
    assert sorted(outputs) == ["ilo-coop-100-print.pdf", "ilo-coop-100.epub", "ilo-coop-100.pdf"], sorted(outputs)
    return outputs


def texts(pdf: bytes) -> list[str]:
    """Each page's text, stripped."""
    return [(page.extract_text() or "").strip() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def add_line(content: Path, ident: str) -> Path:
    """Append one sentence (one line) to the interview's answer; return its file."""
    path = content / "interviews" / f"{ident}.yaml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    doc["questions"][0]["a"] += " " + SENTENCE.strip()
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


def test_interviews_ending_at_the_foot_of_a_page_rebuilt_with_three_workers(tmp_path: Path) -> None:
    content = make_book(tmp_path, [ONE_PAGE, TWO_PAGES, ONE_PAGE])
    first = build(content, tmp_path / "out", 3, cache=True)  # an empty cache: a clean build, that fills it
    clean = build(content, tmp_path / "clean", 1, cache=False)
    assert first == clean
    pdf = first["ilo-coop-100.pdf"]
    pages = texts(pdf)
    starts = openers(pdf, 3)
    assert starts[1] - starts[0] == 2 and pages[starts[0] + 1] == ""  # one full page, then a blank verso
    assert starts[2] - starts[1] == 2 and "many years" in pages[starts[1] + 1]  # two full pages, no blank
    assert pages[starts[1] + 1].rstrip().endswith("many years.") and pages[starts[0]].rstrip().endswith("years.")

    path = content / "interviews" / "person-01.yaml"
    original = path.read_text("utf-8")
    add_line(content, "person-01")  # the line that does not fit: a third page and a blank verso
    spilled = build(content, tmp_path / "out", 3, cache=True)
    assert spilled == build(content, tmp_path / "clean-line", 1, cache=False)
    moved = openers(spilled["ilo-coop-100.pdf"], 3)
    assert moved[2] - moved[1] == 4 and moved[2] == starts[2] + 2, (starts, moved)
    assert len(texts(spilled["ilo-coop-100.pdf"])) == len(pages) + 2

    path.write_text(original, "utf-8")  # the editor takes it back: the cache gives the first build's bytes
    assert build(content, tmp_path / "out", 3, cache=True) == clean


def without_index(root: Path, indexes: list[str], sentence: str) -> Path:
    """Three short interviews written with `sentence`, printing only `indexes`."""
    content = make_book(root, [4, 6, 5])
    for path in sorted((content / "interviews").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text("utf-8"))
        for question in doc["questions"]:
            question["a"] = question["a"].replace(SENTENCE.strip(), sentence.strip())
        path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    book = yaml.safe_load((content / "book.yaml").read_text("utf-8"))
    book["print"]["indexes"] = indexes
    (content / "book.yaml").write_text(yaml.safe_dump(book, sort_keys=False, allow_unicode=True), "utf-8")
    return content


SANS_INDEX = {
    "print.indexes empty": ([], SENTENCE),
    "countries only, none mentioned": (["countries"], PLAIN),
}


@pytest.mark.parametrize("case", SANS_INDEX, ids=list(SANS_INDEX))
def test_a_book_without_an_index_builds_identically_with_one_and_three_workers(tmp_path: Path, case: str) -> None:
    indexes, sentence = SANS_INDEX[case]
    content = without_index(tmp_path, indexes, sentence)
    one = build(content, tmp_path / "one", 1, cache=False)
    assert one == build(content, tmp_path / "three", 3, cache=False)
    pdf = one["ilo-coop-100.pdf"]
    pages = texts(pdf)
    last = openers(pdf, 3)[2]
    assert not any(page.startswith("Index") for page in pages), "no index pages"
    assert all(page == "" for page in pages[last + 1:]), pages[last + 1:]  # the book ends with its last interview
    epub = tmp_path / "book.epub"
    epub.write_bytes(one["ilo-coop-100.epub"])
    with zipfile.ZipFile(epub) as archive:
        assert not [n for n in archive.namelist() if "index" in n.rsplit("/", 1)[-1]], archive.namelist()
    assert epubcheck(epub) == []
