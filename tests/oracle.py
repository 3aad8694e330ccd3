"""The one-pass reference PDF that tests compare the assembled book with (what the naive pipeline gives)."""

from __future__ import annotations

from collections.abc import Callable

import pydyf
from weasyprint import Document

from coopbook.layout.book import BookPdf
from coopbook.layout.part import Style, lay_out


def write_one_pass(book: BookPdf, style: Style) -> bytes:
    """Every part laid out again in this process, joined with Document.copy, written once with page labels."""
    documents = [lay_out(style, spec, part.layout.first_folio)[0]
                 for spec, part in zip(book.specs, book.all_parts, strict=True)]
    pages = [page for document in documents for page in document.pages]
    finisher = labels_finisher(book.front_page_count)
    return documents[0].copy(pages).write_pdf(pdf_tags=True, finisher=finisher)


def labels_finisher(front_pages: int) -> Callable[[Document, pydyf.PDF], None]:
    """A WeasyPrint finisher: roman page labels for the front pages, then decimal from 1."""
    def finish(document: Document, pdf: pydyf.PDF) -> None:
        nums = pydyf.Array([0, pydyf.Dictionary({"S": "/r"})])
        if len(document.pages) > front_pages:
            nums.extend([front_pages, pydyf.Dictionary({"S": "/D", "St": 1})])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": nums})

    return finish
