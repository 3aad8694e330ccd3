"""Page starts: counted in a real WeasyPrint layout (coopbook.layout.pagestarts), marked in the EPUB
(coopbook.epub.pagelist) before the same character."""

from __future__ import annotations

from lxml import etree
from weasyprint import CSS, HTML

from coopbook.epub.pagelist import insert_page_markers
from coopbook.layout.pagestarts import countable, page_text_offsets

XHTML = "http://www.w3.org/1999/xhtml"
PAGE_CSS = """@page { size: 80mm 60mm; margin: 10mm; @top-center { content: "Running head"; } }
.note { float: footnote; } .next { break-before: page; }"""


def offsets(body: str) -> tuple[int, ...]:
    """The page starts of a small document laid out by WeasyPrint."""
    html = f"<!DOCTYPE html><html><body>{body}</body></html>"
    return page_text_offsets(HTML(string=html).render(stylesheets=[CSS(string=PAGE_CSS)]))


def test_countable_leaves_out_space_and_hyphenation_marks() -> None:
    assert countable("ab c\u00ad d\u2010e\n") == 5


def test_each_page_starts_after_the_text_before_it() -> None:
    assert offsets("<p>One two</p><p class='next'>three</p><p class='next'>four</p>") == (0, 6, 11)


def test_margin_boxes_markers_and_footnotes_do_not_count() -> None:
    body = ("<ul><li>ab</li></ul><p>cd<span class='note'>a long footnote</span></p>"
            "<p class='next'>ef</p>")
    assert offsets(body) == (0, 4)


def chapter(body: str) -> str:
    """An EPUB chapter's XHTML."""
    return (f'<html xmlns="{XHTML}" xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title></head>'
            f"<body>{body}</body></html>")


def marker_positions(xhtml: str) -> list[tuple[str, str]]:
    """Each page-break marker's label and the text right after it."""
    root = etree.fromstring(xhtml.encode())
    found = []
    for span in root.iter(f"{{{XHTML}}}span"):
        if span.get("{http://www.idpf.org/2007/ops}type") == "pagebreak":
            found.append((span.get("aria-label"), (span.tail or "").strip()))
    return found


def test_markers_go_before_the_counted_character() -> None:
    xhtml = chapter("<p>One two</p><p>three <em>four</em> five</p>")
    marked = insert_page_markers(xhtml, [(6, "2"), (11, "3"), (99, "4")])
    assert marker_positions(marked) == [("2", "three"), ("3", "four"), ("4", "")]
    root = etree.fromstring(marked.encode())
    em = root.find(f".//{{{XHTML}}}em")
    assert em is not None and em[0].get("id") == "page-3" and em[0].tail == "four"
    assert root.find(f"{{{XHTML}}}body")[-1].get("id") == "page-4"  # past the end: at the end of the body


def test_footnotes_and_old_markers_are_skipped() -> None:
    xhtml = chapter('<p>ab<a epub:type="noteref" href="#n1">1</a> cd</p>'
                    '<aside epub:type="footnote" id="n1"><p>note</p></aside><p>ef</p>')
    assert marker_positions(insert_page_markers(xhtml, [(4, "7")])) == [("7", "ef")]
    assert insert_page_markers(xhtml, []) == xhtml
