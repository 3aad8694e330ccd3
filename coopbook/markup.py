"""Markdown (CommonMark + attrs spans + footnotes) to HTML with markdown-it-py.

Raw HTML is escaped, never passed through; only http(s), mailto and in-book (#) links are kept (any other
link keeps its text only), images only when they name a file under images/ (otherwise their alt text is
printed); the rule is resources.is_safe_link, the same `check` applies. Only the `class` and `ref` attributes
survive in `{...}` spans. Footnotes come in three styles:
`endnotes` (markdown-it's own list), `print` (page-foot footnotes set at their call) and `epub`
(noteref links and `aside` footnotes); their markup is in templates/partials/notes.html.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

from .resources import IMAGES, is_safe_link, normalise_url
from .templating import template_macro

ALLOWED_ATTRS = ("class", "ref")

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
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.use(footnote_plugin)
    md.use(attrs_plugin, spans=True, allowed=ALLOWED_ATTRS)
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # parsed as check sees them; see _safe_urls
    md.core.ruler.after("inline", "coopbook_safe_urls", _safe_urls)
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


def render_inline(tokens: Sequence[Token], env: dict[str, Any]) -> str:
    """Render inline tokens (from parse_inline, possibly transformed) to HTML."""
    md = markdown()
    return md.renderer.render(list(tokens), md.options, env)


def inline_html(text: str, doc_id: str, transform: TokenTransform | None = None) -> str:
    """One line of Markdown (a question, a title) to inline HTML, without a wrapping paragraph."""
    tokens, env = parse_inline(text, doc_id)
    return render_inline(transform(tokens) if transform is not None else tokens, env)


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
    md = MarkdownIt("commonmark", {"html": False})
    md.use(footnote_plugin)
    md.use(attrs_plugin, spans=True, allowed=ALLOWED_ATTRS)
    md.add_render_rule("footnote_ref", _render_note_ref)
    return md
