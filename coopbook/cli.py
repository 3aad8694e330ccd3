"""The coopbook command line: build, check (and the editors' commands). Maps errors to exit codes.

Exit codes: 0 success; 1 the content has errors (or warnings with --strict); 2 wrong usage; 3 internal error.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console

from . import __version__
from .build import FORMATS, BuildOptions, build
from .content import load_book
from .errors import CoopbookError, Problem

EXIT_CONTENT = 1
EXIT_INTERNAL = 3

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False, soft_wrap=True)

_STYLE = {"error": "bold red", "warning": "yellow"}


def report(problems: tuple[Problem, ...] | list[Problem]) -> None:
    """Print problems one per line: `path:line:col: error: message (value)`, coloured on a terminal."""
    for problem in problems:
        line = problem.format()
        location, _, rest = line.partition(f": {problem.severity}: ")
        err_console.print(f"{location}: [{_STYLE[problem.severity]}]{problem.severity}[/]: {rest}", markup=True,
                          emoji=False) if err_console.is_terminal else print(line, file=sys.stderr)


class Context:
    """Options shared by every command."""

    def __init__(self, content: Path, out: Path, debug: bool) -> None:
        self.content = content
        self.out = out
        self.debug = debug


def run_guarded(ctx: Context, action: Callable[[], int]) -> None:
    """Run a command body; turn coopbook errors into messages and exit 1, anything else into exit 3."""
    try:
        code = action()
    except CoopbookError as exc:
        report(exc.problems)
        errors = sum(1 for p in exc.problems if p.severity == "error")
        print(f"{errors} error{'s' if errors != 1 else ''}; nothing was written.", file=sys.stderr)
        sys.exit(EXIT_CONTENT)
    except KeyboardInterrupt:
        print("interrupted; the previous outputs are untouched.", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback without --debug
        if ctx.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=__doc__.split("\n\n", 1)[1])
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
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.ERROR)
    click_ctx.obj = Context(content, out, debug)


@main.command("build")
@click.option("--format", "formats", type=click.Choice([*FORMATS, "all"]), multiple=True, default=("all",),
              show_default=True, help="What to make (repeatable): pdf (screen), print (trim, bleed, marks), epub.")
@click.pass_obj
def build_command(ctx: Context, formats: tuple[str, ...]) -> None:
    """Build the book's outputs into the output folder."""

    def action() -> int:
        chosen = FORMATS if "all" in formats else tuple(f for f in FORMATS if f in formats)
        started = time.perf_counter()
        outputs = build(BuildOptions(ctx.content, ctx.out, chosen))  # type: ignore[arg-type]
        for output in outputs:
            pages = f", {output.pages} pages" if output.pages else ""
            print(f"wrote {output.path} ({output.size:,} bytes{pages})")
        print(f"done in {time.perf_counter() - started:.1f} s")
        return 0

    run_guarded(ctx, action)


@main.command("check")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.pass_obj
def check_command(ctx: Context, strict: bool) -> None:
    """Validate the content without building; report every problem at once."""

    def action() -> int:
        book = load_book(ctx.content)
        print(f"{ctx.content}: {len(book.interviews)} interview(s), no errors.")
        return 0

    run_guarded(ctx, action)
