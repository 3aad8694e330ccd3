"""Markdown (CommonMark + attrs spans + footnotes) to HTML with markdown-it-py.

Raw HTML is escaped, never passed through; only http(s), mailto and in-book (#) links are kept (any other
link keeps its text only), images only when they name a file under images/ (otherwise their alt text is
printed); the rule is resources.is_safe_link, the same `check` applies. Only the `class` and `ref` attributes
survive in `{...}` spans. Footnotes come in three styles:
`endnotes` (markdown-it's own list), `print` (page-foot footnotes set at their call) and `epub`
(noteref links and `aside` footnotes); their markup is in templates/partials/notes.html.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin

from ..source.resources import IMAGES, is_safe_link, normalise_url
from ..templating import template_macro
from .typography import typography_plugin

ALLOWED_ATTRS = ("class", "ref")
MAX_DEPTH = 6  # lists and block quotes nested deeper are refused
PARSER_NESTING = 50  # markdown-it's maxNesting (it drops text beyond it): well above MAX_DEPTH, so none is lost
CONTAINERS = ("bullet_list_open", "ordered_list_open", "blockquote_open")
CONTAINER_ENDS = ("bullet_list_close", "ordered_list_close", "blockquote_close")

_CHAR_REF = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));")  # what markdown-it decodes
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTNOTE_DEF = re.compile(r"(?m)^[ \t>]*\[\^([^\]\s]+)\]:")
_ATTRS_AFTER = re.compile(r"(?<=[)`\]])\{[^{}\n]*\}")

TokenTransform = Callable[[list[Token]], list[Token]]
NoteStyle = Literal["endnotes", "print", "epub"]
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


def is_safe_image(src: str) -> bool:
    """True for an image reference that may name a file under images/: relative, no scheme, no '..' (also
    percent-encoded), no query or fragment. Whether the file may be read is resources.resolve_image's call."""
    target = normalise_url(src)
    if not target or ":" in target or "?" in target or "#" in target:
        return False
    parts = unquote(target).split("/")
    return parts[0] == IMAGES and len(parts) > 1 and ".." not in parts and "\\" not in unquote(target)


def _safe_urls(state: StateCore) -> None:
    """Core rule: drop links that are not safe (their text stays) and images that cannot be a book image."""
    for token in state.tokens:
        if token.type == "inline" and token.children:
            token.children = _keep_safe(token.children)


def _keep_safe(children: list[Token]) -> list[Token]:
    kept: list[Token] = []
    dropped: list[bool] = []
    for child in children:
        if child.type == "link_open":
            dropped.append(not is_safe_link(str(child.attrGet("href") or "")))
            if not dropped[-1]:
                kept.append(child)
        elif child.type == "link_close":
            if not (dropped.pop() if dropped else False):
                kept.append(child)
        elif child.type == "image" and not is_safe_image(str(child.attrGet("src") or "")):
            kept.extend(child.children or [])
        else:
            kept.append(child)
    return kept


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """The one configured Markdown parser of the book."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                   "maxNesting": PARSER_NESTING})
    md.use(footnote_plugin)
    md.use(attrs_plugin, spans=True, allowed=ALLOWED_ATTRS)
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # parsed as check sees them; see _safe_urls
    md.core.ruler.after("inline", "coopbook_safe_urls", _safe_urls)
    md.use(typography_plugin)
    return md


def parse(text: str, doc_id: str) -> tuple[list[Token], dict[str, Any]]:
    """Parse Markdown into markdown-it tokens; footnote ids are prefixed with doc_id."""
    env: dict[str, Any] = {"docId": doc_id}
    return markdown().parse(text, env), env


def render(tokens: Sequence[Token], env: dict[str, Any], notes: NoteStyle = "endnotes") -> str:
    """Render tokens (possibly transformed) to an HTML fragment, with footnotes in the given style."""
    md = markdown()
    if notes == "endnotes":
        return md.renderer.render(list(tokens), md.options, env)
    found = footnotes(tokens, env)
    body = [t for t in _outside_footnote_block(tokens)]
    note_env = {**env, "coopbook_notes": {n: note for n, note in enumerate(found)}, "coopbook_style": notes}
    html = _note_markdown().renderer.render(body, md.options, note_env)
    if notes == "epub" and found:
        html += str(template_macro(NOTES_TEMPLATE, "epub_notes")(found))
    return html


def to_html(text: str, doc_id: str, transform: TokenTransform | None = None, notes: NoteStyle = "endnotes") -> str:
    """Markdown text to an HTML fragment, with an optional token transform (e.g. index tagging)."""
    tokens, env = parse(text, doc_id)
    if transform is not None:
        tokens = transform(tokens)
    return render(tokens, env, notes)


def parse_inline(text: str, doc_id: str) -> tuple[list[Token], dict[str, Any]]:
    """Parse one line of Markdown (a question, a role) into tokens, without a wrapping paragraph."""
    env: dict[str, Any] = {"docId": doc_id}
    return markdown().parseInline(text, env), env


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
    md = markdown()
    return md.renderer.render(list(tokens), md.options, env)


def inline_html(text: str, doc_id: str, transform: TokenTransform | None = None) -> str:
    """One line of Markdown (a question, a title) to inline HTML, without a wrapping paragraph."""
    tokens, env = parse_inline(text, doc_id)
    return render_inline(transform(tokens) if transform is not None else tokens, env)


def issues(text: str, tokens: Sequence[Token], env: dict[str, Any], inline: str | None = None) -> list[Issue]:
    """What the book refuses in a parsed Markdown value (both `check` and `build` stop on these).

    Character references to characters XML forbids, lists and quotes nested deeper than MAX_DEPTH,
    headings, footnotes defined twice or never defined, and `{...}` attributes after an image or code
    (after a link they mark the link text, see tagging.link_spans). `inline` names the kind of a one-line
    value (e.g. "questions"), where footnotes do not exist.
    """
    found = [*_bad_references(text, tokens), *_headings_and_depth(text, tokens), *_misplaced_attrs(text, tokens)]
    found += _footnote_issues(text, tokens, env, inline)
    return sorted(found, key=lambda issue: issue.offset)


def _inline_children(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "inline":
            yield from token.children or []


def _line_start(text: str, line: int) -> int:
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def _bad_references(text: str, tokens: Sequence[Token]) -> Iterator[Issue]:
    code = [(_line_start(text, t.map[0]), _line_start(text, t.map[1])) for t in tokens
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
        start = _line_start(text, line)
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
            continue  # [text](url){.programme ref=...}: the link text is the mention (tagging.link_spans)
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
    md = markdown()
    prefix = f"-{env['docId']}-" if isinstance(env.get("docId"), str) else ""
    notes: list[Note] = []
    current: list[str] | None = None
    number = 0
    for token in tokens:
        if token.type == "footnote_open":
            current, number = [], int(token.meta["id"]) + 1
        elif token.type == "footnote_close" and current is not None:
            body = Markup(" ".join(part for part in current if part))
            notes.append(Note(f"fn{prefix}{number}", f"fnref{prefix}{number}", str(number), body))
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
    ref_id = note.ref_id if first_call else f"{note.ref_id}-{tokens[idx].meta['subId']}"
    return str(template_macro(NOTES_TEMPLATE, "epub_noteref")(note.id, ref_id, note.label))


@lru_cache(maxsize=1)
def _note_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "maxNesting": PARSER_NESTING})
    md.use(footnote_plugin)
    md.use(attrs_plugin, spans=True, allowed=ALLOWED_ATTRS)
    md.add_render_rule("footnote_ref", _render_note_ref)
    md.use(typography_plugin)
    return md
