"""The book-wide PDF objects (coopbook.pdf.catalog), built in a fresh pikepdf document and read back."""

from __future__ import annotations

import datetime as dt
import io

import pikepdf
import pypdf

from coopbook.pdf.catalog import (
    NAME_TREE_LEAF,
    document_info,
    name_tree,
    outline_root,
    page_labels,
    pdf_date,
    save,
    structure_root,
)


def entries(count: int) -> dict[str, pikepdf.Object]:
    """Names in no particular order, each pointing at its number."""
    return {f"n-{(i * 37) % count:04d}": pikepdf.Array([i]) for i in range(count)}


def saved(out: pikepdf.Pdf) -> pikepdf.Pdf:
    """The document written with catalog.save and opened again."""
    return pikepdf.open(io.BytesIO(save(out, "1.7")))


def test_small_name_tree_is_one_sorted_leaf() -> None:
    out = pikepdf.new()
    tree = name_tree(out, {"b": pikepdf.Array([2]), "a": pikepdf.Array([1]), "B": pikepdf.Array([3])})
    assert "/Kids" not in tree
    assert [str(tree.Names[i]) for i in range(0, 6, 2)] == ["B", "a", "b"]  # byte order: upper case first


def test_large_name_tree_has_leaves_with_limits_and_reads_back_whole() -> None:
    out = pikepdf.new()
    given = entries(NAME_TREE_LEAF * 3 + 5)
    out.Root.Names = pikepdf.Dictionary(Dests=name_tree(out, given))
    pdf = saved(out)
    dests = pdf.Root.Names.Dests
    assert len(dests.Kids) == 4 and "/Names" not in dests
    names = list(pikepdf.NameTree(dests).keys())
    assert names == sorted(given)
    assert {name: int(value[0]) for name, value in pikepdf.NameTree(dests).items()} == \
        {name: int(value[0]) for name, value in given.items()}
    for kid in dests.Kids:
        leaf = [str(kid.Names[i]) for i in range(0, len(kid.Names), 2)]
        assert [str(kid.Limits[0]), str(kid.Limits[1])] == [leaf[0], leaf[-1]]
        assert len(leaf) <= NAME_TREE_LEAF


def test_name_tree_over_two_levels() -> None:
    out = pikepdf.new()
    given = entries(NAME_TREE_LEAF * NAME_TREE_LEAF + 1)
    tree = name_tree(out, given)
    assert all("/Kids" in kid for kid in tree.Kids)
    assert len(pikepdf.NameTree(tree)) == len(given)


def test_page_labels_roman_then_decimal() -> None:
    for front, pages, expected in ((2, 5, ["i", "ii", "1", "2", "3"]), (0, 3, ["1", "2", "3"]),
                                   (3, 3, ["i", "ii", "iii"])):
        out = pikepdf.new()
        for _ in range(pages):
            out.add_blank_page()
        out.Root.PageLabels = page_labels(front, pages)
        assert pypdf.PdfReader(io.BytesIO(save(out, "1.7"))).page_labels == expected


def test_outline_links_items_in_order() -> None:
    out = pikepdf.new()
    items = [out.make_indirect(pikepdf.Dictionary(Title=pikepdf.String(t), Next=pikepdf.Dictionary()))
             for t in ("One", "Two", "Three")]
    out.add_blank_page()
    for item in items:
        item.Dest = pikepdf.Array([out.pages[0].obj, pikepdf.Name.Fit])
    out.Root.Outlines = outline_root(out, items, 3)
    pdf = saved(out)
    assert [item.title for item in pdf.open_outline().root] == ["One", "Two", "Three"]
    root = pdf.Root.Outlines
    assert "/Prev" not in root.First and "/Next" not in root.Last and int(root.Count) == 3


def test_structure_root_holds_one_document_and_a_sorted_parent_tree() -> None:
    out = pikepdf.new()
    kids = [out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.P)) for _ in range(2)]
    root = structure_root(out, kids, {3: kids[1], 0: kids[0]}, 4, {"/RoleMap": pikepdf.Dictionary(Note="/P")})
    (document,) = list(root.K)
    assert document.S == "/Document" and all(kid.P.objgen == document.objgen for kid in kids)
    assert [int(root.ParentTree.Nums[i]) for i in (0, 2)] == [0, 3] and int(root.ParentTreeNextKey) == 4
    assert root.RoleMap.Note == "/P"
    assert dict(pikepdf.NumberTree(root.ParentTree).items()).keys() == {0, 3}


def test_pdf_dates_and_document_info() -> None:
    assert str(pdf_date(dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC))) == "D:20240506070809Z"
    plus = dt.timezone(dt.timedelta(hours=5, minutes=30))
    assert str(pdf_date(dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=plus))) == "D:20240506070809+05'30"
    assert str(pdf_date(dt.datetime(2024, 5, 6, 7, 8, 9))) == "D:20240506070809"
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    info = document_info("T", (), None, (), "c", when, when, "p")
    assert "/Author" not in info and "/Subject" not in info and "/Keywords" not in info
    info = document_info("T", ("A", "B"), "S", ("k", "l"), "c", when, when, "p")
    assert str(info.Author) == "A, B" and str(info.Keywords) == "k, l" and str(info.Subject) == "S"


def test_save_is_deterministic() -> None:
    def build() -> bytes:
        out = pikepdf.new()
        out.add_blank_page()
        out.Root.Names = pikepdf.Dictionary(Dests=name_tree(out, entries(100)))
        return save(out, "1.7")

    assert build() == build()
