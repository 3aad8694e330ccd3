"""Content checks beyond the schema, run by `coopbook check` on a loaded Book.

Each problem is located at the file, line and column of the offending text itself, also inside YAML block
scalars (`a: |`), by the YAML reader's spans (YamlDoc.locate). Each Markdown value is parsed once, keeping
every link and raw HTML (parser.parser(safe=False, html=True)), and every check reads those tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markdown_it.token import Token

from ..errors import Problem, Severity, display_path
from ..markdown import anchors
from ..markdown.convert import line_start
from ..markdown.fields import ROLE, markdown_fields
from ..markdown.parser import parser
from ..source.book import Book, Interview
from ..source.resources import Refused, is_safe_link, normalise_url, resolve_image, verify_image
from ..source.yamlreader import YamlDoc, YamlPath

CURLY_QUOTES = "‘’“”"
STRAIGHT_QUOTES = "'\""
SENTENCE_END = ".!?…"
CLOSERS = "\"'’”)]"
SNIPPET = 12

_DOUBLE_SPACE = re.compile(r"(?<=\S)[ \u00a0]{2,}(?=\S)")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")


@dataclass(frozen=True)
class _Hit:
    """One finding inside a Markdown value: where (offset into the value), what, and how bad."""

    offset: int
    needle: str
    severity: Severity
    message: str
    value: str | None = None
    hint: str | None = None
    lead: int = 0  # how far into needle the offending text starts (needle begins at offset - lead)


@dataclass(frozen=True)
class _Field:
    """One Markdown value of an interview (a question, an answer or the closing), parsed once for every check:
    every link and image kept, raw HTML read as HTML (see parser)."""

    interview_id: str
    ypath: YamlPath
    text: str
    source: YamlDoc
    tokens: list[Token]
    env: dict[str, Any]

    def block(self, token: Token) -> tuple[int, int]:
        """The offsets of the text covered by a block token's line map."""
        if token.map is None:
            return 0, len(self.text)
        return line_start(self.text, token.map[0]), line_start(self.text, token.map[1])

    def find(self, needle: str, start: int, end: int) -> int:
        """The offset of needle in [start, end), else anywhere after start, else in the whole value; -1 if absent."""
        for lo, hi in ((start, end), (start, len(self.text)), (0, len(self.text))):
            found = self.text.find(needle, lo, hi)
            if found >= 0:
                return found
        return -1

    def problem(self, hit: _Hit) -> Problem:
        """Turn a finding into a located Problem."""
        location = self.source.locate(self.ypath, self.text, hit.offset, hit.needle, hit.lead)
        return Problem(location, hit.message, hit.value, hit.hint, hit.severity)


ParsedFields = dict[str, list[_Field]]  # each interview's Markdown values parsed for the checks, by interview id


def parse_fields(book: Book, interviews: Sequence[Interview]) -> ParsedFields:
    """The interviews' Markdown values parsed once for every check (and for anchor_ids)."""
    return {i.id: list(_fields(book, i)) for i in interviews}


def lint_book(book: Book, interviews: Sequence[Interview] | None = None, ids: frozenset[str] | None = None,
              parsed: ParsedFields | None = None) -> list[Problem]:
    """Every content problem the schema cannot see, located at file:line:col, sorted by place.

    Given interviews, only theirs (links still checked against the whole book's ids: `ids` when the caller has
    them); without, the whole book's and the introduction's (book.yaml's series description). parsed: the
    interviews' values already parsed (parse_fields), when the caller has them."""
    chosen = book.interviews if interviews is None else interviews
    fields = {i.id: parsed[i.id] for i in chosen} if parsed is not None else parse_fields(book, chosen)
    if ids is None:
        ids = anchor_ids(book, fields)
    problems: list[Problem] = []
    for values in fields.values():
        checked = [f for f in values if f.ypath != ROLE]
        prose = {f.ypath: list(_inline_text(f)) for f in checked}
        curly = any(ch in child.content for texts in prose.values() for child, _ in texts for ch in CURLY_QUOTES)
        for f in checked:
            hits: list[_Hit] = []
            if curly:
                hits += _straight_quotes(f, prose[f.ypath])
            hits += _double_spaces(f, prose[f.ypath])
            hits += _question_footnotes(f) if f.ypath[-1] == "q" else _footnotes(f, prose[f.ypath], f.env)
            hits += _raw_html(f)
            problems += [f.problem(hit) for hit in hits]
    for f in (f for fs in fields.values() for f in fs):  # links and images: against the whole book's ids
        problems += [f.problem(hit) for hit in _links_and_images(f, ids, book.root)]
    if interviews is None:
        problems += introduction_problems(book, ids)
    return sorted(problems, key=lambda p: (p.location, p.message))


