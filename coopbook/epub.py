"""Write the EPUB 3 with ebooklib: one XHTML document per part, nav + NCX, and a byte-reproducible zip."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ebooklib import epub

from .indexing import Index
from .render import RenderedBook
from .templating import TEMPLATES, render_template


@dataclass(frozen=True)
class EpubDocument:
    """One XHTML document of the EPUB: file name, title, rendered markup and whether it is in the TOC."""

    file_name: str
    title: str
    xhtml: str
    in_toc: bool = True
    landmark: str | None = None


def epub_documents(rendered: RenderedBook, index: Index, context: Mapping[str, Any],
                   templates: Path = TEMPLATES) -> list[EpubDocument]:
    """Render every part of the book to XHTML, in reading order: front matter, interviews, index sections."""
    config = context["config"]

    def doc(file_name: str, title: str, template: str, in_toc: bool = True, landmark: str | None = None,
            **extra: Any) -> EpubDocument:
        xhtml = render_template(template, templates, **context, title=title, **extra)
        return EpubDocument(file_name, title, xhtml, in_toc, landmark)

    docs = [
        doc("title.xhtml", config.title, "epub/title.xhtml", in_toc=False, landmark="titlepage"),
        doc("copyright.xhtml", "Copyright", "epub/copyright.xhtml", in_toc=False, landmark="copyright-page"),
        doc("introduction.xhtml", "Introduction", "epub/introduction.xhtml", landmark="bodymatter",
            introduction_html=rendered.introduction_html),
    ]
    for item in rendered.interviews:
        docs.append(doc(f"{item.interview.id}.xhtml", item.interview.interviewee.name, "epub/interview.xhtml",
                        item=item))
    files = {mention.id: f"{mention.interview}.xhtml" for mention in rendered.mentions}
    for n, section in enumerate(s for s in index.sections if not s.is_empty):
        docs.append(doc(f"index-{section.name}.xhtml", f"Index: {section.title}", "epub/index.xhtml",
                        landmark="index" if n == 0 else None, section=section,
                        href=lambda target: f"{files[target]}#{target}"))
    return docs


def build_epub(rendered: RenderedBook, documents: Sequence[EpubDocument], stylesheet: str,
               modified: dt.datetime) -> bytes:
    """Assemble the EPUB with ebooklib and return reproducible zip bytes."""
    config = rendered.book.config
    book = epub.EpubBook()
    book.set_identifier(config.identifiers.uid)
    book.set_title(config.title)
    book.set_language(config.language)
    for n, editor in enumerate(config.editors, start=1):
        book.add_author(editor, role="edt", uid=f"editor-{n}")
    book.add_metadata("DC", "publisher", config.publisher)
    book.add_metadata("DC", "date", config.date.isoformat())
    book.add_metadata("DC", "rights", config.rights)
    book.add_metadata("DC", "description", config.series.name)
    for keyword in config.keywords:
        book.add_metadata("DC", "subject", keyword)

    css = epub.EpubItem(uid="css", file_name="css/book.css", media_type="text/css", content=stylesheet.encode())
    book.add_item(css)
    items = []
    for document in documents:
        item = epub.EpubHtml(title=document.title, file_name=document.file_name, lang=config.language)
        item.content = document.xhtml.encode("utf-8")
        item.add_item(css)
        book.add_item(item)
        items.append((document, item))

    book.toc = [item for document, item in items if document.in_toc]
    book.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title="Contents")
    book.add_item(nav)
    book.spine = [item for _, item in items[:2]] + ["nav"] + [item for _, item in items[2:]]
    buffer = io.BytesIO()
    epub.write_epub(buffer, book, {"mtime": modified, "epub3_pages": False, "raise_exceptions": True})
    return reproducible_zip(buffer.getvalue(), modified)


def reproducible_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite a zip with fixed timestamps and attributes: `mimetype` first and stored, the rest deflated."""
    stamp = max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    ordered = ["mimetype"] + [n for n in names if n != "mimetype"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, source.read(name), compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()
