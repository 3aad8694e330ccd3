"""The build: a list of named stages from content/ to build/, each returning plain data.

load -> render (tag) -> validate -> template context -> paginate -> index -> epub -> write. The layout workers
start first, while the process is small. With workers, the stale interviews are handed to them as soon as they
are rendered, and validate runs here beside their layout (its errors stop the workers at once, so a content
error is reported as soon as without them); while paginate waits for the workers, this process joins the parts
that have arrived into the screen PDF (coopbook.pdf.book.Feed), so the pdf stage finishes the assembly; the
EPUB is made on a worker while this process finishes the PDF (coopbook.layout.stage has the paginate stage).
`load` reads the content; `render`, `validate` and the EPUB
stage also read and write the per-interview cache (renderings, findings, documents: coopbook.interviewcache),
`paginate` the cache of laid-out parts and font subsets (all under the output folder's .cache/, skipped with
cache=False); only `write` writes outputs. A failure in any stage leaves the previous outputs untouched,
because the outputs are published only once all of them are ready, and as one set (coopbook.edition: staged,
committed by a manifest, renamed; a kill mid-way is finished by the next build). `validate` is the same pass
`coopbook check` runs: its errors stop the build, its warnings are handed to the caller and the build goes on
(with `strict`, warnings stop it too). The stages after validate share one `BuildContext`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from . import __version__
from .edition import finish_publishing, publish
from .editorial.check import CheckReport, validate
from .epub.doccache import DocumentCache
from .epub.writer import build_epub, contents_pages, epub_documents, make_cover
from .errors import BuildError, ContentError, Location, Problem, Problems
from .formats import FORMATS, Format, makes_screen_pdf  # noqa: F401 - FORMATS is public here (coopbook.FORMATS)
from .fsutil import environment_errors, make_folder
from .index.model import Index
from .interviewcache import Memos
from .layout.book import BookPdf
from .layout.part import PartLayout
from .layout.scheduler import Pool, ProcessPool, Progress
from .layout.stage import make_index, paginate, start_body
from .markdown.fragments import TARGETS, RenderedBook, Target, render_books
from .markdown.rendercache import render_cache
from .pdf.assemble import Joiner
from .pdf.book import Feed, screen_joiner, write_print, write_screen
from .source.book import Book, load_book
from .source.registry import Registry
from .source.registryfiles import load_registry
from .templating import TEMPLATES, TemplateContext, merge_notes

if TYPE_CHECKING:
    from .session import BuildSession

log = logging.getLogger(__name__)

EPUB_BESIDE_PAGES = 4000  # over this, the EPUB is made after the PDF (memory: see fits_beside)
JOIN_BESIDE_PAGES = 2000  # the pages of the screen PDF joined while the layout workers live (memory: see build)
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
        with stage("start workers"):
            pool = workers.enter_context(layout_workers(options, session))
        finish_publishing(options.out)  # complete a publish a kill interrupted, before anything else
        with stage("load"):
            loaded = load(options.content, session)
        with stage("render"):
            rendered = render(loaded, session=session, cache_dir=options.cache_dir)
        started = start_body(rendered.books["pdf"], lambda: template_context(loaded.book), options, pool, workers)
        with stage("validate"):  # beside the layout of the stale interviews, started above
            report = validate(loaded, rendered.problems, options.cache_dir, session.warm.stored if session else None)
        accept(report, options)
        ctx = BuildContext(options, loaded, rendered.books, template_context(loaded.book), rendered.keys,
                           session.warm.stored if session else None)
        # the parts' PDFs are joined into the screen PDF while the workers lay out, up to JOIN_BESIDE_PAGES pages:
        # a large book joins the rest after its workers stop (memory: see fits_beside)
        joiner = workers.enter_context(screen_joiner(ctx.template, options.templates)) \
            if makes_screen_pdf(options.formats) else None
        with stage("paginate"):
            book_pdf = paginate(ctx.rendered["pdf"], loaded.registry, ctx.template, options, pool, started,
                                Feed(joiner, JOIN_BESIDE_PAGES) if joiner is not None else None)
        own = pool if isinstance(pool, ProcessPool) and session is None else None  # a session's stay warm
        beside = own if own is not None and fits_beside(book_pdf) else None
        if own is not None and beside is None:
            own.close()  # the workers' memory is not held beside the book's while it is assembled
        made = products(ctx, book_pdf, beside, joiner)
        workers.close()
        with stage("write"):
            return tuple(write_outputs(made))


def fits_beside(book_pdf: BookPdf) -> bool:
    """Whether the EPUB may be made beside the PDF's assembly: both held at once stay within a memory budget.

    Measured (`make bench`): all processes together peak at ~390 MiB at 900 pages with the EPUB beside, and
    ~1,290 MiB at 8,360 pages (~964 MiB one after the other): ~0.12 MiB a page. A book over EPUB_BESIDE_PAGES
    makes its EPUB after its PDF, so that a 1,000-interview book stays under 1 GiB.
    """
    return book_pdf.page_count <= EPUB_BESIDE_PAGES


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Log how long a stage took (debug), to see where a build's time goes."""
    started = time.perf_counter()
    yield
    log.debug("stage %s: %.3f s", name, time.perf_counter() - started)


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


def products(ctx: BuildContext, book_pdf: BookPdf, pool: ProcessPool | None = None,
             joiner: Joiner | None = None) -> list[Product]:
    """The outputs asked for: the PDFs and the EPUB (not yet saved); joiner: the screen PDF's, fed while paginating.

    With a pool (a build's own, not a watch session's: its per-interview cache is kept in this process), the
    EPUB is made on one of the layout workers while this process assembles the PDF, and the other workers stop
    (their memory is not held beside the book's). That worker was forked small, before the book was loaded: a
    process forked now would copy the parent's pages, counted again in every measure of memory.
    """
    if pool is None or "epub" not in ctx.options.formats:
        if pool is not None:
            pool.close()
        with stage("pdf"):
            pdfs = pdf_products(ctx, book_pdf, joiner)
        with stage("epub"):
            return [*pdfs, *epub_products(ctx, book_pdf)]
    rendered = ctx.rendered["epub"]
    index = make_index(rendered, ctx.loaded.registry, book_pdf.anchor_folios)
    plain = replace(ctx.options, progress=None, on_warnings=None, on_wait=None)
    epub = pool.call(make_epub, rendered, index, page_markers(book_pdf), ctx.template, plain,
                     [p.layout for p in book_pdf.all_parts], dict(ctx.render_keys))
    with stage("pdf"):
        pdfs = pdf_products(ctx, book_pdf, joiner)
    with stage("epub (the rest of its time beside the PDF)"):
        return [*pdfs, ("epub", ctx.output(".epub"), epub(), None)]


def pdf_products(ctx: BuildContext, book_pdf: BookPdf, joiner: Joiner | None = None) -> list[Product]:
    """PDF stage: the screen PDF (the rest of joiner's assembly, if given) and, from it, the print PDF, as the
    formats ask (not yet saved)."""
    formats = ctx.options.formats
    products: list[Product] = []
    if makes_screen_pdf(formats):
        screen = write_screen(book_pdf, ctx.template, ctx.options.cache_dir, ctx.options.templates, joiner)
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
    book = load_book(content, session.warm.loaded if session is not None else None)
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
