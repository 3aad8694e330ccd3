"""The coopbook command line: build, check, index, import, new, watch. Maps errors to exit statuses (status.py).

Each command imports what it runs when it runs (`--version` and `--help` import no pipeline; `build` imports
WeasyPrint only in its layout workers, or when it lays out a part itself), so the workers start early.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import __version__
from ..errors import (
    ContentError,
    CoopbookError,
    EnvironmentProblem,
    Location,
    Problem,
    Problems,
    display_path,
)
from ..formats import FORMATS, Format
from .reporting import out_console, plural, print_rebuild, problem_counts, report, report_wait
from .status import ExitStatus, Terminated, exit_statuses_help

if TYPE_CHECKING:
    from ..editorial.importer import ImportResult

EXIT_CODES = exit_statuses_help()


class Context:
    """Options shared by every command."""

    def __init__(self, content: Path, out: Path, debug: bool) -> None:
        self.content = content
        self.out = out
        self.debug = debug


def run_guarded(ctx: Context, action: Callable[[], ExitStatus], *, wrote: bool = True) -> None:
    """Run a command body; coopbook errors become messages and exit 1 (4: a file the machine refused), others 3."""
    try:
        code = action()
    except EnvironmentProblem as exc:
        report(exc.problems)
        sys.exit(ExitStatus.ENVIRONMENT)
    except CoopbookError as exc:
        report(exc.problems)
        print(f"{problem_counts(exc.problems)}{'; nothing was written.' if wrote else '.'}", file=sys.stderr)
        sys.exit(ExitStatus.CONTENT)
    except KeyboardInterrupt as stop:
        sys.exit(stopped(stop))
    except BrokenPipeError:  # `coopbook build | head -1`: the reader went away; the work itself is not at fault
        quiet_stdout()
        sys.exit(ExitStatus.CLOSED_PIPE)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback without --debug
        if ctx.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        sys.exit(ExitStatus.INTERNAL)
    sys.exit(code)


def stopped(stop: KeyboardInterrupt) -> ExitStatus:
    """Say that a command was stopped (Ctrl-C, or SIGTERM: `Terminated`), and how it ends."""
    if isinstance(stop, Terminated):
        print("stopped by SIGTERM; the previous outputs are untouched.", file=sys.stderr)
        return ExitStatus.TERMINATED
    print("interrupted; the previous outputs are untouched.", file=sys.stderr)
    return ExitStatus.INTERRUPTED


def quiet_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit does not fail again on a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def chosen_formats(formats: Sequence[str]) -> tuple[Format, ...]:
    """The formats named on the command line, in build order ('all' for every one)."""
    return FORMATS if "all" in formats else tuple(f for f in FORMATS if f in formats)


def require_book(ctx: Context) -> None:
    """Stop with a located error when the content folder has no book.yaml (a wrong --content)."""
    book_yaml = ctx.content / "book.yaml"
    if not book_yaml.is_file():
        raise ContentError([Problem(Location(display_path(book_yaml)), "book.yaml is missing",
                                    hint="run from the book's folder or pass --content DIR")])


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.option("--content", type=click.Path(path_type=Path, file_okay=False), default=Path("content"),
              show_default=True, help="The book's content folder.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("build"), show_default=True,
              help="Where outputs go.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.version_option(__version__, prog_name="coopbook")
@click.pass_context
def main(click_ctx: click.Context, content: Path, out: Path, debug: bool) -> None:
    """coopbook: build the anthology's PDF and EPUB from content/."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("fontTools").setLevel(logging.DEBUG if debug else logging.ERROR)
    try:
        show_weasyprint_warnings(debug)  # its imports take a few tenths of a second
    except KeyboardInterrupt as stop:  # said as a command says it (click would say "Aborted!" and exit 1)
        sys.exit(stopped(stop))
    logging.getLogger("markdown_it").setLevel(logging.INFO)  # its DEBUG level traces every block rule
    click_ctx.obj = Context(content, out, debug)


def show_weasyprint_warnings(debug: bool) -> None:
    """WeasyPrint's warnings (about our templates and CSS) as located lines; with --debug, its raw log."""
    from ..layout.csswarnings import TemplateWarnings  # no WeasyPrint: only a handler for its logger
    from ..templating import TEMPLATES

    weasyprint = logging.getLogger("weasyprint")
    for handler in [h for h in weasyprint.handlers if isinstance(h, TemplateWarnings)]:
        weasyprint.removeHandler(handler)
    weasyprint.setLevel(logging.DEBUG if debug else logging.WARNING)
    weasyprint.propagate = debug
    if not debug:
        weasyprint.addHandler(TemplateWarnings(TEMPLATES, lambda problem: report([problem])))


