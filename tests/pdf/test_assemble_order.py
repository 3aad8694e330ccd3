"""The joiner takes parts in any order: the book's bytes depend only on the parts in the book's order.

The parts are those of tests/pdf/test_assemble.py (front matter with a link to no page, a blank page, two
interviews linking to each other, an index with nested bookmarks), real PDFs laid out with the book's fonts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf
import pypdf
import pytest
import test_assemble
from test_assemble import INFO, Book, links, outline, texts

from coopbook.layout.partpdf import FontUsage
from coopbook.pdf import assemble
from coopbook.pdf.assemble import Assembled, assemble_report, joining

laid = test_assemble.book  # the fixture: the parts, laid out once for this module

BLANK = 1  # the empty part: pages and nothing else, placed again as copies of its page


@pytest.fixture(params=["copied", "saved twice"], autouse=True)
def saving(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test both ways the joiner numbers and saves a book: copied (up to COPY_PAGES), or saved twice."""
    if request.param == "saved twice":
        monkeypatch.setattr(assemble, "COPY_PAGES", 0)
    return str(request.param)


def joined(parts: Sequence[tuple[bytes, FontUsage]], adds: Sequence[int]) -> Assembled:
    """The book of parts (in order), the parts at the positions adds gives added to the joiner first, in that order."""
    with joining(INFO.lang, {}) as joiner:
        for index in adds:
            data, usage = parts[index]
            joiner.add(data, usage, str(index))
        distinct = {parts[i][0] for i in adds}  # a part's bytes are added once
        assert joiner.pages == sum(len(pypdf.PdfReader(io.BytesIO(data)).pages) for data in distinct)
        return joiner.finish(parts, INFO, None, None)


def in_order(book: Book, order: Sequence[int]) -> list[tuple[bytes, FontUsage]]:
    """The book's parts in the given order (a part may come twice)."""
    return [(book.parts[i], book.exact[i]) for i in order]


def test_the_order_of_adds_does_not_change_the_bytes(laid: Book) -> None:
    parts = in_order(laid, range(len(laid.parts)))
    reference = assemble_report(laid.parts, laid.exact, INFO, None)
    assert joined(parts, []).pdf == reference.pdf  # everything added at finish, in order: as assemble does
    for adds in ([4, 3, 2, 1, 0], [2, 0, 4], [3], [1, 4, 0, 3, 2]):
        result = joined(parts, adds)
        assert result.pdf == reference.pdf, adds
        assert result.dropped_links == reference.dropped_links == ("nowhere",)


def test_a_part_placed_twice_and_parts_moved(laid: Book) -> None:
    """A blank page (plain) and an interview (links, structure, bookmarks) placed twice; the index first."""
    order = [4, 0, BLANK, 2, BLANK, 3, BLANK, 2]
    parts = in_order(laid, order)
    first = joined(parts, [])
    assert joined(parts, [7, 5, 0, 2, 1]).pdf == first.pdf  # the interviews, the index, the blank, the front
    reader = pypdf.PdfReader(io.BytesIO(first.pdf))
    sizes = [len(pypdf.PdfReader(io.BytesIO(laid.parts[i])).pages) for i in order]
    assert len(reader.pages) == first.pages == sum(sizes)
    pages = texts(first.pdf)
    start = [sum(sizes[:n]) for n in range(len(order))]
    assert pages[start[3]:start[4]] == pages[start[7]:]  # the interview again, the same text
    assert [pages[start[n]] for n in (2, 4, 6)] == [pages[start[2]]] * 3
    with pikepdf.open(io.BytesIO(first.pdf)) as pdf:
        objects = [page.objgen for page in pdf.pages]
        assert len(set(objects)) == len(objects)  # a page object is in the page tree once
        keys = [int(page.obj.StructParents) for page in pdf.pages]
        assert keys == sorted(set(keys))  # each page its own key, in page order
        tree = pdf.Root.StructTreeRoot.ParentTree.Nums
        assert [int(tree[i]) for i in range(0, len(tree), 2)] == sorted(int(tree[i]) for i in range(0, len(tree), 2))
    # the links of the first copy of an interview lead to the first copy of the other (the first name wins)
    found = links(first.pdf)
    assert all(target < start[7] for page in found[:start[7]] for _, target in page if isinstance(target, int))
    titles = [title for _, title, _ in outline(first.pdf)]
    assert titles.count("Office affluence") == 2 and titles[0] == "Index"


@pytest.mark.parametrize("extra", [[0, 4], [4]])
def test_parts_added_but_not_placed_leave_nothing(laid: Book, extra: list[int]) -> None:
    """A part added but not in the laid (a front matter laid out again) adds no object, link or name."""
    parts = in_order(laid, [1, 2, 3])
    clean = joined(parts, [])
    with joining(INFO.lang, {}) as joiner:
        for index in extra:
            joiner.add(laid.parts[index], laid.exact[index], str(index))
        assert joiner.finish(parts, INFO, None, None).pdf == clean.pdf


def structure(data: bytes) -> list[tuple[str, int]]:
    """The structure elements in tree order: (type, number of kids)."""
    found = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            element = stack.pop()
            kids = element.get("/K")
            items = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
            found.append((str(element.get("/S", "/StructTreeRoot")), len(items)))
            stack.extend(kid for kid in reversed(items) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)
    return found


def test_copied_and_saved_twice_are_the_same_book(laid: Book, saving: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The two ways of saving number the objects differently, and give a reader the same book."""
    order = [4, 0, BLANK, 2, BLANK, 3]
    parts = in_order(laid, order)
    monkeypatch.setattr(assemble, "COPY_PAGES", 10_000)
    copied = joined(parts, [5, 0, 3])
    monkeypatch.setattr(assemble, "COPY_PAGES", 0)
    twice = joined(parts, [5, 0, 3])
    assert copied.pdf != twice.pdf
    assert texts(copied.pdf) == texts(twice.pdf)
    assert links(copied.pdf) == links(twice.pdf)
    assert outline(copied.pdf) == outline(twice.pdf)
    assert structure(copied.pdf) == structure(twice.pdf) and len(structure(copied.pdf)) > 20
    readers = [pypdf.PdfReader(io.BytesIO(data)) for data in (copied.pdf, twice.pdf)]
    assert readers[0].page_labels == readers[1].page_labels
    assert readers[0].metadata == readers[1].metadata
    with pikepdf.open(io.BytesIO(copied.pdf)) as one, pikepdf.open(io.BytesIO(twice.pdf)) as other:
        assert sorted(one.Root.keys()) == sorted(other.Root.keys())
        assert len(one.objects) == len(other.objects)  # nothing left behind, nothing unreachable kept
