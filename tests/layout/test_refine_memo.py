"""The feedback step's memo (coopbook.layout.memo): a rebuild tries only the paragraphs whose key is new, and
gives a clean build's bytes; a paragraph's key follows what can change its lines, and only that."""

from __future__ import annotations

import logging
import math
import re
import shutil
from pathlib import Path

import pytest
from weasyprint import HTML

from coopbook.layout import memo, refine
from coopbook.layout.retouch import Remedy
from coopbook.pipeline import BuildOptions, build
from coopbook.templating import TEMPLATES

REPO = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"^(?P<part>[\w-]+): \d+ paragraphs, (?P<candidates>\d+) candidates: (?P<tried>\d+) tried in "
                     r"(?P<trials>\d+) trial layouts .*, (?P<known>\d+) from the memo")
OLD = "appeared to be an obvious field of research"  # in a candidate paragraph of the real book's interview
NEW = "appeared to be a clear field of research"


def _build(content: Path, out: Path, caplog: pytest.LogCaptureFixture, *, cache: bool = True) -> tuple[bytes, dict]:
    """Build the PDF in one process (so the debug log is this one's); the PDF and each part's summary."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="coopbook.layout.refine"):
        (output,) = build(BuildOptions(content, out, ("pdf",), TEMPLATES, jobs=1, cache=cache))
    found = {}
    for message in (r.getMessage() for r in caplog.records):
        if (match := SUMMARY.match(message)) is not None:
            found[match["part"]] = {k: int(v) for k, v in match.groupdict().items() if k != "part"}
    return output.path.read_bytes(), found


@pytest.mark.slow
def test_a_one_word_correction_tries_only_its_paragraph_and_equals_a_clean_build(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the real book, correct one word in one paragraph of its interview (which has many candidate
    paragraphs), rebuild: only that paragraph is tried, the others come from the memo, and the PDF is the one a
    clean build without any cache makes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    _, cold = _build(content, tmp_path / "out", caplog)
    interview = cold["alexandre-soho"]
    assert interview["candidates"] >= 5 and interview["tried"] == interview["candidates"], interview
    assert interview["known"] == 0
    path = content / "interviews" / "alexandre-soho.yaml"
    source = path.read_text("utf-8")
    assert source.count(OLD) == 1
    path.write_text(source.replace(OLD, NEW), "utf-8")
    warm_pdf, warm = _build(content, tmp_path / "out", caplog)
    interview = warm["alexandre-soho"]
    assert interview["tried"] == 1, interview
    assert interview["known"] == interview["candidates"] - 1, interview
    assert interview["trials"] < cold["alexandre-soho"]["trials"]
    clean_pdf, clean = _build(content, tmp_path / "clean", caplog, cache=False)
    assert clean["alexandre-soho"]["known"] == 0
    assert not (tmp_path / "clean" / ".cache").exists()  # --no-cache: no memo read or written
    assert warm_pdf == clean_pdf


PART = ('<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>T</title></head>'
        '<body class="part"><article><h1 id="t">T</h1>{body}</article></body></html>')


def _keys(body: str, tmp_path: Path) -> list[str]:
    """The memo key of every paragraph of a part, in order."""
    elements = list(HTML(string=PART.format(body=body)).etree_element.iter())
    paragraphs = [n for n, element in enumerate(elements) if str(element.tag).rsplit("}", 1)[-1] == "p"]
    keys = memo.Memo(tmp_path, "style").keys(elements, paragraphs, refine.FOOTNOTE)
    return [keys[n] for n in paragraphs]


def test_a_key_follows_the_paragraph_and_what_selectors_see_of_it(tmp_path: Path) -> None:
    """A paragraph's key changes with its own text, with the element before it (`p + p` indents) and with the
    footnotes before it when it holds one (their calls are numbered in the part); not with another paragraph's
    words."""
    a, b, c = "<p>Alpha words here.</p>", "<p>Beta words here.</p>", "<p>Gamma words here.</p>"
    base = _keys(a + b + c, tmp_path)
    assert len(set(base)) == 3
    assert _keys(a + b + "<p>Gamma words changed.</p>", tmp_path)[:2] == base[:2]
    assert _keys("<p>Alpha changed.</p>" + b + c, tmp_path)[1:] == base[1:]  # p + p still sees a p
    assert _keys("<h2>A</h2>" + b + c, tmp_path)[0] != base[1]  # first after a heading: not indented
    assert _keys('<div class="x">' + a + b + c + "</div>", tmp_path) != base  # an ancestor's class
    note = '<p>Noted<span class="footnote">A note.</span> words.</p>'
    one, two = _keys(note + b, tmp_path), _keys(note + note + b, tmp_path)
    assert one[0] == two[0] and two[1] != one[0]  # the second note's call is "2"
    assert two[2] == one[1]  # a paragraph without a note does not count the notes before it
    assert memo.Memo(tmp_path, "another style").keys(
        list(HTML(string=PART.format(body=a)).etree_element.iter()), [0], refine.FOOTNOTE) != \
        memo.Memo(tmp_path, "style").keys(list(HTML(string=PART.format(body=a)).etree_element.iter()), [0],
                                          refine.FOOTNOTE)


def test_an_entry_reads_back_and_a_corrupt_one_is_a_miss(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A choice reads back as written; a damaged entry is a miss, removed with a note, and can be written again;
    without a folder nothing is read or written."""
    store = memo.Memo(tmp_path / "memo", "style")
    choice = memo.Choice((Remedy(0, 0, "fix-word-spacing-tighter"), Remedy(3, 9, "fix-hyphens-manual")),
                         (("A line of text", True, False, 1.25), ("Lone", False, True, math.inf),
                          ("last", False, False, 0.0)))
    store.put("ab" * 32, choice)
    assert store.get("ab" * 32) == choice
    assert store.get("cd" * 32) is None
    (path,) = (tmp_path / "memo").rglob("*.memo")
    path.write_bytes(path.read_bytes()[:-3] + b"xx\n")
    with caplog.at_level(logging.WARNING):
        assert store.get("ab" * 32) is None
    assert not path.exists()
    assert "its paragraph tried again" in caplog.text
    store.put("ab" * 32, choice)
    assert store.get("ab" * 32) == choice
    none = memo.Memo(None, "style")
    none.put("ef" * 32, choice)
    assert none.get("ef" * 32) is None and none.keys([], [], refine.FOOTNOTE) == {}


