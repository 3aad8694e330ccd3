"""Which values of an interview are Markdown, with their YAML paths: the one list that rendering, `check`'s
lint and its index-term candidates all walk."""

from __future__ import annotations

from collections.abc import Iterator

from ..source.book import Interview
from ..source.yamlreader import YamlPath

ROLE: YamlPath = ("interviewee", "role")
INLINE_KINDS = {"q": "questions", "role": "roles"}  # one-line Markdown values, by their YAML key


def question_path(index: int, part: str) -> YamlPath:
    """The YAML path of a question's `q` or `a` (index from 0)."""
    return ("questions", index, part)


def is_inline(ypath: YamlPath) -> bool:
    """True for a one-line Markdown value (a question, a role): parsed inline, without footnotes."""
    return bool(ypath) and str(ypath[-1]) in INLINE_KINDS


def markdown_fields(interview: Interview, *, role: bool = True) -> Iterator[tuple[YamlPath, str]]:
    """The Markdown values of an interview in reading order: role (unless role=False), each question and
    answer, the closing message."""
    if role:
        yield ROLE, interview.interviewee.role
    for n, item in enumerate(interview.questions):
        yield question_path(n, "q"), item.q
        yield question_path(n, "a"), item.a
    if interview.closing is not None:
        yield ("closing",), interview.closing
