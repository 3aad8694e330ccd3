"""The build: a list of named stages from content/ to build/, each returning plain data.

load -> render (tag) -> validate -> template context -> paginate -> index -> epub -> write. The layout
workers start first, while the process is small. Validate is not run beside paginate: it would report a
content error ~3 s later at N = 100 (its thread competing with the workers for the cores). `load` reads the
content; `render`, `validate` and the EPUB stage also read and write the per-interview cache (renderings,
findings, documents: coopbook.interviewcache), `paginate` the cache of laid-out parts and font subsets (all
under the output folder's .cache/, skipped with cache=False); only
`write` writes outputs. A failure in any stage leaves the previous outputs untouched, because the outputs are
published only once all of them are ready, and as one set (coopbook.edition: staged, committed by a manifest,
renamed; a kill mid-way is finished by the next build). `validate` is the same pass `coopbook check` runs: its
errors stop the build, its warnings are handed to the caller and the build goes on (with `strict`, warnings
stop it too). The stages after validate share one `BuildContext`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from filelock import FileLock, Timeout

from . import __version__
from .edition import finish_publishing, publish
from .editorial.check import CheckReport, validate
from .epub.doccache import DocumentCache
from .epub.writer import build_epub, contents_pages, epub_documents, make_cover
from .errors import BuildError, ContentError, Location, Problem, Problems
from .fsutil import environment_errors, make_folder
from .i18n import translations
from .index.model import Index, build_index
from .interviewcache import Memos
from .layout.book import (
    BookPdf,
    TocEntry,
    anchor_folios,
    blank_spec,
    book_style,
    contents_entries,
    front_spec,
    index_specs,
    interview_specs,
)
from .layout.cache import PartCache
from .layout.linestats import log_book_line_stats
from .layout.part import PartLayout, PartResult
from .layout.scheduler import PartScheduler, Pool, ProcessPool, Progress
from .markdown.fragments import TARGETS, RenderedBook, Target, render_books
from .markdown.rendercache import render_cache
from .pdf.book import write_print, write_screen
from .pdf.furniture import Furniture, FurniturePlan, head_specs, page_heads, page_kinds, plan_furniture, running_head
from .source.book import Book, load_book
from .source.registry import Registry
from .source.registryfiles import load_registry
from .templating import TEMPLATES, TemplateContext, merge_notes

if TYPE_CHECKING:
    from .session import BuildSession

log = logging.getLogger(__name__)

Format = Literal["pdf", "print", "epub"]
FORMATS: tuple[Format, ...] = ("pdf", "print", "epub")
END_OF_TEXT = 10**12  # a page-break marker offset past any text: the marker goes at the end


@dataclass(frozen=True)
class BuildOptions:
    """Where to read, where to write, and what to make."""

    content: Path
    out: Path
    formats: tuple[Format, ...] = ("pdf", "epub")
    templates: Path = TEMPLATES
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    cache: bool = True
    progress: Progress | None = field(default=None, compare=False)
    strict: bool = False
    on_warnings: Callable[[tuple[Problem, ...]], None] | None = field(default=None, compare=False)
    on_wait: Callable[[Path], None] | None = field(default=None, compare=False)

    @property
    def cache_dir(self) -> Path | None:
        """Where laid-out parts and font subsets are kept between builds (None: no cache)."""
        return self.out / ".cache" if self.cache else None


@dataclass(frozen=True)
class Output:
    """One file the build wrote."""

    format: Format
    path: Path
    size: int
    pages: int | None = None


@dataclass(frozen=True)
class Loaded:
    """The load stage's result: the validated book and its authority registry."""

    book: Book
    registry: Registry


@dataclass(frozen=True)
class Rendered:
    """The render stage's result: the book rendered for each target, and the index tagging's problems."""

    books: dict[Target, RenderedBook]
    problems: tuple[Problem, ...]
    keys: Mapping[str, str] = field(default_factory=dict)  # each interview's rendering key, with a cache folder


