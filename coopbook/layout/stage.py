"""The paginate stage: the body, the index with exact folios, the front matter, the page furniture.

Laid out through the part scheduler (coopbook.layout.scheduler) and its cache. The body can be started before
the build's validate stage (`start_body`), so that validate runs beside the layout of the stale interviews; a
part's layout facts reach this process before its PDF is written, so the index and the front matter are planned
meanwhile; the front matter is laid out beside the index (its contents need only where the index opens).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CoopbookError
from ..i18n import translations
from ..index.model import Index, build_index
from ..markdown.fragments import RenderedBook
from ..pdf.furniture import (
    Furniture,
    FurniturePlan,
    head_specs,
    likely_folio_specs,
    page_heads,
    page_kinds,
    plan_furniture,
    running_head,
)
from ..source.registry import Registry
from ..templating import TemplateContext
from .book import (
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
from .cache import PartCache
from .linestats import log_book_line_stats
from .part import PartResult, PartSpec, Style
from .scheduler import PartScheduler, Pool

if TYPE_CHECKING:
    from ..pipeline import BuildOptions

log = logging.getLogger(__name__)


def make_index(rendered: RenderedBook, registry: Registry, folios: Mapping[str, int] | None) -> Index:
    """Index stage: the sections book.yaml prints, with print folios when the layout is known."""
    titles = {item.interview.id: item.interview.short_title for item in rendered.interviews}
    config = rendered.book.config
    shown = registry.in_language(config.language)  # headings in the book's language
    return build_index(shown, rendered.mentions, config.print.indexes, folios, titles, config.language)


@dataclass(frozen=True)
class BodyPlan:
    """What the paginate stage lays out first: the interviews and their running heads, with the book's style."""

    style: Style
    blank: PartSpec
    specs: tuple[PartSpec, ...]
    heads: Mapping[str, str]  # each interview's running head, by part name
    head_pieces: tuple[PartSpec, ...]  # the running heads as page furniture (coopbook.pdf.furniture)

    @property
    def all_heads(self) -> list[str]:
        """The running heads in reading order."""
        return [self.heads[spec.name] for spec in self.specs]


@dataclass(frozen=True)
class Started:
    """A body whose stale parts were handed to the workers before validate, and the scheduler that has them."""

    plan: BodyPlan
    scheduler: PartScheduler


def plan_body(rendered: RenderedBook, context: TemplateContext, templates: Path,
              cache_dir: Path | None = None) -> BodyPlan:
    """The style (with the paragraph memo under cache_dir, if any), the blank verso, the parts and their heads."""
    specs = interview_specs(rendered, context, templates)
    heads = {spec.name: running_head(spec.html) for spec in specs}
    head_pieces = head_specs([heads[spec.name] for spec in specs], context.variables(), templates)
    style = book_style(context, templates, rendered, cache_dir)
    return BodyPlan(style, blank_spec(context, templates), tuple(specs), heads, tuple(head_pieces))


def start_body(rendered: RenderedBook, context: Callable[[], TemplateContext], options: BuildOptions,
               pool: Pool | None, stack: ExitStack) -> Started | None:
    """Hand the body's stale parts to the workers now, so that validate runs beside their layout.

    Only with worker processes (one process lays out in turn: validate first, as `check` would). Nothing is
    started when planning fails: its problem is reported in its turn, after validate's. If validate stops the
    build, the scheduler's exit stops the workers (a session's are started again by its next build).
    """
    if pool is None:
        return None
    try:
        plan = plan_body(rendered, context(), options.templates, options.cache_dir)
    except CoopbookError:
        return None
    scheduler = stack.enter_context(PartScheduler(plan.style, PartCache(options.cache_dir), plan.blank,
                                                  options.jobs, options.progress, pool))
    scheduler.start([*plan.specs, *plan.head_pieces])
    return Started(plan, scheduler)


