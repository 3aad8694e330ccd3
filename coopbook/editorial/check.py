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
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CoopbookError, Location, Problem, Problems, shorten
from ..i18n import language_warnings
from ..interviewcache import (
    EntryStore,
    Memos,
    code_digest,
    digest,
    folder_stamp,
    problem_from_record,
    problem_record,
)
from ..markdown.fields import markdown_fields
from ..records import fields, items
from ..records import text as as_text
from ..source.book import Interview
from ..source.collisions import book_collisions, book_languages
from ..source.languages import base_language
from ..source.yamlreader import YamlDoc, YamlPath, is_dropping, string_values
from ..templating import TEMPLATES
from .candidates import CandidateFinder
from .fontcoverage import glyph_warnings, kept_coverage
from .lint import ParsedFields, anchor_ids, interview_ids, introduction_problems, lint_book, parse_fields

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


def validate(loaded: Loaded, tagging: Sequence[Problem], cache_dir: Path | None = None,
             memo: Memos | None = None) -> CheckReport:
    """Validate stage: lint, the render stage's tagging problems, unregistered terms and placeholders.

    With a cache folder, each interview's own findings are kept under a key of everything they depend on (its
    file, the registry's terms, the book's link targets and images, coopbook's code), and so are the link
    targets each interview gives: a rebuild after a correction reads only the interview that changed. A watch
    session's memo keeps both in memory too.
    """
    cache = ValidateCache(cache_dir, loaded, memo) if cache_dir is not None else None
    parsed = None if cache is not None else parse_fields(loaded.book, loaded.book.interviews)  # parsed once
    ids = cache.ids if cache is not None else anchor_ids(loaded.book, parsed)
    found = {i.id: cache.get(i.id) if cache is not None else None for i in loaded.book.interviews}
    todo = [i for i in loaded.book.interviews if found[i.id] is None]
    covered = kept_coverage(cache_dir)
    if todo:
        fresh = interview_findings(loaded, todo, ids, parsed, covered)
        for interview in todo:
            found[interview.id] = fresh[interview.id]
            if cache is not None:
                cache.put(interview.id, fresh[interview.id])
    if cache is not None:
        cache.prune()
    own = [f for f in found.values() if f is not None]
    by_line = [*tagging, *(p for f in own for p in f.by_line)]
    problems = [*(p for f in own for p in f.located), *introduction_problems(loaded.book, ids),
                *with_columns(loaded, by_line), *glyph_warnings(loaded.book, docs=config_doc(loaded), covered=covered),
                *language_warnings(loaded.book),
                *book_collisions(loaded.registry, loaded.book)]
    return CheckReport(len(loaded.book.interviews), _sorted(problems))


def config_doc(loaded: Loaded) -> list[YamlDoc]:
    """book.yaml's document, when it was read (checked on every build: it is no interview's finding)."""
    return [loaded.book.config_source] if loaded.book.config_source is not None else []


@dataclass(frozen=True)
class Findings:
    """One interview's own problems: those located exactly, and those located by line (columns added later)."""

    located: tuple[Problem, ...]
    by_line: tuple[Problem, ...]


def interview_findings(loaded: Loaded, interviews: Sequence[Interview], ids: frozenset[str] | None = None,
                       parsed: ParsedFields | None = None, covered: frozenset[int] | None = None
                       ) -> dict[str, Findings]:
    """Lint, unregistered terms, placeholders and characters no font has, of some interviews of the book, by
    interview id (ids: the book's link targets, parsed: the interviews' parsed values, covered: the characters
    the fonts have, when known)."""
    ids_of = {loaded.book.sources[i.id].path: i.id for i in interviews}
    located: dict[str, list[Problem]] = {i.id: [] for i in interviews}
    by_line: dict[str, list[Problem]] = {i.id: [] for i in interviews}
    first = interviews[0].id
    docs = [loaded.book.sources[i.id] for i in interviews]
    for problem in (*lint_book(loaded.book, interviews, ids, parsed), *placeholder_warnings(loaded, interviews),
                    *glyph_warnings(loaded.book, docs=docs, covered=covered)):
        located[ids_of.get(problem.location.path, first)].append(problem)
    for problem in candidate_warnings(loaded, interviews):
        by_line[ids_of.get(problem.location.path, first)].append(problem)
    return {i.id: Findings(tuple(located[i.id]), tuple(by_line[i.id])) for i in interviews}


class ValidateCache:
    """Each interview's findings and link targets on disk (coopbook.interviewcache, kinds `validate` and `ids`),
    keyed by all they depend on; a session's memo in front of both."""

    def __init__(self, cache_dir: Path, loaded: Loaded, memo: Memos | None = None) -> None:
        self.loaded = loaded
        self.findings = EntryStore(cache_dir, "validate", memo.setdefault("validate", {}) if memo is not None else None)
        self.targets = EntryStore(cache_dir, "ids", memo.setdefault("ids", {}) if memo is not None else None)
        book = loaded.book
        code = code_digest()
        self.ids = anchor_ids(book, known={i.id: self._interview_ids(code, i) for i in book.interviews})
        context = hashlib.sha256(code.encode())
        for language in book_languages(book):  # the strings each interview's language knows (pycountry's too)
            context.update(repr((language, sorted(loaded.registry.known_terms(language)))).encode())
        context.update(repr((sorted(loaded.registry.known_terms()), sorted(loaded.registry.ignore))).encode())
        context.update("\0".join(sorted(self.ids)).encode())
        context.update(folder_stamp(TEMPLATES / "fonts").encode())  # the characters they have (fontcoverage)
        images = book.root / "images"
        for path in sorted(images.rglob("*")) if images.is_dir() else []:
            try:
                stat = path.stat()
            except OSError:  # a dangling link (an editor's lock file) or a file just removed
                continue
            if path.is_file() and not is_dropping(path.name):
                context.update(f"{path.relative_to(images)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        self.context = context.hexdigest()

    def _interview_ids(self, code: str, interview: Interview) -> frozenset[str]:
        doc = self.loaded.book.sources[interview.id]
        key = digest("ids", code, interview.id, doc.path, doc.source)
        ids = self.targets.get(key, _ids)
        if ids is None:
            ids = interview_ids(self.loaded.book, interview)
            self.targets.put(key, {"ids": sorted(ids)}, ids)
        return ids

    def _key(self, interview_id: str) -> str:
        doc = self.loaded.book.sources[interview_id]
        return digest("validate", self.context, interview_id, doc.path, doc.source)

    def get(self, interview_id: str) -> Findings | None:
        """The cached findings of an interview, or None."""
        return self.findings.get(self._key(interview_id), _findings)

    def put(self, interview_id: str, findings: Findings) -> None:
        """Keep an interview's findings for the next build."""
        self.findings.put(self._key(interview_id), {part: [problem_record(p) for p in getattr(findings, part)]
                                                    for part in ("located", "by_line")}, findings)

    def prune(self) -> None:
        """Remove the entries no build used for a while (as the part cache does)."""
        self.findings.prune()
        self.targets.prune()


def _ids(record: Any) -> frozenset[str]:
    return frozenset(as_text(i) for i in items(fields(record, {"ids"})["ids"]))


def _findings(record: Any) -> Findings:
    data = fields(record, {"located", "by_line"})
    return Findings(*(tuple(problem_from_record(p) for p in items(data[part])) for part in ("located", "by_line")))


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