@dataclass(frozen=True)
class BuildContext:
    """What the stages after validate share: the options, the loaded book, its renderings, the template context."""

    options: BuildOptions
    loaded: Loaded
    rendered: Mapping[Target, RenderedBook]
    template: TemplateContext
    render_keys: Mapping[str, str] = field(default_factory=dict)  # the render stage's keys (Rendered.keys)
    stored: Memos | None = None  # a watch session's per-interview cache entries in memory (interviewcache)

    def output(self, suffix: str) -> Path:
        """The path of one output: the book's slug and suffix in the output folder."""
        return self.options.out / f"{self.loaded.book.config.output_slug}{suffix}"


Product = tuple[Format, Path, bytes, int | None]  # an output made but not yet saved: format, path, bytes, pages


def build(options: BuildOptions, session: BuildSession | None = None) -> tuple[Output, ...]:
    """Run every stage for the requested formats and write the outputs atomically (session: warm caches)."""
    make_folder(options.out)
    with environment_errors(), build_lock(options), ExitStack() as workers:
        pool = workers.enter_context(layout_workers(options, session))
        finish_publishing(options.out)  # complete a publish a kill interrupted, before anything else
        loaded = load(options.content, session)
        rendered = render(loaded, session=session, cache_dir=options.cache_dir)
        accept(validate(loaded, rendered.problems, options.cache_dir, session.warm.stored if session else None),
               options)
        ctx = BuildContext(options, loaded, rendered.books, template_context(loaded.book), rendered.keys,
                           session.warm.stored if session else None)
        book_pdf = paginate(ctx.rendered["pdf"], loaded.registry, ctx.template, options, pool)
        workers.close()  # a build's workers stop before assembly (their memory is not held beside the book's)
        return tuple(write_outputs(products(ctx, book_pdf)))


@contextmanager
def layout_workers(options: BuildOptions, session: BuildSession | None) -> Iterator[Pool | None]:
    """The build's worker processes, started at once while the process is small (a session's stay warm)."""
    if options.jobs <= 1:
        yield None
        return
    pool = session.pool(options.jobs) if session is not None else ProcessPool(options.jobs)
    assert pool is not None
    pool.start()
    if session is not None:
        yield pool  # the session stops them (the scheduler kills them after an error)
        return
    try:
        yield pool
    except BaseException:
        pool.close(graceful=False)
        raise
    pool.close()


def products(ctx: BuildContext, book_pdf: BookPdf) -> list[Product]:
    """The outputs asked for: the PDFs, then the EPUB (not yet saved).

    The EPUB is not made in a forked process beside the PDF's assembly: the fork's copy of the parent's pages
    counts again in every measure of memory (the largest process, all processes together) for ~2 s at N = 100.
    """
    return [*pdf_products(ctx, book_pdf), *epub_products(ctx, book_pdf)]


def pdf_products(ctx: BuildContext, book_pdf: BookPdf) -> list[Product]:
    """PDF stage: the screen PDF and, from it, the print PDF, as the formats ask (not yet saved)."""
    formats = ctx.options.formats
    products: list[Product] = []
    if "pdf" in formats or "print" in formats:
        screen = write_screen(book_pdf, ctx.template, ctx.options.cache_dir, ctx.options.templates)
        if "pdf" in formats:
            products.append(("pdf", ctx.output(".pdf"), screen, book_pdf.page_count))
        if "print" in formats:
            press = write_print(screen, ctx.template)
            products.append(("print", ctx.output("-print.pdf"), press, book_pdf.page_count))
    return products


def epub_products(ctx: BuildContext, book_pdf: BookPdf) -> list[Product]:
    """Index and EPUB stages: the index with print folios, then the EPUB (not yet saved), if asked for."""
    if "epub" not in ctx.options.formats:
        return []
    rendered = ctx.rendered["epub"]
    index = make_index(rendered, ctx.loaded.registry, book_pdf.anchor_folios)
    epub = make_epub(rendered, index, page_markers(book_pdf), ctx.template, ctx.options,
                     [p.layout for p in book_pdf.all_parts], ctx.render_keys, ctx.stored)
    return [("epub", ctx.output(".epub"), epub, None)]