def introduction_problems(book: Book, ids: frozenset[str]) -> list[Problem]:
    """The links and images of the introduction (book.yaml's series description) that do not work."""
    return [f.problem(hit) for f in _introduction(book) for hit in _links_and_images(f, ids, book.root)]


def _parsed(text: str) -> tuple[list[Token], dict[str, Any]]:
    env: dict[str, Any] = {"docId": "lint"}
    return parser(safe=False, html=True).parse(text, env), env


def _introduction(book: Book) -> Iterator[_Field]:
    doc = book.config_source or YamlDoc(display_path(book.root / "book.yaml"), None)
    text = book.config.series.description
    yield _Field("", ("series", "description"), text, doc, *_parsed(text))


def anchor_ids(book: Book, fields: ParsedFields | None = None,
               known: Mapping[str, frozenset[str]] | None = None) -> frozenset[str]:
    """The ids an in-book link may target: front sections, interviews, questions and footnotes (see anchors);
    fields: some interviews' parsed values, known: some interviews' ids, when the caller has them."""
    ids: set[str] = set(anchors.FRONT_IDS)
    for interview in book.interviews:
        if known is not None and interview.id in known:
            ids.update(known[interview.id])
        else:
            ids.update(interview_ids(book, interview, fields.get(interview.id) if fields is not None else None))
    return frozenset(ids)


def interview_ids(book: Book, interview: Interview, fields: Sequence[_Field] | None = None) -> frozenset[str]:
    """The ids an interview gives: its own, its questions' and its footnotes' (fields: its parsed values)."""
    ids = {anchors.interview(interview.id)}
    ids.update(anchors.question(interview.id, n) for n in range(1, len(interview.questions) + 1))
    for f in fields if fields is not None else _fields(book, interview):
        if f.ypath[-1] in ("q", "role"):
            continue  # questions and roles are rendered inline: no footnotes
        doc_id = anchors.footnote_doc_id(interview.id, f.ypath)
        for number, note in f.env.get("footnotes", {}).get("list", {}).items():
            ids.add(anchors.footnote(doc_id, number + 1))
            calls = range(max(note.get("count", 0), 1))
            ids.update(anchors.footnote_ref(doc_id, number + 1, call) for call in calls)
    return frozenset(ids)


def _fields(book: Book, interview: Interview) -> Iterator[_Field]:
    doc = book.sources[interview.id]
    for ypath, text in markdown_fields(interview):
        yield _Field(interview.id, ypath, text, doc, *_parsed(text))


def _inline_text(f: _Field) -> Iterator[tuple[Token, int]]:
    """Each text child of each inline token, with the offset of its content in the value (-1 if not verbatim)."""
    for token in f.tokens:
        if token.type != "inline" or not token.children:
            continue
        start, end = f.block(token)
        cursor = start
        for child in token.children:
            if child.type not in ("text", "code_inline", "html_inline") or not child.content:
                continue
            found = f.text.find(child.content, cursor, end)
            if found >= 0:
                cursor = found + len(child.content)
            if child.type == "text":
                yield child, found