def paginate(rendered: RenderedBook, registry: Registry, context: TemplateContext, options: BuildOptions,
             pool: Pool | None = None, started: Started | None = None,
             idle: Callable[[Sequence[PartResult]], bool] | None = None) -> BookPdf:
    """Paginate stage: the body, then the index with exact folios beside the front matter, then the furniture.

    The page furniture's pieces (coopbook.pdf.furniture) are laid out in the same maps over the workers: the
    heads with the body, the folios of the body with the index, any folios the index adds after it. The front
    matter's contents need only where the index opens, known from the body (checked against the laid-out
    index: were it wrong, the front matter would be laid out again with the right folio). `idle` is called
    while this process waits for the workers, with the parts whose PDFs have arrived (the scheduler's `idle`).
    """
    templates = options.templates
    with ExitStack() as stack:
        if started is None:
            plan = plan_body(rendered, context, templates, options.cache_dir)
            scheduler = stack.enter_context(PartScheduler(plan.style, PartCache(options.cache_dir), plan.blank,
                                                          options.jobs, options.progress, pool))
        else:
            plan, scheduler = started.plan, started.scheduler
        scheduler.idle = idle
        variables, heads, all_heads = context.variables(), plan.heads, plan.all_heads
        if started is not None:  # the folio pieces the body's cached parts reach, joined while its stale ones lay out
            scheduler.offer(likely_folio_specs(scheduler.cached_pages(plan.specs), variables, templates))
        body = scheduler.run(plan.specs, 1, also=plan.head_pieces, early=True)  # PDFs written meanwhile
        next_folio = body[-1].layout.first_folio + body[-1].layout.page_count if body else 1
        body_plan = furniture_plan(body, heads, all_heads, variables, templates)
        index = index_specs(make_index(rendered, registry, anchor_folios(body)), context, templates, options.cache_dir)
        index_opens = next_folio + 1 - next_folio % 2 if index else None  # the index opens on a recto
        expected = front_spec(rendered, contents_entries(rendered, body, templates,
                                                         index_entry(rendered, index_opens, templates)),
                              context, templates)
        scheduler.start([expected])  # first: the longest part of this map
        index_parts = scheduler.run(index, next_folio, run_on=True, also=body_plan.specs, early=True)  # in parallel
        contents = contents_entries(rendered, body, templates, index_contents(rendered, index_parts, templates))
        front_matter = front_spec(rendered, contents, context, templates)
        if front_matter != expected:
            log.debug("the index opens at another folio than expected: the front matter is laid out again")
        furniture = furniture_plan(body + index_parts, heads, all_heads, variables, templates)
        front = scheduler.run([front_matter], 1, recto=False, pad_end=True, also=furniture.specs)
        pieces = [*plan.head_pieces, *furniture.specs]
        laid = dict(zip((spec.name for spec in pieces), scheduler.lay_out(pieces), strict=True))
        body, index_parts = scheduler.complete(body), scheduler.complete(index_parts)
        cache = scheduler.cache
    log_book_line_stats([p.layout.lines for p in (*front, *body, *index_parts) if p.layout.kind != "blank"])
    plan_draws = furniture.draws
    furniture_laid = Furniture(laid, sum(p.layout.page_count for p in front), plan_draws) if plan_draws else None
    log.info("%d stale cache entries removed", cache.prune())
    specs = {(s.kind, s.name): s for s in (*plan.specs, front_matter, *index)}  # an interview may share a name
    parts = (*front, *body, *index_parts)
    return BookPdf(tuple(front), tuple(body + index_parts),
                   tuple(specs.get((p.layout.kind, p.layout.name), plan.blank) for p in parts), furniture_laid)


def furniture_plan(parts: Sequence[PartResult], heads: Mapping[str, str], all_heads: Sequence[str],
                   variables: Mapping[str, object], templates: Path) -> FurniturePlan:
    """The folio and head pieces the body and index pages draw (coopbook.pdf.furniture), from folio 1."""
    layouts = [p.layout for p in parts]
    return plan_furniture(page_kinds(layouts), page_heads(layouts, heads), all_heads, 1, variables, templates)


def index_contents(rendered: RenderedBook, index_parts: Sequence[PartResult], templates: Path) -> list[TocEntry]:
    """The contents line for the index (its sections are one entry: the PDF bookmarks and EPUB nav list them)."""
    folios = [part.layout.anchors["index"] for part in index_parts if "index" in part.layout.anchors]
    return index_entry(rendered, folios[0] if folios else None, templates)


def index_entry(rendered: RenderedBook, folio: int | None, templates: Path) -> list[TocEntry]:
    """The contents line for an index opening at folio (none without an index)."""
    title = translations(rendered.book.config.language, templates).gettext("Index")
    return [TocEntry(title, "index", str(folio))] if folio is not None else []
