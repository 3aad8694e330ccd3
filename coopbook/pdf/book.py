"""Write the book's PDFs from its laid-out parts: the screen PDF (assembled) and the print PDF (marked).

The parts come from coopbook.layout.book; the screen PDF joins their PDFs with the book's metadata
(coopbook.pdf.assemble), and the print PDF is the screen PDF with bleed and crop marks (coopbook.pdf.printmarks).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..layout.book import BookPdf
from ..layout.part import font_programs
from ..templating import TEMPLATES, TemplateContext
from .assemble import AssemblyInfo, assemble
from .printmarks import add_bleed_and_marks


def assembly_info(context: TemplateContext, front_pages: int) -> AssemblyInfo:
    """The document information of the assembled PDF, from book.yaml and the build time."""
    config = context.config
    built: dt.datetime = context.built
    title = f"{config.title}: {config.subtitle}" if config.subtitle else config.title
    return AssemblyInfo(title=title, authors=tuple(config.editors), subject=config.series.name,
                        keywords=tuple(config.keywords), creator=f"coopbook {context.version}",
                        lang=config.language, created=built, modified=built, front_pages=front_pages)


def write_screen(book: BookPdf, context: TemplateContext, cache_dir: Path | None,
                 templates: Path = TEMPLATES) -> bytes:
    """Assemble the parts' PDFs into the screen PDF (no marks, live links)."""
    parts = book.all_parts
    fonts = cache_dir / "fonts" if cache_dir is not None else None
    return assemble([p.pdf for p in parts], [p.glyphs for p in parts], assembly_info(context, book.front_page_count),
                    fonts, font_programs(templates), book.furniture)


def write_print(screen: bytes, context: TemplateContext) -> bytes:
    """The printer's PDF: the screen PDF's pages with bleed and crop marks."""
    return add_bleed_and_marks(screen, context.config.print.bleed)
