"""Parsed Markdown (see parser) to HTML, and the rules the book refuses in it.

Footnotes come in two styles: `print` (page-foot footnotes set at their call) and `epub` (noteref links and
`aside` footnotes); their markup is in templates/partials/notes.html, their ids in anchors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from ..source.resources import is_safe_link
from ..templating import template_macro
from . import anchors
from .parser import ALLOWED_ATTRS, is_safe_image, new_parser, parser
from .typography import ENV_KEY, Typography

__all__ = ["is_safe_image", "is_safe_link"]  # the link and image rules, for callers of convert

MAX_DEPTH = 6  # lists and block quotes nested deeper are refused
CONTAINERS = ("bullet_list_open", "ordered_list_open", "blockquote_open")
CONTAINER_ENDS = ("bullet_list_close", "ordered_list_close", "blockquote_close")

_CHAR_REF = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")  # what markdown-it decodes
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTNOTE_DEF = re.compile(r"(?m)^[ \t>]*\[\^([^\]\s]+)\]:")
_ATTRS_AFTER = re.compile(r"(?<=[)`\]])\{[^{}\n]*\}")

NoteStyle = Literal["print", "epub"]
NOTES_TEMPLATE = "partials/notes.html"


@dataclass(frozen=True)
class Note:
    """One footnote: its id, the id of its call, its number and its text as inline HTML."""

    id: str
    ref_id: str
    label: str
    body: Markup


@dataclass(frozen=True)
class Issue:
    """A problem in one Markdown value: where (offset into the text), the text at fault, what is wrong."""

    offset: int
    needle: str
    message: str
    value: str
    hint: str | None = None


def is_xml_char(code: int) -> bool:
    """True for a code point XML 1.0 allows in text (Char: tab, newlines and the rest of Unicode but
    the other controls, the surrogates, U+FFFE and U+FFFF)."""
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def parse(text: str, doc_id: str, typography: Typography | None = None) -> tuple[list[Token], dict[str, Any]]:
    """Parse Markdown into markdown-it tokens; footnote ids are prefixed with doc_id; typography: how the text's
    language sets it when rendered (English quotes without one)."""
    env: dict[str, Any] = {"docId": doc_id, **({ENV_KEY: typography} if typography else {})}
    return parser().parse(text, env), env


def render(tokens: Sequence[Token], env: dict[str, Any], notes: NoteStyle) -> str:
    """Render tokens (possibly transformed) to an HTML fragment, with footnotes in the given style."""
    md = parser()
    found = footnotes(tokens, env)
    body = [t for t in _outside_footnote_block(tokens)]
    note_env = {**env, "coopbook_notes": {n: note for n, note in enumerate(found)}, "coopbook_style": notes}
    html = _note_markdown().renderer.render(body, md.options, note_env)
    if notes == "epub" and found:
        html += str(template_macro(NOTES_TEMPLATE, "epub_notes")(found))
    return html


def parse_inline(text: str, doc_id: str,
                 typography: Typography | None = None) -> tuple[list[Token], dict[str, Any]]:
    """Parse one line of Markdown (a question, a role) into tokens, without a wrapping paragraph (see parse)."""
    env: dict[str, Any] = {"docId": doc_id, **({ENV_KEY: typography} if typography else {})}
    return parser().parseInline(text, env), env


def plain_text(text: str) -> str:
    """One line of Markdown as the plain text a reader sees (no markup, link targets or attributes)."""
    tokens, _ = parse_inline(text, "plain")
    parts = []
    for token in _inline_children(tokens):
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(token.content)
    return " ".join("".join(parts).split())


def render_inline(tokens: Sequence[Token], env: dict[str, Any]) -> str:
    """Render inline tokens (from parse_inline, possibly transformed) to HTML."""
    md = parser()
    return md.renderer.render(list(tokens), md.options, env)


def issues(text: str, tokens: Sequence[Token], env: dict[str, Any], inline: str | None = None) -> list[Issue]:
    """What the book refuses in a parsed Markdown value (both `check` and `build` stop on these).

    Character references to characters XML forbids, lists and quotes nested deeper than MAX_DEPTH,
    headings, footnotes defined twice or never defined, and `{...}` attributes after an image or code
    (after a link they mark the link text, see mentions.link_spans). `inline` names the kind of a one-line
    value (e.g. "questions"), where footnotes do not exist.
    """
    found = [*_bad_references(text, tokens), *_headings_and_depth(text, tokens), *_misplaced_attrs(text, tokens)]
    found += _footnote_issues(text, tokens, env, inline)
    return sorted(found, key=lambda issue: issue.offset)


def _inline_children(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "inline":
            yield from token.children or []


def line_start(text: str, line: int) -> int:
    """The offset in text of the start of a 0-based line (len(text) past the last line)."""
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def _bad_references(text: str, tokens: Sequence[Token]) -> Iterator[Issue]:
    code = [(line_start(text, t.map[0]), line_start(text, t.map[1])) for t in tokens
            if t.type in ("code_block", "fence") and t.map]
    cursor = 0
    for child in _inline_children(tokens):
        if child.type != "code_inline" or not child.content:
            continue
        span = re.compile(re.escape(child.markup) + r"[ \n]?" + re.escape(child.content)).search(text, cursor)
        if span is not None:
            code.append(span.span())
            cursor = span.end()
    for match in _CHAR_REF.finditer(text):
        number = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
        if is_xml_char(number) or any(start <= match.start() < end for start, end in code):
            continue
        escapes = len(text[: match.start()]) - len(text[: match.start()].rstrip("\\"))
        if escapes % 2:
            continue  # \&#12; is literal text
        yield Issue(match.start(), match.group(), f"character reference to U+{number:04X}, a character XML does not "
                    "allow", match.group(), "delete it (a control character or a surrogate cannot be printed)")


def _headings_and_depth(text: str, tokens: Sequence[Token]) -> Iterator[Issue]:
    depth = 0
    for token in tokens:
        if token.type in CONTAINER_ENDS:
            depth -= 1
        if token.type not in CONTAINERS and token.type != "heading_open":
            continue
        line = token.map[0] if token.map else 0
        start = line_start(text, line)
        end = text.find("\n", start)
        written = text[start : len(text) if end < 0 else end].strip()
        offset = start + (text[start:].find(written) if written else 0)
        if token.type == "heading_open":
            yield Issue(offset, written, "headings are not allowed here: write paragraphs, lists and quotes",
                        written, "make it a paragraph (**bold** if it must stand out); a line of --- or === "
                        "under text also makes a heading")
            continue
        depth += 1
        if depth == MAX_DEPTH + 1:
            yield Issue(offset, written, f"lists and block quotes nested more than {MAX_DEPTH} deep", written,
                        f"nest at most {MAX_DEPTH} levels")


def _misplaced_attrs(text: str, tokens: Sequence[Token]) -> Iterator[Issue]:
    cursor = 0
    for child in _inline_children(tokens):
        if child.type not in ("link_open", "image", "code_inline") or not set(child.attrs) & set(ALLOWED_ATTRS):
            continue
        match = _ATTRS_AFTER.search(text, cursor)
        offset, needle = (match.start(), match.group()) if match else (cursor, "{")
        cursor = offset + len(needle)
        if child.type == "link_open":
            continue  # [text](url){.programme ref=...}: the link text is the mention (mentions.link_spans)
        what = {"image": "an image", "code_inline": "code"}[child.type]
        yield Issue(offset, needle, f"attributes after {what} are not allowed", needle,
                    "put the attributes on a span of text: [text]{.programme ref=...}")


def _footnote_issues(text: str, tokens: Sequence[Token], env: dict[str, Any], inline: str | None) -> Iterator[Issue]:
    refs: dict[str, int] = env.get("footnotes", {}).get("refs", {})
    if inline is not None:
        for match in _FOOTNOTE_REF.finditer(text):
            yield Issue(match.start(), match.group(), f"footnotes are not supported in {inline}", match.group(),
                        "move the note into the answer")
        return
    seen: set[str] = set()
    for match in _FOOTNOTE_DEF.finditer(text):
        label = match.group(1)
        if f":{label}" in refs and label in seen:
            needle = match.group().lstrip(" \t>")
            yield Issue(match.end() - len(needle), needle, "footnote defined twice", f"[^{label}]",
                        "the second definition would replace the first: merge them or give one another label")
        seen.add(label)
    cursor = 0
    for child in _inline_children(tokens):
        if child.type != "text":
            continue
        for match in _FOOTNOTE_REF.finditer(child.content):
            if f":{match.group(1)}" in refs:
                continue
            found = text.find(match.group(), cursor)
            cursor = found + 1 if found >= 0 else cursor
            yield Issue(max(found, 0), match.group(), "footnote referenced but not defined", match.group(),
                        f"add a line '{match.group()}: ...' to the same text")


def footnotes(tokens: Sequence[Token], env: dict[str, Any]) -> list[Note]:
    """The footnotes defined in a token stream, in order, each with its text rendered inline."""
    md = parser()
    doc_id = env["docId"] if isinstance(env.get("docId"), str) else None
    notes: list[Note] = []
    current: list[str] | None = None
    number = 0
    for token in tokens:
        if token.type == "footnote_open":
            current, number = [], int(token.meta["id"]) + 1
        elif token.type == "footnote_close" and current is not None:
            body = Markup(" ".join(part for part in current if part))
            ids = anchors.footnote(doc_id, number), anchors.footnote_ref(doc_id, number)
            notes.append(Note(*ids, str(number), body))
            current = None
        elif token.type == "inline" and current is not None:
            current.append(md.renderer.renderInline(token.children or [], md.options, env))
    return notes


def _outside_footnote_block(tokens: Sequence[Token]) -> list[Token]:
    kept: list[Token] = []
    inside = False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside = True
        elif token.type == "footnote_block_close":
            inside = False
        elif not inside:
            kept.append(token)
    return kept


def _render_note_ref(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    note: Note | None = env["coopbook_notes"].get(tokens[idx].meta["id"])
    if note is None:
        return ""
    first_call = tokens[idx].meta.get("subId", 0) == 0
    if env["coopbook_style"] == "print":
        if first_call:
            return str(template_macro(NOTES_TEMPLATE, "print_note")(note.id, note.body))
        return ""
    doc_id = env["docId"] if isinstance(env.get("docId"), str) else None
    ref_id = anchors.footnote_ref(doc_id, int(note.label), tokens[idx].meta.get("subId", 0))
    return str(template_macro(NOTES_TEMPLATE, "epub_noteref")(note.id, ref_id, note.label))


@lru_cache(maxsize=1)
def _note_markdown() -> MarkdownIt:
    md = new_parser(safe=False)
    md.add_render_rule("footnote_ref", _render_note_ref)
    return md