SELECTORS_COVERED = {"first-child", "first-of-type", "last-child", "last-of-type", "footnote-call", "footnote-marker",
                     "after", "before",
                     "first", "left", "right", "blank"}  # pages: every page has the same measure


def test_the_stylesheets_use_only_the_selectors_a_key_covers() -> None:
    """The memo key holds each ancestor's tag and attributes, its previous element sibling and whether it is a
    first or last child (of its type): a stylesheet selecting on more (`~`, :nth-child, :has, :empty) would let a
    remembered choice go stale, and must be covered in coopbook.layout.memo first."""
    for sheet in sorted((TEMPLATES / "css").glob("*.css*")):
        css = re.sub(r"/\*.*?\*/", "", sheet.read_text("utf-8"), flags=re.S)
        css = re.sub(r"\{[^{}]*\}", "{}", re.sub(r"\{[^{}]*\}", "{}", css))  # declarations (nested in @page)
        pseudo = set(re.findall(r"::?([a-z-]+)", css))
        assert pseudo <= SELECTORS_COVERED, (sheet.name, pseudo - SELECTORS_COVERED)
        assert "~" not in css, sheet.name


@pytest.mark.slow
@pytest.mark.parametrize("book", ["multilingual", "spanish"])
def test_every_paragraph_from_the_memo_gives_a_clean_builds_bytes(
        book: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the laid-out parts removed but the memo kept, every part is laid out again and every candidate
    paragraph takes its remembered remedies (no trial at all): the PDF is a clean --no-cache build's."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    content = REPO / "tests" / "books" / book
    _build(content, tmp_path / "out", caplog)
    shutil.rmtree(tmp_path / "out" / ".cache" / "parts")
    pdf, parts = _build(content, tmp_path / "out", caplog)
    assert parts and sum(p["known"] for p in parts.values()) > 0, parts
    assert all(p["tried"] == 0 and p["trials"] == 0 for p in parts.values()), parts
    clean, _ = _build(content, tmp_path / "clean", caplog, cache=False)
    assert pdf == clean
