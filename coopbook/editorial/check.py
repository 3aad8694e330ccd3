"""`coopbook check` and the build's validate stage: every content problem at once, found in one place.

`validate` runs after the build's own `load` and `render` stages and reuses their results: the schema
(`pipeline.load`: book.yaml, interviews, registry) has passed; the index tagging's problems (unknown `ref=`
values, misused spans) come from the render stage. It adds the content lint (`lint.lint_book`), the
registry's coverage (`candidates.CandidateFinder`: text that looks like an index term but is not registered,
a warning) and `TODO` placeholders left by `coopbook new` (warnings). Problems found by line only get their
column here. `build` and `check` both call it, so they agree on what is an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import CoopbookError, Location, Problem, Problems, shorten
from ..fsutil import atomic_write
from ..i18n import language_warnings
from ..layout.cache import KEEP_SECONDS
from ..markdown.fields import markdown_fields
from ..source.book import Interview
from ..source.collisions import book_collisions, book_languages
from ..source.languages import base_language
from ..source.yamlreader import YamlDoc, YamlPath, is_dropping, string_values
from .candidates import CandidateFinder
from .fontcoverage import glyph_warnings
from .lint import anchor_ids, lint_book

if TYPE_CHECKING:
    from ..pipeline import Loaded

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
    from ..pipeline import load, render  # the build's own stages; pipeline.py imports validate from here

    try:
        loaded = load(content)
    except CoopbookError as exc:
        return CheckReport(0, _sorted(exc.problems))
    return validate(loaded, render(loaded, ("pdf",)).problems)  # one target's fragments: the same problems


def validate(loaded: Loaded, tagging: Sequence[Problem], cache_dir: Path | None = None) -> CheckReport:
    """Validate stage: lint, the render stage's tagging problems, unregistered terms and placeholders.

    With a cache folder, each interview's own findings are kept under a key of everything they depend on (its
    file, the registry's terms, the book's link targets and images, coopbook's code): a rebuild after a
    correction validates only the interview that changed.
    """
    cache = ValidateCache(cache_dir, loaded) if cache_dir is not None else None
    found = {i.id: cache.get(i.id) if cache is not None else None for i in loaded.book.interviews}
    todo = [i for i in loaded.book.interviews if found[i.id] is None]
    if todo:
        fresh = interview_findings(loaded, todo)
        for interview in todo:
            found[interview.id] = fresh[interview.id]
            if cache is not None:
                cache.put(interview.id, fresh[interview.id])
    if cache is not None:
        cache.prune()
    own = [f for f in found.values() if f is not None]
    by_line = [*tagging, *(p for f in own for p in f.by_line)]
    problems = [*(p for f in own for p in f.located), *with_columns(loaded, by_line), *glyph_warnings(loaded.book),
                *language_warnings(loaded.book), *book_collisions(loaded.registry, loaded.book)]
    return CheckReport(len(loaded.book.interviews), _sorted(problems))


@dataclass(frozen=True)
class Findings:
    """One interview's own problems: those located exactly, and those located by line (columns added later)."""

    located: tuple[Problem, ...]
    by_line: tuple[Problem, ...]


def interview_findings(loaded: Loaded, interviews: Sequence[Interview]) -> dict[str, Findings]:
    """Lint, unregistered terms and placeholders of some interviews of the book, by interview id."""
    ids = {loaded.book.sources[i.id].path: i.id for i in interviews}
    located: dict[str, list[Problem]] = {i.id: [] for i in interviews}
    by_line: dict[str, list[Problem]] = {i.id: [] for i in interviews}
    first = interviews[0].id
    for problem in (*lint_book(loaded.book, interviews), *placeholder_warnings(loaded, interviews)):
        located[ids.get(problem.location.path, first)].append(problem)
    for problem in candidate_warnings(loaded, interviews):
        by_line[ids.get(problem.location.path, first)].append(problem)
    return {i.id: Findings(tuple(located[i.id]), tuple(by_line[i.id])) for i in interviews}