@contextmanager
def build_lock(options: BuildOptions) -> Iterator[None]:
    """Hold the output folder's lock for the build; tell `on_wait` when another build holds it first."""
    lock = FileLock(str(options.out / ".coopbook.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if options.on_wait is not None:
            options.on_wait(options.out)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def load(content: Path, session: BuildSession | None = None) -> Loaded:
    """Load stage: book.yaml, every interview and the registry (a session's, when unchanged), validated as one phase."""
    book = load_book(content)
    problems = Problems()
    registry = (session.registry if session else load_registry)(content, book.interviews, problems)
    problems.raise_if_errors(ContentError)
    return Loaded(book, registry)


def render(loaded: Loaded, targets: tuple[Target, ...] = TARGETS, session: BuildSession | None = None,
           cache_dir: Path | None = None) -> Rendered:
    """Render stage: Markdown to HTML for the targets (both by default), mentions tagged once; problems collected.

    With a session, interviews whose file did not change since its last build are not rendered again; with a
    cache folder, neither are those rendered by an earlier build (coopbook.markdown.rendercache)."""
    problems = Problems()
    memo = session.render_memo(loaded.registry) if session is not None else None
    cache = render_cache(loaded, cache_dir)
    books = render_books(loaded.book, loaded.registry, problems, targets, memo, cache)
    if cache is not None:
        cache.store.prune()
    return Rendered(books, tuple(problems.items), dict(cache.keys) if cache is not None else {})


def accept(report: CheckReport, options: BuildOptions) -> None:
    """Stop on the validate stage's errors (or, strict, warnings) with every problem; else pass warnings on."""
    if report.failed(options.strict):
        raise ContentError(report.problems)
    if report.warnings and options.on_warnings is not None:
        options.on_warnings(report.warnings)


def build_time(book: Book) -> dt.datetime:
    """The build's timestamp: SOURCE_DATE_EPOCH when set, else the book's date (reproducible either way)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):
            raise BuildError([Problem(Location("SOURCE_DATE_EPOCH"), "expected whole seconds since 1970-01-01",
                                      epoch)]) from None
    return dt.datetime.combine(book.config.date, dt.time(0), tzinfo=dt.UTC)


def template_context(book: Book) -> TemplateContext:
    """Template context stage: what every template sees (book settings, version, timestamp, editorial notes)."""
    when = build_time(book)
    notes = merge_notes([(i.interviewee.name, n.date, n.note) for i in book.interviews for n in i.editorial_notes])
    return TemplateContext(config=book.config, version=__version__, timestamp=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           built=when, notes=notes, series_name=book.config.series.name)


def make_index(rendered: RenderedBook, registry: Registry, folios: Mapping[str, int] | None) -> Index:
    """Index stage: the sections book.yaml prints, with print folios when the layout is known."""
    titles = {item.interview.id: item.interview.short_title for item in rendered.interviews}
    config = rendered.book.config
    shown = registry.in_language(config.language)  # headings in the book's language
    return build_index(shown, rendered.mentions, config.print.indexes, folios, titles, config.language)


def paginate(rendered: RenderedBook, registry: Registry, context: TemplateContext, options: BuildOptions,
             pool: Pool | None = None) -> BookPdf:
    """Paginate stage: the body, then the index with exact folios, then the front matter with the contents.

    The page furniture's pieces (coopbook.pdf.furniture) are laid out in the same maps over the workers: the
    heads with the body, the folios of the body with the index, any folios the index adds with the front matter.
    """
    templates = options.templates
    style = book_style(context, templates, rendered, options.cache_dir)
    cache = PartCache(options.cache_dir)
    blank = blank_spec(context, templates)
    body_specs = interview_specs(rendered, context, templates)
    variables = context.variables()
    heads = {spec.name: running_head(spec.html) for spec in body_specs}
    all_heads = [heads[spec.name] for spec in body_specs]
    head_pieces = head_specs(all_heads, variables, templates)
    with PartScheduler(style, cache, blank, options.jobs, options.progress, pool) as scheduler:
        body = scheduler.run(body_specs, 1, also=head_pieces)
        next_folio = body[-1].layout.first_folio + body[-1].layout.page_count if body else 1
        body_plan = furniture_plan(body, heads, all_heads, variables, templates)
        index = index_specs(make_index(rendered, registry, anchor_folios(body)), context, templates)
        index_parts = scheduler.run(index, next_folio, run_on=True, also=body_plan.specs)  # sections in parallel
        contents = contents_entries(rendered, body, templates, index_contents(rendered, index_parts, templates))
        front_matter = front_spec(rendered, contents, context, templates)
        plan = furniture_plan(body + index_parts, heads, all_heads, variables, templates)
        front = scheduler.run([front_matter], 1, recto=False, pad_end=True, also=plan.specs)
        pieces = [*head_pieces, *plan.specs]
        laid = dict(zip((spec.name for spec in pieces), scheduler.lay_out(pieces), strict=True))
    log_book_line_stats([p.layout.lines for p in (*front, *body, *index_parts) if p.layout.kind != "blank"])
    furniture = Furniture(laid, sum(p.layout.page_count for p in front), plan.draws) if plan.draws else None
    log.info("%d stale cache entries removed", cache.prune())
    specs = {s.name: s for s in (body_specs + [front_matter] + index)}
    return BookPdf(tuple(front), tuple(body + index_parts),
                   tuple(specs.get(p.layout.name, blank) for p in (*front, *body, *index_parts)), furniture)


def furniture_plan(parts: Sequence[PartResult], heads: Mapping[str, str], all_heads: Sequence[str],
                   variables: Mapping[str, object], templates: Path) -> FurniturePlan:
    """The folio and head pieces the body and index pages draw (coopbook.pdf.furniture), from folio 1."""
    layouts = [p.layout for p in parts]
    return plan_furniture(page_kinds(layouts), page_heads(layouts, heads), all_heads, 1, variables, templates)


def index_contents(rendered: RenderedBook, index_parts: Sequence[PartResult], templates: Path) -> list[TocEntry]:
    """The contents line for the index (its sections are one entry: the PDF bookmarks and EPUB nav list them)."""
    folios = [part.layout.anchors["index"] for part in index_parts if "index" in part.layout.anchors]
    title = translations(rendered.book.config.language, templates).gettext("Index")
    return [TocEntry(title, "index", str(folios[0]))] if folios else []


def page_markers(layout: BookPdf) -> dict[str, list[tuple[int, str]]]:
    """Where each print page of the body starts in each interview's text (a blank verso ends the one before)."""
    markers: dict[str, list[tuple[int, str]]] = {}
    last: str | None = None
    for part in layout.parts:
        facts = part.layout
        if facts.kind == "interview":
            last = facts.name
            markers[last] = [(offset, str(folio)) for offset, folio in zip(facts.page_offsets, facts.folios,
                                                                            strict=True)]
        elif facts.kind == "blank" and last is not None:
            markers[last].append((END_OF_TEXT, str(facts.first_folio)))
    return markers


def make_epub(rendered: RenderedBook, index: Index, markers: dict[str, list[tuple[int, str]]],
              context: TemplateContext, options: BuildOptions, parts: Sequence[PartLayout] = (),
              render_keys: Mapping[str, str] | None = None, memo: Memos | None = None) -> bytes:
    """EPUB stage: the EPUB documents, then the reproducible EPUB (parts: the PDF's, for its page-list; render_keys:
    the render stage's, to find the interviews' documents in the cache; memo: a session's, in front of it)."""
    css = "\n".join((options.templates / "css" / name).read_text("utf-8") for name in ("book.css", "epub.css"))
    cache = None
    if options.cache_dir is not None:
        cache = DocumentCache(options.cache_dir, render_keys or {}, options.templates, context, memo)
    documents = epub_documents(rendered, index, context, markers, options.templates, parts, cache)
    cover = make_cover(rendered, context, options.templates, cache)
    if cache is not None:
        cache.prune()
    return build_epub(rendered, documents, cover, css, context, options.templates, contents_pages(parts))


def write_outputs(products: Sequence[Product]) -> list[Output]:
    """Write stage: once all products are made, publish them as one set (see coopbook.edition)."""
    folders = {path.parent for _, path, _, _ in products}
    if len(folders) > 1:
        raise ValueError(f"the outputs of one build go to one folder, not {sorted(map(str, folders))}")
    for out in folders:
        publish(out, [(path.name, data) for _, path, data, _ in products])
    outputs = []
    for fmt, path, data, pages in products:
        outputs.append(Output(fmt, path, len(data), pages))
        log.info("wrote %s (%d bytes)", path, len(data))
    return outputs