def stylesheet_warnings(templates: Path, jobs: int) -> None:
    """Say the PDF stylesheets' warnings once: read here with one job, else by one layout worker as it starts
    (this process forks its workers before it imports WeasyPrint)."""
    from ..layout.csswarnings import read_stylesheets, read_stylesheets_in_a_worker

    (read_stylesheets_in_a_worker if jobs > 1 else read_stylesheets)(templates)


FORMAT_OPTION = click.option(
    "--format", "formats", type=click.Choice([*FORMATS, "all"]), multiple=True, show_default=True,
    help="What to make (repeatable): pdf (screen), print (trim, bleed, marks), epub, or all.")


@main.command("build", epilog=EXIT_CODES)
@FORMAT_OPTION
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for layout (default: every core).")
@click.option("--no-cache", is_flag=True, help="Lay out every part again (the cache is neither read nor written).")
@click.option("--strict", is_flag=True, help="Fail on warnings too (as check --strict).")
@click.pass_obj
def build_command(ctx: Context, formats: tuple[str, ...], jobs: int | None, no_cache: bool, strict: bool) -> None:
    """Build the book's outputs into the output folder (default: all formats); report what check reports."""

    def action() -> ExitStatus:
        from ..pipeline import BuildOptions, build
        from ..templating import TEMPLATES
        from .progress import BuildProgress

        started = time.perf_counter()
        live = out_console.is_terminal and not os.environ.get("CI")
        warnings: list[Problem] = []  # printed once the progress bar is gone
        workers = jobs or os.cpu_count() or 1
        stylesheet_warnings(TEMPLATES, workers)
        with BuildProgress(out_console, live) as progress:
            options = BuildOptions(ctx.content, ctx.out, chosen_formats(formats or ("all",)),
                                   jobs=workers, cache=not no_cache, progress=progress,
                                   strict=strict, on_warnings=warnings.extend, on_wait=report_wait)
            outputs = build(options)
        report(warnings)
        print(progress.summary())
        for output in outputs:
            pages = f", {output.pages} pages" if output.pages else ""
            print(f"wrote {output.path} ({output.size:,} bytes{pages})")
        print(f"done in {time.perf_counter() - started:.1f} s")
        return ExitStatus.OK

    run_guarded(ctx, action)


@main.command("check", epilog=EXIT_CODES)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.pass_obj
def check_command(ctx: Context, strict: bool) -> None:
    """Validate the content without building; report every problem at once, then a summary line."""

    def action() -> ExitStatus:
        from ..editorial.check import check_content

        result = check_content(ctx.content)
        report(result.problems)
        read = f"{plural(result.interviews, 'interview')}; " if result.interviews else ""
        summary = f"{plural(len(result.errors), 'error')}, {plural(len(result.warnings), 'warning')}"
        note = " (--strict: warnings fail the check)" if strict and result.warnings and not result.errors else ""
        print(f"{display_path(ctx.content)}: {read}{summary}{note}")
        return ExitStatus.CONTENT if result.failed(strict) else ExitStatus.OK

    run_guarded(ctx, action, wrote=False)


@main.command("index", epilog=EXIT_CODES)
@click.option("--pages", is_flag=True, help="Give print page numbers (lays the book out: a few seconds) "
              "instead of the interviews where each entry is mentioned.")
@click.pass_obj
def index_command(ctx: Context, pages: bool) -> None:
    """Print the back-of-book index as text."""

    def action() -> ExitStatus:
        from ..index.model import index_as_text
        from ..markdown.fragments import render_book
        from ..pipeline import BuildOptions, load, make_index, paginate, template_context

        loaded = load(ctx.content)
        rendered = render_book(loaded.book, "pdf", loaded.registry)
        folios = None
        if pages:
            options = BuildOptions(ctx.content, ctx.out, ("pdf",), cache=False)  # read-only: no cache written
            folios = paginate(rendered, loaded.registry, template_context(loaded.book), options).anchor_folios
        sys.stdout.write(index_as_text(make_index(rendered, loaded.registry, folios)))
        return ExitStatus.OK

    run_guarded(ctx, action, wrote=False)


