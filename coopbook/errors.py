"""One family of errors, each problem tied to a place in the content and the value at fault."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file: path, 1-based line and column (0 when unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path

    def shifted(self, lines: int) -> Location:
        """Return the location `lines` further down the same file (column unknown)."""
        return Location(self.path, self.line + lines, 0 if lines else self.col)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, said once, with where it is and what is at fault."""

    location: Location
    message: str
    value: str | None = None
    hint: str | None = None
    severity: Severity = "error"

    def format(self) -> str:
        """Render as `path:line:col: error: message (value)` plus an optional hint, always on one line."""
        text = f"{printable(str(self.location))}: {self.severity}: {shorten(self.message, MESSAGE_LIMIT)}"
        if self.value:
            text += f" ({shorten(self.value)})"
        if self.hint:
            text += f"; {shorten(self.hint, MESSAGE_LIMIT)}"
        return text


MESSAGE_LIMIT = 300  # messages and hints may quote input (an unknown key): keep them to one readable line


def printable(value: str) -> str:
    """Escape line breaks and other control characters so that text stays on one line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value)


def shorten(value: str, limit: int = 80) -> str:
    """Make a value printable on one line: escape controls, cut long strings."""
    text = printable(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


REPEAT_LIMIT = 20  # then one line for the rest: 300,000 YAML aliases must not print 300,000 lines


def capped(problems: Sequence[Problem], limit: int = REPEAT_LIMIT) -> list[Problem]:
    """The problems to print: at most `limit` with the same message in a file, then '… and N more like this'."""
    totals = Counter((p.location.path, p.severity, p.message) for p in problems)
    shown: Counter[tuple[str, str, str]] = Counter()
    result = []
    for problem in problems:
        key = (problem.location.path, problem.severity, problem.message)
        shown[key] += 1
        if shown[key] <= limit:
            result.append(problem)
        if shown[key] == limit and totals[key] > limit:
            result.append(Problem(Location(problem.location.path), f"… and {totals[key] - limit:,} more like this",
                                  problem.message, severity=problem.severity))
    return result


class CoopbookError(Exception):
    """Raised when a phase found problems; carries every problem of that phase."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=_problem_key))
        super().__init__("\n".join(p.format() for p in capped(self.problems)))


class ContentError(CoopbookError):
    """The content (book.yaml, interviews, registry, Markdown) is not valid."""


class BuildError(CoopbookError):
    """The build could not produce its outputs (rendering, writing)."""


class EnvironmentProblem(CoopbookError):
    """The machine would not let the build read or write a file (a full disk, a read-only folder): not the content."""


def _problem_key(problem: Problem) -> tuple[str, int, int, str, str]:
    loc = problem.location
    return (loc.path, loc.line, loc.col, problem.severity, problem.message)


class Problems:
    """Collects the problems of one phase so they can all be reported at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, location: Location, message: str, value: str | None = None, hint: str | None = None) -> None:
        """Record an error."""
        self.items.append(Problem(location, message, value, hint, "error"))

    def warning(self, location: Location, message: str, value: str | None = None, hint: str | None = None) -> None:
        """Record a warning."""
        self.items.append(Problem(location, message, value, hint, "warning"))

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add problems found elsewhere."""
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity error."""
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems of severity warning."""
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self, kind: type[CoopbookError] = ContentError) -> None:
        """Stop the phase once, with every error found so far."""
        if self.errors:
            raise kind(self.errors)


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the user should read it: relative to root (or the cwd) when possible."""
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)
