"""The naive baseline: the whole book as one HTML document, laid out in ONE WeasyPrint pass.

This is what coopbook's part-by-part pipeline is measured against. It reads the same content folder with
coopbook's loader and tags the same mentions with coopbook's render stage (so both make the same book), but
it does not use coopbook's build or PDF code: one document holds the front matter, every interview and the
index; running heads come from `string-set`, interviews open on a recto (`break-before: right`), and the
contents and the index get their page numbers from CSS `target-counter()` with one locator per mention (no
de-duplication, no ranges: the naive approach). Markup and CSS are in templates/bench/.

    python -m bench.baseline --content DIR --out book.pdf

prints one line of JSON with the time of each phase, the page count and the size of the PDF.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from coopbook import load  # the public API: coopbook's loader; what follows is not coopbook's build
from coopbook.markdown.fragments import RenderedBook, render_book
from coopbook.markdown.mentions import Mention
from coopbook.source.registry import Registry
from coopbook.templating import TEMPLATES, render_template

SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("people", "People", ("person",)),
    ("countries", "Countries", ("country", "place")),
    ("programmes", "ILO programmes", ("programme",)),
    ("organisations", "Organisations", ("organisation",)),
)


@dataclass(frozen=True)
class IndexEntry:
    """One index line: the term and the id of every mention of it, in reading order."""

    term: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class LetterGroup:
    """The entries under one letter."""

    letter: str
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True)
class IndexSection:
    """One part of the index (People, Countries, ...)."""

    name: str
    title: str
    groups: tuple[LetterGroup, ...]


def sort_key(term: str) -> str:
    """Accent- and case-insensitive sort text (a simple stand-in for real collation)."""
    text = unicodedata.normalize("NFKD", term)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return text.removeprefix("the ")


def naive_index(registry: Registry, mentions: Iterable[Mention], wanted: Sequence[str]) -> list[IndexSection]:
    """Every mentioned entry with one locator per mention, grouped by section and letter."""
    targets: dict[str, list[str]] = {}
    for mention in mentions:
        targets.setdefault(mention.key, []).append(mention.id)
    sections = []
    for name, title, kinds in SECTIONS:
        if name not in wanted:
            continue
        entries = sorted((IndexEntry(entry.index_term, tuple(targets[entry.key])) for entry in registry
                          if entry.kind in kinds and entry.key in targets), key=lambda e: sort_key(e.term))
        groups: dict[str, list[IndexEntry]] = {}
        for entry in entries:
            first = sort_key(entry.term)[:1].upper()
            groups.setdefault(first if first.isalpha() else "#", []).append(entry)
        if groups:
            sections.append(IndexSection(name, title, tuple(LetterGroup(k, tuple(v)) for k, v in groups.items())))
    return sections


def book_html(rendered: RenderedBook, registry: Registry, templates: Path = TEMPLATES) -> str:
    """The whole book as one HTML document (templates/bench/book.html)."""
    config = rendered.book.config
    index = naive_index(registry, rendered.mentions, config.print.indexes)
    return render_template("bench/book.html", templates, config=config, interviews=rendered.interviews,
                           index=index, introduction_html=rendered.introduction_html,
                           series_name=config.series.name)


def render_pdf(content: Path, out: Path, templates: Path = TEMPLATES) -> dict[str, object]:
    """Make the baseline PDF of a content folder; return the time of each phase, pages and size."""
    phases: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = round(now - clock, 3)
        clock = now

    loaded = load(content)
    book, registry = loaded.book, loaded.registry
    lap("load")
    rendered = render_book(book, "pdf", registry)
    lap("tag")
    html = book_html(rendered, registry, templates)
    config = book.config
    page_css = render_template("bench/page.css.j2", templates, width=config.print.trim_width,
                               height=config.print.trim_height)
    lap("html")
    fonts = FontConfiguration()
    stylesheets = [CSS(filename=str(templates / "bench" / "book.css"), font_config=fonts),
                   CSS(string=page_css, font_config=fonts)]
    document = HTML(string=html, base_url=str(templates / "bench") + "/").render(
        stylesheets=stylesheets, font_config=fonts)
    lap("layout")
    data = document.write_pdf()
    lap("write_pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return {"phases": phases, "pages": len(document.pages), "bytes": len(data), "mentions": len(rendered.mentions),
            "html_chars": len(html)}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the baseline PDF and print its facts as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", type=Path, required=True, help="the content folder")
    parser.add_argument("--out", type=Path, required=True, help="the PDF to write")
    args = parser.parse_args(argv)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    print(json.dumps(render_pdf(args.content, args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