@main.command("import", epilog=EXIT_CODES)
@click.argument("article", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite the interview file if it exists.")
@click.option("--add", is_flag=True, help="Also add the new interview's id to order in book.yaml.")
@click.pass_obj
def import_command(ctx: Context, article: Path, force: bool, add: bool) -> None:
    """Draft content/interviews/<id>.yaml from a plain-text interview article (ARTICLE.txt)."""

    def action() -> ExitStatus:
        from ..editorial.importer import import_article, write_import
        from ..source.yamlreader import read_text

        require_book(ctx)
        problems = Problems()
        shown = display_path(article)
        text = read_text(article, shown, problems)
        problems.raise_if_errors()
        assert text is not None
        result = import_article(text, shown)
        report(import_warnings(result, shown))
        path = write_import(result, ctx.content / "interviews", force)
        print(f"wrote {display_path(path)}: check every field against the article, then run coopbook check")
        order_step(ctx, result.interview_id, add)
        return ExitStatus.OK

    run_guarded(ctx, action)


def import_warnings(result: ImportResult, shown: str) -> list[Problem]:
    """The importer's warnings, plus one per article line it could not place in the draft."""
    problems = list(result.problems)
    lines_with_problems = {p.location.line for p in problems}
    for item in result.unplaced:
        line, _, text = item.removeprefix(f"{shown}:").partition(": ")
        number = int(line) if line.isdigit() else 0
        if number and number in lines_with_problems:
            continue
        problems.append(Problem(Location(shown, number), "line not placed in the draft", text,
                                "copy it into the interview by hand if it belongs there", "warning"))
    return sorted(problems, key=lambda p: (p.location, p.message))


@main.command("new", epilog=EXIT_CODES)
@click.argument("name")
@click.option("--add", is_flag=True, help="Also add the new interview's id to order in book.yaml.")
@click.pass_obj
def new_command(ctx: Context, name: str, add: bool) -> None:
    """Start content/interviews/<id>.yaml for the interviewee NAME, from the template, dated today."""

    def action() -> ExitStatus:
        from ..editorial.scaffold import new_interview

        require_book(ctx)
        path = new_interview(ctx.content, name, today=dt.date.today())
        print(f"wrote {display_path(path)}: replace every TODO, then run coopbook check")
        order_step(ctx, path.stem, add)
        return ExitStatus.OK

    run_guarded(ctx, action)


def order_step(ctx: Context, interview_id: str, add: bool) -> None:
    """Add the id to book.yaml's order (with --add), or remind the editor to do it."""
    from ..editorial.scaffold import add_to_order
    from ..source.yamlreader import load_yaml

    book_yaml = ctx.content / "book.yaml"
    shown = display_path(book_yaml)
    doc = load_yaml(book_yaml, shown, Problems())
    order = doc.data.get("order") if doc is not None and isinstance(doc.data, dict) else None
    if not isinstance(order, list):
        return  # no order list: interviews are read in file name order
    if interview_id in order:
        print(f"{interview_id} is already in order in {shown}")
    elif not add:
        print(f"next: add {interview_id} to order in {shown} (or rerun with --add)")
    elif add_to_order(book_yaml, interview_id):
        print(f"added {interview_id} to the end of order in {shown}")
    else:
        print(f"could not edit {shown}: add {interview_id} to order by hand")


@main.command("watch", epilog=EXIT_CODES)
@FORMAT_OPTION
@click.pass_obj
def watch_command(ctx: Context, formats: tuple[str, ...]) -> None:
    """Build, then rebuild whenever content/ or templates/ change (default: the screen PDF); Ctrl-C stops."""

    def action() -> ExitStatus:
        from ..editorial.watch import watch
        from ..pipeline import BuildOptions

        if not ctx.content.is_dir():
            raise ContentError([Problem(Location(display_path(ctx.content)), "content folder not found",
                                        hint="run from the book's folder or pass --content DIR")])
        options = BuildOptions(ctx.content, ctx.out, chosen_formats(formats or ("pdf",)), on_wait=report_wait)
        print(f"watching {display_path(options.content)} and {display_path(options.templates)}; "
              "Ctrl-C to stop", flush=True)
        stylesheet_warnings(options.templates, options.jobs)
        try:
            watch(options, print_rebuild, debug=ctx.debug)
        except KeyboardInterrupt:
            print("stopped watching")
        return ExitStatus.OK

    run_guarded(ctx, action, wrote=False)
