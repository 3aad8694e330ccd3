"""Markdown (CommonMark + attrs spans + footnotes) to HTML with markdown-it-py.

Raw HTML is escaped, never passed through; only http(s), mailto and in-book (#) links are kept,
and only the `class` and `ref` attributes survive in `{...}` spans.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin

SAFE_SCHEMES = ("http://", "https://", "mailto:")
ALLOWED_ATTRS = ("class", "ref")

TokenTransform = Callable[[list[Token]], list[Token]]


def is_safe_link(url: str) -> bool:
    """True for the link targets a book may keep: http(s), mailto and in-book fragments."""
    target = url.strip()
    lowered = target.lower()
    return lowered.startswith(SAFE_SCHEMES) or (target.startswith("#") and len(target) > 1)


def is_safe_image(src: str) -> bool:
    """True for an image path inside the content folder: relative, no scheme, no '..'."""
    target = src.strip()
    if not target or ":" in target or target.startswith(("/", "\\")):
        return False
    return ".." not in target.replace("\\", "/").split("/")


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """The one configured Markdown parser of the book."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.use(footnote_plugin)
    md.use(attrs_plugin, spans=True, allowed=ALLOWED_ATTRS)
    md.validateLink = lambda url: is_safe_link(url) or is_safe_image(url)  # type: ignore[method-assign]
    return md


def parse(text: str, doc_id: str) -> tuple[list[Token], dict[str, Any]]:
    """Parse Markdown into markdown-it tokens; footnote ids are prefixed with doc_id."""
    env: dict[str, Any] = {"docId": doc_id}
    return markdown().parse(text, env), env


def render(tokens: Sequence[Token], env: dict[str, Any]) -> str:
    """Render tokens (possibly transformed) to an HTML fragment."""
    md = markdown()
    return md.renderer.render(list(tokens), md.options, env)


def to_html(text: str, doc_id: str, transform: TokenTransform | None = None) -> str:
    """Markdown text to an HTML fragment, with an optional token transform (e.g. index tagging)."""
    tokens, env = parse(text, doc_id)
    if transform is not None:
        tokens = transform(tokens)
    return render(tokens, env)


def inline_html(text: str, doc_id: str, transform: TokenTransform | None = None) -> str:
    """One line of Markdown (a question, a title) to inline HTML, without a wrapping paragraph."""
    env: dict[str, Any] = {"docId": doc_id}
    md = markdown()
    tokens = md.parseInline(text, env)
    if transform is not None:
        tokens = transform(tokens)
    return md.renderer.render(tokens, md.options, env)
