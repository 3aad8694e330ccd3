"""`coopbook import ARTICLE.txt`: a plain-text ILO COOP 100 interview article to a draft interview YAML file.

Every non-empty line of the article is a paragraph. Before the first question come the header paragraphs:
the title ("ILO COOP 100 Interview"), the interviewee ("Mr Alexandre Soho, ILO Senior Technical Officer ..."),
the series paragraph and the "Article | 22 July 2020" line. A question is a paragraph that ends with "?";
its answer is every paragraph up to the next question; lines starting with "•" become Markdown list items.
The author's wording is kept character for character.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CoopbookError, Location, Problem
from ..slugs import slugify
from .scaffold import (
    DEFAULT_PUBLISHER,
    DraftInterview,
    DraftQuestion,
    file_exists_problem,
    interview_yaml,
    write_new_file,
)

BULLETS = "•◦▪●‣"
HONORIFICS = frozenset({
    "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Miss", "Mx", "Dr", "Dr.", "Prof", "Prof.", "Professor",
    "Sir", "Dame", "Lord", "Lady", "Mme", "Mlle", "M.", "H.E.", "Ambassador",
})
NAME_PARTICLES = frozenset({"von", "van", "der", "den", "de", "da", "di", "du", "del", "della", "la", "le",
                            "bin", "binti", "al", "el", "dos", "das", "ten", "ter", "y", "zu"})
DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%Y-%m-%d")
MAX_NAME_WORDS = 7

_DATE_LINE = re.compile(r"^(?P<kind>[^|]{1,40}?)\s*\|\s*(?P<date>[^|]+?)$")
_TITLE = re.compile(r"\binterview$", re.I)
# Line starts that Markdown would read as structure (heading, quote, list, rule, code fence).
_MARKDOWN_START = re.compile(r"^(?:#{1,6}(?:\s|$)|>|[-+*](?:\s|$)|\d{1,9}[.)](?:\s|$)|={3,}\s*$|`{3,}|~{3,})")
_RULE = re.compile(r"^(?:[-*_][ \t]*){3,}$")


class ArticleError(CoopbookError):
    """The article cannot be imported: no questions, or no interviewee line to name the file after."""


class ImportExistsError(CoopbookError):
    """The interview file to write already exists and --force was not given."""


@dataclass(frozen=True)
class ImportResult:
    """A draft interview made from an article, with what could not be placed and the series paragraph."""

    interview_id: str
    yaml_text: str
    unplaced: tuple[str, ...]
    series_description: str | None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class _Paragraph:
    line: int
    text: str
    bullet: bool = False


@dataclass(frozen=True)
class _Person:
    name: str
    role: str
    honorific: str | None


def import_article(text: str, source_name: str) -> ImportResult:
    """Turn the text of an interview article into a draft interview YAML; raise ArticleError if it has no questions."""
    if not text.strip():
        raise ArticleError([Problem(Location(source_name), "the article is empty", None,
                                    "give the plain-text file of an interview article")])
    paragraphs = _paragraphs(text)
    first_q = next((i for i, p in enumerate(paragraphs) if _is_question(p)), None)
    if first_q is None:
        raise ArticleError([Problem(Location(source_name, 1), "no questions found in the article", None,
                                    "a question is a paragraph of its own that ends with '?'")])
    problems: list[Problem] = []
    unplaced: list[str] = []
    header = _read_header(paragraphs[:first_q], source_name, problems, unplaced)
    if header.person is None:
        raise ArticleError([Problem(Location(source_name, 1), "no interviewee line found before the first question",
                                    None, "expected a line such as 'Mr Alexandre Soho, ILO Senior Technical Officer'")])
    ident = slugify(header.person.name)
    if not ident:
        raise ArticleError([Problem(Location(source_name, header.person_line), "cannot make an id from this name",
                                    header.person.name)])
    questions = _questions(paragraphs[first_q:], source_name, problems)
    when = f" on {header.date.day} {header.date:%B %Y}" if header.date else ""
    draft = DraftInterview(
        id=ident,
        name=header.person.name,
        role=header.person.role,
        honorific=header.person.honorific,
        date=header.date,
        kind=header.kind,
        questions=questions,
        comments=(
            f"The {header.title or 'interview'} with {header.person.name}, "
            f"as published by the {DEFAULT_PUBLISHER}{when}.",
            f"Source: {source_name}. Drafted by coopbook import: check every field, then add the id to order "
            "in book.yaml.",
        ),
    )
    return ImportResult(ident, interview_yaml(draft), tuple(unplaced), header.series, tuple(problems))


def write_import(result: ImportResult, dest_folder: Path, force: bool = False) -> Path:
    """Write `<id>.yaml` into dest_folder atomically; raise ImportExistsError rather than overwrite without force."""
    path = dest_folder / f"{result.interview_id}.yaml"
    if not write_new_file(path, result.yaml_text, overwrite=force):
        raise ImportExistsError([file_exists_problem(path)])
    return path


def _paragraphs(text: str) -> list[_Paragraph]:
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    result: list[_Paragraph] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in BULLETS:
            result.append(_Paragraph(number, line[1:].strip(), bullet=True))
        else:
            result.append(_Paragraph(number, line))
    return result


def _is_question(paragraph: _Paragraph) -> bool:
    return not paragraph.bullet and paragraph.text.endswith("?")


@dataclass(frozen=True)
class _Header:
    title: str | None
    person: _Person | None
    person_line: int
    series: str | None
    date: dt.date | None
    kind: str


def _read_header(paragraphs: list[_Paragraph], source: str, problems: list[Problem],
                 unplaced: list[str]) -> _Header:
    title: str | None = None
    person: _Person | None = None
    person_line = 0
    series: str | None = None
    date: dt.date | None = None
    kind = "Article"
    dated = False
    for p in paragraphs:
        date_match = _DATE_LINE.match(p.text)
        if title is None and person is None and _TITLE.search(p.text) and len(p.text) <= 120:
            title = p.text
        elif date_match and not dated:
            parsed = _parse_date(date_match.group("date"))
            if parsed is None:
                problems.append(Problem(Location(source, p.line), "cannot read the date of the date line",
                                        p.text, "expected a date such as 22 July 2020", "warning"))
                unplaced.append(f"{source}:{p.line}: {p.text}")
            else:
                date, kind, dated = parsed, date_match.group("kind").strip(), True
        elif person is None and (found := _person(p.text)) is not None:
            person, person_line = found, p.line
        elif series is None and "series" in p.text.lower():
            series = p.text
        else:
            unplaced.append(f"{source}:{p.line}: {p.text}")
    if not dated:
        problems.append(Problem(Location(source, 1), "no date line found", None,
                                "expected a line such as 'Article | 22 July 2020'; set date: by hand", "warning"))
    return _Header(title, person, person_line, series, date, kind)


def _parse_date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _person(text: str) -> _Person | None:
    head, sep, role = text.partition(",")
    words = head.split()
    if not sep or not role.strip() or not words or len(words) > MAX_NAME_WORDS:
        return None
    honorific = words[0] if words[0] in HONORIFICS else None
    names = words[1:] if honorific else words
    if not names or not all(w[:1].isupper() or w in NAME_PARTICLES for w in names):
        return None
    return _Person(" ".join(names), role.strip(), honorific)


def _questions(paragraphs: list[_Paragraph], source: str, problems: list[Problem]) -> tuple[DraftQuestion, ...]:
    result: list[DraftQuestion] = []
    question: _Paragraph | None = None
    answer: list[_Paragraph] = []
    for p in [*paragraphs, None]:
        if p is not None and not _is_question(p):
            answer.append(p)
            continue
        if question is not None:
            if not answer:
                problems.append(Problem(Location(source, question.line), "question without an answer",
                                        question.text, "write the answer by hand", "warning"))
            result.append(DraftQuestion(question.text, _markdown(answer, source, problems)))
        question, answer = p, []
    return tuple(result)


def _markdown(paragraphs: list[_Paragraph], source: str, problems: list[Problem]) -> str:
    """Paragraphs joined by blank lines; consecutive bullets form one Markdown list."""
    if not paragraphs:
        return ""
    parts: list[str] = []
    for p in paragraphs:
        if p.bullet:
            item = f"- {p.text}"
            if parts and parts[-1].startswith("- "):
                parts[-1] += "\n" + item
            else:
                parts.append(item)
        else:
            parts.append(_escape_block_start(p, source, problems))
    return "\n\n".join(parts) + "\n"


def _escape_block_start(p: _Paragraph, source: str, problems: list[Problem]) -> str:
    if not (_MARKDOWN_START.match(p.text) or _RULE.match(p.text)):
        return p.text
    problems.append(Problem(Location(source, p.line), "paragraph starts like Markdown structure; a backslash "
                            "was added so it prints as written", p.text[:20], None, "warning"))
    if p.text[0].isdigit():
        digits = len(p.text) - len(p.text.lstrip("0123456789"))
        return p.text[:digits] + "\\" + p.text[digits:]
    return "\\" + p.text