def _snippet(text: str, offset: int, length: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    return text[max(line_start, offset - SNIPPET) : min(line_end, offset + length + SNIPPET)]


def _straight_quotes(f: _Field, prose: list[tuple[Token, int]]) -> list[_Hit]:
    hits: list[_Hit] = []
    for child, found in prose:
        for i, ch in enumerate(child.content):
            if ch not in STRAIGHT_QUOTES:
                continue
            offset = found + i if found >= 0 else f.find(ch, 0, len(f.text))
            hits.append(_Hit(offset, ch, "warning", "straight quote in text that uses curly quotes",
                             _snippet(f.text, offset, 1), "use ’ for an apostrophe and “ ” for a quotation"))
    return hits


def _double_spaces(f: _Field, prose: list[tuple[Token, int]]) -> list[_Hit]:
    hits: list[_Hit] = []
    for child, found in prose:
        for match in _DOUBLE_SPACE.finditer(child.content):
            before = child.content[: match.start()].rstrip(CLOSERS)
            if before.endswith(tuple(SENTENCE_END)):
                continue
            needle = child.content[match.start() - 1 : match.end() + 1]
            if found >= 0:
                offset = found + match.start()
            else:
                offset = max(f.find(needle, 0, len(f.text)), 0) + 1
            hits.append(_Hit(offset, needle, "warning", "double space inside a sentence",
                             _snippet(f.text, offset, len(match.group())), None, 1))
    return hits


def _footnotes(f: _Field, prose: list[tuple[Token, int]], env: dict[str, Any]) -> list[_Hit]:
    refs: dict[str, int] = env.get("footnotes", {}).get("refs", {})
    hits: list[_Hit] = []
    for child, found in prose:
        for match in _FOOTNOTE_REF.finditer(child.content):
            if f":{match.group(1)}" in refs:
                continue
            offset = found + match.start() if found >= 0 else max(f.find(match.group(), 0, len(f.text)), 0)
            hits.append(_Hit(offset, match.group(), "error", "footnote referenced but not defined", match.group(),
                             f"add a line '{match.group()}: ...' to the same text"))
    for key, number in refs.items():
        if number >= 0:
            continue
        label = key[1:]
        definition = re.search(rf"(?m)^[ \t>]*\[\^{re.escape(label)}\]:", f.text)
        offset = definition.end() - len(label) - 4 if definition else max(f.find(f"[^{label}]:", 0, len(f.text)), 0)
        hits.append(_Hit(offset, f"[^{label}]:", "error", "footnote defined but never referenced", f"[^{label}]",
                         f"refer to it with [^{label}] or delete it"))
    return hits


def _question_footnotes(f: _Field) -> list[_Hit]:
    """A question is rendered as inline Markdown, where footnotes do not exist: they would print as typed."""
    return [_Hit(m.start(), m.group(), "error", "footnotes are not supported in questions", m.group(),
                 "move the note into the answer")
            for m in re.finditer(r"\[\^[^\]\s]+\]", f.text)]


def _walk_inline(f: _Field, tokens: list[Token], kinds: tuple[str, ...]) -> Iterator[tuple[Token, int, int]]:
    for token in tokens:
        if token.type == "inline" and token.children:
            start, end = f.block(token)
            for child in token.children:
                if child.type in kinds:
                    yield child, start, end


def _links_and_images(f: _Field, ids: frozenset[str], root: Path) -> list[_Hit]:
    hits: list[_Hit] = []
    cursor: dict[tuple[int, int], int] = {}
    for child, start, end in _walk_inline(f, f.tokens, ("link_open", "image")):
        url = str(child.attrs.get("href" if child.type == "link_open" else "src", ""))
        raw = unquote(url)
        needle = raw if raw in f.text else url
        offset = _find_destination(f, needle, cursor.get((start, end), start), end)
        offset = start if offset < 0 else offset
        cursor[(start, end)] = offset + len(needle)
        hits += _check_target(child, url, raw, offset, needle, ids, root)
    return hits


def _find_destination(f: _Field, needle: str, start: int, end: int) -> int:
    """Where a link destination is written: after '(' or '<' (inline, autolink) or ': ' (reference), else anywhere."""
    for prefix in ("(", "<", ": "):
        found = f.text.find(prefix + needle, start, end)
        if found >= 0:
            return found + len(prefix)
    return f.find(needle, start, end)


def _check_target(token: Token, url: str, raw: str, offset: int, needle: str, ids: frozenset[str],
                  root: Path) -> list[_Hit]:
    if token.type == "image":
        return _check_image(token, url, raw, offset, needle, root)
    if not is_safe_link(url):
        return [_Hit(offset, needle, "error", "link is dropped as unsafe", raw,
                     "only http(s), mailto and #id links are kept")]
    hits: list[_Hit] = []
    target = raw.strip()[1:]
    if token.type == "link_open" and url.strip().startswith("#") and target not in ids:
        hint = (f"did you mean #{anchors.interview(target)}?" if anchors.interview(target) in ids
                else "link to #interview-<id>, #q-<id>-<n> (from 1) or a footnote")
        hits.append(_Hit(offset, needle, "error", "link target is not an id in the book", raw.strip(), hint))
    return hits


def _check_image(token: Token, url: str, raw: str, offset: int, needle: str, root: Path) -> list[_Hit]:
    """An image must be one the build may read (resources.resolve_image) and that decodes (verify_image)."""
    hits: list[_Hit] = []
    try:
        verify_image(resolve_image(root, url))
    except Refused as refused:
        hint = refused.hint
        if refused.message == "image file not found":
            hint = f"expected {display_path(root / unquote(normalise_url(url)))}"
        hits.append(_Hit(offset, needle, "error", refused.message, raw, hint))
    if not token.content.strip():
        hits.append(_Hit(offset, needle, "warning", "image has no alt text", raw,
                         "describe the image for readers who cannot see it: ![description](...)"))
    return hits


def _raw_html(f: _Field) -> list[_Hit]:
    hits: list[_Hit] = []
    for token in f.tokens:
        if token.type == "html_block":
            start, _ = f.block(token)
            first = token.content.split("\n", 1)[0].strip()
            offset = f.find(first, start, len(f.text)) if first else start
            hits.append(_Hit(max(offset, start), first, "warning", "raw HTML is not allowed; it is printed as text",
                             first))
    cursor: dict[tuple[int, int], int] = {}
    for child, start, end in _walk_inline(f, f.tokens, ("html_inline",)):
        offset = f.find(child.content, cursor.get((start, end), start), end)
        offset = start if offset < 0 else offset
        cursor[(start, end)] = offset + len(child.content)
        hits.append(_Hit(offset, child.content, "warning", "raw HTML is not allowed; it is printed as text",
                         child.content))
    return hits
