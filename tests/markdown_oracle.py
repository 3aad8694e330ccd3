"""Markdown to HTML in one call, for tests only: the book renders through fragments.interview_fragments."""

from __future__ import annotations

from collections.abc import Callable

from markdown_it.token import Token

from coopbook.markdown import convert
from coopbook.markdown.parser import parser

TokenTransform = Callable[[list[Token]], list[Token]]


def to_html(text: str, doc_id: str, transform: TokenTransform | None = None) -> str:
    """Markdown text to HTML with markdown-it's own footnote list, after an optional token transform."""
    tokens, env = convert.parse(text, doc_id)
    if transform is not None:
        tokens = transform(tokens)
    md = parser()
    return md.renderer.render(tokens, md.options, env)


def inline_html(text: str, doc_id: str) -> str:
    """One line of Markdown to inline HTML, without a wrapping paragraph."""
    tokens, env = convert.parse_inline(text, doc_id)
    return convert.render_inline(tokens, env)
