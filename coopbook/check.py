"""`coopbook check` and the build's validate stage: every content problem at once, found in one place.

`validate` runs after the build's own `load` and `render` stages and reuses their results: the schema
(`build.load`: book.yaml, interviews, registry) has passed; the index tagging's problems (unknown `ref=`
values, misused spans) come from the render stage. It adds the content lint (`lint.lint_book`), the
registry's coverage (`candidates.CandidateFinder`: text that looks like an index term but is not registered,
a warning) and `TODO` placeholders left by `coopbook new` (warnings). Problems found by line only get their
column here. `build` and `check` both call it, so they agree on what is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .candidates import CandidateFinder
from .content import Interview
from .errors import CoopbookError, Location, Problem, Problems, shorten
from .lint import lint_book
from .yamlsource import YamlDoc, YamlPath

if TYPE_CHECKING:
    from .build import Loaded

PLACEHOLDER = "TODO"
_PLACEHOLDER = re.compile(rf"\b{PLACEHOLDER}\b")


@dataclass(frozen=True)
class CheckReport:
    """What `coopbook check` found: how many interviews were read and every problem, sorted by place."""

    interviews: int
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that stop a build."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems worth a look that do not stop a build."""
        return tuple(p for p in self.problems if p.severity == "warning")

    def failed(self, strict: bool = False) -> bool:
        """True when the content has errors, or (strict) any warning."""
        return bool(self.errors) or (strict and bool(self.warnings))


def check_content(content: Path) -> CheckReport:
    """Run the build's load and render stages and validate their results, without laying anything out."""
    from .build import load, render  # the build's own stages; build.py imports validate from here

    try:
        loaded = load(content)
    except CoopbookError as exc:
        return CheckReport(0, _sorted(exc.problems))
    return validate(loaded, render(loaded).problems)


def validate(loaded: Loaded, tagging: Sequence[Problem]) -> CheckReport:
    """Validate stage: lint, the render stage's tagging problems, unregistered terms and placeholders."""
    by_line = [*tagging, *candidate_warnings(loaded)]
    problems = [*lint_book(loaded.book), *with_columns(loaded, by_line), *placeholder_warnings(loaded)]
    return CheckReport(len(loaded.book.interviews), _sorted(problems))


def candidate_warnings(loaded: Loaded) -> tuple[Problem, ...]:
    """Unknown acronyms and capitalised names, once per interview, at their first place."""
    finder = CandidateFinder(loaded.registry)
    problems = Problems()
    for interview in loaded.book.interviews:
        source = loaded.book.sources[interview.id]
        seen: set[str] = set()
        for ypath, text in markdown_fields(interview):
            where = source.where(ypath)
            for candidate in finder.find(text, where, block=source.is_block(ypath)):
                if candidate.text not in seen and candidate.text != PLACEHOLDER:
                    seen.add(candidate.text)
                    candidate.report(problems)
    return tuple(problems.items)


def placeholder_warnings(loaded: Loaded) -> tuple[Problem, ...]:
    """Every value still holding a TODO placeholder left by `coopbook new` or `coopbook import`."""
    problems = Problems()
    for interview in loaded.book.interviews:
        source = loaded.book.sources[interview.id]
        for ypath, text in _strings(source.data, ()):
            found = _PLACEHOLDER.search(text)
            if found:
                start = max(0, found.start() - 20)
                problems.warning(_where(source, ypath), "TODO placeholder not replaced yet",
                                 shorten(text[start:].strip(), 60))
    return tuple(problems.items)


def _strings(data: Any, ypath: YamlPath) -> Iterator[tuple[YamlPath, str]]:
    if isinstance(data, str):
        yield ypath, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*ypath, key))
    elif isinstance(data, list):
        for n, value in enumerate(data):
            yield from _strings(value, (*ypath, n))


def _where(source: YamlDoc, ypath: YamlPath) -> Location:
    """The value's location; for a block scalar, its first line of text rather than the `|` header."""
    where = source.where(ypath)
    return where.shifted(1) if source.is_block(ypath) and where.line else where


def with_columns(loaded: Loaded, problems: Sequence[Problem]) -> list[Problem]:
    """Add the column to problems located by line only, by finding their value on that line of the file."""
    files = {doc.path: loaded.book.root / "interviews" / f"{ident}.yaml" for ident, doc in loaded.book.sources.items()}
    lines: dict[str, list[str]] = {}
    result = []
    for problem in problems:
        loc = problem.location
        if loc.col or not loc.line or not problem.value or loc.path not in files:
            result.append(problem)
            continue
        if loc.path not in lines:
            try:
                lines[loc.path] = files[loc.path].read_text("utf-8").removeprefix("\ufeff").splitlines()
            except (OSError, UnicodeDecodeError):
                lines[loc.path] = []
        window = "\n".join(lines[loc.path][loc.line - 1:loc.line - 1 + COLUMN_WINDOW])
        found = _column(window, problem.value)
        if found is None:
            result.append(problem)
            continue
        down, col = found
        result.append(replace(problem, location=Location(loc.path, loc.line + down, col)))
    return result


COLUMN_WINDOW = 20  # lines searched from the reported one: a span's attributes may hide line breaks from it


def _column(text: str, value: str) -> tuple[int, int] | None:
    """Where value first is in text (as `ref=value`, `[value]` or its words, maybe across lines): lines down
    from the first line of text, and the 1-based column; None when it is not found."""
    words = r"\s+".join(re.escape(w) for w in value.split())
    if not words:
        return None
    for pattern in (rf"ref=[\"']?{words}\b", rf"\[{words}\]", rf"(?<!\w){words}(?!\w)"):
        found = re.search(pattern, text)
        if found:
            start = found.start()
            return text.count("\n", 0, start), start - (text.rfind("\n", 0, start) + 1) + 1
    return None


def markdown_fields(interview: Interview) -> Iterator[tuple[YamlPath, str]]:
    """The Markdown values of an interview that are tagged for the index: role, questions, answers, closing."""
    yield ("interviewee", "role"), interview.interviewee.role
    for n, question in enumerate(interview.questions):
        yield ("questions", n, "q"), question.q
        yield ("questions", n, "a"), question.a
    if interview.closing is not None:
        yield ("closing",), interview.closing


def _sorted(problems: tuple[Problem, ...] | list[Problem]) -> tuple[Problem, ...]:
    unique = dict.fromkeys(problems)
    return tuple(sorted(unique, key=lambda p: (p.location, p.severity, p.message)))
