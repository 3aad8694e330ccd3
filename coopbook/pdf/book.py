"""Write the book's PDFs from its laid-out parts: the screen PDF (assembled) and the print PDF (marked).

The parts come from coopbook.layout.book; the screen PDF joins their PDFs with the book's metadata
(coopbook.pdf.assemble), and the print PDF is the screen PDF with bleed and crop marks (coopbook.pdf.printmarks).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from ..layout.book import BookPdf
from ..layout.part import PartResult, font_programs
from ..templating import TEMPLATES, TemplateContext
from .assemble import AssemblyInfo, Joiner, joining
from .printmarks import add_bleed_and_marks


def assembly_info(context: TemplateContext, front_pages: int) -> AssemblyInfo:
    """The document information of the assembled PDF, from book.yaml and the build time."""
    config = context.config
    built: dt.datetime = context.built
    title = f"{config.title}: {config.subtitle}" if config.subtitle else config.title
    return AssemblyInfo(title=title, authors=tuple(config.editors), subject=config.series.name,
                        keywords=tuple(config.keywords), creator=f"coopbook {context.version}",
                        lang=config.language, created=built, modified=built, front_pages=front_pages)


def screen_joiner(context: TemplateContext, templates: Path = TEMPLATES) -> contextlib.AbstractContextManager[Joiner]:
    """The joiner of the screen PDF, to be fed parts as they are laid out (Feed) and finished by write_screen."""
    return joining(context.config.language, font_programs(templates))


class Feed:
    """Joins the parts whose PDFs have arrived into the screen PDF, one a call, while the layout workers work
    (the paginate stage's idle work), until budget pages are joined (the rest after the workers stop)."""

    def __init__(self, joiner: Joiner, budget: int) -> None:
        self.joiner = joiner
        self.budget = budget
        self.taken = 0

    def __call__(self, arrived: Sequence[PartResult]) -> bool:
        """Join the next part that arrived; False when none is left or the budget is spent."""
        while self.taken < len(arrived) and self.joiner.pages < self.budget:
            part = arrived[self.taken]
            self.taken += 1
            if self.joiner.add(part.pdf, part.glyphs, part.layout.name, piece=part.layout.kind == "furniture"):
                return True
        return False


def write_screen(book: BookPdf, context: TemplateContext, cache_dir: Path | None,
                 templates: Path = TEMPLATES, joiner: Joiner | None = None) -> bytes:
    """Assemble the parts' PDFs into the screen PDF (no marks, live links), finishing joiner's work if given."""
    if joiner is None:
        with screen_joiner(context, templates) as own:
            return write_screen(book, context, cache_dir, templates, own)
    fonts = cache_dir / "fonts" if cache_dir is not None else None
    info = assembly_info(context, book.front_page_count)
    return joiner.finish([(p.pdf, p.glyphs) for p in book.all_parts], info, book.furniture, fonts).pdf


def write_print(screen: bytes, context: TemplateContext) -> bytes:
    """The printer's PDF: the screen PDF's pages with bleed and crop marks."""
    return add_bleed_and_marks(screen, context.config.print.bleed)
