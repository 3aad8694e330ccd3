"""Interviews (content/interviews/*.yaml) and the whole book as loaded from content/."""

import datetime as dt
from dataclasses import dataclass as plain_dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic.dataclasses import dataclass

from ..errors import Location, Problem, Problems, display_path
from .bookconfig import STRICT, BookConfig, LongText, Slug, Text, load_config, not_blank
from .languages import check_tag
from .schema import validate
from .yamlreader import YamlDoc, parse_yaml, read_text, yaml_files

Url = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000)]



@dataclass(frozen=True, config=STRICT)
class Interviewee:
    """The person interviewed."""

    name: Text
    role: Text
    honorific: Text | None = None
    person: Slug | None = None

    _blank = field_validator("name", "role")(not_blank)


@dataclass(frozen=True, config=STRICT)
class Source:
    """Where the interview was first published."""

    publisher: Text
    kind: Text | None = None  # as the source called it ("Article", "Entrevista"): content, in its own language
    url: Url | None = None


@dataclass(frozen=True, config=STRICT)
class Question:
    """One question and its answer (Markdown)."""

    q: Text
    a: LongText

    _blank = field_validator("q", "a")(not_blank)


@dataclass(frozen=True, config=STRICT)
class EditorialNote:
    """An editor's recorded correction: what was changed against the source, and when."""

    note: Text
    date: dt.date | None = None


@dataclass(frozen=True, config=STRICT)
class Interview:
    """One interview of the anthology."""

    id: Slug
    interviewee: Interviewee
    date: dt.date
    source: Source
    questions: Annotated[tuple[Question, ...], Field(min_length=1)]
    title: Text | None = None
    closing: LongText | None = None
    editorial_notes: tuple[EditorialNote, ...] = ()
    language: Text | None = None  # BCP 47; None: the book's language (see language_of)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        return None if value is None else check_tag(value)

    def language_of(self, book_language: str) -> str:
        """The interview's language tag: its own `language:`, else the book's."""
        return self.language or book_language

    @property
    def person_id(self) -> str:
        """The registry id of the interviewee."""
        return self.interviewee.person or self.id

    @property
    def short_title(self) -> str:
        """The title used in running heads, contents and EPUB locators."""
        return self.title or self.interviewee.name


@plain_dataclass(frozen=True)
class Book:
    """The loaded anthology: its settings, its interviews in reading order, and where each came from."""

    root: Path
    config: BookConfig
    interviews: tuple[Interview, ...]
    sources: dict[str, YamlDoc]
    config_source: YamlDoc | None = None

    def where(self, interview_id: str, *path: str | int) -> Location:
        """The location in the interview's file of the value at path."""
        return self.sources[interview_id].where(tuple(path))


@plain_dataclass(frozen=True)
class LoadedFile:
    """What one interview file gave when last read (a watch session's memo): its text, its document, its
    interview (None if it had errors) and the problems found in it."""

    text: str
    doc: YamlDoc | None
    interview: Interview | None
    problems: tuple[Problem, ...]


LoadMemo = dict[Path, LoadedFile]  # by interview file, what its last read gave


def load_book(root: Path, memo: LoadMemo | None = None) -> Book:
    """Load and validate content/: book.yaml and every interview; raise ContentError with every problem.

    With a memo (a watch session's), an interview file whose text is what it was is not parsed and validated
    again: its document, interview and problems are taken from the memo, which then holds this load's files only.
    """
    problems = Problems()
    book_path = root / "book.yaml"
    shown_book = display_path(book_path)
    config, config_doc = (None, None)
    if not book_path.exists():  # a folder of that name is reported by the reader
        problems.error(Location(shown_book), "book.yaml is missing")
    else:
        config, config_doc = load_config(book_path, shown_book, problems)
    folder = root / "interviews"
    files = yaml_files(folder)
    if not files:
        problems.error(Location(display_path(folder)), "no interviews found (expected interviews/*.yaml)")
    interviews, sources = _load_interviews(files, problems, memo)
    if config is not None and config_doc is not None:
        interviews = _order(config, config_doc, interviews, {f.stem for f in files}, sources, problems)
    problems.raise_if_errors()
    assert config is not None
    return Book(root, config, tuple(interviews), sources, config_doc)


def _load_interviews(files: list[Path], problems: Problems,
                     memo: LoadMemo | None = None) -> tuple[list[Interview], dict[str, YamlDoc]]:
    interviews: list[Interview] = []
    sources: dict[str, YamlDoc] = {}
    kept = dict(memo) if memo is not None else {}
    if memo is not None:
        memo.clear()
    for path in files:
        doc, interview = _read_interview(path, problems, kept.get(path), memo)
        if doc is None or interview is None:
            continue
        if interview.id != path.stem:
            twin = path.with_name(f"{interview.id}.yaml")
            if twin.exists():
                problems.error(doc.where(("id",)), "duplicate interview id", interview.id,
                               f"already used by {display_path(twin)}")
            else:
                problems.error(doc.where(("id",)), "interview id must match the file name", interview.id,
                               f"rename the file to {interview.id}.yaml or set id: {path.stem}")
            continue
        sources[interview.id] = doc
        interviews.append(interview)
    return interviews, sources


def _read_interview(path: Path, problems: Problems, last: LoadedFile | None,
                    memo: LoadMemo | None) -> tuple[YamlDoc | None, Interview | None]:
    """One interview file parsed and validated, or as last read if its text is the same; its problems recorded
    either way, and what it gave kept in the memo, if any."""
    shown = display_path(path)
    found = Problems()
    text = read_text(path, shown, found)
    if text is None:
        problems.extend(found.items)
        return None, None
    if last is None or last.text != text:
        doc = parse_yaml(text, shown, found)
        last = LoadedFile(text, doc, validate(doc, Interview, found) if doc is not None else None, tuple(found.items))
    problems.extend(last.problems)
    if memo is not None:
        memo[path] = last
    return last.doc, last.interview


def _order(config: BookConfig, doc: YamlDoc, interviews: list[Interview], stems: set[str],
           sources: dict[str, YamlDoc], problems: Problems) -> list[Interview]:
    by_id = {i.id: i for i in interviews}
    if config.order is None:
        return interviews
    seen: set[str] = set()
    ordered: list[Interview] = []
    for n, ident in enumerate(config.order):
        if ident in seen:
            problems.error(doc.where(("order", n)), "interview listed twice in order", ident)
        elif ident not in by_id:
            if ident not in stems:
                problems.error(doc.where(("order", n)), "no interview file for this id", ident,
                               f"expected interviews/{ident}.yaml")
        else:
            ordered.append(by_id[ident])
        seen.add(ident)
    for interview in interviews:
        if interview.id not in seen:
            problems.error(sources[interview.id].where(("id",)), "interview is not listed in book.yaml order",
                           interview.id, "add it to order in book.yaml")
    return ordered