class ValidateCache:
    """Each interview's findings on disk (<cache>/validate/<key>.json), keyed by all they depend on."""

    def __init__(self, cache_dir: Path, loaded: Loaded) -> None:
        self.folder = cache_dir / "validate"
        self.loaded = loaded
        book = loaded.book
        digest = hashlib.sha256(f"{__version__}\0".encode())
        package = Path(__file__).resolve().parents[1]
        for code in sorted(package.rglob("*.py")):  # the rules: any change to coopbook's code, in any package
            digest.update(str(code.relative_to(package)).encode() + b"\0" + code.read_bytes())
        for language in book_languages(book):  # the strings each interview's language knows (pycountry's too)
            digest.update(repr((language, sorted(loaded.registry.known_terms(language)))).encode())
        digest.update(repr((sorted(loaded.registry.known_terms()), sorted(loaded.registry.ignore))).encode())
        digest.update("\0".join(sorted(anchor_ids(book))).encode())
        images = book.root / "images"
        for path in sorted(images.rglob("*")) if images.is_dir() else []:
            try:
                stat = path.stat()
            except OSError:  # a dangling link (an editor's lock file) or a file just removed
                continue
            if path.is_file() and not is_dropping(path.name):
                digest.update(f"{path.relative_to(images)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        self.context = digest.hexdigest()

    def _path(self, interview_id: str) -> Path | None:
        doc = self.loaded.book.sources[interview_id]
        try:
            text = (self.loaded.book.root / "interviews" / f"{interview_id}.yaml").read_bytes()
        except OSError:
            return None
        key = hashlib.sha256(f"{self.context}\0{doc.path}\0".encode() + text).hexdigest()
        return self.folder / f"{key}.json"

    def get(self, interview_id: str) -> Findings | None:
        """The cached findings of an interview, or None."""
        path = self._path(interview_id)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text("utf-8"))
            findings = Findings(*(tuple(_problem(p) for p in data[part]) for part in ("located", "by_line")))
            os.utime(path)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return findings

    def put(self, interview_id: str, findings: Findings) -> None:
        """Keep an interview's findings for the next build."""
        path = self._path(interview_id)
        if path is not None:
            data = {part: [_record(p) for p in getattr(findings, part)] for part in ("located", "by_line")}
            atomic_write(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))


    def prune(self, keep_seconds: float = KEEP_SECONDS) -> None:
        """Remove the entries no build used for keep_seconds (as the part cache does)."""
        limit = time.time() - keep_seconds
        for path in self.folder.glob("*.json"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink(missing_ok=True)
            except OSError:
                continue


def _record(problem: Problem) -> dict[str, Any]:
    loc = problem.location
    return {"path": loc.path, "line": loc.line, "col": loc.col, "message": problem.message, "value": problem.value,
            "hint": problem.hint, "severity": problem.severity}


def _problem(record: dict[str, Any]) -> Problem:
    return Problem(Location(record["path"], record["line"], record["col"]), record["message"], record["value"],
                   record["hint"], record["severity"])


def candidate_warnings(loaded: Loaded, interviews: Sequence[Interview] | None = None) -> tuple[Problem, ...]:
    """Unknown acronyms and capitalised names, once per interview, at their first place."""
    finders: dict[str, CandidateFinder] = {}  # one per language: what is known there
    problems = Problems()
    for interview in loaded.book.interviews if interviews is None else interviews:
        language = base_language(interview.language_of(loaded.book.config.language))
        if language not in finders:
            finders[language] = CandidateFinder(loaded.registry, language)
        finder = finders[language]
        source = loaded.book.sources[interview.id]
        seen: set[str] = set()
        for ypath, text in markdown_fields(interview):
            where = source.where(ypath)
            for candidate in finder.find(text, where, block=source.is_block(ypath)):
                if candidate.text not in seen and candidate.text != PLACEHOLDER:
                    seen.add(candidate.text)
                    candidate.report(problems)
    return tuple(problems.items)


def placeholder_warnings(loaded: Loaded, interviews: Sequence[Interview] | None = None) -> tuple[Problem, ...]:
    """Every value still holding a TODO placeholder left by `coopbook new` or `coopbook import`."""
    problems = Problems()
    for interview in loaded.book.interviews if interviews is None else interviews:
        source = loaded.book.sources[interview.id]
        for ypath, text in string_values(source.data, ()):
            found = _PLACEHOLDER.search(text)
            if found:
                start = max(0, found.start() - 20)
                problems.warning(_where(source, ypath), "TODO placeholder not replaced yet",
                                 shorten(text[start:].strip(), 60))
    return tuple(problems.items)


def _where(source: YamlDoc, ypath: YamlPath) -> Location:
    """The value's location; for a block scalar, its first line of text rather than the `|` header."""
    where = source.where(ypath)
    return where.shifted(1) if source.is_block(ypath) and where.line else where


def with_columns(loaded: Loaded, problems: Sequence[Problem]) -> list[Problem]:
    """Add the column to problems located by line only, by finding their value on that line of the file."""
    docs = {doc.path: doc for doc in loaded.book.sources.values()}
    lines: dict[str, list[str]] = {}
    result = []
    for problem in problems:
        loc = problem.location
        if loc.col or not loc.line or not problem.value or loc.path not in docs:
            result.append(problem)
            continue
        if loc.path not in lines:
            lines[loc.path] = docs[loc.path].source.splitlines()
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


def _sorted(problems: tuple[Problem, ...] | list[Problem]) -> tuple[Problem, ...]:
    unique = dict.fromkeys(problems)
    return tuple(sorted(unique, key=lambda p: (p.location, p.severity, p.message)))
