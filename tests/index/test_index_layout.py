"""A large index (over 2,000 mentions) laid out through the real pipeline: right in the PDF, and not laid out again
after a correction that moves no page."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pikepdf
import pypdf
import pytest

from bench.corpus import correct_one_word, make_corpus
from coopbook.index.model import IndexEntry
from coopbook.markdown import anchors
from coopbook.pipeline import BuildOptions, build, load, make_index, render
from coopbook.templating import TEMPLATES

from readers import epubcheck, linked_number, pdf_words, squash


def entries(items: tuple[IndexEntry, ...]) -> list[IndexEntry]:
    """Every entry and sub-entry, in the index's order."""
    return [e for item in items for e in (item, *entries(item.subentries))]


def runs(page: pypdf.PageObject) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text run on a page."""
    found: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            found.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text))

    page.extract_text(visitor_text=visit)
    return found


def links(reader: pypdf.PdfReader, number: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(named destination, rectangle) of every link on a page."""
    found = []
    for annot in reader.pages[number].get("/Annots") or []:
        annot = annot.get_object()
        if annot.get("/Subtype") == "/Link":
            dest = annot.get("/Dest") or annot["/A"].get("/D")
            xa, ya, xb, yb = (float(v) for v in annot["/Rect"])
            found.append((str(dest), (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))))
    return found


@pytest.mark.slow
def test_a_large_index_is_right_and_not_laid_out_again_after_a_one_word_correction(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "content", 16, seed=3, terms=520)
    laid: list[str] = []
    options = BuildOptions(corpus.root, tmp_path / "out", ("pdf", "epub"), TEMPLATES, jobs=2,
                           progress=lambda event, name: laid.append(name) if event == "written" else None)
    pdf, epub = build(options)
    loaded = load(corpus.root)
    rendered = render(loaded, ("pdf",)).books["pdf"]
    assert len(rendered.mentions) >= 2000
    reader = pypdf.PdfReader(str(pdf.path))
    labels = reader.page_labels
    dests = {name: reader.get_destination_page_number(dest) for name, dest in reader.named_destinations.items()}
    index = make_index(rendered, loaded.registry, {name: int(labels[n]) for name, n in dests.items()
                                                   if labels[n].isdigit()})
    assert sum(1 for name in laid if name.startswith("index-")) >= 2, laid  # a long index is several parts
    start = dests["index"]
    pages = list(range(start, len(reader.pages)))
    width = float(reader.pages[start].mediabox.width)

    # Every locator links to the page it prints, and that page has the mention.
    where: dict[str, tuple[int, float, float]] = {}  # link target -> (page, x, top of its rectangle)
    words = pdf_words(pdf.path)
    for number in pages:
        for dest, (x1, y1, x2, y2) in links(reader, number):
            assert linked_number(words[number], (x1, y1, x2, y2)) == labels[dests[dest]], (number, dest)
            where.setdefault(dest, (number, x1, y2))
    mentions = {m.id for m in rendered.mentions}
    all_entries = [e for s in index.sections for g in s.groups for e in entries(g.entries)]
    targets = [loc.first_target for e in all_entries for loc in e.locators]
    assert len(targets) >= 2000 and set(targets) <= set(where) and set(targets) <= mentions

    # Each locator's link is tagged as an <a> would be: a Link element that holds its annotation.
    with pikepdf.open(pdf.path) as document:
        nums = list(document.Root.StructTreeRoot.ParentTree.Nums)
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        tagged = 0
        for number in pages:
            for annot in document.pages[number].obj.get("/Annots", []):
                element = tree[int(annot.StructParent)]
                kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                assert element.S == "/Link" and any(isinstance(k, pikepdf.Dictionary) and "/Obj" in k
                                                    and k.Obj.objgen == annot.objgen for k in kids)
                tagged += 1
    assert tagged == sum(len(links(reader, number)) for number in pages) >= 2000

    # A section's last page has its columns balanced: both columns end within three lines of each other. Balancing
    # moves whole entries (break-inside: avoid) and keeps a letter heading with its first entry, so a two-line entry
    # with its heading (the A5 corpus's "Z" on its last page: 32 pt) is as close as the columns can come.
    line = 12.0  # an index line is ~11.3 pt
    ends: list[int] = []
    for section in (s for s in index.sections if not s.is_empty):
        first = dests[anchors.index_section(section.name)]
        heading = reader.named_destinations[anchors.index_section(section.name)]
        if first - 1 > start and all(y2 <= float(heading.top) for _, (_, _, _, y2) in links(reader, first)):
            ends.append(first - 1)  # the section opens its page: the page before ends the section before
    for number in [*ends, pages[-1]]:
        rects = [rect for _, rect in links(reader, number)]
        left = min(y1 for x1, y1, _, _ in rects if x1 < width / 2)
        right = min((y1 for x1, y1, _, _ in rects if x1 >= width / 2), default=None)
        assert right is not None and abs(left - right) <= 3 * line, (number + 1, left, right)

    # The entries stand in the index's order, and each stands in the column and on the page of its first locator.
    text = squash("".join(t for n in pages for _, _, t in runs(reader.pages[n])))
    at = 0
    for entry in all_entries:
        found = text.find(squash(entry.term), at)
        assert found >= 0, (entry.term, text[at:at + 200])
        at = found + 1
        if entry.locators:
            number, x, top = where[entry.locators[0].first_target]
            first_word = entry.term.split()[0]
            column = x >= width / 2
            heads = [(rx, ry) for rx, ry, t in runs(reader.pages[number]) if t.strip().startswith(first_word)
                     and (rx >= width / 2) == column and ry >= top - 30]
            assert heads, (entry.term, number + 1)

    # The EPUB's index documents mark every printed index page once, in order, whichever part it is in.
    with zipfile.ZipFile(epub.path) as book:
        names = sorted((n for n in book.namelist() if re.search(r"/index-[a-z]+\.xhtml$", n)),
                       key=lambda n: [s.name for s in index.sections].index(n.rsplit("index-", 1)[1][:-6]))
        marked = [label for n in names
                  for label in re.findall(r'epub:type="pagebreak"[^>]*aria-label="([^"]+)"', book.read(n).decode())]
    assert marked == [labels[n] for n in pages]
    assert epubcheck(epub.path) == []

    # A one-word correction moves no page: no part of the index is laid out again.
    correct_one_word(corpus, 7)
    laid.clear()
    again, _ = build(options)
    assert again.pages == pdf.pages
    assert laid and not [name for name in laid if name.startswith("index")], laid
