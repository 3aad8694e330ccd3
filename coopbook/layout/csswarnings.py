"""WeasyPrint's warnings as located problems: a CSS warning ("... at 26:1") names the stylesheet in templates/.

WeasyPrint logs what it ignores in a stylesheet (an unsupported selector, an unknown property) with the line
and column but not the file. The file is the one WeasyPrint's `CSS` object was being made from when it
logged, found on the call stack: a stylesheet read from a file, or a string rendered from a `*.css.j2`
template (recognised by its first line, a comment).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from ..errors import Location, Problem, display_path
from .part import STYLESHEETS

AT_LINE_COL = re.compile(r",? at (\d+):(\d+)")


class TemplateWarnings(logging.Handler):
    """A handler for the `weasyprint` logger: each warning (once per process) as a Problem, given to `sink`."""

    def __init__(self, templates: Path, sink: Callable[[Problem], None]) -> None:
        super().__init__(logging.WARNING)
        self.templates = templates
        self.sink = sink
        self.seen: set[Problem] = set()  # a stylesheet is read again by each layout worker: say it once
        self.deferred: Path | None = None  # templates whose stylesheets one layout worker reads (see below)
        self.left: frozenset[str] = frozenset()  # stylesheets whose warnings another process reports

    def emit(self, record: logging.LogRecord) -> None:
        """Turn the record into a located problem and pass it on."""
        try:
            source = stylesheet_source(sys._getframe())
            if source[0] is not None and os.path.realpath(source[0]) in self.left:
                return
            problem = weasyprint_problem(record.getMessage(), source, self.templates)
            if problem not in self.seen:
                self.seen.add(problem)
                self.sink(problem)
        except Exception:  # noqa: BLE001 - logging must never break the build
            self.handleError(record)


def read_stylesheets(templates: Path) -> None:
    """Read the PDF's stylesheets once here, so that a handler reports their warnings now, and only once:
    layout workers forked later inherit its record of what was said and read the same warnings again."""
    from weasyprint import CSS

    for name in STYLESHEETS:
        CSS(filename=str(templates / "css" / name))


def read_stylesheets_in_a_worker(templates: Path) -> None:
    """Leave the stylesheets to one layout worker (`worker_started`): it reads them as it starts, so
    their warnings are said once, and early, and this process need not import WeasyPrint before it forks."""
    for handler in _handlers():
        handler.deferred = templates
        handler.left = frozenset(os.path.realpath(templates / "css" / name) for name in STYLESHEETS)


def worker_started(reader: bool) -> None:
    """In a layout worker as it starts: one (the reader) reads the stylesheets left to it; the others leave their
    warnings to it (each reads the same stylesheets again for its layouts)."""
    for handler in _handlers():
        if handler.deferred is None:
            continue
        if reader:
            handler.left = frozenset()
            read_stylesheets(handler.deferred)
        handler.deferred = None


def _handlers() -> list[TemplateWarnings]:
    return [h for h in logging.getLogger("weasyprint").handlers if isinstance(h, TemplateWarnings)]


def stylesheet_source(frame: FrameType | None) -> tuple[str | None, str | None]:
    """The file name or the text of the WeasyPrint stylesheet being read further up the stack, if any."""
    from weasyprint import CSS  # imported already: WeasyPrint is logging

    while frame is not None:
        if frame.f_code.co_name == "__init__" and isinstance(frame.f_locals.get("self"), CSS):
            filename, string = frame.f_locals.get("filename"), frame.f_locals.get("string")
            return (str(filename) if filename else None, string if isinstance(string, str) else None)
        frame = frame.f_back
    return None, None


def weasyprint_problem(message: str, source: tuple[str | None, str | None], templates: Path) -> Problem:
    """The problem for one WeasyPrint message: at the stylesheet's line and column when it gives them."""
    filename, string = source
    path = Path(filename) if filename else _template_of(string, templates) if string else None
    found = AT_LINE_COL.search(message)
    text = AT_LINE_COL.sub("", message, count=1).rstrip(".") if found else message.rstrip(".")
    if path is None:
        return Problem(Location(display_path(templates)), f"WeasyPrint: {text}", severity="warning")
    line, col = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    return Problem(Location(display_path(path), line, col), f"WeasyPrint: {text}", severity="warning")


def _template_of(string: str, templates: Path) -> Path | None:
    """The `*.css.j2` template a generated stylesheet was rendered from (same first line), if any."""
    first = string.split("\n", 1)[0].strip()
    for template in sorted(templates.glob("**/*.css.j2")):
        if first and template.read_text("utf-8").split("\n", 1)[0].strip() == first:
            return template
    return None
